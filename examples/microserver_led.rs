//! Seed 001 (MicroServer): the LED app, plus a second server, without a
//! name, on another port in the same program.
//!
//! - `LED` on `--port` (default 8080): `/on` switches the LED on and
//!   answers `{"data": null}`; `/off` is a `nowait` route: it answers
//!   `{"data": null}` at once and switches the LED off in the background;
//!   `/state` answers `{"data": {"name": "LED", "status": "on"|"off"}}`;
//!   `/` lists the routes. Each request is logged as the seed logs it
//!   (`GET /on on :8080 from 127.0.0.1`).
//! - the seed's `server_two = MicroServer(port=8081)` on `--info-port`
//!   (default 8081): no name, `/uptime` in seconds, and its own `/`
//!   listing (`"name": ""`).
//!
//! ```sh
//! cargo run --release --example microserver_led -- --port 8080
//! curl http://127.0.0.1:8080/        # {"data": {"name": "LED", "routes": ["/", "/off", "/on", "/state"]}}
//! curl http://127.0.0.1:8080/on      # {"data": null}
//! curl http://127.0.0.1:8080/state   # {"data": {"name": "LED", "status": "on"}}
//! curl http://127.0.0.1:8081/        # {"data": {"name": "", "routes": ["/", "/uptime"]}}
//! curl http://127.0.0.1:8081/uptime  # {"data": 12}
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use examples::Args;
use ferrodot::microserver::MicroServer;
use serde::Serialize;

/// Stands in for the board's LED pin.
#[derive(Default)]
struct Led(AtomicBool);

impl Led {
    fn set(&self, on: bool) {
        self.0.store(on, Ordering::SeqCst);
    }

    fn is_on(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Serialize)]
struct State {
    name: &'static str,
    status: &'static str,
}

fn main() {
    let args = Args::parse(&["--info-port"]);
    let led = Arc::new(Led::default());

    let mut ms = MicroServer::new("LED")
        .host(args.host.as_str())
        .port(args.port)
        .log_requests();
    let on = led.clone();
    ms.add_route("/on", move || on.set(true));
    let off = led.clone();
    ms.add_route_nowait("/off", move || {
        // A slow pin driver, say: the client has its answer already.
        std::thread::sleep(Duration::from_millis(50));
        off.set(false)
    });
    ms.add_route("/state", move || State {
        name: "LED",
        status: if led.is_on() { "on" } else { "off" },
    });

    if examples::openapi_requested() {
        // The LED server's routes: each answers GET, HEAD and POST; `/` lists them.
        use ferrodot::http::{method::MethodSet, Method};
        let any = MethodSet::EMPTY.with(Method::Get).with(Method::Head).with(Method::Post);
        let mut paths: Vec<_> = ms.routes().into_iter().map(|p| (p.to_string(), any, None)).collect();
        paths.insert(0, ("/".to_string(), any, None));
        examples::print_openapi_of(&paths);
        return;
    }
    let started = Instant::now();
    // server_two = MicroServer(port=8081): a server without a name.
    let mut info = MicroServer::default()
        .host(args.host.as_str())
        .port(args.port_of("--info-port", 8081));
    info.add_route("/uptime", move || started.elapsed().as_secs());

    // Bind both first, so a port in use fails before anything is served.
    let led_server = ms.bind().unwrap_or_else(|e| examples::fail(&e));
    let info_server = info.bind().unwrap_or_else(|e| examples::fail(&e));
    let addr = |bound: &ferrodot::microserver::Bound| bound.local_addr().unwrap_or_else(|e| examples::fail(&e));
    println!("listening on http://{}", addr(&led_server));
    println!("server_two listening on http://{}", addr(&info_server));
    let _info = info_server.spawn().unwrap_or_else(|e| examples::fail(&e));
    if let Err(e) = led_server.start() {
        examples::fail(&e);
    }
}
