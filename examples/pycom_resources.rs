//! Seed 004 (Pycom `network.HTTP_Server`): the quick-start's two
//! resources in a resource store.
//!
//! - `/resource1`: "Hello Client!" as `text/html`, GET only;
//! - `/resource2`: GET, PUT, POST and DELETE, with a callback that prints
//!   every request it answered (one line, `resource2: ...`).
//!
//! `--store FILE` keeps the store in a file (written to a temporary file
//! and renamed), so values and POST-made resources survive a restart.
//!
//! `--keyfile FILE --certfile FILE` (PEM, Pycom's `HTTP_Server.init`
//! arguments) serves HTTPS instead, on port 443 unless `--port` says
//! otherwise, as Pycom does.
//!
//! ```sh
//! cargo run --release --example pycom_resources -- --port 8080
//! curl -i http://127.0.0.1:8080/resource1
//! curl -i -X PUT -H 'Content-Type: application/json' -d '{"on": true}' http://127.0.0.1:8080/resource2
//! curl -i -X POST -H 'Content-Type: text/plain' -d 'child' http://127.0.0.1:8080/resource2
//! ```

use std::rc::Rc;
use std::sync::OnceLock;

use examples::Args;
use ferrodot::prelude::*;
use ferrodot::resource::{Event, FileBacking, MediaType, Methods, ResourceRoutes, ResourceStore, StoreError};
use ferrodot::rt::tokio::ServerOptions;

/// Pycom's defaults: 100 resources; URIs up to 64 bytes, values up to 1 KiB.
type Store = ResourceStore<100, 64, 1024>;

/// The store, for the callback (a plain `fn`, as in Pycom).
static STORE: OnceLock<&'static Store> = OnceLock::new();

/// `/resource2`'s callback: Pycom's `(uri, method, headers, body, new_uri,
/// status)`, plus the value the application reads back from the store.
fn told(e: &Event<'_>) {
    let content_type = e.headers.clone().find(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    let content_type = content_type.map_or("-", |(_, v)| std::str::from_utf8(v).unwrap_or("?"));
    let value = match STORE.get().map(|store| store.value(e.uri)) {
        Some(Ok(value)) => String::from_utf8_lossy(&value).into_owned(),
        _ => String::from("(gone)"),
    };
    println!(
        "resource2: {} {} -> {} new_uri={:?} content_type={:?} body={:?} value={:?}",
        e.method,
        e.uri,
        e.status.0,
        e.new_uri,
        content_type,
        String::from_utf8_lossy(e.body),
        value,
    );
}

fn setup(store: &'static Store) -> Result<(), StoreError> {
    // Restore what was saved (nothing without --store); later changes are saved.
    store.load()?;
    // `ensure` keeps a value restored from the file.
    store.ensure("/resource1", MediaType::Html, b"Hello Client!")?.register(Methods::GET, None)?;
    store.ensure("/resource2", MediaType::Html, b"0")?.register(Methods::ALL, Some(told))?;
    Ok(())
}

fn main() {
    let mut args = Args::parse(&["--store", "--keyfile", "--certfile"]);
    let tls = args.tls("--certfile", "--keyfile");
    if tls.is_some() && !args.port_given {
        args.port = 443;
    }
    let mut store = Store::new();
    if let Some(path) = args.get("--store") {
        store = store.persisted(FileBacking::leak(path));
    }
    let store: &'static Store = Box::leak(Box::new(store));
    let _ = STORE.set(store);
    if let Err(e) = setup(store) {
        examples::fail(&e);
    }
    let app = Rc::new(App::new(store, ResourceRoutes::new()));
    examples::serve_tls_on(args.addr(), app, ServerOptions::default(), tls, async {});
}
