//! A raw-socket HTTP/1.1 conformance suite, written from RFC 9110 (HTTP
//! semantics) and RFC 9112 (HTTP/1.1 messaging), run against the app of
//! `examples/echo` (every method on every path: 200 and the body back).
//!
//! Each case checks one rule, cites it, and runs on its own connection(s);
//! the cases run in sequence against one server, and after every case a
//! fresh client must still be served (no case may wedge the server). All
//! failures are collected and reported together with their rule.
//!
//! Where ferrodot takes an option the RFC leaves open (MAY / SHOULD), the
//! case says which and why.

mod common;

#[path = "../../../examples/support/echo.rs"]
#[allow(dead_code)]
mod echo_app;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use common::*;
use ferrodot::rt::tokio::ServerOptions;

type Case = (&'static str, fn(SocketAddr));

/// Send `raw` on a fresh connection and read one response.
fn send(addr: SocketAddr, raw: &[u8]) -> Resp {
    request_once(addr, raw)
}

/// Send `raw`; it must be answered 200 with `body` echoed.
fn echoes(addr: SocketAddr, raw: &[u8], body: &[u8]) {
    let r = send(addr, raw);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, body, "echoed body");
}

/// Send `raw` and then close the connection early; the server must just
/// drop it (nothing to answer, no panic) and keep serving.
fn abandon(addr: SocketAddr, raw: &[u8]) {
    let mut c = Conn::open(addr);
    c.send(raw);
    let _ = c.stream.shutdown(Shutdown::Both);
    drop(c);
    std::thread::sleep(Duration::from_millis(20));
}

const CASES: &[Case] = &[
    // ---------------------------------------------------------------- Host
    ("RFC 9112 §3.2: an HTTP/1.1 request without Host MUST get 400", |a| {
        assert_refused(a, b"GET / HTTP/1.1\r\n\r\n", 400);
    }),
    ("RFC 9112 §3.2: more than one Host header MUST get 400", |a| {
        assert_refused(a, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    }),
    (
        "RFC 9112 §3.2: a Host field value that is not a valid authority MUST get 400",
        |a| {
            assert_refused(a, b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
            assert_refused(a, b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
            assert_refused(a, b"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", 400);
        },
    ),
    ("RFC 9110 §7.2: Host may be host:port, an IP literal, or empty", |a| {
        echoes(
            a,
            b"GET / HTTP/1.1\r\nHost: example.com:8080\r\nConnection: close\r\n\r\n",
            b"",
        );
        echoes(a, b"GET / HTTP/1.1\r\nHost: [::1]:80\r\nConnection: close\r\n\r\n", b"");
        echoes(a, b"GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n", b"");
    }),
    ("RFC 9112 §3.2: an HTTP/1.0 request may omit Host", |a| {
        echoes(a, b"GET / HTTP/1.0\r\n\r\n", b"");
    }),
    (
        "RFC 9112 §3.2.2: with an absolute-form target the Host header is ignored",
        |a| {
            echoes(
                a,
                b"GET http://other.example/x HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n",
                b"",
            );
        },
    ),
    // ------------------------------------------------------ request target
    ("RFC 9112 §3.2.2: a server MUST accept the absolute-form", |a| {
        echoes(
            a,
            b"POST http://h.example/p?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
            b"ok",
        );
        echoes(
            a,
            b"GET http://h.example HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            b"",
        );
    }),
    ("RFC 9112 §3.2.4: asterisk-form is only for OPTIONS", |a| {
        let r = send(a, b"OPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        assert!(r.status == 200 || r.status == 404, "{r:?}"); // no route serves `*`
        assert_refused(a, b"GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    }),
    ("RFC 9112 §3.2: a target that is none of the four forms is 400", |a| {
        assert_refused(a, b"GET nothing HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        assert_refused(a, b"GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    }),
    (
        "RFC 9112 §3: the request line is method SP target SP version; extra spaces are 400",
        |a| {
            assert_refused(a, b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
            assert_refused(a, b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);
        },
    ),
    (
        "RFC 9112 §3: a target longer than the server parses MUST get 414",
        |a| {
            let long = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(3000));
            assert_refused(a, long.as_bytes(), 414);
        },
    ),
    (
        "RFC 9110 §9.1: methods are case-sensitive; an unknown method is 501 (§15.6.2)",
        |a| {
            assert_refused(a, b"get / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
            assert_refused(a, b"BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
        },
    ),
    (
        "RFC 9110 §9.3.6: CONNECT (authority-form) is not implemented: 501",
        |a| {
            assert_refused(a, b"CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n", 501);
        },
    ),
    // ------------------------------------------------------------- version
    (
        "RFC 9110 §15.6.6: a major version the server does not support gets 505",
        |a| {
            assert_refused(a, b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
            assert_refused(a, b"GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505);
        },
    ),
    (
        "RFC 9110 §2.5: a later minor version of HTTP/1 is processed as HTTP/1.1",
        |a| {
            let r = request_once(a, b"GET / HTTP/1.2\r\nHost: h\r\nConnection: close\r\n\r\n");
            assert_eq!(r.status, 200);
            let mut c = Conn::open(a);
            c.send(b"GET / HTTP/1.9\r\nHost: h\r\n\r\n");
            assert_eq!(c.response().status, 200);
            // Persistent by default, as HTTP/1.1 is.
            c.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assert_eq!(c.response().status, 200);
        },
    ),
    (
        "RFC 9112 §2.3: HTTP-version is case-sensitive; garbage versions are 400",
        |a| {
            assert_refused(a, b"GET / http/1.1\r\nHost: h\r\n\r\n", 400);
            assert_refused(a, b"GET / HTTP/1\r\nHost: h\r\n\r\n", 400);
            assert_refused(a, b"GET / HTTP/1.1.1\r\nHost: h\r\n\r\n", 400);
        },
    ),
    (
        "RFC 9112 §2.3: an HTTP/0.9 request line (no version) is refused",
        |a| {
            let r = send(a, b"GET /\r\n\r\n");
            assert_eq!(r.status, 400, "{r:?}");
        },
    ),
    // --------------------------------------------------------- line rules
    (
        "RFC 9112 §2.2: empty lines before the request line SHOULD be ignored",
        |a| {
            echoes(
                a,
                b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                b"",
            );
        },
    ),
    // RFC 9112 §2.2 lets a recipient recognise a bare LF as a line
    // terminator (MAY); ferrodot does, in the head only (never in chunked
    // framing, see below), as httparse and most servers do.
    ("RFC 9112 §2.2: a bare LF MAY end a head line", |a| {
        echoes(
            a,
            b"POST / HTTP/1.1\nHost: h\nContent-Length: 2\nConnection: close\n\nhi",
            b"hi",
        );
    }),
    ("RFC 9112 §2.2: a bare CR MUST be treated as invalid", |a| {
        assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", 400);
        assert_refused(a, b"GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        assert_refused(a, b"GET / HTTP/1.1\rHost: h\r\n\r\n", 400);
    }),
    (
        "RFC 9112 §2.2: whitespace between the start line and the first field MUST be rejected (or the line ignored)",
        |a| {
            assert_refused(a, b"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400);
        },
    ),
    (
        "RFC 9112 §5.1: whitespace between a field name and the colon MUST get 400",
        |a| {
            assert_refused(a, b"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);
            assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 0\r\n\r\n", 400);
        },
    ),
    (
        "RFC 9112 §5.2: obsolete line folding in a request MUST get 400 (or be unfolded)",
        |a| {
            assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n", 400);
            assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n", 400);
        },
    ),
    (
        "RFC 9110 §5.5: NUL and other controls in a field value are invalid (400)",
        |a| {
            assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n", 400);
            assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n", 400);
            assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fb\r\n\r\n", 400);
        },
    ),
    ("RFC 9110 §5.1: a field name is a token; anything else is 400", |a| {
        assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\nX(A): b\r\n\r\n", 400);
        assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\n: b\r\n\r\n", 400);
        assert_refused(a, b"GET / HTTP/1.1\r\nHost: h\r\nX-\x01: b\r\n\r\n", 400);
    }),
    (
        "RFC 9110 §5.5: leading and trailing whitespace of a value is not part of it",
        |a| {
            echoes(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \t 3 \t\r\nConnection: close\r\n\r\nabc",
                b"abc",
            );
        },
    ),
    (
        "RFC 9110 §5.5: obs-text (bytes 0x80-0xFF) is allowed in a field value",
        |a| {
            echoes(
                a,
                b"GET / HTTP/1.1\r\nHost: h\r\nX-A: caf\xc3\xa9\r\nConnection: close\r\n\r\n",
                b"",
            );
        },
    ),
    // ---------------------------------------------------- limits of a head
    ("RFC 6585 §5: a header field too large gets 431", |a| {
        let raw = format!("GET / HTTP/1.1\r\nHost: h\r\nX-Big: {}\r\n\r\n", "v".repeat(3000));
        assert_refused(a, raw.as_bytes(), 431);
    }),
    ("RFC 6585 §5: too many header fields get 431", |a| {
        let mut raw = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
        for i in 0..40 {
            raw.push_str(&format!("X-H{i}: {i}\r\n"));
        }
        raw.push_str("\r\n");
        assert_refused(a, raw.as_bytes(), 431);
    }),
    ("RFC 9112 §5: many header fields within the limit are fine", |a| {
        let mut raw = String::from("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n");
        for i in 0..22 {
            raw.push_str(&format!("X-H{i}: {i}\r\n"));
        }
        raw.push_str("\r\n");
        echoes(a, raw.as_bytes(), b"");
    }),
    // --------------------------------------- message framing and smuggling
    (
        "RFC 9112 §6.1/§11.2: Content-Length with Transfer-Encoding is refused (400) and the connection closed",
        |a| {
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                400,
            );
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
                400,
            );
        },
    ),
    (
        "RFC 9112 §6.3: differing Content-Length values are unrecoverable: 400",
        |a| {
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                400,
            );
            assert_refused(a, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\nab", 400);
        },
    ),
    (
        "RFC 9112 §6.3: a list of identical Content-Length values MAY be accepted",
        |a| {
            echoes(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\nConnection: close\r\n\r\nab",
                b"ab",
            );
        },
    ),
    (
        "RFC 9110 §8.6: Content-Length is 1*DIGIT: signs, hex and empty values are 400",
        |a| {
            for v in ["+2", "-2", "0x2", "", "2 2", "99999999999999999999"] {
                let raw = format!("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: {v}\r\n\r\nab");
                assert_refused(a, raw.as_bytes(), 400);
            }
        },
    ),
    (
        "RFC 9112 §6.3: chunked that is not the final transfer coding MUST get 400",
        |a| {
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
                400,
            );
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n",
                400,
            );
        },
    ),
    // RFC 9112 §6.3 also asks for 400 whenever chunked is not the final
    // coding, which includes `gzip` alone; ferrodot answers a coding it
    // does not know with 501 as §6.1 suggests, unless chunked came before
    // it (the smuggling shape, 400 above). Either way it refuses and
    // closes, so no body length is ever guessed.
    ("RFC 9112 §6.1: an unknown transfer coding SHOULD get 501", |a| {
        assert_refused(a, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
        assert_refused(
            a,
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            501,
        );
    }),
    ("RFC 9112 §7: chunked MUST NOT be applied twice: 400", |a| {
        assert_refused(
            a,
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
            400,
        );
    }),
    (
        "RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing: 400 and close",
        |a| {
            assert_refused(
                a,
                b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                400,
            );
        },
    ),
    ("RFC 9112 §6.1: Transfer-Encoding names are case-insensitive", |a| {
        echoes(a, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n", b"hi");
    }),
    // ----------------------------------------------------- chunked coding
    ("RFC 9112 §7.1: a chunked body is decoded (echo, many chunks)", |a| {
        echoes(a, b"PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n", b"abc0123456789");
    }),
    (
        "RFC 9112 §7.1: chunk sizes are hex of any case, with leading zeros",
        |a| {
            echoes(a, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n000a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n", b"0123456789abcdefghijk");
        },
    ),
    (
        "RFC 9112 §7.1.1: unrecognised chunk extensions MUST be ignored (BWS before ';' allowed)",
        |a| {
            echoes(a, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2;a=b;c=\"d e\"\r\nhi\r\n2 ;x\r\nyo\r\n0;last\r\n\r\n", b"hiyo");
        },
    ),
    (
        "RFC 9112 §7.1.2: trailer fields are read (and may be discarded)",
        |a| {
            echoes(a, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\n", b"hi");
        },
    ),
    ("RFC 9112 §7.1: a chunk size that is not hex is 400", |a| {
        assert_refused(
            a,
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n",
            400,
        );
        assert_refused(
            a,
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nhi\r\n0\r\n\r\n",
            400,
        );
        assert_refused(
            a,
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nhi\r\n0\r\n\r\n",
            400,
        );
    }),
    (
        "RFC 9112 §7.1: a chunk size that overflows is 400 (anticipate overflow)",
        |a| {
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000002\r\nhi\r\n0\r\n\r\n",
                400,
            );
        },
    ),
    ("RFC 9112 §7.1: chunk data MUST be followed by CRLF", |a| {
        assert_refused(
            a,
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiXX\r\n0\r\n\r\n",
            400,
        );
    }),
    // The head accepts a bare LF (above); chunked framing does not: a
    // lenient chunk parser is a classic smuggling vector (RFC 9112 §11.2).
    (
        "RFC 9112 §7.1/§11.2: a bare LF in chunked framing is refused (400)",
        |a| {
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\nhi\r\n0\r\n\r\n",
                400,
            );
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\n0\r\n\r\n",
                400,
            );
        },
    ),
    (
        "RFC 9112 §7.1.1: control characters in a chunk extension are 400",
        |a| {
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;a\x00\r\nhi\r\n0\r\n\r\n",
                400,
            );
        },
    ),
    (
        "RFC 9112 §7.1.1: an extension without bound is refused (ferrodot caps it at 256 bytes)",
        |a| {
            let raw = format!(
                "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;{}\r\nhi\r\n0\r\n\r\n",
                "e".repeat(1000)
            );
            assert_refused(a, raw.as_bytes(), 400);
        },
    ),
    ("RFC 9112 §7.1: a large chunked body is echoed whole", |a| {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut raw =
            b"POST /big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
        for piece in data.chunks(7919) {
            raw.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            raw.extend_from_slice(piece);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        echoes(a, &raw, &data);
    }),
    ("RFC 9112 §6.2: a large Content-Length body is echoed whole", |a| {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let mut raw = format!(
            "PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            data.len()
        )
        .into_bytes();
        raw.extend_from_slice(&data);
        echoes(a, &raw, &data);
    }),
    // ------------------------------------------------------------ Expect
    (
        "RFC 9110 §10.1.1: Expect: 100-continue gets 100 before the body is sent, then the final response",
        |a| {
            let mut c = Conn::open(a);
            c.send(
                b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
            );
            let mut first = [0u8; 64];
            let n = c.stream.read(&mut first).expect("a 100 response");
            assert!(
                first[..n].starts_with(b"HTTP/1.1 100 Continue\r\n"),
                "{:?}",
                String::from_utf8_lossy(&first[..n])
            );
            c.send(b"hello");
            let r = c.response();
            assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]), "{r:?}");
        },
    ),
    (
        "RFC 9110 §10.1.1: a client may send the body without waiting for 100",
        |a| {
            echoes(a, b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", b"ok");
        },
    ),
    (
        "RFC 9110 §10.1.1: 100-continue from an HTTP/1.0 client MUST be ignored (no 1xx, §15.2)",
        |a| {
            let mut c = Conn::open(a);
            c.send(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
            let mut all = Vec::new();
            let _ = c.stream.read_to_end(&mut all);
            assert!(
                all.starts_with(b"HTTP/1.1 200 OK\r\n"),
                "{:?}",
                String::from_utf8_lossy(&all)
            );
            assert!(all.ends_with(b"ok"));
        },
    ),
    (
        "RFC 9110 §10.1.1: an expectation the server cannot meet MAY get 417",
        |a| {
            assert_refused(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\nok",
                417,
            );
        },
    ),
    // --------------------------------------------- persistence, pipelining
    (
        "RFC 9112 §9.3.2: pipelined requests with bodies are answered in order",
        |a| {
            let mut c = Conn::open(a);
            c.send(
                b"POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\none\
              PUT /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n\
              GET /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nthree\
              HEAD /4 HTTP/1.1\r\nHost: h\r\n\r\n\
              DELETE /5 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            );
            for want in [&b"one"[..], b"two", b"three"] {
                let r = c.response();
                assert_eq!((r.status, r.body.as_slice()), (200, want), "{r:?}");
            }
            let r = c.head_response();
            assert_eq!(r.status, 200, "{r:?}");
            let r = c.response();
            assert_eq!((r.status, r.body.len()), (200, 0), "{r:?}");
            c.assert_closed();
        },
    ),
    ("RFC 9112 §9.3: HTTP/1.1 connections persist by default", |a| {
        let mut c = Conn::open(a);
        for i in 0..3 {
            c.send(format!("POST /{i} HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n{i}").as_bytes());
            let r = c.response();
            assert_eq!(r.body, i.to_string().as_bytes(), "{r:?}");
            assert!(!r.closes());
        }
    }),
    (
        "RFC 9112 §9.6: Connection: close is honoured, and the response says so",
        |a| {
            let mut c = Conn::open(a);
            c.send(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
            let r = c.response();
            assert!(r.closes(), "{r:?}");
            c.assert_closed();
        },
    ),
    ("RFC 9112 §9.3: HTTP/1.0 closes unless keep-alive is asked for", |a| {
        let mut c = Conn::open(a);
        c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let r = c.response();
        assert_eq!(r.status, 200);
        c.send(b"GET / HTTP/1.0\r\n\r\n");
        let r = c.response();
        assert_eq!(r.status, 200);
        c.assert_closed();
    }),
    ("RFC 9110 §9.3.2: HEAD is answered like GET without content", |a| {
        let mut c = Conn::open(a);
        c.send(b"HEAD /x HTTP/1.1\r\nHost: h\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        let head = c.head_response();
        let get = c.response();
        assert_eq!((head.status, get.status), (200, 200));
        assert_eq!(head.header("content-length"), get.header("content-length"));
        assert_eq!(head.header("content-type"), get.header("content-type"));
        c.assert_closed();
    }),
    (
        "RFC 9110 §9.1: every method on any path is served by the echo app",
        |a| {
            for m in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
                let raw = format!(
                    "{m} /a/b%20c/d?e=f HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{m:.2}"
                );
                echoes(a, raw.as_bytes(), &m.as_bytes()[..2]);
            }
        },
    ),
    (
        "RFC 9110 §6.4.1: a 4xx response that closes the connection says Connection: close",
        |a| {
            let r = assert_refused(a, b"GET / HTTP/1.1\r\n\r\n", 400);
            assert!(r.closes());
        },
    ),
    // ------------------------------------------------ premature close
    (
        "RFC 9112 §9.6: a client closing mid request-line is dropped quietly",
        |a| abandon(a, b"GET /abc"),
    ),
    (
        "RFC 9112 §9.6: a client closing mid header section is dropped quietly",
        |a| abandon(a, b"GET / HTTP/1.1\r\nHost: h\r\nX-A: partial"),
    ),
    (
        "RFC 9112 §8: a client closing inside a Content-Length body is dropped (incomplete message)",
        |a| {
            abandon(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly a part",
            )
        },
    ),
    (
        "RFC 9112 §8: a client closing inside a chunk is dropped (incomplete message)",
        |a| {
            abandon(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
            )
        },
    ),
    (
        "RFC 9112 §8: a client closing inside a chunk-size line or trailers is dropped",
        |a| {
            abandon(a, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1");
            abandon(
                a,
                b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1",
            );
        },
    ),
    (
        "RFC 9112 §9.6: a client closing after 100 Continue, before its body, is dropped",
        |a| {
            let mut c = Conn::open(a);
            c.send(b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            let mut first = [0u8; 64];
            let _ = c.stream.read(&mut first);
            drop(c);
        },
    ),
    (
        "RFC 9112 §9.6: a client that half-closes after a whole request still gets its response",
        |a| {
            let mut c = Conn::open(a);
            c.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok");
            c.stream.shutdown(Shutdown::Write).expect("half close");
            let r = c.response();
            assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]), "{r:?}");
        },
    ),
    (
        "RFC 9112 §9.6: a client that resets while its response is written is dropped",
        |a| {
            let mut c = Conn::open(a);
            let data = vec![b'x'; 500_000];
            let mut raw = format!("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n", data.len()).into_bytes();
            raw.extend_from_slice(&data);
            c.send(&raw);
            let mut some = [0u8; 100];
            let _ = c.stream.read(&mut some);
            let _ = c.stream.shutdown(Shutdown::Both);
        },
    ),
];

/// The server must answer a plain request after every case.
fn still_serving(addr: SocketAddr) -> Result<(), String> {
    let mut c = Conn::open(addr);
    c.try_send(b"POST /alive HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\nalive")
        .map_err(|e| e.to_string())?;
    let r = catch_unwind(AssertUnwindSafe(|| c.response())).map_err(|_| "no response".to_string())?;
    if r.status == 200 && r.body == b"alive" {
        Ok(())
    } else {
        Err(format!("{r:?}"))
    }
}

#[test]
fn rfc_9110_9112_conformance() {
    let server = TestServer::start(|| echo_app::echo_app(normal_config()), ServerOptions::default());
    let mut failures = Vec::new();
    for (rule, case) in CASES {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| case(server.addr))) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{rule}\n    {msg}"));
        }
        if let Err(e) = still_serving(server.addr) {
            failures.push(format!("{rule}\n    server no longer serving after this case: {e}"));
        }
    }
    eprintln!("conformance: {} cases, {} failed", CASES.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn echo_answers_every_body_size_split_across_writes() {
    // The echo app under fire: bodies of awkward sizes, written in pieces.
    let server = TestServer::start(|| echo_app::echo_app(normal_config()), ServerOptions::default());
    let mut c = Conn::open(server.addr);
    for len in [0usize, 1, 2047, 2048, 2049, 4095, 4096, 4097, 65_537] {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        let head = format!("POST /n/{len} HTTP/1.1\r\nHost: h\r\nContent-Length: {len}\r\n\r\n");
        c.send(head.as_bytes());
        for piece in data.chunks(1000) {
            c.stream.write_all(piece).expect("write");
        }
        let r = c.response();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, data, "length {len}");
    }
}
