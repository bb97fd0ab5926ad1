//! The request-head parser on arbitrary bytes, under small and default
//! limits: it must never panic, and what it accepts must be consistent.
#![no_main]

use ferrodot::http::parse::{check_partial, parse_head, HeadLimits, ParsedHead};
use ferrodot::http::request::Framing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, buf)) = data.split_first() else {
        return;
    };
    let limits = match selector % 3 {
        0 => HeadLimits::DEFAULT,
        1 => HeadLimits {
            max_request_line: 64,
            max_head: 256,
            max_headers: 4,
        },
        _ => HeadLimits {
            max_request_line: usize::MAX,
            max_head: usize::MAX,
            max_headers: usize::MAX,
        },
    };
    let _ = check_partial(buf, &limits);
    match parse_head(buf, &limits) {
        Ok(ParsedHead::Complete {
            request: req,
            head_len: n,
        }) => {
            assert!(n <= buf.len());
            assert!(n <= limits.max_head);
            // Every accessor on an accepted request is total.
            let _ = (
                req.method(),
                req.target(),
                req.path(),
                req.query_string(),
                req.fragment(),
                req.version(),
            );
            for (name, value) in req.headers() {
                assert!(!name.is_empty());
                let _ = value;
            }
            for (k, v) in req.query_pairs() {
                let _ = (k.bytes().count(), v.bytes().count());
            }
            let _ = req.path_decoded().bytes().count();
            if let Framing::Length(len) = req.framing() {
                assert!(len > 0);
            }
            // A complete head is complete whatever follows it.
            let mut longer = buf.to_vec();
            longer.extend_from_slice(b"GET / HTTP/1.1\r\n");
            if let Ok(ParsedHead::Complete { head_len: m, .. }) = parse_head(&longer, &limits) {
                assert_eq!(m, n);
            }
        }
        Ok(ParsedHead::Partial) => {}
        Err(rejection) => {
            let code = rejection.status.0;
            assert!(
                matches!(code, 400 | 414 | 417 | 431 | 501 | 505),
                "unexpected status {code}"
            );
        }
    }
});
