//! The chunked decoder: never panics, never produces more than it reads,
//! and decodes the same whether the body comes in one read or many.
#![no_main]

use ferrodot::http::chunked::ChunkedDecoder;
use libfuzzer_sys::fuzz_target;

/// Decode `data` fed in pieces of the given sizes; the decoded bytes, how
/// much was consumed, and whether it ended (done, error or not yet).
fn decode(data: &[u8], pieces: &[u8]) -> (Vec<u8>, usize, Result<bool, &'static str>) {
    let mut dec = ChunkedDecoder::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut sizes = pieces.iter().map(|&p| usize::from(p).max(1)).cycle();
    while at < data.len() && !dec.is_done() {
        let size = if pieces.is_empty() {
            data.len()
        } else {
            sizes.next().unwrap_or(1)
        };
        let end = (at + size).min(data.len());
        let mut buf = data[at..end].to_vec();
        match dec.decode_in_place(&mut buf) {
            Ok((consumed, produced)) => {
                assert!(consumed <= buf.len());
                assert!(produced <= consumed);
                out.extend_from_slice(&buf[..produced]);
                at += consumed;
                if consumed < end - (at - consumed) {
                    // Stopped early: only at the end of the body.
                    assert!(dec.is_done());
                }
            }
            Err(e) => return (out, at, Err(e.0)),
        }
    }
    (out, at, Ok(dec.is_done()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let split = usize::from(n).min(rest.len());
    let (pieces, body) = rest.split_at(split.min(8));
    let _ = split;
    let (whole, used_whole, end_whole) = decode(body, &[]);
    let (parts, used_parts, end_parts) = decode(body, pieces);
    assert_eq!(end_whole.is_ok(), end_parts.is_ok(), "error depends on read boundaries");
    if let (Ok(a), Ok(b)) = (end_whole, end_parts) {
        assert_eq!(a, b);
        assert_eq!(whole, parts);
        assert_eq!(used_whole, used_parts);
    }
});
