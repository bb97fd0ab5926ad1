// The three benchmark routes on picoserve's public API. Shared by the TCP
// server (main.rs) and the in-memory instruction-count driver (ir.rs).
use picoserve::extract::{Json, Query};
use picoserve::routing::{get, parse_path_segment, post, PathRouter};
use picoserve::Router;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct StatusBody {
    frames: u32,
    triggers: u32,
}

/// A path segment captured into a fixed buffer (no heap), like a device would.
pub struct Name {
    buf: [u8; 32],
    len: usize,
}

impl core::str::FromStr for Name {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let mut buf = [0u8; 32];
        buf.get_mut(..s.len()).ok_or(())?.copy_from_slice(s.as_bytes());
        Ok(Name { buf, len: s.len() })
    }
}

impl Name {
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

#[derive(Deserialize)]
struct UserQuery {
    x: u32,
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Serialize)]
struct UserBody {
    name: Name,
    x: u32,
}

/// Only `id` is kept; the other fields are parsed and skipped (the same
/// struct on every peer).
#[derive(Deserialize)]
struct EchoIn {
    id: u32,
}

#[derive(Serialize)]
struct EchoOut {
    id: u32,
}

pub fn app() -> Router<impl PathRouter> {
    Router::new()
        .route("/status", get(async || Json(StatusBody { frames: 123, triggers: 4 })))
        .route(
            ("/user", parse_path_segment::<Name>()),
            get(async |name: Name, Query(q): Query<UserQuery>| Json(UserBody { name, x: q.x })),
        )
        .route("/echo", post(echo))
}

async fn echo<'r>(Json(body): Json<EchoIn>) -> Json<EchoOut> {
    Json(EchoOut { id: body.id })
}
