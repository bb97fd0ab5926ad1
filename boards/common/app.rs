//! What every board serves: the camera app (`apps/camera`) on embassy-net,
//! one task per connection slot, the frame clock and the `POST /report`
//! uplink. The same shape as `firmware/qemu-virt/src/main.rs`, without its
//! QEMU drivers and captive portal.
//!
//! Each board's `main.rs` brings up its network driver and `embassy-net`
//! stack, defines a `log!` macro (its serial console) before `mod app;`,
//! and calls [`spawn`]. This file is compiled inside each board crate
//! (`#[path]`), so it uses that crate's dependencies.

use camera::report::ReportJob;
use camera::security::Security;
use camera::{Camera, CameraApp};
use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Address, Stack};
use embassy_time::{Duration, Instant, Timer};
use ferrodot::Method;
use ferrodot::client::{Connection, RequestHead};
use ferrodot::http::response::BufWriter;
use ferrodot::middleware::cors::Cors;
use ferrodot::middleware::session::Sessions;
use ferrodot::rt::embassy::{Buffers, SlotBoard, serve_slot};
use ferrodot::{Config, Timeouts};
use static_cell::ConstStaticCell;

/// Connection slots: each is one listening socket (smoltcp has no
/// backlog), so this is also how many clients are served at once.
pub const SLOTS: usize = 4;
pub const HTTP_PORT: u16 = 80;
/// Sockets the app needs from the stack: one per slot, one for the uplink.
pub const SOCKETS: usize = SLOTS + 1;

/// One slot's memory: TCP receive window, TCP send buffer, ferrodot's
/// request buffer (2 KB bounds a request head) and its response buffer.
type SlotBuffers = Buffers<1024, 2048, 2048, 1024>;

const CONFIG: Config = Config {
    timeouts: Timeouts {
        head_ms: 5_000,
        ..Timeouts::DEFAULT
    },
    ..Config::DEFAULT
};

/// Signs login sessions: give each device its own 32 random bytes.
const SESSION_KEYS: &[&[u8]] = &[b"replace: 32 random bytes per dev"];

fn uptime_s() -> u64 {
    Instant::now().as_secs()
}

/// The camera's protection: no admin password, no CORS origins, no rate
/// limit (as the host demo without flags); CSRF refusal is always on.
const SECURITY: Security = Security {
    sessions: Sessions::new(SESSION_KEYS, uptime_s).max_age(3600),
    cors: Cors::new(&[]).headers(&["content-type", "authorization"]),
    ..Security::OPEN
};

/// The app in a `static`, built by a `const fn`.
static APP: CameraApp = camera::app_with(SECURITY).with_config(CONFIG);

static BOARD: SlotBoard<SLOTS> = SlotBoard::new();
static SLOT_BUFFERS: ConstStaticCell<[SlotBuffers; SLOTS]> =
    ConstStaticCell::new([const { SlotBuffers::new() }; SLOTS]);

#[embassy_executor::task(pool_size = SLOTS)]
async fn http_task(stack: Stack<'static>, buffers: &'static mut SlotBuffers) -> ! {
    serve_slot(&APP, stack, HTTP_PORT, buffers, &BOARD).await
}

/// The frame clock: the interval is read each time, so `PUT /config`
/// takes effect at the next frame.
#[embassy_executor::task]
async fn camera_task(camera: &'static Camera) -> ! {
    let mut next = Instant::now();
    loop {
        next += Duration::from_millis(u64::from(camera.interval_ms()));
        let now = Instant::now();
        if next < now {
            next = now;
        }
        Timer::at(next).await;
        camera.tick();
    }
}

static UPLINK_RX: ConstStaticCell<[u8; 1024]> = ConstStaticCell::new([0; 1024]);
static UPLINK_TX: ConstStaticCell<[u8; 1024]> = ConstStaticCell::new([0; 1024]);
static UPLINK_BUF: ConstStaticCell<[u8; 1024]> = ConstStaticCell::new([0; 1024]);

/// Sends each `POST /report` job with ferrodot's client.
#[embassy_executor::task]
async fn uplink_task(stack: Stack<'static>, camera: &'static Camera) -> ! {
    let (rx, tx, buf) = (UPLINK_RX.take(), UPLINK_TX.take(), UPLINK_BUF.take());
    loop {
        let job = camera.reports().next().await;
        let result = post_report(stack, rx, tx, buf, &job).await;
        camera.reports().finish(result);
    }
}

/// POST the job's body to `host:port/path` (an IPv4 host: no DNS here).
async fn post_report(
    stack: Stack<'static>,
    rx: &mut [u8],
    tx: &mut [u8],
    buf: &mut [u8],
    job: &ReportJob,
) -> Result<u16, &'static str> {
    let addr: Ipv4Address = job.host().parse().map_err(|_| "host must be an IPv4 address")?;
    let mut authority = [0u8; 24];
    let mut w = BufWriter::new(&mut authority);
    w.push_str(job.host());
    w.push(b":");
    w.push_u64(u64::from(job.port));
    let (authority, len) = w.into_parts();
    let authority = core::str::from_utf8(authority.get(..len).unwrap_or(&[])).unwrap_or("");
    let mut socket = TcpSocket::new(stack, rx, tx);
    socket.set_timeout(Some(Duration::from_secs(5)));
    let result = async {
        socket
            .connect((addr, job.port))
            .await
            .map_err(|_| "cannot connect to the server")?;
        let mut conn = Connection::new(&mut socket, buf);
        let head = RequestHead::new(Method::Post, authority, job.path())
            .headers(&[("Content-Type", "application/json")])
            .close();
        let response = conn.send(&head, job.body()).await.map_err(|e| e.reason())?;
        let status = response.head.status().0;
        response.body.discard().await.map_err(|e| e.reason())?;
        Ok(status)
    }
    .await;
    socket.close();
    let _ = embassy_time::with_timeout(Duration::from_millis(500), socket.flush()).await;
    socket.abort();
    result
}

/// Spawn the slot tasks, the frame clock and the uplink on `stack` (whose
/// runner the board has spawned), wait for an address and say where.
pub async fn serve(spawner: Spawner, stack: Stack<'static>) {
    for buffers in SLOT_BUFFERS.take().iter_mut() {
        spawner.spawn(http_task(stack, buffers).unwrap());
    }
    spawner.spawn(camera_task(&APP.state).unwrap());
    spawner.spawn(uplink_task(stack, &APP.state).unwrap());
    stack.wait_config_up().await;
    if let Some(config) = stack.config_v4() {
        let ip = config.address.address().octets();
        log!(
            "listening on http://{}.{}.{}.{}:{} ({} slots)",
            ip[0],
            ip[1],
            ip[2],
            ip[3],
            HTTP_PORT,
            SLOTS
        );
    }
}
