//! `peer-picoserve PORT`: the benchmark routes on picoserve as its README
//! runs it on tokio: current_thread + LocalSet, one task per connection,
//! a 2 KiB buffer each, keep-alive on, the tokio `TcpStream` socket as shipped.
include!("routes.rs");

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let app = std::rc::Rc::new(app());
    tokio::task::LocalSet::new().block_on(&rt, async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let app = app.clone();
            tokio::task::spawn_local(async move {
                static CONFIG: picoserve::Config = picoserve::Config::const_default().keep_connection_alive();
                let mut buffer = [0u8; 2048];
                let _ = picoserve::Server::new_tokio(&app, &CONFIG, &mut buffer)
                    .serve(stream)
                    .await;
            });
        }
    })
}
