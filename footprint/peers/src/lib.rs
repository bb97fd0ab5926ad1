//! What the peer variants share: the same canned requests, in-memory
//! socket, poll loop and semihosting output as `footprint`'s own (see
//! `../src/lib.rs`), rebuilt here without ferrodot so the peers' images
//! hold nothing of it.
//!
//! The socket is split into a read and a write half, as picoserve's
//! `Socket` and edge-nal's `TcpSplit` want; both halves behave as
//! footprint's `MemSocket` does (48-byte segments, every other read
//! `Pending`), so the bytes and polls each server sees are the same.
//! `peers_baseline` echoes through it like footprint's `baseline`: each
//! peer's flash is measured over it.
#![no_std]

use core::future::{poll_fn, Future};
use core::hint::black_box;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use cortex_m_semihosting::{debug, hio};
use panic_halt as _;

/// footprint's `REQUEST`, byte for byte: the hello route, the JSON GET
/// and the JSON POST (which closes), pipelined on one connection.
pub const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: dev\r\n\r\n\
GET /api/led/7 HTTP/1.1\r\nHost: dev\r\n\r\n\
POST /api/led/7 HTTP/1.1\r\nHost: dev\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n\
{\"on\":true}";

/// Most bytes one read hands over (as in footprint).
const SEGMENT: usize = 48;

/// ferrodot's buffers in footprint: rx 1024 B, tx 512 B.
pub const RX: usize = 1024;
pub const TX: usize = 512;

/// The read half: drains `input`, one segment at a time.
pub struct Rx<'a> {
    input: &'a [u8],
    stall: bool,
}

/// The write half: fills `output`.
pub struct Tx<'a> {
    output: &'a mut [u8],
    written: usize,
}

pub struct MemSocket<'a> {
    pub rx: Rx<'a>,
    pub tx: Tx<'a>,
}

impl<'a> MemSocket<'a> {
    pub fn new(input: &'a [u8], output: &'a mut [u8]) -> Self {
        MemSocket {
            rx: Rx { input, stall: false },
            tx: Tx { output, written: 0 },
        }
    }

    /// What was written so far.
    pub fn output(&self) -> &[u8] {
        self.tx.output.get(..self.tx.written).unwrap_or(&[])
    }

    /// Whether every request byte was read.
    pub fn drained(&self) -> bool {
        self.rx.input.is_empty()
    }
}

impl Rx<'_> {
    /// Copy up to one segment into `buf`, after a `Pending` every other call.
    pub fn poll_take(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<usize> {
        self.stall = !self.stall;
        if self.stall {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let n = buf.len().min(self.input.len()).min(SEGMENT);
        let (head, rest) = self.input.split_at(n);
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(head);
        }
        self.input = rest;
        Poll::Ready(n)
    }
}

impl Tx<'_> {
    /// Append as much of `buf` as fits; 0 once full.
    pub fn poll_put(&mut self, buf: &[u8]) -> Poll<usize> {
        let space = self.output.get_mut(self.written..).unwrap_or(&mut []);
        let n = buf.len().min(space.len());
        if let (Some(dst), Some(src)) = (space.get_mut(..n), buf.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.written += n;
        Poll::Ready(n)
    }
}

#[derive(Debug)]
pub struct MemError;

impl embedded_io_async::Error for MemError {
    fn kind(&self) -> embedded_io_async::ErrorKind {
        embedded_io_async::ErrorKind::Other
    }
}

impl core::fmt::Display for MemError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("memory socket")
    }
}

impl core::error::Error for MemError {}

impl embedded_io_async::ErrorType for Rx<'_> {
    type Error = MemError;
}

impl embedded_io_async::ErrorType for Tx<'_> {
    type Error = MemError;
}

impl embedded_io_async::ErrorType for MemSocket<'_> {
    type Error = MemError;
}

impl embedded_io_async::Read for Rx<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, MemError> {
        Ok(poll_fn(|cx| self.poll_take(cx, buf)).await)
    }
}

impl embedded_io_async::Write for Tx<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, MemError> {
        match poll_fn(|_| self.poll_put(buf)).await {
            0 if !buf.is_empty() => Err(MemError),
            n => Ok(n),
        }
    }

    async fn flush(&mut self) -> Result<(), MemError> {
        Ok(())
    }
}

impl embedded_io_async::Read for MemSocket<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, MemError> {
        self.rx.read(buf).await
    }
}

impl embedded_io_async::Write for MemSocket<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, MemError> {
        self.tx.write(buf).await
    }

    async fn flush(&mut self) -> Result<(), MemError> {
        Ok(())
    }
}

/// picoserve's view of the socket. It writes through `write_with`, into
/// a buffer the socket lends (embassy-net lends its TX ring); this one
/// lends at most [`TX`] bytes of the output at a time, the size of
/// ferrodot's tx buffer.
pub mod picoserve_io {
    use super::{MemError, MemSocket, Rx, Tx, TX};
    use picoserve::mem::{BorrowedBuffer, BorrowedCursor};

    impl picoserve::io::Write for Tx<'_> {
        async fn write_with<F: FnOnce(BorrowedCursor<'_>) -> R, R>(&mut self, f: F) -> Result<R, MemError> {
            let space = self.output.get_mut(self.written..).unwrap_or(&mut []);
            let len = space.len().min(TX);
            let mut lent = BorrowedBuffer::new(space.get_mut(..len).unwrap_or(&mut []));
            let out = f(lent.unfilled());
            self.written += lent.len();
            Ok(out)
        }
    }

    /// By reference, as ferrodot's `serve_connection` takes its socket,
    /// so the connection future holds a pointer, not the socket.
    impl<'a, Runtime> picoserve::io::Socket<Runtime> for &mut MemSocket<'a> {
        type Error = MemError;
        type ReadHalf<'h>
            = &'h mut Rx<'a>
        where
            Self: 'h;
        type WriteHalf<'h>
            = &'h mut Tx<'a>
        where
            Self: 'h;

        fn split(&mut self) -> (Self::ReadHalf<'_>, Self::WriteHalf<'_>) {
            (&mut self.rx, &mut self.tx)
        }

        async fn abort<T: picoserve::Timer<Runtime>>(
            self,
            _: &picoserve::Timeouts,
            _: &T,
        ) -> Result<(), picoserve::Error<MemError>> {
            Ok(())
        }

        async fn shutdown<T: picoserve::Timer<Runtime>>(
            self,
            _: &picoserve::Timeouts,
            _: &T,
        ) -> Result<(), picoserve::Error<MemError>> {
            Ok(())
        }
    }

    /// picoserve's `Server::custom` takes any timer; this one never fires
    /// (the stub socket never stalls for real). It stands in for
    /// embassy-time, whose `EmbassyTimer` needs a time driver to link.
    pub struct NeverTimer;

    /// The runtime marker `Server::custom` is generic over.
    pub struct StubRuntime;

    impl picoserve::Timer<StubRuntime> for NeverTimer {
        fn delay(&self, _: picoserve::time::Duration) -> impl core::future::Future<Output = ()> {
            core::future::pending()
        }
    }
}

/// edge-http's view of the socket: edge-nal's split, readiness and
/// shutdown, all immediate on memory.
pub mod edge_io {
    use super::{MemError, MemSocket, Rx, Tx};

    impl edge_nal::Readable for Rx<'_> {
        async fn readable(&mut self) -> Result<(), MemError> {
            Ok(())
        }
    }

    impl edge_nal::Readable for MemSocket<'_> {
        async fn readable(&mut self) -> Result<(), MemError> {
            Ok(())
        }
    }

    impl<'a> edge_nal::TcpSplit for MemSocket<'a> {
        type Read<'h>
            = &'h mut Rx<'a>
        where
            Self: 'h;
        type Write<'h>
            = &'h mut Tx<'a>
        where
            Self: 'h;

        fn split(&mut self) -> (Self::Read<'_>, Self::Write<'_>) {
            (&mut self.rx, &mut self.tx)
        }
    }

    impl edge_nal::TcpShutdown for MemSocket<'_> {
        async fn close(&mut self, _: edge_nal::Close) -> Result<(), MemError> {
            Ok(())
        }

        async fn abort(&mut self) -> Result<(), MemError> {
            Ok(())
        }
    }
}

/// The smallest embassy-time driver, for edge-http: edge-nal's timeouts
/// link embassy-time, which wants a driver, though no timeout is set
/// here (no keep-alive timeout, none on the handler). Time stands still
/// at 0 and no wake-up is ever scheduled. Only images that call into
/// embassy-time keep it (`--gc-sections` drops it elsewhere).
mod stub_time_driver {
    use core::task::Waker;

    struct Frozen;

    impl embassy_time_driver::Driver for Frozen {
        fn now(&self) -> u64 {
            0
        }

        fn schedule_wake(&self, _at: u64, _waker: &Waker) {}
    }

    embassy_time_driver::time_driver_impl!(static DRIVER: Frozen = Frozen);
}

/// Poll `fut` until it is ready, with a no-op waker (as in footprint).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// The baseline's work, as footprint's `echo`: read every byte, write it back.
pub async fn echo(sock: &mut MemSocket<'_>, buf: &mut [u8]) -> Result<usize, ()> {
    let mut total = 0;
    loop {
        let n = poll_fn(|cx| sock.rx.poll_take(cx, buf)).await;
        if n == 0 {
            return Ok(total);
        }
        let mut chunk = buf.get(..n).unwrap_or(&[]);
        while !chunk.is_empty() {
            let w = poll_fn(|_| sock.tx.poll_put(chunk)).await;
            if w == 0 {
                return Err(());
            }
            total += w;
            chunk = chunk.get(w..).unwrap_or(&[]);
        }
    }
}

/// Run the baseline: echo [`REQUEST`] through the same socket and loop.
pub fn baseline() -> ! {
    let mut out = [0u8; 1024];
    let mut buf = [0u8; 64];
    let mut sock = MemSocket::new(black_box(REQUEST), &mut out);
    let fut = echo(&mut sock, &mut buf);
    let future_size = core::mem::size_of_val(&fut);
    let ok = block_on(fut).is_ok();
    finish(future_size, ok, black_box(sock.output()))
}

/// Print `future=<bytes>`, `result=ok|error` and the output between two
/// `----` lines, then exit QEMU. No `core::fmt`, as in footprint.
pub fn finish(future_size: usize, ok: bool, output: &[u8]) -> ! {
    if let Ok(mut stdout) = hio::hstdout() {
        let mut digits = [0u8; 10];
        let _ = stdout.write_all(b"future=");
        let _ = stdout.write_all(decimal(future_size as u32, &mut digits));
        let _ = stdout.write_all(if ok {
            b"\nresult=ok\n----\n"
        } else {
            b"\nresult=error\n----\n"
        });
        let _ = stdout.write_all(output);
        let _ = stdout.write_all(b"\n----\n");
    }
    debug::exit(if ok { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// `n` in decimal, written at the end of `buf` (also edge-http's
/// `Content-Length`, which it wants as a `&str`).
pub fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(d) = buf.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            return buf.get(at..).unwrap_or(&[]);
        }
    }
}

/// Serve [`REQUEST`] with picoserve's `app` over a [`MemSocket`], print
/// the size of the connection future and the response, exit QEMU.
pub fn serve_picoserve<P: picoserve::routing::PathRouter>(app: &picoserve::Router<P>) -> ! {
    // Defaults, but keep-alive: picoserve closes after one request by
    // default, and the canned requests are three on one connection (as
    // ferrodot serves them).
    let config = picoserve::Config::const_default().keep_connection_alive();
    let mut out = [0u8; 1024];
    let mut rx = [0u8; RX];
    let mut sock = MemSocket::new(black_box(REQUEST), &mut out);
    let server = picoserve::Server::custom(app, picoserve_io::NeverTimer, &config, &mut rx);
    let fut = server.serve(&mut sock);
    let future_size = core::mem::size_of_val(&fut);
    let ok = matches!(block_on(fut), Ok(info) if info.handled_requests_count == 3);
    finish(future_size, ok, black_box(sock.output()))
}

/// Serve [`REQUEST`] with edge-http's `handler` over a [`MemSocket`], as
/// [`serve_picoserve`] does. At most 24 headers, ferrodot's default
/// (edge-http's is 64); the request buffer is ferrodot's rx size.
/// edge-http writes straight to the socket: it has no tx buffer.
pub fn serve_edge<H: edge_http::io::server::Handler>(handler: H) -> ! {
    let mut out = [0u8; 1024];
    let mut rx = [0u8; RX];
    let mut sock = MemSocket::new(black_box(REQUEST), &mut out);
    let fut = edge_http::io::server::handle_connection::<_, _, 24>(&mut sock, &mut rx, None, 0u8, handler);
    let future_size = core::mem::size_of_val(&fut);
    block_on(fut);
    // handle_connection returns nothing: it is done right if it read
    // every request (report.sh checks the answers).
    let ok = sock.drained();
    finish(future_size, ok, black_box(sock.output()))
}
