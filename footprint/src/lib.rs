//! What every footprint variant shares: the harness (`harness.rs`: an
//! in-memory socket holding a canned request, a poll loop with no executor,
//! and the semihosting output that QEMU prints; the measured binary is the
//! one that runs), and ferrodot's view of its socket.
//!
//! The baseline uses all of this except [`serve`], so the difference in
//! flash between a variant and the baseline is what ferrodot and the
//! app's handlers cost.
#![no_std]

use core::hint::black_box;
use core::task::{Context, Poll};

// The panic handler: halt. ferrodot itself is written not to panic.
use panic_halt as _;

mod harness;
pub use harness::{baseline, block_on, echo, finish, MemError, MemSocket, Rx, Tx, REQUEST};

impl ferrodot::io::Transport for MemSocket<'_> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, ferrodot::io::IoError>> {
        self.rx.poll_take(cx, buf).map(Ok)
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, ferrodot::io::IoError>> {
        self.tx.poll_put(buf).map(Ok)
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ferrodot::io::IoError>> {
        Poll::Ready(Ok(()))
    }

    // No clock here: a deadline never fires.
    fn set_deadline(&mut self, _ms: Option<u32>) {}
}

/// The server's answer the client variant reads.
pub const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n{\"id\":7,\"on\":true}";

/// Serve [`REQUEST`] with `app` over a [`MemSocket`], print the size of
/// the connection future and the response bytes, and exit QEMU.
pub fn serve<S, R: ferrodot::app::Dispatch<S>>(app: &ferrodot::App<S, R>) -> ! {
    serve_request(app, &REQUEST)
}

/// [`serve`] with other request bytes (a variant that needs headers).
pub fn serve_request<S, R: ferrodot::app::Dispatch<S>>(app: &ferrodot::App<S, R>, request: &[u8]) -> ! {
    let mut out = [0u8; 1024];
    let mut rx = [0u8; 1024];
    let mut tx = [0u8; 512];
    let mut sock = MemSocket::new(black_box(request), &mut out);
    let fut = ferrodot::server::serve_connection(app, &mut sock, &mut rx, &mut tx, None);
    let future_size = core::mem::size_of_val(&fut);
    let ok = block_on(fut).is_ok();
    finish(future_size, ok, black_box(sock.output()))
}
