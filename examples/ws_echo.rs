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
//! echoed with its opcode number in front (`1:hello`).

use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;
use ferrodot::ws::callback::{run_callback, CallbackOpcode, Reply};
use ferrodot::ws::{WebSocketUpgrade, WsConfig};

const MAX_MESSAGE: usize = 16 * 1024 * 1024;

async fn run_echo(mut upgrade: WebSocketUpgrade<'_>, protocols: &[&'static str], max_message: usize) {
    let config = WsConfig { max_message, ..WsConfig::DEFAULT };
    let Ok(mut ws) = upgrade.accept(protocols, config).await else { return };
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

/// mpgameserver's `(socket, opcode, payload)` callback.
fn game(reply: &mut Reply<'_>, opcode: CallbackOpcode, payload: &[u8]) {
    let mut line = [0u8; 1024];
    let tag = match opcode {
        CallbackOpcode::Open => {
            reply.text("open");
            return;
        }
        CallbackOpcode::Text => b"1:",
        CallbackOpcode::Binary => b"2:",
        _ => return,
    };
    let n = (tag.len() + payload.len()).min(line.len());
    line[..tag.len()].copy_from_slice(tag);
    line[tag.len()..n].copy_from_slice(&payload[..n - tag.len()]);
    match opcode {
        CallbackOpcode::Text => reply.text(std::str::from_utf8(&line[..n]).unwrap_or("1:")),
        _ => reply.binary(&line[..n]),
    };
}

async fn game_route(mut upgrade: WebSocketUpgrade<'_>) {
    let Ok(mut ws) = upgrade.accept(&[], WsConfig::DEFAULT).await else { return };
    let mut scratch = [0u8; 1024];
    run_callback(&mut ws, &mut scratch, game).await;
}

ferrodot::routes! {
    EchoRoutes<()> {
        GET "/echo" => echo,
        GET "/echo-small" => echo_small,
        GET "/game" => game_route,
    }
}

static APP: App<(), EchoRoutes> = App::new((), EchoRoutes);

fn main() {
    let options = ServerOptions { rx_buffer: MAX_MESSAGE + 64 * 1024, ..ServerOptions::default() };
    examples::serve_with(&APP, options, async {});
}
