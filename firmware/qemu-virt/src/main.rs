//! ferrodot on bare metal: the camera app (`apps/camera`) served by
//! embassy-net on QEMU's riscv32 `virt` machine.
//!
//! - NIC: virtio-net (virtio-mmio) through `virtio-drivers`, wrapped as an
//!   `embassy-net-driver` (`net_driver.rs`), woken by the PLIC (`irq.rs`).
//! - Time: embassy-time on the CLINT's 10 MHz `mtime` (`time_driver.rs`).
//! - Log: the UART. "listening" marks readiness; a panic or a CPU
//!   exception prints a line starting with "PANIC" and makes QEMU exit
//!   with a non-zero status (sifive_test device).
//! - Network: static 10.0.2.15/24, gateway 10.0.2.2 (QEMU user networking).
//! - DNS: the captive-portal responder on UDP 53 (every `A` → 10.0.2.15);
//!   DHCP on UDP 67 (8 leases from 10.0.2.200, option 114 →
//!   `http://10.0.2.15/captive-portal`), as on the device's access point;
//!   the portal's routes before the camera's (`/generate_204`, `/setup`, …),
//!   the setup page from the camera's assets, the credentials through
//!   `resource::FlashBacking` on a RAM NOR partition (`nor.rs`).
//! - mDNS: `camera.local` (A 10.0.2.15, `_http._tcp` on port 80) on UDP
//!   5353, unicast replies (RFC 6762 §6.7 legacy and QU queries).
//! - HTTPS (feature `tls`, on by default): the same app on port 443 through
//!   MbedTLS, entropy from virtio-rng (`tls.rs`, `rng.rs`, `heap.rs`).
//!
//! Build: `cargo build --release` (riscv32imac; add `--target
//! riscv32imc-unknown-none-elf` for the ESP32-C3 ISA). Run and test:
//! `python3 tests/qemu/test_firmware.py` from the repository root.
#![no_std]
#![no_main]

mod bench;
mod board;
#[cfg(feature = "tls")]
mod heap;
mod irq;
#[cfg(feature = "tls")]
mod libc;
mod net_driver;
mod nor;
mod ota;
#[cfg(feature = "tls")]
mod rng;
mod time_driver;
#[cfg(feature = "tls")]
mod tls;
mod virtio_hal;

// MbedTLS' heap (`heap.rs`); nothing else allocates.
#[cfg(feature = "tls")]
extern crate alloc;
// MbedTLS' C string functions.
#[cfg(feature = "tls")]
use tinyrlibc as _;

use core::ptr::NonNull;

use camera::Camera;
use camera::report::ReportJob;
use camera::security::Security;
use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Address, Ipv4Cidr, Runner, Stack, StackResources, StaticConfigV4};
use embassy_time::{Duration, Instant, Timer};
use ferrodot::App;
use ferrodot::Method;
use ferrodot::client::{Connection, RequestHead};
use ferrodot::http::response::BufWriter;
use ferrodot::middleware::cors::Cors;
use ferrodot::middleware::ratelimit::RateLimit;
use ferrodot::middleware::session::Sessions;
use ferrodot::portal::routes::{Portal, PortalRoutes};
use ferrodot::resource::FlashBacking;
use ferrodot::rt::embassy::udp::UdpBuffers;
use ferrodot::rt::embassy::{Buffers, SlotBoard, serve_slot};
use ferrodot::{Config, Timeouts};
use net_driver::{BUF, NRX, VirtioNetDriver};
use static_cell::{ConstStaticCell, StaticCell};
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};

/// Connection slots. smoltcp has no listen backlog: each slot is one
/// listening socket, so this is also how many clients can connect at once.
/// When the last one is taken, the connection idle the longest is closed
/// so that a slot listens again (`SLOTS` idle "preconnect" sockets would
/// otherwise lock every client out until their time-outs).
const SLOTS: usize = 4;
const HTTP_PORT: u16 = 80;
#[cfg(feature = "tls")]
const TLS_SOCKETS: usize = tls::CONNECTIONS;
#[cfg(not(feature = "tls"))]
const TLS_SOCKETS: usize = 0;

/// One slot's memory: TCP receive window, TCP send buffer, ferrodot's
/// request buffer (bounds a request head: 2 KB = `HeadLimits::DEFAULT`)
/// and its response buffer. 6 KB a slot, 24 KB for all four.
type SlotBuffers = Buffers<1024, 2048, 2048, 1024>;

/// Short deadlines, so a silent client frees its slot quickly (and the
/// end-to-end test of it is quick): 2 s to finish a request head once
/// it has started.
const CONFIG: Config = Config {
    timeouts: Timeouts {
        head_ms: 2_000,
        ..Timeouts::DEFAULT
    },
    ..Config::DEFAULT
};

/// The camera's protection (see `camera::security`), set here as
/// constants. All off, as the host demo is without flags; CSRF refusal of
/// cross-site `POST`/`PUT` is always on.
/// `Some("…")`: `PUT /config` and `POST /firmware` need HTTP Basic
/// `admin:…` or the session of `POST /login`.
const ADMIN_PASSWORD: Option<&str> = None;
/// Signs login sessions: give each device its own 32 random bytes (a key
/// in the image is shared by every device flashed with it).
const SESSION_KEYS: &[&[u8]] = &[b"replace: 32 random bytes per dev"];
/// Origins whose pages may use the API: `&["http://panel.local"]`.
const CORS_ORIGINS: &[&str] = &[];
/// `Some(n)`: n requests per second per client (bursts of n), then 429.
const RATE_LIMIT: Option<u32> = None;

fn uptime_s() -> u64 {
    Instant::now().as_secs()
}

fn uptime_ms() -> u64 {
    Instant::now().as_millis()
}

const SECURITY: Security = Security {
    admin_password: ADMIN_PASSWORD,
    // No wall clock: sessions expire in uptime, so a reboot with the same
    // key keeps them valid up to `max_age` (an hour) longer.
    sessions: Sessions::new(SESSION_KEYS, uptime_s).max_age(3600),
    cors: Cors::new(CORS_ORIGINS)
        .headers(&["content-type", "authorization"])
        .credentials(),
    rate_limit: match RATE_LIMIT {
        Some(n) => Some(RateLimit::per_second(n, uptime_ms)),
        None => None,
    },
};

/// The portal's two NOR sectors, as on a board's flash (here RAM: gone at
/// a QEMU reset, but the same `FlashBacking` code path as a real chip).
static PORTAL_FLASH: FlashBacking<nor::RamNor<512, 256>> = FlashBacking::new(nor::RamNor::new(), 0, 256);

/// First boot: the captive-portal routes (probes, RFC 8908, `/setup`)
/// before the camera's; the setup page is the camera's `setup.html`. No
/// Wi-Fi here: the networks are a fixed list standing for a scan.
static PORTAL: Portal = Portal::new("http://10.0.2.15/setup")
    .networks(|| &["camera-lab", "Home", "Guest"])
    .page(&camera::assets::ASSETS, "setup.html")
    .persist(&PORTAL_FLASH)
    .on_saved(saved);

/// A board starts joining the network here; this one reads the flash copy
/// back through a second portal, as the next boot would, and says so (the
/// SSID only: the password is never logged).
fn saved(credentials: &ferrodot::portal::routes::Credentials) {
    static NEXT_BOOT: Portal = Portal::new("").persist(&PORTAL_FLASH);
    let same = NEXT_BOOT.load() == Ok(true) && NEXT_BOOT.credentials().as_ref() == Some(credentials);
    println!(
        "portal: saved network {:?}, flash copy {}",
        credentials.ssid(),
        if same { "ok" } else { "WRONG" }
    );
}

/// The app lives in a `static`: a `const fn` builds it, no cell needed.
static APP: App<Camera, (PortalRoutes<'static>, camera::Routes)> = App::new(
    Camera::new().with_security(SECURITY).with_firmware(&ota::SLOTS),
    (PortalRoutes::new(&PORTAL), camera::routes()),
)
.with_config(CONFIG);

/// All slot buffers in `.bss`, handed out once as `&'static mut`.
/// What the slots know of each other, for making room.
static BOARD: SlotBoard<SLOTS> = SlotBoard::new();

static SLOT_BUFFERS: ConstStaticCell<[SlotBuffers; SLOTS]> =
    ConstStaticCell::new([const { SlotBuffers::new() }; SLOTS]);

const VIRTIO_MMIO_BASE: usize = 0x1000_1000; // 8 slots, 0x1000 apart, PLIC IRQ = slot + 1

/// Find the virtio-net device. QEMU puts the first `-device` in the
/// highest slot, so scan them all.
fn find_net() -> (MmioTransport<'static>, usize) {
    for i in 0..8 {
        let base = VIRTIO_MMIO_BASE + i * 0x1000;
        let Some(header) = NonNull::new(base as *mut VirtIOHeader) else {
            continue;
        };
        // SAFETY: a virtio-mmio register block on QEMU virt, used only here.
        let found = unsafe { MmioTransport::new(header, 0x1000) }.ok();
        if let Some(t) = found.filter(|t| t.device_type() == DeviceType::Network) {
            println!("virtio-net at slot {} ({:#x}), {:?}", i, base, t.version());
            return (t, i);
        }
    }
    panic!("no virtio-net device (start QEMU with -device virtio-net-device)");
}

/// The captive-portal DNS: every `A` query answered with the device's address.
static DNS_BUFFERS: ConstStaticCell<UdpBuffers<2, 512>> = ConstStaticCell::new(UdpBuffers::new());

#[embassy_executor::task]
async fn dns_task(stack: Stack<'static>) -> ! {
    let dns = ferrodot::portal::dns::Responder::new(core::net::Ipv4Addr::new(10, 0, 2, 15));
    ferrodot::rt::embassy::udp::serve_dns(stack, 53, DNS_BUFFERS.take(), dns).await
}

/// mDNS: `camera.local` and its `_http._tcp` service. `serve_mdns` joins
/// 224.0.0.251 and announces twice at start-up; QEMU's user network drops
/// multicast, so the tests see only the unicast answers.
static MDNS_BUFFERS: ConstStaticCell<UdpBuffers<2, 512>> = ConstStaticCell::new(UdpBuffers::new());

#[embassy_executor::task]
async fn mdns_task(stack: Stack<'static>) -> ! {
    let mdns = ferrodot::portal::mdns::Responder::new("camera", core::net::Ipv4Addr::new(10, 0, 2, 15), HTTP_PORT);
    ferrodot::rt::embassy::udp::serve_mdns(stack, 5353, MDNS_BUFFERS.take(), mdns).await
}

/// DHCP for the phones on the access point (here: QEMU's user network,
/// reached through a port forward by a test client acting as a relay).
/// The pool starts at .200: 10.0.2.100 is the test's report server
/// (`guestfwd`), and QEMU's own DHCP hands out .15 up.
static DHCP: ferrodot::portal::dhcp::Server<8> =
    ferrodot::portal::dhcp::Server::new(ferrodot::portal::dhcp::Config::new(
        core::net::Ipv4Addr::new(10, 0, 2, 15),
        core::net::Ipv4Addr::new(10, 0, 2, 200),
        "http://10.0.2.15/captive-portal",
    ));
/// 576-byte datagrams: what every DHCP peer must accept; two in the socket.
static DHCP_BUFFERS: ConstStaticCell<UdpBuffers<2, 1152, 576>> = ConstStaticCell::new(UdpBuffers::new());

#[embassy_executor::task]
async fn dhcp_task(stack: Stack<'static>) -> ! {
    ferrodot::rt::embassy::udp::serve_dhcp(stack, 67, DHCP_BUFFERS.take(), &DHCP).await
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, VirtioNetDriver>) -> ! {
    runner.run().await
}

/// One task per connection slot, each running `serve_slot`, rather than
/// all slots in one task with `serve_slots`: `serve_slots` joins the slot
/// futures, and a join re-polls every slot whenever any one of them is
/// woken, so each network event would cost `SLOTS` polls. With a task per
/// slot, each slot has its own waker and only the woken one runs. The
/// cost is one task header per slot (a few dozen bytes), and each task's
/// future is a static of its own, so its size shows in the symbol table.
#[embassy_executor::task(pool_size = SLOTS)]
async fn http_task(stack: Stack<'static>, buffers: &'static mut SlotBuffers) -> ! {
    serve_slot(&APP, stack, HTTP_PORT, buffers, &BOARD).await
}

/// The camera's frame clock. The interval is read every time, so a
/// `PUT /config` takes effect at the next frame.
#[embassy_executor::task]
async fn camera_task(camera: &'static Camera) -> ! {
    let mut next = Instant::now();
    loop {
        next += Duration::from_millis(u64::from(camera.interval_ms()));
        // Fell behind (a long stall)? Start again from now rather than
        // ticking in a burst.
        let now = Instant::now();
        if next < now {
            next = now;
        }
        Timer::at(next).await;
        camera.tick();
    }
}

/// The uplink's memory (`POST /report`): one client connection at a time,
/// with its TCP windows and ferrodot's client buffer (the request head
/// goes out of it, the response head comes into it).
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

/// POST the job's body to `host:port/path`; the status code, or why there
/// is none. The host is an IPv4 address: the firmware has no DNS.
async fn post_report(
    stack: Stack<'static>,
    rx: &mut [u8],
    tx: &mut [u8],
    buf: &mut [u8],
    job: &ReportJob,
) -> Result<u16, &'static str> {
    let addr: Ipv4Address = job
        .host()
        .parse()
        .map_err(|_| "host must be an IPv4 address (the device has no DNS)")?;
    let mut authority = [0u8; 24];
    let mut w = BufWriter::new(&mut authority);
    w.push_str(job.host());
    w.push(b":");
    w.push_u64(u64::from(job.port));
    let (authority, len) = w.into_parts();
    let authority = core::str::from_utf8(authority.get(..len).unwrap_or(&[])).unwrap_or("");
    let mut socket = TcpSocket::new(stack, rx, tx);
    // Every read and write: a server that stalls is an error in 5 s.
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
    // Give the FIN a moment, then let the socket go whatever the peer does.
    let _ = embassy_time::with_timeout(Duration::from_millis(500), socket.flush()).await;
    socket.abort();
    result
}

/// The NIC's receive frames (lent to the device) and its transmit frame.
static RX_BUFS: ConstStaticCell<[[u8; BUF]; NRX]> = ConstStaticCell::new([[0; BUF]; NRX]);
static TX_BUF: ConstStaticCell<[u8; BUF]> = ConstStaticCell::new([0; BUF]);

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    board::paint_stack();
    let t0 = board::now_us();
    println!("ferrodot qemu-virt: boot at t={}us", t0);
    time_driver::init();

    let (transport, slot) = find_net();
    let net = match VirtIONetRaw::new(transport) {
        Ok(net) => net,
        Err(e) => panic!("virtio-net init: {:?}", e),
    };
    irq::init_net_irq(slot as u32 + 1, VIRTIO_MMIO_BASE + slot * 0x1000);
    let driver = VirtioNetDriver::new(net, RX_BUFS.take(), TX_BUF.take());
    // SAFETY: every handler and what it touches is set up.
    unsafe { riscv::interrupt::enable() };

    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(10, 0, 2, 15), 24),
        gateway: Some(Ipv4Address::new(10, 0, 2, 2)),
        dns_servers: Default::default(),
    });
    // One socket per slot, one for the uplink, one each for the DNS responder,
    // the mDNS responder and the DHCP server, one per TLS connection, the
    // throughput yardstick's.
    static RESOURCES: StaticCell<StackResources<{ SLOTS + 4 + TLS_SOCKETS + bench::SOCKETS }>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(driver, config, RESOURCES.init(StackResources::new()), board::mtime());

    spawner.spawn(net_task(runner).unwrap());
    for buffers in SLOT_BUFFERS.take().iter_mut() {
        spawner.spawn(http_task(stack, buffers).unwrap());
    }
    spawner.spawn(camera_task(&APP.state).unwrap());
    spawner.spawn(uplink_task(stack, &APP.state).unwrap());
    spawner.spawn(dns_task(stack).unwrap());
    spawner.spawn(dhcp_task(stack).unwrap());
    spawner.spawn(mdns_task(stack).unwrap());
    // A board's flash keeps them across reboots; this RAM starts erased.
    match PORTAL.load() {
        Ok(true) => println!("portal: provisioned"),
        Ok(false) => println!("portal: not provisioned, setup at {}", PORTAL.setup_url()),
        Err(e) => println!("portal: stored credentials unreadable ({:?}), not provisioned", e),
    }
    spawner.spawn(bench::bench_task(stack).unwrap());
    #[cfg(feature = "tls")]
    tls::start(&spawner, stack);

    // Readiness: the address is up and every slot task has run to its
    // first `accept` (they are ready to run now; a short sleep lets them).
    stack.wait_config_up().await;
    Timer::after(Duration::from_millis(10)).await;
    println!(
        "listening on http://10.0.2.15:{} ({} slots, ready after {}us)",
        HTTP_PORT,
        SLOTS,
        board::now_us() - t0
    );

    // Report the stack high-water mark whenever it grows.
    let mut max_stack = 0;
    loop {
        let hw = board::stack_high_water();
        if hw > max_stack {
            max_stack = hw;
            println!("stack high-water: {} bytes", hw);
        }
        Timer::after(Duration::from_secs(1)).await;
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    riscv::interrupt::disable();
    println!("PANIC: {}", info);
    board::exit(1)
}

/// A CPU exception (illegal instruction, access fault, ...) is a crash
/// too: say so and stop QEMU, rather than hang in riscv-rt's default loop.
#[unsafe(export_name = "ExceptionHandler")]
fn exception_handler(frame: &riscv_rt::TrapFrame) -> ! {
    riscv::interrupt::disable();
    println!(
        "PANIC: CPU exception, mcause={:#x} mepc={:#x} mtval={:#x} ra={:#x}",
        riscv::register::mcause::read().bits(),
        riscv::register::mepc::read(),
        riscv::register::mtval::read(),
        frame.ra
    );
    board::exit(2)
}

/// An interrupt nobody enabled.
#[unsafe(export_name = "DefaultHandler")]
fn default_handler() -> ! {
    riscv::interrupt::disable();
    println!(
        "PANIC: unexpected interrupt, mcause={:#x}",
        riscv::register::mcause::read().bits()
    );
    board::exit(3)
}
