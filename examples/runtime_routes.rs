//! Routes added while the program runs, Microdot style (`app.get(...)`),
//! with a sub-router mounted under a prefix.
//!
//! ```sh
//! cargo run --release --example runtime_routes -- --port 8080
//! curl localhost:8080/hello/ada           # Hello, ada!
//! curl -X POST -d 'hi' localhost:8080/api/echo
//! ```

use std::cell::Cell;
use std::rc::Rc;

use ferrodot::app::dynamic::Router;
use ferrodot::prelude::*;

struct Counter {
    hits: Cell<u32>,
}

fn routes() -> Result<Router<Counter>, ferrodot::route::PatternError> {
    let mut api = Router::<Counter>::new();
    api.post("/echo", |req| req.body.to_vec())?;
    api.get("/hits", |req| format!("{}\n", req.state.hits.get()))?;

    let mut router = Router::<Counter>::new();
    router.get("/hello/:name", |req| {
        req.state.hits.set(req.state.hits.get() + 1);
        let name = req.param("name").map(|n| n.to_string_lossy()).unwrap_or_default();
        format!("Hello, {name}!\n")
    })?;
    router.mount("/api", api)?;
    Ok(router)
}

fn main() {
    let router = match routes() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bad route: {e}");
            std::process::exit(1);
        }
    };
    let app = Rc::new(App::new(Counter { hits: Cell::new(0) }, router));
    examples::serve(app, async {});
}
