//! Request-head parsing, sans-IO: `parse_head` and `check_partial` fed
//! bytes, checked against RFC 9110 (semantics) and RFC 9112 (HTTP/1.1
//! message syntax). Each test names the rule it pins.

use ferrodot::http::parse::{check_partial, parse_head, HeadLimits, ParsedHead, Rejection};
use ferrodot::http::request::Framing;
use ferrodot::http::{Method, Request, Status, Version};

const LIMITS: HeadLimits = HeadLimits::DEFAULT;

/// Parse a head that must be complete and valid; checks the reported
/// head length against where the blank line ends.
fn ok(buf: &[u8]) -> (Request<'_>, usize) {
    match parse_head(buf, &LIMITS) {
        Ok(ParsedHead::Complete { request, head_len }) => (request, head_len),
        Ok(ParsedHead::Partial) => panic!("head reported incomplete: {:?}", String::from_utf8_lossy(buf)),
        Err(r) => panic!(
            "head rejected with {} ({}): {:?}",
            r.status.0,
            r.reason,
            String::from_utf8_lossy(buf)
        ),
    }
}

fn ok_with<'a>(buf: &'a [u8], limits: &HeadLimits) -> Request<'a> {
    match parse_head(buf, limits) {
        Ok(ParsedHead::Complete {
            request: req,
            head_len: n,
        }) => {
            assert_eq!(n, buf.len());
            req
        }
        Ok(ParsedHead::Partial) => panic!("head reported incomplete"),
        Err(r) => panic!("head rejected with {} ({})", r.status.0, r.reason),
    }
}

fn rejection_with(buf: &[u8], limits: &HeadLimits) -> Rejection {
    match parse_head(buf, limits) {
        Err(r) => r,
        Ok(ParsedHead::Complete {
            request: req,
            head_len: _,
        }) => panic!(
            "head accepted ({} {}): {:?}",
            req.method(),
            req.target(),
            String::from_utf8_lossy(buf)
        ),
        Ok(ParsedHead::Partial) => panic!("head reported incomplete: {:?}", String::from_utf8_lossy(buf)),
    }
}

fn status(buf: &[u8]) -> u16 {
    rejection_with(buf, &LIMITS).status.0
}

/// A request with the given request line and extra header lines.
fn req(line: &str, headers: &[&str]) -> Vec<u8> {
    let mut s = format!("{line}\r\n");
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

fn get(headers: &[&str]) -> Vec<u8> {
    let mut all = vec!["Host: example.com"];
    all.extend_from_slice(headers);
    req("GET / HTTP/1.1", &all)
}

// ---------------------------------------------------------------- request line

/// RFC 9112 §3 (request-line = method SP request-target SP HTTP-version)
/// and §3.2.1 (origin-form = absolute-path [ "?" query ]).
#[test]
fn request_line_parts() {
    let buf = req("GET /a/b%20c?x=1&y=2 HTTP/1.1", &["Host: h"]);
    let (r, n) = ok(&buf);
    assert_eq!(n, buf.len());
    assert_eq!(r.method(), Method::Get);
    assert_eq!(r.target(), "/a/b%20c?x=1&y=2");
    assert_eq!(r.path(), "/a/b%20c");
    assert_eq!(r.query_string(), "x=1&y=2");
    assert_eq!(r.fragment(), "");
    assert_eq!(r.version(), Version::Http11);
    assert_eq!(r.version().as_str(), "HTTP/1.1");
    assert_eq!(r.client_addr(), None);
    let mut buf = [0u8; 16];
    assert_eq!(r.path_decoded().decode_into(&mut buf), Some("/a/b c"));
}

/// RFC 9112 §3.2: a request target ends at SP; the path ends at "?" or
/// "#" (RFC 3986 §3.3). A fragment should not be sent (RFC 9110 §4.2.4)
/// but when one is, it is split off and never routed.
#[test]
fn fragment_and_query_split() {
    let cases: [(&str, &str, &str, &str); 6] = [
        ("/p#f", "/p", "", "f"),
        ("/p?q#f", "/p", "q", "f"),
        ("/p?q#f?g", "/p", "q", "f?g"),
        ("/p#f?q", "/p", "", "f?q"),
        ("/p?", "/p", "", ""),
        ("/p?a?b=c", "/p", "a?b=c", ""),
    ];
    for (target, path, query, fragment) in cases {
        let buf = req(&format!("GET {target} HTTP/1.1"), &["Host: h"]);
        let (r, _) = ok(&buf);
        assert_eq!(
            (r.target(), r.path(), r.query_string(), r.fragment()),
            (target, path, query, fragment),
            "{target}"
        );
    }
}

/// RFC 9112 §2.3: HTTP/1.0 is a version we speak.
#[test]
fn http10_request_line() {
    let (r, _) = ok(b"GET /old HTTP/1.0\r\n\r\n");
    assert_eq!(r.version(), Version::Http10);
    assert_eq!(r.version().as_str(), "HTTP/1.0");
    assert_eq!(r.path(), "/old");
}

/// RFC 9110 §9.1: the methods we route parse to their own variant; the
/// method token is case-sensitive.
#[test]
fn every_known_method() {
    for m in Method::ALL {
        let line = format!("{} /x HTTP/1.1", m.as_str());
        let buf = req(&line, &["Host: h"]);
        assert_eq!(ok(&buf).0.method(), m, "{line}");
    }
}

/// RFC 9110 §9.1: "An origin server that receives a request method that
/// is unrecognized or not implemented SHOULD respond with 501"; method
/// names are case-sensitive, so `get` is unknown.
#[test]
fn unknown_method_is_501() {
    for m in ["get", "Get", "FOO", "CONNECT", "TRACE", "PROPFIND"] {
        let buf = req(&format!("{m} /x HTTP/1.1"), &["Host: h"]);
        let r = rejection_with(&buf, &LIMITS);
        assert_eq!(r.status, Status::NOT_IMPLEMENTED, "{m}");
    }
}

/// RFC 9112 §3.2.2: absolute-form; the server routes its path and
/// ignores the authority (RFC 9112 §3.3 uses it for the target URI only).
#[test]
fn absolute_form_target() {
    let cases: [(&str, &str, &str, &str); 7] = [
        ("http://example.com/p/q?x=1", "/p/q", "x=1", ""),
        ("http://example.com", "/", "", ""),
        ("http://example.com/", "/", "", ""),
        ("HTTP://example.com?x=1", "/", "x=1", ""),
        ("https://user@example.com:8080/a#f", "/a", "", "f"),
        ("http://example.com#f", "/", "", "f"),
        ("hTtPs://h/a/b/", "/a/b/", "", ""),
    ];
    for (target, path, query, fragment) in cases {
        let buf = req(&format!("GET {target} HTTP/1.1"), &["Host: example.com"]);
        let (r, _) = ok(&buf);
        assert_eq!(r.target(), target);
        assert_eq!(
            (r.path(), r.query_string(), r.fragment()),
            (path, query, fragment),
            "{target}"
        );
    }
}

/// RFC 9112 §3.2: a target is origin-form, absolute-form, authority-form
/// (CONNECT only) or asterisk-form; anything else is a bad request.
#[test]
fn malformed_targets_are_400() {
    for target in ["a/b", "ftp://h/x", "h:80", "example.com/x", "*x", "**"] {
        let buf = req(&format!("GET {target} HTTP/1.1"), &["Host: h"]);
        assert_eq!(status(&buf), 400, "{target}");
    }
}

/// RFC 9112 §3.2.4: asterisk-form "is only used for a server-wide
/// OPTIONS request".
#[test]
fn asterisk_form_only_for_options() {
    let buf = req("OPTIONS * HTTP/1.1", &["Host: h"]);
    let (r, _) = ok(&buf);
    assert_eq!(r.method(), Method::Options);
    assert_eq!(r.target(), "*");
    assert_eq!(r.path(), "*");
    assert_eq!(r.query_string(), "");
    for m in ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"] {
        let buf = req(&format!("{m} * HTTP/1.1"), &["Host: h"]);
        assert_eq!(status(&buf), 400, "{m} *");
    }
}

/// RFC 9112 §2.3 / RFC 9110 §15.6.6: a well-formed major version we do
/// not implement gets 505.
#[test]
fn http2_version_is_505() {
    for v in ["HTTP/2.0", "HTTP/3.0", "HTTP/0.9"] {
        let buf = req(&format!("GET / {v}"), &["Host: h"]);
        let r = rejection_with(&buf, &LIMITS);
        assert_eq!(r.status, Status::HTTP_VERSION_NOT_SUPPORTED, "{v}");
    }
}

/// RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT, and
/// HTTP-name is case-sensitive; anything else is a malformed request.
#[test]
fn garbage_version_is_400() {
    for v in [
        "HTTX/1.1",
        "http/1.1",
        "HTTP/1",
        "HTTP/1.10",
        "HTTP/a.b",
        "HTTP1.1",
        "HTTP/1.1 extra",
    ] {
        let buf = req(&format!("GET / {v}"), &["Host: h"]);
        assert_eq!(status(&buf), 400, "{v:?}");
    }
}

/// RFC 9112 §3: exactly one SP between the parts of the request line.
#[test]
fn missing_or_extra_parts_are_rejected() {
    for line in ["GET /", "GET", "GET  / HTTP/1.1", "GET / HTTP/1.1 ", " GET / HTTP/1.1"] {
        let buf = req(line, &["Host: h"]);
        assert_eq!(rejection_with(&buf, &LIMITS).status, Status::BAD_REQUEST, "{line:?}");
    }
}

// --------------------------------------------------------------------- headers

/// RFC 9110 §5.1: field names are case-insensitive. RFC 9110 §5.3: a
/// recipient may not drop repeated fields; `headers_all` keeps them in
/// order. RFC 9112 §5.1: surrounding whitespace (OWS) is not part of the
/// value.
#[test]
fn headers_case_insensitive_and_repeated() {
    let buf = get(&["X-Tag: one", "x-tag:two", "X-TAG: \t three \t", "Accept: */*"]);
    let (r, _) = ok(&buf);
    assert_eq!(r.header("HOST"), Some("example.com"));
    assert_eq!(r.header("host"), Some("example.com"));
    assert_eq!(r.header("x-tag"), Some("one"));
    let all: Vec<&[u8]> = r.headers_all("X-Tag").collect();
    assert_eq!(all, [&b"one"[..], b"two", b"three"]);
    assert_eq!(r.header("accept"), Some("*/*"));
    assert_eq!(r.header("missing"), None);
    assert_eq!(r.headers_all("missing").count(), 0);
    let names: Vec<&str> = r.headers().map(|(n, _)| n).collect();
    assert_eq!(names, ["Host", "X-Tag", "x-tag", "X-TAG", "Accept"]);
}

/// RFC 9110 §5.5: field values may carry obs-text (0x80-0xFF); they
/// are kept as bytes; `header` only answers valid UTF-8.
#[test]
fn non_utf8_header_value() {
    let mut buf = b"GET / HTTP/1.1\r\nHost: h\r\nX-Bin: a\xffb\r\nX-Utf: caf\xc3\xa9\r\n\r\n".to_vec();
    let (r, _) = ok(&buf);
    assert_eq!(r.header_bytes("x-bin"), Some(&b"a\xffb"[..]));
    assert_eq!(r.header("x-bin"), None);
    assert_eq!(r.header("x-utf"), Some("caf\u{e9}"));
    // the view borrows the buffer it was given: change a byte, see it
    let at = buf.len() - 7;
    assert_eq!(buf[at], b'f');
    buf[at] = b'F';
    let (r, _) = ok(&buf);
    assert_eq!(r.header("x-utf"), Some("caF\u{e9}"));
}

/// RFC 9110 §8.3: media type = type "/" subtype *( ";" parameter ),
/// case-insensitive.
#[test]
fn content_type_and_mime() {
    let buf = get(&["Content-Type:  Application/JSON ; charset=utf-8"]);
    let (r, _) = ok(&buf);
    assert_eq!(r.content_type(), Some("Application/JSON"));
    assert!(r.mime_is("application/json"));
    assert!(!r.mime_is("application/jsonx"));
    assert!(!r.mime_is("text/plain"));
    let buf = get(&[]);
    let (r, _) = ok(&buf);
    assert_eq!(r.content_type(), None);
    assert!(!r.mime_is("application/json"));
}

/// RFC 9112 §5.1: "No whitespace is allowed between the field name and
/// colon ... A server MUST reject ... with a response status code of 400".
#[test]
fn whitespace_before_colon_is_400() {
    assert_eq!(status(&get(&["X-A : 1"])), 400);
    assert_eq!(status(&get(&["X-A\t: 1"])), 400);
    assert_eq!(status(&req("GET / HTTP/1.1", &["Host : h"])), 400);
}

/// RFC 9112 §5.2: "A server that receives an obs-fold in a request
/// message ... MUST either reject the message by sending a 400" or
/// unfold it; we reject.
#[test]
fn obs_fold_is_400() {
    assert_eq!(status(&get(&["X-A: 1", " continued"])), 400);
    assert_eq!(status(&get(&["X-A: 1", "\tcontinued"])), 400);
}

/// RFC 9110 §5.1 (field-name = token) and §5.5 (no CR, LF or NUL in a
/// field value): malformed lines are 400.
#[test]
fn malformed_header_lines_are_400() {
    assert_eq!(status(&get(&["X(A): 1"])), 400);
    assert_eq!(status(&get(&["no colon here"])), 400);
    assert_eq!(status(&get(&[": empty name"])), 400);
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n"), 400);
    assert_eq!(status(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n"), 400);
}

/// RFC 9112 §2.2: "a recipient MAY recognize a single LF as a line
/// terminator and ignore any preceding CR" (httparse does).
#[test]
fn bare_lf_line_endings() {
    let buf = b"POST /lf?x=1 HTTP/1.1\nHost: h\nContent-Length: 3\nX-A: 1\r\nX-A: 2\n\nabc";
    let (r, n) = ok(buf);
    assert_eq!(n, buf.len() - 3);
    assert_eq!(r.path(), "/lf");
    assert_eq!(r.header("host"), Some("h"));
    assert_eq!(r.content_length(), Some(3));
    assert_eq!(r.headers_all("x-a").collect::<Vec<_>>(), [&b"1"[..], b"2"]);
    assert_eq!(r.headers().count(), 4);
}

/// RFC 9112 §2.2: "a server that is expecting to receive and parse a
/// request-line SHOULD ignore at least one empty line (CRLF) received
/// prior to the request-line".
#[test]
fn leading_empty_lines_ignored() {
    for prefix in ["\r\n", "\r\n\r\n", "\n", "\n\n\r\n"] {
        let mut buf = prefix.as_bytes().to_vec();
        buf.extend_from_slice(&get(&["X-A: 1"]));
        let (r, n) = ok(&buf);
        assert_eq!(n, buf.len(), "{prefix:?}");
        assert_eq!(r.method(), Method::Get);
        assert_eq!(r.path(), "/");
        assert_eq!(r.header("host"), Some("example.com"), "{prefix:?}");
        assert_eq!(r.header("x-a"), Some("1"), "{prefix:?}");
        assert_eq!(r.headers().count(), 2, "{prefix:?}");
    }
}

/// The head length `n` ends after the blank line: the body and any
/// pipelined request (RFC 9112 §9.3.2) stay with the caller.
#[test]
fn head_length_excludes_body_and_next_request() {
    let head = get(&["Content-Length: 5"]);
    let mut buf = head.clone();
    buf.extend_from_slice(b"helloGET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    let (r, n) = ok(&buf);
    assert_eq!(n, head.len());
    assert_eq!(r.content_length(), Some(5));
    assert_eq!(r.header("content-length"), Some("5"));
    assert_eq!(r.headers().count(), 2);
}

// ------------------------------------------------------------------------ Host

/// RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status
/// code to any HTTP/1.1 request message that lacks a Host header field
/// and to any request message that contains more than one Host header
/// field line".
#[test]
fn host_rules() {
    assert_eq!(status(&req("GET / HTTP/1.1", &[])), 400);
    assert_eq!(status(&req("GET / HTTP/1.1", &["Host: a", "Host: b"])), 400);
    assert_eq!(status(&req("GET / HTTP/1.1", &["Host: a", "hOsT: a"])), 400);
    assert_eq!(status(&req("GET / HTTP/1.0", &["Host: a", "Host: a"])), 400);
    // one Host, any case; HTTP/1.0 may omit it
    ok(&req("GET / HTTP/1.1", &["hOST: a"]));
    ok(&req("GET / HTTP/1.0", &[]));
    ok(&req("GET / HTTP/1.0", &["Host: a"]));
    // an empty Host is allowed when the target has no authority (§3.2)
    ok(&req("GET / HTTP/1.1", &["Host:"]));
}

// ------------------------------------------------------------------- framing

/// RFC 9112 §6.3: no Content-Length and no Transfer-Encoding in a
/// request means a zero-length body.
#[test]
fn no_body_framing() {
    let buf = get(&[]);
    let (r, _) = ok(&buf);
    assert_eq!(r.framing(), Framing::None);
    assert_eq!(r.content_length(), Some(0));
    let buf = get(&["Content-Length: 0"]);
    let (r, _) = ok(&buf);
    assert_eq!(r.framing(), Framing::None);
    assert_eq!(r.content_length(), Some(0));
}

/// RFC 9110 §8.6: Content-Length = 1*DIGIT. Leading zeros are digits.
#[test]
fn valid_content_length() {
    for (value, n) in [
        ("5", 5u64),
        ("007", 7),
        ("1234567", 1_234_567),
        ("9999999999999999999", 9_999_999_999_999_999_999),
    ] {
        let buf = get(&[&format!("Content-Length: {value}")]);
        let (r, _) = ok(&buf);
        assert_eq!(r.framing(), Framing::Length(n), "{value}");
        assert_eq!(r.content_length(), Some(n));
    }
}

/// RFC 9112 §6.3 (5): "If a message is received without
/// Transfer-Encoding and with an invalid Content-Length header field,
/// then the message framing is invalid and the recipient MUST treat it
/// as an unrecoverable error ... the server MUST respond with a 400".
#[test]
fn invalid_content_length_is_400() {
    for value in [
        "+5",
        "-5",
        "5 5",
        "5\t5",
        "0x5",
        "1e3",
        "5.0",
        "five",
        "",
        "99999999999999999999", // 20 digits: over u64
        "18446744073709551616", // u64::MAX + 1
        "5,",
        ",5",
    ] {
        let buf = get(&[&format!("Content-Length: {value}")]);
        let r = rejection_with(&buf, &LIMITS);
        assert_eq!(r.status, Status::BAD_REQUEST, "Content-Length: {value:?}");
    }
}

/// RFC 9110 §8.6: a list of identical Content-Length values "MAY" be
/// accepted as one; differing values are unrecoverable (RFC 9112 §6.3).
#[test]
fn repeated_content_length() {
    for headers in [
        &["Content-Length: 5", "Content-Length: 5"][..],
        &["Content-Length: 5, 5"],
        &["Content-Length: 5 , 05"],
    ] {
        let buf = get(headers);
        let (r, _) = ok(&buf);
        assert_eq!(r.framing(), Framing::Length(5), "{headers:?}");
    }
    for headers in [
        &["Content-Length: 5", "Content-Length: 6"][..],
        &["Content-Length: 5, 6"],
        &["Content-Length: 0", "content-length: 1"],
    ] {
        let r = rejection_with(&get(headers), &LIMITS);
        assert_eq!(r.status, Status::BAD_REQUEST, "{headers:?}");
    }
}

/// RFC 9112 §6.1 + §7: Transfer-Encoding: chunked frames the body; the
/// coding name is case-insensitive; the length is unknown.
#[test]
fn chunked_framing() {
    for value in ["chunked", "Chunked", "CHUNKED", " chunked ", "chunked,", ", chunked"] {
        let buf = get(&[&format!("Transfer-Encoding: {value}")]);
        let (r, _) = ok(&buf);
        assert_eq!(r.framing(), Framing::Chunked, "{value:?}");
        assert_eq!(r.content_length(), None);
    }
}

/// RFC 9112 §6.1: "A server MAY reject a request that contains both
/// Content-Length and Transfer-Encoding ... Such a message might indicate
/// an attempt to perform request smuggling" — we always reject (400).
#[test]
fn content_length_with_transfer_encoding_is_400() {
    for headers in [
        &["Content-Length: 5", "Transfer-Encoding: chunked"][..],
        &["Transfer-Encoding: chunked", "Content-Length: 5"],
        &["Transfer-Encoding: chunked", "Content-Length: 0"],
    ] {
        let r = rejection_with(&get(headers), &LIMITS);
        assert_eq!(r.status, Status::BAD_REQUEST, "{headers:?}");
    }
}

/// RFC 9112 §6.1: "A server that receives a request message with a
/// transfer coding it does not understand SHOULD respond with 501".
#[test]
fn unknown_transfer_coding_is_501() {
    for value in ["gzip", "gzip, chunked", "deflate,chunked", "identity", "x-custom"] {
        let r = rejection_with(&get(&[&format!("Transfer-Encoding: {value}")]), &LIMITS);
        assert_eq!(r.status, Status::NOT_IMPLEMENTED, "{value}");
    }
}

/// RFC 9112 §6.1: "A sender MUST NOT apply the chunked transfer coding
/// more than once to a message body".
#[test]
fn chunked_twice_is_400() {
    for headers in [
        &["Transfer-Encoding: chunked, chunked"][..],
        &["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
        &["Transfer-Encoding: chunked", "transfer-encoding: Chunked"],
    ] {
        let r = rejection_with(&get(headers), &LIMITS);
        assert_eq!(r.status, Status::BAD_REQUEST, "{headers:?}");
    }
}

/// RFC 9112 §6.1: a Transfer-Encoding with no coding frames nothing.
#[test]
fn empty_transfer_encoding_is_400() {
    assert_eq!(status(&get(&["Transfer-Encoding:"])), 400);
    assert_eq!(status(&get(&["Transfer-Encoding: ,"])), 400);
}

/// RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message
/// containing a Transfer-Encoding header field MUST treat the message as
/// if the framing is faulty ... and close the connection" — 400.
#[test]
fn transfer_encoding_in_http10_is_400() {
    let buf = req("POST / HTTP/1.0", &["Transfer-Encoding: chunked"]);
    assert_eq!(status(&buf), 400);
    let buf = req("POST / HTTP/1.0", &["Transfer-Encoding: gzip"]);
    assert_eq!(status(&buf), 400);
}

// -------------------------------------------------------- Expect, Connection

/// RFC 9110 §10.1.1: "100-continue" (case-insensitive) is the only
/// expectation; "A server that receives an Expect field value containing
/// a member other than 100-continue MAY respond with a 417".
#[test]
fn expect_header() {
    for value in ["100-continue", "100-Continue", " 100-CONTINUE "] {
        ok(&get(&[&format!("Expect: {value}"), "Content-Length: 3"]));
    }
    for value in ["200-ok", "100-continue, foo", "foo", ""] {
        let r = rejection_with(&get(&[&format!("Expect: {value}")]), &LIMITS);
        assert_eq!(r.status, Status::EXPECTATION_FAILED, "Expect: {value:?}");
    }
}

/// RFC 9112 §9.3: HTTP/1.1 persists unless "close" is a connection
/// option; HTTP/1.0 persists only with "keep-alive" (and no "close").
/// Connection options are case-insensitive tokens in a list.
#[test]
fn connection_persistence() {
    let cases: [(&str, &[&str], bool); 14] = [
        ("HTTP/1.1", &[], true),
        ("HTTP/1.1", &["Connection: close"], false),
        ("HTTP/1.1", &["Connection: Close"], false),
        ("HTTP/1.1", &["Connection: keep-alive"], true),
        ("HTTP/1.1", &["Connection: upgrade, close"], false),
        ("HTTP/1.1", &["Connection: keep-alive", "Connection: close"], false),
        ("HTTP/1.1", &["Connection: upgrade"], true),
        ("HTTP/1.1", &["Connection: closed"], true),
        ("HTTP/1.0", &[], false),
        ("HTTP/1.0", &["Connection: keep-alive"], true),
        ("HTTP/1.0", &["Connection: Keep-Alive"], true),
        ("HTTP/1.0", &["Connection: te, keep-alive"], true),
        ("HTTP/1.0", &["Connection: keep-alive, close"], false),
        ("HTTP/1.0", &["Connection: keep-alives"], false),
    ];
    for (version, headers, keep) in cases {
        let mut all = vec!["Host: h"];
        all.extend_from_slice(headers);
        let buf = req(&format!("GET / {version}"), &all);
        let (r, _) = ok(&buf);
        assert_eq!(r.wants_keep_alive(), keep, "{version} {headers:?}");
    }
}

// ---------------------------------------------------------------------- limits

fn long_target(n: usize) -> String {
    format!("/{}", "a".repeat(n - 1))
}

/// RFC 9112 §3: "A server that receives a request-target longer than any
/// URI it wishes to parse MUST respond with a 414"; the request-line
/// limit excludes its CRLF.
#[test]
fn long_request_line_is_414_complete() {
    let limits = HeadLimits {
        max_request_line: 64,
        max_head: 1024,
        max_headers: 8,
    };
    // "GET " + target + " HTTP/1.1" = 13 + target
    let at_limit = req(&format!("GET {} HTTP/1.1", long_target(64 - 13)), &["Host: h"]);
    assert_eq!(ok_with(&at_limit, &limits).target().len(), 51);
    let over = req(&format!("GET {} HTTP/1.1", long_target(64 - 12)), &["Host: h"]);
    assert_eq!(rejection_with(&over, &limits).status, Status::URI_TOO_LONG);
    // with bare LF endings too
    let over_lf = format!("GET {} HTTP/1.1\nHost: h\n\n", long_target(64 - 12));
    assert_eq!(rejection_with(over_lf.as_bytes(), &limits).status, Status::URI_TOO_LONG);
    // default limit
    let over = req(&format!("GET {} HTTP/1.1", long_target(1100)), &["Host: h"]);
    assert_eq!(status(&over), 414);
}

/// RFC 9112 §3 + §2.2: a request line that is already longer than the
/// limit is refused before its end arrives, so a client cannot make the
/// server buffer an endless line.
#[test]
fn long_request_line_is_414_partial() {
    let limits = HeadLimits {
        max_request_line: 64,
        max_head: 1024,
        max_headers: 8,
    };
    let partial = format!("GET {}", long_target(100));
    assert_eq!(rejection_with(partial.as_bytes(), &limits).status, Status::URI_TOO_LONG);
    assert_eq!(
        check_partial(partial.as_bytes(), &limits).map_err(|r| r.status),
        Err(Status::URI_TOO_LONG)
    );
    // still growing but under the limit: keep reading
    let short = format!("GET {}", long_target(30));
    assert!(matches!(parse_head(short.as_bytes(), &limits), Ok(ParsedHead::Partial)));
    assert_eq!(check_partial(short.as_bytes(), &limits), Ok(()));
    // a long line of noise is a bad request, not a long URI
    let noise = "x".repeat(100);
    assert_eq!(
        check_partial(noise.as_bytes(), &limits).map_err(|r| r.status),
        Err(Status::BAD_REQUEST)
    );
}

/// The 414 limit is on the request line, not on the bytes received: a
/// line of exactly the limit must be accepted however it is split, in
/// particular when a read ends between its CR and its LF.
#[test]
fn request_line_at_limit_every_prefix_is_partial() {
    let limits = HeadLimits {
        max_request_line: 64,
        max_head: 1024,
        max_headers: 8,
    };
    let buf = req(&format!("GET {} HTTP/1.1", long_target(64 - 13)), &["Host: h"]);
    for k in 0..buf.len() {
        assert_eq!(
            check_partial(&buf[..k], &limits),
            Ok(()),
            "prefix of {k} bytes: {:?}",
            String::from_utf8_lossy(&buf[..k])
        );
        assert!(
            matches!(parse_head(&buf[..k], &limits), Ok(ParsedHead::Partial)),
            "prefix of {k} bytes"
        );
    }
    ok_with(&buf, &limits);
}

/// A request line with a bad byte is a 400, unless the line is also over
/// the limit (then 414 says more); its CRLF does not count towards it.
#[test]
fn bad_token_in_request_line_at_limit() {
    let limits = HeadLimits {
        max_request_line: 64,
        max_head: 1024,
        max_headers: 8,
    };
    let target = format!("/\x7f{}", "a".repeat(64 - 13 - 2));
    let at_limit = req(&format!("GET {target} HTTP/1.1"), &["Host: h"]);
    assert_eq!(at_limit.iter().position(|&b| b == b'\r'), Some(64));
    assert_eq!(rejection_with(&at_limit, &limits).status, Status::BAD_REQUEST);
    let target = format!("/\x7f{}", "a".repeat(64 - 13 - 1));
    let over = req(&format!("GET {target} HTTP/1.1"), &["Host: h"]);
    assert_eq!(rejection_with(&over, &limits).status, Status::URI_TOO_LONG);
}

/// RFC 6585 §5: 431 when the header section is too large, complete or
/// not; a head of exactly `max_head` bytes is accepted.
#[test]
fn head_over_max_head_is_431() {
    let limits = HeadLimits {
        max_request_line: 64,
        max_head: 128,
        max_headers: 16,
    };
    let base = get(&[]).len(); // "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
                               // "X: " + v + "\r\n" adds 5 + v bytes
    let exact = get(&[&format!("X: {}", "v".repeat(128 - base - 5))]);
    assert_eq!(exact.len(), 128);
    ok_with(&exact, &limits);
    let over = get(&[&format!("X: {}", "v".repeat(128 - base - 4))]);
    assert_eq!(over.len(), 129);
    assert_eq!(rejection_with(&over, &limits).status, Status::HEADER_FIELDS_TOO_LARGE);
    // partial: the head filled its budget without ending
    let partial = &over[..128];
    assert_eq!(rejection_with(partial, &limits).status, Status::HEADER_FIELDS_TOO_LARGE);
    assert_eq!(
        check_partial(partial, &limits).map_err(|r| r.status),
        Err(Status::HEADER_FIELDS_TOO_LARGE)
    );
    assert_eq!(check_partial(&over[..127], &limits), Ok(()));
}

/// RFC 6585 §5: too many header fields is 431; exactly `max_headers`
/// (Host included) is fine.
#[test]
fn too_many_headers_is_431() {
    let limits = HeadLimits {
        max_request_line: 64,
        max_head: 4096,
        max_headers: 5,
    };
    let four: Vec<String> = (0..4).map(|i| format!("X-{i}: {i}")).collect();
    let four: Vec<&str> = four.iter().map(String::as_str).collect();
    let buf = get(&four); // Host + 4 = 5
    assert_eq!(ok_with(&buf, &limits).headers().count(), 5);
    let five: Vec<String> = (0..5).map(|i| format!("X-{i}: {i}")).collect();
    let five: Vec<&str> = five.iter().map(String::as_str).collect();
    let buf = get(&five);
    assert_eq!(rejection_with(&buf, &limits).status, Status::HEADER_FIELDS_TOO_LARGE);
    // the default allows 24
    let many: Vec<String> = (0..30).map(|i| format!("X-{i}: {i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(status(&get(&many)), 431);
}

/// The parser keeps no table of header slots, so any `max_headers` holds
/// exactly: that many lines pass, one more is 431.
#[test]
fn max_headers_is_exact_however_large() {
    let limits = HeadLimits {
        max_request_line: 64,
        max_head: 16384,
        max_headers: 200,
    };
    let lines: Vec<String> = (0..200).map(|i| format!("X-{i}: {i}")).collect();
    let mut refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    refs.pop(); // Host + 199
    assert_eq!(ok_with(&get(&refs), &limits).headers().count(), 200);
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_eq!(
        rejection_with(&get(&refs), &limits).status,
        Status::HEADER_FIELDS_TOO_LARGE
    );
}

// --------------------------------------------------------------- partial input

fn valid_requests() -> Vec<Vec<u8>> {
    vec![
        get(&[]),
        get(&["Content-Length: 5", "X-Long: some longer value here"]),
        req(
            "POST /up?x=1#f HTTP/1.1",
            &["Host: h", "Transfer-Encoding: chunked", "Expect: 100-continue"],
        ),
        b"GET /lf HTTP/1.0\nConnection: keep-alive\n\n".to_vec(),
        b"\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n".to_vec(),
        req("GET http://example.com/abs HTTP/1.1", &["Host: example.com"]),
    ]
}

/// RFC 9112 §2.2 / §9.3.2: bytes arrive in pieces; a prefix of a valid
/// head is never an error and never a (wrong) complete head.
#[test]
fn every_prefix_is_partial() {
    for buf in valid_requests() {
        for k in 0..buf.len() {
            match parse_head(&buf[..k], &LIMITS) {
                Ok(ParsedHead::Partial) => {}
                Ok(ParsedHead::Complete {
                    request: _,
                    head_len: n,
                }) => panic!(
                    "prefix {k} of {:?} parsed as complete ({n})",
                    String::from_utf8_lossy(&buf)
                ),
                Err(r) => panic!(
                    "prefix {k} of {:?} rejected: {} {}",
                    String::from_utf8_lossy(&buf),
                    r.status.0,
                    r.reason
                ),
            }
            assert_eq!(check_partial(&buf[..k], &LIMITS), Ok(()));
        }
        let (_, n) = ok(&buf);
        assert_eq!(n, buf.len());
    }
}

/// A complete head parses the same when more bytes (a body) follow.
#[test]
fn trailing_bytes_do_not_change_the_head() {
    for buf in valid_requests() {
        let (alone, n) = ok(&buf);
        let (path, query, method, version) = (
            alone.path().to_string(),
            alone.query_string().to_string(),
            alone.method(),
            alone.version(),
        );
        let mut longer = buf.clone();
        longer.extend_from_slice(b"GARBAGE after the head\r\n\r\n");
        let (r, m) = ok(&longer);
        assert_eq!(m, n);
        assert_eq!(
            (r.path(), r.query_string(), r.method(), r.version()),
            (path.as_str(), query.as_str(), method, version)
        );
    }
}

// ----------------------------------------------------- accessors before routing

/// Before routing a request has no captures.
#[test]
fn no_captures_before_routing() {
    let buf = get(&[]);
    let (r, _) = ok(&buf);
    assert_eq!(r.param_count(), 0);
    assert_eq!(r.route_pattern(), "");
    assert!(r.param("x").is_none());
    assert!(r.param_at(0).is_none());
}

/// RFC 3986 §3.4 query via the request view: repeated keys kept, decoded
/// on demand.
#[test]
fn query_accessors() {
    let buf = req(
        "GET /s?tag=a&tag=b+c&n=%34%32&flag&tag=%E2%80%A2 HTTP/1.1",
        &["Host: h"],
    );
    let (r, _) = ok(&buf);
    let tags: Vec<String> = r.query_all("tag").map(|v| v.to_string_lossy()).collect();
    assert_eq!(tags, ["a", "b c", "\u{2022}"]);
    assert_eq!(r.query("tag").map(|v| v.raw()), Some("a"));
    assert_eq!(r.query("n").and_then(|v| v.parse::<u32>()), Some(42));
    assert_eq!(r.query("flag").map(|v| v.raw()), Some(""));
    assert!(r.query("missing").is_none());
    assert_eq!(r.query_pairs().count(), 5);
}
