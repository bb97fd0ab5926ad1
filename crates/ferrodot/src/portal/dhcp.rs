//! A DHCP server for the device's access point (RFC 2131/2132), sans-IO
//! and heap-free, that hands out the captive-portal URI (RFC 8910,
//! option 114) with each address, so a phone learns of the portal without
//! probing. The caller gives it the time (seconds, any epoch) and sends its
//! replies from UDP port 67 where [`Reply::to`] says (RFC 2131 §4.1): to a
//! relay agent's `giaddr` (port 67), else broadcast to 255.255.255.255:68,
//! else to the client's `ciaddr` (port 68). [`Destination::endpoint`] adds
//! the rule the runtime glue uses for a relay on another port.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use ferrodot::portal::dhcp::{Config, Server};
//!
//! let server: Server<4> = Server::new(Config::new(
//!     Ipv4Addr::new(192, 168, 4, 1),     // the device: server, router and DNS
//!     Ipv4Addr::new(192, 168, 4, 10),    // the first address handed out
//!     "http://192.168.4.1/captive-portal", // RFC 8910 (the RFC 8908 API)
//! ));
//! let mut out = [0u8; 576];
//! assert!(server.handle(&[0; 10], 0, &mut out).is_none()); // not DHCP: nothing
//! ```
//!
//! Leases live in a fixed table of `N` (one address each, from the first
//! address on), keyed by the client's hardware address; an offer holds an
//! address for 60 s, a lease for [`Config::lease_secs`]. Handled:
//! `DISCOVER` → `OFFER`, `REQUEST` → `ACK` or `NAK`, `RELEASE`,
//! `DECLINE`, `INFORM` → `ACK`. Relayed requests are answered to the relay,
//! from the same pool (the pool is not chosen by `giaddr`'s subnet). Not
//! handled: option overload (52), static reservations.

use core::cell::RefCell;
use core::net::Ipv4Addr;

use critical_section::Mutex;

use super::dns::Writer;

const DISCOVER: u8 = 1;
const OFFER: u8 = 2;
const REQUEST: u8 = 3;
const DECLINE: u8 = 4;
const ACK: u8 = 5;
const NAK: u8 = 6;
const RELEASE: u8 = 7;
const INFORM: u8 = 8;
const MAGIC: [u8; 4] = [99, 130, 83, 99];
/// `op` … `file`, then the magic cookie.
const FIXED: usize = 236;
const OFFER_HOLD_SECS: u32 = 60;

/// The server's settings.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// The device's address: the DHCP server identifier, the router and the DNS
    /// server it hands out.
    pub server: Ipv4Addr,
    /// The first address leased; the `N` addresses from it are the pool.
    pub first: Ipv4Addr,
    /// The subnet mask handed out.
    pub netmask: Ipv4Addr,
    /// Lease time, in seconds.
    pub lease_secs: u32,
    /// Option 114, the RFC 8908 API URL (at most 255 bytes; longer is left out).
    pub captive_url: &'static str,
}

impl Config {
    /// A /24, leases of one hour.
    pub const fn new(server: Ipv4Addr, first: Ipv4Addr, captive_url: &'static str) -> Self {
        Config {
            server,
            first,
            netmask: Ipv4Addr::new(255, 255, 255, 0),
            lease_secs: 3600,
            captive_url,
        }
    }
}

#[derive(Clone, Copy)]
struct Lease {
    mac: [u8; 6],
    expires: u32,
}

/// Where a reply goes (RFC 2131 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// 255.255.255.255, port 68: the client has no address yet, asked for a
    /// broadcast, or is told `NAK`.
    Broadcast,
    /// The client's `ciaddr`, port 68 (a renewing client, or `INFORM`).
    Client(Ipv4Addr),
    /// The relay agent at `giaddr`, port 67: it forwards the reply.
    Relay(Ipv4Addr),
}

/// The BOOTP client port.
pub const CLIENT_PORT: u16 = 68;
/// The BOOTP server port, where a relay agent listens too.
pub const SERVER_PORT: u16 = 67;

impl Destination {
    /// The address and port of RFC 2131.
    ///
    /// ```
    /// use core::net::Ipv4Addr;
    /// use ferrodot::portal::dhcp::Destination;
    ///
    /// assert_eq!(Destination::Broadcast.addr(), (Ipv4Addr::BROADCAST, 68));
    /// assert_eq!(Destination::Relay(Ipv4Addr::new(10, 0, 0, 1)).addr(), (Ipv4Addr::new(10, 0, 0, 1), 67));
    /// ```
    pub const fn addr(self) -> (Ipv4Addr, u16) {
        match self {
            Destination::Broadcast => (Ipv4Addr::BROADCAST, CLIENT_PORT),
            Destination::Client(a) => (a, CLIENT_PORT),
            Destination::Relay(a) => (a, SERVER_PORT),
        }
    }

    /// Where to send, given who sent the request (`from`, `port`): as
    /// [`addr`](Self::addr), except that a relayed reply goes to the
    /// request's source port when the relay itself sent it. The relay that
    /// forwarded a request is its sender; one on another port than 67 (a
    /// test client on loopback, a host behind QEMU's port forward) gets its
    /// reply where it listens.
    ///
    /// ```
    /// use core::net::Ipv4Addr;
    /// use ferrodot::portal::dhcp::Destination;
    ///
    /// let relay = Ipv4Addr::new(10, 0, 2, 2);
    /// assert_eq!(Destination::Relay(relay).endpoint(relay, 40000), (relay, 40000));
    /// assert_eq!(Destination::Relay(relay).endpoint(Ipv4Addr::new(10, 0, 2, 9), 40000), (relay, 67));
    /// ```
    pub fn endpoint(self, from: Ipv4Addr, port: u16) -> (Ipv4Addr, u16) {
        match self {
            Destination::Relay(a) if a == from => (a, port),
            other => other.addr(),
        }
    }
}

/// A reply to send from port 67.
#[derive(Debug)]
pub struct Reply<'b> {
    /// The reply message.
    pub bytes: &'b [u8],
    /// Where it goes.
    pub to: Destination,
}

/// The DHCP server with `N` addresses.
pub struct Server<const N: usize> {
    config: Config,
    leases: Mutex<RefCell<[Option<Lease>; N]>>,
}

struct Request {
    kind: u8,
    xid: [u8; 4],
    flags: u16,
    ciaddr: [u8; 4],
    giaddr: [u8; 4],
    chaddr: [u8; 16],
    mac: [u8; 6],
    requested: Option<Ipv4Addr>,
    server_id: Option<Ipv4Addr>,
}

fn get<const K: usize>(msg: &[u8], at: usize) -> Option<[u8; K]> {
    msg.get(at..at.checked_add(K)?)?.try_into().ok()
}

fn parse(msg: &[u8]) -> Option<Request> {
    let [op, htype, hlen, _hops] = get::<4>(msg, 0)?;
    if op != 1 || htype != 1 || hlen != 6 || get::<4>(msg, FIXED)? != MAGIC {
        return None;
    }
    let chaddr = get::<16>(msg, 28)?;
    let mut req = Request {
        kind: 0,
        xid: get::<4>(msg, 4)?,
        flags: u16::from_be_bytes(get::<2>(msg, 10)?),
        ciaddr: get::<4>(msg, 12)?,
        giaddr: get::<4>(msg, 24)?,
        chaddr,
        mac: get::<6>(msg, 28)?,
        requested: None,
        server_id: None,
    };
    let mut rest = msg.get(FIXED.checked_add(4)?..)?;
    loop {
        let (&code, tail) = rest.split_first()?;
        match code {
            0 => rest = tail,
            255 => break,
            _ => {
                let (&len, tail) = tail.split_first()?;
                let len = usize::from(len);
                let value = tail.get(..len)?;
                match (code, value) {
                    (53, &[kind]) => req.kind = kind,
                    (50, &[a, b, c, d]) => req.requested = Some(Ipv4Addr::new(a, b, c, d)),
                    (54, &[a, b, c, d]) => req.server_id = Some(Ipv4Addr::new(a, b, c, d)),
                    _ => {}
                }
                rest = tail.get(len..)?;
            }
        }
    }
    (req.kind != 0).then_some(req)
}

impl<const N: usize> Server<N> {
    /// A server with no leases yet.
    pub const fn new(config: Config) -> Self {
        Server {
            config,
            leases: Mutex::new(RefCell::new([None; N])),
        }
    }

    /// The address of lease slot `i`.
    fn addr(&self, i: usize) -> Option<Ipv4Addr> {
        let base = u32::from(self.config.first);
        Some(Ipv4Addr::from(base.checked_add(u32::try_from(i).ok()?)?))
    }

    fn slot_of(&self, addr: Ipv4Addr) -> Option<usize> {
        let i = usize::try_from(u32::from(addr).checked_sub(u32::from(self.config.first))?).ok()?;
        (i < N).then_some(i)
    }

    /// The client's slot, or a free (or expired) one, held until `until`.
    fn take(&self, mac: [u8; 6], want: Option<usize>, now: u32, until: u32) -> Option<usize> {
        critical_section::with(|cs| {
            let mut leases = self.leases.borrow(cs).borrow_mut();
            let free = |l: &Option<Lease>| l.is_none_or(|l| l.mac == mac || l.expires <= now);
            let i = leases
                .iter()
                .position(|l| l.is_some_and(|l| l.mac == mac))
                .or_else(|| want.filter(|&i| leases.get(i).is_some_and(free)))
                .or_else(|| leases.iter().position(free))?;
            *leases.get_mut(i)? = Some(Lease { mac, expires: until });
            Some(i)
        })
    }

    fn release(&self, mac: [u8; 6]) {
        critical_section::with(|cs| {
            for l in self.leases.borrow(cs).borrow_mut().iter_mut() {
                if l.is_some_and(|l| l.mac == mac) {
                    *l = None;
                }
            }
        });
    }

    /// Whether slot `i` is `mac`'s, or free at `now`.
    fn may_have(&self, mac: [u8; 6], i: usize, now: u32) -> bool {
        critical_section::with(|cs| {
            let leases = self.leases.borrow(cs).borrow();
            let own = leases.iter().position(|l| l.is_some_and(|l| l.mac == mac));
            match own {
                Some(j) => j == i,
                None => leases.get(i).is_some_and(|l| l.is_none_or(|l| l.expires <= now)),
            }
        })
    }

    /// The reply to `msg` at time `now` (seconds), written into `out`
    /// (576 bytes are always enough); `None` when nothing is to be sent.
    pub fn handle<'b>(&self, msg: &[u8], now: u32, out: &'b mut [u8]) -> Option<Reply<'b>> {
        let req = parse(msg)?;
        let ours = req.server_id.is_none_or(|s| s == self.config.server);
        let (kind, yiaddr) = match req.kind {
            DISCOVER => {
                let want = req.requested.and_then(|a| self.slot_of(a));
                let i = self.take(req.mac, want, now, now.saturating_add(OFFER_HOLD_SECS))?;
                (OFFER, self.addr(i)?)
            }
            REQUEST if !ours => {
                // The client took another server's offer.
                self.release(req.mac);
                return None;
            }
            REQUEST => {
                let asked = req
                    .requested
                    .or_else(|| Some(Ipv4Addr::from(req.ciaddr)).filter(|a| !a.is_unspecified()))?;
                match self.slot_of(asked).filter(|&i| self.may_have(req.mac, i, now)) {
                    Some(i) => {
                        let i = self.take(req.mac, Some(i), now, now.saturating_add(self.config.lease_secs))?;
                        (ACK, self.addr(i)?)
                    }
                    None => (NAK, Ipv4Addr::UNSPECIFIED),
                }
            }
            RELEASE | DECLINE if ours => {
                self.release(req.mac);
                return None;
            }
            INFORM => (ACK, Ipv4Addr::UNSPECIFIED),
            _ => return None,
        };
        let mut w = Writer::new(out);
        w.put(&[2, 1, 6, 0])?;
        w.put(&req.xid)?;
        w.u16(0)?;
        // A relay broadcasts a NAK to its client (the client's address may
        // be wrong), when the broadcast bit says so (§4.1).
        w.u16(if kind == NAK { 0x8000 } else { req.flags & 0x8000 })?;
        w.put(if req.kind == INFORM { &req.ciaddr } else { &[0; 4] })?;
        w.put(&yiaddr.octets())?;
        w.put(&[0; 4])?; // siaddr: no boot server
        w.put(&req.giaddr)?;
        w.put(&req.chaddr)?;
        w.put(&[0; 192])?; // sname, file
        w.put(&MAGIC)?;
        w.put(&[53, 1, kind])?;
        w.put(&[54, 4])?;
        w.put(&self.config.server.octets())?;
        if kind != NAK {
            if req.kind != INFORM {
                w.put(&[51, 4])?;
                w.u32(self.config.lease_secs)?;
            }
            w.put(&[1, 4])?;
            w.put(&self.config.netmask.octets())?;
            w.put(&[3, 4])?;
            w.put(&self.config.server.octets())?;
            w.put(&[6, 4])?;
            w.put(&self.config.server.octets())?;
            if let Ok(len) = u8::try_from(self.config.captive_url.len()) {
                if len > 0 {
                    w.put(&[114, len])?;
                    w.put(self.config.captive_url.as_bytes())?;
                }
            }
        }
        w.put(&[255])?;
        // BOOTP's minimum message (300 bytes): some clients drop shorter ones.
        while w.len() < 300 {
            w.put(&[0])?;
        }
        let giaddr = Ipv4Addr::from(req.giaddr);
        let to = if !giaddr.is_unspecified() {
            Destination::Relay(giaddr)
        } else if req.flags & 0x8000 != 0 || req.ciaddr == [0; 4] || kind == NAK {
            Destination::Broadcast
        } else {
            Destination::Client(Ipv4Addr::from(req.ciaddr))
        };
        Some(Reply { bytes: w.finish(), to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    const URL: &str = "http://192.168.4.1/captive-portal";

    fn server() -> Server<2> {
        Server::new(Config::new(
            Ipv4Addr::new(192, 168, 4, 1),
            Ipv4Addr::new(192, 168, 4, 10),
            URL,
        ))
    }

    fn packet(kind: u8, mac: u8, options: &[u8]) -> Vec<u8> {
        let mut p = std::vec![0u8; FIXED];
        p[..4].copy_from_slice(&[1, 1, 6, 0]);
        p[4..8].copy_from_slice(&[0xDE, 0xAD, 0, mac]);
        p[10] = 0x80; // broadcast
        p[28..34].copy_from_slice(&[2, 0, 0, 0, 0, mac]);
        p.extend_from_slice(&MAGIC);
        p.extend_from_slice(&[53, 1, kind]);
        p.extend_from_slice(options);
        p.push(255);
        p
    }

    /// (message type, yiaddr, options as (code, value)).
    fn read(reply: &[u8]) -> (u8, Ipv4Addr, Vec<(u8, Vec<u8>)>) {
        assert_eq!(reply[0], 2);
        assert!(reply.len() >= 300);
        assert_eq!(reply[FIXED..FIXED + 4], MAGIC);
        let yiaddr = Ipv4Addr::new(reply[16], reply[17], reply[18], reply[19]);
        let mut options = Vec::new();
        let mut at = FIXED + 4;
        while reply[at] != 255 {
            let (code, len) = (reply[at], reply[at + 1] as usize);
            options.push((code, reply[at + 2..at + 2 + len].to_vec()));
            at += 2 + len;
        }
        let kind = options.iter().find(|o| o.0 == 53).unwrap().1[0];
        (kind, yiaddr, options)
    }

    fn option(options: &[(u8, Vec<u8>)], code: u8) -> Option<Vec<u8>> {
        options.iter().find(|o| o.0 == code).map(|o| o.1.clone())
    }

    #[test]
    fn discover_request_ack_with_option_114() {
        let s = server();
        let mut out = [0u8; 576];
        let offer = s.handle(&packet(DISCOVER, 1, &[]), 100, &mut out).unwrap();
        assert_eq!(offer.to, Destination::Broadcast);
        let (kind, addr, options) = read(offer.bytes);
        assert_eq!((kind, addr), (OFFER, Ipv4Addr::new(192, 168, 4, 10)));
        assert_eq!(option(&options, 114).unwrap(), URL.as_bytes());
        assert_eq!(option(&options, 6).unwrap(), [192, 168, 4, 1]);
        assert_eq!(option(&options, 54).unwrap(), [192, 168, 4, 1]);
        assert_eq!(offer.bytes[4..8], [0xDE, 0xAD, 0, 1]);
        let req = packet(REQUEST, 1, &[50, 4, 192, 168, 4, 10, 54, 4, 192, 168, 4, 1]);
        let (kind, addr, options) = read(s.handle(&req, 101, &mut out).unwrap().bytes);
        assert_eq!((kind, addr), (ACK, Ipv4Addr::new(192, 168, 4, 10)));
        assert_eq!(option(&options, 51).unwrap(), 3600u32.to_be_bytes());
        // A second client gets the next address; a third finds the pool full.
        let (_, addr, _) = read(s.handle(&packet(DISCOVER, 2, &[]), 102, &mut out).unwrap().bytes);
        assert_eq!(addr, Ipv4Addr::new(192, 168, 4, 11));
        assert!(s.handle(&packet(DISCOVER, 3, &[]), 103, &mut out).is_none());
        // The second one's offer runs out unanswered: the third gets it.
        let (_, addr, _) = read(s.handle(&packet(DISCOVER, 3, &[]), 200, &mut out).unwrap().bytes);
        assert_eq!(addr, Ipv4Addr::new(192, 168, 4, 11));
    }

    #[test]
    fn naks_releases_and_other_servers() {
        let s = server();
        let mut out = [0u8; 576];
        s.handle(&packet(DISCOVER, 1, &[]), 0, &mut out).unwrap();
        // Another client asks for client 1's address: NAK.
        let (kind, _, options) = read(
            s.handle(&packet(REQUEST, 2, &[50, 4, 192, 168, 4, 10]), 1, &mut out)
                .unwrap()
                .bytes,
        );
        assert_eq!(kind, NAK);
        assert_eq!(option(&options, 114), None);
        // Outside the pool: NAK.
        let (kind, ..) = read(
            s.handle(&packet(REQUEST, 2, &[50, 4, 10, 0, 0, 1]), 1, &mut out)
                .unwrap()
                .bytes,
        );
        assert_eq!(kind, NAK);
        // Client 1 chose another server: its offer is released, no reply.
        assert!(s
            .handle(
                &packet(REQUEST, 1, &[54, 4, 10, 9, 9, 9, 50, 4, 192, 168, 4, 10]),
                2,
                &mut out
            )
            .is_none());
        let (kind, addr, _) = read(
            s.handle(&packet(REQUEST, 2, &[50, 4, 192, 168, 4, 10]), 3, &mut out)
                .unwrap()
                .bytes,
        );
        assert_eq!((kind, addr), (ACK, Ipv4Addr::new(192, 168, 4, 10)));
        assert!(s.handle(&packet(RELEASE, 2, &[]), 4, &mut out).is_none());
        let (_, addr, _) = read(
            s.handle(&packet(DISCOVER, 5, &[50, 4, 192, 168, 4, 10]), 5, &mut out)
                .unwrap()
                .bytes,
        );
        assert_eq!(addr, Ipv4Addr::new(192, 168, 4, 10));
        // INFORM: options, no address, no lease time.
        let (kind, addr, options) = read(s.handle(&packet(INFORM, 7, &[]), 6, &mut out).unwrap().bytes);
        assert_eq!((kind, addr, option(&options, 51)), (ACK, Ipv4Addr::UNSPECIFIED, None));
        assert_eq!(option(&options, 114).unwrap(), URL.as_bytes());
    }

    /// `packet` with the broadcast flag cleared, `ciaddr` and `giaddr` set.
    fn addressed(kind: u8, mac: u8, options: &[u8], ciaddr: [u8; 4], giaddr: [u8; 4]) -> Vec<u8> {
        let mut p = packet(kind, mac, options);
        p[10] = 0;
        p[12..16].copy_from_slice(&ciaddr);
        p[24..28].copy_from_slice(&giaddr);
        p
    }

    #[test]
    fn replies_are_addressed_as_rfc_2131_says() {
        let s = server();
        let mut out = [0u8; 576];
        let relay = [10, 1, 2, 3];
        let relay_ip = Ipv4Addr::from(relay);
        // Relayed: to the relay at giaddr, port 67, whatever the flags; giaddr is copied back.
        let offer = s.handle(&packet(DISCOVER, 1, &[]), 0, &mut out).unwrap();
        assert_eq!(offer.to, Destination::Broadcast);
        let offer = s
            .handle(&addressed(DISCOVER, 1, &[], [0; 4], relay), 0, &mut out)
            .unwrap();
        assert_eq!(offer.to, Destination::Relay(relay_ip));
        assert_eq!(offer.to.addr(), (relay_ip, 67));
        assert_eq!(offer.bytes[24..28], relay);
        assert_eq!(offer.bytes[10] & 0x80, 0);
        let mut flagged = addressed(DISCOVER, 1, &[], [0; 4], relay);
        flagged[10] = 0x80;
        assert_eq!(
            s.handle(&flagged, 0, &mut out).unwrap().to,
            Destination::Relay(relay_ip)
        );
        // A NAK through a relay: to the relay, with the broadcast bit set for it.
        let nak = s
            .handle(
                &addressed(REQUEST, 2, &[50, 4, 10, 0, 0, 1], [0; 4], relay),
                1,
                &mut out,
            )
            .unwrap();
        assert_eq!((read(nak.bytes).0, nak.to), (NAK, Destination::Relay(relay_ip)));
        assert_eq!(nak.bytes[10] & 0x80, 0x80);
        // No relay, no broadcast flag, no ciaddr: broadcast (no ARP entry to unicast to).
        let offer = s
            .handle(&addressed(DISCOVER, 3, &[], [0; 4], [0; 4]), 2, &mut out)
            .unwrap();
        assert_eq!(offer.to, Destination::Broadcast);
        // A renewing client (ciaddr set): unicast to ciaddr:68.
        let ip = [192, 168, 4, 10];
        let ack = s.handle(&addressed(REQUEST, 1, &[], ip, [0; 4]), 3, &mut out).unwrap();
        assert_eq!(
            (read(ack.bytes).0, ack.to),
            (ACK, Destination::Client(Ipv4Addr::from(ip)))
        );
        assert_eq!(ack.to.addr(), (Ipv4Addr::from(ip), 68));
        // ... but broadcast when it asks for it, and NAKs always broadcast.
        let mut flagged = addressed(REQUEST, 1, &[], ip, [0; 4]);
        flagged[10] = 0x80;
        assert_eq!(s.handle(&flagged, 4, &mut out).unwrap().to, Destination::Broadcast);
        let nak = s
            .handle(&addressed(REQUEST, 9, &[], [192, 168, 4, 10], [0; 4]), 5, &mut out)
            .unwrap();
        assert_eq!((read(nak.bytes).0, nak.to), (NAK, Destination::Broadcast));
        // INFORM from a configured client: to its ciaddr.
        let inform = s
            .handle(&addressed(INFORM, 7, &[], [192, 168, 4, 77], [0; 4]), 6, &mut out)
            .unwrap();
        assert_eq!(inform.to, Destination::Client(Ipv4Addr::new(192, 168, 4, 77)));
        assert_eq!(inform.bytes[12..16], [192, 168, 4, 77]);
    }

    #[test]
    fn relayed_replies_go_to_the_sending_relays_port() {
        let relay = Ipv4Addr::new(127, 0, 0, 1);
        let other = Ipv4Addr::new(10, 0, 0, 9);
        assert_eq!(Destination::Relay(relay).endpoint(relay, 40000), (relay, 40000));
        // Forwarded by someone else: the relay's own port 67.
        assert_eq!(Destination::Relay(relay).endpoint(other, 40000), (relay, 67));
        // Client and broadcast replies keep port 68 whoever sent the request.
        assert_eq!(Destination::Client(other).endpoint(other, 40000), (other, 68));
        assert_eq!(Destination::Broadcast.endpoint(relay, 40000), (Ipv4Addr::BROADCAST, 68));
    }

    #[test]
    fn malformed_packets_get_nothing() {
        let s = server();
        let mut out = [0u8; 576];
        let good = packet(DISCOVER, 1, &[12, 3, b'c', b'a', b'm']);
        for n in 0..good.len() {
            assert!(s.handle(&good[..n], 0, &mut out).is_none(), "{n} bytes");
        }
        let mut reply = good.clone();
        reply[0] = 2;
        assert!(s.handle(&reply, 0, &mut out).is_none());
        let mut bad_magic = good.clone();
        bad_magic[FIXED] = 0;
        assert!(s.handle(&bad_magic, 0, &mut out).is_none());
        let mut overlong = good.clone();
        let at = overlong.len() - 5;
        overlong[at] = 200; // option 12 claims 200 bytes
        assert!(s.handle(&overlong, 0, &mut out).is_none());
        for n in 0..300 {
            let mut small = std::vec![0u8; n];
            assert!(s.handle(&good, 0, &mut small).is_none());
        }
    }
}
