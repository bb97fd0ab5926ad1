//! MicroServer apps over real TCP, for what the microserver_led example
//! does not reach: the 500 answers (an error, a panic, a value that does not
//! serialise), a route that overrides `/`, a `nowait` route whose action is
//! still running when the answer arrives, several servers in one program,
//! and a port already in use.

mod common;

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{get_once, request_once, Conn};
use ferrodot::microserver::MicroServer;

fn local(name: &str) -> MicroServer {
    MicroServer::new(name).host("127.0.0.1").port(0)
}

#[test]
fn failures_are_500_with_the_message() {
    let mut ms = local("Errors");
    ms.add_try_route("/fails", || -> Result<u32, String> {
        Err(String::from("sensor not connected"))
    });
    ms.add_try_route("/works", || -> Result<u32, String> { Ok(7) });
    ms.add_route("/panics", || -> u32 { panic!("division by zero") });
    // JSON object keys must be strings: this value cannot be serialised.
    ms.add_route("/unserialisable", || BTreeMap::from([(vec![1u8], 1u8)]));
    ms.add_route("/quote", || "say \"hi\"");
    let running = ms.spawn().unwrap();
    let addr = running.local_addr();

    let r = get_once(addr, "/fails");
    assert_eq!(
        (r.status, r.text().as_str()),
        (500, r#"{"error": "sensor not connected"}"#)
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(get_once(addr, "/works").text(), r#"{"data": 7}"#);
    let r = get_once(addr, "/panics");
    assert_eq!((r.status, r.text().as_str()), (500, r#"{"error": "division by zero"}"#));
    let r = get_once(addr, "/unserialisable");
    assert_eq!(r.status, 500);
    assert!(
        r.text().starts_with(r#"{"error": "key must be a string"#),
        "{}",
        r.text()
    );
    assert_eq!(get_once(addr, "/quote").text(), r#"{"data": "say \"hi\""}"#);
    // The server lives on after a panic, on the same connection too.
    let mut c = Conn::open(addr);
    for path in ["/panics", "/works"] {
        c.send(&common::get(path));
        c.response();
    }
    running.stop().unwrap();
}

#[test]
fn a_route_at_root_replaces_the_listing() {
    let mut ms = local("Home");
    ms.add_route("/", || "welcome");
    ms.add_route("/a", || 1);
    assert_eq!(ms.routes(), ["/", "/a"]);
    let running = ms.spawn().unwrap();
    assert_eq!(get_once(running.local_addr(), "/").text(), r#"{"data": "welcome"}"#);

    let mut ms = local("Plain");
    ms.add_route("/b", || 2);
    assert_eq!(ms.routes(), ["/", "/b"]);
    let running = ms.spawn().unwrap();
    let listing = r#"{"data": {"name": "Plain", "routes": ["/", "/b"]}}"#;
    assert_eq!(get_once(running.local_addr(), "/").text(), listing);
    // HEAD: the same head, no body.
    let mut c = Conn::open(running.local_addr());
    c.send(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = c.head_response();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some(listing.len().to_string().as_str()));
}

#[test]
fn nowait_answers_before_the_action_ends() {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let (done_tx, done_rx) = mpsc::channel::<&'static str>();
    let done_tx = Mutex::new(done_tx);
    let mut ms = local("Slow");
    ms.add_route_nowait("/work", move || {
        // Waits for the test: the answer must not wait for this.
        let _ = release_rx.lock().unwrap().recv_timeout(Duration::from_secs(10));
        let _ = done_tx.lock().unwrap().send("done");
        "ignored"
    });
    let running = ms.spawn().unwrap();
    let r = get_once(running.local_addr(), "/work");
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"data": null}"#));
    assert!(done_rx.try_recv().is_err(), "the action is still waiting");
    release_tx.send(()).unwrap();
    assert_eq!(done_rx.recv_timeout(Duration::from_secs(10)), Ok("done"));
}

#[test]
fn several_named_servers_in_one_program() {
    let hits = Arc::new(Mutex::new(Vec::new()));
    let mut servers = Vec::new();
    for name in ["LED", "Fan", "Pump"] {
        let mut ms = local(name);
        let h = hits.clone();
        ms.add_route("/on", move || h.lock().unwrap().push(name));
        servers.push(ms.spawn().unwrap());
    }
    let ports: Vec<u16> = servers.iter().map(|s| s.local_addr().port()).collect();
    assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
    for s in &servers {
        let listing = get_once(s.local_addr(), "/").text();
        assert_eq!(
            listing,
            format!(r#"{{"data": {{"name": "{}", "routes": ["/", "/on"]}}}}"#, s.name())
        );
    }
    get_once(servers[1].local_addr(), "/on");
    get_once(servers[2].local_addr(), "/on");
    assert_eq!(*hits.lock().unwrap(), ["Fan", "Pump"]);
    // Stopping one leaves the others serving.
    let fan = servers.remove(1);
    let fan_addr = fan.local_addr();
    fan.stop().unwrap();
    assert!(std::net::TcpStream::connect_timeout(&fan_addr, Duration::from_secs(2)).is_err());
    assert_eq!(get_once(servers[0].local_addr(), "/on").status, 200);
}

#[test]
fn port_in_use_fails_at_bind() {
    let first = local("First").bind().unwrap();
    let port = first.local_addr().unwrap().port();
    let err = MicroServer::new("Second")
        .host("127.0.0.1")
        .port(port)
        .bind()
        .err()
        .expect("the port is taken");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}

#[test]
fn post_is_served_and_bodies_are_ignored() {
    let mut ms = local("Post");
    ms.add_route("/go", || true);
    let running = ms.spawn().unwrap();
    let r = request_once(
        running.local_addr(),
        b"POST /go HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    );
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"data": true}"#));
    let r = request_once(
        running.local_addr(),
        b"DELETE /go HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 405);
    assert_eq!(r.text(), r#"{"error": "Method is not allowed"}"#);
}

#[test]
fn a_server_without_a_name_lists_an_empty_name() {
    // The seed's `MicroServer(port=8081)`.
    let mut ms = MicroServer::default().host("127.0.0.1").port(0);
    assert_eq!(ms.name(), "");
    ms.add_route("/uptime", || 12);
    let running = ms.spawn().unwrap();
    let url = format!("http://{}/", running.local_addr());
    let r = common::curl_resp(&[&url]);
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, r#"{"data": {"name": "", "routes": ["/", "/uptime"]}}"#)
    );
    assert_eq!(running.name(), "");
    running.stop().unwrap();
}

/// `curl -X METHOD` (or `-I` for HEAD) against `path`: the status.
fn curl_status(addr: std::net::SocketAddr, method: &str, path: &str) -> u16 {
    let url = format!("http://{addr}{path}");
    let r = if method == "HEAD" {
        common::curl_resp(&["-I", &url])
    } else {
        common::curl_resp(&["-X", method, "-d", "x", &url])
    };
    r.status
}

#[test]
fn any_method_is_opt_in_and_then_runs_the_route_for_every_method() {
    let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
    for any in [false, true] {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let mut ms = local("LED").any_method(any);
        let h = hits.clone();
        ms.add_route("/on", move || h.lock().unwrap().push("on"));
        let running = ms.spawn().unwrap();
        let addr = running.local_addr();
        let statuses: Vec<u16> = methods.iter().map(|m| curl_status(addr, m, "/on")).collect();
        if any {
            // The seed: every method runs the route.
            assert_eq!(statuses, [200; 7], "{methods:?}");
            assert_eq!(hits.lock().unwrap().len(), 7);
            let r = common::curl_resp(&["-X", "DELETE", &format!("http://{addr}/on")]);
            assert_eq!(r.text(), r#"{"data": null}"#);
        } else {
            // GET, HEAD and POST run it; PUT, DELETE and PATCH are 405; OPTIONS answers Allow.
            assert_eq!(statuses, [200, 200, 200, 405, 405, 405, 204], "{methods:?}");
            assert_eq!(hits.lock().unwrap().len(), 3, "refused methods did not run the route");
        }
        // An unknown path is 404 either way, whatever the method.
        assert_eq!(curl_status(addr, "PUT", "/nothing"), 404);
        running.stop().unwrap();
    }
}
