//! HTTP/1.1 over real TCP with a raw `std::net::TcpStream`: persistence,
//! pipelining, HEAD, OPTIONS, 404/405, captures of every kind, request
//! bodies (length and chunked), HTTP/1.0.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;

#[test]
fn get_returns_body_with_length_and_keeps_the_connection() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(&get("/"));
    let r = c.response();
    assert_eq!(r.status, 200);
    assert_eq!(r.version, "HTTP/1.1");
    assert_eq!(r.text(), "hello");
    assert_eq!(r.header("content-length"), Some("5"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("server"), Some("ferrodot"));
    assert!(!r.closes(), "HTTP/1.1 keeps the connection by default: {r:?}");
    // The same connection serves another request.
    c.send(&get("/json"));
    let r = c.response();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.text(), "{\"ok\":true,\"n\":42}");
}

#[test]
fn keep_alive_serves_100_requests_on_one_connection() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    let local = c.stream.local_addr().unwrap();
    let mut peers = HashSet::new();
    for i in 0..100 {
        let path = if i % 2 == 0 { "/peer" } else { "/one/x" };
        c.send(&get(path));
        let r = c.response();
        assert_eq!(r.status, 200, "request {i}: {r:?}");
        assert!(!r.closes(), "request {i} closed the connection: {r:?}");
        if i % 2 == 0 {
            peers.insert(r.text());
        } else {
            assert_eq!(r.text(), "one [x]");
        }
    }
    // The server saw every request come from the same client port: one
    // TCP connection, not 100.
    assert_eq!(peers.len(), 1, "{peers:?}");
    assert_eq!(peers.into_iter().next().unwrap(), local.to_string());
}

#[test]
fn pipelined_requests_in_one_write_are_answered_in_order() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    let mut batch = Vec::new();
    batch.extend_from_slice(&get("/one/a"));
    batch.extend_from_slice(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world");
    batch.extend_from_slice(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    batch.extend_from_slice(
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    );
    batch.extend_from_slice(&get("/nope"));
    batch.extend_from_slice(&get("/one/b"));
    // A handler that does not read its body: the engine must skip it.
    batch.extend_from_slice(b"PUT /len HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz");
    batch.extend_from_slice(&get("/int/7"));
    c.send(&batch);

    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "one [a]"));
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "hello world"));
    let r = c.head_response();
    assert_eq!((r.status, r.header("content-length")), (200, Some("5")));
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "abcde"));
    let r = c.response();
    assert_eq!(r.status, 404);
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "one [b]"));
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "xyz"));
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "int 7"));
    assert!(
        c.leftover().is_empty(),
        "extra bytes after the last response: {:?}",
        c.leftover()
    );
}

#[test]
fn pipelined_requests_split_at_every_byte_boundary() {
    // The same two requests, with the boundary between two writes moved
    // one byte at a time through both of them.
    let server = TestServer::standard();
    let two = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhiGET /one/z HTTP/1.1\r\nHost: t\r\n\r\n";
    let mut c = Conn::open(server.addr);
    for split in (1..two.len()).step_by(3) {
        c.send(&two[..split]);
        std::thread::sleep(Duration::from_millis(2));
        c.send(&two[split..]);
        let r = c.response();
        assert_eq!((r.status, r.text().as_str()), (200, "hi"), "split at {split}");
        let r = c.response();
        assert_eq!((r.status, r.text().as_str()), (200, "one [z]"), "split at {split}");
    }
}

#[test]
fn head_keeps_content_length_and_sends_no_body() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(&get("/json"));
    let full = c.response();
    c.send(b"HEAD /json HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = c.head_response();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(full.body.len().to_string().as_str())
    );
    assert_eq!(head.header("content-type"), Some("application/json"));
    // If any body byte had been sent, it would precede this response.
    c.send(&get("/"));
    let next = c.response();
    assert_eq!((next.status, next.text().as_str()), (200, "hello"));
    // A body larger than the response buffer: HEAD still sends nothing.
    c.send(b"HEAD /big?n=20000 HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = c.head_response();
    assert_eq!(head.status, 200);
    c.send(&get("/one/after"));
    let next = c.response();
    assert_eq!((next.status, next.text().as_str()), (200, "one [after]"));
}

#[test]
fn options_lists_allowed_methods() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(b"OPTIONS /item HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = c.response();
    assert_eq!(r.status, 200);
    assert_eq!(r.allow(), ["GET", "HEAD", "OPTIONS", "PUT"]);
    assert_eq!(r.header("content-length"), Some("0"));
    c.send(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = c.response();
    assert_eq!(r.status, 200);
    for m in ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"] {
        assert!(r.allow().iter().any(|a| a == m), "OPTIONS * should allow {m}: {r:?}");
    }
    // OPTIONS on an unknown path is a 404, not an empty Allow.
    c.send(b"OPTIONS /nope HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.response().status, 404);
}

#[test]
fn unknown_path_is_404_and_connection_stays_usable() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(&get("/does/not/exist"));
    let r = c.response();
    assert_eq!(r.status, 404);
    assert!(r.text().starts_with("Not Found"), "{:?}", r.text());
    assert!(!r.closes());
    c.send(&get("/"));
    assert_eq!(c.response().status, 200);
}

#[test]
fn wrong_method_is_405_with_allow() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(b"DELETE /item HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = c.response();
    assert_eq!(r.status, 405);
    assert_eq!(r.allow(), ["GET", "HEAD", "OPTIONS", "PUT"]);
    assert!(r.text().starts_with("Method Not Allowed"), "{:?}", r.text());
    // A 405 to a request with a body: the body is skipped (or the
    // connection closed), never read as the next request.
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 19\r\n\r\nGET /one/x HTTP/1.1");
    let r = c.response();
    assert_eq!(r.status, 405);
    assert_eq!(r.allow(), ["GET", "HEAD", "OPTIONS"]);
    if !r.closes() {
        c.send(&get("/one/y"));
        let r = c.response();
        assert_eq!((r.status, r.text().as_str()), (200, "one [y]"));
    }
}

#[test]
fn every_capture_kind_over_the_wire() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    let cases: &[(&str, u16, &str)] = &[
        // :x — exactly one non-empty segment
        ("/one/abc", 200, "one [abc]"),
        ("/one/a%20b", 200, "one [a%20b]"),
        ("/one/", 404, ""),
        ("/one", 404, ""),
        ("/one/a/b", 404, ""),
        // :x? — zero or one segment
        ("/opt", 200, "opt absent"),
        ("/opt/", 200, "opt []"),
        ("/opt/a", 200, "opt [a]"),
        ("/opt/a/b", 404, ""),
        // :x+ — one or more segments, the first non-empty
        ("/plus/a", 200, "plus [a]"),
        ("/plus/a/b/c", 200, "plus [a/b/c]"),
        ("/plus", 404, ""),
        ("/plus/", 404, ""),
        ("/plusx", 404, ""),
        // :x* — zero or more segments
        ("/star", 200, "star absent"),
        ("/star/a", 200, "star [a]"),
        ("/star/a/b/c.txt", 200, "star [a/b/c.txt]"),
        // <int:x>
        ("/int/42", 200, "int 42"),
        ("/int/-12", 200, "int -12"),
        ("/int/4x", 404, ""),
        ("/int/", 404, ""),
        ("/int/99999999999999999999", 404, ""),
        // <path:x>
        ("/path/a", 200, "path [a]"),
        ("/path/dir/sub/file.txt", 200, "path [dir/sub/file.txt]"),
        ("/path", 404, ""),
        // the query string is not part of the path
        ("/one/q?x=1&y=2", 200, "one [q]"),
        ("/plus/a/b?z=/c", 200, "plus [a/b]"),
    ];
    for &(path, status, body) in cases {
        c.send(&get(path));
        let r = c.response();
        assert_eq!(r.status, status, "GET {path} -> {:?}", r.text());
        if status == 200 {
            assert_eq!(r.text(), body, "GET {path}");
        }
    }
}

#[test]
fn bodies_by_length_and_chunked() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    // Content-Length, sent in pieces.
    c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n01234");
    std::thread::sleep(Duration::from_millis(30));
    c.send(b"56789");
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "0123456789"));
    // Chunked with extensions, a trailer and upper-case hex, trickled.
    let req: &[u8] = b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
        5;ext=1\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: yes\r\n\r\n";
    for piece in req.chunks(7) {
        c.send(piece);
        std::thread::sleep(Duration::from_millis(1));
    }
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "hello, chunked!"));
    // A streamed body far larger than the connection buffer.
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let sum: u64 = body.iter().map(|&b| u64::from(b)).sum();
    let mut req = b"POST /count HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in body.chunks(9000) {
        req.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        req.extend_from_slice(piece);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    c.send(&req);
    let r = c.response();
    assert_eq!((r.status, r.text()), (200, format!("{} {sum}", body.len())));
    // The connection is still in step.
    c.send(&get("/"));
    assert_eq!(c.response().text(), "hello");
}

#[test]
fn expect_100_continue_is_answered_before_the_body() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    let mut got = Vec::new();
    let mut chunk = [0u8; 256];
    while find(&got, b"\r\n\r\n").is_none() {
        let n = std::io::Read::read(&mut c.stream, &mut chunk).expect("100 Continue before the body is sent");
        assert!(n > 0, "closed before 100 Continue");
        got.extend_from_slice(&chunk[..n]);
    }
    assert!(
        got.starts_with(b"HTTP/1.1 100 Continue\r\n"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    c.send(b"ping");
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "ping"));
}

#[test]
fn large_response_is_chunked_for_http11_and_close_delimited_for_http10() {
    let server = TestServer::standard();
    let expected: String = (0..20_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let mut c = Conn::open(server.addr);
    c.send(&get("/big?n=20000"));
    let r = c.response();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.text(), expected);
    c.send(&get("/"));
    assert_eq!(c.response().text(), "hello");

    let mut c = Conn::open(server.addr);
    c.send(b"GET /big?n=20000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let r = c.response();
    assert_eq!(r.status, 200);
    assert!(r.header("transfer-encoding").is_none(), "no chunked to HTTP/1.0: {r:?}");
    assert_eq!(r.text(), expected);
}

#[test]
fn connection_close_is_honoured() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));
    assert!(r.closes(), "the response says it closes: {r:?}");
    c.assert_closed();
}

#[test]
fn connection_close_ends_a_pipeline() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    let mut batch = get("/one/a");
    batch.extend_from_slice(b"GET /one/b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    batch.extend_from_slice(&get("/one/never"));
    c.send(&batch);
    assert_eq!(c.response().text(), "one [a]");
    let r = c.response();
    assert_eq!(r.text(), "one [b]");
    assert!(r.closes());
    c.assert_closed();
}

#[test]
fn http10_without_keep_alive_is_closed() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(b"GET /one/old HTTP/1.0\r\n\r\n");
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "one [old]"));
    assert_eq!(r.header("content-length"), Some("9"));
    c.assert_closed();
}

#[test]
fn http10_with_keep_alive_is_kept() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    for i in 0..3 {
        c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let r = c.response();
        assert_eq!(r.status, 200, "request {i}");
        assert_eq!(
            r.header("connection").map(str::to_ascii_lowercase).as_deref(),
            Some("keep-alive"),
            "{r:?}"
        );
    }
}

#[test]
fn absolute_form_and_leading_empty_lines_are_accepted() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(format!("\r\n\r\nGET http://{}/one/abs HTTP/1.1\r\nHost: t\r\n\r\n", server.addr).as_bytes());
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "one [abs]"));
}

#[test]
fn many_clients_at_once() {
    let server = TestServer::standard();
    let addr = server.addr;
    let workers: Vec<_> = (0..16)
        .map(|w| {
            std::thread::spawn(move || {
                let mut c = Conn::open(addr);
                for i in 0..20 {
                    c.send(&get(&format!("/one/w{w}r{i}")));
                    let r = c.response();
                    assert_eq!(r.text(), format!("one [w{w}r{i}]"));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("client thread");
    }
}

#[test]
fn closing_and_http10_responses_keep_their_bodies_intact() {
    // The engine adds `Connection: close` / `Connection: keep-alive` and a
    // two-digit Content-Length at the end of the head; the body behind it
    // must not be overwritten.
    let server = TestServer::standard();
    let expected = "path [some/longer/file/name.txt]";
    let target = "/path/some/longer/file/name.txt";

    let r = get_once(server.addr, target);
    assert_eq!((r.status, r.text().as_str()), (200, expected));
    assert!(r.closes());

    let r = request_once(server.addr, format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes());
    assert_eq!((r.status, r.text().as_str()), (200, expected));

    let mut c = Conn::open(server.addr);
    for _ in 0..2 {
        c.send(format!("GET {target} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").as_bytes());
        let r = c.response();
        assert_eq!((r.status, r.text().as_str()), (200, expected));
    }

    let r = get_once(server.addr, "/no/such/thing");
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "Not Found: no such resource\n");
    assert_eq!(r.header("content-length"), Some(r.body.len().to_string().as_str()));

    // A streamed (chunked) body to a closing request.
    let want: String = (0..9000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let r = get_once(server.addr, "/big?n=9000");
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.text(), want);
}

#[test]
fn after_request_hook_headers_reach_every_response() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(&get("/one/hooked"));
    let r = c.response();
    assert_eq!((r.header("x-hook"), r.text().as_str()), (Some("seen"), "one [hooked]"));
    c.send(&get("/missing"));
    let r = c.response();
    assert_eq!((r.status, r.header("x-hook")), (404, Some("seen")));
    assert!(r.text().starts_with("Not Found"), "{:?}", r.text());
    c.send(&get("/big?n=10000"));
    let r = c.response();
    assert_eq!((r.header("x-hook"), r.body.len()), (Some("seen"), 10_000));
    assert!(
        r.text().starts_with("abcdefghijklmnopqrstuvwxyz"),
        "{:?}",
        &r.text()[..40]
    );
    c.send(b"HEAD /json HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = c.head_response();
    assert_eq!(r.header("x-hook"), Some("seen"));
    c.send(&get("/"));
    assert_eq!(c.response().text(), "hello");
}

#[test]
fn two_hundred_pipelined_requests_larger_than_the_buffer() {
    // ~8 KB of requests in one write: more than the 4 KB connection buffer.
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    let mut batch = Vec::new();
    for i in 0..200 {
        batch.extend_from_slice(&get(&format!("/one/p{i}")));
    }
    assert!(batch.len() > 4096);
    c.send(&batch);
    for i in 0..200 {
        let r = c.response();
        assert_eq!(r.text(), format!("one [p{i}]"));
    }
}

#[test]
fn unread_bodies_are_skipped_for_the_next_request() {
    // GET routes never read a body; the engine skips it, by length or chunked.
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    let mut batch = b"GET /one/a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nXXXXX".to_vec();
    batch.extend_from_slice(
        b"GET /one/b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nYYY\r\n0\r\n\r\n",
    );
    batch.extend_from_slice(&get("/one/c"));
    c.send(&batch);
    for name in ["a", "b", "c"] {
        let r = c.response();
        assert_eq!((r.status, r.text()), (200, format!("one [{name}]")));
    }
}

#[test]
fn lenient_but_valid_syntax_is_accepted() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    // Bare LF line endings (RFC 9112 §2.2 allows a recipient to accept them).
    c.send(b"GET /one/lf HTTP/1.1\nHost: t\n\n");
    assert_eq!(c.response().text(), "one [lf]");
    // Header names are case-insensitive; values may have extra spaces.
    c.send(b"POST /echo HTTP/1.1\r\nhOST: t\r\ncontent-LENGTH:    3  \r\n\r\nabc");
    assert_eq!(c.response().text(), "abc");
    // An empty body with Content-Length: 0.
    c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    let r = c.response();
    assert_eq!((r.status, r.body.len()), (200, 0));
    // Literal segments compare after percent-decoding.
    c.send(&get("/%6Fne/dec"));
    assert_eq!(c.response().text(), "one [dec]");
    // `Connection: Close` in any case.
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: Close\r\n\r\n");
    assert!(c.response().closes());
    c.assert_closed();
}

#[test]
fn http10_post_with_length() {
    let server = TestServer::standard();
    let r = request_once(server.addr, b"POST /echo HTTP/1.0\r\nContent-Length: 4\r\n\r\nold!");
    assert_eq!((r.status, r.text().as_str()), (200, "old!"));
}
