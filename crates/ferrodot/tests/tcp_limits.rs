//! Every limit of the engine answered over real TCP with its status code
//! (400, 408, 411, 413, 414, 431, 501, 505), and slow clients that must
//! not stop anyone else from being served.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn malformed_requests_are_400() {
    let server = TestServer::standard();
    let cases: &[&[u8]] = &[
        b"GARBAGE\r\n\r\n",
        b"GET / HTTX/1.1\r\nHost: t\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",                             // no Host in HTTP/1.1
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",       // two Hosts
        b"GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n", // space in a field name
        b"GET nothing HTTP/1.1\r\nHost: t\r\n\r\n",            // not a path
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        // request smuggling: both framings
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ];
    for raw in cases {
        let r = assert_refused(server.addr, raw, 400);
        assert!(r.text().starts_with("Bad Request"), "{:?}", r.text());
    }
}

#[test]
fn malformed_chunked_body_is_400() {
    let server = TestServer::standard();
    let r = assert_refused(
        server.addr,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        400,
    );
    assert!(r.text().starts_with("Bad Request"), "{:?}", r.text());
}

#[test]
fn slow_head_is_408() {
    let server = TestServer::fast_timeouts(); // head_ms = 400
    let mut c = Conn::open(server.addr);
    let t0 = Instant::now();
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\n"); // never finished
    let r = c.response();
    assert_eq!(r.status, 408, "{r:?}");
    assert!(r.text().starts_with("Request Timeout"), "{:?}", r.text());
    assert!(r.closes());
    assert!(
        t0.elapsed() >= Duration::from_millis(350),
        "408 came before the deadline: {:?}",
        t0.elapsed()
    );
    c.assert_closed();
}

#[test]
fn trickled_head_that_outlasts_the_head_deadline_is_408() {
    // Slowloris: a byte every 100 ms keeps the socket busy, but the head
    // deadline runs from the first byte, so it still ends.
    let server = TestServer::fast_timeouts();
    let mut c = Conn::open(server.addr);
    let head = b"GET /one/x HTTP/1.1\r\nHost: t\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let t0 = Instant::now();
    let mut refused = false;
    for &b in head.iter() {
        if c.try_send(&[b]).is_err() {
            refused = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if t0.elapsed() > Duration::from_millis(3000) {
            break;
        }
    }
    // The head deadline (400 ms) is not re-armed by each byte: the server
    // answered and closed while the client was still trickling.
    assert!(refused, "the trickling client was never cut off");
    let r = c.response();
    assert_eq!(r.status, 408, "{r:?}");
}

#[test]
fn slow_body_is_408() {
    let server = TestServer::fast_timeouts(); // body_ms = 400
    let mut c = Conn::open(server.addr);
    c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    let r = c.response();
    assert_eq!(r.status, 408, "{r:?}");
    assert!(r.closes());
    c.assert_closed();
}

#[test]
fn silent_connection_is_closed_without_a_response() {
    // No byte ever sent: after first_byte_ms the server just closes (a 408
    // would be an answer to a request nobody made).
    let server = TestServer::fast_timeouts();
    let mut c = Conn::open(server.addr);
    let t0 = Instant::now();
    c.assert_closed();
    assert!(
        t0.elapsed() >= Duration::from_millis(350),
        "closed too early: {:?}",
        t0.elapsed()
    );
}

#[test]
fn idle_keep_alive_connection_is_closed_without_a_response() {
    let server = TestServer::fast_timeouts(); // idle_ms = 400
    let mut c = Conn::open(server.addr);
    c.send(&get("/"));
    assert_eq!(c.response().status, 200);
    let t0 = Instant::now();
    c.assert_closed();
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "closed too early: {:?}",
        t0.elapsed()
    );
}

#[test]
fn after_a_stalled_write_the_idle_timeout_is_the_short_one() {
    // The write deadline (5 s) is armed while a slow reader lets the
    // response stall; the idle deadline after it (400 ms) comes earlier and
    // must move the timer back, not wait for the write deadline.
    let server = TestServer::fast_timeouts();
    let mut c = Conn::open(server.addr);
    c.send(&get("/big?n=4000000"));
    std::thread::sleep(Duration::from_millis(300));
    let r = c.response();
    assert_eq!((r.status, r.body.len()), (200, 4_000_000));
    let t0 = Instant::now();
    assert!(c.closed_within(Duration::from_millis(2500)), "not closed");
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "closed too early: {:?}",
        t0.elapsed()
    );
}

#[test]
fn missing_length_is_411() {
    let server = TestServer::standard();
    let r = request_once(server.addr, b"PUT /len HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status, 411);
    assert_eq!(r.text(), "Length Required: Content-Length required\n");
    // With a length (or chunked framing) the same route is fine.
    let r = request_once(
        server.addr,
        b"PUT /len HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok",
    );
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    let r = request_once(
        server.addr,
        b"PUT /len HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    );
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
}

#[test]
fn missing_length_411_keeps_the_connection() {
    // A 411 to a request with no body leaves the stream in step; the
    // client may go on.
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(b"PUT /len HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = c.response();
    assert_eq!(r.status, 411);
    if !r.closes() {
        c.send(&get("/"));
        assert_eq!(c.response().text(), "hello");
    }
}

#[test]
fn body_over_the_route_limit_is_413() {
    let server = TestServer::standard();
    // Declared too large: refused before any body byte is read.
    let mut req = b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n".to_vec();
    req.extend_from_slice(&[b'x'; 17]);
    let r = assert_refused(server.addr, &req, 413);
    assert!(r.text().starts_with("Content Too Large"), "{:?}", r.text());
    // Exactly the limit is fine.
    let mut req = b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 16\r\nConnection: close\r\n\r\n".to_vec();
    req.extend_from_slice(&[b'y'; 16]);
    assert_eq!(request_once(server.addr, &req).status, 200);
    // Chunked: found too large while reading.
    let r = assert_refused(
        server.addr,
        b"POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nX\r\n0\r\n\r\n",
        413,
    );
    assert!(r.text().starts_with("Content Too Large"), "{:?}", r.text());
    // The app-wide limit (2048 in the test config).
    let mut req = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3000\r\n\r\n".to_vec();
    req.extend_from_slice(&[b'z'; 3000]);
    assert_refused(server.addr, &req, 413);
}

#[test]
fn huge_declared_body_is_413_without_reading_it() {
    let server = TestServer::standard();
    let r = assert_refused(
        server.addr,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999\r\n\r\nsome",
        413,
    );
    assert!(r.text().contains("too large"), "{:?}", r.text());
}

#[test]
fn long_request_target_is_414() {
    let server = TestServer::standard();
    let target = format!("/one/{}", "a".repeat(1100));
    let r = assert_refused(
        server.addr,
        format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes(),
        414,
    );
    assert!(r.text().starts_with("URI Too Long"), "{:?}", r.text());
    // The same without the end of the line in sight (still being sent).
    let r = assert_refused(server.addr, format!("GET /{}", "b".repeat(1500)).as_bytes(), 414);
    assert!(r.text().starts_with("URI Too Long"), "{:?}", r.text());
}

#[test]
fn too_many_headers_is_431() {
    let server = TestServer::standard();
    let mut req = String::from("GET / HTTP/1.1\r\nHost: t\r\n");
    for i in 0..30 {
        req.push_str(&format!("X-H{i}: v\r\n"));
    }
    req.push_str("\r\n");
    let r = assert_refused(server.addr, req.as_bytes(), 431);
    assert!(
        r.text().starts_with("Request Header Fields Too Large"),
        "{:?}",
        r.text()
    );
    // 23 headers besides Host is within the default 24.
    let mut req = String::from("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
    for i in 0..22 {
        req.push_str(&format!("X-H{i}: v\r\n"));
    }
    req.push_str("\r\n");
    assert_eq!(request_once(server.addr, req.as_bytes()).status, 200);
}

#[test]
fn too_large_head_is_431() {
    let server = TestServer::standard();
    // One header of 3000 bytes: the head is over max_head (2048).
    let req = format!("GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n", "v".repeat(3000));
    let r = assert_refused(server.addr, req.as_bytes(), 431);
    assert!(
        r.text().starts_with("Request Header Fields Too Large"),
        "{:?}",
        r.text()
    );
    // Many medium headers adding up to more than max_head.
    let mut req = String::from("GET / HTTP/1.1\r\nHost: t\r\n");
    for i in 0..10 {
        req.push_str(&format!("X-M{i}: {}\r\n", "m".repeat(250)));
    }
    req.push_str("\r\n");
    assert_refused(server.addr, req.as_bytes(), 431);
}

#[test]
fn unknown_transfer_coding_is_501() {
    let server = TestServer::standard();
    let r = assert_refused(
        server.addr,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
        501,
    );
    assert!(r.text().starts_with("Not Implemented"), "{:?}", r.text());
    assert_refused(
        server.addr,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        501,
    );
}

#[test]
fn unknown_method_is_501() {
    let server = TestServer::standard();
    let r = assert_refused(server.addr, b"BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501);
    assert_eq!(r.text(), "Not Implemented: method not implemented\n");
}

#[test]
fn http2_request_line_is_505() {
    let server = TestServer::standard();
    let r = assert_refused(server.addr, b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505);
    assert!(r.text().starts_with("HTTP Version Not Supported"), "{:?}", r.text());
    assert_refused(server.addr, b"GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505);
}

#[test]
fn http_1_2_is_served_as_http_1_1() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(b"POST /echo HTTP/1.2\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "abc"));
    // Without a Host header it is refused as an HTTP/1.1 request would be.
    assert_refused(server.addr, b"GET / HTTP/1.2\r\n\r\n", 400);
}

#[test]
fn unsupported_expectation_is_417() {
    let server = TestServer::standard();
    assert_refused(
        server.addr,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx",
        417,
    );
}

#[test]
fn slow_client_does_not_block_other_clients() {
    let server = TestServer::standard(); // head_ms = 5 s
    let addr = server.addr;
    let (half_sent_tx, half_sent_rx) = mpsc::channel::<()>();
    let (go_on_tx, go_on_rx) = mpsc::channel::<()>();
    let slow = std::thread::spawn(move || {
        let mut c = Conn::open(addr);
        let head = b"GET /one/slowpoke HTTP/1.1\r\nHost: t\r\n\r\n";
        let (first, rest) = head.split_at(20);
        for &b in first {
            c.send(&[b]);
            std::thread::sleep(Duration::from_millis(20));
        }
        half_sent_tx.send(()).unwrap();
        // Hold the partial head until the other clients are done.
        go_on_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        for &b in rest {
            c.send(&[b]);
            std::thread::sleep(Duration::from_millis(5));
        }
        c.response()
    });
    half_sent_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("slow client started");
    // While the slow client sits on a partial head, others are served.
    let t0 = Instant::now();
    let mut c = Conn::open(addr);
    for i in 0..50 {
        c.send(&get(&format!("/one/fast{i}")));
        assert_eq!(c.response().text(), format!("one [fast{i}]"));
    }
    for i in 0..10 {
        assert_eq!(get_once(addr, &format!("/one/new{i}")).status, 200);
    }
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "others were held up: {:?}",
        t0.elapsed()
    );
    go_on_tx.send(()).unwrap();
    let r = slow.join().expect("slow client thread");
    assert_eq!((r.status, r.text().as_str()), (200, "one [slowpoke]"));
}

#[test]
fn many_stalled_clients_do_not_block_a_fresh_one() {
    let server = TestServer::standard();
    // Ten connections with a partial head each, all stalled at once.
    let mut stalled: Vec<Conn> = (0..10).map(|_| Conn::open(server.addr)).collect();
    for c in &mut stalled {
        c.send(b"GET / HTTP/1.1\r\nHo");
    }
    let t0 = Instant::now();
    let r = get_once(server.addr, "/one/fresh");
    assert_eq!((r.status, r.text().as_str()), (200, "one [fresh]"));
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    // Then every stalled one finishes and is served.
    for c in &mut stalled {
        c.send(b"st: t\r\n\r\n");
        assert_eq!(c.response().text(), "hello");
    }
}

#[test]
fn expect_100_continue_with_a_body_too_large_gets_413_not_100() {
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    c.send(b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n");
    // Read the first head raw: it must be the 413, with no 100 before it.
    let mut got = Vec::new();
    let mut chunk = [0u8; 512];
    while find(&got, b"\r\n\r\n").is_none() {
        let n = std::io::Read::read(&mut c.stream, &mut chunk).expect("a response");
        assert!(n > 0, "closed without a response");
        got.extend_from_slice(&chunk[..n]);
    }
    assert!(got.starts_with(b"HTTP/1.1 413 "), "{:?}", String::from_utf8_lossy(&got));
}
