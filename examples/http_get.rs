//! Seed 002's `http_get(url)`, on ferrodot's client: the body of each URL
//! on stdout, in order; the status line and header fields on stderr.
//!
//! ```sh
//! cargo run --release --example http_get -- http://127.0.0.1:8080/status http://127.0.0.1:8080/
//! cargo run --release --example http_get -- --cacert ca.pem https://127.0.0.1:8443/status
//! ```
//!
//! URLs on the same host and port share one kept-alive connection. A
//! request that fails (no connection, a time-out, a malformed response, a
//! certificate that does not verify) ends the program with status 1 and
//! one line on stderr; an HTTP error status is a response like any other.

use std::io::Write;
use std::process::ExitCode;

use ferrodot::client::tokio::{Client, ClientOptions};

fn main() -> ExitCode {
    let mut options = ClientOptions::default();
    let mut urls = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cacert" => match args.next() {
                Some(file) => options.ca_file = Some(file.into()),
                None => return fail("--cacert needs a file"),
            },
            "-h" | "--help" => {
                println!("usage: http_get [--cacert FILE] URL [URL...]");
                return ExitCode::SUCCESS;
            }
            _ => urls.push(arg),
        }
    }
    if urls.is_empty() {
        return fail("usage: http_get [--cacert FILE] URL [URL...]");
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return fail("cannot start the runtime");
    };
    let client = Client::with_options(options);
    runtime.block_on(async {
        for url in &urls {
            let reply = match client.get(url).await {
                Ok(reply) => reply,
                Err(e) => return fail(&format!("{url}: {e}")),
            };
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{} {} {}", reply.version.as_str(), reply.status.0, reply.reason);
            for (name, value) in &reply.headers {
                let _ = writeln!(err, "{name}: {value}");
            }
            let _ = writeln!(err);
            let mut out = std::io::stdout().lock();
            if out.write_all(&reply.body).and_then(|()| out.flush()).is_err() {
                return fail("cannot write to stdout");
            }
        }
        ExitCode::SUCCESS
    })
}

fn fail(message: &str) -> ExitCode {
    eprintln!("http_get: {message}");
    ExitCode::FAILURE
}
