//! The HTTP client over real TCP on 127.0.0.1: against ferrodot's own
//! server (every method, keep-alive reuse seen from the server's side,
//! chunked bodies, 100-continue, HTTPS with a test CA) and against
//! scripted servers that misbehave on purpose (endless heads, 10,000
//! header fields, oversized chunk sizes, short bodies, stalls, garbage,
//! bytes beyond the declared body). Every wait is bounded by the client's
//! time-out or a socket time-out.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use ferrodot::client::tokio::{Client, ClientOptions, TokioIo};
use ferrodot::client::{BodyLength, Connection, Error, RequestHead};
use ferrodot::Method;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn quick_client() -> Client {
    Client::with_options(ClientOptions {
        timeout: Duration::from_millis(800),
        ..ClientOptions::default()
    })
}

#[test]
fn every_method_against_ferrodot() {
    let server = TestServer::standard();
    let client = quick_client();
    runtime().block_on(async {
        let hello = client.get(&server.url("/")).await.unwrap();
        assert_eq!((hello.status.0, hello.text().as_ref()), (200, "hello"));
        assert_eq!(hello.header("x-hook"), Some("seen"));

        let head = client.request(Method::Head, &server.url("/"), &[], b"").await.unwrap();
        assert_eq!((head.status.0, head.body.len()), (200, 0));
        assert_eq!(
            head.header("content-length"),
            Some("5"),
            "HEAD keeps the GET's length but sends no body"
        );

        let echo = client
            .post(&server.url("/echo"), &[("Content-Type", "text/plain")], b"ping pong")
            .await
            .unwrap();
        assert_eq!(echo.body, b"ping pong");

        let put = client
            .request(Method::Put, &server.url("/item"), &[], &[7u8; 300])
            .await
            .unwrap();
        assert_eq!(put.text(), "put 300");

        let delete = client
            .request(Method::Delete, &server.url("/item"), &[], b"")
            .await
            .unwrap();
        assert_eq!(delete.status.0, 405);
        assert!(delete.header("allow").is_some_and(|a| a.contains("PUT")));

        let json: serde_json::Value = client.get(&server.url("/json")).await.unwrap().json().unwrap();
        assert_eq!(json["n"], 42);

        let query = client.get(&server.url("/one/a%20b?x=1")).await.unwrap();
        assert_eq!(query.text(), "one [a%20b]");
    });
}

#[test]
fn a_chunked_body_larger_than_the_buffer_arrives_whole() {
    let server = TestServer::standard();
    let client = Client::with_options(ClientOptions {
        buffer: 1024,
        ..ClientOptions::default()
    });
    runtime().block_on(async {
        let big = client.get(&server.url("/big?n=100000")).await.unwrap();
        assert_eq!(big.header("transfer-encoding"), Some("chunked"));
        assert_eq!(big.body.len(), 100_000);
        assert!(big.body.iter().enumerate().all(|(i, &b)| b == b'a' + (i % 26) as u8));
    });
}

#[test]
fn keep_alive_reuses_one_connection_as_the_server_sees_it() {
    let server = TestServer::standard();
    let client = quick_client();
    runtime().block_on(async {
        let mut peers = Vec::new();
        for i in 0..5 {
            let reply = client.get(&server.url("/peer")).await.unwrap();
            assert_eq!(reply.reused, i > 0);
            peers.push(reply.text().into_owned());
        }
        // The server saw every request come from the same client port.
        assert!(peers.iter().all(|p| *p == peers[0]), "{peers:?}");
    });
}

#[test]
fn expect_100_continue_sends_the_body_only_after_the_go_ahead() {
    let server = TestServer::standard();
    runtime().block_on(async {
        let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let mut buf = [0u8; 2048];
        let mut conn = Connection::new(TokioIo::new(tcp, Duration::from_secs(2)), &mut buf);
        let host = server.addr.to_string();
        let upload = RequestHead::new(Method::Post, &host, "/echo")
            .body(BodyLength::Length(5))
            .expect_continue();
        let reply = conn.send(&upload, b"12345").await.unwrap();
        assert_eq!(reply.head.status().0, 200);
        assert_eq!(reply.body.collect().await.unwrap(), b"12345");
        assert!(conn.is_reusable());

        // A body the route refuses at once: 413 without a 100, the body
        // is never sent, and the connection is not reused.
        let refused = RequestHead::new(Method::Post, &host, "/small")
            .body(BodyLength::Length(1000))
            .expect_continue();
        let reply = conn.send(&refused, &[b'x'; 1000]).await.unwrap();
        assert_eq!(reply.head.status().0, 413);
        reply.body.discard().await.unwrap();
        assert!(!conn.is_reusable());
    });
}

#[test]
fn chunked_request_bodies_are_framed() {
    let server = TestServer::standard();
    runtime().block_on(async {
        let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let mut buf = [0u8; 2048];
        let mut conn = Connection::new(TokioIo::new(tcp, Duration::from_secs(2)), &mut buf);
        let host = server.addr.to_string();
        let head = RequestHead::new(Method::Post, &host, "/count").body(BodyLength::Chunked);
        let reply = conn.send(&head, &[1u8; 3000]).await.unwrap();
        assert_eq!(reply.body.collect().await.unwrap(), b"3000 3000");
    });
}

// ---------------------------------------------------------------------------
// Scripted servers on 127.0.0.1
// ---------------------------------------------------------------------------

/// A server whose every connection runs `script`; it stops accepting
/// after 20 s (or when the test ends), so its thread ends by itself.
struct Scripted {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

fn scripted(script: fn(TcpStream)) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((stream, _)) => {
                    count.fetch_add(1, Ordering::SeqCst);
                    stream.set_nonblocking(false).unwrap();
                    stream.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                    stream.set_write_timeout(Some(Duration::from_secs(3))).unwrap();
                    std::thread::spawn(move || script(stream));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    Scripted { addr, connections }
}

impl Scripted {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Read one request head (and no body); its request line, or `None` at
/// the end of the connection.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    text.lines().next().map(str::to_string)
}

fn run_and_expect(server: &Scripted, want: fn(&Error) -> bool) {
    let client = quick_client();
    let started = Instant::now();
    let got = runtime().block_on(client.get(&server.url("/")));
    let err = got.expect_err("a misbehaving server must give an error");
    assert!(want(&err), "unexpected error: {err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_endless_head_is_an_error_in_bounded_memory() {
    let server = scripted(|mut s| {
        let _ = read_request(&mut s);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nX-Endless: ");
        let filler = [b'a'; 4096];
        while s.write_all(&filler).is_ok() {}
    });
    run_and_expect(&server, |e| *e == Error::HeadTooLarge);
}

#[test]
fn ten_thousand_header_fields_are_an_error() {
    let server = scripted(|mut s| {
        let _ = read_request(&mut s);
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..10_000 {
            head.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        let _ = s.write_all(&head);
    });
    run_and_expect(&server, |e| matches!(e, Error::TooManyHeaders | Error::HeadTooLarge));
}

#[test]
fn a_chunk_size_of_twenty_hex_digits_is_an_error() {
    let server = scripted(|mut s| {
        let _ = read_request(&mut s);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nx");
        std::thread::sleep(Duration::from_secs(2));
    });
    run_and_expect(&server, |e| matches!(e, Error::BadBody(_)));
}

#[test]
fn a_content_length_not_honoured_is_an_error() {
    let server = scripted(|mut s| {
        let _ = read_request(&mut s);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    });
    run_and_expect(&server, |e| *e == Error::Closed);
}

#[test]
fn a_close_in_the_middle_of_a_chunk_is_an_error() {
    let server = scripted(|mut s| {
        let _ = read_request(&mut s);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nhalf");
    });
    run_and_expect(&server, |e| *e == Error::Closed);
}

#[test]
fn a_server_that_stalls_times_out() {
    let server = scripted(|mut s| {
        let _ = read_request(&mut s);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Le");
        std::thread::sleep(Duration::from_secs(3));
    });
    run_and_expect(&server, |e| *e == Error::TimedOut);
}

#[test]
fn garbage_is_not_a_response() {
    let server = scripted(|mut s| {
        let _ = read_request(&mut s);
        let _ = s.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage garbage\r\n\r\n");
    });
    run_and_expect(&server, |e| matches!(e, Error::BadResponse(_)));
}

#[test]
fn conflicting_lengths_are_an_error() {
    let server = scripted(|mut s| {
        let _ = read_request(&mut s);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhello");
        std::thread::sleep(Duration::from_millis(500));
    });
    run_and_expect(&server, |e| matches!(e, Error::BadBody(_)));
}

#[test]
fn a_body_longer_than_declared_is_an_error_and_the_connection_is_dropped() {
    let server = scripted(|mut s| {
        while read_request(&mut s).is_some() {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad",
            );
        }
    });
    run_and_expect(&server, |e| matches!(e, Error::BadBody(_)));
    // The next request does not reuse the poisoned connection.
    let client = quick_client();
    let rt = runtime();
    let _ = rt.block_on(client.get(&server.url("/")));
    let _ = rt.block_on(client.get(&server.url("/")));
    assert_eq!(server.connections.load(Ordering::SeqCst), 3);
}

#[test]
fn close_delimited_and_http_1_0_responses() {
    let server = scripted(|mut s| {
        if let Some(line) = read_request(&mut s) {
            let _ =
                s.write_all(format!("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nyou asked: {line}").as_bytes());
        }
    });
    let client = quick_client();
    runtime().block_on(async {
        for _ in 0..2 {
            let reply = client.get(&server.url("/x?y=1")).await.unwrap();
            assert_eq!(reply.text(), "you asked: GET /x?y=1 HTTP/1.1");
            assert!(!reply.reused, "a close-delimited body ends the connection");
        }
    });
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn a_kept_connection_the_server_closed_is_replaced_for_a_get() {
    // Answers one request per connection but says nothing about closing.
    let server = scripted(|mut s| {
        if read_request(&mut s).is_some() {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    let client = quick_client();
    runtime().block_on(async {
        for _ in 0..3 {
            assert_eq!(client.get(&server.url("/")).await.unwrap().text(), "ok");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert_eq!(server.connections.load(Ordering::SeqCst), 3);
}

#[test]
fn redirects_are_followed_only_when_asked() {
    let server = scripted(|mut s| {
        while let Some(line) = read_request(&mut s) {
            let reply: &[u8] = if line.starts_with("GET /start ") {
                b"HTTP/1.1 302 Found\r\nLocation: /end\r\nContent-Length: 0\r\n\r\n"
            } else if line.starts_with("POST /form ") {
                b"HTTP/1.1 303 See Other\r\nLocation: /end\r\nContent-Length: 0\r\n\r\n"
            } else if line.starts_with("GET /loop ") {
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n"
            } else if line.starts_with("GET /down ") {
                b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n"
            } else {
                b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\narrived"
            };
            let _ = s.write_all(reply);
        }
    });
    runtime().block_on(async {
        let plain = quick_client();
        assert_eq!(plain.get(&server.url("/start")).await.unwrap().status.0, 302);

        let following = Client::with_options(ClientOptions {
            redirects: 3,
            timeout: Duration::from_secs(1),
            ..ClientOptions::default()
        });
        let end = following.get(&server.url("/start")).await.unwrap();
        assert_eq!((end.status.0, end.text().as_ref()), (200, "arrived"));
        assert!(end.url.ends_with("/end"));
        let after_post = following.post(&server.url("/form"), &[], b"a=1").await.unwrap();
        assert_eq!(after_post.text(), "arrived");
        // The limit ends a loop with its last 3xx.
        assert_eq!(following.get(&server.url("/loop")).await.unwrap().status.0, 307);
    });
}

#[test]
fn connect_errors_are_clear() {
    let port = {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let client = quick_client();
    let got = runtime().block_on(client.get(&format!("http://127.0.0.1:{port}/")));
    assert_eq!(got.unwrap_err(), Error::Connect("connection refused"));
    assert!(matches!(
        runtime().block_on(client.get("ftp://127.0.0.1/")),
        Err(Error::Url(_))
    ));
}

// ---------------------------------------------------------------------------
// HTTPS
// ---------------------------------------------------------------------------

#[cfg(feature = "tls-rustls")]
mod https {
    use super::*;
    use ferrodot::rt::tokio::{ServerOptions, Tls};
    use ferrodot::tls::TlsConfig;

    fn tls_server(cert_name: &str) -> TestServer {
        let config = TlsConfig::load(cert(&format!("{cert_name}.pem")), cert("ec.key"))
            .unwrap()
            .build()
            .unwrap();
        TestServer::start_with(
            || test_app(normal_config()),
            ServerOptions::default(),
            move |server| server.tls(Tls::new(config)),
        )
    }

    fn trusting(ca: &str) -> Client {
        Client::with_options(ClientOptions {
            ca_file: Some(cert(ca).into()),
            timeout: Duration::from_secs(2),
            ..ClientOptions::default()
        })
    }

    #[test]
    fn https_with_the_test_ca_and_keep_alive() {
        let server = tls_server("ec");
        let client = trusting("ca.pem");
        runtime().block_on(async {
            for host in ["localhost", "127.0.0.1"] {
                let url = format!("https://{host}:{}/json", server.addr.port());
                let reply = client.get(&url).await.unwrap();
                assert_eq!(reply.status.0, 200, "{host}");
            }
            let again = client
                .get(&format!("https://127.0.0.1:{}/", server.addr.port()))
                .await
                .unwrap();
            assert!(again.reused);
            assert_eq!(again.text(), "hello");
        });
    }

    #[test]
    fn a_certificate_the_client_cannot_verify_is_an_error() {
        let server = tls_server("ec");
        let url = format!("https://127.0.0.1:{}/", server.addr.port());
        // Mozilla's roots do not know the test CA.
        let got = runtime().block_on(Client::new().get(&url));
        assert_eq!(got.unwrap_err(), Error::Tls("certificate verification failed"));
        // Trusting another CA (the server's own certificate is not a CA).
        let got = runtime().block_on(trusting("rsa.pem").get(&url));
        assert!(matches!(got, Err(Error::Tls(_))), "{got:?}");
    }

    #[test]
    fn a_certificate_for_another_host_name_is_an_error() {
        let server = tls_server("other");
        let url = format!("https://127.0.0.1:{}/", server.addr.port());
        let got = runtime().block_on(trusting("ca.pem").get(&url));
        assert_eq!(
            got.unwrap_err(),
            Error::Tls("the certificate is not valid for this host name")
        );
    }
}
