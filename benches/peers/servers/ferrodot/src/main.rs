//! `peer-ferrodot PORT [--no-defer-accept]`: the benchmark routes on
//! ferrodot's tokio runtime (current_thread + LocalSet, the way
//! `ferrodot::rt::tokio::run` runs), with its default options or without
//! `ServerOptions::defer_accept`.
include!("routes.rs");

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    let defer_accept = !std::env::args().any(|a| a == "--no-defer-accept");
    let options = ferrodot::rt::tokio::ServerOptions { defer_accept, ..Default::default() };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    tokio::task::LocalSet::new().block_on(&rt, async move {
        let server = ferrodot::rt::tokio::Server::bind(format!("127.0.0.1:{port}")).await?;
        server.options(options).serve(&APP).await
    })
}
