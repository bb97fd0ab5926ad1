//! Seed 002 — MicroPython's tutorial server: every request gets an HTML
//! page with the light sensor's value, whatever its method and path, and
//! the server prints who asked and what, one line per request (the seed
//! prints the client address and the request):
//!
//! ```text
//! 127.0.0.1:54321 GET /x HTTP/1.1
//! ```
//!
//! Where this differs from the seed, on purpose: it reads the whole
//! request, answers with a length, and keeps the connection (the seed
//! reads once, sends no length and closes); HEAD gets the head without the
//! page; a method other than the seven HTTP ones ferrodot knows (GET,
//! HEAD, POST, PUT, DELETE, PATCH, OPTIONS) is refused with 501 by the
//! request parser before any route, and printed as
//! `127.0.0.1:54321 (refused: method not implemented) -> 501`.
//!
//! ```sh
//! cargo run --release --example sensor_page -- --port 8080
//! curl localhost:8080/            # ... Your light sensor value is: 517
//! curl -X POST localhost:8080/x   # the same page
//! ```

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

use ferrodot::prelude::*;

/// The last reading of a 10-bit light sensor.
struct LightSensor {
    value: AtomicU32,
}

async fn page(State(sensor): State<&LightSensor>) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Light sensor</title></head>\n\
         <body>Welcome to ferrodot! Your light sensor value is: <b id=\"value\">{}</b></body></html>\n",
        sensor.value.load(Relaxed)
    ))
}

ferrodot::routes! {
    SensorRoutes<LightSensor> {
        // Every path and every method shows the page, as in the tutorial.
        GET "/:any*"
            .and(Method::Head)
            .and(Method::Post)
            .and(Method::Put)
            .and(Method::Delete)
            .and(Method::Patch)
            .and(Method::Options) => page,
    }
}

/// One line on stdout, flushed at once (stdout may be a pipe).
fn print_line(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_fmt(line)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
}

/// The seed's log: the client's address and the request line.
fn log_request(req: &Request<'_>, _: &LightSensor) -> Option<Rejection> {
    let peer = req
        .client_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|| String::from("-"));
    print_line(format_args!(
        "{peer} {} {} {}",
        req.method(),
        req.target(),
        req.version().as_str()
    ));
    None
}

/// Requests the parser refused (no request line to print).
fn log_refused(peer: Option<std::net::SocketAddr>, rejection: Rejection) {
    let peer = peer.map(|a| a.to_string()).unwrap_or_else(|| String::from("-"));
    print_line(format_args!(
        "{peer} (refused: {}) -> {}",
        rejection.reason, rejection.status.0
    ));
}

static APP: App<LightSensor, SensorRoutes> = App::new(
    LightSensor {
        value: AtomicU32::new(0),
    },
    SensorRoutes,
)
.before_request(log_request)
.on_refuse(log_refused);

fn main() {
    // A simulated sensor: the reading drifts between 112 and 912.
    let sample = async {
        let mut t = 0.0f64;
        loop {
            APP.state
                .value
                .store((512.0 + 400.0 * (t / 20.0).sin()) as u32, Relaxed);
            t += 0.5;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    examples::serve(&APP, sample);
}
