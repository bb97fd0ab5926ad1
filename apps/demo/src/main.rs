//! The ferrodot demo: a simulated camera device.
//!
//! `cargo run --release` serves on 0.0.0.0:8080 (`--host`, `--port`):
//! - `GET /` — an HTML page with a simulated light-sensor reading
//! - `GET /status` — `{"frames": N, "triggers": M}`; frames advance on a timer
//! - `POST /trigger` — counts a trigger, answers the new status
//! - `GET /config`, `PUT /config` — the frame interval, as JSON
//! - `GET /files/:path*` — the path captured by a `*` wildcard, echoed back
//! - `POST /firmware` — an upload streamed and checksummed (up to 64 MiB)

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ferrodot::prelude::*;
use ferrodot::rt::tokio::Server;
use serde::{Deserialize, Serialize};

/// The device's state, shared by the handlers and the frame timer.
struct Camera {
    frames: Cell<u32>,
    triggers: Cell<u32>,
    interval_ms: Cell<u32>,
    started: Instant,
}

impl Camera {
    fn status(&self) -> Status_ {
        Status_ { frames: self.frames.get(), triggers: self.triggers.get() }
    }

    /// A light level that drifts like a room over a day (0–1023, as a
    /// 10-bit ADC would read).
    fn light(&self) -> u32 {
        let t = self.started.elapsed().as_secs_f64();
        (512.0 + 400.0 * (t / 20.0).sin()) as u32
    }
}

#[derive(Serialize)]
struct Status_ {
    frames: u32,
    triggers: u32,
}

#[derive(Serialize, Deserialize)]
struct FrameConfig {
    interval_ms: u32,
}

async fn status(State(cam): State<&Camera>) -> Json<Status_> {
    Json(cam.status())
}

async fn trigger(State(cam): State<&Camera>) -> Json<Status_> {
    cam.triggers.set(cam.triggers.get().wrapping_add(1));
    Json(cam.status())
}

async fn get_config(State(cam): State<&Camera>) -> Json<FrameConfig> {
    Json(FrameConfig { interval_ms: cam.interval_ms.get() })
}

async fn put_config(State(cam): State<&Camera>, Json(cfg): Json<FrameConfig>) -> Result<Json<FrameConfig>, Rejection> {
    if !(10..=60_000).contains(&cfg.interval_ms) {
        return Err(Rejection::new(Status::UNPROCESSABLE_CONTENT, "interval_ms must be 10..=60000"));
    }
    cam.interval_ms.set(cfg.interval_ms);
    Ok(Json(cfg))
}

#[derive(Serialize)]
struct Upload {
    bytes: u64,
    fnv1a: String,
}

/// An OTA-style upload: the body is streamed through a small buffer and
/// checksummed, so it may be far larger than any buffer of the server.
async fn firmware(mut body: BodyReader<'_>) -> Result<Json<Upload>, Rejection> {
    let mut chunk = [0u8; 512];
    let (mut bytes, mut hash) = (0u64, 0xcbf2_9ce4_8422_2325u64);
    loop {
        let n = body.read(&mut chunk).await.map_err(|e| e.rejection())?;
        if n == 0 {
            break;
        }
        for &b in &chunk[..n] {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        bytes += n as u64;
    }
    Ok(Json(Upload { bytes, fnv1a: format!("{hash:016x}") }))
}

async fn file(Path(path): Path<&str>) -> String {
    format!("file: {path}\n")
}

async fn index(State(cam): State<&Camera>) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ferrodot camera</title></head>\n\
         <body><h1>ferrodot camera</h1>\n\
         <p>Welcome to ferrodot! Your light sensor value is: <b id=\"light\">{}</b></p>\n\
         <p>Frames: <b id=\"frames\">{}</b>, triggers: <b id=\"triggers\">{}</b></p>\n\
         </body></html>\n",
        cam.light(),
        cam.frames.get(),
        cam.triggers.get()
    ))
}

ferrodot::routes! {
    CameraRoutes<Camera> {
        GET "/" => index,
        GET "/status" => status,
        POST "/trigger" => trigger,
        GET "/config" => get_config,
        PUT "/config" .max_body(256).require_length() => put_config,
        GET "/files/:path*" => file,
        POST "/firmware" .max_body(64 * 1024 * 1024) => firmware,
    }
}

/// One log line per request: method, target, status.
fn log_request(req: &Request<'_>, _: &Camera, status: Status, _: &mut ferrodot::server::HeadExtras<'_, '_>) {
    let peer = req.client_addr().map(|a| a.to_string()).unwrap_or_default();
    println!("{peer} {} {} -> {}", req.method(), req.target(), status.0);
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

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let camera = Camera { frames: Cell::new(0), triggers: Cell::new(0), interval_ms: Cell::new(100), started: Instant::now() };
    let mut app = App::new(camera, CameraRoutes);
    if !args.quiet {
        app = app.after_request(log_request);
    }
    let app = Rc::new(app);

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&runtime, async {
        let addr = format!("{}:{}", args.host, args.port);
        let server = Server::bind(addr.as_str()).await?;
        println!("ferrodot demo listening on http://{}", server.local_addr()?);
        // The "camera": a background task that really advances frames.
        let frames_app = app.clone();
        tokio::task::spawn_local(async move {
            loop {
                let ms = frames_app.state.interval_ms.get();
                tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
                let frames = &frames_app.state.frames;
                frames.set(frames.get().wrapping_add(1));
            }
        });
        server.serve_with_shutdown(app, async { let _ = tokio::signal::ctrl_c().await; }).await
    });
    if let Err(e) = result {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}
