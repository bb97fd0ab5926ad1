//! UDP on tokio (features `tokio` and `portal`): one socket, one sans-IO
//! responder — the captive-portal DNS and the mDNS responders.
//!
//! ```no_run
//! use core::net::Ipv4Addr;
//! use ferrodot::portal::dns::Responder;
//!
//! # async fn run() -> std::io::Result<()> {
//! let socket = tokio::net::UdpSocket::bind("127.0.0.1:5300").await?;
//! let dns = Responder::new(Ipv4Addr::LOCALHOST);
//! ferrodot::rt::tokio::udp::serve(socket, |query, _from, out| dns.answer(query, out).map(<[u8]>::len)).await
//! # }
//! ```

use std::io;
use std::net::SocketAddr;

use tokio::net::UdpSocket;

/// Answer every datagram on `socket` with what `respond` writes into its
/// output buffer (`Some(len)`), to the sender; `None` sends nothing.
/// Runs until the socket fails; a failed send to one peer is ignored.
pub async fn serve(
    socket: UdpSocket,
    mut respond: impl FnMut(&[u8], SocketAddr, &mut [u8]) -> Option<usize>,
) -> io::Result<()> {
    let mut rx = [0u8; 1500];
    let mut tx = [0u8; 1500];
    loop {
        let (n, from) = match socket.recv_from(&mut rx).await {
            Ok(got) => got,
            // An ICMP "port unreachable" from an earlier reply (Linux reports it here).
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
            Err(e) => return Err(e),
        };
        let Some(query) = rx.get(..n) else { continue };
        if let Some(len) = respond(query, from, &mut tx) {
            if let Some(reply) = tx.get(..len) {
                let _ = socket.send_to(reply, from).await;
            }
        }
    }
}

/// [`serve`] for the captive-portal DNS responder.
pub async fn serve_dns(socket: UdpSocket, dns: crate::portal::dns::Responder) -> io::Result<()> {
    serve(socket, |query, _, out| dns.answer(query, out).map(<[u8]>::len)).await
}

/// [`serve`] for the mDNS responder, answering unicast: every reply goes to
/// the sender (a host socket on a test port is not in the multicast group).
pub async fn serve_mdns(socket: UdpSocket, mdns: crate::portal::mdns::Responder<'_>) -> io::Result<()> {
    serve(socket, |query, from, out| {
        mdns.answer(query, from.port(), out).map(|r| r.bytes.len())
    })
    .await
}
