//! Seed 003 (mpgameserver): one `Resource` type with a group of routes.
//!
//! - `/user/:username`: GET, POST (a JSON profile) and DELETE, kept in memory;
//! - `/file/:name`: PUT stores the body in the directory given by `--dir`
//!   (default: `ferrodot-files` in the temporary directory), GET reads it
//!   back; the name goes through `path_join_safe`, so `..`, absolute
//!   names, drive prefixes and links out of the directory are refused;
//! - `/users`: every user as text, gzipped when the client accepts it
//!   (mpgameserver's `compress=True`);
//! - `/routes`: the route table with each route's documentation notes
//!   (mpgameserver's `HTTPServer.routes()` and `@header`/`@param`).
//!
//! `--privkey FILE --cert FILE` (PEM, as mpgameserver's `HTTPServer`
//! takes them) serves HTTPS instead, on the same `--port`.
//!
//! PUT and POST answer 411 without a length and 413 above the route's
//! `max_content_length`; errors are `{"error": "..."}`.
//!
//! ```sh
//! cargo run --release --example user_resource -- --port 8080 --dir /tmp/files
//! curl -i -X POST -d '{"score": 10}' http://127.0.0.1:8080/user/bob
//! curl -i http://127.0.0.1:8080/user/bob
//! curl -i -X PUT --data-binary @README.md http://127.0.0.1:8080/file/readme.md
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use examples::Args;
use ferrodot::mpg::{path_join_safe, route_table, ErrorResponse, Incoming, JsonResponse, Response};
use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;
use serde::Serialize;

/// Largest file a PUT stores.
const MAX_FILE: u64 = 64 * 1024;
/// Largest user profile a POST takes.
const MAX_PROFILE: u64 = 4 * 1024;

type Error = ErrorResponse<'static, String>;

fn error(status: Status, message: impl Into<String>) -> Error {
    ErrorResponse::new(message.into()).status(status)
}

struct UserResource {
    users: RefCell<HashMap<String, serde_json::Value>>,
    dir: PathBuf,
}

#[derive(Serialize)]
struct User {
    username: String,
    profile: serde_json::Value,
}

#[derive(Serialize)]
struct Stored {
    name: String,
    size: usize,
}

#[derive(Serialize)]
struct RouteInfo {
    route: String,
    max_content_length: Option<u64>,
    headers: Vec<&'static str>,
    params: Vec<&'static str>,
}

impl UserResource {
    /// The `:username` or `:name` capture, percent-decoded.
    fn capture(req: &Incoming<'_>, name: &str) -> String {
        req.matches(name).map(|c| c.to_string_lossy()).unwrap_or_default()
    }

    async fn get_user(&self, req: Incoming<'_>) -> Result<JsonResponse<'static, User>, Error> {
        let username = Self::capture(&req, "username");
        let profile = self.users.borrow().get(&username).cloned();
        let profile = profile.ok_or_else(|| error(Status::NOT_FOUND, "no such user"))?;
        Ok(JsonResponse::new(User { username, profile }))
    }

    async fn create_user(&self, mut req: Incoming<'_>) -> Result<JsonResponse<'static, User>, Error> {
        let username = Self::capture(&req, "username");
        let profile: serde_json::Value = req.json().await?;
        if self.users.borrow().contains_key(&username) {
            return Err(error(Status::CONFLICT, "user already exists"));
        }
        self.users.borrow_mut().insert(username.clone(), profile.clone());
        Ok(JsonResponse::new(User { username, profile }).status(Status::CREATED))
    }

    /// Every user and profile, one per line, gzipped for clients that take it
    /// (mpgameserver's `Response(payload, compress=True)`).
    async fn list_users(&self, req: Incoming<'_>) -> Response<'static, String> {
        let mut names: Vec<_> = self.users.borrow().iter().map(|(n, p)| format!("{n} {p}\n")).collect();
        names.sort();
        Response::new(names.concat())
            .content_type("text/plain; charset=utf-8")
            .compress(&req)
    }

    async fn delete_user(&self, req: Incoming<'_>) -> Result<Status, Error> {
        match self.users.borrow_mut().remove(&Self::capture(&req, "username")) {
            Some(_) => Ok(Status::NO_CONTENT),
            None => Err(error(Status::NOT_FOUND, "no such user")),
        }
    }

    /// The file `name` under the directory, or 400 with the reason.
    fn file_path(&self, req: &Incoming<'_>) -> Result<(String, PathBuf), Error> {
        let name = Self::capture(req, "name");
        let path = path_join_safe(&self.dir, &name).map_err(|e| error(Status::BAD_REQUEST, e.message()))?;
        Ok((name, path))
    }

    async fn put_file(&self, mut req: Incoming<'_>) -> Result<JsonResponse<'static, Stored>, Error> {
        let (name, path) = self.file_path(&req)?;
        let body = req.body_vec().await?;
        let existed = path.is_file();
        std::fs::write(&path, &body)
            .map_err(|e| error(Status::INTERNAL_SERVER_ERROR, format!("cannot store {name}: {e}")))?;
        let status = if existed { Status::OK } else { Status::CREATED };
        Ok(JsonResponse::new(Stored { name, size: body.len() }).status(status))
    }

    async fn get_file(&self, req: Incoming<'_>) -> Result<Typed<Vec<u8>>, Error> {
        let (name, path) = self.file_path(&req)?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Typed("application/octet-stream", bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(error(Status::NOT_FOUND, format!("no file {name}")))
            }
            Err(e) => Err(error(Status::INTERNAL_SERVER_ERROR, format!("cannot read {name}: {e}"))),
        }
    }

    async fn routes(&self, _req: Incoming<'_>) -> JsonResponse<'static, Vec<RouteInfo>> {
        let table = route_table::<(), _>(self)
            .map(|(route, doc)| RouteInfo {
                route: route.to_string(),
                max_content_length: route.max_body,
                headers: doc.headers().to_vec(),
                params: doc.params().to_vec(),
            })
            .collect();
        JsonResponse::new(table)
    }
}

ferrodot::mpg_resource! {
    impl UserResource {
        GET "/user/:username" .header("Authorization") .param("fields") => get_user,
        POST "/user/:username" .max_content_length(MAX_PROFILE) .header("Content-Type") => create_user,
        DELETE "/user/:username" => delete_user,
        GET "/users" => list_users,
        PUT "/file/:name" .max_content_length(MAX_FILE) => put_file,
        GET "/file/:name" => get_file,
        GET "/routes" => routes,
    }
}

fn main() {
    let args = Args::parse(&["--dir", "--privkey", "--cert"]);
    let tls = args.tls("--cert", "--privkey");
    let dir = args
        .get("--dir")
        .map_or_else(|| std::env::temp_dir().join("ferrodot-files"), PathBuf::from);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        examples::fail(&format!("cannot create {}: {e}", dir.display()));
    }
    let resource = UserResource {
        users: RefCell::new(HashMap::new()),
        dir,
    };
    // Errors the engine answers itself (411, 413, 404, 405) are JSON too.
    let config = Config {
        error_style: ErrorStyle::Json,
        ..Config::DEFAULT
    };
    if examples::openapi_requested() {
        // The routes' `.header()`/`.param()` notes become parameters.
        println!(
            "{}",
            ferrodot::mpg::openapi_document::<(), _>(&examples::openapi_info(), &resource)
        );
        return;
    }
    let app = Rc::new(App::new((), resource).with_config(config));
    examples::serve_tls_on(args.addr(), app, ServerOptions::default(), tls, async {});
}
