//! The connection engine (`serve_connection`) driven over an in-memory
//! transport: whole conversations, every way of splitting them across
//! reads, and the timeouts — no sockets, no clock.

mod memio;

use std::fmt::Write as _;

use ferrodot::http::query::Encoded;
use ferrodot::prelude::*;
use ferrodot::route::pattern::capture_names;
use ferrodot::{Config, Timeouts};
use memio::{parse_all, parse_response, run, serve, End, Event, MemTransport, Resp, RespFraming};

// ------------------------------------------------------------------ the app

async fn hello() -> &'static str {
    "hello"
}

async fn item(Path(id): Path<i64>) -> String {
    format!("item {id}")
}

async fn put_item(Path(id): Path<i64>, Bytes(body): Bytes<'_>) -> String {
    format!("put {id}: {}", String::from_utf8_lossy(body))
}

async fn pair(Path((name, n)): Path<(&str, u32)>) -> String {
    format!("{name} x{n}")
}

async fn search(q: Query<'_>) -> String {
    let tags: Vec<String> = q.all("tag").map(|v| v.to_string_lossy()).collect();
    format!("tags={} n={:?}", tags.join(","), q.parse::<u32>("n"))
}

async fn echo(Bytes(body): Bytes<'_>) -> Vec<u8> {
    body.to_vec()
}

async fn json_sum(Json(v): Json<[i32; 3]>) -> Json<(i32, i32)> {
    Json((v.iter().sum(), v.iter().product()))
}

/// Streams the body through a small buffer; the answer does not depend
/// on how the body was split on the wire.
async fn stream(mut body: BodyReader<'_>) -> Result<String, Rejection> {
    let mut all = Vec::new();
    let mut piece = [0u8; 7];
    loop {
        let n = body.read(&mut piece).await.map_err(|e| e.rejection())?;
        if n == 0 {
            break;
        }
        assert!(n <= piece.len());
        all.extend_from_slice(&piece[..n]);
    }
    Ok(format!("{} bytes: {}", all.len(), String::from_utf8_lossy(&all)))
}

/// Answers without reading the body; the engine must skip it.
async fn ignore() -> &'static str {
    "ignored"
}

/// A body larger than the response buffer: sent chunked (1.1) or
/// close-delimited (1.0).
async fn big() -> String {
    (0..3000).map(|i| char::from(b'a' + (i % 26) as u8)).collect()
}

/// Every capture, by position and by name; `-` for an absent one.
async fn caps(req: &Request<'_>) -> String {
    let mut s = format!("{} n={}", req.route_pattern(), req.param_count());
    for i in 0..req.param_count() {
        match req.param_at(i) {
            Some(v) => write!(s, " [{}]", v.raw()),
            None => write!(s, " -"),
        }
        .expect("write to String");
    }
    for name in capture_names(req.route_pattern()) {
        match req.param(name) {
            Some(v) => write!(s, " {name}=[{}]", v.raw()),
            None => write!(s, " {name}=-"),
        }
        .expect("write to String");
    }
    assert!(req.param_at(req.param_count()).is_none());
    assert!(req.param("no_such_capture").is_none());
    s
}

async fn cors() -> (Status, [(&'static str, &'static str); 1]) {
    (Status::NO_CONTENT, [("Access-Control-Allow-Origin", "*")])
}

fn hex_type(ty: &str, v: Encoded<'_>) -> Option<bool> {
    (ty == "hex").then(|| v.raw().bytes().all(|b| b.is_ascii_hexdigit()))
}

ferrodot::routes! {
    TestRoutes<()> {
        GET "/" => hello,
        GET "/items/<int:id>" => item,
        PUT "/items/<int:id>" => put_item,
        GET "/pair/:name/<int:n>" => pair,
        GET "/search" => search,
        POST "/echo" => echo,
        POST "/json" => json_sum,
        POST "/stream" => stream,
        POST "/ignore" => ignore,
        PUT "/strict" .require_length() => echo,
        POST "/small" .max_body(8) => echo,
        GET "/big" => big,
        OPTIONS "/cors" => cors,
        GET "/cors" => hello,
        GET "/cap/opt/:a?" => caps,
        GET "/cap/star/:a*" => caps,
        GET "/cap/plus/:a+" => caps,
        GET "/cap/user/:n" => caps,
        GET "/cap/mid/:a*/end" => caps,
        GET "/cap/int/<int:x>/<y>" => caps,
        GET "/cap/path/<path:p>" => caps,
        GET "/cap/hex/<hex:h>" => caps,
        GET "/cap/multi/:a/:b?" => caps,
    }
}

/// Distinct timeouts, so a test can tell which one was in force.
const TIMEOUTS: Timeouts = Timeouts {
    first_byte_ms: 1001,
    head_ms: 1002,
    body_ms: 1003,
    write_ms: 1004,
    idle_ms: 1005,
};

fn app() -> App<(), TestRoutes> {
    let config = Config {
        timeouts: TIMEOUTS,
        clock: None, // exact bytes below: no `Date`
        ..Config::DEFAULT
    };
    let app = App::new((), TestRoutes).with_config(config).custom_types(hex_type);
    assert_eq!(app.validate(), Ok(()));
    app
}

fn app_with(config: Config) -> App<(), TestRoutes> {
    App::new((), TestRoutes).with_config(config).custom_types(hex_type)
}

// ---------------------------------------------------------------- helpers

/// A request with a Host header and the given extra lines and body.
fn request(line: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut s = format!("{line}\r\nHost: test\r\n");
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    let mut v = s.into_bytes();
    v.extend_from_slice(body);
    v
}

fn get(target: &str) -> Vec<u8> {
    request(&format!("GET {target} HTTP/1.1"), &[], b"")
}

/// Serve `input` whole and parse every response.
fn exchange(input: &[u8], heads: &[bool]) -> Vec<Resp> {
    parse_all(&run(&app(), input, input.len().max(1), End::Eof), heads)
}

/// Serve one request and return its one response.
fn one(input: &[u8]) -> Resp {
    let mut all = exchange(input, &[]);
    assert_eq!(all.len(), 1, "expected one response, got {all:#?}");
    all.remove(0)
}

/// The same conversation split every way must produce the same bytes:
/// one byte per read, and every cut into two reads.
fn assert_split_invariant(input: &[u8]) -> Vec<u8> {
    let app = app();
    let whole = run(&app, input, input.len(), End::Eof);
    let bytewise = run(&app, input, 1, End::Eof);
    assert_eq!(
        memio::lossy(&bytewise),
        memio::lossy(&whole),
        "one byte per read differs"
    );
    for k in 1..input.len() {
        let mut t = MemTransport::new(vec![input[..k].to_vec(), input[k..].to_vec()], usize::MAX, End::Eof);
        assert_eq!(serve(&app, &mut t), Ok(()));
        assert_eq!(memio::lossy(&t.out), memio::lossy(&whole), "split at byte {k} differs");
    }
    whole
}

fn chunked(pieces: &[&str]) -> Vec<u8> {
    let mut s = String::new();
    for p in pieces {
        write!(s, "{:x}\r\n{p}\r\n", p.len()).expect("write to String");
    }
    s.push_str("0\r\n\r\n");
    s.into_bytes()
}

// ------------------------------------------------------------ basic answers

/// The exact bytes of a simple response (RFC 9112 §4, §6.3; RFC 9110
/// §8.6 Content-Length for a known length).
#[test]
fn get_exact_bytes() {
    let out = run(&app(), &get("/"), 1024, End::Eof);
    assert_eq!(
        memio::lossy(&out),
        "HTTP/1.1 200 OK\r\nServer: ferrodot\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello"
    );
}

/// Path, Query, Bytes, Json and BodyReader extractors end to end.
#[test]
fn extractors() {
    assert_eq!(one(&get("/items/42")).text(), "item 42");
    assert_eq!(one(&get("/items/-7")).text(), "item -7");
    assert_eq!(one(&get("/pair/bob/3")).text(), "bob x3");
    // a capture that does not parse as the handler's type answers 404
    let r = one(&get("/pair/bob/-3"));
    assert_eq!(r.status, 404);
    assert_eq!(
        one(&get("/search?tag=a&n=%34%32&tag=b+c&tag=%E2%80%A2")).text(),
        "tags=a,b c,\u{2022} n=Some(42)"
    );
    assert_eq!(one(&get("/search")).text(), "tags= n=None");
    let r = one(&request("POST /echo HTTP/1.1", &["Content-Length: 11"], b"hello world"));
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello world"[..]));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    let r = one(&request(
        "POST /echo HTTP/1.1",
        &["Transfer-Encoding: chunked"],
        &chunked(&["hello", " ", "world"]),
    ));
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello world"[..]));
    let r = one(&request(
        "POST /json HTTP/1.1",
        &["Content-Type: application/json", "Content-Length: 7"],
        b"[2,3,4]",
    ));
    assert_eq!((r.status, r.text()), (200, "[9,24]"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let r = one(&request(
        "POST /stream HTTP/1.1",
        &["Content-Length: 20"],
        b"0123456789abcdefghij",
    ));
    assert_eq!(r.text(), "20 bytes: 0123456789abcdefghij");
    let r = one(&request(
        "POST /stream HTTP/1.1",
        &["Transfer-Encoding: chunked"],
        b"3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
    ));
    assert_eq!(r.text(), "3 bytes: abc");
    let r = one(&request("PUT /items/9 HTTP/1.1", &["Content-Length: 2"], b"ok"));
    assert_eq!(r.text(), "put 9: ok");
}

/// RFC 9110 §15.5.16: a JSON route refuses another media type (415); a
/// body that is not JSON is a 400.
#[test]
fn json_errors() {
    let r = one(&request(
        "POST /json HTTP/1.1",
        &["Content-Type: text/plain", "Content-Length: 7"],
        b"[2,3,4]",
    ));
    assert_eq!(r.status, 415);
    let r = one(&request(
        "POST /json HTTP/1.1",
        &["Content-Type: application/json", "Content-Length: 5"],
        b"[2,3]",
    ));
    assert_eq!(r.status, 400);
}

/// Path captures through `Request::param` / `param_at`, including the
/// mpgameserver table (notes/seed-systems.md §(ii)(d)) with our sane
/// answers to its quirks, and absent optional captures.
#[test]
fn captures() {
    let cases: [(&str, Option<&str>); 27] = [
        ("/cap/opt", Some("/cap/opt/:a? n=1 - a=-")),
        ("/cap/opt/", Some("/cap/opt/:a? n=1 [] a=[]")),
        ("/cap/opt/x", Some("/cap/opt/:a? n=1 [x] a=[x]")),
        ("/cap/opt/x/", None),
        ("/cap/opt/x/y", None),
        ("/cap/star", Some("/cap/star/:a* n=1 - a=-")),
        ("/cap/star/", Some("/cap/star/:a* n=1 [] a=[]")),
        ("/cap/star/x/y/", Some("/cap/star/:a* n=1 [x/y/] a=[x/y/]")),
        ("/cap/star/x%2Fy", Some("/cap/star/:a* n=1 [x%2Fy] a=[x%2Fy]")),
        ("/cap/plus", None),
        ("/cap/plus/", None),
        ("/cap/plusx", None),
        ("/cap/plus/x/y", Some("/cap/plus/:a+ n=1 [x/y] a=[x/y]")),
        ("/cap/user/bob", Some("/cap/user/:n n=1 [bob] n=[bob]")),
        ("/cap/user/b%20b", Some("/cap/user/:n n=1 [b%20b] n=[b%20b]")),
        ("/cap/user/bob/", None),
        ("/cap/user/", None),
        ("/cap/mid/end", Some("/cap/mid/:a*/end n=1 - a=-")),
        ("/cap/mid/1/2/end", Some("/cap/mid/:a*/end n=1 [1/2] a=[1/2]")),
        (
            "/cap/int/-5/abc",
            Some("/cap/int/<int:x>/<y> n=2 [-5] [abc] x=[-5] y=[abc]"),
        ),
        ("/cap/int/five/abc", None),
        ("/cap/path/a/b", Some("/cap/path/<path:p> n=1 [a/b] p=[a/b]")),
        ("/cap/hex/00ff", Some("/cap/hex/<hex:h> n=1 [00ff] h=[00ff]")),
        ("/cap/hex/zz", None),
        ("/cap/multi/1", Some("/cap/multi/:a/:b? n=2 [1] - a=[1] b=-")),
        ("/cap/multi/1/2", Some("/cap/multi/:a/:b? n=2 [1] [2] a=[1] b=[2]")),
        (
            "/cap/multi/1/2?q=3#f",
            Some("/cap/multi/:a/:b? n=2 [1] [2] a=[1] b=[2]"),
        ),
    ];
    let mut wrong = Vec::new();
    for (path, want) in cases {
        let r = one(&get(path));
        let got = (r.status == 200).then(|| r.text().to_string());
        if want.is_none() && r.status != 404 {
            wrong.push(format!("{path}: expected 404, got {} {:?}", r.status, got));
        } else if got.as_deref() != want {
            wrong.push(format!("{path}: expected {want:?}, got {} {got:?}", r.status));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// RFC 9110 §9.3.2: HEAD is GET without content; Content-Length is what
/// GET would send (§8.6), also for a body larger than the buffer.
#[test]
fn head_is_get_without_body() {
    for path in ["/", "/items/5", "/big"] {
        let got = exchange(&request(&format!("GET {path} HTTP/1.1"), &[], b""), &[]);
        let head_input = request(&format!("HEAD {path} HTTP/1.1"), &[], b"");
        let out = run(&app(), &head_input, 4096, End::Eof);
        let (head, n) = parse_response(&out, true);
        assert_eq!(n, out.len(), "{path}: a HEAD response has no body");
        assert_eq!(head.status, 200);
        assert_eq!(head.header("content-type"), got[0].header("content-type"));
        assert_eq!(
            head.header("content-length").map(str::to_string),
            Some(got[0].body.len().to_string()),
            "{path}"
        );
    }
}

/// RFC 9110 §9.3.7 + §10.2.1: OPTIONS answers 200 with Allow (HEAD with
/// GET, OPTIONS always); an explicit OPTIONS route wins; `OPTIONS *`
/// lists everything the server does.
#[test]
fn options() {
    let r = one(&request("OPTIONS /items/1 HTTP/1.1", &[], b""));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, OPTIONS"));
    assert!(r.body.is_empty());
    let r = one(&request("OPTIONS /cors HTTP/1.1", &[], b""));
    assert_eq!((r.status, r.header("access-control-allow-origin")), (204, Some("*")));
    let r = one(&request("OPTIONS * HTTP/1.1", &[], b""));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS"));
    let r = one(&request("OPTIONS /nowhere HTTP/1.1", &[], b""));
    assert_eq!(r.status, 404);
}

/// RFC 9110 §15.5.5 (404) and §15.5.6: "The origin server MUST generate
/// an Allow header field in a 405 response".
#[test]
fn not_found_and_method_not_allowed() {
    let r = one(&get("/nope"));
    assert_eq!(r.status, 404);
    assert!(r.header("allow").is_none());
    assert!(!r.closes(), "a 404 without a body keeps the connection");
    let r = one(&request("DELETE /items/1 HTTP/1.1", &[], b""));
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, OPTIONS"));
    let r = one(&request("GET /echo HTTP/1.1", &[], b""));
    assert_eq!((r.status, r.header("allow")), (405, Some("POST, OPTIONS")));
}

/// RFC 9110 §15.5.12: 411 when a route needs a declared length; a
/// zero Content-Length or a chunked body is a declared length.
#[test]
fn length_required() {
    let r = one(&request("PUT /strict HTTP/1.1", &[], b""));
    assert_eq!(r.status, 411);
    let r = one(&request("PUT /strict HTTP/1.1", &["Content-Length: 0"], b""));
    assert_eq!((r.status, r.body.len()), (200, 0));
    let r = one(&request(
        "PUT /strict HTTP/1.1",
        &["Transfer-Encoding: chunked"],
        &chunked(&["ab"]),
    ));
    assert_eq!((r.status, r.text()), (200, "ab"));
    // a route without the flag takes a body-less POST
    let r = one(&request("POST /echo HTTP/1.1", &[], b""));
    assert_eq!((r.status, r.body.len()), (200, 0));
}

/// RFC 9110 §15.5.14: 413, from the declared length before the handler
/// runs (then close: the body was not read, RFC 9112 §9.6), or while a
/// chunked body is read.
#[test]
fn content_too_large() {
    let mut input = request("POST /small HTTP/1.1", &["Content-Length: 9"], b"123456789");
    input.extend_from_slice(&get("/"));
    let all = exchange(&input, &[]);
    assert_eq!(all.len(), 1, "nothing is answered after a 413: {all:#?}");
    assert_eq!(all[0].status, 413);
    assert!(all[0].closes());
    // at the limit is fine
    let r = one(&request("POST /small HTTP/1.1", &["Content-Length: 8"], b"12345678"));
    assert_eq!((r.status, r.text()), (200, "12345678"));
    // chunked: only known while reading
    let mut input = request(
        "POST /small HTTP/1.1",
        &["Transfer-Encoding: chunked"],
        &chunked(&["12345", "6789"]),
    );
    input.extend_from_slice(&get("/"));
    let all = exchange(&input, &[]);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].status, 413);
    assert!(all[0].closes());
    // the app-wide limit
    let config = Config {
        max_body: 4,
        ..Config::DEFAULT
    };
    let out = run(
        &app_with(config),
        &request("POST /echo HTTP/1.1", &["Content-Length: 5"], b"hello"),
        4096,
        End::Eof,
    );
    assert_eq!(parse_all(&out, &[])[0].status, 413);
    let huge = request("POST /echo HTTP/1.1", &["Content-Length: 99999999999"], b"");
    assert_eq!(one(&huge).status, 413);
}

/// RFC 9112 §6.1 / §11.2: framing the server cannot trust is answered
/// with 400 and the connection is closed, so nothing after it is read as
/// a request.
#[test]
fn smuggling_attempts_close_the_connection() {
    let smuggled = get("/items/1");
    let attempts: [Vec<u8>; 4] = [
        request(
            "POST /echo HTTP/1.1",
            &["Content-Length: 5", "Transfer-Encoding: chunked"],
            b"0\r\n\r\n",
        ),
        request(
            "POST /echo HTTP/1.1",
            &["Transfer-Encoding: chunked", "Content-Length: 5"],
            b"0\r\n\r\n",
        ),
        request(
            "POST /echo HTTP/1.1",
            &["Content-Length: 5", "Content-Length: 6"],
            b"hello!",
        ),
        request(
            "POST /echo HTTP/1.1",
            &["Transfer-Encoding: chunked"],
            b"5 5\r\nhello\r\n0\r\n\r\n",
        ),
    ];
    for attempt in attempts {
        let mut input = attempt.clone();
        input.extend_from_slice(&smuggled);
        let all = exchange(&input, &[]);
        assert_eq!(all.len(), 1, "{}: {all:#?}", memio::lossy(&attempt));
        assert_eq!(all[0].status, 400, "{}", memio::lossy(&attempt));
        assert!(all[0].closes());
    }
}

/// Other head rejections: one response, then close (RFC 9112 §9.6).
#[test]
fn head_rejections() {
    let cases: [(Vec<u8>, u16); 7] = [
        (b"GET / HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n".to_vec(), 501),
        (b"GET / HTTP/2.0\r\nHost: t\r\n\r\n".to_vec(), 505),
        (request("POST /echo HTTP/1.1", &["Transfer-Encoding: gzip"], b""), 501),
        (request("POST /echo HTTP/1.1", &["Expect: 200-ok"], b""), 417),
        (get(&format!("/{}", "a".repeat(1100))), 414),
        (
            request("GET / HTTP/1.1", &[&format!("X-Big: {}", "b".repeat(2100))], b""),
            431,
        ),
    ];
    for (input, status) in cases {
        let mut with_next = input.clone();
        with_next.extend_from_slice(&get("/"));
        let out = run(&app(), &with_next, 8192, End::Eof);
        let all = parse_all(&out, &[]);
        assert_eq!(all.len(), 1, "{all:#?}");
        assert_eq!(all[0].status, status, "{}", memio::lossy(&input[..input.len().min(60)]));
        assert!(all[0].closes());
    }
}

/// A request line over the limit is refused while it is still arriving
/// (414 without waiting for its end); one exactly at the limit is served
/// however it is split — also when a read ends between its CR and LF.
#[test]
fn request_line_limit_through_the_engine() {
    let head = ferrodot::http::parse::HeadLimits {
        max_request_line: 40,
        ..Config::DEFAULT.head
    };
    let app = app_with(Config {
        head,
        ..Config::DEFAULT
    });
    // "GET " + target + " HTTP/1.1" = 13 + target
    let target = format!("/cap/user/{}", "u".repeat(40 - 13 - 10));
    let input = request(&format!("GET {target} HTTP/1.1"), &[], b"");
    assert_eq!(input.iter().position(|&b| b == b'\r'), Some(40));
    let whole = run(&app, &input, input.len(), End::Eof);
    assert_eq!(parse_all(&whole, &[])[0].status, 200);
    for k in 1..input.len() {
        let mut t = MemTransport::new(vec![input[..k].to_vec(), input[k..].to_vec()], usize::MAX, End::Eof);
        assert_eq!(serve(&app, &mut t), Ok(()));
        assert_eq!(memio::lossy(&t.out), memio::lossy(&whole), "split at {k}");
    }
    // one byte longer, and never ending: refused after the limit
    let endless = format!("GET /{}", "x".repeat(5000));
    let mut t = MemTransport::chunked(endless.as_bytes(), 8, End::Stall);
    assert_eq!(serve(&app, &mut t), Ok(()));
    let all = parse_all(&t.out, &[]);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, 414);
    assert!(t.consumed < 100, "read {} bytes of an endless line", t.consumed);
}

// ------------------------------------------------------- connection handling

/// RFC 9112 §9.6: "Connection: close" is the last request; pipelined
/// bytes after it are not served.
#[test]
fn connection_close_is_honoured() {
    let mut input = request("GET / HTTP/1.1", &["Connection: close"], b"");
    input.extend_from_slice(&get("/items/1"));
    let all = exchange(&input, &[]);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].text(), "hello");
    assert!(all[0].closes());
}

/// RFC 9112 §9.3: HTTP/1.0 closes unless the client asks for
/// keep-alive; then the server says so and keeps reading.
#[test]
fn http10_persistence() {
    let mut input = b"GET / HTTP/1.0\r\n\r\n".to_vec();
    input.extend_from_slice(b"GET /items/1 HTTP/1.0\r\n\r\n");
    let all = exchange(&input, &[]);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(all[0].closes());

    let mut input = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".to_vec();
    input.extend_from_slice(b"GET /items/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    input.extend_from_slice(b"GET /items/2 HTTP/1.0\r\n\r\n");
    input.extend_from_slice(b"GET /items/3 HTTP/1.0\r\n\r\n");
    let all = exchange(&input, &[]);
    let texts: Vec<&str> = all.iter().map(Resp::text).collect();
    assert_eq!(texts, ["hello", "item 1", "item 2"]);
    assert_eq!(all[0].header("connection"), Some("keep-alive"));
    assert_eq!(all[1].header("connection"), Some("keep-alive"));
    assert!(all[2].closes());
}

/// RFC 9112 §6.3 (8) / §7: an HTTP/1.0 client cannot read chunked, so a
/// body of unknown length is delimited by closing the connection.
#[test]
fn large_bodies_are_chunked_or_close_delimited() {
    let expected = big_body();
    let r = one(&get("/big"));
    assert_eq!(r.framing, RespFraming::Chunked);
    assert_eq!(r.body, expected);
    assert!(!r.closes());

    let mut input = b"GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".to_vec();
    input.extend_from_slice(b"GET / HTTP/1.0\r\n\r\n");
    let all = exchange(&input, &[]);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].framing, RespFraming::UntilClose);
    assert!(all[0].closes());
    assert_eq!(all[0].body, expected);
}

fn big_body() -> Vec<u8> {
    (0..3000).map(|i| b'a' + (i % 26) as u8).collect()
}

/// RFC 9110 §10.1.1: with "Expect: 100-continue" the server sends the
/// interim 100 before it reads the body, then the final response.
#[test]
fn expect_continue_gets_an_interim_100() {
    let head = request(
        "POST /echo HTTP/1.1",
        &["Content-Length: 5", "Expect: 100-continue"],
        b"",
    );
    let mut t = MemTransport::new(vec![head.clone(), b"hello".to_vec()], usize::MAX, End::Eof);
    assert_eq!(serve(&app(), &mut t), Ok(()));
    let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
    assert!(t.out.starts_with(interim), "{}", memio::lossy(&t.out));
    // the 100 went out when only the head had been read
    let first_write = t.events.iter().find_map(|e| match e {
        Event::Write { consumed, .. } => Some(*consumed),
        _ => None,
    });
    assert_eq!(first_write, Some(head.len()));
    let all = parse_all(&t.out, &[]);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].status, 100);
    assert_eq!((all[1].status, all[1].text()), (200, "hello"));

    // the same with a chunked body read in pieces
    let head = request(
        "POST /stream HTTP/1.1",
        &["Transfer-Encoding: chunked", "Expect: 100-continue"],
        b"",
    );
    let mut t = MemTransport::new(vec![head, chunked(&["abc", "de"])], 1, End::Eof);
    assert_eq!(serve(&app(), &mut t), Ok(()));
    let all = parse_all(&t.out, &[]);
    let statuses: Vec<u16> = all.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [100, 200]);
    assert_eq!(all[1].text(), "5 bytes: abcde");
}

/// RFC 9110 §10.1.1: a server may answer finally instead of 100 when it
/// will not read the body (here: 413) — and then no 100 may follow.
#[test]
fn expect_continue_refused_early() {
    let head = request(
        "POST /small HTTP/1.1",
        &["Content-Length: 100", "Expect: 100-continue"],
        b"",
    );
    let mut t = MemTransport::new(vec![head], usize::MAX, End::Stall);
    assert_eq!(serve(&app(), &mut t), Ok(()));
    let all = parse_all(&t.out, &[]);
    let statuses: Vec<u16> = all.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [413]);
    assert!(all[0].closes());
}

/// RFC 9110 §10.1.1: "A server that receives a 100-continue expectation
/// in an HTTP/1.0 request MUST ignore that expectation", and §15.2: a
/// server "MUST NOT send a 1xx response to an HTTP/1.0 client".
#[test]
fn expect_continue_ignored_for_http10() {
    let head = b"POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n".to_vec();
    let mut t = MemTransport::new(vec![head, b"hello".to_vec()], usize::MAX, End::Eof);
    assert_eq!(serve(&app(), &mut t), Ok(()));
    let all = parse_all(&t.out, &[]);
    let statuses: Vec<u16> = all.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200], "{}", memio::lossy(&t.out));
    assert_eq!(all[0].text(), "hello");
}

/// RFC 9110 §10.1.1: after the final response no 100 (Continue) may be
/// sent — the client would take it for the answer to its next request.
/// A handler that ignores the body of an "Expect: 100-continue" request
/// gets its response out; the engine must then not ask for the body.
#[test]
fn no_interim_100_after_the_final_response() {
    let head = request(
        "POST /ignore HTTP/1.1",
        &["Content-Length: 5", "Expect: 100-continue"],
        b"",
    );
    let mut t = MemTransport::new(vec![head], usize::MAX, End::Stall);
    assert_eq!(serve(&app(), &mut t), Ok(()));
    let all = parse_all(&t.out, &[]);
    let statuses: Vec<u16> = all.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200], "{}", memio::lossy(&t.out));
}

/// A body the handler did not read is skipped so the next pipelined
/// request is found (RFC 9112 §9.3.2), for both framings.
#[test]
fn unread_bodies_are_skipped() {
    let mut input = request("POST /ignore HTTP/1.1", &["Content-Length: 5"], b"GET /");
    input.extend_from_slice(&request(
        "POST /ignore HTTP/1.1",
        &["Transfer-Encoding: chunked"],
        &chunked(&["GET /x HTTP/1.1\r\n\r\n"]),
    ));
    input.extend_from_slice(&get("/items/3"));
    let all = exchange(&input, &[]);
    let texts: Vec<&str> = all.iter().map(Resp::text).collect();
    assert_eq!(texts, ["ignored", "ignored", "item 3"]);
}

/// RFC 9110 §8.6 / RFC 9112 §6.3: a GET may carry a body; it is skipped.
#[test]
fn body_on_get_is_skipped() {
    let input = [
        request("GET /items/1 HTTP/1.1", &["Content-Length: 5"], b"GET /"),
        get("/items/2"),
    ]
    .concat();
    let all = exchange(&input, &[]);
    let texts: Vec<&str> = all.iter().map(Resp::text).collect();
    assert_eq!(texts, ["item 1", "item 2"]);
}

/// RFC 9112 §3.2.2: an absolute-form target is routed by its path.
#[test]
fn absolute_form_is_routed() {
    let r = one(&get("http://test/items/4?x=1"));
    assert_eq!((r.status, r.text()), (200, "item 4"));
    let r = one(&get("http://test"));
    assert_eq!((r.status, r.text()), (200, "hello"));
}

/// Error responses to HEAD carry their length but no body.
#[test]
fn head_errors_have_no_body() {
    let input = [
        request("HEAD /nope HTTP/1.1", &[], b""),
        request("HEAD /echo HTTP/1.1", &[], b""),
        get("/"),
    ]
    .concat();
    let out = run(&app(), &input, input.len(), End::Eof);
    let all = parse_all(&out, &[true, true, false]);
    let statuses: Vec<u16> = all.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [404, 405, 200]);
    assert!(all[0].header("content-length").is_some_and(|n| n != "0"));
    assert_eq!(all[1].header("allow"), Some("POST, OPTIONS"));
    assert_eq!(all[2].text(), "hello");
}

/// Bodies larger than the connection buffer stream through a
/// `BodyReader` in both framings, and a request pipelined behind them
/// is still found, however the bytes are split.
#[test]
fn large_streamed_bodies() {
    let data: Vec<u8> = (0..5000u32).map(|i| b'A' + (i % 23) as u8).collect();
    let text = String::from_utf8(data.clone()).expect("ASCII");
    let pieces: Vec<&str> = text
        .as_bytes()
        .chunks(700)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect();
    let input = [
        request("POST /stream HTTP/1.1", &["Content-Length: 5000"], &data),
        request(
            "POST /stream HTTP/1.1",
            &["Transfer-Encoding: chunked"],
            &chunked(&pieces),
        ),
        get("/items/6"),
    ]
    .concat();
    let whole = run(&app(), &input, input.len(), End::Eof);
    let all = parse_all(&whole, &[]);
    let want = format!("5000 bytes: {text}");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].text(), want);
    assert_eq!(all[1].text(), want);
    assert_eq!(all[2].text(), "item 6");
    for chunk in [1, 2, 7, 100, 1000, 2047, 2048, 4096] {
        assert_eq!(run(&app(), &input, chunk, End::Eof), whole, "reads of {chunk}");
    }
    for k in (1..input.len()).step_by(97) {
        let mut t = MemTransport::new(vec![input[..k].to_vec(), input[k..].to_vec()], usize::MAX, End::Eof);
        assert_eq!(serve(&app(), &mut t), Ok(()));
        assert_eq!(t.out, whole, "split at {k}");
    }
    // collected, the same body does not fit the buffer: 413, not a panic
    let r = one(&request("POST /echo HTTP/1.1", &["Content-Length: 5000"], &data));
    assert_eq!(r.status, 413);
    let out = run(
        &app(),
        &request(
            "POST /echo HTTP/1.1",
            &["Transfer-Encoding: chunked"],
            &chunked(&pieces),
        ),
        512,
        End::Eof,
    );
    assert_eq!(parse_all(&out, &[])[0].status, 413);
}

/// RFC 9112 §2.2: empty lines before a request line are ignored, also
/// when they arrive in the same read as the request.
#[test]
fn leading_empty_lines() {
    for prefix in ["\r\n", "\r\n\r\n", "\n\n", "\r\n\r\n\r\n\r\n"] {
        let mut input = prefix.as_bytes().to_vec();
        input.extend_from_slice(&get("/items/8"));
        input.extend_from_slice(prefix.as_bytes());
        input.extend_from_slice(&get("/items/9"));
        let all = exchange(&input, &[]);
        let texts: Vec<&str> = all.iter().map(Resp::text).collect();
        assert_eq!(texts, ["item 8", "item 9"], "{prefix:?}");
    }
}

/// A socket that takes a few bytes per write gets the same bytes.
#[test]
fn short_writes() {
    let input = [
        get("/"),
        get("/big"),
        request("POST /echo HTTP/1.1", &["Content-Length: 3"], b"abc"),
    ]
    .concat();
    let whole = run(&app(), &input, input.len(), End::Eof);
    for limit in [1, 3, 7, 100] {
        let mut t = MemTransport::chunked(&input, input.len(), End::Eof).write_limit(limit);
        assert_eq!(serve(&app(), &mut t), Ok(()));
        assert_eq!(t.out, whole, "write limit {limit}");
    }
}

// -------------------------------------------------- the full set, split every way

/// A keep-alive conversation exercising most of the engine, pipelined
/// in one stream, with its expected answers.
fn conversation() -> (Vec<u8>, Vec<(u16, &'static str)>, Vec<bool>) {
    let reqs: Vec<(Vec<u8>, u16, &'static str, bool)> = vec![
        (get("/"), 200, "hello", false),
        (get("/items/42"), 200, "item 42", false),
        (get("/search?tag=a&tag=b+c&n=7"), 200, "tags=a,b c n=Some(7)", false),
        (
            request("POST /echo HTTP/1.1", &["Content-Length: 11"], b"hello world"),
            200,
            "hello world",
            false,
        ),
        (
            request(
                "POST /echo HTTP/1.1",
                &["Transfer-Encoding: chunked"],
                &chunked(&["hello", " world"]),
            ),
            200,
            "hello world",
            false,
        ),
        (
            request(
                "POST /json HTTP/1.1",
                &["Content-Type: application/json", "Content-Length: 9"],
                b"[1, 2, 3]",
            ),
            200,
            "[6,6]",
            false,
        ),
        (
            request(
                "POST /stream HTTP/1.1",
                &["Transfer-Encoding: chunked"],
                b"4;ext=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
            ),
            200,
            "14 bytes: abcd0123456789",
            false,
        ),
        (
            request("POST /stream HTTP/1.1", &["Content-Length: 9"], b"streaming"),
            200,
            "9 bytes: streaming",
            false,
        ),
        (request("HEAD / HTTP/1.1", &[], b""), 200, "", true),
        (request("OPTIONS /items/1 HTTP/1.1", &[], b""), 200, "", false),
        (get("/nope"), 404, "Not Found: no such resource\n", false),
        (
            request("DELETE /items/1 HTTP/1.1", &[], b""),
            405,
            "Method Not Allowed: method not allowed here\n",
            false,
        ),
        (
            request("PUT /strict HTTP/1.1", &[], b""),
            411,
            "Length Required: Content-Length required\n",
            false,
        ),
        (
            request("POST /ignore HTTP/1.1", &["Content-Length: 5"], b"abcde"),
            200,
            "ignored",
            false,
        ),
        (
            request(
                "POST /ignore HTTP/1.1",
                &["Transfer-Encoding: chunked"],
                &chunked(&["xyz"]),
            ),
            200,
            "ignored",
            false,
        ),
        (get("/cap/multi/1"), 200, "/cap/multi/:a/:b? n=2 [1] - a=[1] b=-", false),
        (
            request("GET /items/5 HTTP/1.1", &["Connection: close"], b""),
            200,
            "item 5",
            false,
        ),
        // after "Connection: close": never answered
        (get("/"), 0, "", false),
    ];
    let mut input = Vec::new();
    let mut expected = Vec::new();
    let mut heads = Vec::new();
    for (bytes, status, body, head) in reqs {
        input.extend_from_slice(&bytes);
        if status != 0 {
            expected.push((status, body));
            heads.push(head);
        }
    }
    (input, expected, heads)
}

#[test]
fn full_conversation() {
    let (input, expected, heads) = conversation();
    let out = run(&app(), &input, input.len(), End::Eof);
    let all = parse_all(&out, &heads);
    let got: Vec<(u16, &str)> = all.iter().map(|r| (r.status, r.text())).collect();
    assert_eq!(got, expected);
    // every response but the last keeps the connection open
    for r in &all[..all.len() - 1] {
        assert!(!r.closes(), "{r:#?}");
    }
    assert!(all[all.len() - 1].closes());
    assert_eq!(
        all[8].header("content-length"),
        Some("5"),
        "HEAD / announces GET's length"
    );
    assert_eq!(all[9].header("allow"), Some("GET, HEAD, PUT, OPTIONS"));
    assert_eq!(all[11].header("allow"), Some("GET, HEAD, PUT, OPTIONS"));
}

/// The whole conversation, delivered one byte per read and cut at every
/// byte into two reads, gives byte-for-byte the same responses.
#[test]
fn full_conversation_every_split() {
    let (input, expected, heads) = conversation();
    let out = assert_split_invariant(&input);
    assert_eq!(parse_all(&out, &heads).len(), expected.len());
}

/// Smaller conversations in odd read sizes (primes, so pieces straddle
/// every boundary differently).
#[test]
fn conversation_in_odd_read_sizes() {
    let (input, _, _) = conversation();
    let whole = run(&app(), &input, input.len(), End::Eof);
    for chunk in [2, 3, 5, 7, 11, 13, 64, 127, 509] {
        assert_eq!(
            memio::lossy(&run(&app(), &input, chunk, End::Eof)),
            memio::lossy(&whole),
            "reads of {chunk}"
        );
    }
}

/// Each error-and-close case, split every way.
#[test]
fn rejections_every_split() {
    for input in [
        request(
            "POST /echo HTTP/1.1",
            &["Content-Length: 5", "Transfer-Encoding: chunked"],
            b"0\r\n\r\n",
        ),
        [
            request("POST /small HTTP/1.1", &["Content-Length: 9"], b"123456789"),
            get("/"),
        ]
        .concat(),
        [
            request(
                "POST /small HTTP/1.1",
                &["Transfer-Encoding: chunked"],
                &chunked(&["12345", "6789"]),
            ),
            get("/"),
        ]
        .concat(),
        [
            request("POST /echo HTTP/1.1", &["Transfer-Encoding: chunked"], b"3\r\nabcX"),
            get("/"),
        ]
        .concat(),
        [b"GET / HTTP/1.0\r\n\r\n".to_vec(), get("/")].concat(),
    ] {
        let out = assert_split_invariant(&input);
        let all = parse_all(&out, &[]);
        assert_eq!(all.len(), 1, "{}", memio::lossy(&out));
        assert!(all[0].closes());
    }
}

// ------------------------------------------------------------------ timeouts

/// Slowloris: a head that stops arriving gets 408 Request Timeout
/// (RFC 9110 §15.5.9) once the head deadline passes, then the
/// connection closes.
#[test]
fn stalled_head_gets_408() {
    for partial in [&b"G"[..], b"GET / HTTP/1.1\r\n", b"GET / HTTP/1.1\r\nHost: t\r\n"] {
        let mut t = MemTransport::chunked(partial, 1, End::Stall);
        assert_eq!(serve(&app(), &mut t), Ok(()));
        let all = parse_all(&t.out, &[]);
        assert_eq!(all.len(), 1, "{}", memio::lossy(&t.out));
        assert_eq!(all[0].status, 408);
        assert!(all[0].closes());
        assert_eq!(t.timeouts(), [Some(TIMEOUTS.head_ms)], "the head deadline was in force");
    }
}

/// A connection that never sends a byte is closed silently when the
/// first-byte deadline passes (no 408 to a client that asked nothing,
/// RFC 9112 §9.5 — e.g. a browser's pre-connect).
#[test]
fn idle_connection_closes_without_a_response() {
    let mut t = MemTransport::new(vec![], 1, End::Stall);
    assert_eq!(serve(&app(), &mut t), Ok(()));
    assert!(t.out.is_empty(), "{}", memio::lossy(&t.out));
    assert_eq!(t.timeouts(), [Some(TIMEOUTS.first_byte_ms)]);
    assert!(t.events.contains(&Event::Idle(true)));
}

/// Between keep-alive requests the idle deadline applies; running out of
/// it closes without a response.
#[test]
fn keep_alive_idle_timeout() {
    let input = [get("/"), get("/items/1")].concat();
    let mut t = MemTransport::chunked(&input, input.len(), End::Stall);
    assert_eq!(serve(&app(), &mut t), Ok(()));
    let all = parse_all(&t.out, &[]);
    assert_eq!(all.iter().map(|r| r.status).collect::<Vec<_>>(), [200, 200]);
    assert_eq!(t.timeouts(), [Some(TIMEOUTS.idle_ms)]);
}

/// A client that closes instead of sending another request: no answer.
#[test]
fn eof_between_requests_closes_quietly() {
    let mut t = MemTransport::chunked(&get("/"), 3, End::Eof);
    assert_eq!(serve(&app(), &mut t), Ok(()));
    assert_eq!(parse_all(&t.out, &[]).len(), 1);
    assert!(t.events.contains(&Event::Eof));
}

/// A body that stops arriving: 408 under the body deadline, then close.
#[test]
fn stalled_body_gets_408() {
    for (route, framing, partial) in [
        ("/echo", "Content-Length: 10", &b"hello"[..]),
        ("/echo", "Transfer-Encoding: chunked", b"a\r\nhello"),
        ("/stream", "Content-Length: 10", b"hel"),
    ] {
        let mut input = request(&format!("POST {route} HTTP/1.1"), &[framing], b"");
        input.extend_from_slice(partial);
        let mut t = MemTransport::chunked(&input, 4, End::Stall);
        assert_eq!(serve(&app(), &mut t), Ok(()));
        let all = parse_all(&t.out, &[]);
        assert_eq!(all.len(), 1, "{}", memio::lossy(&t.out));
        assert_eq!(all[0].status, 408, "{route} {framing}");
        assert!(all[0].closes());
        assert_eq!(t.timeouts(), [Some(TIMEOUTS.body_ms)]);
    }
}

/// A body cut short by the peer closing is not answered as complete.
#[test]
fn truncated_body_is_not_served() {
    let mut input = request("POST /echo HTTP/1.1", &["Content-Length: 10"], b"");
    input.extend_from_slice(b"hello");
    let out = run(&app(), &input, 4, End::Eof);
    let all = parse_all(&out, &[]);
    assert!(all.iter().all(|r| r.status != 200), "{}", memio::lossy(&out));
}
