// What both client drivers share (included with `include!`): the command
// line, the canned response of the in-memory server, and a poll loop.
//
//   client-NAME net HOST:PORT SECONDS   sequential keep-alive GET /status
//   client-NAME ir N [check]            N requests over an in-memory socket

/// nginx's answer to `GET /status` in run.sh's configuration, byte for byte
/// but for the date.
pub const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 06 Dec 2026 12:00:00 GMT\r\n\
Content-Type: application/json\r\nContent-Length: 27\r\nConnection: keep-alive\r\n\r\n{\"frames\":123,\"triggers\":4}";

pub enum Mode {
    Net { addr: String, seconds: f64 },
    Ir { n: usize, check: bool },
}

pub fn mode() -> Mode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("net") => Mode::Net {
            addr: args.get(1).cloned().unwrap_or_else(|| "127.0.0.1:8080".into()),
            seconds: args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3.0),
        },
        Some("ir") => Mode::Ir { n: args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000), check: args.get(2).map(String::as_str) == Some("check") },
        _ => {
            eprintln!("usage: client-NAME net HOST:PORT SECONDS | client-NAME ir N [check]");
            std::process::exit(2)
        }
    }
}

/// The server side of the in-memory socket: after each whole request head
/// the client writes, one response is there to read.
#[derive(Default)]
pub struct MemServer {
    head: Vec<u8>,
    pending: usize,
    offset: usize,
    pub requests: usize,
}

impl MemServer {
    pub fn write(&mut self, buf: &[u8]) -> usize {
        for &b in buf {
            self.head.push(b);
            if self.head.ends_with(b"\r\n\r\n") {
                self.head.clear();
                self.pending += 1;
                self.requests += 1;
            }
        }
        buf.len()
    }

    /// Response bytes into `buf`; `None` when nothing is due yet.
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        if self.pending == 0 {
            return None;
        }
        let rest = &RESPONSE[self.offset..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.offset += n;
        if self.offset == RESPONSE.len() {
            self.offset = 0;
            self.pending -= 1;
        }
        Some(n)
    }
}

/// Poll `fut` until it is done; the in-memory socket never waits.
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

pub fn report_net(name: &str, requests: usize, elapsed: std::time::Duration) {
    let secs = elapsed.as_secs_f64();
    println!("{name}\t{requests}\t{secs:.3}\t{:.0}", requests as f64 / secs);
}
