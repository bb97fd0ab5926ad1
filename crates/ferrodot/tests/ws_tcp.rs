//! WebSockets over real TCP: a ferrodot server on 127.0.0.1 with an echo
//! route, driven with raw sockets and hand-built frames, so every byte of
//! the handshake and of each frame is checked.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{get, normal_config, Conn, Resp, TestServer, IO_TIMEOUT};
use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;
use ferrodot::ws::handshake::accept_key;
use ferrodot::ws::{Message, WebSocketUpgrade, WsConfig};

// ------------------------------------------------------------ the app

/// Allows more than the 4 KiB connection buffer, so the buffer is the limit.
const MAX_MESSAGE: usize = 64 * 1024;
const RX_BUFFER: usize = 4096;

async fn echo(mut upgrade: WebSocketUpgrade<'_>) {
    let config = WsConfig {
        max_message: MAX_MESSAGE,
        ..WsConfig::DEFAULT
    };
    let Ok(mut ws) = upgrade.accept(&["echo.v1"], config).await else {
        return;
    };
    let (rx, tx) = ws.split();
    while let Ok(message) = rx.recv().await {
        if tx.send(message).await.is_err() {
            return;
        }
    }
}

/// The server starts the closing handshake after one message. It never
/// pings: only the pong timeout bounds the wait for the peer's close.
async fn bye(mut upgrade: WebSocketUpgrade<'_>) {
    let config = WsConfig {
        ping_interval_ms: None,
        pong_timeout_ms: 1_000,
        ..WsConfig::DEFAULT
    };
    let Ok(mut ws) = upgrade.accept(&[], config).await else {
        return;
    };
    let reason = match ws.recv().await {
        Ok(Message::Text("long")) => LONG_REASON,
        Ok(_) => "server says bye",
        Err(_) => return,
    };
    let _ = ws.close(4001, reason).await;
}

/// 200 bytes of two-byte characters: longer than a close frame can carry.
const LONG_REASON: &str =
    "éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé";

/// Pings a silent peer quickly and gives up quickly.
async fn impatient(mut upgrade: WebSocketUpgrade<'_>) {
    let config = WsConfig {
        ping_interval_ms: Some(300),
        pong_timeout_ms: 300,
        ..WsConfig::DEFAULT
    };
    let Ok(mut ws) = upgrade.accept(&[], config).await else {
        return;
    };
    let (rx, tx) = ws.split();
    while let Ok(message) = rx.recv().await {
        if tx.send(message).await.is_err() {
            return;
        }
    }
}

async fn hello() -> &'static str {
    "hello"
}

ferrodot::routes! {
    WsRoutes<()> {
        GET "/" => hello,
        GET "/ws" => echo,
        GET "/bye" => bye,
        GET "/impatient" => impatient,
    }
}

fn server() -> TestServer {
    TestServer::start(
        || App::new((), WsRoutes).with_config(normal_config()),
        ServerOptions {
            rx_buffer: RX_BUFFER,
            ..ServerOptions::default()
        },
    )
}

// ------------------------------------------------------------ a raw client

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

const CONT: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

fn handshake(path: &str, key: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// A client frame: masked, first byte `b0`, the length in its shortest form.
fn masked(b0: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut out = vec![b0];
    let n = payload.len();
    if n < 126 {
        out.push(0x80 | n as u8);
    } else if n <= 0xFFFF {
        out.push(0x80 | 126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    masked(if fin { 0x80 } else { 0 } | opcode, payload, [0xA1, 0x02, 0xF3, 0x44])
}

/// A frame from the server.
#[derive(PartialEq, Eq)]
struct Frame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// Long payloads are cut short in failure messages.
impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = &self.payload[..self.payload.len().min(40)];
        write!(
            f,
            "Frame {{ fin: {}, opcode: {}, len: {}, payload: {:?}",
            self.fin,
            self.opcode,
            self.payload.len(),
            String::from_utf8_lossy(shown)
        )?;
        if shown.len() < self.payload.len() {
            write!(f, "...")?;
        }
        write!(f, " }}")
    }
}

impl Frame {
    fn close_code(&self) -> Option<u16> {
        assert_eq!(self.opcode, CLOSE, "not a close frame: {self:?}");
        (self.payload.len() >= 2).then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }

    fn close_reason(&self) -> String {
        String::from_utf8(self.payload.get(2..).unwrap_or(&[]).to_vec()).expect("close reason is UTF-8")
    }
}

/// The 101 response.
#[derive(Debug)]
struct Head {
    status_line: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        assert!(addr.ip().is_loopback());
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("write timeout");
        stream.set_nodelay(true).expect("nodelay");
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    /// Connect and complete the handshake for `path`; checks the 101.
    fn open(addr: SocketAddr, path: &str) -> Client {
        let mut c = Client::connect(addr);
        c.send(handshake(path, KEY, "").as_bytes());
        let head = c.read_head();
        assert_eq!(head.status_line, "HTTP/1.1 101 Switching Protocols", "{head:?}");
        c
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to the server");
    }

    fn send_frame(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        self.send(&client_frame(fin, opcode, payload));
    }

    fn fill(&mut self, what: &str) {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => panic!(
                "connection closed while reading {what}; have {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
            Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            Err(e) => panic!(
                "error reading {what}: {e}; have {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
        }
    }

    fn need(&mut self, n: usize, what: &str) {
        while self.buf.len() < n {
            self.fill(what);
        }
    }

    fn read_head(&mut self) -> Head {
        let end = loop {
            if let Some(i) = common::find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            self.fill("the response head");
        };
        let text = String::from_utf8(self.buf[..end].to_vec()).expect("ASCII head");
        self.buf.drain(..end + 4);
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default().to_string();
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap_or_else(|| panic!("bad header line {l:?}"));
                (n.trim().to_string(), v.trim().to_string())
            })
            .collect();
        Head { status_line, headers }
    }

    /// Read one frame; server frames are never masked and use no
    /// reserved bits.
    fn read_frame(&mut self) -> Frame {
        self.need(2, "a frame header");
        let (b0, b1) = (self.buf[0], self.buf[1]);
        assert_eq!(b0 & 0x70, 0, "reserved bits set by the server");
        assert_eq!(b1 & 0x80, 0, "server frames must not be masked");
        let (len, at) = match b1 & 0x7F {
            126 => {
                self.need(4, "a 16-bit length");
                let len = u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize;
                assert!(len >= 126, "non-minimal 16-bit length {len}");
                (len, 4)
            }
            127 => {
                self.need(10, "a 64-bit length");
                let len = u64::from_be_bytes(self.buf[2..10].try_into().unwrap()) as usize;
                assert!(len > 0xFFFF, "non-minimal 64-bit length {len}");
                (len, 10)
            }
            n => (n as usize, 2),
        };
        self.need(at + len, "a frame payload");
        let payload = self.buf[at..at + len].to_vec();
        self.buf.drain(..at + len);
        Frame {
            fin: b0 & 0x80 != 0,
            opcode: b0 & 0x0F,
            payload,
        }
    }

    /// The server closes the TCP connection (EOF or reset) and sends
    /// nothing more.
    fn assert_eof(&mut self) {
        assert!(self.buf.is_empty(), "unread bytes: {:?}", self.buf);
        let mut chunk = [0u8; 1024];
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => panic!("expected the connection to close, got {:?}", &chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                    ) =>
                {
                    return
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted && Instant::now() < deadline => continue,
                Err(e) => panic!("the server kept the connection open ({e})"),
            }
        }
    }

    /// Nothing arrives and the connection stays open for `d`.
    fn assert_open_for(&mut self, d: Duration) {
        assert!(self.buf.is_empty(), "unexpected bytes: {:?}", self.buf);
        self.stream.set_read_timeout(Some(d)).expect("read timeout");
        let mut chunk = [0u8; 256];
        let result = self.stream.read(&mut chunk);
        self.stream.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        match result {
            Ok(0) => panic!("the server closed the connection"),
            Ok(n) => panic!("unexpected bytes from the server: {:?}", &chunk[..n]),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) => panic!("the connection failed: {e}"),
        }
    }

    fn echo(&mut self, opcode: u8, payload: &[u8]) {
        self.send_frame(true, opcode, payload);
        assert_eq!(
            self.read_frame(),
            Frame {
                fin: true,
                opcode,
                payload: payload.to_vec()
            }
        );
    }

    /// Close cleanly: our close, the server's echo, then EOF.
    fn close(mut self, code: u16) {
        self.send_frame(true, CLOSE, &code.to_be_bytes());
        let f = self.read_frame();
        assert_eq!(f.close_code(), Some(code));
        self.assert_eof();
    }
}

// ------------------------------------------------------------ handshake

/// A handshake the server must refuse with `status`: a short plain-text
/// error, no upgrade, and the connection is either closed as announced or
/// still speaks HTTP.
fn refused(addr: SocketAddr, raw: &[u8], status: u16) -> Resp {
    let mut c = Conn::open(addr);
    c.send(raw);
    let r = c.response();
    assert_eq!(r.status, status, "{r:?}");
    assert!(
        r.header("content-type").is_some_and(|t| t.starts_with("text/plain")),
        "{r:?}"
    );
    assert!(r.body.len() < 200 && r.text().ends_with('\n'), "{:?}", r.text());
    assert!(
        r.header("upgrade").is_none() && r.header("sec-websocket-accept").is_none(),
        "{r:?}"
    );
    if r.closes() {
        c.assert_closed();
    } else {
        c.send(&get("/"));
        let next = c.response();
        assert_eq!(
            (next.status, next.text().as_str()),
            (200, "hello"),
            "the connection still speaks HTTP"
        );
    }
    r
}

#[test]
fn the_handshake_answers_101_with_the_accept_key() {
    let s = server();
    let mut c = Client::connect(s.addr);
    c.send(handshake("/ws", KEY, "").as_bytes());
    let head = c.read_head();
    assert_eq!(head.status_line, "HTTP/1.1 101 Switching Protocols");
    assert!(
        head.header("upgrade")
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket")),
        "{head:?}"
    );
    assert!(
        head.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("upgrade")),
        "{head:?}"
    );
    assert_eq!(head.header("sec-websocket-accept"), Some(ACCEPT), "RFC 6455 §1.3");
    assert_eq!(head.header("sec-websocket-protocol"), None, "none was offered");
    assert_eq!(head.header("content-length"), None);
    assert_eq!(head.header("transfer-encoding"), None);
    assert!(c.buf.is_empty(), "nothing after the head: {:?}", c.buf);
    c.echo(TEXT, b"hi");
    c.close(1000);
}

#[test]
fn the_accept_key_is_computed_from_the_clients_key() {
    let s = server();
    for key in ["x3JJHMbDL1EzLkh9GBhXDw==", "AQIDBAUGBwgJCgsMDQ4PEA=="] {
        let mut c = Client::connect(s.addr);
        c.send(handshake("/ws", key, "").as_bytes());
        let head = c.read_head();
        assert!(head.status_line.starts_with("HTTP/1.1 101 "), "{head:?}");
        let expected = String::from_utf8(accept_key(key.as_bytes()).to_vec()).unwrap();
        assert_eq!(head.header("sec-websocket-accept"), Some(expected.as_str()));
        c.close(1000);
    }
}

#[test]
fn a_subprotocol_is_chosen_from_the_clients_offer() {
    let s = server();
    let mut c = Client::connect(s.addr);
    c.send(handshake("/ws", KEY, "Sec-WebSocket-Protocol: x, echo.v1\r\n").as_bytes());
    let head = c.read_head();
    assert_eq!(head.header("sec-websocket-protocol"), Some("echo.v1"));
    c.close(1000);

    let mut c = Client::connect(s.addr);
    c.send(handshake("/ws", KEY, "Sec-WebSocket-Protocol: x\r\n").as_bytes());
    let head = c.read_head();
    assert!(head.status_line.starts_with("HTTP/1.1 101 "));
    assert_eq!(
        head.header("sec-websocket-protocol"),
        None,
        "nothing the route speaks was offered"
    );
    c.close(1000);
}

#[test]
fn a_bad_handshake_gets_400_with_a_clear_reason() {
    let s = server();
    let no_upgrade = "GET /ws HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\n\
                      Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let r = refused(s.addr, no_upgrade.as_bytes(), 400);
    assert!(
        r.text().contains("Upgrade: websocket"),
        "the body says what is wrong: {:?}",
        r.text()
    );

    let bad_key = handshake("/ws", "c2hvcnQ=", "");
    let r = refused(s.addr, bad_key.as_bytes(), 400);
    assert!(r.text().contains("Sec-WebSocket-Key"), "{:?}", r.text());

    let no_connection = handshake("/ws", KEY, "").replace("Connection: Upgrade\r\n", "");
    let r = refused(s.addr, no_connection.as_bytes(), 400);
    assert!(r.text().contains("Connection: upgrade"), "{:?}", r.text());

    // A plain GET to a WebSocket route is not a WebSocket either.
    let r = refused(s.addr, b"GET /ws HTTP/1.1\r\nHost: test\r\n\r\n", 400);
    assert!(r.header("sec-websocket-accept").is_none());
}

#[test]
fn a_wrong_version_gets_426_with_the_supported_version() {
    let s = server();
    let v8 = handshake("/ws", KEY, "").replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8");
    let r = refused(s.addr, v8.as_bytes(), 426);
    assert_eq!(r.header("sec-websocket-version"), Some("13"), "{r:?}");
    assert!(r.header("sec-websocket-accept").is_none());
}

// ------------------------------------------------------------ messages

#[test]
fn text_and_binary_messages_are_echoed() {
    let s = server();
    let mut c = Client::open(s.addr, "/ws");
    c.echo(TEXT, "héllo wörld €𝄞".as_bytes());
    c.echo(BINARY, &[0, 1, 2, 255, 254]);
    c.echo(TEXT, b"");
    c.echo(BINARY, &[7; 125]);
    c.echo(BINARY, &[8; 126]);
    let big: Vec<u8> = (0..3000).map(|i| (i % 253) as u8).collect();
    c.echo(BINARY, &big);
    c.close(1000);
}

#[test]
fn a_fragmented_message_with_a_ping_inside_is_echoed_whole() {
    let s = server();
    let mut c = Client::open(s.addr, "/ws");
    let mut wire = client_frame(false, TEXT, b"Hel");
    wire.extend(client_frame(true, PING, b"mid"));
    wire.extend(client_frame(false, CONT, b"lo "));
    wire.extend(client_frame(true, CONT, b"World"));
    // Byte by byte, the worst case for the decoder.
    for b in wire {
        c.send(&[b]);
    }
    assert_eq!(
        c.read_frame(),
        Frame {
            fin: true,
            opcode: PONG,
            payload: b"mid".to_vec()
        }
    );
    assert_eq!(
        c.read_frame(),
        Frame {
            fin: true,
            opcode: TEXT,
            payload: b"Hello World".to_vec()
        }
    );
    c.close(1000);
}

#[test]
fn a_message_as_large_as_the_buffer_is_echoed_and_a_larger_one_is_1009() {
    // The socket gets the connection buffer less the request head (which
    // the handler can still read through `WebSocketUpgrade::request`).
    let room = RX_BUFFER - handshake("/ws", KEY, "").len();
    let s = server();
    let mut c = Client::open(s.addr, "/ws");
    let full: Vec<u8> = (0..room).map(|i| (i * 7 % 256) as u8).collect();
    c.echo(BINARY, &full);
    c.echo(TEXT, &vec![b'x'; room]);
    c.send_frame(true, BINARY, &vec![1u8; room + 1]);
    let f = c.read_frame();
    assert_eq!(f.close_code(), Some(1009), "{:?}", f.close_reason());
    c.assert_eof();
}

#[test]
fn frames_in_the_same_write_as_the_handshake_are_not_lost() {
    let s = server();
    let mut c = Client::connect(s.addr);
    let mut wire = handshake("/ws", KEY, "").into_bytes();
    wire.extend(client_frame(true, TEXT, b"early bird"));
    wire.extend(client_frame(true, PING, b"p1"));
    wire.extend(client_frame(true, BINARY, &[9, 8, 7]));
    c.send(&wire);
    let head = c.read_head();
    assert_eq!(head.status_line, "HTTP/1.1 101 Switching Protocols");
    assert_eq!(
        c.read_frame(),
        Frame {
            fin: true,
            opcode: TEXT,
            payload: b"early bird".to_vec()
        }
    );
    assert_eq!(
        c.read_frame(),
        Frame {
            fin: true,
            opcode: PONG,
            payload: b"p1".to_vec()
        }
    );
    assert_eq!(
        c.read_frame(),
        Frame {
            fin: true,
            opcode: BINARY,
            payload: vec![9, 8, 7]
        }
    );
    c.close(1000);
}

// ------------------------------------------------------------ control frames

#[test]
fn a_ping_is_answered_with_a_pong_with_the_same_payload() {
    let s = server();
    let mut c = Client::open(s.addr, "/ws");
    for payload in [&b""[..], b"x", b"ping payload \x00\xff", &[0x5A; 125]] {
        c.send_frame(true, PING, payload);
        assert_eq!(
            c.read_frame(),
            Frame {
                fin: true,
                opcode: PONG,
                payload: payload.to_vec()
            }
        );
    }
    // An unsolicited pong is ignored: the next thing back is the echo.
    c.send_frame(true, PONG, b"unasked");
    c.echo(TEXT, b"still here");
    c.close(1000);
}

#[test]
fn a_close_frame_is_answered_with_the_same_code_then_the_connection_closes() {
    let s = server();
    for code in [1000u16, 1001, 3000, 4000, 4999] {
        let mut c = Client::open(s.addr, "/ws");
        c.send_frame(true, CLOSE, &[&code.to_be_bytes()[..], b"bye"].concat());
        let f = c.read_frame();
        assert!(f.fin);
        assert_eq!(f.close_code(), Some(code));
        c.assert_eof();
    }
    // A close without a code is answered by a close without a code.
    let mut c = Client::open(s.addr, "/ws");
    c.send_frame(true, CLOSE, b"");
    assert_eq!(
        c.read_frame(),
        Frame {
            fin: true,
            opcode: CLOSE,
            payload: vec![]
        }
    );
    c.assert_eof();
}

#[test]
fn the_server_can_start_the_closing_handshake() {
    let s = server();
    let mut c = Client::open(s.addr, "/bye");
    c.send_frame(true, TEXT, b"hello");
    let f = c.read_frame();
    assert_eq!(f.close_code(), Some(4001));
    assert_eq!(f.close_reason(), "server says bye");
    // Our answer completes the handshake; then the server hangs up.
    c.send_frame(true, CLOSE, &4001u16.to_be_bytes());
    c.assert_eof();
}

#[test]
fn a_ping_during_the_servers_closing_handshake_does_not_cut_it_short() {
    let s = server();
    let mut c = Client::open(s.addr, "/bye");
    c.send_frame(true, TEXT, b"hello");
    assert_eq!(c.read_frame().close_code(), Some(4001));
    // The server waits for our close; a ping (or a message) meanwhile must
    // not end the wait.
    c.send_frame(true, PING, b"still there?");
    c.send_frame(true, TEXT, b"late message");
    c.assert_open_for(Duration::from_millis(200));
    c.send_frame(true, CLOSE, &4001u16.to_be_bytes());
    // A pong after the close frame is not allowed to follow it; nothing
    // more comes but the end of the connection.
    c.assert_eof();
}

#[test]
fn a_peer_that_never_answers_the_servers_close_is_dropped_after_the_pong_timeout() {
    let s = server();
    let mut c = Client::open(s.addr, "/bye");
    c.send_frame(true, TEXT, b"hello");
    assert_eq!(c.read_frame().close_code(), Some(4001));
    let started = Instant::now();
    c.assert_eof();
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "the server waited for our close first"
    );
}

#[test]
fn a_long_close_reason_is_cut_at_a_character_boundary() {
    let s = server();
    let mut c = Client::open(s.addr, "/bye");
    c.send_frame(true, TEXT, b"long");
    let f = c.read_frame();
    assert_eq!(f.close_code(), Some(4001));
    assert!(f.payload.len() <= 125, "control frames carry at most 125 bytes");
    let reason = String::from_utf8(f.payload[2..].to_vec()).expect("the reason must stay valid UTF-8");
    assert!(LONG_REASON.starts_with(&reason) && reason.len() >= 120, "{reason:?}");
    c.send_frame(true, CLOSE, &4001u16.to_be_bytes());
    c.assert_eof();
}

#[test]
fn a_silent_peer_is_pinged_and_one_that_never_answers_is_closed_with_1001() {
    let s = server();
    let mut c = Client::open(s.addr, "/impatient");
    let started = Instant::now();
    let ping = c.read_frame();
    assert_eq!(ping.opcode, PING);
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "pinged after the interval, not at once"
    );
    // Answered: the socket stays open and pings again later.
    c.send_frame(true, PONG, &ping.payload);
    c.echo(TEXT, b"alive");
    assert_eq!(c.read_frame().opcode, PING);
    // Not answered: closed with 1001.
    let f = c.read_frame();
    assert_eq!(f.close_code(), Some(1001), "{:?}", f.close_reason());
    c.assert_eof();
}

// ------------------------------------------------------------ protocol errors

fn assert_closed_with(path: &str, wire: &[u8], code: u16) {
    let s = server();
    let mut c = Client::open(s.addr, path);
    c.send(wire);
    let f = c.read_frame();
    assert_eq!(f.close_code(), Some(code), "reason {:?}", f.close_reason());
    assert!(!f.close_reason().is_empty(), "the close frame says why");
    c.assert_eof();
}

#[test]
fn an_unmasked_frame_is_closed_with_1002() {
    assert_closed_with("/ws", &[0x81, 0x02, b'h', b'i'], 1002);
}

#[test]
fn other_protocol_violations_are_closed_with_1002() {
    // Reserved bit, unknown opcode, orphan continuation, fragmented ping.
    assert_closed_with("/ws", &masked(0xC1, b"x", [1, 2, 3, 4]), 1002);
    assert_closed_with("/ws", &masked(0x83, b"x", [1, 2, 3, 4]), 1002);
    assert_closed_with("/ws", &client_frame(true, CONT, b"x"), 1002);
    assert_closed_with("/ws", &client_frame(false, PING, b"x"), 1002);
}

#[test]
fn invalid_utf8_is_closed_with_1007() {
    let mut wire = client_frame(false, TEXT, b"ok \xce");
    wire.extend(client_frame(false, CONT, b"("));
    assert_closed_with("/ws", &wire, 1007);
}

// ------------------------------------------------------------ concurrency

#[test]
fn other_http_connections_are_served_while_a_websocket_is_open() {
    let s = server();
    let mut a = Client::open(s.addr, "/ws");
    a.echo(TEXT, b"first");
    let mut b = Client::open(s.addr, "/ws");
    for i in 0..3 {
        let mut http = Conn::open(s.addr);
        http.send(&get("/"));
        let r = http.response();
        assert_eq!((r.status, r.text().as_str()), (200, "hello"), "request {i}");
    }
    // Both sockets are still alive and independent.
    b.echo(TEXT, b"from b");
    a.echo(BINARY, b"from a");
    b.close(1000);
    a.echo(TEXT, b"a still open");
    a.close(4000);
    // And HTTP still works once they are gone.
    let mut http = Conn::open(s.addr);
    http.send(&get("/"));
    assert_eq!(http.response().status, 200);
}
