//! HTTPS as real clients see it: curl with `--cacert` (no `-k`), openssl
//! s_client forcing TLS 1.2 and 1.3 with ALPN, and hostile clients (plain
//! HTTP on the TLS port, garbage, oversized and truncated ClientHellos,
//! stalled and silent connections). Certificates are made at test time by
//! `tests/tls/make-certs.sh` (openssl); everything targets 127.0.0.1 and
//! every wait is bounded.
#![cfg(feature = "tls-rustls")]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ferrodot::rt::tokio::{ServerOptions, Tls};
use ferrodot::tls::TlsConfig;

/// The standard test app over HTTPS with the `name` certificate (`ec`,
/// `rsa`, `ed25519`) and a 1 s handshake time-out.
fn tls_server(name: &str, options: ServerOptions) -> TestServer {
    let config = TlsConfig::load(cert(&format!("{name}.pem")), cert(&format!("{name}.key")))
        .expect("load the test certificate")
        .build()
        .expect("rustls config");
    let tls = Tls::new(config).handshake_timeout(Duration::from_secs(1));
    TestServer::start_with(|| test_app(normal_config()), options, move |server| server.tls(tls))
}

fn https(server: &TestServer, path: &str) -> String {
    format!("https://localhost:{}{path}", server.addr.port())
}

/// curl trusting only the test CA, resolving localhost to 127.0.0.1.
fn curl_tls(server: &TestServer, args: &[&str]) -> Output {
    let resolve = format!("localhost:{}:127.0.0.1", server.addr.port());
    let ca = cert("ca.pem");
    let mut all = vec!["--cacert", ca.as_str(), "--resolve", resolve.as_str()];
    all.extend_from_slice(args);
    curl(&all)
}

fn curl_tls_resp(server: &TestServer, args: &[&str]) -> Resp {
    let mut all = vec!["--include"];
    all.extend_from_slice(args);
    let out = curl_tls(server, &all);
    assert!(
        out.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_curl_include(&out.stdout)
}

#[test]
fn curl_get_post_and_keep_alive_with_each_key_type() {
    for name in ["ec", "rsa", "ed25519"] {
        let server = tls_server(name, ServerOptions::default());
        let r = curl_tls_resp(&server, &[&https(&server, "/json")]);
        assert_eq!((r.status, r.text().as_str()), (200, "{\"ok\":true,\"n\":42}"), "{name}");
        let r = curl_tls_resp(&server, &["--data-binary", "over TLS", &https(&server, "/echo")]);
        assert_eq!((r.status, r.text().as_str()), (200, "over TLS"), "{name}");
        // Keep-alive: ten requests, one connection, one handshake.
        let url = https(&server, "/");
        let mut args = vec!["--verbose", "--write-out", "\\n"];
        args.extend(std::iter::repeat_n(url.as_str(), 10));
        let out = curl_tls(&server, &args);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.matches("Re-using existing connection").count(),
            9,
            "{name}: {stderr}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).matches("hello").count(),
            10,
            "{name}"
        );
        assert!(
            stderr.contains("ALPN") && stderr.contains("http/1.1"),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn curl_without_the_ca_refuses_the_certificate() {
    let server = tls_server("ec", ServerOptions::default());
    let out = curl(&[&format!("https://127.0.0.1:{}/", server.addr.port())]);
    assert!(!out.status.success(), "curl accepted a certificate it cannot verify");
    // The server goes on serving.
    let r = curl_tls_resp(&server, &[&https(&server, "/")]);
    assert_eq!(r.status, 200);
}

#[test]
fn a_certificate_chain_file_is_sent_whole() {
    let config = TlsConfig::load(cert("chain.pem"), cert("ec.key"))
        .unwrap()
        .build()
        .unwrap();
    let server = TestServer::start_with(
        || test_app(normal_config()),
        ServerOptions::default(),
        move |s| s.tls(config),
    );
    let out = s_client(
        &server,
        &["-tls1_3", "-showcerts"],
        b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("-----BEGIN CERTIFICATE-----").count(), 2, "{text}");
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
}

/// Run `openssl s_client` against the server with `input` on its stdin,
/// for at most 15 s.
fn s_client(server: &TestServer, args: &[&str], input: &[u8]) -> Output {
    let mut all = vec!["-servername", "localhost", "-verify_return_error"];
    all.extend_from_slice(args);
    s_client_raw(server, &all, input)
}

/// [`s_client`] without its default server name and verification.
fn s_client_raw(server: &TestServer, args: &[&str], input: &[u8]) -> Output {
    let connect = format!("127.0.0.1:{}", server.addr.port());
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &connect, "-CAfile", &cert("ca.pem"), "-ign_eof"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl must be installed to run these tests");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn openssl_s_client_tls12_and_tls13_with_alpn() {
    for name in ["ec", "rsa"] {
        let server = tls_server(name, ServerOptions::default());
        for (flag, version) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
            let out = s_client(
                &server,
                &[flag, "-alpn", "http/1.1"],
                b"GET /json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{name} {flag}: {text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                text.contains(&format!("Protocol  : {version}")) || text.contains(&format!("New, {version}")),
                "{name} {flag}: {text}"
            );
            assert!(text.contains("ALPN protocol: http/1.1"), "{name} {flag}: {text}");
            assert!(text.contains("Verify return code: 0 (ok)"), "{name} {flag}: {text}");
            assert!(
                text.contains("HTTP/1.1 200 OK") && text.contains("{\"ok\":true,\"n\":42}"),
                "{name} {flag}: {text}"
            );
        }
    }
}

/// Send `bytes` on a fresh connection; what the server answers before it
/// closes, and whether it closed within `limit`.
fn send_raw(server: &TestServer, bytes: &[u8], limit: Duration) -> (Vec<u8>, bool) {
    let mut conn = TcpStream::connect(server.addr).unwrap();
    conn.set_read_timeout(Some(limit)).unwrap();
    let _ = conn.write_all(bytes);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let started = Instant::now();
    loop {
        match conn.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            // A reset is a close too.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (got, true),
            Err(_) => return (got, false),
        }
        if started.elapsed() > limit {
            return (got, false);
        }
    }
}

#[test]
fn plain_http_on_the_tls_port_is_answered_400_like_nginx() {
    let server = tls_server("ec", ServerOptions::default());
    let (answer, closed) = send_raw(
        &server,
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        Duration::from_secs(5),
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(closed, "not closed: {text}");
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(text.ends_with("plain HTTP request sent to the HTTPS port\n"), "{text}");
    // curl sees it too; then HTTPS is served as before.
    let r = curl_resp(&[&format!("http://127.0.0.1:{}/", server.addr.port())]);
    assert_eq!(r.status, 400);
    assert_eq!(curl_tls_resp(&server, &[&https(&server, "/")]).status, 200);
}

/// A real ClientHello, as openssl sends it (captured from the wire).
fn client_hello() -> Vec<u8> {
    use std::net::TcpListener;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
            "-tls1_3",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut hello = vec![0u8; 5];
    conn.read_exact(&mut hello).unwrap();
    let len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
    hello.resize(5 + len, 0);
    conn.read_exact(&mut hello[5..]).unwrap();
    drop(conn);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(hello[0], 0x16);
    hello
}

#[test]
fn garbage_oversized_and_truncated_client_hellos_are_closed() {
    let server = tls_server("ec", ServerOptions::default());
    let hello = client_hello();
    let mut corrupted = hello.clone();
    for b in corrupted.iter_mut().skip(9).step_by(3) {
        *b ^= 0x5a;
    }
    let cases: Vec<(&str, Vec<u8>, Duration)> = vec![
        ("not TLS at all", vec![0u8, 1, 2, 3, 0xff, 0xfe], Duration::from_secs(1)),
        ("lower-case text", b"hello there\r\n".to_vec(), Duration::from_secs(1)),
        ("a corrupted ClientHello", corrupted, Duration::from_secs(2)),
        // A record longer than TLS allows (2^14 + 2048).
        (
            "an oversized record",
            [&[0x16, 0x03, 0x01, 0xff, 0xff][..], &[0u8; 20_000][..]].concat(),
            Duration::from_secs(2),
        ),
        // A handshake message that claims 16 MiB.
        (
            "an oversized handshake message",
            vec![0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff],
            Duration::from_secs(3),
        ),
        // Half a ClientHello, then nothing: the 1 s handshake time-out.
        (
            "a truncated ClientHello",
            hello[..hello.len() / 2].to_vec(),
            Duration::from_secs(4),
        ),
    ];
    for (what, bytes, limit) in cases {
        let started = Instant::now();
        let (_, closed) = send_raw(&server, &bytes, limit);
        assert!(closed, "{what}: still open after {:?}", started.elapsed());
        // Served throughout.
        assert_eq!(
            curl_tls_resp(&server, &[&https(&server, "/")]).status,
            200,
            "after {what}"
        );
    }
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn two_hundred_silent_connections_do_not_lock_out_clients() {
    // Not deferred: every silent connection really reaches the server.
    let options = ServerOptions {
        defer_accept: false,
        max_connections: 16,
        ..ServerOptions::default()
    };
    let server = tls_server("ec", options);
    assert_eq!(curl_tls_resp(&server, &[&https(&server, "/")]).status, 200);
    let before = rss_kib();
    let silent: Vec<TcpStream> = (0..200).map(|_| TcpStream::connect(server.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    // More silent connections than connection slots, yet clients are served
    // at once, and with a stalled handshake among them.
    let stalled = TcpStream::connect(server.addr).unwrap();
    (&stalled).write_all(&[0x16, 0x03, 0x01]).unwrap();
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(curl_tls_resp(&server, &[&https(&server, "/json")]).status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a client waited {:?}",
            started.elapsed()
        );
    }
    let grown = rss_kib().saturating_sub(before);
    eprintln!("RSS for 200 connections waiting for a ClientHello: {grown} KiB");
    assert!(grown < 8 * 1024, "200 silent connections cost {grown} KiB");
    // All of them are closed by the 1 s handshake time-out.
    for (i, mut conn) in silent.into_iter().chain([stalled]).enumerate() {
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 16];
        match conn.read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("connection {i} not closed by the handshake time-out: {other:?}"),
        }
    }
    assert_eq!(curl_tls_resp(&server, &[&https(&server, "/")]).status, 200);
}

#[test]
fn shutdown_ends_connections_waiting_for_a_handshake() {
    let mut server = tls_server(
        "ec",
        ServerOptions {
            defer_accept: false,
            ..ServerOptions::default()
        },
    );
    let _silent: Vec<TcpStream> = (0..10).map(|_| TcpStream::connect(server.addr).unwrap()).collect();
    assert_eq!(curl_tls_resp(&server, &[&https(&server, "/")]).status, 200);
    let started = Instant::now();
    server.join(Duration::from_secs(10)).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        started.elapsed()
    );
}

#[test]
fn the_certificate_is_chosen_by_sni() {
    let rsa = ferrodot::tls::Identity::load(cert("rsa.pem"), cert("rsa.key")).unwrap();
    let ec = ferrodot::tls::Identity::load(cert("ec.pem"), cert("ec.key")).unwrap();
    let config = TlsConfig::new(rsa).sni("LocalHost", ec).unwrap().build().unwrap();
    let server = TestServer::start_with(
        || test_app(normal_config()),
        ServerOptions::default(),
        move |s| s.tls(config),
    );
    let request = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let by_name = s_client_raw(&server, &["-servername", "localhost"], request);
    let text = String::from_utf8_lossy(&by_name.stdout);
    assert!(
        text.contains("Server public key is 256 bit") && text.contains("HTTP/1.1 200 OK"),
        "{text}"
    );
    let no_name = s_client_raw(&server, &["-noservername"], request);
    let text = String::from_utf8_lossy(&no_name.stdout);
    assert!(
        text.contains("Server public key is 2048 bit") && text.contains("HTTP/1.1 200 OK"),
        "{text}"
    );
}

#[test]
fn an_idle_tls_connection_makes_room_for_a_new_one() {
    // One slot, held by an s_client whose keep-alive connection has made a
    // request and waits. A new HTTPS client takes the slot at once (the
    // idle one is closed to make room), long before the 5 s idle time-out.
    let options = ServerOptions {
        max_connections: 1,
        ..ServerOptions::default()
    };
    let server = tls_server("ec", options);
    let connect = format!("127.0.0.1:{}", server.addr.port());
    let mut idle = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &connect,
            "-CAfile",
            &cert("ca.pem"),
            "-servername",
            "localhost",
            "-ign_eof",
            "-quiet",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl must be installed to run these tests");
    let mut stdin = idle.stdin.take().unwrap();
    stdin
        .write_all(b"GET /one/first HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut stdout = idle.stdout.take().unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !String::from_utf8_lossy(&got).contains("one [first]") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "s_client ended early: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    let t0 = Instant::now();
    let r = curl_tls_resp(&server, &[&https(&server, "/one/second")]);
    assert_eq!((r.status, r.text().as_str()), (200, "one [second]"));
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "the new client waited {:?}",
        t0.elapsed()
    );
    // The idle connection was closed: s_client sees the end and exits.
    let deadline = Instant::now() + Duration::from_secs(5);
    while idle.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let ended = idle.try_wait().unwrap().is_some();
    let _ = idle.kill();
    let _ = idle.wait();
    drop(stdin);
    assert!(ended, "the idle TLS connection was not closed");
}
