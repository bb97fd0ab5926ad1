//! What every example shares: `--host`/`--port` arguments and serving
//! until Ctrl-C on a single-threaded tokio runtime. `--openapi` prints the
//! example's OpenAPI document instead of serving (see [`openapi_requested`]).

pub mod echo;

use std::ops::Deref;

use ferrodot::app::{App, Dispatch};
use ferrodot::rt::tokio::{Server, ServerOptions};
use ferrodot::tls::{ServerConfig, TlsConfig};
use std::sync::Arc;

/// The command line: `--host ADDR` (default 0.0.0.0), `--port N`
/// (default 8080) and the example's own `--NAME VALUE` options.
pub struct Args {
    pub host: String,
    pub port: u16,
    /// Whether `--port` was given (HTTPS faces default to 443 otherwise).
    pub port_given: bool,
    extra: Vec<(String, String)>,
}

impl Args {
    /// Parse the command line, allowing the options in `extra` (`"--dir"`).
    /// Exits with a usage message on bad arguments.
    pub fn parse(extra: &[&str]) -> Args {
        let mut args = Args {
            host: String::from("0.0.0.0"),
            port: 8080,
            port_given: false,
            extra: Vec::new(),
        };
        let mut words = std::env::args().skip(1);
        while let Some(arg) = words.next() {
            if arg == "--openapi" {
                continue; // see `openapi_requested`
            }
            let value = words.next();
            match (arg.as_str(), value) {
                ("--host", Some(v)) => args.host = v,
                ("--port", Some(v)) => {
                    args.port = parse_port("--port", &v);
                    args.port_given = true;
                }
                (name, Some(v)) if extra.contains(&name) => args.extra.push((arg, v)),
                _ => usage(&format!("unexpected argument: {arg}"), extra),
            }
        }
        args
    }

    /// `host:port`.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The value of option `name` (`"--dir"`), if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// HTTPS, when both the certificate option `cert` and the key option
    /// `key` are given (PEM files): the rustls configuration. Exits with
    /// the loader's error (a missing file, not PEM, a key that does not
    /// match, an expired certificate) or a usage message for only one of
    /// the two.
    pub fn tls(&self, cert: &str, key: &str) -> Option<Arc<ServerConfig>> {
        match (self.get(cert), self.get(key)) {
            (Some(certfile), Some(keyfile)) => match TlsConfig::load(certfile, keyfile) {
                Ok(config) => Some(config.build().unwrap_or_else(|e| fail(&e))),
                Err(e) => fail(&e),
            },
            (None, None) => None,
            _ => usage(&format!("{cert} and {key} go together"), &[cert, key]),
        }
    }

    /// A port number given as option `name`, or `default`.
    pub fn port_of(&self, name: &str, default: u16) -> u16 {
        self.get(name).map_or(default, |v| parse_port(name, v))
    }
}

fn parse_port(name: &str, value: &str) -> u16 {
    value
        .parse()
        .unwrap_or_else(|_| usage(&format!("{name}: not a port number: {value}"), &[]))
}

/// The address from `--host ADDR` (default 0.0.0.0) and `--port N`
/// (default 8080). Exits with a usage message on bad arguments.
pub fn listen_addr() -> String {
    Args::parse(&[]).addr()
}

/// Whether `--openapi` was given: then the serve functions print the app's
/// OpenAPI 3.1 document (from its route table) and exit instead of serving.
/// An example with notes of its own prints its document before serving.
pub fn openapi_requested() -> bool {
    std::env::args().skip(1).any(|a| a == "--openapi")
}

/// The document's `info`: the example's name and the crate's version.
pub fn openapi_info() -> ferrodot::openapi::Info<'static> {
    let name = std::env::args().next().unwrap_or_default();
    let name = std::path::Path::new(&name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let title: &'static str = Box::leak(name.unwrap_or_else(|| "example".into()).into_boxed_str());
    ferrodot::openapi::Info::new(title, env!("CARGO_PKG_VERSION"))
}

/// Print the OpenAPI document of routes known only at run time (a
/// MicroServer's paths, a resource store's URIs): each path with its methods
/// and, where given, its media type. Paths that are not valid patterns are
/// left out.
pub fn print_openapi_of(paths: &[(String, ferrodot::http::method::MethodSet, Option<&'static str>)]) {
    use ferrodot::openapi::{Note, Reply};
    use ferrodot::route::{Pattern, Route};
    let routes: Vec<Route<'_>> = paths
        .iter()
        .filter_map(|(path, methods, _)| {
            Some(Route {
                methods: *methods,
                pattern: Pattern::try_new(path).ok()?,
                max_body: None,
                require_length: false,
            })
        })
        .collect();
    let replies: Vec<[Reply<'_>; 1]> = paths
        .iter()
        .map(|(_, _, media)| [Reply::media(200, "The value", media.unwrap_or("application/json"))])
        .collect();
    let notes: Vec<Note<'_>> = paths
        .iter()
        .zip(&replies)
        .flat_map(|((path, methods, _), reply)| {
            methods
                .iter()
                .map(move |m| Note::new(m, path.as_str(), "").responses(reply))
        })
        .collect();
    println!("{}", ferrodot::openapi::document(&openapi_info(), &routes, &notes));
}

fn usage(problem: &str, extra: &[&str]) -> ! {
    let extra: String = extra.iter().map(|e| format!(" [{e} VALUE]")).collect();
    eprintln!("{problem}\nusage: [--host ADDR] [--port N] [--openapi]{extra}");
    std::process::exit(2)
}

/// Serve `app` on the address from the command line until Ctrl-C, with
/// `background` running beside it (a sensor task, say).
pub fn serve<A, S, R>(app: A, background: impl std::future::Future<Output = ()> + 'static)
where
    A: Deref<Target = App<S, R>> + Clone + 'static,
    S: 'static,
    R: Dispatch<S> + 'static,
{
    serve_with(app, ServerOptions::default(), background)
}

/// [`serve`] with the host runtime's options (buffer sizes, connection limit).
pub fn serve_with<A, S, R>(app: A, options: ServerOptions, background: impl std::future::Future<Output = ()> + 'static)
where
    A: Deref<Target = App<S, R>> + Clone + 'static,
    S: 'static,
    R: Dispatch<S> + 'static,
{
    serve_on(listen_addr(), app, options, background)
}

/// [`serve_with`] on `addr` (for examples with options of their own, see [`Args`]).
pub fn serve_on<A, S, R>(
    addr: String,
    app: A,
    options: ServerOptions,
    background: impl std::future::Future<Output = ()> + 'static,
) where
    A: Deref<Target = App<S, R>> + Clone + 'static,
    S: 'static,
    R: Dispatch<S> + 'static,
{
    serve_tls_on(addr, app, options, None, background)
}

/// [`serve_on`], over HTTPS when `tls` is given (see [`Args::tls`]).
pub fn serve_tls_on<A, S, R>(
    addr: String,
    app: A,
    options: ServerOptions,
    tls: Option<Arc<ServerConfig>>,
    background: impl std::future::Future<Output = ()> + 'static,
) where
    A: Deref<Target = App<S, R>> + Clone + 'static,
    S: 'static,
    R: Dispatch<S> + 'static,
{
    if openapi_requested() {
        println!(
            "{}",
            ferrodot::openapi::document(&openapi_info(), app.route_list(), &[])
        );
        return;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => fail(&e),
    };
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&runtime, async move {
        let mut server = Server::bind(addr.as_str()).await?.options(options);
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("listening on {scheme}://{}", server.local_addr()?);
        if let Some(tls) = tls {
            server = server.tls(tls);
        }
        tokio::task::spawn_local(background);
        server
            .serve_with_shutdown(app, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    });
    if let Err(e) = result {
        fail(&e);
    }
}

/// Print `error: e` and exit with status 1.
pub fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("error: {e}");
    std::process::exit(1)
}

/// The guide's pages (`docs/guide/`), included so that `cargo test
/// --workspace` compiles and runs every Rust block on them.
#[cfg(doctest)]
pub mod guide {
    #[doc = include_str!("../../docs/guide/01-first-endpoint.md")]
    pub struct FirstEndpoint;
    #[doc = include_str!("../../docs/guide/02-routes-and-parameters.md")]
    pub struct RoutesAndParameters;
    #[doc = include_str!("../../docs/guide/03-json.md")]
    pub struct Json;
    #[doc = include_str!("../../docs/guide/04-device-in-a-static.md")]
    pub struct DeviceInAStatic;
    #[doc = include_str!("../../docs/guide/05-embassy.md")]
    pub struct Embassy;
    #[doc = include_str!("../../docs/guide/06-websocket-and-sse.md")]
    pub struct WebSocketAndSse;
    #[doc = include_str!("../../docs/guide/07-resource-store.md")]
    pub struct ResourceStore;
    #[doc = include_str!("../../docs/guide/08-https.md")]
    pub struct Https;
    #[doc = include_str!("../../docs/guide/09-client.md")]
    pub struct Client;
    #[doc = include_str!("../../docs/guide/10-assets-and-uploads.md")]
    pub struct AssetsAndUploads;
    #[doc = include_str!("../../docs/guide/11-openapi.md")]
    pub struct OpenApi;
    #[doc = include_str!("../../docs/guide/coming-from.md")]
    pub struct ComingFrom;
}
