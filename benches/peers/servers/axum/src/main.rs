//! `peer-axum PORT`: the benchmark routes on axum (hyper), one thread
//! (tokio current_thread).
use axum::extract::{Path, Query};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct StatusBody {
    frames: u32,
    triggers: u32,
}

#[derive(Deserialize)]
struct UserQuery {
    x: u32,
}

#[derive(Serialize)]
struct UserBody {
    name: String,
    x: u32,
}

#[derive(Deserialize)]
struct EchoIn {
    id: u32,
}

#[derive(Serialize)]
struct EchoOut {
    id: u32,
}

async fn status() -> Json<StatusBody> {
    Json(StatusBody {
        frames: 123,
        triggers: 4,
    })
}

async fn user(Path(name): Path<String>, Query(q): Query<UserQuery>) -> Json<UserBody> {
    Json(UserBody { name, x: q.x })
}

async fn echo(Json(body): Json<EchoIn>) -> Json<EchoOut> {
    Json(EchoOut { id: body.id })
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    let app = Router::new()
        .route("/status", get(status))
        .route("/user/{name}", get(user))
        .route("/echo", post(echo));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        axum::serve(listener, app).await
    })
}
