//! Pycom's `HTTP_Server` face of the resource store over real TCP, with
//! curl: `HttpServer::init()...start()` and `deinit()` (the port is free
//! again afterwards), `max_uri`, the `add_resource(uri)` defaults, the
//! Pycom-named aliases, and the HTTPS/argument checks of `init`.

mod common;

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{curl_resp, get_once, request_once, Conn};
use ferrodot::resource::{HttpServer, MediaType, Methods, ResourceStore, StoreError, DEFAULT_VALUE};

fn url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

fn put(addr: SocketAddr, path: &str, body: &str) -> u16 {
    let raw = format!("PUT {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    request_once(addr, raw.as_bytes()).status
}

#[test]
fn add_default_is_html_zero_and_deinit_frees_the_port() {
    let server = HttpServer::init().host("127.0.0.1").port(0).start().unwrap();
    assert!(!server.is_https());
    let addr = server.local_addr();
    // HTTP_Server.add_resource('/resource2'): text/html, value 0.
    server
        .add_default("/resource2")
        .unwrap()
        .register_request_handler(Methods::ALL, None)
        .unwrap();
    assert_eq!(DEFAULT_VALUE, b"0");
    let r = curl_resp(&[&url(addr, "/resource2")]);
    assert_eq!(
        (r.status, r.header("content-type"), r.text().as_str()),
        (200, Some("text/html"), "0")
    );
    assert_eq!(put(addr, "/resource2", "1"), 204);
    assert_eq!(server.value("/resource2").unwrap(), b"1");

    // A keep-alive connection is open while deinit runs: it is closed, not waited for.
    let mut idle = Conn::open(addr);
    idle.send(&common::get("/resource2"));
    assert_eq!(idle.response().status, 200);
    let store = server.store().clone();
    let started = Instant::now();
    server.deinit().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "deinit took {:?}",
        started.elapsed()
    );
    assert!(
        idle.closed_within(Duration::from_secs(2)),
        "the idle connection was closed"
    );
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "nothing listens after deinit"
    );

    // The port is free: bind it, then init a server on it again, serving the same store.
    drop(std::net::TcpListener::bind(addr).expect("the port can be bound again after deinit"));
    let again = HttpServer::init()
        .store(store)
        .host("127.0.0.1")
        .port(addr.port())
        .start()
        .unwrap();
    assert_eq!(again.local_addr(), addr);
    assert_eq!(get_once(addr, "/resource2").text(), "1", "the store outlived deinit");
    again.deinit().unwrap();
}

#[test]
fn max_uri_limits_adds_and_posts() {
    let server = HttpServer::init().host("127.0.0.1").port(0).max_uri(2).start().unwrap();
    assert_eq!(server.max_uri(), 2);
    server
        .add_default("/a")
        .unwrap()
        .register_request_handler(Methods::ALL, None)
        .unwrap();
    let addr = server.local_addr();
    // One more fits: a POST makes it.
    let post =
        "POST /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx";
    let made = request_once(addr, post.as_bytes());
    assert_eq!((made.status, made.header("location")), (201, Some("/a/10000")));
    // Now at max_uri: Pycom's "Cannot be added more resources!" and 507.
    assert_eq!(server.add_default("/b").err(), Some(StoreError::Full));
    assert_eq!(request_once(addr, post.as_bytes()).status, 507);
    server.remove_resource("/a/10000").unwrap();
    assert!(server.add_default("/b").is_ok(), "room again after a removal");
    drop(server);

    for bad in [0, 101] {
        let err = HttpServer::init()
            .host("127.0.0.1")
            .port(0)
            .max_uri(bad)
            .start()
            .err()
            .expect("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("max_uri"), "{err}");
    }
    // A store of another capacity: max_uri up to its N.
    let small = Arc::new(ResourceStore::<4, 32, 16>::new());
    let err = HttpServer::init()
        .store(small.clone())
        .host("127.0.0.1")
        .port(0)
        .max_uri(5)
        .start()
        .err()
        .expect("5 > 4");
    assert!(err.to_string().contains("between 1 and 4"), "{err}");
    let server = HttpServer::init()
        .store(small)
        .host("127.0.0.1")
        .port(0)
        .max_uri(4)
        .start()
        .unwrap();
    assert_eq!(server.max_uri(), 4);
}

#[test]
fn pycom_names_are_the_store_methods() {
    let server = HttpServer::init().host("127.0.0.1").port(0).start().unwrap();
    let addr = server.local_addr();
    let res1 = server
        .add_resource("/resource1", MediaType::Html, b"Hello Client!")
        .unwrap();
    res1.register_request_handler(Methods::GET, None).unwrap();
    server.add_resource("/resource1/x", MediaType::Plain, b"x").unwrap();
    server.add_resource("/other", MediaType::Json, b"{}").unwrap();
    assert_eq!(
        server.add_resource("/other", MediaType::Json, b"{}").err(),
        Some(StoreError::Duplicate)
    );
    assert_eq!(server.list_resource("/resource1"), ["/resource1", "/resource1/x"]);
    assert_eq!(server.list_resource("/"), ["/other", "/resource1", "/resource1/x"]);
    assert_eq!(server.get_resource("/resource1").unwrap().uri(), "/resource1");
    assert_eq!(server.get_resource("/nothing").err(), Some(StoreError::NotFound));

    let r = curl_resp(&[&url(addr, "/resource1")]);
    assert_eq!((r.status, r.text().as_str()), (200, "Hello Client!"));
    assert_eq!(put(addr, "/resource1", "no"), 405, "only GET registered");
    // Registering again replaces the methods, as in Pycom.
    server
        .register_request_handler("/resource1", Methods::PUT, None)
        .unwrap();
    assert_eq!(put(addr, "/resource1", "yes"), 204);
    assert_eq!(get_once(addr, "/resource1").status, 405);
    // Not published: 404 until a handler is registered.
    assert_eq!(get_once(addr, "/other").status, 404);
    server
        .get_resource("/other")
        .unwrap()
        .register_request_handler(Methods::GET, None)
        .unwrap();
    assert_eq!(get_once(addr, "/other").text(), "{}");
    server.remove_resource("/other").unwrap();
    assert_eq!(server.remove_resource("/other"), Err(StoreError::NotFound));
    assert_eq!(get_once(addr, "/other").status, 404);
}

#[test]
fn init_refuses_what_pycom_refuses() {
    let first = HttpServer::init().host("127.0.0.1").port(0).start().unwrap();
    let taken = first.local_addr().port();
    let err = HttpServer::init()
        .host("127.0.0.1")
        .port(taken)
        .start()
        .err()
        .expect("port in use");
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&taken.to_string()), "{err}");

    // Port 443 is HTTPS in Pycom: not without the files (checked before binding).
    let err = HttpServer::init()
        .host("127.0.0.1")
        .port(443)
        .start()
        .err()
        .expect("443 without files");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("keyfile and a certfile"), "{err}");
    let err = HttpServer::init()
        .host("127.0.0.1")
        .port(0)
        .keyfile("k.pem")
        .start()
        .err()
        .expect("one file only");
    assert!(err.to_string().contains("go together"), "{err}");
    let err = HttpServer::init()
        .host("127.0.0.1")
        .port(0)
        .keyfile("/nonexistent/k.pem")
        .certfile("/nonexistent/c.pem")
        .start();
    assert!(err.is_err(), "missing files are an error");
}

#[cfg(feature = "tls-rustls")]
#[test]
fn keyfile_and_certfile_serve_https() {
    use std::path::{Path, PathBuf};
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pycom_server-certs");
    let _ = std::fs::remove_dir_all(&dir);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tls/make-certs.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg(&dir)
        .output()
        .expect("bash and openssl");
    assert!(
        out.status.success(),
        "make-certs.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = |name: &str| dir.join(name).to_string_lossy().into_owned();

    let server = HttpServer::init()
        .host("127.0.0.1")
        .port(0)
        .keyfile(cert("ec.key"))
        .certfile(cert("ec.pem"))
        .start()
        .unwrap();
    assert!(server.is_https());
    server
        .add_resource("/resource1", MediaType::Html, b"Hello Client!")
        .unwrap()
        .register_request_handler(Methods::GET, None)
        .unwrap();
    let port = server.local_addr().port();
    let resolve = format!("localhost:{port}:127.0.0.1");
    let ca = cert("ca.pem");
    let r = curl_resp(&[
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        &format!("https://localhost:{port}/resource1"),
    ]);
    assert_eq!((r.status, r.text().as_str()), (200, "Hello Client!"));
    server.deinit().unwrap();
    // The certificate for another key: refused at init, nothing bound.
    let err = HttpServer::init()
        .host("127.0.0.1")
        .port(port)
        .keyfile(cert("rsa.key"))
        .certfile(cert("ec.pem"))
        .start()
        .err();
    assert!(err.is_some(), "a key that does not match the certificate is refused");
}
