//! HTTPS on port 443 beside HTTP on 80: the same app, through MbedTLS
//! (`mbedtls-rs`), with the certificate and key in `certs/` compiled in.
//!
//! ```ignore
//! // In `main`, once the network stack exists: finds the entropy device,
//! // parses the credentials, spawns the TLS tasks (or says why not).
//! tls::start(&spawner, stack);
//! ```
//!
//! ferrodot's engine never sees TLS: each connection is accepted here, the
//! handshake is done here, and the decrypted stream goes to
//! `ferrodot::rt::embassy::serve_stream`, so every route, WebSocket (WSS)
//! and event stream works over HTTPS unchanged.
//!
//! Limits (what one hostile client can hold):
//! - [`CONNECTIONS`] TLS connections at once, one task and one heap context
//!   each; more connections find no listening socket and are refused. When
//!   a slot takes the last free place, the connection that has waited the
//!   longest without sending a byte is closed ([`Board`]), so a flood of
//!   silent connections cannot keep real clients out.
//! - [`HANDSHAKES`] handshake at a time (the CPU- and heap-heavy part); a
//!   connection waits for its turn inside its own time-out.
//! - [`HANDSHAKE_TIMEOUT`] from accept to the end of the handshake: a client
//!   that stalls (or never sends a ClientHello) loses its slot then.
//! - After the handshake, ferrodot's usual time-outs (request head, body,
//!   keep-alive idle) apply as on port 80.
//!
//! A plain HTTP request on this port gets nginx's answer (`400`, "The plain
//! HTTP request was sent to HTTPS port") and the connection is closed.
use core::ffi::CStr;

use embassy_futures::select::{Either, select};
use embassy_sync::signal::Signal;

use embassy_executor::Spawner;
use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::mutex::Mutex;
use embassy_time::{Duration, Instant, with_timeout};
use embedded_io_async::{ErrorType, Read, Write};
use ferrodot::rt::embassy::{Buffers, serve_stream};
use mbedtls_rs::{
    Certificate, Credentials, PrivateKey, ServerSessionConfig, Session, SessionConfig, SessionError, Tls, TlsReference,
    X509,
};
use portable_atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use static_cell::{ConstStaticCell, StaticCell};

use crate::println;
use crate::{heap, rng};

pub const TLS_PORT: u16 = 443;
/// TLS connections at once. Each holds an MbedTLS context on the heap
/// (32 KB open, most of it the record buffers; `heap.rs` and the README
/// have the figures) and a [`TlsBuffers`] in `.bss`; the heap is sized for
/// this many.
pub const CONNECTIONS: usize = 2;
/// Handshakes at once: the key exchange and the signature are the slow
/// part (hundreds of milliseconds of CPU under QEMU) and the heap's peak.
pub const HANDSHAKES: usize = 1;
/// From accept to the end of the handshake, waiting for a turn included.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// One connection's buffers besides MbedTLS' own: the TCP windows and
/// ferrodot's request and response buffers, as on port 80. The TCP
/// windows carry TLS records in pieces, so they need not hold a record.
type TlsBuffers = Buffers<1024, 2048, 2048, 1024>;

/// Plaintext per `mbedtls_ssl_write`: at most the smallest record a client
/// can ask for (max_fragment_length 512), so one call is always one whole
/// record, which [`TlsStream`] relies on.
const RECORD: usize = 512;

/// The demo credentials (`certs/make-cert.sh`), NUL-terminated as MbedTLS'
/// PEM parser wants.
const CERT_PEM: &str = concat!(include_str!("../certs/cert.pem"), "\0");
const KEY_PEM: &str = concat!(include_str!("../certs/key.pem"), "\0");

static HANDSHAKE_TURN: Mutex<CriticalSectionRawMutex, ()> = Mutex::new(());
static BOARD: Board = Board::new();
static BUFFERS: ConstStaticCell<[TlsBuffers; CONNECTIONS]> =
    ConstStaticCell::new([const { TlsBuffers::new() }; CONNECTIONS]);
static RNG: StaticCell<rng::VirtioRng> = StaticCell::new();
static TLS: StaticCell<Tls<'static>> = StaticCell::new();

/// TLS connections open now, and whether two overlapped since the last one
/// that started alone (then its heap figure would include the other's).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static OVERLAP: AtomicBool = AtomicBool::new(false);
/// A future's size, printed once with the first connection's figures.
static FUTURE_SIZE: AtomicUsize = AtomicUsize::new(0);

/// Start HTTPS: the heap, the entropy device, the credentials, then the
/// connection tasks. Without an entropy device or with credentials that do
/// not parse it says so on the log and serves nothing on 443 (HTTP on 80 is
/// not affected).
pub fn start(spawner: &Spawner, stack: Stack<'static>) {
    heap::init();
    let Some(rng) = rng::VirtioRng::find() else {
        println!("tls: no entropy source (start QEMU with -device virtio-rng-device): HTTPS not started");
        return;
    };
    let tls = match Tls::new(RNG.init(rng)) {
        Ok(tls) => TLS.init(tls),
        Err(e) => {
            println!("tls: {:?}: HTTPS not started", e);
            return;
        }
    };
    let config = match credentials() {
        Ok(creds) => ServerSessionConfig {
            alpn_protocols: Some(&[c"http/1.1"]),
            ..ServerSessionConfig::new(creds)
        },
        Err(what) => {
            println!("tls: {}: HTTPS not started", what);
            return;
        }
    };
    let credentials_heap = heap::stats().used;
    for (slot, buffers) in BUFFERS.take().iter_mut().enumerate() {
        let token = tls_task(slot, stack, buffers, tls.reference(), config.clone());
        match token {
            Ok(token) => spawner.spawn(token),
            Err(_) => println!("tls: no task left"),
        }
    }
    println!(
        "tls: serving https://10.0.2.15:{} ({} connections, {} handshake at a time, {} s handshake time-out; \
         certificate and key {} B of heap, arena {} B)",
        TLS_PORT,
        CONNECTIONS,
        HANDSHAKES,
        HANDSHAKE_TIMEOUT.as_secs(),
        credentials_heap,
        heap::HEAP_SIZE
    );
}

fn credentials() -> Result<Credentials<'static>, &'static str> {
    let cert = CStr::from_bytes_with_nul(CERT_PEM.as_bytes()).map_err(|_| "certificate is not one C string")?;
    let key = CStr::from_bytes_with_nul(KEY_PEM.as_bytes()).map_err(|_| "key is not one C string")?;
    let certificate = Certificate::new(X509::PEM(cert)).map_err(|_| "certs/cert.pem does not parse")?;
    let private_key = PrivateKey::new(X509::PEM(key), None).map_err(|_| "certs/key.pem does not parse")?;
    Ok(Credentials {
        certificate,
        private_key,
    })
}

/// One TLS connection slot: accept, serve, close, forever.
#[embassy_executor::task(pool_size = CONNECTIONS)]
async fn tls_task(
    slot: usize,
    stack: Stack<'static>,
    buffers: &'static mut TlsBuffers,
    tls: TlsReference<'static>,
    config: ServerSessionConfig<'static>,
) -> ! {
    let Buffers { tcp_rx, tcp_tx, rx, tx } = buffers;
    loop {
        let mut socket = TcpSocket::new(stack, tcp_rx, tcp_tx);
        if socket.accept(TLS_PORT).await.is_err() {
            continue;
        }
        BOARD.accepted(slot);
        socket.set_nagle_enabled(false);
        let connection = serve_one(slot, &mut socket, tls, &config, rx, tx);
        FUTURE_SIZE.store(core::mem::size_of_val(&connection), Ordering::Relaxed);
        connection.await;
        // Closing counts as free: the slot listens again within moments.
        BOARD.set(slot, LISTENING);
        // Let the last bytes drain (bounded), then free the socket.
        socket.close();
        if with_timeout(Duration::from_millis(500), socket.flush()).await.is_err() {
            socket.abort();
        }
    }
}

/// Why a connection ended before its first request.
#[derive(Debug)]
enum Refused {
    TimedOut,
    Closed,
    /// Silent while every slot was taken: closed to make room.
    Evicted,
    PlainHttp,
    Tls(#[allow(dead_code)] SessionError),
}

async fn serve_one(
    slot: usize,
    socket: &mut TcpSocket<'_>,
    tls: TlsReference<'static>,
    config: &ServerSessionConfig<'static>,
    rx: &mut [u8],
    tx: &mut [u8],
) {
    let client = socket
        .remote_endpoint()
        .map(|ep| core::net::SocketAddr::new(ep.addr.into(), ep.port));
    let alone = ACTIVE.fetch_add(1, Ordering::Relaxed) == 0;
    if alone {
        OVERLAP.store(false, Ordering::Relaxed);
        heap::reset_peak();
    } else {
        OVERLAP.store(true, Ordering::Relaxed);
    }
    let base = heap::stats().used;
    let accepted = Instant::now();

    let handshake = async {
        // A client that speaks HTTP here starts with a method name; a TLS
        // client with a handshake record (0x16).
        let first = socket.read_with(|data| (0, data.first().copied()));
        let first = match select(first, BOARD.evicted(slot)).await {
            Either::First(first) => first.map_err(|_| Refused::Closed)?,
            Either::Second(()) => return Err(Refused::Evicted),
        };
        BOARD.set(slot, BUSY);
        if first.is_some_and(|b| b.is_ascii_uppercase()) {
            let _ = socket.write_all(PLAIN_HTTP_ANSWER).await;
            return Err(Refused::PlainHttp);
        }
        let _turn = HANDSHAKE_TURN.lock().await;
        let started = Instant::now();
        let stream = Tcp(&mut *socket);
        let mut session = Session::new(tls, stream, &SessionConfig::Server(config.clone())).map_err(Refused::Tls)?;
        session.connect().await.map_err(Refused::Tls)?;
        Ok((session, started.elapsed()))
    };
    let result = match with_timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(result) => result,
        Err(_) => Err(Refused::TimedOut),
    };
    match result {
        Ok((session, took)) => {
            let now = heap::stats();
            println!(
                "tls: handshake {} ms ({} ms after accept), {:?}, heap peak +{} B, held +{} B",
                took.as_millis(),
                accepted.elapsed().as_millis(),
                session.tls_version(),
                now.peak.saturating_sub(base),
                now.used.saturating_sub(base)
            );
            let mut stream = TlsStream {
                session,
                in_flight: None,
            };
            let _ = serve_stream(&crate::APP, &mut stream, rx, tx, client).await;
            // close_notify, bounded: the client may be gone.
            let _ = with_timeout(Duration::from_millis(500), stream.session.close()).await;
        }
        Err(why) => println!("tls: connection refused: {:?}", why),
    }
    // The session is gone now: what the heap held for it is free again.
    let stats = heap::stats();
    if alone && !OVERLAP.load(Ordering::Relaxed) {
        let future = FUTURE_SIZE.load(Ordering::Relaxed);
        let heap_peak = stats.peak.saturating_sub(base);
        let buffers = core::mem::size_of::<TlsBuffers>();
        println!(
            "tls: connection RAM: heap high-water {} B + buffers {} B + future {} B = {} B; heap in use after close {} B",
            heap_peak,
            buffers,
            future,
            heap_peak + buffers + future,
            stats.used
        );
    }
    ACTIVE.fetch_sub(1, Ordering::Relaxed);
}

const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 46\r\n\
Connection: close\r\n\r\nThe plain HTTP request was sent to HTTPS port\n";

/// The TCP socket as MbedTLS' transport. `flush` returns at once: embassy-net
/// sends queued bytes by itself, and its own `flush` waits for the peer's
/// ACK (a round trip per response).
struct Tcp<'s, 'a>(&'s mut TcpSocket<'a>);

impl ErrorType for Tcp<'_, '_> {
    type Error = embassy_net::tcp::Error;
}

impl Read for Tcp<'_, '_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.0.read(buf).await
    }
}

impl Write for Tcp<'_, '_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.0.write(buf).await
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A handshaken session whose `read`, `write` and `flush` may be dropped
/// while pending, as `serve_stream` needs.
///
/// - `read`: after the handshake, mbedtls-rs keeps all of a pending read's
///   state in the session (a byte it took from the socket, MbedTLS' partial
///   record), so a dropped read loses nothing.
/// - `write`: a pending `mbedtls_ssl_write` has already made a record of the
///   data (MbedTLS holds it, partly sent); calling `write` again would make a
///   second record of the same bytes. So a pending write is remembered here
///   (`in_flight`), and the next call only finishes sending that record
///   (`flush`) and reports its length. Writes are cut at [`RECORD`] bytes so
///   that the record holds all of them, whatever fragment length was agreed.
/// - `flush`: its state (the pending record, a byte held back) is in the
///   session too.
struct TlsStream<'a, T: Read + Write> {
    session: Session<'a, T>,
    in_flight: Option<usize>,
}

impl<T: Read + Write> ErrorType for TlsStream<'_, T> {
    type Error = SessionError;
}

impl<T: Read + Write> Read for TlsStream<'_, T> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, SessionError> {
        self.session.read(buf).await
    }
}

impl<T: Read + Write> Write for TlsStream<'_, T> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, SessionError> {
        if let Some(n) = self.in_flight {
            let flushed = self.session.flush().await;
            self.in_flight = None;
            flushed?;
            return Ok(n.min(buf.len()));
        }
        let chunk = buf.get(..buf.len().min(RECORD)).unwrap_or(buf);
        self.in_flight = Some(chunk.len());
        let written = self.session.write(chunk).await;
        self.in_flight = None;
        written
    }

    async fn flush(&mut self) -> Result<(), SessionError> {
        let flushed = self.session.flush().await;
        self.in_flight = None;
        flushed
    }
}

const LISTENING: u32 = 0;
const BUSY: u32 = 1;
/// Values from `SILENT` up: accepted and silent since that mark (a larger
/// mark is a later connection).
const SILENT: u32 = 2;

/// The TLS slots' states, for making room: smoltcp has no accept queue, so
/// with every slot taken the next client is refused. A connection that has
/// sent nothing yet costs the attacker nothing to hold; closing the one
/// silent the longest when the last slot is taken keeps a slot listening
/// under any flood of them. (Connections that have spoken are never closed
/// for this; a keep-alive idle one ends at ferrodot's idle time-out.)
pub struct Board {
    state: [AtomicU32; CONNECTIONS],
    evict: [Signal<CriticalSectionRawMutex, ()>; CONNECTIONS],
    mark: AtomicU32,
}

impl Board {
    const fn new() -> Self {
        Board {
            state: [const { AtomicU32::new(LISTENING) }; CONNECTIONS],
            evict: [const { Signal::new() }; CONNECTIONS],
            mark: AtomicU32::new(SILENT),
        }
    }

    fn set(&self, slot: usize, state: u32) {
        if let Some(s) = self.state.get(slot) {
            s.store(state, Ordering::Relaxed);
        }
        if let Some(e) = self.evict.get(slot) {
            e.reset();
        }
    }

    /// `slot` has a new, silent connection; if no slot listens now, ask
    /// the one silent the longest (not `slot`) to close.
    fn accepted(&self, slot: usize) {
        let mark = self.mark.fetch_add(1, Ordering::Relaxed).max(SILENT);
        self.set(slot, mark);
        // One task runs at a time (one executor), so this view is current.
        let states = self.state.each_ref().map(|s| s.load(Ordering::Relaxed));
        if states.contains(&LISTENING) {
            return;
        }
        let oldest = states
            .iter()
            .enumerate()
            .filter(|&(i, &s)| i != slot && s >= SILENT)
            .min_by_key(|&(_, &s)| s)
            .map(|(i, _)| i);
        if let Some(e) = oldest.and_then(|i| self.evict.get(i)) {
            e.signal(());
        }
    }

    /// Ready when `slot` is asked to make room.
    async fn evicted(&self, slot: usize) {
        match self.evict.get(slot) {
            Some(e) => e.wait().await,
            None => core::future::pending().await,
        }
    }
}
