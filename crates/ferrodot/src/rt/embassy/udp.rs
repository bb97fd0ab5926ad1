//! UDP on embassy-net (features `embassy` and `portal`; embassy-net's `udp`
//! and `multicast` are turned on by `portal`): one socket, one sans-IO
//! responder — the captive-portal DNS on port 53, the mDNS responder on
//! 5353, the DHCP server on 67. No heap: the socket's buffers and the
//! datagram buffers are the caller's.
//!
//! ```ignore
//! use ferrodot::portal::dns::Responder;
//! use ferrodot::rt::embassy::udp::{serve_dns, UdpBuffers};
//!
//! static BUFFERS: StaticCell<UdpBuffers<4, 1024>> = StaticCell::new();
//! #[embassy_executor::task]
//! async fn dns_task(stack: Stack<'static>) -> ! {
//!     let dns = Responder::new(Ipv4Addr::new(192, 168, 4, 1));
//!     serve_dns(stack, 53, BUFFERS.init(UdpBuffers::new()), dns).await
//! }
//! ```

use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::Stack;

/// A UDP socket's buffers: `P` datagrams of metadata each way, `B` bytes
/// of payload each way, and one datagram of `D` bytes in and one out for
/// the responder (512 by default, DNS's limit; DHCP needs 576).
pub struct UdpBuffers<const P: usize, const B: usize, const D: usize = 512> {
    /// Metadata of the datagrams received and not yet read.
    pub rx_meta: [PacketMetadata; P],
    /// Metadata of the datagrams queued to send.
    pub tx_meta: [PacketMetadata; P],
    /// The socket's receive payload buffer.
    pub rx: [u8; B],
    /// The socket's send payload buffer.
    pub tx: [u8; B],
    /// The datagram being answered, up to `D` bytes.
    pub query: [u8; D],
    /// The reply being written.
    pub reply: [u8; D],
}

impl<const P: usize, const B: usize, const D: usize> UdpBuffers<P, B, D> {
    /// Zeroed buffers; `const`, so they can live in a `static`.
    pub const fn new() -> Self {
        UdpBuffers {
            rx_meta: [PacketMetadata::EMPTY; P],
            tx_meta: [PacketMetadata::EMPTY; P],
            rx: [0; B],
            tx: [0; B],
            query: [0; D],
            reply: [0; D],
        }
    }
}

impl<const P: usize, const B: usize, const D: usize> Default for UdpBuffers<P, B, D> {
    fn default() -> Self {
        Self::new()
    }
}

/// A socket bound to `port` (retried every second until it binds), and
/// the datagram buffers.
async fn bind<'a, const P: usize, const B: usize, const D: usize>(
    stack: Stack<'a>,
    port: u16,
    buffers: &'a mut UdpBuffers<P, B, D>,
) -> (UdpSocket<'a>, &'a mut [u8; D], &'a mut [u8; D]) {
    let UdpBuffers {
        rx_meta,
        tx_meta,
        rx,
        tx,
        query,
        reply,
    } = buffers;
    let mut socket = UdpSocket::new(stack, rx_meta, rx, tx_meta, tx);
    while socket.bind(port).is_err() {
        embassy_time::Timer::after(embassy_time::Duration::from_secs(1)).await;
    }
    (socket, query, reply)
}

/// Answer every datagram to `port` with what `respond` writes (`Some(len)`),
/// to the sender (arguments: the datagram, the sender's port, the output
/// buffer). A datagram longer than `D` bytes is truncated to `D` before
/// `respond` sees it. Never returns; a failed bind is retried every second.
pub async fn serve<const P: usize, const B: usize, const D: usize>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut UdpBuffers<P, B, D>,
    respond: impl FnMut(&[u8], u16, &mut [u8]) -> Option<usize>,
) -> ! {
    let (socket, query, reply) = bind(stack, port, buffers).await;
    answer_all(&socket, query, reply, respond).await
}

/// The loop of [`serve`], on a socket already bound.
async fn answer_all(
    socket: &UdpSocket<'_>,
    query: &mut [u8],
    reply: &mut [u8],
    mut respond: impl FnMut(&[u8], u16, &mut [u8]) -> Option<usize>,
) -> ! {
    loop {
        let Ok((n, meta)) = socket.recv_from(query).await else {
            continue;
        };
        let Some(datagram) = query.get(..n) else { continue };
        if let Some(len) = respond(datagram, meta.endpoint.port, reply) {
            if let Some(bytes) = reply.get(..len) {
                let _ = socket.send_to(bytes, meta.endpoint).await;
            }
        }
    }
}

/// [`serve`] for the captive-portal DNS responder (port 53 on a device).
pub async fn serve_dns<const P: usize, const B: usize, const D: usize>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut UdpBuffers<P, B, D>,
    dns: crate::portal::dns::Responder,
) -> ! {
    serve(stack, port, buffers, |q, _, out| dns.answer(q, out).map(<[u8]>::len)).await
}

/// [`serve`] for the mDNS responder on `port` (5353). Once the stack has
/// its address, joins the group 224.0.0.251 (a full group table or an
/// interface without multicast only means queries sent to the group are
/// not seen: unicast ones still are) and sends
/// [`Responder::announcement`](crate::portal::mdns::Responder::announcement)
/// to 224.0.0.251:5353 twice, one second apart (RFC 6762 §8.3), then
/// answers queries. Replies are unicast only: a query that wants a
/// multicast reply gets none (the random delay and known-answer
/// suppression of a multicast responder are not done). No probing (§8.1):
/// the name is assumed to be ours.
pub async fn serve_mdns<const P: usize, const B: usize, const D: usize>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut UdpBuffers<P, B, D>,
    mdns: crate::portal::mdns::Responder<'_>,
) -> ! {
    use crate::portal::mdns::{GROUP, PORT};
    let (socket, query, reply) = bind(stack, port, buffers).await;
    // Before the address is up there is nothing to announce from.
    stack.wait_config_up().await;
    // Library code: a failed join is not logged; unicast queries still work.
    let _ = stack.join_multicast_group(GROUP);
    if let Some(announcement) = mdns.announcement(reply) {
        let to = core::net::SocketAddrV4::new(GROUP, PORT);
        for i in 0..2 {
            if i > 0 {
                embassy_time::Timer::after(embassy_time::Duration::from_secs(1)).await;
            }
            let _ = socket.send_to(announcement, to).await;
        }
    }
    answer_all(&socket, query, reply, |q, from, out| {
        mdns.answer(q, from, out).filter(|r| r.unicast).map(|r| r.bytes.len())
    })
    .await
}

/// Serves DHCP on `port` (67) with `dhcp`, the time in embassy-time
/// seconds. Replies go where `Destination::endpoint` says: broadcast
/// (smoltcp sends to 255.255.255.255), the client's `ciaddr`, or the relay
/// agent at `giaddr` — at the request's source port when the relay itself
/// sent it. Use `D` = 576, the message size every DHCP peer must accept
/// (a smaller reply buffer drops replies with a long option 114). Never
/// returns; a failed bind is retried every second.
///
/// ```ignore
/// use ferrodot::portal::dhcp::{Config, Server};
/// use ferrodot::rt::embassy::udp::{serve_dhcp, UdpBuffers};
///
/// static DHCP: Server<8> = Server::new(Config::new(
///     Ipv4Addr::new(192, 168, 4, 1),
///     Ipv4Addr::new(192, 168, 4, 10),
///     "http://192.168.4.1/captive-portal",
/// ));
/// static BUFFERS: StaticCell<UdpBuffers<2, 1200, 576>> = StaticCell::new();
/// #[embassy_executor::task]
/// async fn dhcp_task(stack: Stack<'static>) -> ! {
///     serve_dhcp(stack, 67, BUFFERS.init(UdpBuffers::new()), &DHCP).await
/// }
/// ```
pub async fn serve_dhcp<const P: usize, const B: usize, const D: usize, const N: usize>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut UdpBuffers<P, B, D>,
    dhcp: &crate::portal::dhcp::Server<N>,
) -> ! {
    let (socket, query, reply) = bind(stack, port, buffers).await;
    loop {
        let Ok((n, meta)) = socket.recv_from(query).await else {
            continue;
        };
        let core::net::IpAddr::V4(from) = core::net::IpAddr::from(meta.endpoint.addr) else {
            continue;
        };
        let Some(msg) = query.get(..n) else { continue };
        let now = u32::try_from(embassy_time::Instant::now().as_secs()).unwrap_or(u32::MAX);
        if let Some(out) = dhcp.handle(msg, now, reply) {
            let (addr, port) = out.to.endpoint(from, meta.endpoint.port);
            let _ = socket
                .send_to(out.bytes, core::net::SocketAddrV4::new(addr, port))
                .await;
        }
    }
}
