//! The yardstick for ferrodot's throughput on this stack: a hand-written
//! responder on port 8081 that answers every request head with the same
//! fixed bytes, shaped like ferrodot's `GET /status` response. It does not
//! parse anything: it only looks for the `\r\n\r\n` that ends each head.
//!
//! tests/qemu/test_firmware.py times keep-alive `GET /status` on port 80
//! (ferrodot) and on this port in the same boot, and prints the ratio. The
//! socket has a ferrodot slot's TCP windows and Nagle off like one, so
//! only the HTTP work differs.

use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;
use embassy_time::{Duration, with_timeout};
use static_cell::ConstStaticCell;

pub const PORT: u16 = 8081;
/// One socket: the measurement holds one connection to each server.
pub const SOCKETS: usize = 1;

/// A copy of ferrodot's `GET /status` response as captured with curl
/// (header for header; a 4-digit frame count, as it has a minute into the
/// test run), so both servers send the same number of bytes.
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: ferrodot\r\nVary: Origin\r\n\
Content-Type: application/json\r\nContent-Length: 28\r\n\r\n{\"frames\":1000,\"triggers\":0}";

/// A slot's TCP windows (`SlotBuffers` in main.rs) and a read buffer.
static TCP_RX: ConstStaticCell<[u8; 1024]> = ConstStaticCell::new([0; 1024]);
static TCP_TX: ConstStaticCell<[u8; 2048]> = ConstStaticCell::new([0; 2048]);
static READ_BUF: ConstStaticCell<[u8; 512]> = ConstStaticCell::new([0; 512]);

#[embassy_executor::task]
pub async fn bench_task(stack: Stack<'static>) -> ! {
    let (rx, tx, buf) = (TCP_RX.take(), TCP_TX.take(), READ_BUF.take());
    loop {
        let mut socket = TcpSocket::new(stack, rx, tx);
        // A client that goes quiet frees the socket.
        socket.set_timeout(Some(Duration::from_secs(10)));
        if socket.accept(PORT).await.is_ok() {
            socket.set_nagle_enabled(false);
            serve(&mut socket, buf).await;
        }
        socket.close();
        let _ = with_timeout(Duration::from_millis(500), socket.flush()).await;
        socket.abort();
    }
}

/// Answer each request head until the client closes or an error.
async fn serve(socket: &mut TcpSocket<'_>, buf: &mut [u8]) {
    const END: u32 = u32::from_be_bytes(*b"\r\n\r\n");
    // The last four bytes seen: a head's end may straddle two reads.
    let mut tail = 0u32;
    loop {
        let n = match socket.read(buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        for &b in buf.get(..n).unwrap_or(&[]) {
            tail = (tail << 8) | u32::from(b);
            if tail == END && write_all(socket, RESPONSE).await.is_err() {
                return;
            }
        }
    }
}

/// Into the send buffer, no flush: a flush per response would wait for the
/// client's ACK (ferrodot's slot does not flush either).
async fn write_all(socket: &mut TcpSocket<'_>, mut bytes: &[u8]) -> Result<(), embassy_net::tcp::Error> {
    while !bytes.is_empty() {
        let n = socket.write(bytes).await?;
        bytes = bytes.get(n..).unwrap_or(&[]);
    }
    Ok(())
}
