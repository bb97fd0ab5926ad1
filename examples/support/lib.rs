//! What every example shares: `--host`/`--port` arguments and serving
//! until Ctrl-C on a single-threaded tokio runtime.

pub mod echo;

use std::ops::Deref;

use ferrodot::app::{App, Dispatch};
use ferrodot::rt::tokio::{Server, ServerOptions};

/// The address from `--host ADDR` (default 0.0.0.0) and `--port N`
/// (default 8080). Exits with a usage message on bad arguments.
pub fn listen_addr() -> String {
    let mut host = String::from("0.0.0.0");
    let mut port: u16 = 8080;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--host", Some(v)) => host = v,
            ("--port", Some(v)) => match v.parse() {
                Ok(p) => port = p,
                Err(_) => usage(&format!("--port: not a port number: {v}")),
            },
            _ => usage(&format!("unexpected argument: {arg}")),
        }
    }
    format!("{host}:{port}")
}

fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nusage: [--host ADDR] [--port N]");
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
    let addr = listen_addr();
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

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("error: {e}");
    std::process::exit(1)
}
