//! mpgameserver-style resources, over real TCP and through the in-process
//! `TestClient`: several resources on one router, per-route
//! `max_content_length` (411/413) and its default, `json()`, `text()`,
//! `stream()`, `JsonResponse`/`ErrorResponse` with status and headers,
//! and the documentation notes in the route table.

mod common;

use std::cell::{Cell, RefCell};

use common::{request_once, Conn, TestServer};
use ferrodot::mpg::{
    route_table, ErrorResponse, Incoming, JsonBody, JsonResponse, NoRoutes, RouteSpec, SerializableResponse,
    DEFAULT_MAX_CONTENT_LENGTH,
};
use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;
use ferrodot::testing::TestClient;
use ferrodot::ws::callback::{CallbackOpcode, Reply};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

#[derive(Default)]
struct Scores {
    by_name: RefCell<Vec<(String, u32)>>,
}

#[derive(Deserialize)]
struct NewScore<'a> {
    name: &'a str,
    points: u32,
}

#[derive(Serialize)]
struct Score {
    name: String,
    points: u32,
}

impl Scores {
    async fn list(&self, _req: Incoming<'_>) -> JsonResponse<'static, Vec<Score>> {
        let all = self
            .by_name
            .borrow()
            .iter()
            .map(|(name, points)| Score {
                name: name.clone(),
                points: *points,
            })
            .collect();
        JsonResponse::new(all).headers(&[("Cache-Control", "no-store")])
    }

    async fn add(&self, mut req: Incoming<'_>) -> Result<JsonResponse<'static, Score>, ErrorResponse<'static>> {
        let new: NewScore<'_> = req.json().await?;
        if new.name.is_empty() {
            return Err(ErrorResponse::new("a \"name\" is required")
                .status(Status(422))
                .headers(&[("X-Field", "name")]));
        }
        self.by_name.borrow_mut().push((new.name.to_string(), new.points));
        Ok(JsonResponse::new(Score {
            name: new.name.to_string(),
            points: new.points,
        })
        .status(Status::CREATED)
        .headers(&[("Location", "/scores")]))
    }

    async fn reset(&self, _req: Incoming<'_>) -> Status {
        self.by_name.borrow_mut().clear();
        Status::NO_CONTENT
    }
}

ferrodot::mpg_resource! {
    impl Scores {
        GET "/scores" .param("limit") .param("offset") => list,
        POST "/scores" .max_content_length(64) .header("Content-Type") .header("Authorization") => add,
        DELETE "/scores" => reset,
    }
}

#[derive(Default)]
struct Notes {
    reads: Cell<u32>,
}

impl Notes {
    async fn echo(&self, mut req: Incoming<'_>) -> Result<String, ErrorResponse<'static>> {
        let text = req.text().await?;
        Ok(format!(
            "{} said {text}",
            req.matches("who").map(|w| w.to_string_lossy()).unwrap_or_default()
        ))
    }

    /// Reads the body as a stream, then (a handler bug) asks for it again.
    async fn twice(&self, mut req: Incoming<'_>) -> Result<String, ErrorResponse<'static>> {
        let mut stream = req.stream()?;
        let mut total = 0;
        let mut buf = [0u8; 7];
        loop {
            let n = stream
                .read(&mut buf)
                .await
                .map_err(|e| ErrorResponse::from(e.rejection()))?;
            if n == 0 {
                break;
            }
            total += n;
        }
        self.reads.set(self.reads.get() + 1);
        if req.params("again").next().is_some() {
            req.bytes().await?;
        }
        Ok(format!("{total} bytes"))
    }

    /// A large body (default limit), into a vector.
    async fn upload(&self, mut req: Incoming<'_>) -> Result<JsonResponse<'static, usize>, ErrorResponse<'static>> {
        Ok(JsonResponse::new(req.body_vec().await?.len()))
    }
}

ferrodot::mpg_resource! {
    impl Notes {
        PUT "/notes/:who" => echo,
        POST "/stream" .max_content_length(100) => twice,
        PUT "/upload" .header("Content-Length") => upload,
    }
}

/// A WebSocket route in mpgameserver's callback style.
#[derive(Default)]
struct Lobby {
    events: RefCell<Vec<(CallbackOpcode, Vec<u8>)>>,
    close_code: Cell<Option<u16>>,
}

impl Lobby {
    fn on_event(&self, reply: &mut Reply<'_>, opcode: CallbackOpcode, payload: &[u8]) {
        self.events.borrow_mut().push((opcode, payload.to_vec()));
        match opcode {
            CallbackOpcode::Open => {
                // Two messages from one event; the request is visible.
                reply.text("welcome").unwrap();
                let room = reply
                    .request()
                    .param("room")
                    .map(|r| r.to_string_lossy())
                    .unwrap_or_default();
                let path = reply.request().path();
                let agent = reply.request().header("x-player").unwrap_or("");
                reply.text(&format!("room={room} path={path} player={agent}")).unwrap();
            }
            CallbackOpcode::Text if payload == b"big" => {
                // Beyond the old 1 KiB scratch, within the 16 KiB response buffer.
                reply.binary(&[7u8; 4096]).unwrap();
                let too_big = reply.binary(&vec![0u8; 64 * 1024]);
                assert!(
                    matches!(
                        too_big,
                        Err(ferrodot::ws::callback::ReplyError::TooLarge { len: 65536, .. })
                    ),
                    "{too_big:?}"
                );
            }
            CallbackOpcode::Text => {
                reply.text(&String::from_utf8_lossy(payload).to_uppercase()).unwrap();
            }
            CallbackOpcode::Close => self.close_code.set(reply.close_code()),
            _ => {}
        }
    }

    async fn seen(&self, _req: Incoming<'_>) -> String {
        let events: String = self
            .events
            .borrow()
            .iter()
            .map(|(op, p)| format!("{}:{} ", *op as u8, String::from_utf8_lossy(p)))
            .collect();
        format!("{events}code={:?}", self.close_code.get())
    }
}

ferrodot::mpg_resource! {
    impl Lobby {
        WEBSOCKET "/lobby/room/:room" => on_event,
        GET "/lobby/seen" => seen,
    }
}

type Routes = (Scores, (Notes, NoRoutes));

fn app() -> App<(), Routes> {
    App::new((), (Scores::default(), (Notes::default(), NoRoutes))).with_config(Config {
        error_style: ErrorStyle::Json,
        ..Config::DEFAULT
    })
}

fn server() -> TestServer {
    TestServer::start(app, ServerOptions::default())
}

fn send(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> common::Resp {
    let mut raw = format!("{head}\r\nHost: t\r\nConnection: close\r\n\r\n").into_bytes();
    raw.extend_from_slice(body);
    request_once(addr, &raw)
}

#[test]
fn resource_routes_over_tcp() {
    let server = server();
    let a = server.addr;
    let body = br#"{"name": "ada", "points": 12}"#;
    let r = send(
        a,
        &format!("POST /scores HTTP/1.1\r\nContent-Length: {}", body.len()),
        body,
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("location"), Some("/scores"));
    assert_eq!(r.text(), "{\"name\":\"ada\",\"points\":12}\n");
    let r = send(a, "GET /scores?limit=5 HTTP/1.1", b"");
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "[{\"name\":\"ada\",\"points\":12}]\n")
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    // ErrorResponse: its status, JSON with escaped quotes, a newline.
    let bad = br#"{"name": "", "points": 1}"#;
    let r = send(
        a,
        &format!("POST /scores HTTP/1.1\r\nContent-Length: {}", bad.len()),
        bad,
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (422, "{\"error\": \"a \\\"name\\\" is required\"}\n")
    );
    assert_eq!(
        (r.header("x-field"), r.header("content-type")),
        (Some("name"), Some("application/json"))
    );
    // json() refuses what does not parse: 400 as an ErrorResponse.
    let r = send(a, "POST /scores HTTP/1.1\r\nContent-Length: 3", b"{x}");
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "{\"error\": \"invalid JSON body\"}\n")
    );
    assert_eq!(send(a, "DELETE /scores HTTP/1.1", b"").status, 204);
    assert_eq!(send(a, "GET /scores HTTP/1.1", b"").text(), "[]\n");
    // A route of the second resource in the same router.
    let r = send(a, "PUT /notes/bob HTTP/1.1\r\nContent-Length: 2", b"hi");
    assert_eq!((r.status, r.text().as_str()), (200, "bob said hi"));
    let r = send(a, "PUT /notes/bob HTTP/1.1\r\nContent-Length: 2", b"\xff\xfe");
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "{\"error\": \"body is not UTF-8\"}\n")
    );
    // Known path, other method: 405 with Allow (mpgameserver: 404).
    let r = send(a, "PUT /scores HTTP/1.1\r\nContent-Length: 0", b"");
    assert_eq!(r.status, 405);
    assert_eq!(
        r.allow(),
        ["DELETE", "GET", "HEAD", "OPTIONS", "POST"].map(String::from)
    );
    assert_eq!(send(a, "GET /nothing HTTP/1.1", b"").status, 404);
}

#[test]
fn keep_alive_survives_bodies_nobody_read() {
    let server = server();
    let mut c = Conn::open(server.addr);
    // DELETE's handler never reads the body: it must not leak into the next request.
    c.send(b"DELETE /scores HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nGET /x");
    assert_eq!(c.response().status, 204);
    c.send(b"PUT /notes/amy HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nhey");
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "amy said hey"));
    c.send(b"GET /scores HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.response().text(), "[]\n");
}

#[test]
fn max_content_length_411_and_413() {
    let server = server();
    let a = server.addr;
    // No length on PUT/POST: 411, before the handler runs.
    for head in [
        "POST /scores HTTP/1.1",
        "PUT /notes/x HTTP/1.1",
        "POST /stream HTTP/1.1",
    ] {
        let r = send(a, head, b"");
        assert_eq!(r.status, 411, "{head}");
        assert_eq!(r.text(), "{\"error\": \"Content-Length required\"}", "{head}");
    }
    // Over the route's own limit (64 bytes): 413 without reading the body.
    let mut c = Conn::open(a);
    c.send(b"POST /scores HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n\r\n");
    let r = c.response();
    assert_eq!(r.status, 413);
    c.assert_closed();
    // Chunked counts as a length; too large once read is 413 as well.
    let chunk = "a".repeat(101);
    let r = send(
        a,
        "POST /stream HTTP/1.1\r\nTransfer-Encoding: chunked",
        format!("65\r\n{chunk}\r\n0\r\n\r\n").as_bytes(),
    );
    assert_eq!(r.status, 413);
    let r = send(
        a,
        "POST /stream HTTP/1.1\r\nTransfer-Encoding: chunked",
        b"5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n",
    );
    assert_eq!((r.status, r.text().as_str()), (200, "8 bytes"));
    // A body read twice is the handler's bug: 500.
    let r = send(a, "POST /stream?again HTTP/1.1\r\nContent-Length: 3", b"abc");
    assert_eq!(
        (r.status, r.text().as_str()),
        (500, "{\"error\": \"request body read twice\"}\n")
    );
    // Routes without a limit of their own take up to the 5 MiB default,
    // beyond the app's 16 KiB and the 4 KiB connection buffer.
    let big = vec![b'z'; 200 * 1024];
    let r = send(
        a,
        &format!("PUT /upload HTTP/1.1\r\nContent-Length: {}", big.len()),
        &big,
    );
    assert_eq!((r.status, r.text().as_str()), (200, "204800\n"));
    let r = send(
        a,
        &format!(
            "PUT /upload HTTP/1.1\r\nContent-Length: {}",
            DEFAULT_MAX_CONTENT_LENGTH + 1
        ),
        b"",
    );
    assert_eq!(r.status, 413);
}

/// A route, its body limit, its header notes and its parameter notes.
type TableRow = (String, Option<u64>, Vec<&'static str>, Vec<&'static str>);

#[test]
fn route_table_keeps_the_notes() {
    let routes: Routes = (Scores::default(), (Notes::default(), NoRoutes));
    let table: Vec<TableRow> = route_table::<(), _>(&routes)
        .map(|(route, doc)| {
            (
                route.to_string(),
                route.max_body,
                doc.headers().to_vec(),
                doc.params().to_vec(),
            )
        })
        .collect();
    let mib5 = Some(5 * 1024 * 1024);
    assert_eq!(
        table,
        [
            ("GET /scores".to_string(), None, vec![], vec!["limit", "offset"]),
            (
                "POST /scores".to_string(),
                Some(64),
                vec!["Content-Type", "Authorization"],
                vec![]
            ),
            ("DELETE /scores".to_string(), None, vec![], vec![]),
            ("PUT /notes/:who".to_string(), mib5, vec![], vec![]),
            ("POST /stream".to_string(), Some(100), vec![], vec![]),
            ("PUT /upload".to_string(), mib5, vec!["Content-Length"], vec![]),
        ]
    );
    assert!(Scores::ROUTES.iter().all(|spec| !spec.doc.websocket));
    const SPEC: RouteSpec = RouteSpec::new("PUT", "/x");
    assert!(SPEC.route.require_length && SPEC.route.max_body == Some(DEFAULT_MAX_CONTENT_LENGTH));
    const GET: RouteSpec = RouteSpec::new("GET", "/x");
    assert!(!GET.route.require_length && GET.route.max_body.is_none());
}

#[test]
fn test_client_answers_as_tcp_does() {
    let app = app();
    let client = TestClient::new(&app);
    let r = client
        .request(Method::Post, "/scores")
        .json(&serde_json::json!({"name": "lin", "points": 3}))
        .send();
    assert_eq!(r.status, Status::CREATED);
    assert_eq!(r.header("location"), Some("/scores"));
    assert_eq!(
        r.json::<serde_json::Value>().unwrap(),
        serde_json::json!({"name": "lin", "points": 3})
    );
    // State lives in the app: the next request sees it.
    assert_eq!(client.get("/scores").text(), "[{\"name\":\"lin\",\"points\":3}]\n");
    assert_eq!(client.put("/notes/eve", "yo").text(), "eve said yo");
    assert_eq!(client.post("/scores", vec![b'x'; 65]).status, Status::PAYLOAD_TOO_LARGE);
    assert_eq!(client.delete("/scores").status, Status::NO_CONTENT);
    assert_eq!(client.get("/nope").status, Status::NOT_FOUND);
    let head = client.head("/scores");
    assert_eq!((head.status, head.body.len()), (Status::OK, 0));
    assert_eq!(head.header("content-length"), Some("3"));
    // No length at all (the raw bytes are sent as they are): 411.
    let raw = client.raw(
        b"POST /scores HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        &[false],
    );
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].status, Status::LENGTH_REQUIRED);
    // Several requests on one connection, the second a HEAD.
    let two = client.raw(
        b"GET /scores HTTP/1.1\r\nHost: t\r\n\r\nHEAD /scores HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        &[false, true],
    );
    assert_eq!(two.iter().map(|r| r.status.0).collect::<Vec<_>>(), [200, 200]);
    assert_eq!(two[1].body, b"");

    // The same requests over TCP give the same answers.
    let server = server();
    let body = br#"{"name": "lin", "points": 3}"#;
    let tcp = send(
        server.addr,
        &format!("POST /scores HTTP/1.1\r\nContent-Length: {}", body.len()),
        body,
    );
    let mem = TestClient::new(&app).post("/scores", body);
    assert_eq!((tcp.status, tcp.text()), (mem.status.0, mem.text()));
    assert_eq!(
        tcp.headers.len(),
        mem.headers.len(),
        "{:?} vs {:?}",
        tcp.headers,
        mem.headers
    );
}

#[test]
fn test_client_with_device_buffers() {
    let app = app();
    // A device's 512-byte buffers: a JSON body that does not fit is 413.
    let client = TestClient::new(&app).buffers(512, 512);
    let name = "n".repeat(50);
    let r = client
        .request(Method::Post, "/scores")
        .json(&serde_json::json!({"name": name, "points": 1}))
        .send();
    assert_eq!(r.status, Status::PAYLOAD_TOO_LARGE, "over the route's 64 bytes");
    let r = client
        .request(Method::Post, "/scores")
        .json(&serde_json::json!({"name": "x", "points": 1}))
        .send();
    assert_eq!(r.status, Status::CREATED);
}

/// A masked client text frame (payload under 126 bytes).
fn client_text(payload: &[u8]) -> Vec<u8> {
    let key = [7u8, 1, 9, 3];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

/// One unmasked server frame: (first byte, payload).
fn server_frame(stream: &mut std::net::TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).unwrap();
    let len = match head[1] {
        126 => {
            let mut ext = [0u8; 2];
            stream.read_exact(&mut ext).unwrap();
            u16::from_be_bytes(ext) as usize
        }
        n => {
            assert!(n < 126, "no 64-bit lengths in this test");
            n as usize
        }
    };
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).unwrap();
    (head[0], payload)
}

#[test]
fn websocket_route_in_callback_style() {
    assert!(Lobby::ROUTES[0].doc.websocket && !Lobby::ROUTES[1].doc.websocket);
    let options = ServerOptions {
        tx_buffer: 16 * 1024,
        ..ServerOptions::default()
    };
    let server = TestServer::start(|| App::new((), Lobby::default()), options);
    let mut c = Conn::open(server.addr);
    c.send(
        b"GET /lobby/room/r%C3%B6d HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          X-Player: ada\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    let stream = &mut c.stream;
    // The 101 head, byte by byte so that no frame is read with it.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        stream.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(
        head.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{head}"
    );
    // Two messages from the Open event; the second shows the request.
    assert_eq!(server_frame(stream), (0x81, b"welcome".to_vec()));
    assert_eq!(
        server_frame(stream),
        (
            0x81,
            "room=röd path=/lobby/room/r%C3%B6d player=ada".as_bytes().to_vec()
        )
    );
    stream.write_all(&client_text(b"hello")).unwrap();
    assert_eq!(server_frame(stream), (0x81, b"HELLO".to_vec()));
    // A 4 KiB message (the 64 KiB one beyond the buffer was refused).
    stream.write_all(&client_text(b"big")).unwrap();
    assert_eq!(server_frame(stream), (0x82, vec![7u8; 4096]));
    // Close with 1000: answered with 1000 (mpgameserver answers 200).
    let key = [1u8, 2, 3, 4];
    let mut close = vec![0x88, 0x82];
    close.extend_from_slice(&key);
    close.extend([0x03 ^ 1, 0xE8 ^ 2]);
    stream.write_all(&close).unwrap();
    assert_eq!(server_frame(stream), (0x88, vec![0x03, 0xE8]));
    // A plain GET on the upgrade route is refused with a reason.
    let r = request_once(
        server.addr,
        b"GET /lobby/room/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 400, "{r:?}");
    // The callback saw Open, the texts and the Close: an empty payload,
    // the code apart.
    let mut seen = String::new();
    for _ in 0..100 {
        seen = request_once(
            server.addr,
            b"GET /lobby/seen HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .text();
        if seen.contains("8:") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(seen, "255: 1:hello 1:big 8: code=Some(1000)");
}

/// A body format shared with the test client: postcard both ways.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Shot {
    player: String,
    x: i32,
    hits: Vec<u8>,
}

#[derive(Serialize)]
struct Problem<'a> {
    field: &'a str,
    min: u32,
}

#[derive(Deserialize)]
struct Bulk<'a> {
    name: &'a str,
    items: Vec<u32>,
}

/// Routes for the fidelity items of issue 12.
#[derive(Default)]
struct Fidelity;

impl Fidelity {
    /// json() on a large body: 5 MiB default, more than the 4 KiB buffer.
    async fn bulk(&self, mut req: Incoming<'_>) -> Result<String, ErrorResponse<'static>> {
        let bulk: Bulk<'_> = req.json().await?;
        Ok(format!(
            "{} {} {}",
            bulk.name,
            bulk.items.len(),
            bulk.items.iter().sum::<u32>()
        ))
    }

    async fn shoot(
        &self,
        mut req: Incoming<'_>,
    ) -> Result<SerializableResponse<'static, Shot>, ErrorResponse<'static>> {
        let shot: Shot = req.message().await?;
        let reply = Shot {
            player: shot.player.to_uppercase(),
            x: shot.x + 1,
            hits: shot.hits.iter().rev().copied().collect(),
        };
        Ok(SerializableResponse::new(reply)
            .status(Status::CREATED)
            .headers(&[("X-Game", "1")]))
    }

    async fn refuse(&self, _req: Incoming<'_>) -> ErrorResponse<'static, JsonBody<Problem<'static>>> {
        ErrorResponse::json(Problem { field: "name", min: 3 })
            .status(Status(422))
            .headers(&[("X-Why", "short")])
    }

    async fn refuse_default(&self, _req: Incoming<'_>) -> ErrorResponse<'static, JsonBody<Vec<u32>>> {
        ErrorResponse::json(vec![1, 2])
    }

    async fn where_(&self, req: Incoming<'_>) -> String {
        let tags: Vec<String> = req.params("tag").map(|t| t.to_string_lossy()).collect();
        format!(
            "{}|{}|{:?}|{:?}",
            req.path(),
            req.raw_path(),
            tags,
            req.query("tag").map(|t| t.raw())
        )
    }
}

ferrodot::mpg_resource! {
    impl Fidelity {
        POST "/bulk" => bulk,
        POST "/bulk/small" .max_content_length(2048) => bulk,
        POST "/shoot" => shoot,
        GET "/refuse" => refuse,
        GET "/refuse/default" => refuse_default,
        GET "/where/:x" => where_,
    }
}

fn fidelity() -> TestServer {
    TestServer::start(
        || {
            App::new((), Fidelity).with_config(Config {
                error_style: ErrorStyle::Json,
                ..Config::DEFAULT
            })
        },
        ServerOptions::default(),
    )
}

#[test]
fn json_honours_the_route_limit_not_the_buffer() {
    let server = fidelity();
    let items: Vec<u32> = (0..3000).collect();
    let body = serde_json::to_vec(&serde_json::json!({"name": "big", "items": items})).unwrap();
    assert!(body.len() > 10_000, "{}", body.len());
    let r = send(
        server.addr,
        &format!("POST /bulk HTTP/1.1\r\nContent-Length: {}", body.len()),
        &body,
    );
    assert_eq!((r.status, r.text().as_str()), (200, "big 3000 4498500"));
    // Chunked, larger than the buffer: also collected.
    let mut chunked = Vec::new();
    for piece in body.chunks(3000) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = send(
        server.addr,
        "POST /bulk HTTP/1.1\r\nTransfer-Encoding: chunked",
        &chunked,
    );
    assert_eq!((r.status, r.text().as_str()), (200, "big 3000 4498500"));
    // Over the route's own max_content_length: 413.
    let r = send(
        server.addr,
        &format!("POST /bulk/small HTTP/1.1\r\nContent-Length: {}", body.len()),
        &body,
    );
    assert_eq!(r.status, 413);
    let r = send(
        server.addr,
        "POST /bulk/small HTTP/1.1\r\nTransfer-Encoding: chunked",
        &chunked,
    );
    assert_eq!(r.status, 413);
    // A small body still parses in place, borrowing its name.
    let small = br#"{"name": "s", "items": [1, 2]}"#;
    let r = send(
        server.addr,
        &format!("POST /bulk/small HTTP/1.1\r\nContent-Length: {}", small.len()),
        small,
    );
    assert_eq!((r.status, r.text().as_str()), (200, "s 2 3"));
}

#[test]
fn serializable_bodies_both_ways() {
    let server = fidelity();
    let shot = Shot {
        player: "ada".into(),
        x: -5,
        hits: vec![1, 2, 3],
    };
    let body = postcard::to_allocvec(&shot).unwrap();
    let head = format!(
        "POST /shoot HTTP/1.1\r\nContent-Type: application/x-serializable\r\nContent-Length: {}",
        body.len()
    );
    let r = send(server.addr, &head, &body);
    assert_eq!(r.status, 201);
    assert_eq!(r.header("content-type"), Some("application/x-serializable"));
    assert_eq!(r.header("x-game"), Some("1"));
    let back: Shot = postcard::from_bytes(&r.body).unwrap();
    assert_eq!(
        back,
        Shot {
            player: "ADA".into(),
            x: -4,
            hits: vec![3, 2, 1]
        }
    );
    // A body that does not decode: 400.
    let r = send(server.addr, "POST /shoot HTTP/1.1\r\nContent-Length: 2", b"\xff\xff");
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "{\"error\": \"invalid x-serializable body\"}\n")
    );
}

#[test]
fn error_response_sends_any_object() {
    let server = fidelity();
    let r = send(server.addr, "GET /refuse HTTP/1.1", b"");
    assert_eq!((r.status, r.text().as_str()), (422, "{\"field\":\"name\",\"min\":3}\n"));
    assert_eq!(
        (r.header("content-type"), r.header("x-why")),
        (Some("application/json"), Some("short"))
    );
    let r = send(server.addr, "GET /refuse/default HTTP/1.1", b"");
    assert_eq!((r.status, r.text().as_str()), (400, "[1,2]\n"));
}

#[test]
fn decoded_path_and_every_param_value() {
    let server = fidelity();
    let r = send(
        server.addr,
        "GET /where/a%20b?tag=x&other=1&tag=y%2Bz&tag=w+v HTTP/1.1",
        b"",
    );
    assert_eq!(
        r.text(),
        "/where/a b|/where/a%20b|[\"x\", \"y+z\", \"w v\"]|Some(\"x\")"
    );
}

#[test]
fn json_beyond_a_device_sized_buffer_goes_to_the_heap_with_std() {
    // Body limits as on a device: a 512-byte buffer; with std the body
    // goes to the heap, so this checks the std path answers 200 while the
    // route's limit still gives 413.
    let app = App::new((), Fidelity);
    let client = TestClient::new(&app).buffers(512, 512);
    let r = client
        .request(Method::Post, "/bulk")
        .json(&serde_json::json!({"name": "n", "items": (0..300).collect::<Vec<u32>>()}))
        .send();
    assert_eq!((r.status, r.text().as_str()), (Status::OK, "n 300 44850"));
}
