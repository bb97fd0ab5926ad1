//! `ServerOptions::defer_accept` (on by default) over real TCP: connections
//! start unregistered with the reactor and join it only when they have to
//! wait, so every way a request can arrive or a response can stall is
//! tried; and the same without deferral.
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use common::*;
use ferrodot::rt::tokio::ServerOptions;

fn deferred(max_connections: usize) -> TestServer {
    let options = ServerOptions {
        max_connections,
        ..ServerOptions::default()
    };
    assert!(options.defer_accept, "on by default");
    TestServer::start(|| test_app(normal_config()), options)
}

fn not_deferred(max_connections: usize) -> TestServer {
    let options = ServerOptions {
        max_connections,
        defer_accept: false,
        ..ServerOptions::default()
    };
    TestServer::start(|| test_app(normal_config()), options)
}

#[test]
fn a_connection_that_sends_nothing_takes_no_slot() {
    // One slot. Without deferred accept the silent connection would hold
    // it until its first-byte timeout (5 s); deferred, it waits in the
    // kernel and the next client is served at once.
    let server = deferred(1);
    let mut silent = Conn::open(server.addr);
    let t0 = Instant::now();
    let r = get_once(server.addr, "/one/next");
    assert_eq!((r.status, r.text().as_str()), (200, "one [next]"));
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "the silent connection held the slot: {:?}",
        t0.elapsed()
    );
    // Speaking after the deferral period (a second), it is served too.
    std::thread::sleep(Duration::from_millis(1500));
    silent.send(&get("/one/late"));
    let r = silent.response();
    assert_eq!((r.status, r.text().as_str()), (200, "one [late]"));
}

#[test]
fn without_deferral_a_silent_connection_holds_its_slot() {
    // The counterpart of the test above, so that it proves the option
    // (eviction off: it would close the silent one at once).
    let options = ServerOptions {
        max_connections: 1,
        defer_accept: false,
        evict_idle: false,
        ..ServerOptions::default()
    };
    let server = TestServer::start(|| test_app(fast_config()), options); // first byte within 400 ms
    let _silent = Conn::open(server.addr);
    std::thread::sleep(Duration::from_millis(50));
    let t0 = Instant::now();
    let r = get_once(server.addr, "/one/next");
    assert_eq!(r.status, 200);
    // Served only when the silent one's first-byte timeout ended it.
    assert!(t0.elapsed() >= Duration::from_millis(250), "{:?}", t0.elapsed());
}

#[test]
fn requests_arriving_whole_in_pieces_and_on_keep_alive_are_served() {
    for server in [deferred(8), not_deferred(8)] {
        requests_in_every_shape(&server);
    }
}

fn requests_in_every_shape(server: &TestServer) {
    // Whole: answered before the socket is ever registered.
    let r = get_once(server.addr, "/json");
    assert_eq!(r.status, 200);
    // The client's address is the peer's, as without deferral.
    let mut c = Conn::open(server.addr);
    let local = c.stream.local_addr().unwrap();
    c.send(&get("/peer"));
    assert_eq!(c.response().text(), local.to_string());
    // The rest of the head later: the read that finds nothing registers
    // the socket and waits; the second request, after a pause, too.
    let head = get("/one/split");
    let (first, rest) = head.split_at(9);
    let mut c = Conn::open(server.addr);
    c.send(first);
    std::thread::sleep(Duration::from_millis(150));
    c.send(rest);
    assert_eq!(c.response().text(), "one [split]");
    std::thread::sleep(Duration::from_millis(150));
    c.send(&get("/one/again"));
    assert_eq!(c.response().text(), "one [again]");
    // A body that follows its head later.
    let mut c = Conn::open(server.addr);
    c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n");
    std::thread::sleep(Duration::from_millis(150));
    c.send(b"hello");
    assert_eq!(c.response().text(), "hello");
}

#[test]
fn a_response_bigger_than_the_socket_buffer_reaches_a_slow_reader_whole() {
    // 4 MB cannot be written at once: the write that would block registers
    // the socket and waits for room.
    for server in [deferred(8), not_deferred(8)] {
        big_response_to_a_slow_reader(&server);
    }
}

fn big_response_to_a_slow_reader(server: &TestServer) {
    let n = 4_000_000;
    let mut c = Conn::open(server.addr);
    c.send(&get(&format!("/big?n={n}")));
    std::thread::sleep(Duration::from_millis(300));
    let r = c.response();
    assert_eq!(r.status, 200);
    let body = r.body;
    assert_eq!(body.len(), n);
    assert!(
        body.iter().enumerate().all(|(i, &b)| b == b'a' + (i % 26) as u8),
        "body corrupted"
    );
    // The connection still serves its next request.
    c.send(&get("/one/after"));
    assert_eq!(c.response().text(), "one [after]");
}

async fn boom() -> &'static str {
    panic!("a handler bug (this panic is expected by the test)")
}

async fn fine() -> &'static str {
    "fine"
}

ferrodot::routes! {
    PanicRoutes<()> {
        GET "/boom" => boom,
        GET "/fine" => fine,
    }
}

#[test]
fn a_panicking_handler_ends_its_connection_not_the_server() {
    // Deferred connections are first served inside the accept loop.
    for defer_accept in [true, false] {
        let options = ServerOptions {
            defer_accept,
            ..ServerOptions::default()
        };
        let server = TestServer::start(|| ferrodot::app::App::new((), PanicRoutes), options);
        for _ in 0..3 {
            let mut c = Conn::open(server.addr);
            c.send(&get("/boom"));
            c.assert_closed();
            let r = get_once(server.addr, "/fine");
            assert_eq!(
                (r.status, r.text().as_str()),
                (200, "fine"),
                "defer_accept {defer_accept}"
            );
        }
    }
}
