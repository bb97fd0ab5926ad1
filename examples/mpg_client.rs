//! Seed 003's `HTTPClient`: five `GET /status` and one `POST /trigger`,
//! all in flight at once; `pending N` printed as `pending()` counts down,
//! and one line per callback fired by `update()`.
//!
//! ```sh
//! cargo run --release &                       # the demo on port 8080
//! cargo run --release --example mpg_client -- --host 127.0.0.1 --port 8080
//! ```
//!
//! Exits 0 once every request has completed with a response, 1 if one
//! failed (its callback line says why) or nothing came within 10 s.

use std::cell::Cell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ferrodot::mpg::client::{HttpClient, Payload, RequestHandle};

fn main() -> ExitCode {
    let (mut host, mut port, mut protocol) = ("127.0.0.1".to_string(), 8080u16, "http".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--host", Some(v)) => host = v,
            ("--port", Some(v)) => match v.parse() {
                Ok(p) => port = p,
                Err(_) => return usage(),
            },
            ("--protocol", Some(v)) => protocol = v,
            _ => return usage(),
        }
    }
    let mut client = match HttpClient::new(&format!("{host}:{port}"), &protocol) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("mpg_client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let failed = Rc::new(Cell::new(false));
    let report = |failed: Rc<Cell<bool>>| -> Box<dyn FnOnce(&RequestHandle)> {
        Box::new(move |done| {
            let body = String::from_utf8_lossy(&done.body()).trim().to_string();
            println!(
                "callback {} {} {} -> {} {}",
                done.id,
                done.method.as_str(),
                done.path,
                done.status(),
                body
            );
            failed.set(failed.get() || done.response.is_err());
        })
    };
    for _ in 0..5 {
        client.get("/status", &[], &[], Some(report(failed.clone())));
    }
    client.post(
        "/trigger",
        Payload::json(&serde_json::json!({})),
        &[],
        &[],
        Some(report(failed.clone())),
    );
    if let Err(e) = client.start() {
        eprintln!("mpg_client: {e}");
        return ExitCode::FAILURE;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut shown = usize::MAX;
    while client.pending() > 0 {
        if client.pending() != shown {
            shown = client.pending();
            println!("pending {shown}");
        }
        if Instant::now() > deadline {
            eprintln!("mpg_client: {} requests still pending after 10 s", client.pending());
            return ExitCode::FAILURE;
        }
        // update(), one handle at a time, to show the count going down.
        while client.responses().next().is_some() {
            shown = client.pending();
            println!("pending {shown}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    client.stop();
    if failed.get() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: mpg_client --host HOST --port PORT [--protocol http|https]");
    ExitCode::FAILURE
}
