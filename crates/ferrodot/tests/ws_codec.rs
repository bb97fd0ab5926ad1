//! The WebSocket codec (RFC 6455), sans-IO, through its public API: client
//! frames are built and masked here, fed to the [`Decoder`] through
//! `space` + `filled` exactly as a socket would (whole, byte by byte, and
//! split at every point), and the tokens, events and errors are checked.
//! Also the server's header encoder and the opening handshake checks.

use ferrodot::http::parse::{parse_head, HeadLimits, ParsedHead, Rejection};
use ferrodot::ws::frame::{close_code, encode_header, Decoder, Event, Opcode, WsError};
use ferrodot::ws::handshake::{accept_key, check_upgrade, choose_protocol};
use ferrodot::ws::utf8::{InvalidUtf8, Utf8Stream};

// ------------------------------------------------------------ frame builder

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONT: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;
const FIN: u8 = 0x80;

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame header with the length in its shortest encoding: byte 0 as
/// given, then the mask bit and length, then the masking key (if any).
fn header(b0: u8, len: u64, mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![b0];
    let m = if mask.is_some() { 0x80 } else { 0 };
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    out
}

/// A whole frame with first byte `b0`, masked with `key` (`None`: sent
/// unmasked, which a server must refuse).
fn raw_frame(b0: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = header(b0, payload.len() as u64, mask);
    match mask {
        Some(key) => out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4])),
        None => out.extend_from_slice(payload),
    }
    out
}

/// A masked client frame with the default key.
fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_key(fin, opcode, payload, KEY)
}

/// A masked client frame with a chosen key.
fn frame_key(fin: bool, opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    raw_frame(if fin { FIN } else { 0 } | opcode, payload, Some(key))
}

fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason);
    p
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

// ------------------------------------------------------------ the driver

/// An event copied out of the buffer, with the number of input bytes the
/// decoder had been given when it came out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>, String),
}

fn own(e: Event<'_>) -> Ev {
    match e {
        Event::Text(t) => Ev::Text(t.to_string()),
        Event::Binary(b) => Ev::Binary(b.to_vec()),
        Event::Ping(b) => Ev::Ping(b.to_vec()),
        Event::Pong(b) => Ev::Pong(b.to_vec()),
        Event::Close(code, reason) => Ev::Close(code, reason.to_string()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    /// Each event and how many input bytes had been read when it came.
    events: Vec<(Ev, usize)>,
    /// The error, and how many input bytes had been read when it came.
    error: Option<(WsError, usize)>,
    /// Input bytes never handed to the decoder (it stopped early).
    unread: usize,
}

impl Outcome {
    fn evs(&self) -> Vec<Ev> {
        self.events.iter().map(|(e, _)| e.clone()).collect()
    }

    fn code(&self) -> Option<u16> {
        self.error.map(|(e, _)| e.code)
    }
}

/// Feed `input` to a decoder over a buffer of `buf_len` bytes, as a socket
/// would: `next` until it wants bytes, then one read into `space`. A read
/// returns at most `chunk` bytes and never crosses a cut in `cuts`.
fn drive(input: &[u8], cuts: &[usize], chunk: usize, buf_len: usize, max: usize) -> Outcome {
    let mut buf = vec![0u8; buf_len];
    let mut dec = Decoder::new(max, 0);
    let mut at = 0;
    let mut events = Vec::new();
    let mut steps = 0usize;
    loop {
        steps += 1;
        assert!(steps < 10 * input.len() + 100, "the decoder makes no progress");
        match dec.next(&mut buf) {
            Ok(Some(token)) => events.push((own(token.event(&buf)), at)),
            Ok(None) => {
                if at == input.len() {
                    return Outcome {
                        events,
                        error: None,
                        unread: 0,
                    };
                }
                let space = match dec.space(&mut buf) {
                    Ok(space) => space,
                    Err(e) => {
                        return Outcome {
                            events,
                            error: Some((e, at)),
                            unread: input.len() - at,
                        }
                    }
                };
                assert!(!space.is_empty(), "space() returned an empty slice instead of an error");
                let next_cut = cuts.iter().copied().filter(|&c| c > at).min().unwrap_or(input.len());
                let n = space.len().min(chunk).min(next_cut - at);
                space[..n].copy_from_slice(&input[at..at + n]);
                dec.filled(n);
                at += n;
            }
            Err(e) => {
                return Outcome {
                    events,
                    error: Some((e, at)),
                    unread: input.len() - at,
                }
            }
        }
    }
}

/// The buffer used unless a test says otherwise.
const BUF: usize = 512;

fn whole(input: &[u8]) -> Outcome {
    drive(input, &[], usize::MAX, BUF, BUF)
}

fn bytewise(input: &[u8]) -> Outcome {
    drive(input, &[], 1, BUF, BUF)
}

/// Run `input` whole, byte by byte, and split at every point (two reads)
/// and, for short inputs, at every pair of points (three reads). All runs
/// must give the same events and the same error; the byte-by-byte run is
/// returned (its offsets say when each event or error came out).
fn all_splits_with(input: &[u8], buf_len: usize, max: usize) -> Outcome {
    let one = drive(input, &[], usize::MAX, buf_len, max);
    let bytewise = drive(input, &[], 1, buf_len, max);
    let same = |o: &Outcome, how: &str| {
        assert_eq!(o.evs(), one.evs(), "events differ when split {how}");
        assert_eq!(
            o.error.map(|e| e.0),
            one.error.map(|e| e.0),
            "error differs when split {how}"
        );
    };
    same(&bytewise, "byte by byte");
    for i in 1..input.len() {
        same(&drive(input, &[i], usize::MAX, buf_len, max), &format!("at {i}"));
    }
    if input.len() <= 48 {
        for i in 1..input.len() {
            for j in i + 1..input.len() {
                same(
                    &drive(input, &[i, j], usize::MAX, buf_len, max),
                    &format!("at {i} and {j}"),
                );
            }
        }
    }
    bytewise
}

fn all_splits(input: &[u8]) -> Outcome {
    all_splits_with(input, BUF, BUF)
}

/// Every split must fail with `code`; returns the byte-by-byte outcome.
fn fails_with(input: &[u8], code: u16) -> Outcome {
    let o = all_splits(input);
    assert_eq!(o.code(), Some(code), "expected close code {code}: {o:?}");
    o
}

fn text(s: &str) -> Ev {
    Ev::Text(s.to_string())
}

// ------------------------------------------------------------ encode_header

fn encoded(fin: bool, op: Opcode, len: usize) -> Vec<u8> {
    let mut out = [0u8; 10];
    let n = encode_header(fin, op, len, &mut out);
    out[..n].to_vec()
}

#[test]
fn encode_header_uses_the_shortest_length_encoding() {
    assert_eq!(encoded(true, Opcode::Text, 0), [0x81, 0]);
    assert_eq!(encoded(true, Opcode::Text, 1), [0x81, 1]);
    assert_eq!(encoded(true, Opcode::Text, 125), [0x81, 125]);
    assert_eq!(encoded(true, Opcode::Binary, 126), [0x82, 126, 0x00, 0x7E]);
    assert_eq!(encoded(true, Opcode::Binary, 127), [0x82, 126, 0x00, 0x7F]);
    assert_eq!(encoded(true, Opcode::Binary, 65535), [0x82, 126, 0xFF, 0xFF]);
    assert_eq!(
        encoded(true, Opcode::Binary, 65536),
        [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]
    );
    assert_eq!(
        encoded(true, Opcode::Binary, 16 * 1024 * 1024),
        [0x82, 127, 0, 0, 0, 0, 1, 0, 0, 0]
    );
    assert_eq!(
        encoded(true, Opcode::Binary, 0x0123_4567_89AB),
        [0x82, 127, 0, 0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB]
    );
}

#[test]
fn encode_header_sets_fin_and_opcode_and_never_masks() {
    assert_eq!(encoded(false, Opcode::Text, 3), [0x01, 3]);
    assert_eq!(encoded(false, Opcode::Continuation, 3), [0x00, 3]);
    assert_eq!(encoded(true, Opcode::Continuation, 3), [0x80, 3]);
    assert_eq!(encoded(true, Opcode::Close, 2), [0x88, 2]);
    assert_eq!(encoded(true, Opcode::Ping, 0), [0x89, 0]);
    assert_eq!(encoded(true, Opcode::Pong, 125), [0x8A, 125]);
    for len in [0, 125, 126, 65535, 65536, 1 << 40] {
        let h = encoded(true, Opcode::Binary, len);
        assert_eq!(h[1] & 0x80, 0, "server frames are never masked ({len})");
    }
}

#[test]
fn encode_header_matches_the_client_builder_but_for_the_mask() {
    // Cross-check the test's own header builder against the library's.
    for len in [0usize, 1, 125, 126, 65535, 65536, 1 << 33] {
        let ours = header(0x82, len as u64, None);
        assert_eq!(encoded(true, Opcode::Binary, len), ours, "len {len}");
        let masked = header(0x82, len as u64, Some(KEY));
        assert_eq!(masked[1] & 0x7F, ours[1]);
        assert_eq!(&masked[masked.len() - 4..], &KEY);
    }
}

#[test]
fn opcodes_know_which_are_control_frames() {
    assert!(Opcode::Close.is_control() && Opcode::Ping.is_control() && Opcode::Pong.is_control());
    assert!(!Opcode::Text.is_control() && !Opcode::Binary.is_control() && !Opcode::Continuation.is_control());
}

// ------------------------------------------------------------ lengths

/// A payload of `n` bytes: varied binary, or text with multi-byte
/// characters whose UTF-8 length is exactly `n`.
fn payload(n: usize, text: bool) -> Vec<u8> {
    if !text {
        return (0..n).map(|i| (i * 31 % 251) as u8).collect();
    }
    let mut s = String::new();
    let pieces = ["é", "€", "𝄞", "a"];
    let mut k = 0;
    while s.len() < n {
        let p = pieces[k % pieces.len()];
        if s.len() + p.len() <= n {
            s.push_str(p);
        } else {
            s.push('z');
        }
        k += 1;
    }
    assert_eq!(s.len(), n);
    s.into_bytes()
}

#[test]
fn every_length_boundary_decodes_in_each_header_encoding() {
    for (len, header_len) in [
        (0, 6),
        (1, 6),
        (125, 6),
        (126, 8),
        (127, 8),
        (65535, 8),
        (65536, 14),
        (70000, 14),
    ] {
        for opcode in [TEXT, BINARY] {
            let body = payload(len, opcode == TEXT);
            let wire = frame(true, opcode, &body);
            assert_eq!(wire.len(), header_len + len, "header of a {len}-byte frame");
            let buf = len.max(16) + 16;
            let expected = if opcode == TEXT {
                Ev::Text(String::from_utf8(body.clone()).unwrap())
            } else {
                Ev::Binary(body.clone())
            };
            let mut runs = vec![
                drive(&wire, &[], usize::MAX, buf, buf),
                drive(&wire, &[], 1, buf, buf),
                drive(&wire, &[], 1000, buf, buf),
            ];
            // Splits around the header: inside the length, inside the mask,
            // right after it.
            for cut in 1..(header_len + 2).min(wire.len()) {
                runs.push(drive(&wire, &[cut], usize::MAX, buf, buf));
            }
            for o in runs {
                assert_eq!(o.error, None, "len {len} opcode {opcode}");
                assert_eq!(o.evs(), vec![expected.clone()], "len {len} opcode {opcode}");
                assert_eq!(
                    o.events[0].1,
                    wire.len(),
                    "the message comes out once its last byte is in"
                );
            }
        }
    }
}

#[test]
fn small_frames_at_every_split_point() {
    for len in [0, 1, 5, 30] {
        let body = payload(len, true);
        let o = all_splits(&frame(true, TEXT, &body));
        assert_eq!(o.evs(), vec![Ev::Text(String::from_utf8(body).unwrap())]);
        let body = payload(len, false);
        let o = all_splits(&frame(true, BINARY, &body));
        assert_eq!(o.evs(), vec![Ev::Binary(body)]);
    }
}

#[test]
fn the_masking_key_is_applied_at_every_offset() {
    let body: Vec<u8> = (0..=255u8).collect();
    for key in [[0, 0, 0, 0], [0xFF; 4], [1, 2, 3, 4], [0x80, 0x00, 0x7F, 0xAA]] {
        let wire = frame_key(true, BINARY, &body, key);
        for chunk in [1, 3, 5, 7, 1000] {
            let o = drive(&wire, &[], chunk, BUF, BUF);
            assert_eq!(o.evs(), vec![Ev::Binary(body.clone())], "key {key:?} chunk {chunk}");
        }
    }
    // A fragmented message restarts the key at each frame.
    let wire = cat(&[
        frame_key(false, BINARY, &body[..7], [9, 8, 7, 6]),
        frame_key(true, CONT, &body[7..], [1, 2, 3, 4]),
    ]);
    assert_eq!(all_splits(&wire).evs(), vec![Ev::Binary(body)]);
}

#[test]
fn a_non_minimal_length_encoding_still_decodes() {
    // RFC 6455 asks for the shortest encoding but the length is unambiguous.
    let mut wire = vec![FIN | BINARY, 0x80 | 126, 0, 3];
    wire.extend_from_slice(&KEY);
    wire.extend(b"abc".iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    assert_eq!(all_splits(&wire).evs(), vec![Ev::Binary(b"abc".to_vec())]);
}

#[test]
fn a_length_with_the_top_bit_set_is_a_protocol_error() {
    let mut wire = vec![FIN | BINARY, 0x80 | 127];
    wire.extend_from_slice(&(1u64 << 63).to_be_bytes());
    wire.extend_from_slice(&KEY);
    let o = fails_with(&wire, 1002);
    assert_eq!(o.error.unwrap().1, 10, "known as soon as the length is in");
}

// ------------------------------------------------------------ several messages

#[test]
fn messages_and_control_frames_back_to_back() {
    let wire = cat(&[
        frame(true, TEXT, b"one"),
        frame(true, BINARY, &[0, 1, 2]),
        frame(true, PING, b"pi"),
        frame(true, TEXT, b""),
        frame(true, PONG, b""),
        frame(true, TEXT, "κόσμε".as_bytes()),
        frame(true, CLOSE, &close_payload(1000, b"bye")),
    ]);
    let o = all_splits_with(&wire, 64, 64);
    assert_eq!(o.error, None);
    assert_eq!(
        o.evs(),
        vec![
            text("one"),
            Ev::Binary(vec![0, 1, 2]),
            Ev::Ping(b"pi".to_vec()),
            text(""),
            Ev::Pong(vec![]),
            text("κόσμε"),
            Ev::Close(Some(1000), "bye".into()),
        ]
    );
}

#[test]
fn many_messages_reuse_a_small_buffer() {
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for i in 0..200 {
        let body = format!("message number {i} {}", "x".repeat(i % 40));
        wire.extend(frame(true, TEXT, body.as_bytes()));
        expected.push(Ev::Text(body));
    }
    for chunk in [1, 2, 7, 64, 1000] {
        let o = drive(&wire, &[], chunk, 64, 64);
        assert_eq!(o.error, None, "chunk {chunk}");
        assert_eq!(o.evs(), expected, "chunk {chunk}");
    }
}

// ------------------------------------------------------------ fragmentation

#[test]
fn a_fragmented_message_is_delivered_whole() {
    let wire = cat(&[
        frame(false, TEXT, b"Hel"),
        frame(false, CONT, b""),
        frame(false, CONT, b"lo "),
        frame(true, CONT, b"World"),
    ]);
    let o = all_splits(&wire);
    assert_eq!(o.evs(), vec![text("Hello World")]);
    assert_eq!(o.events[0].1, wire.len(), "not before the final fragment");

    let wire = cat(&[frame(false, BINARY, &[1, 2]), frame(true, CONT, &[3])]);
    assert_eq!(all_splits(&wire).evs(), vec![Ev::Binary(vec![1, 2, 3])]);
}

#[test]
fn control_frames_interleaved_in_a_fragmented_message() {
    let parts = [
        frame(false, TEXT, b"Hel"),
        frame(true, PING, b"ping-1"),
        frame(false, CONT, b"lo "),
        frame(true, PONG, b"pong"),
        frame(true, PING, b""),
        frame(true, CONT, b"World"),
        frame(true, TEXT, b"next"),
    ];
    let wire = cat(&parts);
    let o = all_splits(&wire);
    assert_eq!(o.error, None);
    assert_eq!(
        o.evs(),
        vec![
            Ev::Ping(b"ping-1".to_vec()),
            Ev::Pong(b"pong".to_vec()),
            Ev::Ping(vec![]),
            text("Hello World"),
            text("next")
        ]
    );
    // Byte by byte, each control frame comes out as soon as it is whole,
    // mid-message, and the partial message survives it.
    let ends: Vec<usize> = parts
        .iter()
        .scan(0, |at, p| {
            *at += p.len();
            Some(*at)
        })
        .collect();
    let offsets: Vec<usize> = o.events.iter().map(|e| e.1).collect();
    assert_eq!(offsets, vec![ends[1], ends[3], ends[4], ends[5], ends[6]]);
}

#[test]
fn a_ping_mid_message_with_a_buffer_barely_large_enough() {
    // The message (40 bytes) and the ping's raw frame share a 64-byte buffer.
    let body = payload(40, false);
    let wire = cat(&[
        frame(false, BINARY, &body[..20]),
        frame(true, PING, &[7; 10]),
        frame(true, CONT, &body[20..]),
    ]);
    let o = all_splits_with(&wire, 64, 64);
    assert_eq!(o.error, None);
    assert_eq!(o.evs(), vec![Ev::Ping(vec![7; 10]), Ev::Binary(body)]);
}

#[test]
fn valid_utf8_split_across_fragments_at_every_byte() {
    let s = "aé€𝄞z";
    let bytes = s.as_bytes();
    for i in 0..=bytes.len() {
        let wire = cat(&[frame(false, TEXT, &bytes[..i]), frame(true, CONT, &bytes[i..])]);
        let o = all_splits(&wire);
        assert_eq!(o.error, None, "split at {i}");
        assert_eq!(o.evs(), vec![text(s)], "split at {i}");
        for j in i..=bytes.len() {
            let wire = cat(&[
                frame(false, TEXT, &bytes[..i]),
                frame(false, CONT, &bytes[i..j]),
                frame(true, CONT, &bytes[j..]),
            ]);
            for chunk in [1, 2, 3, usize::MAX] {
                let o = drive(&wire, &[], chunk, BUF, BUF);
                assert_eq!(o.evs(), vec![text(s)], "split at {i},{j} chunk {chunk}");
            }
        }
    }
}

/// The offset in the wire bytes of payload byte `k` of the (short, 6-byte
/// header) frame that starts at `frame_at`.
fn payload_offset(frame_at: usize, k: usize) -> usize {
    frame_at + 6 + k
}

#[test]
fn bad_utf8_across_fragments_fails_fast_with_1007() {
    // "\xce" starts a 2-byte sequence; "(" cannot continue it.
    let f1 = frame(false, TEXT, b"ok \xce");
    let f2 = frame(false, CONT, b"(more");
    let f3 = frame(true, CONT, b"end");
    let wire = cat(&[f1.clone(), f2.clone(), f3.clone()]);
    let o = fails_with(&wire, 1007);
    assert_eq!(o.events, vec![]);
    let bad_at = payload_offset(f1.len(), 0);
    assert_eq!(
        o.error.unwrap().1,
        bad_at + 1,
        "the error comes with the bad byte, not at the end of the message"
    );
    assert!(o.unread >= f3.len(), "the final fragment was never needed");

    // Without the final fragment at all, the error still comes.
    let o = bytewise(&cat(&[f1, f2]));
    assert_eq!(o.code(), Some(1007));
}

#[test]
fn bad_utf8_variants_fail_at_the_offending_byte() {
    // (first fragment, second fragment, index in the second fragment of the
    // first byte that makes the text invalid)
    let cases: &[(&[u8], &[u8], usize)] = &[
        (b"\xed", b"\xa0\x80", 0),      // a UTF-16 surrogate
        (b"x\xf4", b"\x90\x80\x80", 0), // above U+10FFFF
        (b"\xe0", b"\x80\x80", 0),      // overlong
        (b"\xf0\x9f", b"\x98A", 1),     // cut-off 4-byte sequence
        (b"abc", b"\xff", 0),           // never valid
        (b"abc", b"def\xc0\xaf", 3),    // overlong '/'
        (b"\xe2\x82", b"\xac\x80", 1),  // "€" then a stray continuation
    ];
    for &(a, b, bad) in cases {
        let f1 = frame(false, TEXT, a);
        let wire = cat(&[f1.clone(), frame(false, CONT, b), frame(true, CONT, b"tail")]);
        let o = fails_with(&wire, 1007);
        assert_eq!(o.error.unwrap().1, payload_offset(f1.len(), bad) + 1, "{a:?} + {b:?}");
    }
    // Bad inside the first fragment: known before the fragment ends.
    let wire = cat(&[frame(false, TEXT, b"ab\xffcdefgh"), frame(true, CONT, b"x")]);
    let o = fails_with(&wire, 1007);
    assert_eq!(o.error.unwrap().1, payload_offset(0, 2) + 1);
}

#[test]
fn text_ending_in_a_cut_off_sequence_is_1007() {
    fails_with(&frame(true, TEXT, b"price: \xe2\x82"), 1007);
    fails_with(
        &cat(&[frame(false, TEXT, b"\xf0\x9f"), frame(true, CONT, b"\x98")]),
        1007,
    );
    // The same bytes as binary are fine.
    assert_eq!(
        all_splits(&frame(true, BINARY, b"\xe2\x82")).evs(),
        vec![Ev::Binary(b"\xe2\x82".to_vec())]
    );
}

#[test]
fn utf8_state_is_reset_between_messages() {
    // A cut-off sequence fails its own message; a binary message in between
    // is not validated; a later text message starts clean.
    let wire = cat(&[frame(true, BINARY, b"\xe2"), frame(true, TEXT, b"\x82\xac")]);
    fails_with(&wire, 1007);
    let wire = cat(&[frame(true, BINARY, b"\xe2"), frame(true, TEXT, "€".as_bytes())]);
    assert_eq!(all_splits(&wire).evs(), vec![Ev::Binary(vec![0xe2]), text("€")]);
}

#[test]
fn utf8_stream_fed_piece_by_piece() {
    let s = "a€𝄞".as_bytes();
    for i in 0..=s.len() {
        for j in i..=s.len() {
            let mut v = Utf8Stream::new();
            assert_eq!(v.feed(&s[..i]), Ok(()));
            assert_eq!(v.feed(&s[i..j]), Ok(()));
            assert_eq!(v.feed(&s[j..]), Ok(()));
            assert_eq!(v.finish(), Ok(()), "{i},{j}");
        }
    }
    let mut v = Utf8Stream::new();
    assert_eq!(v.feed(b"\xf0"), Ok(()));
    assert_eq!(v.feed(b"\x9f"), Ok(()));
    assert_eq!(v.feed(b"\x41"), Err(InvalidUtf8));
    let mut v = Utf8Stream::new();
    assert_eq!(v.feed(b"\xe2"), Ok(()));
    assert_eq!(v.finish(), Err(InvalidUtf8));
}

// ------------------------------------------------------------ protocol errors

#[test]
fn an_unmasked_frame_is_1002() {
    for (b0, payload) in [
        (FIN | TEXT, &b"hi"[..]),
        (FIN | BINARY, b""),
        (FIN | PING, b"p"),
        (FIN | CLOSE, b"\x03\xe8"),
    ] {
        let o = fails_with(&raw_frame(b0, payload, None), 1002);
        assert_eq!(o.error.unwrap().1, 2, "known from the second byte");
    }
}

#[test]
fn reserved_bits_are_1002() {
    for rsv in [0x40, 0x20, 0x10, 0x70] {
        let o = fails_with(&raw_frame(FIN | rsv | TEXT, b"x", Some(KEY)), 1002);
        assert_eq!(o.error.unwrap().1, 2);
        fails_with(&raw_frame(FIN | rsv | PING, b"", Some(KEY)), 1002);
    }
    // On a continuation too.
    fails_with(
        &cat(&[frame(false, TEXT, b"a"), raw_frame(FIN | 0x40, b"b", Some(KEY))]),
        1002,
    );
}

#[test]
fn unknown_opcodes_are_1002() {
    for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        let o = fails_with(&raw_frame(FIN | op, b"x", Some(KEY)), 1002);
        assert_eq!(o.error.unwrap().1, 2, "opcode {op}");
    }
}

#[test]
fn a_continuation_without_a_message_is_1002() {
    fails_with(&frame(true, CONT, b"orphan"), 1002);
    fails_with(&frame(false, CONT, b"orphan"), 1002);
    // Also right after a message ended.
    let o = fails_with(&cat(&[frame(true, TEXT, b"done"), frame(true, CONT, b"more")]), 1002);
    assert_eq!(o.evs(), vec![text("done")]);
}

#[test]
fn a_new_message_inside_a_fragmented_one_is_1002() {
    fails_with(&cat(&[frame(false, TEXT, b"a"), frame(true, TEXT, b"b")]), 1002);
    fails_with(&cat(&[frame(false, TEXT, b"a"), frame(true, BINARY, b"b")]), 1002);
    fails_with(
        &cat(&[
            frame(false, BINARY, b"a"),
            frame(false, TEXT, b"b"),
            frame(true, CONT, b"c"),
        ]),
        1002,
    );
}

#[test]
fn a_fragmented_control_frame_is_1002() {
    for op in [PING, PONG, CLOSE] {
        fails_with(&frame(false, op, b""), 1002);
    }
    // Even between the fragments of a message.
    fails_with(
        &cat(&[
            frame(false, TEXT, b"a"),
            frame(false, PING, b"p"),
            frame(true, CONT, b"b"),
        ]),
        1002,
    );
}

#[test]
fn control_frames_over_125_bytes_are_1002() {
    for op in [PING, PONG, CLOSE] {
        let body = if op == CLOSE {
            close_payload(1000, &[b'r'; 124])
        } else {
            vec![b'p'; 126]
        };
        assert_eq!(body.len(), 126);
        let wire = frame(true, op, &body);
        let o = bytewise(&wire);
        assert_eq!(o.code(), Some(1002), "opcode {op}");
        assert!(o.error.unwrap().1 <= 4, "known from the length, before the payload");
        assert_eq!(whole(&wire).code(), Some(1002));
    }
    // 125 is fine.
    assert_eq!(
        whole(&frame(true, PING, &[b'p'; 125])).evs(),
        vec![Ev::Ping(vec![b'p'; 125])]
    );
    let reason = "r".repeat(123);
    assert_eq!(
        whole(&frame(true, CLOSE, &close_payload(1000, reason.as_bytes()))).evs(),
        vec![Ev::Close(Some(1000), reason)]
    );
}

// ------------------------------------------------------------ close frames

#[test]
fn close_frames_without_code_with_code_and_with_reason() {
    assert_eq!(
        all_splits(&frame(true, CLOSE, b"")).evs(),
        vec![Ev::Close(None, String::new())]
    );
    assert_eq!(
        all_splits(&frame(true, CLOSE, &close_payload(1001, b""))).evs(),
        vec![Ev::Close(Some(1001), String::new())]
    );
    assert_eq!(
        all_splits(&frame(true, CLOSE, &close_payload(4000, "adiós".as_bytes()))).evs(),
        vec![Ev::Close(Some(4000), "adiós".into())]
    );
}

#[test]
fn a_close_frame_with_a_one_byte_payload_is_1002() {
    fails_with(&frame(true, CLOSE, &[0x03]), 1002);
}

#[test]
fn close_codes_valid_and_invalid() {
    let valid = [
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
    ];
    let invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
    for code in valid {
        assert!(close_code::is_valid(code), "{code} is valid on the wire");
        let o = whole(&frame(true, CLOSE, &close_payload(code, b"r")));
        assert_eq!(o.evs(), vec![Ev::Close(Some(code), "r".into())], "code {code}");
    }
    for code in invalid {
        assert!(!close_code::is_valid(code), "{code} must not be sent");
        let o = whole(&frame(true, CLOSE, &close_payload(code, b"")));
        assert_eq!(o.code(), Some(1002), "code {code}");
    }
    // The named constants are all valid codes.
    for code in [
        close_code::NORMAL,
        close_code::GOING_AWAY,
        close_code::PROTOCOL_ERROR,
        close_code::UNSUPPORTED,
        close_code::INVALID_PAYLOAD,
        close_code::POLICY,
        close_code::TOO_BIG,
        close_code::INTERNAL_ERROR,
    ] {
        assert!(close_code::is_valid(code));
    }
    assert_eq!(
        (
            close_code::PROTOCOL_ERROR,
            close_code::INVALID_PAYLOAD,
            close_code::TOO_BIG
        ),
        (1002, 1007, 1009)
    );
}

#[test]
fn a_close_reason_that_is_not_utf8_is_1007() {
    fails_with(&frame(true, CLOSE, &close_payload(1000, b"bad \xff")), 1007);
    fails_with(&frame(true, CLOSE, &close_payload(1000, b"cut \xe2\x82")), 1007);
}

// ------------------------------------------------------------ sizes

#[test]
fn a_message_over_max_message_is_1009_from_the_header() {
    let max = 100;
    for len in [101u64, 126, 65536, 1 << 40] {
        let wire = header(FIN | BINARY, len, Some(KEY));
        let o = drive(&wire, &[], 1, 512, max);
        assert_eq!(o.code(), Some(1009), "len {len}");
        assert_eq!(
            o.error.unwrap().1,
            wire.len(),
            "refused when the header is in, before any payload"
        );
    }
    // Exactly max is fine.
    let body = payload(max, false);
    assert_eq!(
        drive(&frame(true, BINARY, &body), &[], 7, 512, max).evs(),
        vec![Ev::Binary(body)]
    );
}

#[test]
fn a_fragmented_message_over_max_message_is_1009_at_the_fragment_header() {
    let max = 100;
    let f1 = frame(false, TEXT, &[b'a'; 60]);
    let f2 = header(CONT, 41, Some(KEY));
    let wire = cat(&[f1.clone(), f2.clone()]);
    let o = drive(&wire, &[], 1, 512, max);
    assert_eq!(o.code(), Some(1009));
    assert_eq!(o.error.unwrap().1, f1.len() + f2.len());
    // 60 + 40 fits exactly.
    let wire = cat(&[f1, frame(true, CONT, &[b'b'; 40])]);
    let o = all_splits_with(&wire, 512, max);
    assert_eq!(o.evs(), vec![Ev::Text(format!("{}{}", "a".repeat(60), "b".repeat(40)))]);
}

#[test]
fn control_frames_do_not_count_towards_max_message() {
    let max = 10;
    let wire = cat(&[
        frame(false, TEXT, b"12345"),
        frame(true, PING, &[b'p'; 100]),
        frame(true, CONT, b"67890"),
    ]);
    let o = all_splits_with(&wire, 256, max);
    assert_eq!(o.error, None);
    assert_eq!(o.evs(), vec![Ev::Ping(vec![b'p'; 100]), text("1234567890")]);
}

#[test]
fn a_message_filling_the_whole_buffer() {
    for len in [100, 300] {
        let body = payload(len, false);
        let wire = frame(true, BINARY, &body);
        assert!(wire.len() > len, "the raw frame is larger than the buffer");
        let o = all_splits_with(&wire, len, len);
        assert_eq!(o.error, None, "len {len}");
        assert_eq!(o.evs(), vec![Ev::Binary(body.clone())]);
        // Twice in a row, read in any size: the buffer is reused.
        let twice = cat(&[wire.clone(), frame_key(true, BINARY, &body, [5, 6, 7, 8])]);
        for chunk in [1, 3, 64, usize::MAX] {
            let o = drive(&twice, &[], chunk, len, len);
            assert_eq!(
                o.evs(),
                vec![Ev::Binary(body.clone()), Ev::Binary(body.clone())],
                "len {len} chunk {chunk}"
            );
        }
        let text_body = payload(len, true);
        let o = all_splits_with(&frame(true, TEXT, &text_body), len, len);
        assert_eq!(o.evs(), vec![Ev::Text(String::from_utf8(text_body).unwrap())]);
    }
}

#[test]
fn a_fragmented_message_may_fill_the_buffer_but_for_one_frame_header() {
    // Each fragment's raw header must fit behind the message assembled so
    // far, so a fragmented message gets the buffer less one header.
    let buf = 200;
    let body = payload(buf - 6, false);
    let wire = cat(&[
        frame(false, BINARY, &body[..50]),
        frame(false, CONT, &body[50..150]),
        frame(true, CONT, &body[150..]),
    ]);
    let o = all_splits_with(&wire, buf, buf);
    assert_eq!(o.error, None);
    assert_eq!(o.evs(), vec![Ev::Binary(body)]);
    // Past that, the decoder refuses cleanly (never a panic or a stall).
    let body = payload(buf, false);
    let wire = cat(&[frame(false, BINARY, &body[..100]), frame(true, CONT, &body[100..])]);
    for chunk in [1, 5, usize::MAX] {
        let o = drive(&wire, &[], chunk, buf, buf);
        match o.error {
            Some((e, _)) => assert_eq!(e.code, 1009),
            None => assert_eq!(o.evs(), vec![Ev::Binary(body.clone())]),
        }
    }
}

#[test]
fn a_message_larger_than_the_buffer_is_1009() {
    // max_message allows it, the buffer does not.
    let body = payload(101, false);
    let wire = frame(true, BINARY, &body);
    for chunk in [1, 10, usize::MAX] {
        let o = drive(&wire, &[], chunk, 100, 1_000);
        assert_eq!(o.code(), Some(1009), "chunk {chunk}");
        assert_eq!(o.events, vec![]);
    }
}

#[test]
fn bytes_read_before_the_decoder_existed_are_decoded_first() {
    // Frames that came right behind the handshake: already in the buffer.
    let first = cat(&[frame(true, TEXT, b"early"), frame(false, TEXT, b"ha")]);
    let rest = frame(true, CONT, b"lf");
    let mut buf = vec![0u8; 64];
    buf[..first.len()].copy_from_slice(&first);
    let mut dec = Decoder::new(64, first.len());
    let t = dec.next(&mut buf).unwrap().expect("a whole message is waiting");
    assert_eq!(t.event(&buf), Event::Text("early"));
    assert_eq!(dec.next(&mut buf).unwrap(), None);
    let space = dec.space(&mut buf).unwrap();
    space[..rest.len()].copy_from_slice(&rest);
    dec.filled(rest.len());
    let t = dec.next(&mut buf).unwrap().expect("the rest of the message came");
    assert_eq!(t.event(&buf), Event::Text("half"));
    assert_eq!(dec.next(&mut buf).unwrap(), None);
}

// ------------------------------------------------------------ handshake

#[test]
fn accept_key_matches_rfc6455() {
    // RFC 6455 §1.3.
    assert_eq!(
        &accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(
        &accept_key(b"x3JJHMbDL1EzLkh9GBhXDw=="),
        b"HSmrc0sMlYUkAGmm5OPpG2HaGWk="
    );
    assert_eq!(
        &accept_key(b"AQIDBAUGBwgJCgsMDQ4PEA=="),
        b"C/0nmHhBztSRGR1CwL6Tf4ZjwpY="
    );
}

const GOOD_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn request(method: &str, version: &str, headers: &[(&str, &str)]) -> String {
    let mut s = format!("{method} /chat {version}\r\nHost: server.example.com\r\n");
    for (n, v) in headers {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s
}

fn standard(extra: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut h: Vec<(&'static str, String)> = vec![
        ("Upgrade", "websocket".into()),
        ("Connection", "Upgrade".into()),
        ("Sec-WebSocket-Key", GOOD_KEY.into()),
        ("Sec-WebSocket-Version", "13".into()),
    ];
    for (n, v) in extra {
        h.push((leak(n), v.to_string()));
    }
    h
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// Run check_upgrade on a request parsed by the real head parser.
fn upgrade(raw: &str) -> Result<String, Rejection> {
    let (req, n) = match parse_head(raw.as_bytes(), &HeadLimits::DEFAULT) {
        Ok(ParsedHead::Complete { request, head_len }) => (request, head_len),
        other => panic!("the test request must parse: {other:?}"),
    };
    assert_eq!(n, raw.len());
    check_upgrade(&req).map(|key| String::from_utf8(key.to_vec()).unwrap())
}

fn upgrade_with(method: &str, version: &str, headers: &[(&str, String)]) -> Result<String, Rejection> {
    let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    upgrade(&request(method, version, &h))
}

fn without(headers: Vec<(&'static str, String)>, name: &str) -> Vec<(&'static str, String)> {
    headers
        .into_iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
        .collect()
}

fn replaced(headers: Vec<(&'static str, String)>, name: &str, value: &str) -> Vec<(&'static str, String)> {
    headers
        .into_iter()
        .map(|(n, v)| {
            if n.eq_ignore_ascii_case(name) {
                (n, value.to_string())
            } else {
                (n, v)
            }
        })
        .collect()
}

fn status(r: Result<String, Rejection>) -> u16 {
    match r {
        Ok(key) => panic!("accepted (key {key}) but should be refused"),
        Err(rej) => {
            assert!(!rej.reason.is_empty());
            rej.status.0
        }
    }
}

#[test]
fn a_valid_upgrade_returns_the_key() {
    assert_eq!(upgrade_with("GET", "HTTP/1.1", &standard(&[])).unwrap(), GOOD_KEY);
    // The RFC's own example request.
    let rfc = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
               Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n\
               Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";
    assert_eq!(upgrade(rfc).unwrap(), GOOD_KEY);
}

#[test]
fn upgrade_tokens_are_case_insensitive_and_may_be_in_lists() {
    for (upgrade_v, connection_v) in [
        ("WebSocket", "upgrade"),
        ("WEBSOCKET", "UPGRADE"),
        ("websocket", "keep-alive, Upgrade"),
        ("websocket", "Upgrade ,keep-alive"),
        ("h2c, websocket", "close,upgrade"),
        ("websocket", "  Upgrade  "),
    ] {
        let h = replaced(
            replaced(standard(&[]), "Upgrade", upgrade_v),
            "Connection",
            connection_v,
        );
        assert_eq!(
            upgrade_with("GET", "HTTP/1.1", &h).unwrap(),
            GOOD_KEY,
            "Upgrade: {upgrade_v} / Connection: {connection_v}"
        );
    }
    // Repeated header lines count as one list.
    let mut h = replaced(standard(&[]), "Connection", "keep-alive");
    h.push(("Connection", "Upgrade".into()));
    assert_eq!(upgrade_with("GET", "HTTP/1.1", &h).unwrap(), GOOD_KEY);
    // The version and key may have spaces around them.
    let h = replaced(
        replaced(standard(&[]), "Sec-WebSocket-Version", " 13 "),
        "Sec-WebSocket-Key",
        &format!(" {GOOD_KEY} "),
    );
    assert_eq!(upgrade_with("GET", "HTTP/1.1", &h).unwrap(), GOOD_KEY);
}

#[test]
fn a_missing_or_wrong_upgrade_header_is_400() {
    assert_eq!(
        status(upgrade_with("GET", "HTTP/1.1", &without(standard(&[]), "Upgrade"))),
        400
    );
    assert_eq!(
        status(upgrade_with(
            "GET",
            "HTTP/1.1",
            &replaced(standard(&[]), "Upgrade", "h2c")
        )),
        400
    );
    assert_eq!(
        status(upgrade_with(
            "GET",
            "HTTP/1.1",
            &replaced(standard(&[]), "Upgrade", "websockets")
        )),
        400
    );
    let r = upgrade_with("GET", "HTTP/1.1", &without(standard(&[]), "Upgrade")).unwrap_err();
    assert!(
        r.reason.to_ascii_lowercase().contains("upgrade"),
        "the reason names the header: {}",
        r.reason
    );
}

#[test]
fn connection_without_the_upgrade_token_is_400() {
    for c in ["keep-alive", "upgrades", "close", "up grade", ""] {
        let h = replaced(standard(&[]), "Connection", c);
        assert_eq!(status(upgrade_with("GET", "HTTP/1.1", &h)), 400, "Connection: {c}");
    }
    assert_eq!(
        status(upgrade_with("GET", "HTTP/1.1", &without(standard(&[]), "Connection"))),
        400
    );
}

#[test]
fn a_version_other_than_13_is_426_with_the_supported_version() {
    for v in ["8", "12", "14", "13, 8", "thirteen"] {
        let r = upgrade_with("GET", "HTTP/1.1", &replaced(standard(&[]), "Sec-WebSocket-Version", v)).unwrap_err();
        assert_eq!(r.status.0, 426, "version {v}");
        assert_eq!(r.header, Some(("Sec-WebSocket-Version", "13")), "version {v}");
    }
    let r = upgrade_with("GET", "HTTP/1.1", &without(standard(&[]), "Sec-WebSocket-Version")).unwrap_err();
    assert_eq!((r.status.0, r.header), (426, Some(("Sec-WebSocket-Version", "13"))));
}

#[test]
fn a_key_that_is_not_16_bytes_is_400() {
    for key in [
        "",
        "dGhlIHNhbXBsZSBub25j",         // 15 bytes
        "dGhlIHNhbXBsZSBub25jZQ",       // no padding
        "dGhlIHNhbXBsZSBub25jZSE=",     // 17 bytes
        "dGhlIHNhbXBsZSBub25jZSEhIQ==", // 19 bytes
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "not base64 at all!!!!!!!",
        "dGhlIHNhbXBsZSBub25jZQ=!",
    ] {
        let h = replaced(standard(&[]), "Sec-WebSocket-Key", key);
        let r = upgrade_with("GET", "HTTP/1.1", &h).unwrap_err();
        assert_eq!(r.status.0, 400, "key {key:?}");
        assert!(r.reason.contains("Key"), "{}", r.reason);
    }
    assert_eq!(
        status(upgrade_with(
            "GET",
            "HTTP/1.1",
            &without(standard(&[]), "Sec-WebSocket-Key")
        )),
        400
    );
}

#[test]
fn only_get_over_http11_can_upgrade() {
    for method in ["POST", "PUT", "HEAD", "DELETE", "OPTIONS"] {
        let mut h = standard(&[]);
        if method != "HEAD" && method != "OPTIONS" {
            h.push(("Content-Length", "0".into()));
        }
        assert_eq!(status(upgrade_with(method, "HTTP/1.1", &h)), 400, "{method}");
    }
    assert_eq!(status(upgrade_with("GET", "HTTP/1.0", &standard(&[]))), 400);
}

fn protocol_for(offers: &[&str], supported: &[&'static str]) -> Option<&'static str> {
    let h: Vec<(&str, &str)> = offers.iter().map(|o| ("Sec-WebSocket-Protocol", *o)).collect();
    let raw = request("GET", "HTTP/1.1", &h);
    let Ok(ParsedHead::Complete { request: req, .. }) = parse_head(raw.as_bytes(), &HeadLimits::DEFAULT) else {
        panic!("the test request must parse");
    };
    choose_protocol(&req, supported)
}

#[test]
fn choose_protocol_picks_the_first_offered_that_is_supported() {
    assert_eq!(protocol_for(&["x, echo.v1"], &["echo.v1"]), Some("echo.v1"));
    assert_eq!(
        protocol_for(&["a, b"], &["b", "a"]),
        Some("a"),
        "the client's order wins"
    );
    assert_eq!(protocol_for(&["b, a"], &["a", "b"]), Some("b"));
    assert_eq!(
        protocol_for(&["x", "y ,  echo.v1 "], &["echo.v1"]),
        Some("echo.v1"),
        "across header lines, trimmed"
    );
    assert_eq!(protocol_for(&["x"], &["echo.v1"]), None);
    assert_eq!(protocol_for(&[], &["echo.v1"]), None);
    assert_eq!(protocol_for(&["echo.v1"], &[]), None);
    assert_eq!(protocol_for(&["echo"], &["echo.v1"]), None, "no prefix matches");
    assert_eq!(protocol_for(&["echo.v1.x"], &["echo.v1"]), None);
}
