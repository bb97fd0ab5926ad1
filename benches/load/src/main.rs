//! Keep-alive load against the demo: `cargo run --release -p bench`.
//!
//! Starts the demo binary (built next to this one) on a free loopback
//! port, opens `--connections` keep-alive connections, each sending
//! `GET /status` back to back, and prints requests per second. It prints
//! figures and asserts nothing: timing checks belong here, not in tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

struct Options {
    connections: usize,
    requests: usize,
}

fn options() -> Options {
    let mut o = Options {
        connections: 16,
        requests: 100_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().and_then(|v| v.parse().ok());
        match (a.as_str(), v) {
            ("--connections", Some(v)) => o.connections = v,
            ("--requests", Some(v)) => o.requests = v,
            _ => {
                eprintln!("usage: bench [--connections N] [--requests N]");
                std::process::exit(2);
            }
        }
    }
    o
}

/// Start the demo on port 0 and read the port it reports.
fn start_demo() -> (Child, u16) {
    let exe = std::env::current_exe().expect("current exe");
    let demo = exe.with_file_name(format!("demo{}", std::env::consts::EXE_SUFFIX));
    if !demo.exists() {
        eprintln!(
            "bench: {} not found; build it first: cargo build --release -p demo",
            demo.display()
        );
        std::process::exit(1);
    }
    let mut child = Command::new(demo)
        .args(["--host", "127.0.0.1", "--port", "0", "--quiet"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start demo");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("demo banner");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in banner");
    (child, port)
}

/// Send `n` requests on one connection; returns how many got a 200.
fn client(port: u16, n: usize, stop: &AtomicBool) -> usize {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_nodelay(true).ok();
    let req = b"GET /status HTTP/1.1\r\nHost: bench\r\n\r\n";
    let mut buf = vec![0u8; 4096];
    let mut ok = 0;
    let mut have = 0;
    for _ in 0..n {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        s.write_all(req).expect("write");
        // Read one response: head, then Content-Length bytes.
        loop {
            if let Some(end) = find(&buf[..have], b"\r\n\r\n") {
                let head = std::str::from_utf8(&buf[..end]).unwrap_or("");
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                let total = end + 4 + len;
                if have >= total {
                    if head.starts_with("HTTP/1.1 200") {
                        ok += 1;
                    }
                    buf.copy_within(total..have, 0);
                    have -= total;
                    break;
                }
            }
            let got = s.read(&mut buf[have..]).expect("read");
            if got == 0 {
                return ok;
            }
            have += got;
        }
    }
    ok
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn main() {
    let o = options();
    let (mut demo, port) = start_demo();
    let stop = Arc::new(AtomicBool::new(false));
    // Warm up, then measure.
    client(port, 1000, &stop);
    let per = o.requests / o.connections.max(1);
    let started = Instant::now();
    let workers: Vec<_> = (0..o.connections)
        .map(|_| {
            let stop = stop.clone();
            thread::spawn(move || client(port, per, &stop))
        })
        .collect();
    let ok: usize = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    let secs = started
        .elapsed()
        .as_secs_f64()
        .max(Duration::from_micros(1).as_secs_f64());
    let _ = demo.kill();
    let _ = demo.wait();
    println!(
        "keep-alive GET /status: {} connections, {ok} responses in {secs:.2} s = {:.0} requests/s",
        o.connections,
        ok as f64 / secs
    );
}
