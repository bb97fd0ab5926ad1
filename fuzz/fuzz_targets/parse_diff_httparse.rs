//! Differential: ferrodot's head parser against plain httparse. ferrodot
//! adds rules (Host, framing, limits), so it may refuse what httparse
//! accepts, but never the reverse, and what both accept must agree.
#![no_main]

use ferrodot::http::parse::{parse_head, HeadLimits, ParsedHead, HEADER_SLOTS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|buf: &[u8]| {
    let limits = HeadLimits {
        max_request_line: usize::MAX,
        max_head: usize::MAX,
        max_headers: HEADER_SLOTS,
    };
    let mut slots = [httparse::EMPTY_HEADER; HEADER_SLOTS];
    let mut theirs = httparse::Request::new(&mut slots);
    let reference = theirs.parse(buf);
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
        (Ok(httparse::Status::Partial), _) => {}
        // httparse refuses: so must ferrodot.
        (Err(e), Ok(ParsedHead::Complete { .. })) => panic!("ferrodot accepted what httparse refuses: {e:?}"),
        (Err(e), Ok(ParsedHead::Partial)) => panic!("ferrodot waits for more after httparse error {e:?}"),
        (Err(_), Err(_)) => {}
    }
});
