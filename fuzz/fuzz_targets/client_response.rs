//! The client's response side: the head parser agrees with httparse on
//! status, version and every field; the body decoder never panics, never
//! produces more than it reads, and gives the same body whether the bytes
//! come in one read or two.
#![no_main]

use ferrodot::client::{BodyDecoder, ResponseHead, ResponseLimits};
use ferrodot::Method;
use libfuzzer_sys::fuzz_target;

const LIMITS: ResponseLimits = ResponseLimits {
    max_head: 1 << 20,
    max_headers: 64,
};

/// The body of `wire` decoded with reads that end at `split`, then at the
/// end; `None` on an error.
fn decode(framing: ferrodot::client::BodyFraming, wire: &[u8], split: usize) -> Option<Vec<u8>> {
    let mut decoder = BodyDecoder::new(framing);
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for part in [&wire[..split], &wire[split..]] {
        pending.extend_from_slice(part);
        let (consumed, produced) = decoder.decode(&mut pending).ok()?;
        assert!(produced <= consumed && consumed <= pending.len());
        out.extend_from_slice(&pending[..produced]);
        pending.drain(..consumed);
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, wire)) = data.split_first() else { return };
    let ours = ResponseHead::parse(wire, &LIMITS);
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut theirs = httparse::Response::new(&mut slots);
    let reference = theirs.parse(wire);
    let head = match (ours, reference) {
        (Ok(Some(head)), Ok(httparse::Status::Complete(len))) => {
            assert_eq!(head.len(), len);
            assert_eq!(Some(head.status().0), theirs.code);
            assert_eq!(
                Some(head.version() == ferrodot::http::Version::Http11),
                theirs.version.map(|v| v == 1)
            );
            let fields: Vec<(&str, &[u8])> = head.headers().collect();
            assert_eq!(fields.len(), theirs.headers.len());
            for ((name, value), h) in fields.iter().zip(theirs.headers.iter()) {
                assert_eq!(*name, h.name);
                assert_eq!(*value, h.value.trim_ascii());
            }
            head
        }
        (Ok(None), Ok(httparse::Status::Partial)) | (Err(_), Err(_)) => return,
        (ours, theirs) => panic!("disagree: {ours:?} vs {theirs:?}"),
    };
    let Ok(framing) = head.framing(Method::Get) else { return };
    let body = &wire[head.len()..];
    let split = usize::from(cut).min(body.len());
    let whole = decode(framing, body, body.len());
    let halves = decode(framing, body, split);
    assert_eq!(whole, halves);
});
