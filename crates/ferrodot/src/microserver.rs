//! MicroServer-style apps (features `std` and `json`): a named server
//! whose routes are plain closures, every answer JSON.
//!
//! ```no_run
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::Arc;
//! use ferrodot::microserver::MicroServer;
//!
//! let led = Arc::new(AtomicBool::new(false));
//! let mut ms = MicroServer::new("LED"); // port 8080
//! let on = led.clone();
//! ms.add_route("/on", move || on.store(true, Ordering::SeqCst));
//! let off = led.clone();
//! ms.add_route_nowait("/off", move || off.store(false, Ordering::SeqCst));
//! ms.add_route("/state", move || led.load(Ordering::SeqCst));
//! ms.start().unwrap(); // blocks; `spawn()` runs it on its own thread
//! ```
//!
//! | request | answer |
//! |---|---|
//! | `GET /` (unless the app has a `/` route) | `{"data": {"name": "LED", "routes": ["/", "/off", "/on", "/state"]}}` |
//! | a route | 200 `{"data": <what the closure returned>}` |
//! | a `nowait` route | 200 `{"data": null}` at once; the closure runs on a new thread |
//! | a closure that returns `Err(e)` (see [`MicroServer::add_try_route`]), panics, or returns something that does not serialise | 500 `{"error": "<message>"}` |
//! | an unknown path | 404 `{"error": "Route is not defined"}` |
//!
//! `.log_requests()` prints the seed's line per request
//! (`GET /on on :8080 from 192.168.1.20`).
//!
//! JSON is written as Python's `json.dumps` writes it (`", "` and `": "`),
//! so clients see the seed's bytes. Closures are `Send + Sync` because a
//! `nowait` route runs on another thread, as MicroPython's `_thread` does.
//!
//! A server without a name, the seed's `MicroServer(port=8081)`, is
//! `MicroServer::default().port(8081)`; its `GET /` lists `"name": ""`.
//!
//! Where this differs from the MicroPython MicroServer, on purpose: a
//! route answers GET, HEAD and POST (405 with `Allow` for other methods),
//! unless [`MicroServer::any_method`] opts into the seed's behaviour of
//! running the route whatever the method — opt-in because a state-changing
//! route then runs for a cross-site form POST or a preflight OPTIONS too
//! (see there); the query string is
//! ignored when finding a route (the seed answers 404 to `/on?x=1`);
//! responses have a `Content-Length` and connections are kept alive
//! (the seed closes after every response); a malformed request is a 400,
//! not a 500; the server binds in [`MicroServer::bind`] (or `start`),
//! not in the constructor.

use std::collections::BTreeMap;
use std::string::{String, ToString};
use std::sync::Arc;
use std::vec::Vec;

use serde::Serialize;

use crate::app::respond::{IntoResponse, Typed};
use crate::app::{App, Dispatch};
use crate::http::{Method, Request, Status};
use crate::route::Route;
use crate::server::{Config, ErrorStyle, RequestBody, ResponseWriter, WriteError};

/// What a route's closure produced: the whole JSON body, or the error message.
type Action = Arc<dyn Fn() -> Result<Vec<u8>, String> + Send + Sync>;

#[derive(Clone)]
struct MicroRoute {
    action: Action,
    nowait: bool,
}

/// A named server of closure routes (MicroServer's `MicroServer(name, port)`).
pub struct MicroServer {
    name: String,
    host: String,
    port: u16,
    routes: BTreeMap<String, MicroRoute>,
    config: Config,
    log: bool,
    any_method: bool,
}

#[derive(Serialize)]
struct Data<'a, T: ?Sized> {
    data: &'a T,
}

#[derive(Serialize)]
struct Error<'a> {
    error: &'a str,
}

#[derive(Serialize)]
struct Listing<'a> {
    name: &'a str,
    routes: Vec<&'a str>,
}

/// Python's `json.dumps` layout: `", "` between items, `": "` after keys.
struct PythonStyle;

impl serde_json::ser::Formatter for PythonStyle {
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}

/// Serialise `value` as Python would; the serialiser's message on failure.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonStyle);
    value.serialize(&mut serializer).map_err(|e| e.to_string())?;
    Ok(out)
}

fn data<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    to_json(&Data { data: value })
}

fn error_body(message: &str) -> Vec<u8> {
    to_json(&Error { error: message }).unwrap_or_else(|_| Vec::from(&b"{\"error\": \"error\"}"[..]))
}

/// The message of a panic, as Python would show an exception.
fn panic_message(payload: &(dyn core::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        String::from(*s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("the route panicked")
    }
}

fn run(action: &Action) -> Result<Vec<u8>, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| action())) {
        Ok(result) => result,
        Err(payload) => Err(panic_message(payload.as_ref())),
    }
}

impl MicroServer {
    /// A server called `name` on port 8080 of every interface.
    pub fn new(name: impl Into<String>) -> Self {
        let config = Config {
            error_style: ErrorStyle::Json,
            ..Config::DEFAULT
        };
        MicroServer {
            name: name.into(),
            host: String::from("0.0.0.0"),
            port: 8080,
            routes: BTreeMap::new(),
            config,
            log: false,
            any_method: false,
        }
    }

    /// The port to listen on (default 8080; 0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The interface to listen on (default `0.0.0.0`, all of them).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Engine limits and time-outs (JSON error bodies are kept).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Config {
            error_style: ErrorStyle::Json,
            ..config
        };
        self
    }

    /// Print one line per request, as the seed does:
    /// `GET /on on :8080 from 192.168.1.20`.
    pub fn log_requests(mut self) -> Self {
        self.log = true;
        self
    }

    /// Run a route whatever the request's method, as the seed does
    /// (`POST /on`, `DELETE /on` and `OPTIONS /on` switch the LED on too).
    ///
    /// Off by default, because it is unsafe on a network you do not
    /// control: a route that changes state is then reachable by any method,
    /// so a cross-site form POST (which needs no CORS preflight) or a
    /// preflight `OPTIONS` runs it, and nothing separates safe requests
    /// from changes. Off, a route answers GET, HEAD and POST, and other
    /// methods get 405 with `Allow`.
    pub fn any_method(mut self, on: bool) -> Self {
        self.any_method = on;
        self
    }

    /// The server's name, `""` for one made with [`MicroServer::default`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address `bind` and `start` listen on.
    pub fn addr(&self) -> String {
        std::format!("{}:{}", self.host, self.port)
    }

    fn insert(&mut self, path: &str, action: Action, nowait: bool) -> &mut Self {
        self.routes.insert(String::from(path), MicroRoute { action, nowait });
        self
    }

    /// Answer `path` with `{"data": action()}`. A route at `/` replaces
    /// the built-in listing.
    pub fn add_route<F, T>(&mut self, path: &str, action: F) -> &mut Self
    where
        F: Fn() -> T + Send + Sync + 'static,
        T: Serialize,
    {
        self.insert(path, Arc::new(move || data(&action())), false)
    }

    /// Answer `path` with `{"data": null}` at once and run `action` on a
    /// new thread (MicroServer's `add_route(path, fn, nowait=True)`).
    pub fn add_route_nowait<F, T>(&mut self, path: &str, action: F) -> &mut Self
    where
        F: Fn() -> T + Send + Sync + 'static,
        T: Serialize,
    {
        self.insert(path, Arc::new(move || data(&action())), true)
    }

    /// Like [`MicroServer::add_route`] for a closure that can fail: `Err(e)`
    /// answers 500 `{"error": "<e>"}` (a Python exception in the seed).
    pub fn add_try_route<F, T, E>(&mut self, path: &str, action: F) -> &mut Self
    where
        F: Fn() -> Result<T, E> + Send + Sync + 'static,
        T: Serialize,
        E: core::fmt::Display,
    {
        self.insert(
            path,
            Arc::new(move || action().map_err(|e| e.to_string()).and_then(|v| data(&v))),
            false,
        )
    }

    /// Every route path, sorted, `/` included (the listing of `GET /`).
    pub fn routes(&self) -> Vec<&str> {
        route_paths(&self.routes)
    }

    /// The app that serves these routes, for any ferrodot server
    /// (`rt::tokio::Server`, the test client).
    pub fn into_app(self) -> App<(), MicroRoutes> {
        let log = self.log.then_some(self.port);
        self.into_app_logging(log)
    }

    /// The app, logging requests as received on `port` when `Some`.
    fn into_app_logging(self, log: Option<u16>) -> App<(), MicroRoutes> {
        let config = self.config;
        let routes = MicroRoutes {
            name: self.name,
            routes: self.routes,
            route: Route::any("/:path*"),
            log,
            any_method: self.any_method,
        };
        App::new((), routes).with_config(config)
    }
}

/// A server without a name on port 8080: the seed's `MicroServer()`;
/// `MicroServer::default().port(8081)` is its `MicroServer(port=8081)`.
/// `GET /` lists it with the name `""`, as the seed does.
impl Default for MicroServer {
    fn default() -> Self {
        MicroServer::new("")
    }
}

/// The paths of `routes`, sorted, with the built-in `/` unless overridden.
fn route_paths(routes: &BTreeMap<String, MicroRoute>) -> Vec<&str> {
    let mut paths: Vec<&str> = routes.keys().map(String::as_str).collect();
    if !routes.contains_key("/") {
        paths.push("/");
        paths.sort_unstable();
    }
    paths
}

const ALLOW: &str = "GET, HEAD, POST, OPTIONS";

/// The route table of a [`MicroServer`]: one catch-all route, looked up
/// by exact path.
pub struct MicroRoutes {
    name: String,
    routes: BTreeMap<String, MicroRoute>,
    route: Route<'static>,
    /// The port to name in the request log, when requests are logged.
    log: Option<u16>,
    /// Routes run for every method (see [`MicroServer::any_method`]).
    any_method: bool,
}

impl MicroRoutes {
    /// The server's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn listing(&self) -> Result<Vec<u8>, String> {
        data(&Listing {
            name: &self.name,
            routes: route_paths(&self.routes),
        })
    }
}

async fn json(out: &mut ResponseWriter<'_>, status: Status, body: Vec<u8>) -> Result<(), WriteError> {
    (status, Typed("application/json", body)).into_response(out).await
}

impl<S> Dispatch<S> for MicroRoutes {
    fn route_count(&self) -> usize {
        1
    }

    fn route(&self, index: usize) -> Option<&Route<'_>> {
        (index == 0).then_some(&self.route)
    }

    async fn call(
        &self,
        _index: usize,
        req: &Request<'_>,
        _state: &S,
        _body: &RequestBody<'_>,
        out: &mut ResponseWriter<'_>,
    ) -> Result<(), WriteError> {
        let path = req.path_decoded().to_string_lossy();
        if let Some(port) = self.log {
            let from = req.client_addr().map(|a| a.ip().to_string()).unwrap_or_default();
            std::println!("{} {path} on :{port} from {from}", req.method());
        }
        let route = self.routes.get(&path);
        if route.is_none() && path != "/" {
            return json(out, Status::NOT_FOUND, error_body("Route is not defined")).await;
        }
        match req.method() {
            _ if self.any_method => {}
            Method::Get | Method::Head | Method::Post => {}
            Method::Options => {
                out.start(Status::NO_CONTENT);
                out.header("Allow", ALLOW);
                return out.finish().await;
            }
            _ => {
                out.start(Status::METHOD_NOT_ALLOWED);
                out.header("Allow", ALLOW);
                out.header("Content-Type", "application/json");
                out.write(&error_body("Method is not allowed")).await?;
                return out.finish().await;
            }
        }
        let result = match route {
            None => self.listing(),
            Some(route) if route.nowait => {
                let action = route.action.clone();
                let path = path.clone();
                let name = self.name.clone();
                let spawned = std::thread::Builder::new()
                    .name(std::format!("{name} {path}"))
                    .spawn(move || {
                        if let Err(e) = run(&action) {
                            std::eprintln!("MicroServer {name}: {path} failed: {e}");
                        }
                    });
                match spawned {
                    Ok(_) => data(&()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Some(route) => run(&route.action),
        };
        match result {
            Ok(body) => json(out, Status::OK, body).await,
            Err(message) => json(out, Status::INTERNAL_SERVER_ERROR, error_body(&message)).await,
        }
    }
}

#[cfg(feature = "tokio")]
pub use self::running::{Bound, Running};

#[cfg(feature = "tokio")]
mod running {
    use std::io;
    use std::net::SocketAddr;
    use std::rc::Rc;
    use std::string::String;

    use super::{MicroRoutes, MicroServer};
    use crate::app::App;
    use crate::rt::tokio::{Background, Server};

    /// A MicroServer whose port is bound, not yet serving.
    pub struct Bound {
        listener: std::net::TcpListener,
        server: MicroServer,
    }

    /// A MicroServer serving on its own thread.
    pub struct Running {
        addr: SocketAddr,
        name: String,
        background: Background,
    }

    impl MicroServer {
        /// Bind the port now (a port in use is an error here, as in the
        /// seed's constructor). Port 0 picks a free one.
        pub fn bind(self) -> io::Result<Bound> {
            let addr = self.addr();
            let listener = std::net::TcpListener::bind(&addr)
                .map_err(|e| io::Error::new(e.kind(), std::format!("cannot listen on {addr}: {e}")))?;
            Ok(Bound { listener, server: self })
        }

        /// The app, naming the port it was bound to in its request log.
        fn app_on(self, port: u16) -> App<(), MicroRoutes> {
            let log = self.log.then_some(port);
            self.into_app_logging(log)
        }

        /// Bind and serve until the process ends (or Ctrl-C).
        pub fn start(self) -> io::Result<()> {
            self.bind()?.start()
        }

        /// Bind now and serve on a new thread: several servers, one program.
        pub fn spawn(self) -> io::Result<Running> {
            self.bind()?.spawn()
        }
    }

    async fn serve(
        listener: std::net::TcpListener,
        app: App<(), MicroRoutes>,
        stop: impl core::future::Future<Output = ()>,
    ) -> io::Result<()> {
        listener.set_nonblocking(true)?;
        let server = Server::from_listener(tokio::net::TcpListener::from_std(listener)?);
        server.serve_with_shutdown(Rc::new(app), stop).await
    }

    fn block_on(fut: impl core::future::Future<Output = io::Result<()>>) -> io::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        tokio::task::LocalSet::new().block_on(&runtime, fut)
    }

    impl Bound {
        /// The address bound (the port chosen, for port 0).
        pub fn local_addr(&self) -> io::Result<SocketAddr> {
            self.listener.local_addr()
        }

        /// Serve on this thread until the process ends (or Ctrl-C),
        /// after printing `Server running on port N...` as the seed does.
        pub fn start(self) -> io::Result<()> {
            let port = self.local_addr()?.port();
            std::println!("Server running on port {port}...");
            let app = self.server.app_on(port);
            let listener = self.listener;
            block_on(async move {
                let stop = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
                serve(listener, app, stop).await
            })
        }

        /// Serve on a new thread.
        pub fn spawn(self) -> io::Result<Running> {
            let addr = self.local_addr()?;
            let name = String::from(self.server.name());
            let Bound { listener, server } = self;
            let port = addr.port();
            let background = Background::spawn(std::format!("MicroServer {name}"), move |stop| {
                let app = server.app_on(port);
                block_on(serve(listener, app, stop.wait()))
            })?;
            Ok(Running { addr, name, background })
        }
    }

    impl Running {
        /// The address it serves on.
        pub fn local_addr(&self) -> SocketAddr {
            self.addr
        }

        /// The server's name.
        pub fn name(&self) -> &str {
            &self.name
        }

        /// Stop accepting, finish the requests in flight, join the thread.
        pub fn stop(self) -> io::Result<()> {
            self.background.stop()
        }
    }
}
