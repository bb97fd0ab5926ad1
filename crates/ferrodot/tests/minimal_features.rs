//! The minimal feature set over real TCP: built without `chunked-requests`
//! and `json-errors`, a chunked request body is refused with 501 before its
//! handler runs (RFC 9112 §6.1) and the connection closes, while requests
//! with `Content-Length` are served as before, on the same server.
//!
//! Run by `.ci/run` as
//! `cargo test -p ferrodot --no-default-features --features tokio,json --test minimal_features`;
//! with the default features this file is empty.
#![cfg(not(any(feature = "chunked-requests", feature = "json-errors")))]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;

/// How many times the handler ran, per server.
struct Calls(AtomicU32);

async fn store(State(calls): State<&Calls>, Bytes(body): Bytes<'_>) -> String {
    calls.0.fetch_add(1, Ordering::SeqCst);
    format!("stored {}", body.len())
}

async fn calls(State(calls): State<&Calls>) -> String {
    calls.0.load(Ordering::SeqCst).to_string()
}

ferrodot::routes! { Store<Calls> { POST "/store" => store, GET "/calls" => calls } }

fn server() -> TestServer {
    TestServer::start(
        || App::new(Calls(AtomicU32::new(0)), Store).with_config(normal_config()),
        ServerOptions::default(),
    )
}

fn calls_so_far(server: &TestServer) -> String {
    let mut c = Conn::open(server.addr);
    c.send(b"GET /calls HTTP/1.1\r\nHost: t\r\n\r\n");
    c.response().text()
}

#[test]
fn a_chunked_body_is_501_and_the_handler_never_runs() {
    let server = server();
    let r = assert_refused(
        server.addr,
        b"POST /store HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        501,
    );
    assert!(r.text().starts_with("Not Implemented"), "{:?}", r.text());
    assert!(
        r.text().contains("Content-Length"),
        "the error says what to send: {:?}",
        r.text()
    );
    assert!(r.closes(), "the unread body cannot be skipped: {r:?}");
    assert_eq!(calls_so_far(&server), "0", "no side effect");
}

#[test]
fn content_length_bodies_are_still_served_keep_alive() {
    let server = server();
    let mut c = Conn::open(server.addr);
    for _ in 0..2 {
        c.send(b"POST /store HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
        let r = c.response();
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.text(), "stored 5");
        assert!(!r.closes(), "{r:?}");
    }
}

#[test]
fn errors_are_plain_text_without_json_errors() {
    let server = server();
    let mut c = Conn::open(server.addr);
    c.send(b"GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = c.response();
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(r.text().starts_with("Not Found"), "{:?}", r.text());
}
