//! The host runtime (`rt::tokio::Server`) over real TCP: graceful
//! shutdown, the connection limit, bind errors, several servers at once.

mod common;

use std::net::TcpListener;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::*;
use ferrodot::rt::tokio::{Server, ServerOptions};

fn stats(addr: std::net::SocketAddr) -> String {
    get_once(addr, "/stats").text()
}

#[test]
fn graceful_shutdown_finishes_an_in_flight_request() {
    let mut server = TestServer::start(|| test_app(normal_config()), ServerOptions::default());
    let addr = server.addr;
    // An idle keep-alive connection, and one with a request in flight.
    let mut idle = Conn::open(addr);
    idle.send(&get("/"));
    assert_eq!(idle.response().status, 200);
    let mut busy = Conn::open(addr);
    busy.send(&get("/slow?ms=700"));
    wait_for(Duration::from_secs(5), "the slow request to start", || {
        stats(addr).contains("active=1")
    });

    let t0 = Instant::now();
    server.shutdown();
    // The in-flight request completes, whole.
    let r = busy.response();
    assert_eq!((r.status, r.text().as_str()), (200, "slow done 700"));
    // Idle connections are ended rather than waited for.
    idle.assert_closed();
    busy.assert_closed();
    // serve_with_shutdown returns Ok once everything is done.
    server
        .join(Duration::from_secs(5))
        .expect("serve_with_shutdown returned an error");
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "shutdown took {:?}",
        t0.elapsed()
    );
    // Nothing listens any more.
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "still accepting after shutdown"
    );
}

#[test]
fn shutdown_grace_period_bounds_a_stuck_request() {
    let options = ServerOptions {
        shutdown_grace: Duration::from_millis(300),
        ..ServerOptions::default()
    };
    let mut server = TestServer::start(|| test_app(normal_config()), options);
    let addr = server.addr;
    let mut busy = Conn::open(addr);
    busy.send(&get("/slow?ms=10000"));
    wait_for(Duration::from_secs(5), "the slow request to start", || {
        stats(addr).contains("active=1")
    });
    let t0 = Instant::now();
    server
        .join(Duration::from_secs(5))
        .expect("serve_with_shutdown returned an error");
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "grace period not applied: {:?}",
        t0.elapsed()
    );
    // The request was cut off: the connection ends without a response.
    assert!(busy.closed_within(Duration::from_secs(5)));
}

#[test]
fn max_connections_queues_extra_clients_and_answers_all() {
    let options = ServerOptions {
        max_connections: 2,
        ..ServerOptions::default()
    };
    let server = TestServer::start(|| test_app(normal_config()), options);
    let addr = server.addr;
    let t0 = Instant::now();
    let clients: Vec<_> = (0..6)
        .map(|i| {
            std::thread::spawn(move || {
                let r = get_once(addr, &format!("/slow?ms={}", 300 + i));
                (r.status, r.text())
            })
        })
        .collect();
    for (i, c) in clients.into_iter().enumerate() {
        let (status, text) = c.join().expect("client thread");
        assert_eq!((status, text), (200, format!("slow done {}", 300 + i)));
    }
    let elapsed = t0.elapsed();
    // Two at a time: six 300 ms requests take at least three rounds.
    assert!(elapsed >= Duration::from_millis(850), "limit not applied: {elapsed:?}");
    let s = stats(addr);
    assert!(
        s.contains("max_active=2 "),
        "at most two at once, and two did run together: {s}"
    );
    assert!(s.contains("finished=6"), "{s}");
}

#[test]
fn max_connections_counts_idle_keep_alive_connections() {
    // A slot is a connection, not a request: with eviction off, a client
    // parked on an idle keep-alive connection holds it until the idle
    // timeout.
    let options = ServerOptions {
        max_connections: 1,
        evict_idle: false,
        ..ServerOptions::default()
    };
    let server = TestServer::start(|| test_app(fast_config()), options); // idle 400 ms
    let mut first = Conn::open(server.addr);
    first.send(&get("/"));
    assert_eq!(first.response().status, 200);
    let t0 = Instant::now();
    let r = get_once(server.addr, "/one/second");
    assert_eq!((r.status, r.text().as_str()), (200, "one [second]"));
    // Served only once the first connection idled out.
    assert!(t0.elapsed() >= Duration::from_millis(250), "{:?}", t0.elapsed());
    first.assert_closed();
}

#[test]
fn an_idle_keep_alive_connection_makes_room_for_a_new_one() {
    // The same with eviction (the default): the idle connection is closed
    // as soon as the newcomer arrives, long before its idle timeout.
    let options = ServerOptions {
        max_connections: 1,
        ..ServerOptions::default()
    };
    let server = TestServer::start(|| test_app(normal_config()), options); // idle 5 s
    let mut first = Conn::open(server.addr);
    first.send(&get("/"));
    assert_eq!(first.response().status, 200);
    let t0 = Instant::now();
    let r = get_once(server.addr, "/one/second");
    assert_eq!((r.status, r.text().as_str()), (200, "one [second]"));
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    assert!(first.closed_within(Duration::from_secs(1)));
}

#[test]
fn binding_a_port_in_use_is_an_error_naming_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(Server::bind(addr.as_str()));
    let err = match result {
        Ok(_) => panic!("binding {addr} twice succeeded"),
        Err(e) => e,
    };
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&addr), "the error should name {addr}: {err}");

    // The blocking entry point reports the same instead of panicking.
    let app = Rc::new(test_app(normal_config()));
    let err = ferrodot::rt::tokio::run(app, &addr).expect_err("run() on a taken port");
    assert!(err.to_string().contains(&addr), "{err}");
    drop(taken);
}

#[test]
fn binding_an_unresolvable_address_is_an_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = match runtime.block_on(Server::bind("127.0.0.1:notaport")) {
        Ok(_) => panic!("bound a nonsense address"),
        Err(e) => e,
    };
    assert!(err.to_string().contains("127.0.0.1:notaport"), "{err}");
}

#[test]
fn two_servers_in_one_local_set() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async move {
            let a = Server::bind("127.0.0.1:0").await.unwrap();
            let b = Server::bind("127.0.0.1:0").await.unwrap();
            tx.send((a.local_addr().unwrap(), b.local_addr().unwrap())).unwrap();
            let (stop_a, stop_b) = tokio::sync::watch::channel(false);
            let mut stop_b2 = stop_b.clone();
            let mut stop_b1 = stop_b;
            let sa = a.serve_with_shutdown(Rc::new(test_app(normal_config())), async move {
                let _ = stop_b1.wait_for(|s| *s).await;
            });
            let sb = b.serve_with_shutdown(Rc::new(test_app(normal_config())), async move {
                let _ = stop_b2.wait_for(|s| *s).await;
            });
            let stopper = async move {
                let _ = stop_rx.await;
                let _ = stop_a.send(true);
            };
            let (ra, rb, ()) = tokio::join!(sa, sb, stopper);
            ra.and(rb)
        })
    });
    let (a, b) = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_ne!(a.port(), b.port());
    assert_eq!(get_once(a, "/one/a").text(), "one [a]");
    assert_eq!(get_once(b, "/one/b").text(), "one [b]");
    stop_tx.send(()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !thread.is_finished() {
        assert!(Instant::now() < deadline, "servers did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
    thread.join().unwrap().unwrap();
}

#[test]
fn refused_upload_still_gets_its_response() {
    // A client that sends a large body the server refuses up front (413)
    // must be able to read the 413, even though most of the body was never
    // read by the server.
    let server = TestServer::standard();
    let mut c = Conn::open(server.addr);
    let mut req = b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'u', 5_000_000));
    let _ = c.try_send(&req); // may fail part-way: the server stops reading
    let r = c.response();
    assert_eq!(r.status, 413);
    assert!(r.closes());
}
