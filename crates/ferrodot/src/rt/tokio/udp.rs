//! UDP on tokio (features `tokio` and `portal`): one socket, one sans-IO
//! responder — the captive-portal DNS, the mDNS responder and the DHCP
//! server.
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
/// No announcement and no group join, on purpose: the host demo must send
/// no multicast off the machine (the embassy glue announces on a device).
pub async fn serve_mdns(socket: UdpSocket, mdns: crate::portal::mdns::Responder<'_>) -> io::Result<()> {
    serve(socket, |query, from, out| {
        mdns.answer(query, from.port(), out).map(|r| r.bytes.len())
    })
    .await
}

/// Serves DHCP on `socket` (bound to port 67 on a device, any port in a
/// test) with `dhcp`, until the socket fails. The time `dhcp` sees is a
/// monotonic clock in seconds from the call. Turns on `SO_BROADCAST`:
/// replies to clients without an address go to 255.255.255.255:68. A
/// relayed reply goes to the relay agent at `giaddr`, port 67 — or to the
/// request's source port when the relay itself sent it
/// (`Destination::endpoint`): that is how a test client acting as a relay
/// gets its replies on loopback.
///
/// ```no_run
/// use core::net::Ipv4Addr;
/// use ferrodot::portal::dhcp::{Config, Server};
///
/// # async fn run() -> std::io::Result<()> {
/// static DHCP: Server<16> = Server::new(Config::new(
///     Ipv4Addr::new(192, 168, 4, 1),
///     Ipv4Addr::new(192, 168, 4, 10),
///     "http://192.168.4.1/captive-portal",
/// ));
/// let socket = tokio::net::UdpSocket::bind("0.0.0.0:67").await?;
/// ferrodot::rt::tokio::udp::serve_dhcp(socket, &DHCP).await
/// # }
/// ```
pub async fn serve_dhcp<const N: usize>(socket: UdpSocket, dhcp: &crate::portal::dhcp::Server<N>) -> io::Result<()> {
    socket.set_broadcast(true)?;
    let start = std::time::Instant::now();
    // 576 bytes: what every DHCP peer must accept (RFC 2131 §2); longer is read whole.
    let mut rx = [0u8; 1500];
    let mut tx = [0u8; 576];
    loop {
        let (n, from) = match socket.recv_from(&mut rx).await {
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
            Err(e) => return Err(e),
        };
        let SocketAddr::V4(from) = from else { continue };
        let Some(msg) = rx.get(..n) else { continue };
        let now = u32::try_from(start.elapsed().as_secs()).unwrap_or(u32::MAX);
        if let Some(reply) = dhcp.handle(msg, now, &mut tx) {
            let to = reply.to.endpoint(*from.ip(), from.port());
            let _ = socket.send_to(reply.bytes, to).await;
        }
    }
}
