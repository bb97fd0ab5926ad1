//! The mDNS responder (RFC 6762, DNS-SD RFC 6763), sans-IO: answers the
//! questions about one host name and its HTTP service.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use ferrodot::portal::mdns::Responder;
//!
//! let mdns = Responder::new("camera", Ipv4Addr::new(192, 168, 1, 42), 80);
//! // `dig @HOST -p 5353 camera.local A` asks from an ordinary port: a
//! // "legacy unicast" query (§6.7), answered to the sender with its ID.
//! let mut query = vec![0xAB, 0xCD, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
//! query.extend_from_slice(b"\x06camera\x05local\x00\x00\x01\x00\x01");
//! let mut out = [0u8; 512];
//! let reply = mdns.answer(&query, 40000, &mut out).expect("an answer");
//! assert!(reply.unicast);
//! assert_eq!(&reply.bytes[..2], &[0xAB, 0xCD]);
//! assert_eq!(&reply.bytes[reply.bytes.len() - 4..], &[192, 168, 1, 42]);
//! // Other names are not ours: no answer at all (mDNS sends no errors).
//! let mut other = query[..12].to_vec();
//! other.extend_from_slice(b"\x05other\x05local\x00\x00\x01\x00\x01");
//! assert!(mdns.answer(&other, 40000, &mut out).is_none());
//! ```
//!
//! # What it answers
//!
//! | question | answer | additional |
//! |---|---|---|
//! | `NAME.local` `A` / `ANY` | `A`: the address | — |
//! | `_http._tcp.local` `PTR` / `ANY` | `PTR` → `NAME._http._tcp.local` | its `SRV`, `TXT`, and `A` |
//! | `NAME._http._tcp.local` `SRV` / `TXT` / `ANY` | `SRV` (priority 0, weight 0, the port, target `NAME.local`) / `TXT` | `A` |
//! | `_services._dns-sd._udp.local` `PTR` (RFC 6763 §9) | `PTR` → `_http._tcp.local` | — |
//!
//! Names are compared without regard to ASCII case. Questions about other
//! names, other types (`AAAA` included: the device has no IPv6 address to
//! give) and malformed or response packets get no reply: a multicast
//! responder answers only what it owns, and never with an error.
//!
//! A query from a source port other than 5353 is a *legacy unicast* query
//! (§6.7): the reply repeats its ID and its questions, goes to the sender
//! by unicast ([`Reply::unicast`]), and its TTLs are at most 10 s, without
//! the cache-flush bit. From port 5353 the reply has ID 0 and no
//! questions, the cache-flush bit on the unique records (`A`, `SRV`,
//! `TXT`), and TTLs of 120 s (host and `SRV`) and 4500 s (`PTR`, `TXT`) as
//! §10 recommends; it is multicast unless every question asked for a
//! unicast reply (the `QU` bit, §5.4).
//!
//! [`Responder::announcement`] is the unsolicited response sent at
//! start-up (§8.3) and [`Responder::goodbye`] its TTL-0 twin (§10.1); the
//! embassy glue sends the announcement twice to the group.
//!
//! Not done: probing before announcing (§8.1), known-answer suppression
//! (§7.1) and the random delay before multicast replies (§6): the host demo
//! and the tests only send unicast queries.

use core::net::Ipv4Addr;

use super::dns::{
    Header, Question, Writer, CLASS_ANY, CLASS_IN, HEADER, TYPE_A, TYPE_ANY, TYPE_PTR, TYPE_SRV, TYPE_TXT,
};

/// The mDNS port.
pub const PORT: u16 = 5353;
/// The IPv4 multicast group of mDNS.
pub const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);

const SERVICE: &str = "_http._tcp.local";
const SERVICES: &str = "_services._dns-sd._udp.local";
const CACHE_FLUSH: u16 = 0x8000;
/// Questions read from one query at most.
const MAX_QUESTIONS: u16 = 16;

// What a query asks for, as bits.
const HOST_A: u8 = 1;
const SERVICE_PTR: u8 = 2;
const INSTANCE_SRV: u8 = 4;
const INSTANCE_TXT: u8 = 8;
const SERVICES_PTR: u8 = 16;

/// A reply to send.
#[derive(Debug)]
pub struct Reply<'b> {
    /// The reply message.
    pub bytes: &'b [u8],
    /// To the query's sender; otherwise to [`GROUP`]:[`PORT`].
    pub unicast: bool,
}

/// Answers for `NAME.local` and `NAME._http._tcp.local`.
#[derive(Clone, Copy, Debug)]
pub struct Responder<'a> {
    name: &'a str,
    addr: Ipv4Addr,
    port: u16,
    txt: &'a [&'a str],
}

impl<'a> Responder<'a> {
    /// The host `name` (one label, `camera` for `camera.local`) at `addr`,
    /// its web server on `port`. The service's `TXT` record is `path=/`.
    pub const fn new(name: &'a str, addr: Ipv4Addr, port: u16) -> Self {
        Responder {
            name,
            addr,
            port,
            txt: &["path=/"],
        }
    }

    /// Other `TXT` strings (`key=value`, each at most 255 bytes).
    pub const fn txt(mut self, txt: &'a [&'a str]) -> Self {
        self.txt = txt;
        self
    }

    /// What the question asks of us (bits), nothing if it is not ours.
    fn wants(&self, q: &Question) -> u8 {
        let class = q.qclass & !CACHE_FLUSH;
        if class != CLASS_IN && class != CLASS_ANY {
            return 0;
        }
        let any = q.qtype == TYPE_ANY;
        let mut bits = 0;
        if q.name.eq_parts(&[self.name, "local"]) && (any || q.qtype == TYPE_A) {
            bits |= HOST_A;
        }
        if q.name.eq_dotted(SERVICE) && (any || q.qtype == TYPE_PTR) {
            bits |= SERVICE_PTR;
        }
        if q.name.eq_parts(&[self.name, SERVICE]) {
            if any || q.qtype == TYPE_SRV {
                bits |= INSTANCE_SRV;
            }
            if any || q.qtype == TYPE_TXT {
                bits |= INSTANCE_TXT;
            }
        }
        if q.name.eq_dotted(SERVICES) && (any || q.qtype == TYPE_PTR) {
            bits |= SERVICES_PTR;
        }
        bits
    }

    /// The reply to `query`, which came from UDP port `src_port`; `None`
    /// when there is nothing to say or `out` is too small.
    pub fn answer<'b>(&self, query: &[u8], src_port: u16, out: &'b mut [u8]) -> Option<Reply<'b>> {
        let header = Header::read(query).ok()?;
        if header.is_response() || header.opcode() != 0 || header.qdcount > MAX_QUESTIONS {
            return None;
        }
        let legacy = src_port != PORT;
        let mut asked = 0u8;
        let mut all_qu = true;
        let mut at = HEADER;
        for _ in 0..header.qdcount {
            let (q, next) = Question::read(query, at).ok()?;
            asked |= self.wants(&q);
            all_qu &= q.qclass & CACHE_FLUSH != 0;
            at = next;
        }
        if asked == 0 {
            return None;
        }
        // What goes with the answers (RFC 6763 §12).
        let mut extra = 0u8;
        if asked & SERVICE_PTR != 0 {
            extra |= INSTANCE_SRV | INSTANCE_TXT | HOST_A;
        }
        if asked & INSTANCE_SRV != 0 {
            extra |= HOST_A;
        }
        extra &= !asked;

        let (short_ttl, long_ttl, flush) = if legacy { (10, 10, 0) } else { (120, 4500, CACHE_FLUSH) };
        let mut w = Writer::new(out);
        w.u16(if legacy { header.id } else { 0 })?;
        w.u16(0x8400)?; // QR, AA
        w.u16(if legacy { header.qdcount } else { 0 })?;
        w.u16(u16::try_from(asked.count_ones()).ok()?)?;
        w.u16(0)?;
        w.u16(u16::try_from(extra.count_ones()).ok()?)?;
        if legacy {
            let mut at = HEADER;
            for _ in 0..header.qdcount {
                let (q, next) = Question::read(query, at).ok()?;
                w.put(q.name.wire())?;
                w.u16(q.qtype)?;
                // The QU bit is a query's; the echoed question has plain IN.
                w.u16(q.qclass & !CACHE_FLUSH)?;
                at = next;
            }
        }
        for bits in [asked, extra] {
            self.records(&mut w, bits, short_ttl, long_ttl, flush)?;
        }
        Some(Reply {
            bytes: w.finish(),
            unicast: legacy || all_qu,
        })
    }

    /// The unsolicited response that announces us (RFC 6762 §8.3): ID 0,
    /// no questions, the `A` record of `NAME.local` and the service's
    /// `PTR`, `SRV` and `TXT` records, with the TTLs and cache-flush bits
    /// of a multicast reply. Send it to [`GROUP`]:[`PORT`] twice, one
    /// second apart, once the address is up. `None` when `out` is too small.
    pub fn announcement<'b>(&self, out: &'b mut [u8]) -> Option<&'b [u8]> {
        self.unsolicited(out, 120, 4500, CACHE_FLUSH)
    }

    /// The same records with TTL 0 (a "goodbye", §10.1): caches drop them
    /// about one second after. Send it before the address or the service
    /// goes away. Without the cache-flush bit: a goodbye removes these
    /// records, it does not assert a new set (§10.2). `None` when `out` is
    /// too small.
    pub fn goodbye<'b>(&self, out: &'b mut [u8]) -> Option<&'b [u8]> {
        self.unsolicited(out, 0, 0, 0)
    }

    fn unsolicited<'b>(&self, out: &'b mut [u8], short_ttl: u32, long_ttl: u32, flush: u16) -> Option<&'b [u8]> {
        let all = HOST_A | SERVICE_PTR | INSTANCE_SRV | INSTANCE_TXT;
        let mut w = Writer::new(out);
        w.u16(0)?;
        w.u16(0x8400)?; // QR, AA
        w.u16(0)?;
        w.u16(u16::try_from(all.count_ones()).ok()?)?;
        w.u16(0)?;
        w.u16(0)?;
        self.records(&mut w, all, short_ttl, long_ttl, flush)?;
        Some(w.finish())
    }

    /// The records in `bits`, in a fixed order (`A`, service `PTR`, `SRV`,
    /// `TXT`, services `PTR`); `flush` goes on the unique ones only.
    fn records(&self, w: &mut Writer<'_>, bits: u8, short_ttl: u32, long_ttl: u32, flush: u16) -> Option<()> {
        if bits & HOST_A != 0 {
            w.name(&[self.name, "local"])?;
            w.record(TYPE_A, CLASS_IN | flush, short_ttl, &self.addr.octets())?;
        }
        if bits & SERVICE_PTR != 0 {
            w.dotted(SERVICE)?;
            w.record_with(TYPE_PTR, CLASS_IN, long_ttl, |w| w.name(&[self.name, SERVICE]))?;
        }
        if bits & INSTANCE_SRV != 0 {
            w.name(&[self.name, SERVICE])?;
            w.record_with(TYPE_SRV, CLASS_IN | flush, short_ttl, |w| {
                w.u16(0)?;
                w.u16(0)?;
                w.u16(self.port)?;
                w.name(&[self.name, "local"])
            })?;
        }
        if bits & INSTANCE_TXT != 0 {
            w.name(&[self.name, SERVICE])?;
            w.record_with(TYPE_TXT, CLASS_IN | flush, long_ttl, |w| {
                if self.txt.is_empty() {
                    return w.put(&[0]);
                }
                for s in self.txt {
                    w.put(&[u8::try_from(s.len()).ok()?])?;
                    w.put(s.as_bytes())?;
                }
                Some(())
            })?;
        }
        if bits & SERVICES_PTR != 0 {
            w.dotted(SERVICES)?;
            w.record_with(TYPE_PTR, CLASS_IN, long_ttl, |w| w.dotted(SERVICE))?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::dns::tests::read_reply;
    use super::super::dns::{Name, TYPE_AAAA};
    use super::*;
    use std::vec::Vec;

    const ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 7);

    fn query(id: u16, questions: &[(&str, u16, u16)]) -> Vec<u8> {
        let mut q = Vec::new();
        q.extend_from_slice(&id.to_be_bytes());
        q.extend_from_slice(&[0, 0, 0, questions.len() as u8, 0, 0, 0, 0, 0, 0]);
        for (name, qtype, qclass) in questions {
            for label in name.split('.') {
                q.push(label.len() as u8);
                q.extend_from_slice(label.as_bytes());
            }
            q.push(0);
            q.extend_from_slice(&qtype.to_be_bytes());
            q.extend_from_slice(&qclass.to_be_bytes());
        }
        q
    }

    fn ask(q: &[u8], port: u16) -> Option<(Vec<u8>, bool)> {
        let mut out = [0u8; 1024];
        Responder::new("camera", ADDR, 8080)
            .answer(q, port, &mut out)
            .map(|r| (r.bytes.to_vec(), r.unicast))
    }

    fn types(records: &[(Name, u16, u16, u32, Vec<u8>)]) -> Vec<u16> {
        records.iter().map(|r| r.1).collect()
    }

    #[test]
    fn legacy_unicast_a_echoes_id_and_question() {
        let q = query(0x4242, &[("Camera.LOCAL", TYPE_A, CLASS_IN)]);
        let (bytes, unicast) = ask(&q, 53000).unwrap();
        assert!(unicast);
        let reply = read_reply(&bytes);
        assert_eq!((reply.header.id, reply.header.flags), (0x4242, 0x8400));
        let question = reply.question.unwrap();
        assert!(question.name.eq_dotted("camera.local"));
        assert_eq!(reply.answers.len(), 1);
        let (ref name, rtype, class, ttl, ref data) = reply.answers[0];
        assert!(name.eq_dotted("camera.local"));
        assert_eq!((rtype, class, ttl), (TYPE_A, CLASS_IN, 10));
        assert_eq!(data[..], ADDR.octets());
    }

    #[test]
    fn multicast_query_gets_id_zero_cache_flush_long_ttls() {
        let q = query(0, &[("camera.local", TYPE_A, CLASS_IN)]);
        let (bytes, unicast) = ask(&q, PORT).unwrap();
        assert!(!unicast);
        // No question echoed: read the header and one record by hand.
        assert_eq!(&bytes[..12], &[0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
        let mut name = Name::new();
        let at = name.read(&bytes, 12).unwrap();
        assert!(name.eq_dotted("camera.local"));
        assert_eq!(&bytes[at..at + 10], &[0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4]);
        // The QU bit: unicast.
        let q = query(0, &[("camera.local", TYPE_A, CLASS_IN | 0x8000)]);
        assert!(ask(&q, PORT).unwrap().1);
    }

    #[test]
    fn service_browse_gets_ptr_srv_txt_a() {
        let q = query(1, &[("_http._tcp.local", TYPE_PTR, CLASS_IN)]);
        let reply = read_reply(&ask(&q, 40000).unwrap().0);
        assert_eq!(types(&reply.answers), [TYPE_PTR]);
        let mut target = Name::new();
        target.read(&reply.answers[0].4, 0).unwrap();
        assert!(target.eq_dotted("camera._http._tcp.local"));
        assert_eq!(types(&reply.additional), [TYPE_A, TYPE_SRV, TYPE_TXT]);
        let srv = &reply.additional[1].4;
        assert_eq!(&srv[..6], &[0, 0, 0, 0, 0x1F, 0x90]); // port 8080
        let mut host = Name::new();
        host.read(srv, 6).unwrap();
        assert!(host.eq_dotted("camera.local"));
        assert_eq!(reply.additional[2].4, b"\x06path=/");
    }

    #[test]
    fn instance_any_and_services_enumeration() {
        let q = query(1, &[("camera._http._tcp.local", TYPE_ANY, CLASS_IN)]);
        let reply = read_reply(&ask(&q, 40000).unwrap().0);
        assert_eq!(types(&reply.answers), [TYPE_SRV, TYPE_TXT]);
        assert_eq!(types(&reply.additional), [TYPE_A]);
        let q = query(1, &[("_services._dns-sd._udp.local", TYPE_PTR, CLASS_IN)]);
        let reply = read_reply(&ask(&q, 40000).unwrap().0);
        let mut target = Name::new();
        target.read(&reply.answers[0].4, 0).unwrap();
        assert!(target.eq_dotted("_http._tcp.local"));
        // Two questions in one query, the second through a pointer to the first's "local".
        let mut q = query(7, &[("camera.local", TYPE_A, CLASS_IN)]);
        q[5] = 2;
        q.extend_from_slice(b"\x05_http\x04_tcp\xC0\x13\x00\x0C\x00\x01");
        let reply = read_reply(&ask(&q, 40000).unwrap().0);
        assert_eq!(reply.header.qdcount, 2);
        assert_eq!(types(&reply.answers), [TYPE_A, TYPE_PTR]);
        assert_eq!(types(&reply.additional), [TYPE_SRV, TYPE_TXT]);
    }

    #[test]
    fn not_ours_gets_nothing() {
        for (name, qtype, class) in [
            ("other.local", TYPE_A, CLASS_IN),
            ("camera.local", TYPE_AAAA, CLASS_IN),
            ("camera.local", TYPE_TXT, CLASS_IN),
            ("camera.local", TYPE_A, 3),
            ("camera.local.evil", TYPE_A, CLASS_IN),
            ("_ipp._tcp.local", TYPE_PTR, CLASS_IN),
        ] {
            assert!(
                ask(&query(1, &[(name, qtype, class)]), 40000).is_none(),
                "{name} {qtype}"
            );
        }
        // Responses, other opcodes, malformed questions.
        let mut q = query(1, &[("camera.local", TYPE_A, CLASS_IN)]);
        q[2] = 0x84;
        assert!(ask(&q, 40000).is_none());
        q[2] = 0x10;
        assert!(ask(&q, 40000).is_none());
        let q = query(1, &[("camera.local", TYPE_A, CLASS_IN)]);
        for n in 0..q.len() {
            assert!(ask(&q[..n], 40000).is_none(), "{n} bytes");
        }
        let mut q = query(1, &[("camera.local", TYPE_A, CLASS_IN)]);
        q[12] = 0xC0;
        q[13] = 12; // a pointer to itself
        assert!(ask(&q, 40000).is_none());
    }

    #[test]
    fn small_buffers_send_nothing() {
        let q = query(1, &[("_http._tcp.local", TYPE_PTR, CLASS_IN)]);
        let full = ask(&q, 40000).unwrap().0.len();
        for n in 0..full {
            let mut out = std::vec![0u8; n];
            assert!(Responder::new("camera", ADDR, 80).answer(&q, 40000, &mut out).is_none());
        }
    }

    #[test]
    fn announcement_carries_all_four_records() {
        let mut out = [0u8; 512];
        let bytes = Responder::new("camera", ADDR, 8080)
            .announcement(&mut out)
            .unwrap()
            .to_vec();
        let reply = read_reply(&bytes);
        assert_eq!((reply.header.id, reply.header.flags), (0, 0x8400)); // QR, AA
        assert_eq!(reply.header.qdcount, 0);
        assert!(reply.question.is_none());
        assert!(reply.additional.is_empty());
        let got: Vec<(u16, u16, u32)> = reply.answers.iter().map(|r| (r.1, r.2, r.3)).collect();
        // Cache-flush on the unique records, not on the shared PTR; §10 TTLs.
        assert_eq!(
            got,
            [
                (TYPE_A, CLASS_IN | 0x8000, 120),
                (TYPE_PTR, CLASS_IN, 4500),
                (TYPE_SRV, CLASS_IN | 0x8000, 120),
                (TYPE_TXT, CLASS_IN | 0x8000, 4500),
            ]
        );
        let names = [
            "camera.local",
            "_http._tcp.local",
            "camera._http._tcp.local",
            "camera._http._tcp.local",
        ];
        for (record, name) in reply.answers.iter().zip(names) {
            assert!(record.0.eq_dotted(name), "{name}");
        }
        assert_eq!(reply.answers[0].4[..], ADDR.octets());
        let mut target = Name::new();
        target.read(&reply.answers[1].4, 0).unwrap();
        assert!(target.eq_dotted("camera._http._tcp.local"));
        let srv = &reply.answers[2].4;
        assert_eq!(&srv[..6], &[0, 0, 0, 0, 0x1F, 0x90]);
        let mut host = Name::new();
        host.read(srv, 6).unwrap();
        assert!(host.eq_dotted("camera.local"));
        assert_eq!(reply.answers[3].4, b"\x06path=/");
        // The same records as a query from port 5353 gets, byte for byte.
        let q = query(0, &[("camera._http._tcp.local", TYPE_ANY, CLASS_IN)]);
        let (answered, _) = ask(&q, PORT).unwrap();
        let srv_txt = read_reply(&answered);
        assert_eq!(srv_txt.answers[0].4, reply.answers[2].4);
    }

    #[test]
    fn goodbye_is_the_announcement_with_ttl_zero() {
        let mdns = Responder::new("camera", ADDR, 8080).txt(&["path=/", "v=1"]);
        let mut out = [0u8; 512];
        let hello = read_reply(mdns.announcement(&mut out).unwrap());
        let mut out = [0u8; 512];
        let bye = read_reply(mdns.goodbye(&mut out).unwrap());
        assert_eq!((bye.header.id, bye.header.flags, bye.header.qdcount), (0, 0x8400, 0));
        assert_eq!(types(&bye.answers), [TYPE_A, TYPE_PTR, TYPE_SRV, TYPE_TXT]);
        for (b, h) in bye.answers.iter().zip(&hello.answers) {
            assert_eq!((b.1, b.2, b.3), (h.1, CLASS_IN, 0));
            assert_eq!(b.4, h.4);
        }
        assert_eq!(bye.answers[3].4, b"\x06path=/\x03v=1");
    }

    #[test]
    fn unsolicited_into_small_buffers_is_none() {
        let mdns = Responder::new("camera", ADDR, 80);
        let mut out = [0u8; 512];
        let full = mdns.announcement(&mut out).unwrap().len();
        for n in 0..full {
            let mut out = std::vec![0u8; n];
            assert!(mdns.announcement(&mut out).is_none(), "{n} bytes");
            assert!(mdns.goodbye(&mut out).is_none(), "{n} bytes");
        }
        // A name that is not one label of at most 63 bytes cannot be written.
        let long = "x".repeat(64);
        assert!(Responder::new(&long, ADDR, 80).announcement(&mut out).is_none());
    }
}
