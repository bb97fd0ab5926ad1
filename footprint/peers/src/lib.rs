//! What the peer variants share: footprint's own harness (`../src/harness.rs`,
//! included as it is: the same canned requests, in-memory socket, poll loop
//! and semihosting output, and no ferrodot in it), and picoserve's and
//! edge-http's views of that socket. `peers_baseline` echoes through it like
//! footprint's `baseline`: each peer's flash is measured over it.
#![no_std]

use core::hint::black_box;

use panic_halt as _;

#[path = "../../src/harness.rs"]
mod harness;
pub use harness::{baseline, block_on, decimal, echo, finish, MemError, MemSocket, Rx, Tx, REQUEST};

/// ferrodot's buffers in footprint: rx 1024 B, tx 512 B.
pub const RX: usize = 1024;
pub const TX: usize = 512;

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

/// Serve [`REQUEST`] with picoserve's `app` over a [`MemSocket`], print
/// the size of the connection future and the response, exit QEMU.
pub fn serve_picoserve<P: picoserve::routing::PathRouter>(app: &picoserve::Router<P>) -> ! {
    // Defaults, but keep-alive: picoserve closes after one request by
    // default, and the canned requests are three on one connection (as
    // ferrodot serves them).
    let config = picoserve::Config::const_default().keep_connection_alive();
    let mut out = [0u8; 1024];
    let mut rx = [0u8; RX];
    let mut sock = MemSocket::new(black_box(&REQUEST), &mut out);
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
    let mut sock = MemSocket::new(black_box(&REQUEST), &mut out);
    let fut = edge_http::io::server::handle_connection::<_, _, 24>(&mut sock, &mut rx, None, 0u8, handler);
    let future_size = core::mem::size_of_val(&fut);
    block_on(fut);
    // handle_connection returns nothing: it is done right if it read
    // every request (report.sh checks the answers).
    let ok = sock.drained();
    finish(future_size, ok, black_box(sock.output()))
}
