//! Differential: ferrodot's head parser against plain httparse, the oracle
//! of its grammar (`http::grammar`). ferrodot adds rules (Host, framing,
//! methods), so it may refuse a head httparse accepts, but never the
//! reverse; both must wait for more bytes at exactly the same places, and
//! what both accept must agree.
#![no_main]

use ferrodot::http::parse::{parse_head, HeadLimits, ParsedHead};

/// httparse's table of header slots, and ferrodot's limit to match it.
const HEADER_SLOTS: usize = 64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|buf: &[u8]| {
    let limits = HeadLimits {
        max_request_line: usize::MAX,
        max_head: usize::MAX,
        max_headers: HEADER_SLOTS,
    };
    // ferrodot reads HTTP/1.2 … 1.9 as 1.1 (RFC 9110 §2.5); httparse
    // refuses them, so it is shown the digit ferrodot reads.
    let rewritten = later_minor_as_1_1(buf);
    let mut slots = [httparse::EMPTY_HEADER; HEADER_SLOTS];
    let mut theirs = httparse::Request::new(&mut slots);
    let reference = theirs.parse(&rewritten);
    let ours = parse_head(buf, &limits);
    match (&reference, &ours) {
        // Both see a complete head: same length, same request line, same headers.
        (
            Ok(httparse::Status::Complete(n)),
            Ok(ParsedHead::Complete {
                request: req,
                head_len: m,
            }),
        ) => {
            assert_eq!(n, m, "head length");
            assert_eq!(theirs.method, Some(req.method().as_str()));
            assert_eq!(theirs.path, Some(req.target()));
            let minor = theirs.version.unwrap_or(9);
            assert_eq!(minor == 0, req.version() == ferrodot::http::Version::Http10);
            let mine: Vec<(&str, &[u8])> = req.headers().collect();
            assert_eq!(mine.len(), theirs.headers.len(), "header count");
            for ((name, value), h) in mine.iter().zip(theirs.headers.iter()) {
                assert_eq!(*name, h.name);
                assert_eq!(value.trim_ascii(), h.value.trim_ascii());
            }
        }
        // ferrodot may add rejections to a complete head (Host, framing, methods).
        (Ok(httparse::Status::Complete(_)), Err(_)) => {}
        (Ok(httparse::Status::Complete(_)), Ok(ParsedHead::Partial)) => panic!("httparse complete, ferrodot partial"),
        // Incomplete for httparse: ferrodot must not claim a complete head.
        (Ok(httparse::Status::Partial), Ok(ParsedHead::Complete { .. })) => panic!("ferrodot accepted a partial head"),
        (Ok(httparse::Status::Partial), Err(r)) => panic!("ferrodot refused a head httparse waits on: {r:?}"),
        (Ok(httparse::Status::Partial), Ok(ParsedHead::Partial)) => {}
        // httparse refuses: so must ferrodot.
        (Err(e), Ok(ParsedHead::Complete { .. })) => panic!("ferrodot accepted what httparse refuses: {e:?}"),
        (Err(e), Ok(ParsedHead::Partial)) => panic!("ferrodot waits for more after httparse error {e:?}"),
        (Err(_), Err(_)) => {}
    }
});

/// `head` with the version digit after the request line's second space
/// set to 1 when it is 2–9.
fn later_minor_as_1_1(head: &[u8]) -> Vec<u8> {
    let mut head = head.to_vec();
    let start = head.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let line = head[start..].iter().take_while(|&&b| b != b'\r' && b != b'\n');
    let second_space = line
        .enumerate()
        .filter(|&(_, &b)| b == b' ')
        .nth(1)
        .map(|(i, _)| start + i);
    if let Some(at) = second_space.map(|i| i + 1) {
        if head[at..].starts_with(b"HTTP/1.") && matches!(head.get(at + 7), Some(b'2'..=b'9')) {
            head[at + 7] = b'1';
        }
    }
    head
}
