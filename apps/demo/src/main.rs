//! The ferrodot demo: the simulated camera device (`apps/camera`) served
//! on the host with tokio. The bare-metal firmware serves the same app.
//!
//! `cargo run --release` listens on 0.0.0.0:8080 (`--host`, `--port`;
//! `--port 0` picks a free port) and logs one line per request
//! (`--quiet` turns that off). Routes: see `apps/camera/src/lib.rs`.

use std::time::Duration;

use camera::{Camera, CameraApp};
use ferrodot::prelude::*;
use ferrodot::rt::tokio::Server;
use ferrodot::server::HeadExtras;

/// One log line per request: peer, method, target, status.
fn log_request(req: &Request<'_>, _: &Camera, status: Status, _: &mut HeadExtras<'_, '_>) {
    let peer = req.client_addr().map(|a| a.to_string()).unwrap_or_default();
    println!("{peer} {} {} -> {}", req.method(), req.target(), status.0);
}

/// Requests refused before routing (malformed, too large, too slow).
fn log_refused(peer: Option<std::net::SocketAddr>, rejection: Rejection) {
    let peer = peer.map(|a| a.to_string()).unwrap_or_default();
    println!("{peer} (refused: {}) -> {}", rejection.reason, rejection.status.0);
}

struct Args {
    host: String,
    port: u16,
    quiet: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { host: "0.0.0.0".into(), port: 8080, quiet: false };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--host" => args.host = it.next().ok_or("--host needs a value")?,
            "--port" => {
                let v = it.next().ok_or("--port needs a value")?;
                args.port = v.parse().map_err(|_| format!("--port: not a port number: {v}"))?;
            }
            "--quiet" => args.quiet = true,
            "-h" | "--help" => return Err("usage: demo [--host ADDR] [--port N] [--quiet]".into()),
            other => return Err(format!("unknown argument: {other} (try --help)")),
        }
    }
    Ok(args)
}

async fn serve(args: Args) -> std::io::Result<()> {
    let mut app: CameraApp = camera::app();
    if !args.quiet {
        app = app.after_request(log_request).on_refuse(log_refused);
    }
    // The app lives as long as the program, like a `static` on a device.
    let app: &'static CameraApp = Box::leak(Box::new(app));
    let server = Server::bind(format!("{}:{}", args.host, args.port)).await?;
    println!("ferrodot demo listening on http://{}", server.local_addr()?);
    // The camera: a background task that really advances frames.
    tokio::task::spawn_local(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(u64::from(app.state.interval_ms()))).await;
            app.state.tick();
        }
    });
    server
        .serve_with_shutdown(app, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

fn main() {
    let args = parse_args().unwrap_or_else(|msg| {
        eprintln!("{msg}");
        std::process::exit(2)
    });
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .and_then(|rt| tokio::task::LocalSet::new().block_on(&rt, serve(args)));
    if let Err(e) = result {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}
