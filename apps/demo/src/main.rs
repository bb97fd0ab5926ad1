//! The ferrodot demo: the simulated camera device (`apps/camera`) served
//! on the host with tokio. The bare-metal firmware serves the same app.
//!
//! `cargo run --release` listens on 0.0.0.0:8080 (`--host`, `--port`;
//! `--port 0` picks a free port) and logs one line per request
//! (`--quiet` turns that off). Routes: see `apps/camera/src/lib.rs`.
//!
//! HTTPS: `--tls-cert FILE --tls-key FILE` (PEM) serves HTTPS on `--port`
//! instead; `--redirect-port N` also serves plain HTTP on N, answering every
//! request with `308 Permanent Redirect` to the same URL over `https://`.
//!
//! Security, off by default so a first try needs nothing:
//! `--admin-password PW` protects `PUT /config` and `POST /firmware`
//! (HTTP Basic `admin:PW`, or the session cookie of `POST /login` with
//! `username=admin&password=PW`; `POST /logout` ends it);
//! `--cors-origin ORIGIN` (repeatable) lets that origin's pages use the
//! API, credentials included, and change settings — every other cross-site
//! `POST`/`PUT` is refused with `403` whatever the flags;
//! `--rate-limit N` allows each client N requests per second (bursts of
//! N), then `429` with `Retry-After`; `--connection-rate N` accepts at
//! most N new connections per second in all.
//!
//! `--openapi` prints the OpenAPI 3.1 document of the device's routes (the
//! camera's and the portal's, with `camera::api::NOTES`) and exits; the
//! committed `apps/camera/assets/openapi.json` is its output, served at
//! `GET /openapi.json` with a page that tries it at `GET /docs`.
//!
//! Firmware updates (`POST /firmware`, see `camera::ota`) go into two slot
//! files in `--firmware-dir DIR` (default: two unnamed temporary files),
//! at most `--firmware-max BYTES` each (default 128 MiB; 413
//! above it).
//!
//! First boot: `--portal --dns-port N --mdns-port M --dhcp-port D --store
//! FILE` (see `portal.rs`): captive-portal DNS, mDNS and DHCP on UDP, the
//! probe and setup routes before the camera's.

mod firmware;
mod portal;

use std::time::Duration;

use camera::security::Security;
use camera::Camera;
use ferrodot::middleware::cors::Cors;
use ferrodot::middleware::ratelimit::{host_millis, ConnectionRate, RateLimit};
use ferrodot::middleware::session::{unix_now, Sessions};
use ferrodot::prelude::*;
use ferrodot::rt::tokio::Server;
use ferrodot::server::{HeadExtras, ResponseWriter, WriteError};
use ferrodot::tls::TlsConfig;

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
    tls_cert: Option<String>,
    tls_key: Option<String>,
    redirect_port: Option<u16>,
    admin_password: Option<String>,
    cors_origins: Vec<String>,
    rate_limit: Option<u32>,
    connection_rate: Option<u32>,
    firmware_dir: Option<String>,
    firmware_max: u64,
    portal: portal::PortalArgs,
    openapi: bool,
}

/// The camera's routes behind the portal's (none without `--portal`).
type DemoApp = App<Camera, (portal::Routes, camera::Routes)>;

const USAGE: &str =
    "usage: demo [--host ADDR] [--port N] [--quiet] [--tls-cert FILE --tls-key FILE [--redirect-port N]]
            [--admin-password PW] [--cors-origin ORIGIN]... [--rate-limit N] [--connection-rate N]
            [--firmware-dir DIR] [--firmware-max BYTES]
            [--portal [--dns-port N] [--mdns-port M] [--dhcp-port D] [--store FILE]]
              (--dhcp-port: leases 32 addresses from the --host address + 10,
               127.0.0.11-127.0.0.42 on 127.0.0.1, option 114 = its /captive-portal)
       demo --openapi    (print the OpenAPI document of the device's routes)";

fn positive(flag: &str, v: Option<String>) -> Result<u32, String> {
    let v = v.ok_or(format!("{flag} needs a value"))?;
    match v.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag}: not a positive number: {v}")),
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        host: "0.0.0.0".into(),
        port: 8080,
        quiet: false,
        tls_cert: None,
        tls_key: None,
        redirect_port: None,
        admin_password: None,
        cors_origins: Vec::new(),
        rate_limit: None,
        connection_rate: None,
        firmware_dir: None,
        firmware_max: 128 << 20,
        portal: Default::default(),
        openapi: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--host" => args.host = it.next().ok_or("--host needs a value")?,
            "--port" => {
                let v = it.next().ok_or("--port needs a value")?;
                args.port = v.parse().map_err(|_| format!("--port: not a port number: {v}"))?;
            }
            "--quiet" => args.quiet = true,
            "--openapi" => args.openapi = true,
            "--tls-cert" => args.tls_cert = Some(it.next().ok_or("--tls-cert needs a file")?),
            "--tls-key" => args.tls_key = Some(it.next().ok_or("--tls-key needs a file")?),
            "--redirect-port" => {
                let v = it.next().ok_or("--redirect-port needs a value")?;
                args.redirect_port = Some(
                    v.parse()
                        .map_err(|_| format!("--redirect-port: not a port number: {v}"))?,
                );
            }
            "--admin-password" => {
                let pw = it.next().ok_or("--admin-password needs a value")?;
                if pw.is_empty() {
                    return Err("--admin-password: the password is empty".into());
                }
                args.admin_password = Some(pw);
            }
            "--cors-origin" => {
                let origin = it.next().ok_or("--cors-origin needs a value")?;
                if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
                    return Err(format!("--cors-origin: not an origin (http://host[:port]): {origin}"));
                }
                args.cors_origins.push(origin.trim_end_matches('/').to_string());
            }
            "--rate-limit" => args.rate_limit = Some(positive("--rate-limit", it.next())?),
            "--connection-rate" => args.connection_rate = Some(positive("--connection-rate", it.next())?),
            "--firmware-dir" => args.firmware_dir = Some(it.next().ok_or("--firmware-dir needs a value")?),
            "--firmware-max" => args.firmware_max = u64::from(positive("--firmware-max", it.next())?),
            "-h" | "--help" => return Err(USAGE.into()),
            other if args.portal.take(other, &mut it)? => {}
            other => return Err(format!("unknown argument: {other} (try --help)")),
        }
    }
    args.portal.check()?;
    match (&args.tls_cert, &args.tls_key) {
        (Some(_), None) => return Err("--tls-cert needs --tls-key too".into()),
        (None, Some(_)) => return Err("--tls-key needs --tls-cert too".into()),
        (None, None) if args.redirect_port.is_some() => {
            return Err("--redirect-port redirects to HTTPS: give --tls-cert and --tls-key".into())
        }
        _ => {}
    }
    Ok(args)
}

/// The OpenAPI document of the routes the device serves: the portal's (as
/// the firmware has them) and the camera's.
fn openapi_document() -> String {
    static PORTAL: ferrodot::portal::routes::Portal = ferrodot::portal::routes::Portal::new("/setup");
    let routes = (portal::routes(Some(&PORTAL)), camera::routes());
    let notes = [camera::api::NOTES, ferrodot::portal::routes::NOTES].concat();
    let list = ferrodot::app::Dispatch::<Camera>::routes(&routes);
    ferrodot::openapi::document(&camera::api::INFO, list, &notes)
}

/// Where the plain-HTTP port sends clients: the HTTPS port.
struct HttpsPort(u16);

/// `308` to `https://HOST:PORT/TARGET`, HOST from the request's `Host`
/// (its port dropped), else the address the client connected to.
struct ToHttps(String);

impl IntoResponse for ToHttps {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        Redirect(Status::PERMANENT_REDIRECT, &self.0).into_response(out).await
    }
}

async fn to_https(req: &Request<'_>, State(port): State<&HttpsPort>) -> ToHttps {
    let host = match req.header("host") {
        // `[::1]:8080`, `example.com:8080`, `example.com`.
        Some(h) if h.starts_with('[') => h.split_once(']').map_or(h, |(v6, _)| v6).to_string() + "]",
        Some(h) => h.split(':').next().unwrap_or(h).to_string(),
        None => "localhost".to_string(),
    };
    let port = if port.0 == 443 {
        String::new()
    } else {
        format!(":{}", port.0)
    };
    ToHttps(format!("https://{host}{port}{}", req.target()))
}

ferrodot::routes! {
    RedirectRoutes<HttpsPort> {
        GET "/" .and(Method::Post).and(Method::Put).and(Method::Delete).and(Method::Patch).and(Method::Options) => to_https,
        GET "/<path:rest>" .and(Method::Post).and(Method::Put).and(Method::Delete).and(Method::Patch).and(Method::Options) => to_https,
    }
}

async fn serve(args: Args) -> std::io::Result<()> {
    // Certificates first: a bad file is an error before anything listens.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsConfig::load(cert, key)?.build().map_err(std::io::Error::other)?),
        _ => None,
    };
    let mut server = Server::bind(format!("{}:{}", args.host, args.port)).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("ferrodot demo listening on {scheme}://{}", server.local_addr()?);
    let mut camera = camera::app_with(security(&args, tls.is_some()));
    let slots = firmware::FileSlots::new(
        args.firmware_dir.as_deref().map(std::path::Path::new),
        args.firmware_max,
    )?;
    camera.state = camera.state.with_firmware(Box::leak(Box::new(slots)));
    let portal = portal::start(&args.portal, server.local_addr()?).await?;
    let mut app: DemoApp = App::new(camera.state, (portal, camera.routes)).with_config(camera.config);
    if !args.quiet {
        app = app.after_request(log_request).on_refuse(log_refused);
    }
    // The app lives as long as the program, like a `static` on a device.
    let app: &'static DemoApp = Box::leak(Box::new(app));
    if let Some(n) = args.connection_rate {
        let mut rate = ConnectionRate::per_second(n);
        server = server.admit(move |_| rate.admit());
    }
    if let Some(tls) = tls {
        let https_port = server.local_addr()?.port();
        server = server.tls(tls);
        if let Some(port) = args.redirect_port {
            let redirect = Server::bind(format!("{}:{port}", args.host)).await?;
            println!("redirecting http://{} to https", redirect.local_addr()?);
            let app = std::rc::Rc::new(App::new(HttpsPort(https_port), RedirectRoutes));
            tokio::task::spawn_local(async move {
                if let Err(e) = redirect.serve(app).await {
                    eprintln!("demo: redirect server: {e}");
                }
            });
        }
    }
    // The camera: a background task that really advances frames.
    tokio::task::spawn_local(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(u64::from(app.state.interval_ms()))).await;
            app.state.tick();
        }
    });
    // `POST /report`: the uplink, on ferrodot's client.
    tokio::task::spawn_local(async move {
        let client = ferrodot::client::tokio::Client::with_options(ferrodot::client::tokio::ClientOptions {
            timeout: Duration::from_secs(5),
            ..Default::default()
        });
        loop {
            let job = app.state.reports().next().await;
            let host = if job.host().contains(':') {
                format!("[{}]", job.host())
            } else {
                job.host().to_string()
            };
            let url = format!("http://{host}:{}{}", job.port, job.path());
            let sent = client
                .post(&url, &[("Content-Type", "application/json")], job.body())
                .await;
            app.state
                .reports()
                .finish(sent.map(|reply| reply.status.0).map_err(|e| e.reason()));
        }
    });
    server
        .serve_with_shutdown(app, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// The camera's security settings from the flags. What the app keeps
/// lives as long as the program (leaked once), as a device's constants do.
fn security(args: &Args, https: bool) -> Security {
    let mut security = Security::OPEN;
    if let Some(pw) = &args.admin_password {
        security.admin_password = Some(Box::leak(pw.clone().into_boxed_str()));
        // A new key each start: restarting logs everyone out.
        let key: &'static [u8] = Box::leak(Box::new(random_key()));
        let keys: &'static [&'static [u8]] = Box::leak(Box::new([key]));
        let sessions = Sessions::new(keys, unix_now).max_age(8 * 3600);
        security.sessions = if https { sessions.secure() } else { sessions };
    }
    if !args.cors_origins.is_empty() {
        let origins: Vec<&'static str> = args
            .cors_origins
            .iter()
            .map(|o| &*Box::leak(o.clone().into_boxed_str()))
            .collect();
        security.cors = Cors::new(origins.leak())
            .headers(&["content-type", "authorization"])
            .credentials()
            .max_age(600);
    }
    if let Some(n) = args.rate_limit {
        security.rate_limit = Some(RateLimit::per_second(n, host_millis));
    }
    security
}

/// 32 bytes from the OS's random source.
fn random_key() -> [u8; 32] {
    use std::io::Read;
    let mut key = [0u8; 32];
    if let Err(e) = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut key)) {
        eprintln!("demo: no /dev/urandom ({e}); cannot make a session key");
        std::process::exit(1);
    }
    key
}

fn main() {
    let args = parse_args().unwrap_or_else(|msg| {
        eprintln!("{msg}");
        std::process::exit(2)
    });
    if args.openapi {
        println!("{}", openapi_document());
        return;
    }
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .and_then(|rt| tokio::task::LocalSet::new().block_on(&rt, serve(args)));
    if let Err(e) = result {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodot::route::pattern::{segments, Segment};

    const COMMITTED: &str = include_str!("../../camera/assets/openapi.json");

    #[test]
    fn the_committed_openapi_document_is_current() {
        assert!(
            COMMITTED.trim_end() == openapi_document(),
            "apps/camera/assets/openapi.json is stale: run\n  cargo run -p demo -- --openapi > apps/camera/assets/openapi.json"
        );
    }

    /// Every method of every route the device serves is an operation of the
    /// served document, with one path parameter per capture; every note names a route.
    #[test]
    fn every_route_is_in_the_document_with_its_parameters() {
        static PORTAL: ferrodot::portal::routes::Portal = ferrodot::portal::routes::Portal::new("/setup");
        let doc: serde_json::Value = serde_json::from_str(COMMITTED).expect("openapi.json is JSON");
        let routes = (portal::routes(Some(&PORTAL)), camera::routes());
        let list: Vec<_> = ferrodot::app::Dispatch::<Camera>::routes(&routes).collect();
        assert!(list.len() > 20, "{} routes", list.len());
        for route in &list {
            let pattern = route.pattern.as_str();
            let mut template = String::new();
            let mut captures = Vec::new();
            for segment in segments(pattern) {
                match segment {
                    Segment::Literal(text) => template += &format!("/{text}"),
                    Segment::Capture { name, .. } => {
                        template += &format!("/{{{name}}}");
                        captures.push(name);
                    }
                }
            }
            for method in route.methods.iter() {
                let op = &doc["paths"][&template][method.as_str().to_ascii_lowercase()];
                assert!(
                    op.is_object(),
                    "{method} {pattern} is not in the document as {template}"
                );
                let in_path: Vec<&str> = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .filter(|p| p["in"] == "path")
                            .filter_map(|p| p["name"].as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                assert_eq!(in_path, captures, "{method} {pattern}");
                assert!(op["summary"].is_string(), "{method} {pattern} has no note");
            }
        }
        for note in camera::api::NOTES.iter().chain(ferrodot::portal::routes::NOTES) {
            let found = list
                .iter()
                .any(|r| r.pattern.as_str() == note.pattern && r.methods.contains(note.method));
            assert!(found, "a note on {} {} names no route", note.method, note.pattern);
        }
    }
}
