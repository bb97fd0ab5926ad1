//! `Transfer-Encoding: chunked` decoding (RFC 9112 §7.1), sans-IO: the
//! decoder is fed bytes in every way a network could split them.
//!
//! chunked-body = *chunk last-chunk trailer-section CRLF
//! chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size   = 1*HEXDIG
//! last-chunk   = 1*("0") [ chunk-ext ] CRLF

use ferrodot::http::chunked::{ChunkError, ChunkedDecoder};

/// What feeding a decoder produced.
#[derive(Debug, PartialEq, Eq)]
struct Fed {
    data: Vec<u8>,
    done: bool,
    /// Bytes of the input the decoder did not consume.
    rest: Vec<u8>,
}

/// Feed `input` to a fresh decoder in pieces ending at `cuts`, the way a
/// connection would: each piece decoded in place, its unconsumed tail
/// (only possible after the body's end) kept for the next request.
fn feed_cut(input: &[u8], cuts: &[usize]) -> Result<Fed, ChunkError> {
    let mut dec = ChunkedDecoder::new();
    let mut data = Vec::new();
    let mut rest = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let mut piece = input[start..end].to_vec();
        start = end;
        if dec.is_done() {
            rest.extend_from_slice(&piece);
            continue;
        }
        let (consumed, produced) = dec.decode_in_place(&mut piece)?;
        assert!(
            produced <= consumed && consumed <= piece.len(),
            "({consumed}, {produced}) of {}",
            piece.len()
        );
        data.extend_from_slice(&piece[..produced]);
        if consumed < piece.len() {
            assert!(dec.is_done(), "bytes left unconsumed before the end of the body");
            rest.extend_from_slice(&piece[consumed..]);
        }
    }
    Ok(Fed {
        data,
        done: dec.is_done(),
        rest,
    })
}

fn feed(input: &[u8]) -> Result<Fed, ChunkError> {
    feed_cut(input, &[])
}

fn bytewise(input: &[u8]) -> Result<Fed, ChunkError> {
    let cuts: Vec<usize> = (1..input.len()).collect();
    feed_cut(input, &cuts)
}

/// The decoded body of a complete chunked message.
fn body(input: &[u8]) -> Vec<u8> {
    let fed = feed(input).unwrap_or_else(|e| panic!("{e:?} for {:?}", String::from_utf8_lossy(input)));
    assert!(fed.done, "not done: {:?}", String::from_utf8_lossy(input));
    assert!(fed.rest.is_empty());
    fed.data
}

fn error(input: &[u8]) -> &'static str {
    match feed(input) {
        Err(ChunkError(why)) => why,
        Ok(fed) => panic!("accepted {:?} -> {fed:?}", String::from_utf8_lossy(input)),
    }
}

/// Every way of splitting `input` into one, two or all-single-byte
/// pieces must give the same result as feeding it whole.
fn same_at_every_split(input: &[u8]) -> Result<Fed, ChunkError> {
    let whole = feed(input);
    for k in 0..=input.len() {
        assert_eq!(
            feed_cut(input, &[k]),
            whole,
            "split at {k} of {:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(
        bytewise(input),
        whole,
        "byte by byte: {:?}",
        String::from_utf8_lossy(input)
    );
    whole
}

const HELLO_WORLD: &[u8] = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

/// RFC 9112 §7.1: chunks are concatenated; the last chunk has size 0.
#[test]
fn whole_body() {
    assert_eq!(body(HELLO_WORLD), b"hello world");
    assert_eq!(body(b"0\r\n\r\n"), b"");
    assert_eq!(body(b"1\r\nx\r\n0\r\n\r\n"), b"x");
}

/// The data is moved to the front of the buffer; `consumed` is the
/// whole chunked encoding.
#[test]
fn decodes_in_place() {
    let mut buf = HELLO_WORLD.to_vec();
    let mut dec = ChunkedDecoder::new();
    assert!(!dec.is_done());
    let (consumed, produced) = dec.decode_in_place(&mut buf).expect("valid body");
    assert_eq!((consumed, produced), (HELLO_WORLD.len(), 11));
    assert_eq!(&buf[..produced], b"hello world");
    assert!(dec.is_done());
    assert!(ChunkedDecoder::default()
        .decode_in_place(&mut [])
        .is_ok_and(|r| r == (0, 0)));
}

/// RFC 9112 §7.1: a body may arrive split at any byte, including inside
/// the size line, the data, each CRLF and the trailer section.
#[test]
fn every_split_of_a_body() {
    let inputs: [&[u8]; 5] = [
        HELLO_WORLD,
        b"A\r\n0123456789\r\na;x=y\r\nabcdefghij\r\n0;end\r\nX-Sum: 20\r\nY: z\r\n\r\n",
        b"0\r\n\r\n",
        b"001\r\n\r\r\n0000\r\n\r\n",
        b"3 ; q=\"a;b\"\r\n\r\n\r\r\n0\r\n\r\n",
    ];
    let expected: [&[u8]; 5] = [b"hello world", b"0123456789abcdefghij", b"", b"\r", b"\r\n\r"];
    for (input, want) in inputs.into_iter().zip(expected) {
        let fed = same_at_every_split(input).expect("valid body");
        assert_eq!(fed.data, want);
        assert!(fed.done);
        assert!(fed.rest.is_empty());
    }
}

/// All three-piece splits of a small body (pieces may be empty).
#[test]
fn every_three_way_split() {
    let input = b"2;e\r\nab\r\n1\r\nc\r\n0\r\nT: 1\r\n\r\n";
    for i in 0..=input.len() {
        for j in i..=input.len() {
            let fed = feed_cut(input, &[i, j]).unwrap_or_else(|e| panic!("split {i},{j}: {e:?}"));
            assert_eq!((fed.data.as_slice(), fed.done), (&b"abc"[..], true), "split {i},{j}");
        }
    }
}

/// RFC 9112 §7.1: chunk-size is HEXDIG, either case; leading zeros are
/// allowed (`1*HEXDIG`).
#[test]
fn hex_sizes_any_case() {
    let data: Vec<u8> = (0..0x1f).map(|i| b'a' + (i % 26)).collect();
    for size in ["1F", "1f", "01F", "001f"] {
        let mut input = format!("{size}\r\n").into_bytes();
        input.extend_from_slice(&data[..0x1f]);
        input.extend_from_slice(b"\r\n0\r\n\r\n");
        assert_eq!(body(&input), &data[..0x1f], "{size}");
    }
    let mut input = b"aB\r\n".to_vec();
    input.extend_from_slice(&[7u8; 0xab]);
    input.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(body(&input), vec![7u8; 0xab]);
}

/// RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS
/// ext-val ] ); "A recipient MUST ignore unrecognized chunk extensions".
#[test]
fn extensions_are_ignored() {
    for ext in [
        ";a",
        ";a=b",
        ";a=b;c=d",
        " ;a=b",
        "\t;a",
        ";a=\"quoted; value\"",
        ";a=\"\u{e9}\"",
    ] {
        let input = format!("5{ext}\r\nhello\r\n0{ext}\r\n\r\n");
        let fed = same_at_every_split(input.as_bytes()).unwrap_or_else(|e| panic!("{ext:?}: {e:?}"));
        assert_eq!(fed.data, b"hello", "{ext:?}");
        assert!(fed.done);
    }
}

/// RFC 9112 §7.1.2: trailer fields after the last chunk are read (and
/// here dropped) up to the empty line.
#[test]
fn trailers_are_skipped() {
    let input = b"3\r\nabc\r\n0\r\nX-Checksum: 123\r\nX-Other: a b c\r\n\r\n";
    let fed = same_at_every_split(input).expect("valid body");
    assert_eq!(fed.data, b"abc");
    assert!(fed.done);
}

/// The body is not over until the empty line after the trailers.
#[test]
fn not_done_before_the_final_crlf() {
    let input = b"3\r\nabc\r\n0\r\nX: 1\r\n\r\n";
    for k in 0..input.len() {
        let fed = feed(&input[..k]).expect("a prefix is not an error");
        assert!(!fed.done, "done after only {k} bytes");
        assert!(fed.rest.is_empty());
        assert_eq!(fed.data, &b"abc"[..k.saturating_sub(3).min(3)]);
    }
}

/// RFC 9112 §9.3.2: bytes after the body belong to the next request and
/// must not be consumed, whatever the split.
#[test]
fn bytes_after_the_body_are_left_alone() {
    let next = b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
    let mut input = HELLO_WORLD.to_vec();
    input.extend_from_slice(next);
    let fed = same_at_every_split(&input).expect("valid body");
    assert_eq!(fed.data, b"hello world");
    assert!(fed.done);
    assert_eq!(fed.rest, next);

    // `consumed` stops exactly at the end of the chunked encoding
    let mut buf = input.clone();
    let mut dec = ChunkedDecoder::new();
    let (consumed, produced) = dec.decode_in_place(&mut buf).expect("valid");
    assert_eq!(consumed, HELLO_WORLD.len());
    assert_eq!(&buf[..produced], b"hello world");
    assert_eq!(&buf[consumed..], next);
    // a finished decoder takes nothing more
    let mut more = next.to_vec();
    assert_eq!(dec.decode_in_place(&mut more), Ok((0, 0)));
    assert_eq!(more, next);
}

/// A chunk size of 16 hex digits still fits in u64; the decoder accepts
/// the size line (the body limit is the engine's business).
#[test]
fn sixteen_digit_size_is_accepted() {
    let mut dec = ChunkedDecoder::new();
    let mut line = b"FFFFFFFFFFFFFFFF\r\nabc".to_vec();
    assert_eq!(dec.decode_in_place(&mut line), Ok((21, 3)));
    assert_eq!(&line[..3], b"abc");
    assert!(!dec.is_done());
    assert_eq!(body(b"0000000000000005\r\nhello\r\n0\r\n\r\n"), b"hello");
}

// ---------------------------------------------------------------------- errors

/// Malformed framing is an error however the bytes are split: the
/// decoder may not accept at one split what it refuses at another.
fn error_everywhere(input: &[u8]) -> &'static str {
    let why = error(input);
    for k in 0..=input.len() {
        assert_eq!(
            feed_cut(input, &[k]),
            Err(ChunkError(why)),
            "split at {k} of {:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(
        bytewise(input),
        Err(ChunkError(why)),
        "byte by byte: {:?}",
        String::from_utf8_lossy(input)
    );
    why
}

/// RFC 9112 §7.1: chunk-size = 1*HEXDIG — at least one digit.
#[test]
fn missing_size() {
    assert_eq!(error_everywhere(b"\r\nhello\r\n0\r\n\r\n"), "missing chunk size");
    assert_eq!(error_everywhere(b";ext\r\nhello\r\n"), "missing chunk size");
    assert_eq!(error_everywhere(b"5\r\nhello\r\n\r\n"), "missing chunk size");
    assert_eq!(error_everywhere(b" 5\r\n"), "missing chunk size");
}

/// RFC 9112 §7.1: only HEXDIG in a size; no sign, no 0x prefix.
#[test]
fn non_hex_size() {
    assert_eq!(error_everywhere(b"g\r\n"), "missing chunk size");
    assert_eq!(error_everywhere(b"-5\r\n"), "missing chunk size");
    assert_eq!(error_everywhere(b"+5\r\n"), "missing chunk size");
    assert_eq!(error_everywhere(b"5g\r\nhello\r\n"), "invalid chunk size");
    assert_eq!(error_everywhere(b"0x5\r\nhello\r\n"), "invalid chunk size");
    assert_eq!(error_everywhere(b"5,\r\n"), "invalid chunk size");
}

/// RFC 9112 §7.1: "Recipients MUST anticipate potentially large
/// hexadecimal numerals and prevent parsing errors due to integer
/// conversion overflows" — over 16 digits is refused, leading zeros
/// included.
#[test]
fn size_over_sixteen_digits() {
    assert_eq!(error_everywhere(b"10000000000000000\r\n"), "chunk size too large");
    assert_eq!(error_everywhere(b"00000000000000005\r\n"), "chunk size too large");
    assert_eq!(error_everywhere(b"FFFFFFFFFFFFFFFFF"), "chunk size too large");
}

/// RFC 9112 §7.1 requires CRLF after a size line. (§2.2's bare-LF
/// leniency is for the head; in a body it is a smuggling vector.)
#[test]
fn bare_lf_is_refused() {
    assert_eq!(error_everywhere(b"5\nhello\r\n"), "invalid chunk size");
    assert_eq!(error_everywhere(b"5;a=b\nhello\r\n"), "bare LF in chunk size line");
    assert_eq!(
        error_everywhere(b"5\r\nhello\n0\r\n\r\n"),
        "missing CRLF after chunk data"
    );
    assert_eq!(error_everywhere(b"0\r\n\n"), "bare LF in trailer section");
    assert_eq!(error_everywhere(b"0\r\nX: 1\n\r\n"), "bare LF in trailer section");
}

/// RFC 9112 §7.1: CR must be followed by LF.
#[test]
fn cr_without_lf() {
    assert_eq!(error_everywhere(b"5\r\rhello"), "expected LF after chunk size");
    assert_eq!(error_everywhere(b"5;x\rhello"), "expected LF after chunk size");
    assert_eq!(error_everywhere(b"0\r\n\rX"), "expected LF in trailer section");
    assert_eq!(error_everywhere(b"0\r\nX: 1\rY"), "expected LF in trailer section");
}

/// RFC 9112 §7.1: chunk-data is exactly chunk-size octets, then CRLF.
#[test]
fn missing_crlf_after_data() {
    assert_eq!(
        error_everywhere(b"5\r\nhelloX\r\n0\r\n\r\n"),
        "missing CRLF after chunk data"
    );
    assert_eq!(error_everywhere(b"5\r\nhello\rX"), "missing CRLF after chunk data");
    assert_eq!(error_everywhere(b"3\r\nhello\r\n"), "missing CRLF after chunk data");
    assert_eq!(
        error_everywhere(b"5\r\nhell\r\n0\r\n\r\n"),
        "missing CRLF after chunk data"
    );
}

/// RFC 9112 §7.1.1: after the size only BWS ";" may start an extension.
/// "5 5" is not a size of 5 with an extension: a front end reading it
/// differently (55, or an error) is the request-smuggling setup, so it
/// is refused. Whitespace before the CRLF is tolerated (no ambiguity).
#[test]
fn whitespace_inside_size_is_refused() {
    assert_eq!(error_everywhere(b"5 5\r\nhello\r\n0\r\n\r\n"), "invalid chunk size");
    assert_eq!(error_everywhere(b"5\tx\r\nhello\r\n"), "invalid chunk size");
    assert_eq!(error_everywhere(b"0 0\r\n\r\n"), "invalid chunk size");
    assert_eq!(error_everywhere(b"5 \nhello\r\n"), "invalid chunk size");
    assert_eq!(body(b"5 \t \r\nhello\r\n0 \r\n\r\n"), b"hello");
    assert_eq!(body(b"5 \t ;a\r\nhello\r\n0\r\n\r\n"), b"hello");
    // and whitespace is no way around the extension budget
    let padded = format!("5{};a\r\nhello\r\n0\r\n\r\n", " ".repeat(300));
    assert_eq!(error_everywhere(padded.as_bytes()), "chunk extension too long");
}

/// RFC 9112 §7.1.1 / RFC 9110 §5.6.4: extensions are tokens and quoted
/// strings; control characters (other than HTAB) are not allowed.
#[test]
fn control_chars_in_extension() {
    for c in [0u8, 1, 0x0b, 0x1f, 0x7f] {
        let input = [b"5;a=".as_slice(), &[c], b"\r\nhello\r\n0\r\n\r\n"].concat();
        assert_eq!(
            error_everywhere(&input),
            "control character in chunk extension",
            "byte {c:#x}"
        );
    }
    // HTAB is whitespace and allowed
    assert_eq!(body(b"5;a=\tb\r\nhello\r\n0\r\n\r\n"), b"hello");
}

/// Extensions are bounded so they cannot be used to stream unbounded
/// bytes past the body limit.
#[test]
fn overlong_extension() {
    let ok = format!("5;{}\r\nhello\r\n0\r\n\r\n", "x".repeat(200));
    assert_eq!(body(ok.as_bytes()), b"hello");
    let long = format!("5;{}\r\nhello\r\n0\r\n\r\n", "x".repeat(300));
    assert_eq!(error_everywhere(long.as_bytes()), "chunk extension too long");
    // the budget is per size line, not per body
    let many: String = (0..10).map(|_| format!("1;{}\r\nx\r\n", "e".repeat(200))).collect();
    let many = format!("{many}0\r\n\r\n");
    assert_eq!(body(many.as_bytes()), b"xxxxxxxxxx");
}

/// The trailer section is bounded too.
#[test]
fn overlong_trailers() {
    let ok = format!("0\r\nX-A: {}\r\nX-B: {}\r\n\r\n", "a".repeat(400), "b".repeat(400));
    assert!(feed(ok.as_bytes()).expect("900 bytes of trailers are fine").done);
    let long = format!("0\r\nX-A: {}\r\nX-B: {}\r\n\r\n", "a".repeat(600), "b".repeat(600));
    assert_eq!(error_everywhere(long.as_bytes()), "trailer section too long");
    // many short lines add up
    let lines: String = (0..200).map(|i| format!("X-{i}: {i}\r\n")).collect();
    let long = format!("0\r\n{lines}\r\n");
    assert_eq!(error_everywhere(long.as_bytes()), "trailer section too long");
}

/// After an error the decoder's result is final: callers close the
/// connection, so it only has to keep failing or stay inert, never
/// panic.
#[test]
fn garbage_never_panics() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2000 {
        let len = (seed % 40) as usize;
        let mut buf = Vec::with_capacity(len);
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let alphabet = b"0123456789abcdefABCDEF;= \t\r\nxyz\x00\x7f";
            buf.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        let mut dec = ChunkedDecoder::new();
        let mut copy = buf.clone();
        if let Ok((consumed, produced)) = dec.decode_in_place(&mut copy) {
            assert!(produced <= consumed && consumed <= buf.len());
            assert!(consumed == buf.len() || dec.is_done());
        }
    }
}
