//! The footprint harness both crates build from this one file (`footprint`
//! and `footprint/peers`, which `#[path]`-includes it), so ferrodot's variants
//! and the peers' are measured over the very same code: the canned requests,
//! an in-memory socket, a poll loop with no executor, the baseline's echo
//! and the semihosting output that QEMU prints.
//!
//! The socket is split into a read and a write half, as picoserve's
//! `Socket` and edge-nal's `TcpSplit` want; reads hand over at most one
//! 48-byte segment and every other read is `Pending` first, so heads and
//! bodies arrive in pieces and the poll loop runs.

use core::future::{poll_fn, Future};
use core::hint::black_box;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use cortex_m_semihosting::{debug, hio};

/// Three pipelined requests on one connection: the hello route, the
/// JSON GET and the JSON POST (which closes). Every variant gets the
/// same bytes, so they cancel out of the size deltas. Input, not
/// firmware: in a section of its own that the report does not count
/// (`report.sh` sums `.text` and `.rodata`), like every canned request.
#[link_section = ".canned_request"]
pub static REQUEST: [u8; 188] = *b"GET / HTTP/1.1\r\nHost: dev\r\n\r\n\
GET /api/led/7 HTTP/1.1\r\nHost: dev\r\n\r\n\
POST /api/led/7 HTTP/1.1\r\nHost: dev\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n\
{\"on\":true}";

/// Most bytes one read hands over, like a small TCP segment.
const SEGMENT: usize = 48;

/// The read half: drains `input`, one segment at a time.
pub struct Rx<'a> {
    pub(crate) input: &'a [u8],
    stall: bool,
}

/// The write half: fills `output`.
pub struct Tx<'a> {
    pub(crate) output: &'a mut [u8],
    pub(crate) written: usize,
}

/// Both halves: what a server is handed.
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

/// Poll `fut` until it is ready. Wakers are no-ops: this loop polls again
/// at once, which is all a socket that never blocks for real needs.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// The baseline's work: the same socket and poll loop, no HTTP. Read
/// every byte and write it back, as a TCP echo would.
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
    let mut sock = MemSocket::new(black_box(&REQUEST), &mut out);
    let fut = echo(&mut sock, &mut buf);
    let future_size = core::mem::size_of_val(&fut);
    let ok = block_on(fut).is_ok();
    finish(future_size, ok, black_box(sock.output()))
}

/// Print `future=<bytes>`, `result=ok|error` and the output between two
/// `----` lines, then exit QEMU. No `core::fmt`: it would hide a server's
/// own formatting cost behind the baseline's.
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
