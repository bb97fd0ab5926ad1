//! Property tests of the sans-IO protocol core (proptest, inside `cargo
//! test`): arbitrary input never panics, and generated valid input
//! round-trips through the head parser, the chunked decoder, percent
//! decoding and the WebSocket frame decoder however it is split.

use ferrodot::http::chunked::ChunkedDecoder;
use ferrodot::http::parse::{parse_head, HeadLimits, ParsedHead};
use ferrodot::http::query::{Encoded, QueryPairs};
use ferrodot::http::request::{Captures, Framing};
use ferrodot::route::pattern::{validate, Pattern};
use ferrodot::ws::frame::{Decoder, Event, Token};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Decode `wire` fed in pieces cut at `cuts`; `Err` on a decoding error.
fn dechunk(wire: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, usize), &'static str> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    points.push(wire.len());
    points.sort_unstable();
    let mut dec = ChunkedDecoder::new();
    let (mut out, mut at) = (Vec::new(), 0);
    for end in points {
        while at < end && !dec.is_done() {
            let mut piece = wire[at..end].to_vec();
            let (used, produced) = dec.decode_in_place(&mut piece).map_err(|e| e.0)?;
            out.extend_from_slice(&piece[..produced]);
            at += used;
            if used == 0 {
                break;
            }
        }
    }
    if dec.is_done() {
        Ok((out, at))
    } else {
        Err("incomplete")
    }
}

fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A masked client frame.
fn client_frame(fin: bool, opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut f = vec![(if fin { 0x80 } else { 0 }) | opcode];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n <= 0xFFFF => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn head_parser_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for limits in [HeadLimits::DEFAULT, HeadLimits { max_request_line: 32, max_head: 128, max_headers: 3 }] {
            if let Ok(ParsedHead::Complete { request: req, head_len: n }) = parse_head(&bytes, &limits) {
                prop_assert!(n <= bytes.len());
                let _ = req.headers().count();
            }
        }
    }

    #[test]
    fn generated_requests_round_trip(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
        path in "(/[a-zA-Z0-9._~%-]{0,12}){1,4}",
        query in "[a-z0-9=&+%]{0,20}",
        headers in proptest::collection::vec(("X-[A-Za-z0-9-]{1,10}", "[ -~]{0,30}"), 0..10),
        length in proptest::option::of(0u64..100_000),
        lf_only in any::<bool>(),
    ) {
        let eol = if lf_only { "\n" } else { "\r\n" };
        let target = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
        let mut raw = format!("{method} {target} HTTP/1.1{eol}Host: device.local{eol}");
        for (name, value) in &headers {
            raw.push_str(&format!("{name}: {value}{eol}"));
        }
        if let Some(n) = length {
            raw.push_str(&format!("Content-Length: {n}{eol}"));
        }
        raw.push_str(eol);
        let head_len = raw.len();
        raw.push_str("trailing body bytes");
        let limits = HeadLimits { max_request_line: 4096, max_head: 4096, max_headers: 64 };
        let Ok(ParsedHead::Complete { request: req, head_len: n }) = parse_head(raw.as_bytes(), &limits) else {
            panic!("a valid, complete request");
        };
        prop_assert_eq!(n, head_len);
        prop_assert_eq!(req.method().as_str(), method);
        prop_assert_eq!(req.path(), path.as_str());
        prop_assert_eq!(req.query_string(), query.as_str());
        prop_assert_eq!(req.header("host"), Some("device.local"));
        let expected = match length { Some(0) | None => Framing::None, Some(n) => Framing::Length(n) };
        prop_assert_eq!(req.framing(), expected);
        for (name, value) in &headers {
            prop_assert!(req.headers_all(name).any(|v| v == value.trim_matches([' ', '\t']).as_bytes()));
        }
        // Any strict prefix of the head is incomplete, never an error or a request.
        for cut in [0, head_len / 3, head_len / 2, head_len - 1] {
            let part = parse_head(&raw.as_bytes()[..cut], &limits);
            prop_assert!(matches!(part, Ok(ParsedHead::Partial)), "prefix {} -> {:?}", cut, part.map(|r| match r { ParsedHead::Partial => None, ParsedHead::Complete { head_len, .. } => Some(head_len) }));
        }
    }

    #[test]
    fn chunked_round_trips_at_any_split(
        body in proptest::collection::vec(any::<u8>(), 0..3000),
        sizes in proptest::collection::vec(1usize..700, 1..8),
        ext in any::<bool>(),
        trailer in any::<bool>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut wire = Vec::new();
        let (mut at, mut i) = (0, 0);
        while at < body.len() {
            let n = sizes[i % sizes.len()].min(body.len() - at);
            wire.extend_from_slice(format!("{n:x}").as_bytes());
            if ext { wire.extend_from_slice(b";name=\"v\""); }
            wire.extend_from_slice(b"\r\n");
            wire.extend_from_slice(&body[at..at + n]);
            wire.extend_from_slice(b"\r\n");
            at += n;
            i += 1;
        }
        wire.extend_from_slice(b"0\r\n");
        if trailer { wire.extend_from_slice(b"X-Check: 1\r\n"); }
        wire.extend_from_slice(b"\r\n");
        let end = wire.len();
        wire.extend_from_slice(b"GET /next HTTP/1.1\r\n");
        let (out, used) = dechunk(&wire, &cuts).expect("decodes");
        prop_assert_eq!(out, body);
        prop_assert_eq!(used, end);
    }

    #[test]
    fn chunked_decoder_is_total(wire in proptest::collection::vec(any::<u8>(), 0..400), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let whole = dechunk(&wire, &[]);
        let split = dechunk(&wire, &cuts);
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn percent_decoding_inverts_encoding(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let enc = percent_encode(&bytes);
        let decoded: Vec<u8> = Encoded::path(&enc).bytes().collect();
        prop_assert_eq!(&decoded, &bytes);
        let decoded: Vec<u8> = Encoded::query(&enc).bytes().collect();
        prop_assert_eq!(&decoded, &bytes);
        let mut buf = [0u8; 128];
        let fits = Encoded::path(&enc).decode_into(&mut buf).map(|s| s.as_bytes().to_vec());
        prop_assert_eq!(fits, String::from_utf8(bytes.clone()).ok().map(String::into_bytes));
    }

    #[test]
    fn query_pairs_find_every_pair(pairs in proptest::collection::vec(("[a-z]{1,6}", proptest::collection::vec(any::<u8>(), 0..12)), 0..8)) {
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect();
        let query = query.join("&");
        let got: Vec<(String, Vec<u8>)> = QueryPairs::new(&query)
            .map(|(k, v)| (k.raw().to_string(), v.bytes().collect()))
            .collect();
        prop_assert_eq!(got, pairs);
    }

    #[test]
    fn route_matching_is_total(pattern in "(/(:[a-z]{1,3}[?*+]?|<(int|path|hex):[a-z]{1,3}>|[a-z%]{0,3})){0,4}", path in "[/a-z0-9%.]{0,24}") {
        if validate(&pattern).is_ok() {
            let mut caps = Captures::default();
            let _ = Pattern::new(&pattern).matches(&path, None, &mut caps);
        }
    }

    #[test]
    fn ws_messages_round_trip_at_any_split(
        messages in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300), 1usize..4), 1..5),
        key in any::<[u8; 4]>(),
        step in 1usize..97,
    ) {
        // Each message is binary or text (hex of the bytes), sent in `parts` frames.
        let mut wire = Vec::new();
        let mut expect = Vec::new();
        for (is_text, bytes, parts) in &messages {
            let payload: Vec<u8> = if *is_text { bytes.iter().flat_map(|b| format!("{b:02x}").into_bytes()).collect() } else { bytes.clone() };
            let pieces: Vec<&[u8]> = if payload.is_empty() { vec![&[][..]] } else { payload.chunks(payload.len().div_ceil(*parts)).collect() };
            for (i, piece) in pieces.iter().enumerate() {
                let opcode = if i > 0 { 0 } else if *is_text { 1 } else { 2 };
                wire.extend(client_frame(i + 1 == pieces.len(), opcode, piece, key));
            }
            expect.push((*is_text, payload));
        }
        wire.extend(client_frame(true, 9, b"ping", key));
        let mut buf = vec![0u8; 2048];
        let mut dec = Decoder::new(2048, 0);
        let (mut at, mut got) = (0, Vec::new());
        let mut pinged = false;
        loop {
            match dec.next(&mut buf).expect("valid frames") {
                Some(token) => match token.event(&buf) {
                    Event::Text(t) => { prop_assert!(matches!(token, Token::Text(_))); got.push((true, t.as_bytes().to_vec())) }
                    Event::Binary(b) => got.push((false, b.to_vec())),
                    Event::Ping(p) => { prop_assert_eq!(p, b"ping"); pinged = true; }
                    other => prop_assert!(false, "unexpected {:?}", other),
                },
                None => {
                    if at == wire.len() { break; }
                    let space = dec.space(&mut buf).expect("room");
                    let n = step.min(space.len()).min(wire.len() - at);
                    space[..n].copy_from_slice(&wire[at..at + n]);
                    dec.filled(n);
                    at += n;
                }
            }
        }
        prop_assert_eq!(got, expect);
        prop_assert!(pinged);
    }
}
