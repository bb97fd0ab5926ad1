//! hyper 1.x's client: `client::conn::http1` over one connection (the
//! layer the pooled clients build on), kept alive for every request.
include!("common.rs");

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// The in-memory socket as tokio I/O.
struct MemStream(MemServer);

impl tokio::io::AsyncRead for MemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match this.0.read(buf.initialize_unfilled()) {
            Some(n) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            // Nothing is due before the next request: the poll loop comes back.
            None => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncWrite for MemStream {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(self.get_mut().0.write(buf)))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn request(host: &str) -> hyper::Request<Empty<Bytes>> {
    hyper::Request::get("/status")
        .header("host", host)
        .body(Empty::new())
        .unwrap()
}

async fn get(sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>, host: &str) -> usize {
    let response = sender.send_request(request(host)).await.expect("response");
    assert_eq!(response.status(), 200);
    response.into_body().collect().await.expect("body").to_bytes().len()
}

fn main() {
    match mode() {
        Mode::Ir { n, check } => {
            let io = TokioIo::new(MemStream(MemServer::default()));
            let (mut sender, conn) = block_on(hyper::client::conn::http1::handshake(io)).expect("handshake");
            let mut conn = std::pin::pin!(conn);
            let mut bytes = 0;
            for _ in 0..n {
                let mut one = std::pin::pin!(get(&mut sender, "127.0.0.1:8080"));
                bytes += block_on(std::future::poll_fn(|cx| {
                    // The connection task does the I/O; drive it beside the request.
                    let _ = conn.as_mut().poll(cx);
                    one.as_mut().poll(cx)
                }));
            }
            if check {
                eprintln!("hyper: {n} requests, {bytes} body bytes");
                assert_eq!(bytes, 27 * n);
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
                let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                    .await
                    .expect("handshake");
                tokio::spawn(conn);
                let (start, mut n) = (Instant::now(), 0usize);
                while start.elapsed().as_secs_f64() < seconds {
                    get(&mut sender, &addr).await;
                    n += 1;
                }
                report_net("hyper", n, start.elapsed());
            });
        }
    }
}
