//! `'static` bodies larger than the response buffer (the asset table's
//! bytes) over real TCP on 127.0.0.1, where the tokio runtime sends them
//! with `sendfile` from a file holding a copy (Linux), and through
//! transports without that (the in-memory `TestClient`, TLS): every byte
//! checked, several requests per connection, HEAD, `Range`, 304.

mod common;

use common::*;
use ferrodot::assets::{self, Asset, Assets, Variant};
use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;
use ferrodot::testing::TestClient;

const LEN: usize = 200_000;

/// Pseudo-random bytes (an LCG), so a misplaced or repeated block shows.
const fn noise<const N: usize>(seed: u64) -> [u8; N] {
    let mut out = [0u8; N];
    let mut x = seed;
    let mut i = 0;
    while i < N {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        out[i] = (x >> 56) as u8;
        i += 1;
    }
    out
}

static BIG: [u8; LEN] = noise(7);
static BIG_GZ: [u8; LEN / 2 + 3] = noise(11);

static ASSETS: Assets = Assets::new(&[Asset {
    path: "big.bin",
    mime: "application/octet-stream",
    fingerprinted: false,
    identity: Some(Variant {
        bytes: &BIG,
        etag: "\"big\"",
    }),
    gzip: Some(Variant {
        bytes: &BIG_GZ,
        etag: "\"big-gz\"",
    }),
    modified: None,
}]);

fn app() -> App<(), assets::Mount> {
    App::new((), assets::serve("/static/:path*", &ASSETS))
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n").into_bytes()
}

/// Asserts `body` is `want`, naming the first differing byte.
fn assert_bytes(body: &[u8], want: &[u8], what: &str) {
    assert_eq!(body.len(), want.len(), "{what}: length");
    if let Some(at) = body.iter().zip(want).position(|(a, b)| a != b) {
        panic!("{what}: first difference at byte {at}");
    }
}

/// The requests of one keep-alive connection: full bodies of both copies
/// (twice each), HEAD, a range inside the body, the body's last byte, a
/// 304, and a full body again after them.
fn exchange(server: &TestServer) {
    let mut conn = Conn::open(server.addr);
    for round in 0..2 {
        conn.send(&get("/static/big.bin", ""));
        let r = conn.response();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-length"), Some("200000"));
        assert!(!r.closes());
        assert_bytes(&r.body, &BIG, &format!("identity, round {round}"));

        conn.send(&get("/static/big.bin", "Accept-Encoding: gzip\r\n"));
        let r = conn.response();
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_bytes(&r.body, &BIG_GZ, &format!("gzip, round {round}"));
    }

    conn.send(b"HEAD /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = conn.head_response();
    assert_eq!((r.status, r.header("content-length")), (200, Some("200000")));
    assert!(r.body.is_empty());

    conn.send(&get("/static/big.bin", "Range: bytes=1000-150999\r\n"));
    let r = conn.response();
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range"), Some("bytes 1000-150999/200000"));
    assert_bytes(&r.body, &BIG[1000..151_000], "range");

    conn.send(&get("/static/big.bin", "Range: bytes=-1\r\n"));
    let r = conn.response();
    assert_eq!(r.status, 206);
    assert_bytes(&r.body, &BIG[LEN - 1..], "last byte");

    conn.send(&get("/static/big.bin", "If-None-Match: \"big\"\r\n"));
    let r = conn.response();
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());

    // Pipelined: both requests in one write, answers back to back.
    let mut two = get("/static/big.bin", "");
    two.extend_from_slice(&get("/static/big.bin", "Range: bytes=70000-\r\n"));
    conn.send(&two);
    assert_bytes(&conn.response().body, &BIG, "pipelined, first");
    assert_bytes(&conn.response().body, &BIG[70_000..], "pipelined, second");
}

#[test]
fn static_bodies_over_tcp_with_small_default_and_large_buffers() {
    // 512: the head alone fills much of it; 4096: the default; 256 KiB:
    // the body fits the buffer and goes with the head, as any other.
    for tx_buffer in [512, 4096, 256 * 1024] {
        let options = ServerOptions {
            tx_buffer,
            ..ServerOptions::default()
        };
        let server = TestServer::start(app, options);
        exchange(&server);
        // Several connections at once, each with its own requests.
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| exchange(&server));
            }
        });
    }
}

/// On Linux the server (in this process) keeps a read-only file (or a
/// memfd) with the body's bytes: zero copy is really in use, and the file
/// holds exactly the body.
#[cfg(target_os = "linux")]
#[test]
fn the_body_is_sent_from_a_read_only_copy() {
    let server = TestServer::start(app, ServerOptions::default());
    let mut conn = Conn::open(server.addr);
    conn.send(&get("/static/big.bin", ""));
    assert_bytes(&conn.response().body, &BIG, "identity");
    let mut found = false;
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.to_string_lossy().into_owned();
        let ours = target.starts_with("/memfd:ferrodot-static") || target.contains("/#");
        if !ours || !target.ends_with("(deleted)") {
            continue;
        }
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        if bytes != BIG {
            continue;
        }
        found = true;
        let fd = entry.file_name().to_string_lossy().into_owned();
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
        if target.starts_with("/memfd:") {
            // F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
            assert!(
                info.contains("seals:\t0x0000000f") || info.contains("seals:\t15"),
                "{info}"
            );
        } else {
            let flags = info
                .lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .map(|f| u32::from_str_radix(f.trim(), 8).unwrap())
                .unwrap();
            assert_eq!(flags & 3, 0, "the copy's descriptor must be read-only: {info}");
        }
    }
    assert!(found, "no file holding the body: the body was copied into the socket");
}

/// The in-memory test transport has no `poll_write_static`: the default
/// (a plain write) delivers the same bytes.
#[test]
fn the_fallback_delivers_the_same_bytes() {
    let app = app();
    let client = TestClient::new(&app);
    assert_bytes(&client.get("/static/big.bin").body, &BIG, "identity");
    let r = client
        .request(Method::Get, "/static/big.bin")
        .header("Accept-Encoding", "gzip")
        .send();
    assert_bytes(&r.body, &BIG_GZ, "gzip");
    let r = client
        .request(Method::Get, "/static/big.bin")
        .header("Range", "bytes=1000-150999")
        .send();
    assert_bytes(&r.body, &BIG[1000..151_000], "range");
    let r = client.head("/static/big.bin");
    assert_eq!(r.header("content-length"), Some("200000"));
    assert!(r.body.is_empty());
}

/// TLS cannot hand the kernel file pages: its transport writes the bytes
/// through rustls (two requests on one connection, curl).
#[cfg(feature = "tls-rustls")]
#[test]
fn tls_falls_back_to_copying() {
    use ferrodot::tls::TlsConfig;
    let config = TlsConfig::load(cert("ec.pem"), cert("ec.key"))
        .unwrap()
        .build()
        .unwrap();
    let server = TestServer::start_with(app, ServerOptions::default(), move |s| s.tls(config));
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zero-copy-tls");
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.bin"), dir.join("b.bin"));
    let url = format!("https://localhost:{}/static/big.bin", server.addr.port());
    let resolve = format!("localhost:{}:127.0.0.1", server.addr.port());
    let ca = cert("ca.pem");
    let out = curl(&[
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        "-o",
        a.to_str().unwrap(),
        &url,
        "-o",
        b.to_str().unwrap(),
        &url,
    ]);
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    assert_bytes(&std::fs::read(&a).unwrap(), &BIG, "first over TLS");
    assert_bytes(&std::fs::read(&b).unwrap(), &BIG, "second over TLS");
}
