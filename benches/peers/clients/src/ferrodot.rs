//! ferrodot's client: one `Connection` (what a device runs), kept alive
//! for every request; see common.rs for the modes.
include!("common.rs");

use std::time::{Duration, Instant};

use ferrodot::client::tokio::TokioIo;
use ferrodot::client::{Connection, RequestHead};
use ferrodot::Method;

/// The in-memory socket as `embedded-io-async`.
struct MemSocket(MemServer);

impl embedded_io_async::ErrorType for MemSocket {
    type Error = core::convert::Infallible;
}

impl embedded_io_async::Read for MemSocket {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        Ok(self.0.read(buf).unwrap_or(0))
    }
}

impl embedded_io_async::Write for MemSocket {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(self.0.write(buf))
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

async fn get<T: embedded_io_async::Read + embedded_io_async::Write>(conn: &mut Connection<'_, T>, host: &str) -> usize {
    let head = RequestHead::new(Method::Get, host, "/status");
    let response = conn.send(&head, b"").await.expect("response");
    assert_eq!(response.head.status().0, 200);
    response.body.collect().await.expect("body").len()
}

fn main() {
    match mode() {
        Mode::Ir { n, check } => {
            let mut socket = MemSocket(MemServer::default());
            let mut buf = vec![0u8; 4096];
            let mut bytes = 0;
            {
                let mut conn = Connection::new(&mut socket, &mut buf);
                for _ in 0..n {
                    bytes += block_on(get(&mut conn, "127.0.0.1:8080"));
                }
            }
            if check {
                eprintln!("ferrodot: {} requests, {bytes} body bytes", socket.0.requests);
                assert_eq!((socket.0.requests, bytes), (n, 27 * n));
            }
        }
        Mode::Net { addr, seconds } => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let tcp = tokio::net::TcpStream::connect(&addr).await.expect("connect");
                tcp.set_nodelay(true).unwrap();
                let mut buf = vec![0u8; 4096];
                let mut conn = Connection::new(TokioIo::new(tcp, Duration::from_secs(5)), &mut buf);
                let (start, mut n) = (Instant::now(), 0usize);
                while start.elapsed().as_secs_f64() < seconds {
                    get(&mut conn, &addr).await;
                    n += 1;
                }
                report_net("ferrodot", n, start.elapsed());
            });
        }
    }
}
