//! A WebSocket client on ferrodot: sends each MESSAGE as a text message
//! and prints each reply on its own line, then closes with 1000.
//!
//! ```sh
//! cargo run --release --example ws_echo -- --port 9001 &
//! cargo run --release --example ws_client -- ws://127.0.0.1:9001/echo hello world
//! cargo run --release --example ws_client -- --cacert ca.pem --protocol echo.v1 wss://127.0.0.1:8443/ws
//! ```
//!
//! `--binary` sends binary messages (replies printed as text, lossy);
//! `--repeat-size N` sends one message of N bytes instead and prints the
//! reply's length. Exits 1 with one line on stderr when the handshake or
//! a message fails.

use std::process::ExitCode;

use ferrodot::client::tokio::{Client, ClientOptions};
use ferrodot::ws::frame::Event;

fn main() -> ExitCode {
    let mut options = ClientOptions::default();
    let (mut url, mut messages, mut binary, mut protocol, mut size) = (None, Vec::new(), false, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cacert" => options.ca_file = args.next().map(Into::into),
            "--protocol" => protocol = args.next(),
            "--binary" => binary = true,
            "--repeat-size" => size = args.next().and_then(|n| n.parse::<usize>().ok()),
            _ if url.is_none() => url = Some(arg),
            _ => messages.push(arg),
        }
    }
    let Some(url) = url else {
        eprintln!("usage: ws_client [--cacert FILE] [--protocol NAME] [--binary] [--repeat-size N] URL [MESSAGE...]");
        return ExitCode::FAILURE;
    };
    if let Some(n) = size {
        messages = vec!["x".repeat(n)];
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return ExitCode::FAILURE;
    };
    let client = Client::with_options(options);
    let buffer = size.unwrap_or(0).saturating_add(64 * 1024);
    runtime.block_on(async {
        let mut buf = vec![0u8; buffer];
        let headers: Vec<(&str, &str)> = protocol
            .iter()
            .map(|p| ("Sec-WebSocket-Protocol", p.as_str()))
            .collect();
        let mut ws = match client.websocket(&url, &headers, &mut buf).await {
            Ok(ws) => ws,
            Err(e) => return fail(&format!("{url}: {e}")),
        };
        for message in &messages {
            let sent = if binary {
                ws.send_binary(message.as_bytes()).await
            } else {
                ws.send_text(message).await
            };
            if let Err(e) = sent {
                return fail(&format!("send: {e}"));
            }
            loop {
                match ws.next().await {
                    Ok(Event::Text(text)) if size.is_some() => println!("{} bytes", text.len()),
                    Ok(Event::Text(text)) => println!("{text}"),
                    Ok(Event::Binary(data)) => println!("{}", String::from_utf8_lossy(data)),
                    Ok(Event::Ping(_) | Event::Pong(_)) => continue,
                    Ok(Event::Close(code, reason)) => return fail(&format!("closed by the server: {code:?} {reason}")),
                    Err(e) => return fail(&format!("receive: {e}")),
                }
                break;
            }
        }
        match ws.close(1000, "done").await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("close: {e}")),
        }
    })
}

fn fail(message: &str) -> ExitCode {
    eprintln!("ws_client: {message}");
    ExitCode::FAILURE
}
