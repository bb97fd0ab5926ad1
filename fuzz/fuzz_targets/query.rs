//! Percent and form decoding: total, bounded, and consistent between the
//! buffer decoder, the byte iterator and the comparison.
#![no_main]

use ferrodot::http::query::{Encoded, QueryPairs};
use libfuzzer_sys::fuzz_target;

fn check(e: Encoded<'_>) {
    let decoded: Vec<u8> = e.bytes().collect();
    assert!(decoded.len() <= e.raw().len());
    if !e.needs_decoding() {
        assert_eq!(decoded, e.raw().as_bytes());
    }
    let mut buf = [0u8; 256];
    match e.decode_into(&mut buf) {
        Some(s) => {
            assert_eq!(s.as_bytes(), &decoded[..]);
            assert!(e.eq_decoded(s));
        }
        None => assert!(decoded.len() > buf.len() || core::str::from_utf8(&decoded).is_err()),
    }
    let _ = e.parse::<u64>();
    let _ = e.parse::<f32>();
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    check(Encoded::path(text));
    check(Encoded::query(text));
    let mut n = 0usize;
    for (k, v) in QueryPairs::new(text) {
        check(k);
        check(v);
        n += 1;
    }
    assert!(n <= text.len());
});
