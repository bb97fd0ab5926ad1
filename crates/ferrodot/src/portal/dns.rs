//! The captive-portal DNS responder (RFC 1035), sans-IO: a query packet in,
//! a reply written into the caller's buffer out. Every `A` question is
//! answered with the device's address, so whatever name a phone looks up
//! (`connectivitycheck.gstatic.com`, `captive.apple.com`,
//! `www.msftconnecttest.com`, …) leads to the device's web server.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use ferrodot::portal::dns::Responder;
//!
//! let dns = Responder::new(Ipv4Addr::new(192, 168, 4, 1)); // TTL 10 s
//! // `dig captive.apple.com A` without EDNS: ID 0x1234, RD set.
//! let mut query = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
//! for label in ["captive", "apple", "com"] {
//!     query.push(label.len() as u8);
//!     query.extend_from_slice(label.as_bytes());
//! }
//! query.extend_from_slice(&[0, 0, 1, 0, 1]); // root, type A, class IN
//! let mut out = [0u8; 512];
//! let reply = dns.answer(&query, &mut out).expect("a reply");
//! assert_eq!(&reply[..4], &[0x12, 0x34, 0x85, 0x00]); // same ID; QR, AA, RD; NOERROR
//! assert_eq!(&reply[reply.len() - 4..], &[192, 168, 4, 1]);
//! ```
//!
//! # What it answers
//!
//! | query | reply |
//! |---|---|
//! | `A`, class `IN` (or `ANY` class) | `NOERROR`, one `A` record: the address, TTL 10 s (short, so the phone asks again once the portal is over) |
//! | `AAAA` | `NOERROR` without answers ("no IPv6 address"): clients fall back to IPv4 at once instead of waiting |
//! | any other type or class | `NOTIMP` |
//! | opcode other than `QUERY` | `NOTIMP` |
//! | `QDCOUNT` ≠ 1, a malformed name (label over 63 bytes, name over 255, a reserved label type, a compression pointer that does not point backwards, truncation), malformed records after the question | `FORMERR` |
//! | shorter than the 12-byte header, or `QR` set (a response, not a query) | nothing: dropped, so the responder never answers an answer (no reflection loops) |
//! | an EDNS `OPT` record in the additional section | tolerated: the reply carries an `OPT` of its own (version 0, no options — a cookie is not echoed); an EDNS version above 0 gets `BADVERS` |
//!
//! `FORMERR` and `NOTIMP` replies carry the question back when it could be
//! read, none otherwise. A reply is at most 12 + 259 + 16 + 11 bytes: it
//! always fits the 512 bytes of plain DNS over UDP, so `TC` is never set.
//! When the caller's buffer is too small, [`Responder::answer`] returns
//! `None` (nothing is sent).
//!
//! # Why not `edge-captive` or `domain`
//!
//! `edge-captive` is the DNS part of a captive portal built on `domain`, a
//! complete DNS library. What a captive portal needs is one question read
//! with bounds checks and a fixed reply written: about two hundred lines
//! here, no dependency, with the policy above under our control (`AAAA`
//! answered empty rather than refused, `NOTIMP`, `FORMERR`, dropping
//! responses) and the same name reader shared with the mDNS responder
//! ([`super::mdns`]). A general-purpose DNS library would bring its
//! message builder and record types into the device's flash for none of
//! that. The parser is fuzzed (`fuzz/fuzz_targets/portal_dns.rs`).

use core::net::Ipv4Addr;

/// The fixed header of every DNS message.
pub const HEADER: usize = 12;
/// The longest name on the wire (RFC 1035 §2.3.4), length bytes included.
pub const MAX_NAME: usize = 255;
/// The longest label.
pub const MAX_LABEL: usize = 63;

/// Resource record type `A`: an IPv4 address (RFC 1035 §3.2.2).
pub const TYPE_A: u16 = 1;
/// Record type `PTR`: a pointer to another name, as in DNS-SD service
/// enumeration (RFC 1035 §3.2.2, RFC 6763).
pub const TYPE_PTR: u16 = 12;
/// Record type `TXT`: character strings, DNS-SD's key=value pairs
/// (RFC 1035 §3.3.14).
pub const TYPE_TXT: u16 = 16;
/// Record type `AAAA`: an IPv6 address (RFC 3596); answered empty so clients
/// fall back to IPv4.
pub const TYPE_AAAA: u16 = 28;
/// Record type `SRV`: a service's target host and port (RFC 2782).
pub const TYPE_SRV: u16 = 33;
/// Pseudo-record type `OPT`: carries EDNS(0) in the additional section
/// (RFC 6891 §6.1).
pub const TYPE_OPT: u16 = 41;
/// Query type `ANY` (`*`): every record of the name (RFC 1035 §3.2.3).
pub const TYPE_ANY: u16 = 255;
/// Class `IN`, the Internet.
pub const CLASS_IN: u16 = 1;
/// Query class `ANY` (`*`).
pub const CLASS_ANY: u16 = 255;

/// Response code 0: no error.
pub const RCODE_NOERROR: u8 = 0;
/// Response code 1, `FORMERR`: the server could not read the query.
pub const RCODE_FORMERR: u8 = 1;
/// Response code 4, `NOTIMP`: the query's kind (opcode, type or class) is not
/// supported.
pub const RCODE_NOTIMP: u8 = 4;
/// Extended RCODE 16 (EDNS `BADVERS`): upper 8 bits 1 in the `OPT` record.
const EXT_BADVERS: u8 = 1;

/// A message that is not a well-formed DNS message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// A name read from a message: its labels in wire form (length byte,
/// bytes; …; zero), compression pointers followed and removed.
#[derive(Clone)]
pub struct Name {
    buf: [u8; MAX_NAME],
    len: usize,
}

impl Default for Name {
    fn default() -> Self {
        Name::new()
    }
}

impl Name {
    /// The root name (no labels), to be filled by the parser.
    pub const fn new() -> Self {
        Name {
            buf: [0; MAX_NAME],
            len: 0,
        }
    }

    /// The wire form, the final zero byte included.
    pub fn wire(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The labels, in order (the root's empty label left out).
    pub fn labels(&self) -> Labels<'_> {
        Labels { rest: self.wire() }
    }

    /// Whether the name is `expected` (dotted, no final dot), ASCII case
    /// ignored as DNS does.
    pub fn eq_dotted(&self, expected: &str) -> bool {
        self.eq_parts(&[expected])
    }

    /// Whether the name is these dotted parts joined (`["camera", "local"]`).
    pub fn eq_parts(&self, parts: &[&str]) -> bool {
        let mut want = parts.iter().flat_map(|p| p.split('.')).filter(|l| !l.is_empty());
        let mut have = self.labels();
        loop {
            match (have.next(), want.next()) {
                (None, None) => return true,
                (Some(h), Some(w)) if h.eq_ignore_ascii_case(w.as_bytes()) => {}
                _ => return false,
            }
        }
    }

    /// Read the name at `at` in `msg`; returns the offset just after it in
    /// the message (after the first pointer, if the name ends in one).
    ///
    /// Pointers must point strictly before the previous jump (RFC 1035 §4.1.4:
    /// "a prior occurance"), so reading always ends; labels are at most 63
    /// bytes, names at most 255, and the label types `01` and `10` are refused.
    pub fn read(&mut self, msg: &[u8], at: usize) -> Result<usize, Malformed> {
        self.len = 0;
        let mut pos = at;
        let mut end = None;
        // Every pointer must go below this (strictly decreasing: no loops).
        let mut limit = at;
        loop {
            let len_byte = *msg.get(pos).ok_or(Malformed)?;
            match len_byte & 0xC0 {
                0x00 => {
                    let n = usize::from(len_byte);
                    let start = pos.checked_add(1).ok_or(Malformed)?;
                    let stop = start.checked_add(n).ok_or(Malformed)?;
                    let label = msg.get(start..stop).ok_or(Malformed)?;
                    // This label, its length byte, and the final zero must fit.
                    let grown = self
                        .len
                        .checked_add(n)
                        .and_then(|g| g.checked_add(1))
                        .ok_or(Malformed)?;
                    if grown > MAX_NAME || (n > 0 && grown >= MAX_NAME) {
                        return Err(Malformed);
                    }
                    let dst = self.buf.get_mut(self.len..grown).ok_or(Malformed)?;
                    let (len_dst, label_dst) = dst.split_first_mut().ok_or(Malformed)?;
                    *len_dst = len_byte;
                    label_dst.copy_from_slice(label);
                    self.len = grown;
                    if n == 0 {
                        return Ok(end.unwrap_or(stop));
                    }
                    pos = stop;
                }
                0xC0 => {
                    let low = *msg.get(pos.checked_add(1).ok_or(Malformed)?).ok_or(Malformed)?;
                    let target = usize::from(u16::from_be_bytes([len_byte & 0x3F, low]));
                    if target >= limit {
                        return Err(Malformed);
                    }
                    if end.is_none() {
                        end = Some(pos.checked_add(2).ok_or(Malformed)?);
                    }
                    limit = target;
                    pos = target;
                }
                // 0x40 (extended label types, RFC 6891 deprecates them) and 0x80.
                _ => return Err(Malformed),
            }
        }
    }
}

impl core::fmt::Display for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut any = false;
        for label in self.labels() {
            if any {
                f.write_str(".")?;
            }
            any = true;
            for &b in label {
                if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                    core::fmt::Write::write_char(f, char::from(b))?;
                } else {
                    write!(f, "\\{b:03}")?;
                }
            }
        }
        if !any {
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl core::fmt::Debug for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Name({self})")
    }
}

/// The labels of a [`Name`].
pub struct Labels<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&n, tail) = self.rest.split_first()?;
        let n = usize::from(n);
        if n == 0 || n > tail.len() {
            self.rest = &[];
            return None;
        }
        let (label, rest) = tail.split_at(n);
        self.rest = rest;
        Some(label)
    }
}

/// A big-endian `u16` at `at`.
pub fn be16(msg: &[u8], at: usize) -> Result<u16, Malformed> {
    let b = msg.get(at..at.checked_add(2).ok_or(Malformed)?).ok_or(Malformed)?;
    Ok(u16::from_be_bytes([
        *b.first().ok_or(Malformed)?,
        *b.get(1).ok_or(Malformed)?,
    ]))
}

/// A big-endian `u32` at `at`.
pub fn be32(msg: &[u8], at: usize) -> Result<u32, Malformed> {
    let hi = be16(msg, at)?;
    let lo = be16(msg, at.checked_add(2).ok_or(Malformed)?)?;
    let [a, b] = hi.to_be_bytes();
    let [c, d] = lo.to_be_bytes();
    Ok(u32::from_be_bytes([a, b, c, d]))
}

/// A message's header fields that a responder needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Chosen by the querier and copied into the reply, which matches them up.
    pub id: u16,
    /// `QR`, opcode, `AA`, `TC`, `RD`, `RA`, `Z` and `RCODE` bits, as on the
    /// wire.
    pub flags: u16,
    /// Number of entries in the question section.
    pub qdcount: u16,
    /// Number of records in the answer section.
    pub ancount: u16,
    /// Number of records in the authority section.
    pub nscount: u16,
    /// Number of records in the additional section.
    pub arcount: u16,
}

impl Header {
    /// Reads the 12-byte header at the start of `msg`; [`Malformed`] when
    /// shorter.
    pub fn read(msg: &[u8]) -> Result<Header, Malformed> {
        Ok(Header {
            id: be16(msg, 0)?,
            flags: be16(msg, 2)?,
            qdcount: be16(msg, 4)?,
            ancount: be16(msg, 6)?,
            nscount: be16(msg, 8)?,
            arcount: be16(msg, 10)?,
        })
    }

    /// `QR`: a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }

    /// The 4-bit opcode: 0 is a standard `QUERY`.
    pub fn opcode(&self) -> u8 {
        let [high, _] = self.flags.to_be_bytes();
        (high >> 3) & 0xF
    }
}

/// One question: its name, type and class.
#[derive(Clone, Debug)]
pub struct Question {
    /// The name asked about, compression pointers resolved.
    pub name: Name,
    /// The record type asked for (`QTYPE`), e.g. [`TYPE_A`].
    pub qtype: u16,
    /// The class asked for (`QCLASS`) as on the wire, e.g. [`CLASS_IN`] (in
    /// mDNS its top bit asks for a unicast reply).
    pub qclass: u16,
}

impl Question {
    /// Read the question at `at`; returns it and the offset after it.
    pub fn read(msg: &[u8], at: usize) -> Result<(Question, usize), Malformed> {
        let mut name = Name::new();
        let after = name.read(msg, at)?;
        let qtype = be16(msg, after)?;
        let qclass = be16(msg, after.checked_add(2).ok_or(Malformed)?)?;
        Ok((Question { name, qtype, qclass }, after.checked_add(4).ok_or(Malformed)?))
    }
}

/// Skip one resource record at `at`; returns its type, the 16-bit class
/// field, the 32-bit TTL field and the offset after it.
pub fn skip_record(msg: &[u8], at: usize) -> Result<(u16, u16, u32, usize), Malformed> {
    let mut name = Name::new();
    let after = name.read(msg, at)?;
    let rtype = be16(msg, after)?;
    let class = be16(msg, after.checked_add(2).ok_or(Malformed)?)?;
    let ttl = be32(msg, after.checked_add(4).ok_or(Malformed)?)?;
    let rdlen = usize::from(be16(msg, after.checked_add(8).ok_or(Malformed)?)?);
    let end = after
        .checked_add(10)
        .and_then(|p| p.checked_add(rdlen))
        .ok_or(Malformed)?;
    if end > msg.len() {
        return Err(Malformed);
    }
    Ok((rtype, class, ttl, end))
}

/// Writes a message into a caller's buffer; every write is bounds checked
/// and a write that does not fit makes the whole message fail.
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Writer<'b> {
    /// An empty message writing into `buf` from its start.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `bytes`; `None` when they do not fit.
    pub fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.len.checked_add(bytes.len())?;
        self.buf.get_mut(self.len..end)?.copy_from_slice(bytes);
        self.len = end;
        Some(())
    }

    /// Appends `v` big-endian (network order); `None` when it does not fit.
    pub fn u16(&mut self, v: u16) -> Option<()> {
        self.put(&v.to_be_bytes())
    }

    /// Appends `v` big-endian (network order); `None` when it does not fit.
    pub fn u32(&mut self, v: u32) -> Option<()> {
        self.put(&v.to_be_bytes())
    }

    /// Overwrite the `u16` at `at` (a count in the header, a length).
    pub fn set_u16(&mut self, at: usize, v: u16) -> Option<()> {
        self.buf
            .get_mut(at..at.checked_add(2)?)?
            .copy_from_slice(&v.to_be_bytes());
        Some(())
    }

    /// A dotted name (`camera.local`), uncompressed. Labels over 63
    /// bytes or names over 255 fail.
    pub fn dotted(&mut self, name: &str) -> Option<()> {
        self.name(&[name])
    }

    /// A name made of dotted parts (`["camera", "_http._tcp.local"]`).
    pub fn name(&mut self, parts: &[&str]) -> Option<()> {
        let mut total = 1usize;
        for label in parts.iter().flat_map(|p| p.split('.')).filter(|l| !l.is_empty()) {
            let n = u8::try_from(label.len())
                .ok()
                .filter(|&n| usize::from(n) <= MAX_LABEL)?;
            total = total.checked_add(usize::from(n))?.checked_add(1)?;
            if total > MAX_NAME {
                return None;
            }
            self.put(&[n])?;
            self.put(label.as_bytes())?;
        }
        self.put(&[0])
    }

    /// A record's fixed fields and its data.
    pub fn record(&mut self, rtype: u16, class: u16, ttl: u32, rdata: &[u8]) -> Option<()> {
        self.u16(rtype)?;
        self.u16(class)?;
        self.u32(ttl)?;
        self.u16(u16::try_from(rdata.len()).ok()?)?;
        self.put(rdata)
    }

    /// A record whose data is written by `rdata` (its length filled in after).
    pub fn record_with(
        &mut self,
        rtype: u16,
        class: u16,
        ttl: u32,
        rdata: impl FnOnce(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.u16(rtype)?;
        self.u16(class)?;
        self.u32(ttl)?;
        let at = self.len;
        self.u16(0)?;
        rdata(self)?;
        let n = self.len.checked_sub(at)?.checked_sub(2)?;
        self.set_u16(at, u16::try_from(n).ok()?)
    }

    /// The message written, borrowed from the caller's buffer.
    pub fn finish(self) -> &'b [u8] {
        let Writer { buf, len } = self;
        buf.get(..len).unwrap_or(&[])
    }
}

/// What a query asked, as far as the responder read it.
#[derive(Debug)]
pub enum Parsed {
    /// Not to be answered (too short for a header, or a response).
    Drop,
    /// Answer with this RCODE; the question when it could be read.
    Error {
        /// The query's header, whose ID, opcode and `RD` bit the reply copies.
        header: Header,
        /// The response code to send, e.g. [`RCODE_FORMERR`].
        rcode: u8,
        /// The question, echoed in the reply when it could be read.
        question: Option<Question>,
    },
    /// A well-formed query with one question.
    Query {
        /// The query's header, whose ID, opcode and `RD` bit the reply copies.
        header: Header,
        /// The one question asked.
        question: Question,
        /// The `OPT` record's version, when the query had one.
        edns: Option<u8>,
    },
}

/// Read a query the way [`Responder`] does.
pub fn parse(msg: &[u8]) -> Parsed {
    let Ok(header) = Header::read(msg) else {
        return Parsed::Drop;
    };
    if header.is_response() {
        return Parsed::Drop;
    }
    let error = |rcode, question| Parsed::Error {
        header,
        rcode,
        question,
    };
    if header.qdcount != 1 {
        return error(RCODE_FORMERR, None);
    }
    let Ok((question, mut at)) = Question::read(msg, HEADER) else {
        return error(RCODE_FORMERR, None);
    };
    if header.opcode() != 0 {
        return error(RCODE_NOTIMP, Some(question));
    }
    let records = u32::from(header.ancount).saturating_add(u32::from(header.nscount));
    for _ in 0..records {
        match skip_record(msg, at) {
            Ok((_, _, _, next)) => at = next,
            Err(Malformed) => return error(RCODE_FORMERR, Some(question)),
        }
    }
    let mut edns = None;
    for _ in 0..header.arcount {
        match skip_record(msg, at) {
            Ok((rtype, _, ttl, next)) => {
                if rtype == TYPE_OPT {
                    // RFC 6891 §6.1.1: at most one OPT record.
                    if edns.is_some() {
                        return error(RCODE_FORMERR, Some(question));
                    }
                    // TTL field: extended RCODE (8), version (8), flags (16).
                    let [_, version, _, _] = ttl.to_be_bytes();
                    edns = Some(version);
                }
                at = next;
            }
            Err(Malformed) => return error(RCODE_FORMERR, Some(question)),
        }
    }
    Parsed::Query { header, question, edns }
}

/// The captive-portal DNS responder: every `A` question → one address.
#[derive(Clone, Copy, Debug)]
pub struct Responder {
    addr: Ipv4Addr,
    ttl: u32,
}

/// The UDP payload size announced in the reply's `OPT` record.
const EDNS_PAYLOAD: u16 = 1232;

impl Responder {
    /// Answers with `addr`, TTL 10 s.
    pub const fn new(addr: Ipv4Addr) -> Self {
        Responder { addr, ttl: 10 }
    }

    /// Another TTL, in seconds.
    pub const fn ttl(mut self, seconds: u32) -> Self {
        self.ttl = seconds;
        self
    }

    /// The address every `A` question is answered with.
    pub const fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// The reply to `query`, written into `out`; `None` when nothing is to
    /// be sent (see the table in the [module docs](self)).
    pub fn answer<'b>(&self, query: &[u8], out: &'b mut [u8]) -> Option<&'b [u8]> {
        let (header, rcode, question, answer, edns) = match parse(query) {
            Parsed::Drop => return None,
            Parsed::Error {
                header,
                rcode,
                question,
            } => (header, rcode, question, false, None),
            Parsed::Query { header, question, edns } => {
                let class_ok = question.qclass == CLASS_IN || question.qclass == CLASS_ANY;
                let (rcode, answer) = match question.qtype {
                    _ if edns.is_some_and(|v| v > 0) => (RCODE_NOERROR, false),
                    TYPE_A if class_ok => (RCODE_NOERROR, true),
                    TYPE_AAAA if class_ok => (RCODE_NOERROR, false),
                    _ => (RCODE_NOTIMP, false),
                };
                (header, rcode, Some(question), answer, edns)
            }
        };
        let mut w = Writer::new(out);
        w.u16(header.id)?;
        // QR, the opcode back, AA, RD back; RA, Z, AD and CD clear.
        w.u16(0x8000 | (header.flags & 0x7800) | 0x0400 | (header.flags & 0x0100) | u16::from(rcode))?;
        w.u16(u16::from(question.is_some()))?;
        w.u16(u16::from(answer))?;
        w.u16(0)?;
        w.u16(u16::from(edns.is_some()))?;
        if let Some(q) = &question {
            w.put(q.name.wire())?;
            w.u16(q.qtype)?;
            w.u16(q.qclass)?;
        }
        if answer {
            // The question's name, by a pointer to offset 12.
            w.u16(0xC00C)?;
            w.record(TYPE_A, CLASS_IN, self.ttl, &self.addr.octets())?;
        }
        if let Some(version) = edns {
            let ext_rcode = if version > 0 { EXT_BADVERS } else { 0 };
            w.put(&[0])?; // root
            w.record(TYPE_OPT, EDNS_PAYLOAD, u32::from_be_bytes([ext_rcode, 0, 0, 0]), &[])?;
        }
        Some(w.finish())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::format;
    use std::string::ToString;
    use std::vec::Vec;

    const ADDR: Ipv4Addr = Ipv4Addr::new(192, 168, 4, 1);

    /// A query as `dig` builds it: ID, RD, one question; `cookie` adds the
    /// OPT record dig 9.18 sends by default (payload 1232, an 8-byte client
    /// cookie, option code 10).
    pub(crate) fn query(id: u16, name: &str, qtype: u16, cookie: bool) -> Vec<u8> {
        let mut q = Vec::new();
        q.extend_from_slice(&id.to_be_bytes());
        q.extend_from_slice(&[0x01, 0x20]); // RD, AD (dig sets AD in queries)
        q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(cookie)]);
        for label in name.split('.').filter(|l| !l.is_empty()) {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&CLASS_IN.to_be_bytes());
        if cookie {
            q.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 12, 0, 10, 0, 8]);
            q.extend_from_slice(&[0x5A, 0x3C, 0x11, 0x9E, 0x07, 0x44, 0xB2, 0x61]);
        }
        q
    }

    fn answer(q: &[u8]) -> Option<Vec<u8>> {
        let mut out = [0u8; 512];
        Responder::new(ADDR).answer(q, &mut out).map(<[u8]>::to_vec)
    }

    /// A reply read back: header, the question, the answers' (type, ttl,
    /// rdata), and the additional records' types.
    pub(crate) struct Reply {
        pub header: Header,
        pub question: Option<Question>,
        pub answers: Vec<(Name, u16, u16, u32, Vec<u8>)>,
        pub additional: Vec<(Name, u16, u16, u32, Vec<u8>)>,
    }

    /// Parse a reply strictly: every count matches the records, nothing trails.
    pub(crate) fn read_reply(msg: &[u8]) -> Reply {
        let header = Header::read(msg).expect("header");
        assert!(header.is_response());
        let mut at = HEADER;
        let mut question = None;
        for _ in 0..header.qdcount {
            let (q, next) = Question::read(msg, at).expect("question");
            question.get_or_insert(q);
            at = next;
        }
        let read = |count: u16, at: &mut usize| {
            let mut records = Vec::new();
            for _ in 0..count {
                let mut name = Name::new();
                let after = name.read(msg, *at).expect("record name");
                let (rtype, class, ttl, end) = skip_record(msg, *at).expect("record");
                records.push((name, rtype, class, ttl, msg[after + 10..end].to_vec()));
                *at = end;
            }
            records
        };
        let answers = read(header.ancount, &mut at);
        assert_eq!(header.nscount, 0);
        let additional = read(header.arcount, &mut at);
        assert_eq!(at, msg.len(), "bytes after the last record");
        Reply {
            header,
            question,
            answers,
            additional,
        }
    }

    fn rcode(reply: &Reply) -> u8 {
        (reply.header.flags & 0xF) as u8
    }

    #[test]
    fn a_queries_of_every_os_get_the_address() {
        for (name, cookie) in [
            ("connectivitycheck.gstatic.com", false), // Android
            ("clients3.google.com", false),
            ("captive.apple.com", true),        // iOS / macOS
            ("www.msftconnecttest.com", false), // Windows
            ("dns.msftncsi.com", false),
            ("detectportal.firefox.com", true),
            ("anything.example", true), // dig
        ] {
            let q = query(0xBEEF, name, TYPE_A, cookie);
            let reply = read_reply(&answer(&q).unwrap());
            assert_eq!(reply.header.id, 0xBEEF);
            assert_eq!(reply.header.flags, 0x8500, "QR AA RD, NOERROR: {name}");
            let question = reply.question.unwrap();
            assert!(question.name.eq_dotted(name));
            assert_eq!((question.qtype, question.qclass), (TYPE_A, CLASS_IN));
            assert_eq!(reply.answers.len(), 1);
            let (ref owner, rtype, class, ttl, ref data) = reply.answers[0];
            assert!(owner.eq_dotted(name));
            assert_eq!((rtype, class, ttl), (TYPE_A, CLASS_IN, 10));
            assert_eq!(data[..], ADDR.octets());
            // EDNS in, EDNS out (without the cookie).
            assert_eq!(reply.additional.len(), usize::from(cookie));
            if cookie {
                let (_, rtype, payload, ttl, ref data) = reply.additional[0];
                assert_eq!((rtype, payload, ttl, data.len()), (TYPE_OPT, 1232, 0, 0));
            }
        }
    }

    #[test]
    fn ttl_and_case_are_kept() {
        let q = query(7, "CaPtIvE.Apple.COM", TYPE_A, false);
        let mut out = [0u8; 512];
        let reply = read_reply(Responder::new(ADDR).ttl(3).answer(&q, &mut out).unwrap());
        assert_eq!(reply.answers[0].3, 3);
        assert_eq!(reply.question.unwrap().name.to_string(), "CaPtIvE.Apple.COM");
    }

    #[test]
    fn aaaa_is_an_empty_noerror_and_other_types_notimp() {
        let reply = read_reply(&answer(&query(1, "captive.apple.com", TYPE_AAAA, true)).unwrap());
        assert_eq!((rcode(&reply), reply.answers.len()), (RCODE_NOERROR, 0));
        assert_eq!(reply.question.unwrap().qtype, TYPE_AAAA);
        for qtype in [
            TYPE_TXT, TYPE_SRV, 15, /* MX */
            65, /* HTTPS */
            TYPE_ANY, TYPE_PTR,
        ] {
            let reply = read_reply(&answer(&query(2, "example.com", qtype, false)).unwrap());
            assert_eq!((rcode(&reply), reply.answers.len()), (RCODE_NOTIMP, 0), "type {qtype}");
            assert_eq!(reply.question.unwrap().qtype, qtype);
        }
        // Class CHAOS (`dig version.bind CH TXT` or A).
        let mut q = query(3, "version.bind", TYPE_A, false);
        let n = q.len();
        q[n - 1] = 3;
        assert_eq!(rcode(&read_reply(&answer(&q).unwrap())), RCODE_NOTIMP);
    }

    #[test]
    fn root_name_and_longest_names() {
        // `dig . A`
        let reply = read_reply(&answer(&query(1, "", TYPE_A, false)).unwrap());
        assert_eq!(reply.answers.len(), 1);
        assert_eq!(reply.question.unwrap().name.to_string(), ".");
        // 63-byte labels, 255 bytes on the wire: 4 × (1 + 62) + 1 + 1 … built exactly.
        let l63 = "a".repeat(63);
        let l61 = "b".repeat(61);
        let longest = format!("{l63}.{l63}.{l63}.{l61}"); // 64*3 + 62 + 1 = 255
        let q = query(1, &longest, TYPE_A, false);
        let reply = read_reply(&answer(&q).unwrap());
        assert_eq!(reply.question.unwrap().name.wire().len(), 255);
        // One byte more: FORMERR, no question.
        let too_long = format!("{l63}.{l63}.{l63}.{l61}b");
        let reply = read_reply(&answer(&query(1, &too_long, TYPE_A, false)).unwrap());
        assert_eq!((rcode(&reply), reply.question.is_none()), (RCODE_FORMERR, true));
        // A 64-byte label: its length byte reads as the reserved type 01.
        let reply = read_reply(&answer(&query(1, &"c".repeat(64), TYPE_A, false)).unwrap());
        assert_eq!(rcode(&reply), RCODE_FORMERR);
    }

    #[test]
    fn responses_and_short_packets_are_dropped() {
        let mut q = query(1, "a.b", TYPE_A, false);
        q[2] |= 0x80;
        assert_eq!(answer(&q), None);
        for n in 0..HEADER {
            assert_eq!(answer(&query(1, "a.b", TYPE_A, false)[..n]), None, "{n} bytes");
        }
        // Our own replies are never answered.
        let reply = answer(&query(1, "a.b", TYPE_A, true)).unwrap();
        assert_eq!(answer(&reply), None);
    }

    #[test]
    fn qdcount_other_than_one_is_formerr() {
        for qd in [0u8, 2, 255] {
            let mut q = query(9, "a.b", TYPE_A, false);
            q[5] = qd;
            let reply = read_reply(&answer(&q).unwrap());
            assert_eq!((reply.header.id, rcode(&reply)), (9, RCODE_FORMERR), "qdcount {qd}");
            assert!(reply.question.is_none() && reply.answers.is_empty());
        }
    }

    #[test]
    fn every_truncation_of_a_query_is_formerr_or_dropped() {
        let q = query(5, "connectivitycheck.gstatic.com", TYPE_A, true);
        let question_end = q.len() - 23;
        for n in HEADER..q.len() {
            let reply = read_reply(&answer(&q[..n]).unwrap());
            assert_eq!(rcode(&reply), RCODE_FORMERR, "{n} bytes");
            // Cut in the OPT record: the question is read and sent back.
            assert_eq!(reply.question.is_some(), n >= question_end, "{n} bytes");
            assert!(reply.answers.is_empty());
        }
    }

    #[test]
    fn compression_pointers_in_the_question() {
        // Header, then a name at 12 that jumps to itself: a loop.
        let mut q = query(1, "", TYPE_A, false);
        q.truncate(HEADER);
        q.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
        assert_eq!(rcode(&read_reply(&answer(&q).unwrap())), RCODE_FORMERR);
        // A forward pointer.
        let mut q = query(1, "", TYPE_A, false);
        q.truncate(HEADER);
        q.extend_from_slice(&[0xC0, 20, 0, 1, 0, 1, 0, 0, 1, b'x', 0]);
        assert_eq!(rcode(&read_reply(&answer(&q).unwrap())), RCODE_FORMERR);
        // A pointer into the header (backwards, legal): bytes 2.. read as
        // labels, here a 1-byte label "\x20" — bounded and well-formed.
        let mut q = query(0, "", TYPE_A, false);
        q.truncate(HEADER);
        q[2..4].copy_from_slice(&[0x01, 0x20]);
        q[4..6].copy_from_slice(&[0, 1]);
        q.extend_from_slice(&[0xC0, 2, 0, 1, 0, 1]);
        // Reads: label 0x01 → [0x20], then byte 4 = 0 → end. A valid question.
        let reply = read_reply(&answer(&q).unwrap());
        assert_eq!(reply.question.unwrap().name.wire(), [1, 0x20, 0]);
        // A pointer past the end, and a half pointer.
        for tail in [&[0xC3u8, 0xFF, 0, 1, 0, 1][..], &[0xC0][..]] {
            let mut q = query(1, "", TYPE_A, false);
            q.truncate(HEADER);
            q.extend_from_slice(tail);
            assert_eq!(rcode(&read_reply(&answer(&q).unwrap())), RCODE_FORMERR);
        }
        // The reserved label types 01 and 10.
        for b in [0x40u8, 0x80] {
            let mut q = query(1, "", TYPE_A, false);
            q.truncate(HEADER);
            q.extend_from_slice(&[b | 1, b'x', 0, 0, 1, 0, 1]);
            assert_eq!(rcode(&read_reply(&answer(&q).unwrap())), RCODE_FORMERR);
        }
    }

    #[test]
    fn pointer_chains_end_and_names_stay_bounded() {
        // Many labels reached by backward pointers: a name longer than 255
        // through pointers is refused.
        let mut msg = std::vec![0u8; HEADER];
        msg[5] = 1;
        let mut starts = Vec::new();
        for i in 0..10 {
            let start = msg.len();
            msg.push(40);
            msg.extend(std::iter::repeat_n(b'a' + i, 40));
            if let Some(&prev) = starts.last() {
                msg.extend_from_slice(&[0xC0 | (prev >> 8) as u8, prev as u8]);
            } else {
                msg.push(0);
            }
            starts.push(start);
        }
        let mut name = Name::new();
        // 6 labels of 41 bytes = 246 + 1: fits; 7 do not.
        assert!(name.read(&msg, starts[5]).is_ok());
        assert_eq!(name.wire().len(), 247);
        assert_eq!(name.read(&msg, starts[6]), Err(Malformed));
    }

    #[test]
    fn other_opcodes_are_notimp_and_edns_versions_badvers() {
        let mut q = query(1, "a.b", TYPE_A, false);
        q[2] |= 2 << 3; // STATUS
        let reply = read_reply(&answer(&q).unwrap());
        assert_eq!(rcode(&reply), RCODE_NOTIMP);
        assert_eq!(reply.header.opcode(), 2);
        let mut q = query(1, "a.b", TYPE_A, true);
        let opt_ttl = q.len() - 8 - 4 - 2 - 4; // the OPT TTL field: ext rcode, version
        q[opt_ttl + 1] = 1;
        let reply = read_reply(&answer(&q).unwrap());
        assert_eq!(reply.answers.len(), 0);
        assert_eq!(reply.additional[0].3 >> 24, 1, "BADVERS");
        // Two OPT records.
        let mut q = query(1, "a.b", TYPE_A, true);
        let opt = q[q.len() - 23..].to_vec();
        q.extend_from_slice(&opt);
        q[11] = 2;
        assert_eq!(rcode(&read_reply(&answer(&q).unwrap())), RCODE_FORMERR);
    }

    #[test]
    fn small_buffers_send_nothing() {
        let q = query(1, "captive.apple.com", TYPE_A, true);
        let full = answer(&q).unwrap().len();
        for n in 0..full {
            let mut out = std::vec![0u8; n];
            assert_eq!(Responder::new(ADDR).answer(&q, &mut out), None);
        }
    }

    #[test]
    fn writer_refuses_long_labels() {
        let mut buf = [0u8; 600];
        assert!(Writer::new(&mut buf).dotted(&"x".repeat(64)).is_none());
        assert!(Writer::new(&mut buf).dotted(&"x".repeat(63)).is_some());
        let long = std::iter::repeat_n("y".repeat(50), 6).collect::<Vec<_>>().join(".");
        assert!(Writer::new(&mut buf).dotted(&long).is_none());
    }
}
