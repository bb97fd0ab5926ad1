//! What every example shares: `--host`/`--port` arguments and serving
//! until Ctrl-C on a single-threaded tokio runtime.

pub mod echo;

use std::ops::Deref;

use ferrodot::app::{App, Dispatch};
use ferrodot::rt::tokio::{Server, ServerOptions};

/// The command line: `--host ADDR` (default 0.0.0.0), `--port N`
/// (default 8080) and the example's own `--NAME VALUE` options.
pub struct Args {
    pub host: String,
    pub port: u16,
    extra: Vec<(String, String)>,
}

impl Args {
    /// Parse the command line, allowing the options in `extra` (`"--dir"`).
    /// Exits with a usage message on bad arguments.
    pub fn parse(extra: &[&str]) -> Args {
        let mut args = Args { host: String::from("0.0.0.0"), port: 8080, extra: Vec::new() };
        let mut words = std::env::args().skip(1);
        while let Some(arg) = words.next() {
            let value = words.next();
            match (arg.as_str(), value) {
                ("--host", Some(v)) => args.host = v,
                ("--port", Some(v)) => args.port = parse_port("--port", &v),
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
        self.extra.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A port number given as option `name`, or `default`.
    pub fn port_of(&self, name: &str, default: u16) -> u16 {
        self.get(name).map_or(default, |v| parse_port(name, v))
    }
}

fn parse_port(name: &str, value: &str) -> u16 {
    value.parse().unwrap_or_else(|_| usage(&format!("{name}: not a port number: {value}"), &[]))
}

/// The address from `--host ADDR` (default 0.0.0.0) and `--port N`
/// (default 8080). Exits with a usage message on bad arguments.
pub fn listen_addr() -> String {
    Args::parse(&[]).addr()
}

fn usage(problem: &str, extra: &[&str]) -> ! {
    let extra: String = extra.iter().map(|e| format!(" [{e} VALUE]")).collect();
    eprintln!("{problem}\nusage: [--host ADDR] [--port N]{extra}");
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
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => fail(&e),
    };
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&runtime, async move {
        let server = Server::bind(addr.as_str()).await?.options(options);
        println!("listening on http://{}", server.local_addr()?);
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
