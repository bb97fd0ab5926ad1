//! Idle-connection eviction over real TCP (`ServerOptions::evict_idle`, on
//! by default): when every slot is taken, the connection idle the longest
//! makes room, and one inside a request never does.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use ferrodot::rt::tokio::ServerOptions;

/// Open `n` connections that never send a byte.
fn idle_flood(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect an idle socket"))
        .collect()
}

fn served_within(addr: std::net::SocketAddr, path: &str, limit: Duration) {
    let t0 = Instant::now();
    let r = get_once(addr, path);
    let took = t0.elapsed();
    assert_eq!(r.status, 200, "{path}");
    assert!(took < limit, "{path} took {took:?} with the slots full of idle sockets");
}

#[test]
fn three_hundred_idle_sockets_do_not_keep_a_client_out() {
    // 64 slots (the default) and first-byte time-outs of 5 s: without
    // eviction the 300 would hold every slot for 5 s at a time.
    for defer_accept in [true, false] {
        let options = ServerOptions {
            defer_accept,
            ..ServerOptions::default()
        };
        let server = TestServer::start(|| test_app(normal_config()), options);
        let idle = idle_flood(server.addr, 300);
        // Deferred, the kernel hands the silent ones over after a second.
        std::thread::sleep(Duration::from_millis(if defer_accept { 1500 } else { 200 }));
        for i in 0..20 {
            served_within(server.addr, &format!("/one/{i}"), Duration::from_secs(1));
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(idle);
    }
}

#[test]
fn the_longest_idle_connection_goes_first_and_a_busy_one_never() {
    let options = ServerOptions {
        max_connections: 3,
        defer_accept: false,
        ..ServerOptions::default()
    };
    let server = TestServer::start(|| test_app(normal_config()), options);
    // Slot 1: a keep-alive connection that has made a request and waits.
    let mut oldest = Conn::open(server.addr);
    oldest.send(&get("/one/a"));
    assert_eq!(oldest.response().text(), "one [a]");
    std::thread::sleep(Duration::from_millis(100));
    // Slot 2: inside a request (half a head), so never idle.
    let mut busy = Conn::open(server.addr);
    busy.send(b"GET /one/busy HTTP/1.1\r\nHo");
    std::thread::sleep(Duration::from_millis(100));
    // Slot 3: silent since it connected, after `oldest` became idle.
    let mut silent = Conn::open(server.addr);
    std::thread::sleep(Duration::from_millis(100));
    // A fourth client: `oldest` (idle the longest) makes room.
    served_within(server.addr, "/one/new", Duration::from_secs(2));
    assert!(
        oldest.closed_within(Duration::from_secs(2)),
        "the longest-idle connection was not closed"
    );
    // That one has closed its slot again; fill it with a younger silent
    // socket. The next client takes `silent`'s slot, not `younger`'s.
    let mut younger = Conn::open(server.addr);
    std::thread::sleep(Duration::from_millis(100));
    served_within(server.addr, "/one/next", Duration::from_secs(2));
    assert!(
        silent.closed_within(Duration::from_secs(2)),
        "the older silent socket was not closed"
    );
    younger.send(&get("/one/younger"));
    assert_eq!(younger.response().text(), "one [younger]");
    // And `busy`, in the middle of its head throughout, gets its answer.
    busy.send(b"st: t\r\n\r\n");
    assert_eq!(busy.response().text(), "one [busy]");
}

#[test]
fn a_slow_response_is_not_evicted() {
    // Both slots run a handler; a third client waits for one to finish
    // instead of cutting either off.
    let options = ServerOptions {
        max_connections: 2,
        defer_accept: false,
        ..ServerOptions::default()
    };
    let server = TestServer::start(|| test_app(normal_config()), options);
    let mut a = Conn::open(server.addr);
    a.send(&get("/slow?ms=600"));
    let mut b = Conn::open(server.addr);
    b.send(&get("/slow?ms=600"));
    std::thread::sleep(Duration::from_millis(100));
    let r = get_once(server.addr, "/one/third");
    assert_eq!(r.status, 200);
    assert_eq!(a.response().text(), "slow done 600");
    assert_eq!(b.response().text(), "slow done 600");
}

#[test]
fn without_eviction_an_idle_connection_keeps_its_slot() {
    // The counterpart, so the tests above prove the option: the newcomer
    // is served only when the silent one's first-byte time-out ends it.
    let options = ServerOptions {
        max_connections: 1,
        defer_accept: false,
        evict_idle: false,
        ..ServerOptions::default()
    };
    let server = TestServer::start(|| test_app(fast_config()), options); // first byte within 400 ms
    let _silent = Conn::open(server.addr);
    std::thread::sleep(Duration::from_millis(50));
    let t0 = Instant::now();
    assert_eq!(get_once(server.addr, "/one/next").status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(250), "{:?}", t0.elapsed());
}
