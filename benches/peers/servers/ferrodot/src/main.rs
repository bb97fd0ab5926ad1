//! `peer-ferrodot PORT`: the benchmark routes on ferrodot's tokio runtime
//! (current_thread + LocalSet, the way `ferrodot::rt::tokio::run` runs).
include!("routes.rs");

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    tokio::task::LocalSet::new().block_on(&rt, async move {
        let server = ferrodot::rt::tokio::Server::bind(format!("127.0.0.1:{port}")).await?;
        server.serve(&APP).await
    })
}
