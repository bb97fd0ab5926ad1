//! The app layer over real TCP: hooks, error pages and styles, custom
//! capture types, responders, route groups and prefixes, run-time routes,
//! form/JSON/text extractors, and header-injection refusal.

mod common;

use std::cell::Cell;

use common::{get_once, request_once, Conn, TestServer};
use ferrodot::app::dynamic::Router;
use ferrodot::app::{App, ErrorBody};
use ferrodot::http::query::Encoded;
use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;
use ferrodot::server::HeadExtras;
use ferrodot::{Chunks, Config};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

#[derive(Default)]
struct Hits {
    n: Cell<u32>,
}

async fn hello() -> &'static str {
    "hello"
}

async fn created() -> (Status, [(&'static str, &'static str); 1], &'static str) {
    (Status::CREATED, [("Location", "/things/7")], "made")
}

async fn built() -> Response<'static, &'static str> {
    Response::new(Status::ACCEPTED)
        .header("X-Queue", "3")
        .header("Cache-Control", "no-store")
        .body("queued")
}

async fn too_many_headers() -> Response<'static, &'static str> {
    (0..9)
        .fold(Response::new(Status::OK), |r, _| r.header("X-A", "1"))
        .body("x")
}

async fn moved() -> Redirect<'static> {
    Redirect::to("/hello")
}

async fn maybe(Path(n): Path<u32>) -> Option<&'static str> {
    (n == 1).then_some("one")
}

async fn nothing() {}

async fn refuse() -> Result<&'static str, Rejection> {
    Err(Rejection::new(Status::FORBIDDEN, "not for you"))
}

async fn big() -> Chunks<std::vec::IntoIter<String>> {
    let rows: Vec<String> = (0..2000).map(|i| format!("row {i:05}\n")).collect();
    Chunks("text/plain", rows.into_iter())
}

async fn bad_header() -> ([(&'static str, &'static str); 1], &'static str) {
    ([("X-Evil", "a\r\nSet-Cookie: x=1")], "body")
}

async fn hex(Path(id): Path<&str>) -> String {
    format!("hex {id}")
}

#[derive(Deserialize, Serialize)]
struct Point {
    x: i32,
    y: i32,
}

async fn point() -> Json<Point> {
    Json(Point { x: 1, y: 2 })
}

async fn swap(Json(p): Json<Point>) -> Json<Point> {
    Json(Point { x: p.y, y: p.x })
}

async fn form(Form(form): Form<'_>) -> String {
    let name = form.get("name").map(|v| v.to_string_lossy()).unwrap_or_default();
    let tags: Vec<String> = form.all("tag").map(|v| v.to_string_lossy()).collect();
    format!("{name}:{}", tags.join(","))
}

async fn text(Text(t): Text<'_>) -> String {
    t.chars().rev().collect()
}

async fn count(State(h): State<&Hits>, q: Query<'_>) -> String {
    h.n.set(h.n.get() + q.parse::<u32>("by").unwrap_or(1));
    h.n.get().to_string()
}

ferrodot::routes! {
    Main<Hits> {
        GET "/hello" => hello,
        POST "/things" => created,
        GET "/old" => moved,
        GET "/built" => built,
        GET "/too-many-headers" => too_many_headers,
        GET "/maybe/<int:n>" => maybe,
        DELETE "/nothing" => nothing,
        GET "/refuse" => refuse,
        GET "/big" => big,
        GET "/bad-header" => bad_header,
        GET "/hex/<hex:id>" => hex,
        POST "/swap" => swap,
        GET "/point" => point,
        POST "/form" => form,
        POST "/text" => text,
        GET "/count" => count,
    }
}

ferrodot::routes! {
    Api<Hits> at "/api/v1" {
        GET "/hello" => hello,
    }
}

fn hex_type(ty: &str, value: Encoded<'_>) -> Option<bool> {
    (ty == "hex").then(|| !value.raw().is_empty() && value.raw().bytes().all(|b| b.is_ascii_hexdigit()))
}

fn block(req: &Request<'_>, _: &Hits) -> Option<Rejection> {
    req.header("x-block")
        .map(|_| Rejection::new(Status::FORBIDDEN, "blocked by before_request"))
}

fn stamp(_: &Request<'_>, hits: &Hits, status: Status, head: &mut HeadExtras<'_, '_>) {
    let _ = hits;
    head.header("X-Status-Seen", if status.is_error() { "error" } else { "ok" });
}

fn page(req: &Request<'_>, rejection: Rejection, body: &mut ErrorBody<'_>) -> Option<()> {
    if rejection.status != Status::NOT_FOUND {
        return None;
    }
    body.content_type("text/html; charset=utf-8");
    write!(body, "<h1>Nothing at {}</h1>", req.path()).ok()
}

fn app(style: ErrorStyle) -> App<Hits, (Main, Api)> {
    App::new(Hits::default(), (Main, Api))
        .with_config(Config {
            error_style: style,
            ..Config::DEFAULT
        })
        .custom_types(hex_type)
        .before_request(block)
        .after_request(stamp)
        .error_page(page)
}

fn server(style: ErrorStyle) -> TestServer {
    TestServer::start(move || app(style), ServerOptions::default())
}

#[test]
fn responders() {
    let s = server(ErrorStyle::Text);
    let r = request_once(s.addr, b"POST /things HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        (r.status, r.header("location"), r.text().as_str()),
        (201, Some("/things/7"), "made")
    );
    let r = get_once(s.addr, "/built");
    assert_eq!(
        (r.status, r.header("x-queue"), r.header("cache-control")),
        (202, Some("3"), Some("no-store"))
    );
    assert_eq!(
        (r.header("content-type"), r.text().as_str()),
        (Some("text/plain; charset=utf-8"), "queued")
    );
    assert_eq!(get_once(s.addr, "/too-many-headers").status, 500);
    let r = get_once(s.addr, "/old");
    assert_eq!((r.status, r.header("location")), (302, Some("/hello")));
    assert_eq!(get_once(s.addr, "/maybe/1").text(), "one");
    assert_eq!(get_once(s.addr, "/maybe/2").status, 404, "None is 404");
    let r = request_once(s.addr, b"DELETE /nothing HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status, 204, "() is 204");
    assert_eq!(
        r.header("content-length"),
        None,
        "no Content-Length on 204 (RFC 9110 8.6)"
    );
    let r = get_once(s.addr, "/refuse");
    assert_eq!(r.status, 403);
    assert!(r.text().contains("not for you"), "{}", r.text());
}

/// RFC 9110 §9.3.2: HEAD gets the GET response's headers and no body,
/// also for bodies rendered straight into the buffer (JSON, error pages);
/// the next response on the connection must start right after the head.
#[test]
fn head_sends_no_body_for_json_and_errors() {
    let s = server(ErrorStyle::Json);
    let mut c = Conn::open(s.addr);
    c.send(b"HEAD /point HTTP/1.1\r\nHost: t\r\n\r\nHEAD /nope HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = c.head_response();
    assert_eq!(
        (r.status, r.header("content-length")),
        (200, Some("13")),
        "the GET body would be {{\"x\":1,\"y\":2}}"
    );
    let r = c.head_response();
    assert_eq!(r.status, 404);
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));
}

#[test]
fn a_body_larger_than_the_buffer_is_sent_chunked() {
    let s = server(ErrorStyle::Text);
    let r = get_once(s.addr, "/big");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    let expected: String = (0..2000).map(|i| format!("row {i:05}\n")).collect();
    assert_eq!(r.text(), expected);
    // HTTP/1.0 has no chunked coding: the body ends when the connection does.
    let mut c = Conn::open(s.addr);
    c.send(b"GET /big HTTP/1.0\r\n\r\n");
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut c.stream, &mut raw).expect("read to close");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200"), "{}", &text[..40.min(text.len())]);
    assert!(!text.contains("Transfer-Encoding"));
    assert!(text.ends_with(&expected[expected.len() - 100..]));
}

#[test]
fn header_injection_is_refused_with_500() {
    let s = server(ErrorStyle::Text);
    let r = get_once(s.addr, "/bad-header");
    assert_eq!(r.status, 500);
    assert!(r.header("set-cookie").is_none() && r.header("x-evil").is_none());
}

#[test]
fn hooks_see_every_request() {
    let s = server(ErrorStyle::Text);
    let r = get_once(s.addr, "/hello");
    assert_eq!((r.status, r.header("x-status-seen")), (200, Some("ok")));
    let r = request_once(s.addr, b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Block: 1\r\n\r\n");
    assert_eq!(r.status, 403);
    assert!(r.text().contains("blocked by before_request"));
    assert_eq!(
        r.header("x-status-seen"),
        Some("error"),
        "after_request sees error responses too"
    );
}

#[test]
fn custom_error_page_and_json_style() {
    let s = server(ErrorStyle::Text);
    let r = get_once(s.addr, "/missing");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.text(), "<h1>Nothing at /missing</h1>");
    // Statuses the page declines fall back to the built-in style.
    let s = server(ErrorStyle::Json);
    let r = request_once(s.addr, b"DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.text(), r#"{"error": "method not allowed here"}"#);
}

#[test]
fn custom_capture_type_selects_routes() {
    let s = server(ErrorStyle::Text);
    assert_eq!(get_once(s.addr, "/hex/c0ffee").text(), "hex c0ffee");
    assert_eq!(get_once(s.addr, "/hex/coffee").status, 404);
}

#[test]
fn an_unknown_custom_type_is_refused_before_serving() {
    let app = App::new(Hits::default(), Main); // no custom type hook
    let err = app.validate().expect_err("<hex:id> without a hook must be refused");
    assert!(err.message().contains("custom capture type"), "{err}");
}

#[test]
fn groups_and_prefixes() {
    let s = server(ErrorStyle::Text);
    assert_eq!(get_once(s.addr, "/api/v1/hello").text(), "hello");
    assert_eq!(get_once(s.addr, "/v1/hello").status, 404);
    let listing: Vec<String> = app(ErrorStyle::Text).route_list().map(|r| r.to_string()).collect();
    assert_eq!(listing.first().map(String::as_str), Some("GET /hello"));
    assert_eq!(listing.last().map(String::as_str), Some("GET /api/v1/hello"));
    assert_eq!(listing.len(), 17);
}

#[test]
fn json_form_text_and_query_extractors() {
    let s = server(ErrorStyle::Text);
    let body = br#"{"x": 1, "y": -2}"#;
    let req = format!(
        "POST /swap HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let r = request_once(s.addr, &[req.as_bytes(), body].concat());
    assert_eq!(r.text(), r#"{"x":-2,"y":1}"#);
    let r = request_once(
        s.addr,
        b"POST /swap HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(r.status, 415);
    let r = request_once(
        s.addr,
        b"POST /swap HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{x:",
    );
    assert_eq!(r.status, 400);
    let form = b"name=Ada+L%2E&tag=a&tag=b%20c";
    let req = format!(
        "POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        form.len()
    );
    assert_eq!(
        request_once(s.addr, &[req.as_bytes(), form].concat()).text(),
        "Ada L.:a,b c"
    );
    assert_eq!(
        request_once(
            s.addr,
            b"POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
        )
        .text(),
        "cba"
    );
    assert_eq!(
        request_once(
            s.addr,
            b"POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n\xff\xfe"
        )
        .status,
        400
    );
    let mut c = Conn::open(s.addr);
    c.send(b"GET /count?by=5 HTTP/1.1\r\nHost: t\r\n\r\nGET /count HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.response().text(), "5");
    assert_eq!(c.response().text(), "6", "state is shared across requests");
}

fn dynamic_app() -> App<Hits, Router<Hits>> {
    let mut api = Router::<Hits>::new();
    api.post("/echo", |req| req.body.to_vec()).expect("valid");
    let mut router = Router::<Hits>::new();
    router
        .get("/hi/:name", |req| {
            format!(
                "hi {}",
                req.param("name").map(|n| n.to_string_lossy()).unwrap_or_default()
            )
        })
        .expect("valid");
    router.mount("/api", api).expect("valid");
    App::new(Hits::default(), router)
}

#[test]
fn run_time_routes() {
    let mut bad = Router::<Hits>::new();
    assert!(bad.get("no-slash", |_| "x").is_err(), "patterns are checked when added");
    let s = TestServer::start(dynamic_app, ServerOptions::default());
    assert_eq!(get_once(s.addr, "/hi/ada%20l").text(), "hi ada l");
    let r = request_once(
        s.addr,
        b"POST /api/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
    assert_eq!((r.status, r.text().as_str()), (200, "abc"));
    assert_eq!(
        request_once(s.addr, b"GET /api/echo HTTP/1.1\r\nHost: t\r\n\r\n").status,
        405
    );
}

/// RFC 9110 §6.6.1: a server with a clock sends `Date` on its responses
/// (the system clock by default on std), also on errors; without a clock
/// (`Config::clock: None`, as on a device) none is sent.
#[test]
fn date_header_from_the_configured_clock() {
    let now = ferrodot::http::date::system_now();
    let app = App::new(Hits::default(), Main);
    let client = ferrodot::testing::TestClient::new(&app);
    for path in ["/hello", "/no-such-path"] {
        let r = client.get(path);
        let date = r.header("date").unwrap_or_else(|| panic!("{path}: no Date"));
        let sent = ferrodot::http::date::parse(date.as_bytes()).expect("an HTTP date");
        assert!(sent + 5 >= now && sent <= now + 5, "{path}: {date}");
    }
    fn fixed() -> u64 {
        784_111_777
    }
    let app = App::new(Hits::default(), Main).with_config(Config {
        clock: Some(fixed),
        ..Config::DEFAULT
    });
    let r = ferrodot::testing::TestClient::new(&app).get("/hello");
    assert_eq!(r.header("date"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
    let app = App::new(Hits::default(), Main).with_config(Config {
        clock: None,
        ..Config::DEFAULT
    });
    assert_eq!(
        ferrodot::testing::TestClient::new(&app).get("/hello").header("date"),
        None
    );
}
