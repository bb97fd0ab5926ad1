//! UDP on embassy-net (features `embassy` and `portal`; embassy-net's `udp`
//! is turned on by `portal`): one socket, one sans-IO responder — the
//! captive-portal DNS on port 53, the mDNS responder on 5353. No heap: the
//! socket's buffers and the datagram buffers are the caller's.
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
/// of payload each way, and one datagram in and one out for the responder.
pub struct UdpBuffers<const P: usize, const B: usize> {
    /// Metadata of the datagrams received and not yet read.
    pub rx_meta: [PacketMetadata; P],
    /// Metadata of the datagrams queued to send.
    pub tx_meta: [PacketMetadata; P],
    /// The socket's receive payload buffer.
    pub rx: [u8; B],
    /// The socket's send payload buffer.
    pub tx: [u8; B],
    /// The datagram being answered, up to 512 bytes (plain DNS over UDP's
    /// limit).
    pub query: [u8; 512],
    /// The reply being written.
    pub reply: [u8; 512],
}

impl<const P: usize, const B: usize> UdpBuffers<P, B> {
    /// Zeroed buffers; `const`, so they can live in a `static`.
    pub const fn new() -> Self {
        UdpBuffers {
            rx_meta: [PacketMetadata::EMPTY; P],
            tx_meta: [PacketMetadata::EMPTY; P],
            rx: [0; B],
            tx: [0; B],
            query: [0; 512],
            reply: [0; 512],
        }
    }
}

impl<const P: usize, const B: usize> Default for UdpBuffers<P, B> {
    fn default() -> Self {
        Self::new()
    }
}

/// Answer every datagram to `port` with what `respond` writes (`Some(len)`),
/// to the sender (arguments: the datagram, the sender's port, the output
/// buffer). A datagram longer than 512 bytes is truncated to 512 before
/// `respond` sees it. Never returns; a failed bind is retried every second.
pub async fn serve<const P: usize, const B: usize>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut UdpBuffers<P, B>,
    mut respond: impl FnMut(&[u8], u16, &mut [u8]) -> Option<usize>,
) -> ! {
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
pub async fn serve_dns<const P: usize, const B: usize>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut UdpBuffers<P, B>,
    dns: crate::portal::dns::Responder,
) -> ! {
    serve(stack, port, buffers, |q, _, out| dns.answer(q, out).map(<[u8]>::len)).await
}

/// [`serve`] for the mDNS responder, unicast replies only (joining the
/// multicast group 224.0.0.251 is the board's interface setup; multicast
/// replies are not sent from here).
pub async fn serve_mdns<const P: usize, const B: usize>(
    stack: Stack<'_>,
    port: u16,
    buffers: &mut UdpBuffers<P, B>,
    mdns: crate::portal::mdns::Responder<'_>,
) -> ! {
    serve(stack, port, buffers, |q, from, out| {
        mdns.answer(q, from, out).filter(|r| r.unicast).map(|r| r.bytes.len())
    })
    .await
}
