//! Accepting connections without the costly misses of the usual loop.
//!
//! tokio's `TcpListener::accept` accepts until the queue is empty, so every
//! wake-up ends with an `accept4` that fails with `EAGAIN` — and on Linux a
//! failed `accept4` is not cheap: it allocates a socket inode and a file
//! before looking at the queue and frees them again (≈ 4 µs here, against
//! ≈ 0.3 µs for a `poll` of the listener). It then marks the accepted
//! stream readable, so the first read of a fresh connection, whose request
//! has usually not arrived yet, is another miss before the wait. With
//! `Connection: close` those misses were a twelfth of the server's CPU time
//! per request. Here the queue is looked at with `poll` before an accept
//! that might find it empty, and an accepted stream waits for its first
//! readiness event before reading.
//!
//! With [`ServerOptions::defer_accept`](super::ServerOptions), the kernel
//! hands over a connection only once its first bytes are there, so the
//! socket is read at once and registered with the reactor only if it
//! has to wait.

use std::io;
use std::net::SocketAddr;

use socket2::Socket;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::net::{TcpListener, TcpStream};

use super::Connection;

pub(super) struct Acceptor {
    listener: AsyncFd<Socket>,
    /// Whether the queue may be empty although the reactor said readable:
    /// after an accept succeeded, until readiness is next consumed.
    may_be_empty: bool,
    /// Whether the kernel defers accepting until data arrives.
    deferred: bool,
    /// Whether accepted sockets inherit `TCP_NODELAY` from the listener,
    /// learnt from the first one.
    nodelay_inherited: Option<bool>,
}

impl Acceptor {
    /// Take over a bound listener (within the runtime); `deferred`:
    /// whether [`defer_accept`] took effect on it.
    #[allow(unsafe_code)]
    pub(super) fn new(listener: TcpListener, deferred: bool) -> io::Result<Acceptor> {
        let listener = Socket::from(listener.into_std()?);
        // SAFETY: the `Socket` owns its descriptor and closes it only when
        // dropped, which is after the `AsyncFd` deregisters it; its
        // `as_raw_fd` always returns that one descriptor.
        let listener =
            unsafe { AsyncFd::register_with_interest(listener, Interest::READABLE) }.map_err(|e| e.into_parts().1)?;
        Ok(Acceptor {
            listener,
            may_be_empty: false,
            deferred,
            nodelay_inherited: None,
        })
    }

    /// The next connection, not yet read.
    pub(super) async fn accept(&mut self) -> io::Result<(Connection, SocketAddr)> {
        let (socket, peer) = self.next_socket().await?;
        // Responses are whole writes: Nagle's algorithm would only delay
        // them. Set once on the listener, an accepted socket usually has it
        // already (checked on the first connection).
        if !*self
            .nodelay_inherited
            .get_or_insert_with(|| socket.tcp_nodelay().unwrap_or(false))
        {
            let _ = socket.set_tcp_nodelay(true);
        }
        let peer = peer
            .as_socket()
            .ok_or_else(|| io::Error::other("peer is not an IP address"))?;
        let stream = std::net::TcpStream::from(socket);
        if self.deferred {
            // Its request is (at least partly) there: read before registering.
            Ok((Connection::Unregistered(stream), peer))
        } else {
            // Not `TcpListener::accept`'s stream: this one is not assumed
            // readable, so its first read waits for data.
            Ok((Connection::Registered(TcpStream::from_std(stream)?), peer))
        }
    }

    async fn next_socket(&mut self) -> io::Result<(Socket, socket2::SockAddr)> {
        loop {
            let mut ready = self.listener.readable().await?;
            if self.may_be_empty && !connection_waiting(ready.get_ref().get_ref()) {
                ready.clear_ready();
                self.may_be_empty = false;
                continue;
            }
            match ready.try_io(|listener| accept_nonblocking(listener.get_ref())) {
                Ok(Ok(accepted)) => {
                    self.may_be_empty = true;
                    return Ok(accepted);
                }
                Ok(Err(e)) => return Err(e),
                // `try_io` cleared the readiness: wait for the next event.
                Err(_would_block) => self.may_be_empty = false,
            }
        }
    }
}

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd"
))]
fn accept_nonblocking(listener: &Socket) -> io::Result<(Socket, socket2::SockAddr)> {
    listener.accept4(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd"
)))]
fn accept_nonblocking(listener: &Socket) -> io::Result<(Socket, socket2::SockAddr)> {
    let (socket, peer) = listener.accept()?;
    socket.set_nonblocking(true)?;
    Ok((socket, peer))
}

/// Whether a connection waits in the listener's accept queue, without
/// accepting it. An error answers yes: the accept that follows reports it.
#[allow(unsafe_code)]
fn connection_waiting(listener: &Socket) -> bool {
    use std::os::fd::AsRawFd;
    let mut query = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `query` is one initialised `pollfd` that outlives the call,
    // and `nfds` is 1; a zero timeout never blocks. `poll` only writes
    // `revents`.
    let ready = unsafe { libc::poll(&mut query, 1, 0) };
    ready != 0
}

/// `TCP_DEFER_ACCEPT` for one second (Linux): a connection that has sent
/// nothing stays in the kernel (which retransmits its SYN-ACK) and is handed
/// over once data arrives — or after the second, as a plain connection, so
/// the header timeout still applies. Whether it took effect.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[allow(unsafe_code)]
pub(super) fn defer_accept(listener: &TcpListener) -> bool {
    use std::os::fd::AsRawFd;
    let seconds: libc::c_int = 1;
    // SAFETY: the option value is a `c_int` on the stack that outlives the
    // call, and the length given is its size.
    let status = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            std::ptr::from_ref(&seconds).cast(),
            libc::socklen_t::try_from(core::mem::size_of::<libc::c_int>()).unwrap_or(4),
        )
    };
    status == 0
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn defer_accept(_listener: &TcpListener) -> bool {
    false
}
