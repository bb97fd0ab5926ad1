//! `peer-ferrodot PORT [--no-defer-accept] [--tls CERT KEY]`: the benchmark
//! routes on ferrodot's tokio runtime (current_thread + LocalSet, the way
//! `ferrodot::rt::tokio::run` runs), with its default options or without
//! `ServerOptions::defer_accept`; with `--tls`, over HTTPS (rustls + ring).
//! `peer-ferrodot --dump-assets DIR` writes the asset's two copies
//! (`app.js`, `app.js.gz`) for nginx's `gzip_static`, and exits.
include!("routes.rs");

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--dump-assets") {
        let dir = std::path::Path::new(
            args.get(at + 1)
                .ok_or_else(|| std::io::Error::other("--dump-assets DIR"))?,
        );
        let js = ASSETS
            .get("app.js")
            .ok_or_else(|| std::io::Error::other("no app.js in the table"))?;
        let (Some(identity), Some(gzip)) = (js.identity, js.gzip) else {
            return Err(std::io::Error::other("app.js needs both copies"));
        };
        std::fs::write(dir.join("app.js"), identity.bytes)?;
        return std::fs::write(dir.join("app.js.gz"), gzip.bytes);
    }
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    let defer_accept = !args.iter().any(|a| a == "--no-defer-accept");
    let tls = match args.iter().position(|a| a == "--tls") {
        Some(at) => {
            let (Some(cert), Some(key)) = (args.get(at + 1), args.get(at + 2)) else {
                return Err(std::io::Error::other("--tls needs CERT and KEY"));
            };
            let config = ferrodot::tls::TlsConfig::load(cert, key).map_err(std::io::Error::other)?;
            Some(config.build().map_err(std::io::Error::other)?)
        }
        None => None,
    };
    let options = ferrodot::rt::tokio::ServerOptions {
        defer_accept,
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    tokio::task::LocalSet::new().block_on(&rt, async move {
        let mut server = ferrodot::rt::tokio::Server::bind(format!("127.0.0.1:{port}"))
            .await?
            .options(options);
        if let Some(config) = tls {
            server = server.tls(config);
        }
        server.serve(&APP).await
    })
}
