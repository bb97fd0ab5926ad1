//! `ir-picoserve WORKLOAD N [check]`: drive N keep-alive requests through
//! picoserve's server over the same in-memory bytes as `ir-ferrodot`
//! (picoserve's own `Socket`/`Read`/`Write` traits, a timer that never
//! fires, a minimal `block_on`), for `valgrind --tool=callgrind`.
include!("routes.rs");
include!("../../../requests.rs");

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;

use picoserve::io::{BaseWrite, ErrorType, Read, Write};
use picoserve::mem::{BorrowedBuffer, BorrowedCursor};
use picoserve::time::Duration;

/// The runtime marker of this driver.
struct Mem;

struct NeverTimer;

impl picoserve::Timer<Mem> for NeverTimer {
    fn delay(&self, _: Duration) -> impl Future<Output = ()> {
        std::future::pending()
    }
}

struct MemSocket<'c>(&'c RefCell<Client>);
struct Half<'c>(&'c RefCell<Client>);

impl ErrorType for Half<'_> {
    type Error = Infallible;
}

impl Read for Half<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        Ok(self.0.borrow_mut().read(buf))
    }
}

impl BaseWrite for Half<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        Ok(self.0.borrow_mut().write(buf))
    }
    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl Write for Half<'_> {
    // Like picoserve's own tokio socket: lend a 1 KiB stack buffer, then
    // hand what was filled to the socket.
    async fn write_with<F: FnOnce(BorrowedCursor<'_>) -> R, R>(&mut self, f: F) -> Result<R, Infallible> {
        let mut buffer = [0u8; 1024];
        let mut buffer = BorrowedBuffer::new(&mut buffer);
        let out = f(buffer.unfilled());
        self.0.borrow_mut().write(buffer.filled());
        Ok(out)
    }
}

impl<'c> picoserve::io::Socket<Mem> for MemSocket<'c> {
    type Error = Infallible;
    type ReadHalf<'a>
        = Half<'c>
    where
        Self: 'a;
    type WriteHalf<'a>
        = Half<'c>
    where
        Self: 'a;

    fn split(&mut self) -> (Half<'c>, Half<'c>) {
        (Half(self.0), Half(self.0))
    }
    async fn abort<T: picoserve::Timer<Mem>>(
        self,
        _: &picoserve::Timeouts,
        _: &T,
    ) -> Result<(), picoserve::Error<Infallible>> {
        Ok(())
    }
    async fn shutdown<T: picoserve::Timer<Mem>>(
        self,
        _: &picoserve::Timeouts,
        _: &T,
    ) -> Result<(), picoserve::Error<Infallible>> {
        Ok(())
    }
}

fn main() {
    let (workload, n, check) = args();
    let client = RefCell::new(Client::new(request(&workload), n, check));
    let app = app();
    static CONFIG: picoserve::Config = picoserve::Config::const_default().keep_connection_alive();
    let mut buffer = [0u8; 2048];
    let server = picoserve::Server::custom(&app, NeverTimer, &CONFIG, &mut buffer);
    if let Err(e) = block_on(server.serve(MemSocket(&client))) {
        eprintln!("ir-picoserve: connection ended with {e:?}");
    }
    client.borrow().report("picoserve", n);
}
