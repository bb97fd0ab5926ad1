//! The captive-portal DNS and mDNS responders on any packet: no panic, and
//! every reply is a well-formed DNS response that reads back strictly.
//! The DHCP server on the same bytes: no panic, replies are BOOTREPLYs.
#![no_main]

use core::net::Ipv4Addr;

use ferrodot::portal::dns::{skip_record, Header, Question, Responder, HEADER};
use ferrodot::portal::{dhcp, mdns};
use libfuzzer_sys::fuzz_target;

/// Reads `reply` strictly: header, every question and record, nothing after.
fn check_reply(query: &[u8], reply: &[u8], same_id: bool, max: usize) {
    let header = Header::read(reply).expect("reply header");
    assert!(header.is_response());
    if same_id {
        assert_eq!(reply[..2], query[..2]);
    }
    assert!(reply.len() <= max, "a plain DNS reply fits 512 bytes");
    let mut at = HEADER;
    for _ in 0..header.qdcount {
        at = Question::read(reply, at).expect("reply question").1;
    }
    let records = u32::from(header.ancount) + u32::from(header.nscount) + u32::from(header.arcount);
    for _ in 0..records {
        at = skip_record(reply, at).expect("reply record").3;
    }
    assert_eq!(at, reply.len(), "bytes after the last record");
}

fuzz_target!(|data: &[u8]| {
    let mut out = [0u8; 1500];
    let dns = Responder::new(Ipv4Addr::new(192, 168, 4, 1));
    if let Some(reply) = dns.answer(data, &mut out) {
        let reply = reply.to_vec();
        check_reply(data, &reply, true, 512);
        // A reply is never answered.
        assert!(dns.answer(&reply, &mut out).is_none());
    }
    let mdns = mdns::Responder::new("camera", Ipv4Addr::new(10, 0, 0, 2), 80);
    for port in [5353, 40000] {
        if let Some(reply) = mdns.answer(data, port, &mut out) {
            let reply = reply.bytes.to_vec();
            check_reply(data, &reply, port != 5353, out.len());
            assert!(mdns.answer(&reply, port, &mut out).is_none());
        }
    }
    let server: dhcp::Server<2> = dhcp::Server::new(dhcp::Config::new(
        Ipv4Addr::new(192, 168, 4, 1),
        Ipv4Addr::new(192, 168, 4, 10),
        "http://192.168.4.1/captive-portal",
    ));
    for now in [0, u32::MAX] {
        if let Some(reply) = server.handle(data, now, &mut out) {
            assert_eq!(reply.bytes.first(), Some(&2));
            assert!(reply.bytes.len() >= 300 && reply.bytes.len() <= 576);
        }
    }
});
