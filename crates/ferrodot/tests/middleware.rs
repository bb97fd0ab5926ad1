//! The middleware together, as an app uses them: a login form and HTTP
//! Basic on admin routes, CORS and CSRF on the API, a per-client rate
//! limit on everything; through the in-process TestClient and over real
//! TCP (raw sockets and curl), with the bad input of issue 16.

mod common;

use std::cell::Cell;
use std::net::SocketAddr;
use std::time::Duration;

use common::{curl_resp, Conn, TestServer};
use ferrodot::app::layer::{InState, Layered};
use ferrodot::middleware::auth::{ct_eq, Auth, Verdict};
use ferrodot::middleware::cookie::{Cookies, SetCookie, WithCookie};
use ferrodot::middleware::cors::Cors;
use ferrodot::middleware::csrf::Csrf;
use ferrodot::middleware::ratelimit::{host_millis, ConnectionRate, RateLimit};
use ferrodot::middleware::session::{HasSessions, Session, Sessions, Signed};
use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;
use ferrodot::testing::{TestClient, TestResponse};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------

thread_local! {
    /// The TestClient serves on the calling thread: each test has its own clock.
    static NOW_MS: Cell<u64> = const { Cell::new(1_000_000) };
}

fn test_clock_ms() -> u64 {
    NOW_MS.with(Cell::get)
}

fn test_clock_s() -> u64 {
    test_clock_ms() / 1000
}

fn advance(ms: u64) {
    NOW_MS.with(|t| t.set(t.get() + ms));
}

struct Panel {
    password: &'static str,
    sessions: Sessions<'static>,
    limit: RateLimit<8>,
}

impl HasSessions for Panel {
    fn sessions(&self) -> &Sessions<'_> {
        &self.sessions
    }
}

#[derive(Serialize, Deserialize)]
struct Login {
    admin: bool,
}

const KEY: &[u8] = b"the panel's key, 32 random bytes";
const OTHER_KEY: &[u8] = b"somebody else's key, 32 bytes...";

fn panel(clock_ms: fn() -> u64, clock_s: fn() -> u64, rate: u32) -> Panel {
    Panel {
        password: "s3cret",
        sessions: Sessions::new(&[KEY], clock_s).max_age(600),
        limit: RateLimit::per_second(rate, clock_ms),
    }
}

fn basic(panel: &Panel, user: &str, password: &str) -> Verdict {
    match (user, ct_eq(password.as_bytes(), panel.password.as_bytes())) {
        ("admin", true) => Verdict::Allow,
        ("viewer", true) => Verdict::Deny,
        _ => Verdict::Reject,
    }
}

fn logged_in(panel: &Panel, req: &Request<'_>) -> Verdict {
    match panel.sessions.load::<Login>(req) {
        Some(Login { admin: true }) => Verdict::Allow,
        Some(_) => Verdict::Deny,
        None => Verdict::Reject,
    }
}

static CORS: Cors = Cors::new(&["http://allowed.test", "http://*.friends.test"])
    .headers(&["content-type", "authorization"])
    .credentials()
    .expose("X-Total")
    .max_age(60);
static ADMIN: Auth<Panel> = Auth::new("panel").basic(basic).session(logged_in);

async fn index(Session(login): Session<Login>) -> &'static str {
    match login {
        Some(Login { admin: true }) => "hello admin",
        _ => "hello",
    }
}

type LoggedIn<'a> = WithCookie<'a, Signed<'a, Login>, Redirect<'static>>;

async fn login<'r>(State(panel): State<&'r Panel>, form: Form<'r>) -> Result<LoggedIn<'r>, Rejection> {
    let user = form.get("username").map(|u| u.to_string_lossy());
    let password = form.get("password").map(|p| p.to_string_lossy()).unwrap_or_default();
    if user.as_deref() == Some("admin") && ct_eq(password.as_bytes(), panel.password.as_bytes()) {
        let cookie = panel.sessions.cookie(Login { admin: true });
        Ok(WithCookie(cookie, Redirect(Status::SEE_OTHER, "/")))
    } else {
        Err(Rejection::new(Status::FORBIDDEN, "wrong user name or password"))
    }
}

async fn logout(State(panel): State<&Panel>) -> WithCookie<'_, &str, Redirect<'static>> {
    WithCookie(panel.sessions.removal(), Redirect(Status::SEE_OTHER, "/"))
}

async fn theme(cookies: Cookies<'_>) -> String {
    format!("theme={}", cookies.get("theme").unwrap_or("none"))
}

async fn set_theme(Path(name): Path<&str>) -> WithCookie<'_, &str, Status> {
    WithCookie(SetCookie::new("theme", name).path("/"), Status::NO_CONTENT)
}

/// The value decoded from the query: what a careless app would pass on.
async fn set_theme_query(query: Query<'_>) -> WithCookie<'static, String, Status> {
    let name = query.get("name").map(|n| n.to_string_lossy()).unwrap_or_default();
    WithCookie(SetCookie::new("theme", name).path("/"), Status::NO_CONTENT)
}

async fn get_config() -> ([(&'static str, &'static str); 1], &'static str) {
    ([("X-Total", "1")], "{\"interval_ms\":100}")
}

async fn put_config(Text(body): Text<'_>) -> String {
    format!("saved {body}")
}

ferrodot::routes! {
    Public<Panel> {
        GET "/" => index,
        POST "/login" => login,
        POST "/logout" => logout,
        GET "/theme" => theme,
        POST "/theme/:name" => set_theme,
        POST "/theme" => set_theme_query,
    }
}

ferrodot::routes! {
    Admin<Panel> {
        GET "/config" => get_config,
        PUT "/config" => put_config,
    }
}

ferrodot::routes! {
    Open<Panel> {
        GET "/open" => index,
    }
}

type Routes = (
    Layered<
        (InState<Panel, RateLimit<8>>, Csrf<'static>),
        (
            Layered<&'static Cors<'static>, Public>,
            Layered<(&'static Cors<'static>, &'static Auth<Panel>), Admin>,
        ),
    >,
    Open,
);

fn app(state: Panel) -> App<Panel, Routes> {
    let layers = (InState(|p: &Panel| &p.limit), Csrf::new().allow(&CORS));
    let api = (Layered::new(&CORS, Public), Layered::new((&CORS, &ADMIN), Admin));
    App::new(state, (Layered::new(layers, api), Open))
}

fn test_app() -> App<Panel, Routes> {
    app(panel(test_clock_ms, test_clock_s, 1000))
}

const ADDR: &str = "192.0.2.10:5000";

fn client(app: &App<Panel, Routes>) -> TestClient<'_, Panel, Routes> {
    TestClient::new(app).client_addr(ADDR.parse().unwrap())
}

fn all<'a>(resp: &'a TestResponse, name: &str) -> Vec<&'a str> {
    resp.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// `name=value` of a `Set-Cookie` header.
fn cookie_pair(resp: &TestResponse) -> String {
    let set = resp.header("set-cookie").expect("a Set-Cookie header");
    set.split(';').next().unwrap().to_string()
}

fn form_login(c: &TestClient<'_, Panel, Routes>, user: &str, password: &str) -> TestResponse {
    c.request(Method::Post, "/login")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={password}"))
        .send()
}

fn put_with(c: &TestClient<'_, Panel, Routes>, name: &str, value: &str) -> TestResponse {
    c.request(Method::Put, "/config").header(name, value).body("{}").send()
}

// ---------------------------------------------------------------------------
// Login flow and auth (TestClient)
// ---------------------------------------------------------------------------

#[test]
fn login_session_protected_route_logout() {
    let app = test_app();
    let c = client(&app);
    assert_eq!(c.put("/config", "{}").status, Status::UNAUTHORIZED);

    let wrong = form_login(&c, "admin", "guess");
    assert_eq!(wrong.status, Status::FORBIDDEN);
    assert_eq!(wrong.header("set-cookie"), None);

    let ok = form_login(&c, "admin", "s3cret");
    assert_eq!(ok.status, Status::SEE_OTHER);
    assert_eq!(ok.header("location"), Some("/"));
    let set = ok.header("set-cookie").unwrap();
    assert!(set.starts_with("session="), "{set}");
    for attribute in ["; Path=/", "; Max-Age=600", "; HttpOnly", "; SameSite=Lax"] {
        assert!(set.contains(attribute), "{set} lacks {attribute}");
    }
    let session = cookie_pair(&ok);

    let page = c.request(Method::Get, "/").header("Cookie", &session).send();
    assert_eq!(page.text(), "hello admin");
    let saved = put_with(&c, "Cookie", &session);
    assert_eq!((saved.status, saved.text()), (Status::OK, "saved {}".to_string()));

    let out = c.request(Method::Post, "/logout").header("Cookie", &session).send();
    assert_eq!(out.status, Status::SEE_OTHER);
    let removal = out.header("set-cookie").unwrap();
    assert!(
        removal.starts_with("session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970"),
        "{removal}"
    );

    // The session ends on its own when it expires.
    advance(601_000);
    assert_eq!(put_with(&c, "Cookie", &session).status, Status::UNAUTHORIZED);
    assert_eq!(
        c.request(Method::Get, "/").header("Cookie", &session).send().text(),
        "hello"
    );
}

#[test]
fn basic_auth_verdicts_and_challenges() {
    let app = test_app();
    let c = client(&app);
    let anonymous = c.put("/config", "{}");
    assert_eq!(anonymous.status, Status::UNAUTHORIZED);
    assert_eq!(
        all(&anonymous, "www-authenticate"),
        [r#"Basic realm="panel", charset="UTF-8""#]
    );
    // admin:s3cret, viewer:s3cret, admin:nope
    assert_eq!(
        put_with(&c, "Authorization", "Basic YWRtaW46czNjcmV0").status,
        Status::OK
    );
    let viewer = put_with(&c, "Authorization", "Basic dmlld2VyOnMzY3JldA==");
    assert_eq!(viewer.status, Status::FORBIDDEN);
    assert_eq!(viewer.header("www-authenticate"), None);
    let wrong = put_with(&c, "Authorization", "Basic YWRtaW46bm9wZQ==");
    assert_eq!(wrong.status, Status::UNAUTHORIZED);
    assert!(wrong.header("www-authenticate").is_some());
    // A page's script gets no Basic challenge (no password dialog) but the
    // login form's; a navigation gets Basic.
    let script = c
        .request(Method::Put, "/config")
        .header("Sec-Fetch-Mode", "cors")
        .send();
    assert_eq!(
        (script.status, all(&script, "www-authenticate")),
        (Status::UNAUTHORIZED, vec![r#"Cookie realm="panel""#])
    );
    let navigation = c
        .request(Method::Get, "/config")
        .header("Sec-Fetch-Mode", "navigate")
        .send();
    assert!(navigation.header("www-authenticate").is_some());
    // A scheme this app does not accept.
    assert_eq!(put_with(&c, "Authorization", "Bearer abc").status, Status::UNAUTHORIZED);
    // GET /config is in the same protected group; /open is not.
    assert_eq!(c.get("/config").status, Status::UNAUTHORIZED);
    assert_eq!(c.get("/open").status, Status::OK);
}

#[test]
fn unreadable_credentials_are_400_with_a_reason() {
    let app = test_app();
    let c = client(&app);
    let cases: Vec<(String, &str)> = vec![
        ("Basic %%%notbase64%%%".into(), "not valid base64"),
        ("Basic YWRtaW4=".into(), "no ':'"), // "admin"
        ("Basic /w==".into(), "not UTF-8"),
        (format!("Basic {}", "QUFB".repeat(100)), "not valid base64"),
    ];
    for (value, reason) in cases {
        let resp = put_with(&c, "Authorization", &value);
        assert_eq!(resp.status, Status::BAD_REQUEST, "{value}");
        assert!(resp.text().contains(reason), "{value}: {}", resp.text());
    }
}

#[test]
fn sessions_signed_elsewhere_tampered_or_malformed_are_no_session() {
    let app = test_app();
    let c = client(&app);
    let foreign = App::new(
        Panel {
            sessions: Sessions::new(&[OTHER_KEY], test_clock_s),
            ..panel(test_clock_ms, test_clock_s, 1000)
        },
        app_routes(),
    );
    let theirs = cookie_pair(&form_login(&client(&foreign), "admin", "s3cret"));
    let ours = cookie_pair(&form_login(&c, "admin", "s3cret"));
    let (body, tag) = ours.split_once('.').unwrap();
    let flipped = format!("{body}.{}", tag.chars().rev().collect::<String>());
    for cookie in [
        theirs.as_str(),
        &flipped,
        "session=",
        "session=....",
        "session=%%%.%%%",
        "session=bm90IHNpZ25lZA",
        &format!("session={}", "A".repeat(1500)),
    ] {
        let resp = put_with(&c, "Cookie", cookie);
        assert_eq!(resp.status, Status::UNAUTHORIZED, "{cookie}");
        let page = c.request(Method::Get, "/").header("Cookie", cookie).send();
        assert_eq!(
            (page.status, page.text()),
            (Status::OK, "hello".to_string()),
            "{cookie}"
        );
    }
    // Ours still works among other cookies, in a second Cookie header.
    let resp = c
        .request(Method::Put, "/config")
        .header("Cookie", "a=1; b=2")
        .header("Cookie", &format!("session=junk; {ours}"))
        .body("{}")
        .send();
    assert_eq!(resp.status, Status::OK);
}

fn app_routes() -> Routes {
    test_app().routes
}

// ---------------------------------------------------------------------------
// Cookies (TestClient)
// ---------------------------------------------------------------------------

#[test]
fn cookies_read_and_set() {
    let app = test_app();
    let c = client(&app);
    let set = c.post("/theme/dark", "");
    assert_eq!(set.status, Status::NO_CONTENT);
    assert_eq!(set.header("set-cookie"), Some("theme=dark; Path=/"));
    let read = c
        .request(Method::Get, "/theme")
        .header("Cookie", "theme=\"dark\"")
        .send();
    assert_eq!(read.text(), "theme=dark");
    // 200 cookies (within the 2 KiB head limit): read in place, the last one found.
    let many: Vec<String> = (0..199).map(|i| format!("c{i}=1")).collect();
    let line = format!("{}; theme=blue", many.join("; "));
    let read = c.request(Method::Get, "/theme").header("Cookie", &line).send();
    assert_eq!((read.status, read.text()), (Status::OK, "theme=blue".to_string()));
}

#[test]
fn cookie_injection_is_refused_not_sent() {
    let app = test_app();
    let c = client(&app);
    // The raw capture keeps its percent-encoding: `%` is a cookie octet.
    let resp = c.post("/theme/a%3BHttpOnly", "");
    assert_eq!(resp.header("set-cookie"), Some("theme=a%3BHttpOnly; Path=/"));
    // Decoded, the same value would add an attribute: refused with a 500.
    for query in [
        "a%3B%20HttpOnly",
        "a%0D%0ASet-Cookie:%20x=1",
        "a%00b",
        "a%2Cb",
        "%22q%22",
    ] {
        let resp = c.post(&format!("/theme?name={query}"), "");
        assert_eq!(resp.status, Status::INTERNAL_SERVER_ERROR, "{query}");
        assert_eq!(resp.header("set-cookie"), None, "{query}");
        assert_eq!(all(&resp, "x"), Vec::<&str>::new());
    }
    let resp = c.post("/theme?name=plain", "");
    assert_eq!(resp.header("set-cookie"), Some("theme=plain; Path=/"));
}

#[test]
fn oversized_cookie_headers_are_431() {
    let app = test_app();
    let c = client(&app);
    let huge = format!("theme={}", "x".repeat(8000));
    let resp = c.request(Method::Get, "/theme").header("Cookie", &huge).send();
    assert_eq!(resp.status, Status::HEADER_FIELDS_TOO_LARGE);
}

// ---------------------------------------------------------------------------
// CORS (TestClient)
// ---------------------------------------------------------------------------

fn preflight(c: &TestClient<'_, Panel, Routes>, path: &str, origin: &str, method: &str, headers: &str) -> TestResponse {
    let mut r = c
        .request(Method::Options, path)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method);
    if !headers.is_empty() {
        r = r.header("Access-Control-Request-Headers", headers);
    }
    r.send()
}

#[test]
fn preflights_are_answered_for_every_cors_route() {
    let app = test_app();
    let c = client(&app);
    for path in ["/config", "/login", "/theme/x", "/"] {
        let resp = preflight(&c, path, "http://allowed.test", "PUT", "content-type, authorization");
        assert_eq!(resp.status, Status::OK, "{path}");
        assert_eq!(resp.header("access-control-allow-origin"), Some("http://allowed.test"));
        assert_eq!(resp.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(
            resp.header("access-control-allow-methods"),
            Some("GET, HEAD, POST, PUT, PATCH, DELETE")
        );
        assert_eq!(
            resp.header("access-control-allow-headers"),
            Some("content-type, authorization")
        );
        assert_eq!(resp.header("access-control-max-age"), Some("60"));
        assert_eq!(resp.header("vary"), Some("Origin"));
        assert!(resp.header("allow").is_some());
    }
    // Wildcard subdomains.
    let sub = preflight(&c, "/config", "http://a.friends.test", "PUT", "");
    assert_eq!(sub.header("access-control-allow-origin"), Some("http://a.friends.test"));
    // A route outside the CORS groups: the engine's plain OPTIONS.
    let open = preflight(&c, "/open", "http://allowed.test", "GET", "");
    assert_eq!(open.status, Status::OK);
    assert_eq!(open.header("access-control-allow-origin"), None);
    assert_eq!(open.header("vary"), None);
}

#[test]
fn refused_preflights_get_no_cors_headers() {
    let app = test_app();
    let c = client(&app);
    let cases = [
        ("http://evil.test", "PUT", String::new()),
        ("http://friends.test", "PUT", String::new()),
        ("http://allowed.test", "TRACE", String::new()),
        ("http://allowed.test", "PUT", "x-not-allowed".to_string()),
        (
            "http://allowed.test",
            "PUT",
            (0..100)
                .map(|i| format!("content-type{i}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    for (origin, method, headers) in cases {
        let resp = preflight(&c, "/config", origin, method, &headers);
        assert_eq!(resp.status, Status::OK, "{origin} {method}");
        assert!(
            resp.headers
                .iter()
                .all(|(n, _)| !n.to_ascii_lowercase().starts_with("access-control-")),
            "{origin} {method} {headers}: {:?}",
            resp.headers
        );
        assert_eq!(resp.header("vary"), Some("Origin"));
    }
}

#[test]
fn simple_requests_and_errors_carry_cors_headers() {
    let app = test_app();
    let c = client(&app);
    let ok = c
        .request(Method::Get, "/config")
        .header("Origin", "http://allowed.test")
        .header("Authorization", "Basic YWRtaW46czNjcmV0")
        .send();
    assert_eq!(ok.status, Status::OK);
    assert_eq!(ok.header("access-control-allow-origin"), Some("http://allowed.test"));
    assert_eq!(ok.header("access-control-expose-headers"), Some("X-Total"));
    // The 401 is readable by the allowed page too.
    let denied = c
        .request(Method::Get, "/config")
        .header("Origin", "http://allowed.test")
        .send();
    assert_eq!(denied.status, Status::UNAUTHORIZED);
    assert_eq!(
        denied.header("access-control-allow-origin"),
        Some("http://allowed.test")
    );
    let other = c.request(Method::Get, "/").header("Origin", "http://evil.test").send();
    assert_eq!(other.status, Status::OK);
    assert_eq!(other.header("access-control-allow-origin"), None);
}

// ---------------------------------------------------------------------------
// CSRF (TestClient)
// ---------------------------------------------------------------------------

#[test]
fn cross_site_unsafe_requests_are_refused() {
    let app = test_app();
    let c = client(&app);
    let basic = "Basic YWRtaW46czNjcmV0";
    let put = |headers: &[(&str, &str)]| {
        let mut r = c
            .request(Method::Put, "/config")
            .header("Authorization", basic)
            .header("Host", "panel.local");
        for (n, v) in headers {
            r = r.header(n, v);
        }
        r.body("{}").send()
    };
    assert_eq!(put(&[]).status, Status::OK);
    assert_eq!(put(&[("Sec-Fetch-Site", "same-origin")]).status, Status::OK);
    assert_eq!(put(&[("Sec-Fetch-Site", "none")]).status, Status::OK);
    assert_eq!(put(&[("Origin", "http://panel.local")]).status, Status::OK);
    let forged = put(&[("Sec-Fetch-Site", "cross-site"), ("Origin", "http://evil.test")]);
    assert_eq!(forged.status, Status::FORBIDDEN);
    assert!(forged.text().contains("cross-site"));
    assert_eq!(put(&[("Origin", "http://evil.test")]).status, Status::FORBIDDEN);
    assert_eq!(put(&[("Sec-Fetch-Site", "same-site")]).status, Status::FORBIDDEN);
    assert_eq!(put(&[("Origin", "null")]).status, Status::FORBIDDEN);
    // Origins CORS allows may change things.
    assert_eq!(
        put(&[("Sec-Fetch-Site", "cross-site"), ("Origin", "http://allowed.test")]).status,
        Status::OK
    );
    assert_eq!(put(&[("Origin", "http://b.friends.test")]).status, Status::OK);
    // A forged login (login CSRF) is refused before the form is read.
    let login = c
        .request(Method::Post, "/login")
        .header("Origin", "http://evil.test")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("username=admin&password=s3cret")
        .send();
    assert_eq!(login.status, Status::FORBIDDEN);
    assert_eq!(login.header("set-cookie"), None);
    // Safe methods are never refused.
    let get = c
        .request(Method::Get, "/")
        .header("Sec-Fetch-Site", "cross-site")
        .send();
    assert_eq!(get.status, Status::OK);
}

// ---------------------------------------------------------------------------
// Rate limit (TestClient)
// ---------------------------------------------------------------------------

#[test]
fn rate_limit_429_retry_after_and_spoofed_forwarded_for() {
    let app = app(panel(test_clock_ms, test_clock_s, 3));
    let c = client(&app);
    for _ in 0..3 {
        assert_eq!(c.get("/").status, Status::OK);
    }
    let refused = c.get("/");
    assert_eq!(refused.status, Status::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(refused.text().contains("rate limit"));
    // Another X-Forwarded-For does not make a new client.
    let spoofed = c
        .request(Method::Get, "/")
        .header("X-Forwarded-For", "203.0.113.9")
        .send();
    assert_eq!(spoofed.status, Status::TOO_MANY_REQUESTS);
    // Another address is another client.
    let other = TestClient::new(&app).client_addr("192.0.2.11:5000".parse().unwrap());
    assert_eq!(other.get("/").status, Status::OK);
    // A third of a second later, one more.
    advance(334);
    assert_eq!(c.get("/").status, Status::OK);
    assert_eq!(c.get("/").status, Status::TOO_MANY_REQUESTS);
    // Routes outside the limited group are not counted.
    assert_eq!(c.get("/open").status, Status::OK);
}

#[test]
fn a_trusted_proxy_forwarded_for_names_the_client() {
    struct Proxied {
        limit: RateLimit<4>,
    }
    async fn hi() -> &'static str {
        "hi"
    }
    ferrodot::routes! { R<Proxied> { GET "/" => hi } }
    let app = App::new(
        Proxied {
            limit: RateLimit::per_second(1, test_clock_ms).trust_proxy(),
        },
        Layered::new(InState(|p: &Proxied| &p.limit), R),
    );
    let c = TestClient::new(&app).client_addr("127.0.0.1:9000".parse().unwrap());
    let from = |xff: &str| c.request(Method::Get, "/").header("X-Forwarded-For", xff).send().status;
    assert_eq!(from("198.51.100.1"), Status::OK);
    assert_eq!(from("198.51.100.1"), Status::TOO_MANY_REQUESTS);
    // The proxy appends the client it saw: the last entry counts.
    assert_eq!(from("198.51.100.1, 198.51.100.2"), Status::OK);
    // Garbage falls back to the peer address.
    assert_eq!(from("not an address"), Status::OK);
    assert_eq!(from("also not"), Status::TOO_MANY_REQUESTS);
}

// ---------------------------------------------------------------------------
// Over real TCP
// ---------------------------------------------------------------------------

fn tcp_app(rate: u32) -> App<Panel, Routes> {
    app(panel(host_millis, ferrodot::middleware::session::unix_now, rate))
}

fn request(addr: SocketAddr, raw: &str) -> common::Resp {
    let mut conn = Conn::open(addr);
    conn.send(raw.as_bytes());
    conn.response()
}

#[test]
fn tcp_login_then_protected_put() {
    let server = TestServer::start(|| tcp_app(1000), ServerOptions::default());
    let body = "username=admin&password=s3cret";
    let login = request(
        server.addr,
        &format!(
            "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(login.status, 303);
    let session = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let put = request(
        server.addr,
        &format!("PUT /config HTTP/1.1\r\nHost: x\r\nCookie: {session}\r\nContent-Length: 2\r\n\r\n{{}}"),
    );
    assert_eq!((put.status, put.text()), (200, "saved {}".to_string()));
    let anonymous = request(
        server.addr,
        "PUT /config HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.header("www-authenticate"),
        Some(r#"Basic realm="panel", charset="UTF-8""#)
    );
}

#[test]
fn curl_preflights_and_basic_auth() {
    let server = TestServer::start(|| tcp_app(1000), ServerOptions::default());
    let url = server.url("/config");
    let allowed = curl_resp(&[
        "-X",
        "OPTIONS",
        "-H",
        "Origin: http://allowed.test",
        "-H",
        "Access-Control-Request-Method: PUT",
        "-H",
        "Access-Control-Request-Headers: content-type",
        &url,
    ]);
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("http://allowed.test")
    );
    assert_eq!(allowed.header("access-control-allow-headers"), Some("content-type"));
    let refused = curl_resp(&[
        "-X",
        "OPTIONS",
        "-H",
        "Origin: http://evil.test",
        "-H",
        "Access-Control-Request-Method: PUT",
        &url,
    ]);
    assert_eq!(refused.status, 200);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    let put = curl_resp(&["-X", "PUT", "-u", "admin:s3cret", "--data-binary", "{}", &url]);
    assert_eq!((put.status, put.text()), (200, "saved {}".to_string()));
    let wrong = curl_resp(&["-X", "PUT", "-u", "admin:wrong", "--data-binary", "{}", &url]);
    assert_eq!(wrong.status, 401);
}

#[test]
fn tcp_rate_limit_per_peer_address() {
    let server = TestServer::start(|| tcp_app(5), ServerOptions::default());
    let mut conn = Conn::open(server.addr);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.9.8.7\r\n\r\n");
        let resp = conn.response();
        if resp.status == 429 {
            let wait: u64 = resp.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=1).contains(&wait), "Retry-After {wait}");
        }
        statuses.push(resp.status);
    }
    // Five in the burst; the rest (sent within a second) refused.
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 5, "{statuses:?}");
    assert_eq!(statuses[..5], [200; 5]);
    std::thread::sleep(Duration::from_millis(450));
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(conn.response().status, 200);
}

#[test]
fn tcp_new_connections_per_second() {
    let server = TestServer::start_with(
        || tcp_app(1000),
        ServerOptions::default(),
        |server| {
            let mut rate = ConnectionRate::per_second(3);
            server.admit(move |_| rate.admit())
        },
    );
    let mut served = 0;
    let mut closed = 0;
    for _ in 0..6 {
        let mut conn = Conn::open(server.addr);
        if conn
            .try_send(b"GET /open HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .is_err()
        {
            closed += 1;
            continue;
        }
        if conn.closed_within(Duration::from_secs(2)) {
            closed += 1;
        } else {
            served += 1;
        }
    }
    assert_eq!((served, closed), (3, 3));
}

/// A layer that only takes the login form's session still challenges
/// every 401 (RFC 9110 §11.6.1), with a scheme no browser prompts for.
#[test]
fn session_only_auth_challenges_with_the_login_form() {
    static FORM_ONLY: Auth<Panel> = Auth::new("panel").session(logged_in).login_page("/login");
    async fn secret() -> &'static str {
        "secret"
    }
    ferrodot::routes! { FormOnly<Panel> { PUT "/secret" => secret } }
    let app = App::new(
        panel(test_clock_ms, test_clock_s, 1000),
        Layered::new(&FORM_ONLY, FormOnly),
    );
    let c = TestClient::new(&app);
    let refused = c.put("/secret", "");
    assert_eq!(refused.status, Status::UNAUTHORIZED);
    assert_eq!(
        all(&refused, "www-authenticate"),
        [r#"Cookie realm="panel", form-action="/login""#]
    );
}
