//! `peer-actix PORT`: the benchmark routes on actix-web with one worker.
use actix_web::{get, post, web, App, HttpServer};
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

#[get("/status")]
async fn status() -> web::Json<StatusBody> {
    web::Json(StatusBody {
        frames: 123,
        triggers: 4,
    })
}

#[get("/user/{name}")]
async fn user(name: web::Path<String>, q: web::Query<UserQuery>) -> web::Json<UserBody> {
    web::Json(UserBody {
        name: name.into_inner(),
        x: q.x,
    })
}

#[post("/echo")]
async fn echo(body: web::Json<EchoIn>) -> web::Json<EchoOut> {
    web::Json(EchoOut { id: body.id })
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    HttpServer::new(|| App::new().service(status).service(user).service(echo))
        .workers(1)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
