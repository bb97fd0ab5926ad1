//! `ir-ferrodot WORKLOAD N [check]`: drive N keep-alive requests through
//! ferrodot's connection engine (`serve_connection`) over an in-memory
//! socket, with a minimal `block_on`. Run under
//! `valgrind --tool=callgrind` by run.sh: instructions per request, free of
//! the machine's noise (no syscalls, no executor, no timers).
include!("routes.rs");
include!("../../../requests.rs");

use std::task::{Context, Poll};

use ferrodot::io::{IoError, Transport};

struct MemTransport(Client);

impl Transport for MemTransport {
    fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        Poll::Ready(Ok(self.0.read(buf)))
    }
    fn poll_write(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        Poll::Ready(Ok(self.0.write(buf)))
    }
    fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<Result<(), IoError>> {
        Poll::Ready(Ok(()))
    }
    fn set_deadline(&mut self, _: Option<u32>) {}
}

fn main() {
    let (workload, n, check) = args();
    let mut socket = MemTransport(Client::new(request(&workload), n, check));
    // The same buffer sizes as ferrodot::rt::tokio's defaults.
    let mut rx = vec![0u8; 4096];
    let mut tx = vec![0u8; 4096];
    let client = Some("127.0.0.1:40000".parse().unwrap());
    let result = block_on(ferrodot::server::serve_connection(
        &APP,
        &mut socket,
        &mut rx,
        &mut tx,
        client,
    ));
    if result.is_err() {
        eprintln!("ir-ferrodot: connection ended with {result:?}");
    }
    socket.0.report("ferrodot", n);
}
