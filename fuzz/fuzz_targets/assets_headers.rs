//! `Range` and `Accept-Encoding` parsing: total, and every partial range lies
//! inside the representation.
#![no_main]

use ferrodot::assets::{negotiate, parse_range, Encoding, RangeOutcome};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the representation length (0 included), the rest is the header.
    let Some((&len, header)) = data.split_first() else {
        return;
    };
    let len = u64::from(len);
    if let RangeOutcome::Partial { start, end } = parse_range(header, len) {
        assert!(start <= end && end < len, "{start}-{end}/{len}");
    }
    for (identity, gzip) in [(true, true), (true, false), (false, true)] {
        match negotiate(Some(header), identity, gzip) {
            Some(Encoding::Gzip) => assert!(gzip),
            Some(Encoding::Identity) => assert!(identity),
            None => {}
        }
    }
    assert_eq!(negotiate(None, true, true), Some(Encoding::Identity));
});
