// The three benchmark routes on ferrodot, and W7's asset under /static/.
// Shared by the TCP server (main.rs) and the in-memory instruction-count
// driver (ir.rs).
use ferrodot::prelude::*;
use serde::{Deserialize, Serialize};

pub struct Device {
    pub frames: u32,
    pub triggers: u32,
}

#[derive(Serialize)]
pub struct StatusBody {
    frames: u32,
    triggers: u32,
}

#[derive(Serialize)]
pub struct UserBody<'a> {
    name: &'a str,
    x: u32,
}

/// Only `id` is kept; the other fields are parsed and skipped (the same
/// struct on every peer).
#[derive(Deserialize)]
pub struct EchoIn {
    id: u32,
}

#[derive(Serialize)]
pub struct EchoOut {
    id: u32,
}

async fn status(State(dev): State<&Device>) -> Json<StatusBody> {
    Json(StatusBody { frames: dev.frames, triggers: dev.triggers })
}

async fn user<'r>(Path(name): Path<&'r str>, query: Query<'r>) -> Json<UserBody<'r>> {
    Json(UserBody { name, x: query.parse("x").unwrap_or(0) })
}

async fn echo<'r>(Json(body): Json<EchoIn>) -> Json<EchoOut> {
    Json(EchoOut { id: body.id })
}

ferrodot::routes! {
    BenchRoutes<Device> {
        GET "/status" => status,
        GET "/user/:name" => user,
        POST "/echo" => echo,
    }
}

// `pub static ASSETS`: app.js and its gzip copy (build.rs).
include!(concat!(env!("OUT_DIR"), "/bench_assets.rs"));

static APP: App<Device, (BenchRoutes, ferrodot::assets::Mount)> = App::new(
    Device { frames: 123, triggers: 4 },
    (BenchRoutes, ferrodot::assets::serve("/static/:path*", &ASSETS)),
);
