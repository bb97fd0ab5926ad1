//! The server as curl sees it: a real third-party HTTP/1.1 client.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

#[test]
fn curl_get_json_and_text() {
    let server = TestServer::standard();
    let r = curl_resp(&[&server.url("/json")]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.text(), "{\"ok\":true,\"n\":42}");
    let r = curl_resp(&[&server.url("/")]);
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));
}

#[test]
fn curl_reuses_one_connection_for_100_requests() {
    let server = TestServer::standard();
    let url = server.url("/peer");
    let mut args = vec!["--verbose", "--write-out", "\\n"];
    for _ in 0..100 {
        args.push(&url);
    }
    let out = curl(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reused = stderr.matches("Re-using existing connection").count();
    assert_eq!(reused, 99, "curl should reuse its one connection 99 times:\n{stderr}");
    // The server saw one client port for all 100 requests.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let peers: Vec<&str> = stdout.lines().collect();
    assert_eq!(peers.len(), 100, "{stdout}");
    assert!(peers[0].starts_with("127.0.0.1:"), "{stdout}");
    assert!(peers.iter().all(|p| *p == peers[0]), "different peers: {stdout}");
}

#[test]
fn curl_head_keeps_length_and_has_no_body() {
    let server = TestServer::standard();
    let get = curl_resp(&[&server.url("/json")]);
    let head = curl_resp(&["--head", &server.url("/json")]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some(get.body.len().to_string().as_str()));
    assert!(head.body.is_empty(), "{:?}", head.text());
}

#[test]
fn curl_options_and_405() {
    let server = TestServer::standard();
    let r = curl_resp(&["--request", "OPTIONS", &server.url("/item")]);
    assert_eq!(r.status, 200);
    assert_eq!(r.allow(), ["GET", "HEAD", "OPTIONS", "PUT"]);
    let r = curl_resp(&["--request", "DELETE", &server.url("/item")]);
    assert_eq!(r.status, 405);
    assert_eq!(r.allow(), ["GET", "HEAD", "OPTIONS", "PUT"]);
    assert_eq!(r.text(), "Method Not Allowed: method not allowed here\n");
    let r = curl_resp(&[&server.url("/nowhere")]);
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "Not Found: no such resource\n");
}

#[test]
fn curl_every_capture_kind() {
    let server = TestServer::standard();
    let cases = [
        ("/one/abc", 200, "one [abc]"),
        ("/opt", 200, "opt absent"),
        ("/opt/v", 200, "opt [v]"),
        ("/plus/a/b", 200, "plus [a/b]"),
        ("/plus", 404, ""),
        ("/star", 200, "star absent"),
        ("/star/x/y/z", 200, "star [x/y/z]"),
        ("/int/-5", 200, "int -5"),
        ("/int/five", 404, ""),
        ("/path/docs/readme.md", 200, "path [docs/readme.md]"),
    ];
    for (path, status, body) in cases {
        let r = curl_resp(&["--path-as-is", &server.url(path)]);
        assert_eq!(r.status, status, "{path}: {:?}", r.text());
        if status == 200 {
            assert_eq!(r.text(), body, "{path}");
        }
    }
}

#[test]
fn curl_chunked_upload() {
    let server = TestServer::standard();
    let body: Vec<u8> = (0..50_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let sum: u64 = body.iter().map(|&b| u64::from(b)).sum();
    let mut child = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--noproxy",
            "*",
            "--http1.1",
            "--include",
        ])
        .args([
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@-",
            &server.url("/count"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl must be installed");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for piece in body.chunks(4000) {
            stdin.write_all(piece).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = parse_curl_include(&out.stdout);
    assert_eq!((r.status, r.text()), (200, format!("50000 {sum}")));

    // A small chunked body, echoed.
    let mut child = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--noproxy",
            "*",
            "--http1.1",
        ])
        .args([
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@-",
            &server.url("/echo"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"chunky data").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "chunky data");
}

#[test]
fn curl_upload_with_expect_100_continue() {
    let server = TestServer::standard();
    let body = "e".repeat(1500);
    let r = curl_resp(&[
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &body,
        &server.url("/echo"),
    ]);
    assert_eq!((r.status, r.text()), (200, body));
}

#[test]
fn curl_sees_413_and_411() {
    let server = TestServer::standard();
    let r = curl_resp(&["--data-binary", "0123456789abcdefX", &server.url("/small")]);
    assert_eq!(r.status, 413);
    assert_eq!(r.text(), "Content Too Large: request body too large\n");
    let r = curl_resp(&["--request", "PUT", &server.url("/len")]);
    assert_eq!(r.status, 411);
}

#[test]
fn curl_large_chunked_response() {
    let server = TestServer::standard();
    let r = curl_resp(&[&server.url("/big?n=100000")]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    let expected: String = (0..100_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    assert_eq!(r.text(), expected);
    // HTTP/1.0: no chunking, the end of the body is the end of the connection.
    let out = curl(&["--http1.0", "--include", &server.url("/big?n=100000")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = parse_curl_include(&out.stdout);
    assert!(r.header("transfer-encoding").is_none());
    assert_eq!(r.text(), expected);
}
