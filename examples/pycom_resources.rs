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
//! The server is started as Pycom's is, with `HttpServer::init()` (port,
//! `--keyfile FILE --certfile FILE`) and stopped with `deinit()` on Ctrl-C.
//! The two PEM files serve HTTPS instead, on port 443 unless `--port` says
//! otherwise, as Pycom does.
//!
//! ```sh
//! cargo run --release --example pycom_resources -- --port 8080
//! curl -i http://127.0.0.1:8080/resource1
//! curl -i -X PUT -H 'Content-Type: application/json' -d '{"on": true}' http://127.0.0.1:8080/resource2
//! curl -i -X POST -H 'Content-Type: text/plain' -d 'child' http://127.0.0.1:8080/resource2
//! ```

use std::sync::{Arc, OnceLock};

use examples::Args;
use ferrodot::resource::{Event, FileBacking, HttpServer, MediaType, Methods, ResourceStore, StoreError};

/// Pycom's defaults: 100 resources; URIs up to 64 bytes, values up to 1 KiB.
type Store = ResourceStore<100, 64, 1024>;

/// The store, for the callback (a plain `fn`, as in Pycom).
static STORE: OnceLock<Arc<Store>> = OnceLock::new();

/// `/resource2`'s callback: Pycom's `(uri, method, headers, body, new_uri,
/// status)`, plus the value the application reads back from the store.
fn told(e: &Event<'_>) {
    let content_type = e
        .headers
        .clone()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"));
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

fn setup(store: &Store) -> Result<(), StoreError> {
    // Restore what was saved (nothing without --store); later changes are saved.
    store.load()?;
    // `ensure` keeps a value restored from the file.
    store
        .ensure("/resource1", MediaType::Html, b"Hello Client!")?
        .register(Methods::GET, None)?;
    // Pycom's `add_resource('/resource2')`: text/html, value 0.
    match store.add_default("/resource2") {
        Err(StoreError::Duplicate) => store.get_resource("/resource2")?,
        added => added?,
    }
    .register_request_handler(Methods::ALL, Some(told))?;
    Ok(())
}

fn main() {
    let mut args = Args::parse(&["--store", "--keyfile", "--certfile"]);
    let (keyfile, certfile) = (
        args.get("--keyfile").map(String::from),
        args.get("--certfile").map(String::from),
    );
    if keyfile.is_some() != certfile.is_some() {
        examples::fail(&"--keyfile and --certfile go together");
    }
    if keyfile.is_some() && !args.port_given {
        args.port = 443;
    }
    let mut store = Store::new();
    if let Some(path) = args.get("--store") {
        store = store.persisted(FileBacking::leak(path));
    }
    let store = STORE.get_or_init(|| Arc::new(store));
    if let Err(e) = setup(store) {
        examples::fail(&e);
    }
    if examples::openapi_requested() {
        // Each resource with the methods registered on it and its media type.
        use ferrodot::http::{method::MethodSet, Method};
        let paths: Vec<_> = store
            .list_resource("")
            .into_iter()
            .filter_map(|uri| {
                let info = store.info(&uri).ok()?;
                let methods = [Method::Get, Method::Put, Method::Post, Method::Delete]
                    .into_iter()
                    .filter(|&m| info.methods.contains(ferrodot::resource::Methods::of(m)))
                    .fold(MethodSet::EMPTY, MethodSet::with);
                Some((uri, methods, Some(info.media.as_str())))
            })
            .collect();
        examples::print_openapi_of(&paths);
        return;
    }
    // HTTP_Server.init(port=..., keyfile=..., certfile=...)
    let mut init = HttpServer::init()
        .store(store.clone())
        .host(args.host.as_str())
        .port(args.port);
    if let (Some(keyfile), Some(certfile)) = (keyfile, certfile) {
        init = init.keyfile(keyfile).certfile(certfile);
    }
    let server = init.start().unwrap_or_else(|e| examples::fail(&e));
    let scheme = if server.is_https() { "https" } else { "http" };
    println!("listening on {scheme}://{}", server.local_addr());
    // Serve until Ctrl-C, then HTTP_Server.deinit().
    let ctrl_c = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .and_then(|rt| rt.block_on(tokio::signal::ctrl_c()));
    if let Err(e) = ctrl_c {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
    if let Err(e) = server.deinit() {
        examples::fail(&e);
    }
}
