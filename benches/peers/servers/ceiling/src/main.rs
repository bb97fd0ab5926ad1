//! `peer-ceiling PORT`: the ceiling of the host setup. Answers every
//! request head (found by its blank line) with the same fixed bytes, on
//! tokio current_thread + LocalSet like ferrodot; closes after answering a
//! head that says `Connection: close`. No parsing, no routing: what is
//! left is tokio and the kernel.
use std::rc::Rc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const OK: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"frames\":123,\"triggers\":4}";
const OK_CLOSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\nConnection: close\r\n\r\n{\"frames\":123,\"triggers\":4}";

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn serve(mut stream: tokio::net::TcpStream, _unused: Rc<()>) {
    let mut buf = vec![0u8; 4096];
    let mut out = Vec::with_capacity(4096);
    let mut filled = 0;
    loop {
        let n = match stream.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        filled += n;
        // Answer every complete head in the buffer (pipelining), in one write.
        let mut start = 0;
        let mut close = false;
        while let Some(end) = find(&buf[start..filled], b"\r\n\r\n") {
            let head = &buf[start..start + end];
            close = find(head, b"Connection: close").is_some();
            out.extend_from_slice(if close { OK_CLOSE } else { OK });
            start += end + 4;
            // A body (POST /echo): skip Content-Length bytes.
            if let Some(at) = find(head, b"Content-Length: ") {
                let digits = &head[at + 16..];
                let len: usize = digits
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .fold(0, |a, d| a * 10 + usize::from(d - b'0'));
                start += len;
            }
            if close {
                break;
            }
        }
        if !out.is_empty() && stream.write_all(&out).await.is_err() {
            return;
        }
        out.clear();
        if close {
            let _ = stream.shutdown().await;
            return;
        }
        if start >= filled {
            filled = 0;
        } else if start > 0 {
            buf.copy_within(start..filled, 0);
            filled -= start;
        }
        if filled == buf.len() {
            return;
        }
    }
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    tokio::task::LocalSet::new().block_on(&rt, async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let token = Rc::new(());
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::task::spawn_local(serve(stream, token.clone()));
        }
    })
}
