//! The Pycom-style resource store over real TCP, for what the
//! pycom_resources example does not reach: a `static` store, the 408 and
//! 507 answers, values read and set by the application while the server
//! runs, listing by prefix, the callback's headers, percent-decoded paths,
//! a store sharing an app with other routes, and file persistence.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{fast_config, get_once, request_once, Conn, TestServer};
use ferrodot::prelude::*;
use ferrodot::resource::{Event, FileBacking, MediaType, Methods, ResourceRoutes, ResourceStore, StoreError};
use ferrodot::rt::tokio::ServerOptions;

/// What a callback was told, owned.
#[derive(Debug, Clone, PartialEq)]
struct Told {
    uri: String,
    method: Method,
    header: Option<String>,
    body: Vec<u8>,
    new_uri: String,
    status: u16,
}

impl Told {
    fn of(e: &Event<'_>) -> Told {
        let header = e.headers.clone().find(|(n, _)| n.eq_ignore_ascii_case("x-test"));
        Told {
            uri: e.uri.to_string(),
            method: e.method,
            header: header.map(|(_, v)| String::from_utf8_lossy(v).into_owned()),
            body: e.body.to_vec(),
            new_uri: e.new_uri.to_string(),
            status: e.status.0,
        }
    }
}

fn request(method: &str, path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Test: yes\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

// --- a static store: no heap for the store or the app -------------------

type Small = ResourceStore<4, 32, 16>;
static STATIC_STORE: Small = ResourceStore::new();
static STATIC_TOLD: Mutex<Vec<Told>> = Mutex::new(Vec::new());

fn static_told(e: &Event<'_>) {
    STATIC_TOLD.lock().unwrap().push(Told::of(e));
}

/// One test owns the static store; it goes through 507 and the callback.
#[test]
fn static_store_full_is_507_and_callback_hears_everything() {
    STATIC_STORE
        .add("/r", MediaType::Plain, b"0")
        .unwrap()
        .register(Methods::ALL, Some(static_told))
        .unwrap();
    STATIC_STORE
        .add("/ro", MediaType::Json, b"{}")
        .unwrap()
        .register(Methods::GET, None)
        .unwrap();
    let server = TestServer::start(
        || App::new(&STATIC_STORE, ResourceRoutes::<4, 32, 16>::new()),
        ServerOptions::default(),
    );

    let a = request_once(server.addr, &request("POST", "/r", "text/plain", b"a"));
    assert_eq!((a.status, a.header("location")), (201, Some("/r/10000")));
    let b = request_once(server.addr, &request("POST", "/r", "application/json", b"[]"));
    assert_eq!((b.status, b.header("location")), (201, Some("/r/10001")));
    // Four resources now: the store is full.
    let full = request_once(server.addr, &request("POST", "/r", "text/plain", b"c"));
    assert_eq!(full.status, 507, "{full:?}");
    assert_eq!(STATIC_STORE.len(), 4);
    // The application lists by prefix while the server runs.
    assert_eq!(STATIC_STORE.list("/r/"), ["/r/10000", "/r/10001"]);
    assert_eq!(STATIC_STORE.list("/r"), ["/r", "/r/10000", "/r/10001", "/ro"]);
    assert_eq!(STATIC_STORE.list("/x"), Vec::<String>::new());
    // Room again: a sub-resource of a sub-resource.
    STATIC_STORE.remove("/r/10001").unwrap();
    assert_eq!(
        request_once(server.addr, &request("POST", "/r/10000", "text/plain", b"d")).status,
        201
    );

    // The callback runs after the response is sent: wait (bounded) for the last one.
    common::wait_for(Duration::from_secs(5), "the callback", || {
        STATIC_TOLD.lock().unwrap().len() >= 4
    });
    let told = STATIC_TOLD.lock().unwrap().clone();
    let summary: Vec<(Method, &str, u16, &str, &[u8])> = told
        .iter()
        .map(|t| {
            (
                t.method,
                t.uri.as_str(),
                t.status,
                t.new_uri.as_str(),
                t.body.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Method::Post, "/r", 201, "/r/10000", &b"a"[..]),
            (Method::Post, "/r", 201, "/r/10001", &b"[]"[..]),
            (Method::Post, "/r", 507, "", &b"c"[..]),
            (Method::Post, "/r/10000", 201, "/r/10000/10000", &b"d"[..]),
        ]
    );
    assert!(
        told.iter().all(|t| t.header.as_deref() == Some("yes")),
        "the callback sees the request headers"
    );
}

// --- per-test stores behind an Arc ----------------------------------------

type Store = ResourceStore<8, 48, 64>;
type Routes = ResourceRoutes<8, 48, 64>;

fn serve(store: &Arc<Store>, config: Config) -> TestServer {
    let store = store.clone();
    TestServer::start(
        move || App::new(store, Routes::new()).with_config(config),
        ServerOptions::default(),
    )
}

static SLOW_TOLD: Mutex<Vec<Told>> = Mutex::new(Vec::new());

fn slow_told(e: &Event<'_>) {
    SLOW_TOLD.lock().unwrap().push(Told::of(e));
}

#[test]
fn body_that_stops_arriving_is_408_and_the_callback_is_told() {
    let store = Arc::new(Store::new());
    store
        .add("/slow", MediaType::Plain, b"old")
        .unwrap()
        .register(Methods::ALL, Some(slow_told))
        .unwrap();
    // fast_config: a body piece must arrive within 400 ms.
    let server = serve(&store, fast_config());
    let mut c = Conn::open(server.addr);
    c.send(b"PUT /slow HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nabc");
    let resp = c.response();
    assert_eq!(resp.status, 408, "{resp:?}");
    c.assert_closed();
    assert_eq!(store.value("/slow").unwrap(), b"old", "a partial body changes nothing");
    common::wait_for(Duration::from_secs(5), "the callback", || {
        !SLOW_TOLD.lock().unwrap().is_empty()
    });
    let told = SLOW_TOLD.lock().unwrap().clone();
    assert_eq!(told.len(), 1);
    assert_eq!(
        (told[0].method, told[0].status, told[0].new_uri.as_str()),
        (Method::Put, 408, "")
    );
}

#[test]
fn application_reads_and_sets_values_while_serving() {
    let store = Arc::new(Store::new());
    store
        .add("/temp", MediaType::Plain, b"21.5")
        .unwrap()
        .register(Methods::GET | Methods::PUT, None)
        .unwrap();
    let server = serve(&store, common::normal_config());
    assert_eq!(get_once(server.addr, "/temp").text(), "21.5");
    // The sensor task writes a new reading: the next GET sees it.
    store.set_value("/temp", b"22.0").unwrap();
    assert_eq!(get_once(server.addr, "/temp").text(), "22.0");
    store.set("/temp", MediaType::Json, b"{\"c\": 22}").unwrap();
    let resp = get_once(server.addr, "/temp");
    assert_eq!(
        (resp.header("content-type"), resp.text().as_str()),
        (Some("application/json"), "{\"c\": 22}")
    );
    // A client writes: the application reads it back.
    let put = request_once(server.addr, &request("PUT", "/temp", "text/plain", b"23.5"));
    assert_eq!(put.status, 204);
    let mut buf = [0u8; 64];
    assert_eq!(store.read_value("/temp", &mut buf).unwrap(), b"23.5");
    assert_eq!(store.info("/temp").unwrap().media, MediaType::Plain);
    // Removed by the application: gone for clients.
    store.resource("/temp").unwrap().remove().unwrap();
    assert_eq!(get_once(server.addr, "/temp").status, 404);
    // Unpublished (no methods): 404, as in Pycom.
    store.add("/hidden", MediaType::Plain, b"x").unwrap();
    assert_eq!(get_once(server.addr, "/hidden").status, 404);
    store.register("/hidden", Methods::GET, None).unwrap();
    assert_eq!(get_once(server.addr, "/hidden").text(), "x");
}

#[test]
fn paths_are_percent_decoded_and_queries_ignored() {
    let store = Arc::new(Store::new());
    store
        .add("/café/menu", MediaType::Html, b"<p>menu</p>")
        .unwrap()
        .register(Methods::GET, None)
        .unwrap();
    let server = serve(&store, common::normal_config());
    assert_eq!(get_once(server.addr, "/caf%C3%A9/menu?lang=fr#x").status, 200);
    assert_eq!(get_once(server.addr, "/caf%c3%a9/menu").text(), "<p>menu</p>");
    assert_eq!(get_once(server.addr, "/cafe/menu").status, 404);
}

#[test]
fn value_larger_than_capacity_is_413_before_it_is_read() {
    let store = Arc::new(Store::new());
    store
        .add("/v", MediaType::Octet, b"")
        .unwrap()
        .register(Methods::ALL, None)
        .unwrap();
    let server = serve(&store, common::normal_config());
    // Declared too large: refused without reading the body, then closed.
    let mut c = Conn::open(server.addr);
    c.send(b"POST /v HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: 65\r\n\r\n");
    let resp = c.response();
    assert_eq!(resp.status, 413);
    c.assert_closed();
    // Chunked, too large only once read.
    let mut c = Conn::open(server.addr);
    let chunk = "x".repeat(40);
    c.send(format!("PUT /v HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n28\r\n{chunk}\r\n28\r\n{chunk}\r\n0\r\n\r\n").as_bytes());
    assert_eq!(c.response().status, 413);
    // Exactly the capacity is fine, in chunks too.
    let mut c = Conn::open(server.addr);
    let half = "y".repeat(32);
    c.send(
        format!(
            "PUT /v HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n{half}\r\n20\r\n{half}\r\n0\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(c.response().status, 204);
    assert_eq!(store.value("/v").unwrap().len(), 64);
}

async fn health() -> &'static str {
    "ok"
}

ferrodot::routes! { Health<Arc<Store>> { GET "/health" => health } }

#[test]
fn store_shares_an_app_with_other_routes() {
    let store = Arc::new(Store::new());
    store
        .add("/res/a", MediaType::Plain, b"A")
        .unwrap()
        .register(Methods::GET, None)
        .unwrap();
    store
        .add("/elsewhere", MediaType::Plain, b"E")
        .unwrap()
        .register(Methods::GET, None)
        .unwrap();
    let s = store.clone();
    let server = TestServer::start(
        move || App::new(s, (Health, Routes::at("/res/:rest*"))),
        ServerOptions::default(),
    );
    assert_eq!(get_once(server.addr, "/health").text(), "ok");
    assert_eq!(get_once(server.addr, "/res/a").text(), "A");
    // Outside the store's pattern: the app's own 404, the store is not asked.
    assert_eq!(get_once(server.addr, "/elsewhere").status, 404);
    // A keep-alive connection serves both kinds in turn.
    let mut c = Conn::open(server.addr);
    for path in ["/res/a", "/health", "/res/a"] {
        c.send(&common::get(path));
        assert_eq!(c.response().status, 200, "{path}");
    }
}

#[test]
fn file_backing_survives_a_restart_and_never_leaves_half_a_file() {
    let dir = std::env::temp_dir().join(format!("ferrodot-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.bin");
    {
        let store = Arc::new(Store::new().persisted(FileBacking::leak(&path)));
        assert_eq!(store.load(), Ok(false), "nothing saved yet");
        store
            .add("/r", MediaType::Plain, b"0")
            .unwrap()
            .register(Methods::ALL, None)
            .unwrap();
        let server = serve(&store, common::normal_config());
        assert_eq!(
            request_once(server.addr, &request("PUT", "/r", "application/json", b"[1]")).status,
            204
        );
        let made = request_once(server.addr, &request("POST", "/r", "text/plain", b"kid"));
        assert_eq!(made.header("location"), Some("/r/10000"));
        assert_eq!(
            request_once(server.addr, &request("DELETE", "/r/10000", "text/plain", b"")).status,
            204
        );
    }
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["store.bin"], "the temporary file was renamed over the store");
    // A crash during a later save leaves a stale temporary file: ignored.
    std::fs::write(dir.join("store.bin.tmp"), b"FDRS half written").unwrap();

    let store = Arc::new(Store::new().persisted(FileBacking::leak(&path)));
    assert_eq!(store.load(), Ok(true));
    assert_eq!(store.load(), Err(StoreError::NotEmpty));
    assert_eq!(store.list("/"), ["/r"]);
    assert_eq!(store.info("/r").unwrap().media, MediaType::Json);
    let server = serve(&store, common::normal_config());
    assert_eq!(get_once(server.addr, "/r").text(), "[1]");
    // The POST id counter was saved too: 10000 is not given again.
    let made = request_once(server.addr, &request("POST", "/r", "text/plain", b"kid2"));
    assert_eq!(made.header("location"), Some("/r/10001"));
    drop(server);

    // A damaged file is refused and the store stays empty.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let store = Store::new().persisted(FileBacking::leak(&path));
    assert!(matches!(store.load(), Err(StoreError::Persist(_))));
    assert!(store.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The store has no heap and needs none: built in a `const` context, a
/// `static` one is usable as is.
#[test]
fn static_store_is_usable_without_setup() {
    static STORE: ResourceStore<2, 16, 8> = ResourceStore::new();
    let store = &STORE;
    assert_eq!(
        (store.capacity(), store.uri_capacity(), store.value_capacity()),
        (2, 16, 8)
    );
    store.add("/a", MediaType::Plain, b"1").unwrap();
    store.add("/b", MediaType::Plain, b"2").unwrap();
    assert_eq!(store.add("/c", MediaType::Plain, b"3").err(), Some(StoreError::Full));
    let mut seen = Vec::new();
    store.for_each_uri("/", |uri| seen.push(uri.to_string()));
    assert_eq!(seen, ["/a", "/b"]);
}

/// A value capacity above the receive buffer (4 KiB on the host): bodies
/// that do not fit the buffer are 413 with their own reason.
#[test]
fn body_larger_than_the_receive_buffer_is_413() {
    type Big = ResourceStore<2, 16, 8192>;
    let store = Arc::new(Big::new());
    store
        .add("/big", MediaType::Octet, b"")
        .unwrap()
        .register(Methods::PUT | Methods::GET, None)
        .unwrap();
    let s = store.clone();
    let server = TestServer::start(
        move || App::new(s, ResourceRoutes::<2, 16, 8192>::new()),
        ServerOptions::default(),
    );
    let resp = request_once(
        server.addr,
        &request("PUT", "/big", "application/octet-stream", &[b'b'; 3000]),
    );
    assert_eq!(resp.status, 204);
    let mut c = Conn::open(server.addr);
    let _ = c.try_send(&request("PUT", "/big", "application/octet-stream", &[b'c'; 6000]));
    let resp = c.response();
    assert_eq!(resp.status, 413);
    assert!(resp.text().contains("receive buffer"), "{}", resp.text());
    assert_eq!(store.value("/big").unwrap(), vec![b'b'; 3000]);
}

#[test]
fn keep_alive_between_store_requests() {
    let store = Arc::new(Store::new());
    store
        .add("/k", MediaType::Plain, b"v")
        .unwrap()
        .register(Methods::ALL, None)
        .unwrap();
    let server = serve(&store, common::normal_config());
    let mut c = Conn::open(server.addr);
    // Several requests on one connection, `Content-Length: 0` included.
    c.send(b"GET /k HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(c.response().text(), "v");
    c.send(b"PUT /k HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nv2");
    assert_eq!(c.response().status, 204);
    c.send(b"OPTIONS /k HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        c.response().header("allow"),
        Some("GET, HEAD, POST, PUT, DELETE, OPTIONS")
    );
    c.send(b"HEAD /k HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = c.head_response();
    assert_eq!((head.status, head.header("content-length")), (200, Some("2")));
    // A GET that carries a body is answered, then the connection closes
    // instead of waiting for a body nobody reads.
    c.send(b"GET /k HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    let resp = c.response();
    assert_eq!((resp.status, resp.text().as_str()), (200, "v2"));
    assert!(resp.closes());
    c.assert_closed();
}
