//! A WebSocket echo server at `/echo`: every text or binary message comes
//! back as it was sent. The subject of the Autobahn|Testsuite run in CI.
//!
//! ```sh
//! cargo run --release --example ws_echo -- --port 9001
//! python3 -m websockets ws://127.0.0.1:9001/echo
//! ```
//!
//! Messages up to 16 MiB are echoed (the host has the memory); larger ones
//! close the socket with 1009. `/echo-small` allows only 64 KiB, and
//! speaks the `echo.v1` subprotocol if the client offers it. `/game` is
//! the mpgameserver callback style: "open" on connect, then each message
//! echoed with its opcode number in front (`1:hello`); `/game/:room`
//! also says which room and path it was opened on; `big N`, `burst N`
//! and `last-close` test larger and several replies and the close code.

use std::sync::Mutex;

use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;
use ferrodot::ws::callback::{run_callback, CallbackOpcode, Reply};
use ferrodot::ws::{WebSocketUpgrade, WsConfig};

const MAX_MESSAGE: usize = 16 * 1024 * 1024;

async fn run_echo(mut upgrade: WebSocketUpgrade<'_>, protocols: &[&'static str], max_message: usize) {
    let config = WsConfig {
        max_message,
        ..WsConfig::DEFAULT
    };
    let Ok(mut ws) = upgrade.accept(protocols, config).await else {
        return;
    };
    let (rx, tx) = ws.split();
    while let Ok(message) = rx.recv().await {
        if tx.send(message).await.is_err() {
            return;
        }
    }
}

async fn echo(upgrade: WebSocketUpgrade<'_>) {
    run_echo(upgrade, &[], MAX_MESSAGE).await
}

async fn echo_small(upgrade: WebSocketUpgrade<'_>) {
    run_echo(upgrade, &["echo.v1"], 64 * 1024).await
}

/// The last `Close` the `/game` callback saw: its code (0 for none) and
/// payload length, for `last-close`.
static LAST_CLOSE: Mutex<Option<(u16, usize)>> = Mutex::new(None);

/// mpgameserver's `(socket, opcode, payload)` callback: "open" (and, on
/// `/game/:room`, "room <room> at <path>"), then each message echoed as
/// `<opcode>:<payload>`, except the commands `big N` (one message of N
/// bytes), `burst N` (N messages) and `last-close`.
fn game(reply: &mut Reply<'_>, opcode: CallbackOpcode, payload: &[u8]) {
    let tag = match opcode {
        CallbackOpcode::Open => {
            let _ = reply.text("open");
            if let Some(room) = reply.request().param("room") {
                let _ = reply.text(&format!(
                    "room {} at {}",
                    room.to_string_lossy(),
                    reply.request().path()
                ));
            }
            return;
        }
        CallbackOpcode::Close => {
            *LAST_CLOSE.lock().unwrap() = Some((reply.close_code().unwrap_or(0), payload.len()));
            return;
        }
        CallbackOpcode::Text => "1:",
        CallbackOpcode::Binary => "2:",
        _ => return,
    };
    let text = std::str::from_utf8(payload).unwrap_or("");
    let number = |prefix: &str| text.strip_prefix(prefix).and_then(|n| n.parse::<usize>().ok());
    let sent = if let Some(n) = number("big ") {
        reply.text(&"x".repeat(n))
    } else if let Some(n) = number("burst ") {
        (0..n).try_for_each(|i| reply.text(&format!("burst {i}")))
    } else if text == "last-close" {
        let last = *LAST_CLOSE.lock().unwrap();
        reply.text(&last.map_or("none".to_string(), |(code, len)| format!("close {code} payload {len}")))
    } else if opcode == CallbackOpcode::Text {
        reply.text(&format!("{tag}{text}"))
    } else {
        reply.binary(&[tag.as_bytes(), payload].concat())
    };
    if let Err(e) = sent {
        // Nothing queued was sent yet: say why instead.
        let _ = reply.text(&format!("error: {e:?}"));
    }
}

async fn game_route(mut upgrade: WebSocketUpgrade<'_>) {
    let request = upgrade.request();
    let Ok(mut ws) = upgrade.accept(&[], WsConfig::DEFAULT).await else {
        return;
    };
    // Messages the callback sends in one event: up to 64 KiB in all.
    let mut buffer = vec![0u8; 64 * 1024];
    run_callback(&mut ws, request, &mut buffer, game).await;
}

ferrodot::routes! {
    EchoRoutes<()> {
        GET "/echo" => echo,
        GET "/echo-small" => echo_small,
        GET "/game" => game_route,
        GET "/game/:room" => game_route,
    }
}

static APP: App<(), EchoRoutes> = App::new((), EchoRoutes);

fn main() {
    let options = ServerOptions {
        rx_buffer: MAX_MESSAGE + 64 * 1024,
        ..ServerOptions::default()
    };
    examples::serve_with(&APP, options, async {});
}
