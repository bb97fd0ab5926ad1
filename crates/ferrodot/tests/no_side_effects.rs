//! A request whose framing is already broken in the bytes that came with
//! its head is refused before its handler runs, so it has no side effect;
//! one whose error shows only later closes the connection.

mod common;

use std::cell::Cell;
use std::time::Duration;

use common::*;
use ferrodot::app::App;
use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;

#[derive(Default)]
struct Counters {
    triggers: Cell<u32>,
    uploads: Cell<u32>,
}

/// Counts, and never reads the body (the camera's `POST /trigger`).
async fn trigger(State(c): State<&Counters>) -> &'static str {
    c.triggers.set(c.triggers.get() + 1);
    "triggered"
}

/// Counts once the whole body is in.
async fn upload(State(c): State<&Counters>, Bytes(body): Bytes<'_>) -> String {
    c.uploads.set(c.uploads.get() + 1);
    format!("{} bytes", body.len())
}

async fn counts(State(c): State<&Counters>) -> String {
    format!("{} {}", c.triggers.get(), c.uploads.get())
}

ferrodot::routes! {
    CountRoutes<Counters> {
        POST "/trigger" .max_body(64) => trigger,
        POST "/upload" .max_body(64) => upload,
        GET "/counts" => counts,
    }
}

fn server() -> TestServer {
    TestServer::start(
        || App::new(Counters::default(), CountRoutes).with_config(normal_config()),
        ServerOptions::default(),
    )
}

fn counts_now(server: &TestServer) -> String {
    get_once(server.addr, "/counts").text()
}

fn chunked(path: &str, body: &str) -> Vec<u8> {
    format!("POST {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{body}").into_bytes()
}

#[test]
fn broken_chunk_framing_in_the_first_packet_runs_no_handler() {
    let server = server();
    let cases: [(&str, u16); 5] = [
        ("zz\r\nhello\r\n0\r\n\r\n", 400),              // not a chunk size
        ("1000000000000000000\r\nx\r\n0\r\n\r\n", 400), // 19 digits
        ("5\r\nhello\r\nzz\r\n", 400),                  // the second size is broken
        ("5\r\nhelloXX0\r\n\r\n", 400),                 // no CRLF after the data
        ("41\r\n", 413),                                // declares 65 B, over the route's 64 B
    ];
    for path in ["/trigger", "/upload"] {
        for (body, status) in cases {
            let mut c = Conn::open(server.addr);
            c.send(&chunked(path, body));
            let r = c.response();
            assert_eq!(r.status, status, "{path} {body:?}: {}", r.text());
            c.assert_closed();
        }
    }
    assert_eq!(counts_now(&server), "0 0", "a refused request ran its handler");
    // Valid chunked bodies still reach both handlers.
    for path in ["/trigger", "/upload"] {
        let mut c = Conn::open(server.addr);
        c.send(&chunked(path, "5\r\nhello\r\n0\r\n\r\n"));
        assert_eq!(c.response().status, 200, "{path}");
    }
    assert_eq!(counts_now(&server), "1 1");
}

#[test]
fn an_error_that_shows_only_later_closes_the_connection() {
    // The head and a valid first chunk arrive; the garbage comes after the
    // handler has started. The handler that reads finds the error (400);
    // the one that does not has answered, and the connection is closed
    // instead of reading the garbage as a next request.
    let server = server();
    let mut c = Conn::open(server.addr);
    c.send(&chunked("/upload", "5\r\nhello\r\n"));
    std::thread::sleep(Duration::from_millis(100));
    c.send(b"zz\r\n");
    assert_eq!(c.response().status, 400);
    c.assert_closed();

    let mut c = Conn::open(server.addr);
    c.send(&chunked("/trigger", "5\r\nhello\r\n"));
    std::thread::sleep(Duration::from_millis(100));
    c.send(b"zz\r\nGET /counts HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.response().text(), "triggered");
    c.assert_closed();
    assert_eq!(counts_now(&server), "1 0");
}
