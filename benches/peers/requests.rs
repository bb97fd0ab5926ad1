// What the instruction-count drivers share: the request bytes `wrk` sends
// for each workload (run.sh sends the same), built once at start-up, and
// the loop that polls a server over the in-memory socket.
// Included with `include!` by servers/*/src/ir.rs.

/// The JSON body of `POST /echo` (the same file run.sh sends).
pub const ECHO_BODY: &str = include_str!("echo.json");

/// One request of `workload` ("status", "user" or "echo").
pub fn request(workload: &str) -> Vec<u8> {
    let host = "Host: 127.0.0.1:8080\r\n";
    match workload {
        "status" => format!("GET /status HTTP/1.1\r\n{host}\r\n").into_bytes(),
        "user" => format!("GET /user/bob?x=1 HTTP/1.1\r\n{host}\r\n").into_bytes(),
        "echo" => format!(
            "POST /echo HTTP/1.1\r\n{host}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{ECHO_BODY}",
            ECHO_BODY.len()
        )
        .into_bytes(),
        other => panic!("unknown workload {other} (status, user, echo)"),
    }
}

/// `ir-* WORKLOAD N [check]` from the command line.
pub fn args() -> (String, usize, bool) {
    let mut it = std::env::args().skip(1);
    let workload = it.next().unwrap_or_else(|| "status".into());
    let n = it.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let check = it.next().as_deref() == Some("check");
    (workload, n, check)
}

/// The client side of the in-memory socket: hands the server one whole
/// request per read (as a keep-alive client waiting for each response
/// does), `n` times, then end-of-stream; collects what the server writes
/// (only counted, unless `check`).
pub struct Client {
    request: Vec<u8>,
    left: usize,
    offset: usize,
    pub written: usize,
    pub output: Option<Vec<u8>>,
}

impl Client {
    pub fn new(request: Vec<u8>, n: usize, check: bool) -> Self {
        Client { request, left: n, offset: 0, written: 0, output: check.then(Vec::new) }
    }

    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        if self.left == 0 || buf.is_empty() {
            return 0;
        }
        let rest = &self.request[self.offset..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.offset += n;
        if self.offset == self.request.len() {
            self.offset = 0;
            self.left -= 1;
        }
        n
    }

    pub fn write(&mut self, buf: &[u8]) -> usize {
        self.written += buf.len();
        if let Some(out) = &mut self.output {
            out.extend_from_slice(buf);
        }
        buf.len()
    }

    /// Print what a check run saw: responses counted by status line.
    pub fn report(&self, name: &str, n: usize) {
        eprintln!("{name}: {n} requests, {} response bytes ({} per request)", self.written, self.written / n.max(1));
        if let Some(out) = &self.output {
            let ok = out.windows(12).filter(|w| *w == b"HTTP/1.1 200").count();
            let first = out.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4).unwrap_or(out.len());
            let body_end = out[first..].windows(5).position(|w| w == b"HTTP/").map(|p| first + p).unwrap_or(out.len());
            eprintln!("{name}: {ok} x 200 OK; first response:\n{}", String::from_utf8_lossy(&out[..body_end]));
            if ok != n {
                eprintln!("{name}: FAILED: expected {n} x 200 OK");
                std::process::exit(1);
            }
        }
    }
}

/// Poll `fut` until it is done: the in-memory sockets are always ready, so
/// there is no executor and nothing to wait for.
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}
