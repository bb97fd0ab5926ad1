//! The demo binary, started for real on 127.0.0.1 with an OS-chosen port
//! and driven over TCP by curl and a raw socket.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A running demo process; killed (by its handle) when dropped.
struct Demo {
    child: Child,
    addr: SocketAddr,
    /// Lines the demo prints after the first one (request logs).
    lines: Receiver<String>,
}

impl Demo {
    fn start(quiet: bool) -> Demo {
        Demo::start_with(if quiet { &["--quiet"] } else { &[] })
    }

    fn start_with(args: &[&str]) -> Demo {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_demo"));
        cmd.args(["--host", "127.0.0.1", "--port", "0"]).args(args);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the demo binary");
        let stdout = child.stdout.take().expect("demo stdout");
        let lines = read_lines(stdout);
        let first = match lines.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the demo did not print its address");
            }
        };
        let prefix = "ferrodot demo listening on http://";
        let addr: SocketAddr = first
            .strip_prefix(prefix)
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_ne!(addr.port(), 0);
        Demo { child, addr, lines }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Read lines of `out` on a thread, handing them over a channel so the
/// test can wait with a timeout.
fn read_lines(out: ChildStdout) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--noproxy",
            "*",
            "--http1.1",
        ])
        .args(args)
        .output()
        .expect("curl must be installed")
}

/// `(status, body)` of a curl request.
fn curl_status(args: &[&str]) -> (u16, String) {
    let mut all = vec!["--write-out", "\n%{http_code}"];
    all.extend_from_slice(args);
    let out = curl(&all);
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').expect("status after the body");
    (code.parse().expect("status code"), body.to_string())
}

/// `{"frames":N,"triggers":M}` → (N, M), checked strictly.
fn parse_status(body: &str) -> (u64, u64) {
    let inner = body
        .strip_prefix("{\"frames\":")
        .unwrap_or_else(|| panic!("not a status: {body:?}"));
    let (frames, rest) = inner
        .split_once(",\"triggers\":")
        .unwrap_or_else(|| panic!("not a status: {body:?}"));
    let triggers = rest
        .strip_suffix('}')
        .unwrap_or_else(|| panic!("not a status: {body:?}"));
    (frames.parse().expect("frames"), triggers.parse().expect("triggers"))
}

/// Send raw bytes and read everything until the server closes.
fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("reading the response: {e} (got {:?})", String::from_utf8_lossy(&out)),
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn status_is_json_and_frames_advance() {
    let demo = Demo::start(true);
    let out = curl(&["--include", &demo.url("/status")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("\r\ncontent-type: application/json\r\n"),
        "{text}"
    );
    let (s1, body1) = curl_status(&[&demo.url("/status")]);
    assert_eq!(s1, 200);
    let (f1, _) = parse_status(&body1);
    std::thread::sleep(Duration::from_millis(450)); // frames tick every 100 ms
    let (_, body2) = curl_status(&[&demo.url("/status")]);
    let (f2, _) = parse_status(&body2);
    assert!(f2 > f1, "frames did not advance: {f1} then {f2}");
}

#[test]
fn trigger_increments() {
    let demo = Demo::start(true);
    let (_, before) = curl_status(&[&demo.url("/status")]);
    let (_, t0) = parse_status(&before);
    let (code, after) = curl_status(&["--request", "POST", &demo.url("/trigger")]);
    assert_eq!(code, 200);
    assert_eq!(parse_status(&after).1, t0 + 1);
    let (_, again) = curl_status(&["--request", "POST", &demo.url("/trigger")]);
    assert_eq!(parse_status(&again).1, t0 + 2);
    let (_, status) = curl_status(&[&demo.url("/status")]);
    assert_eq!(parse_status(&status).1, t0 + 2);
    // GET is not how you trigger.
    let (code, _) = curl_status(&[&demo.url("/trigger")]);
    assert_eq!(code, 405);
}

/// The head lines of a `curl --include` (or `--head`) answer, lower-cased names.
fn head_of(out: &Output) -> (u16, Vec<(String, String)>, Vec<u8>) {
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    let raw = &out.stdout;
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, raw[end..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

const INDEX_HTML: &[u8] = include_bytes!("../../camera/assets/index.html");
const APP_JS: &[u8] = include_bytes!("../../camera/assets/app.js");

#[test]
fn index_page_is_the_dashboard_from_the_asset_table() {
    let demo = Demo::start(true);
    let (status, headers, body) = head_of(&curl(&["--include", &demo.url("/")]));
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(body, INDEX_HTML);
    let text = String::from_utf8_lossy(&body);
    for id in [
        "id=\"light\"",
        "id=\"frames\"",
        "id=\"triggers\"",
        "id=\"trigger\"",
        "<canvas id=\"chart\"",
    ] {
        assert!(text.contains(id), "{id} missing from the page");
    }
    assert!(header(&headers, "etag").is_some_and(|t| t.starts_with('"') && t.len() == 18));
    // The CORS layer adds its own `Vary: Origin` line; ours is another.
    assert!(
        headers.iter().any(|(n, v)| n == "vary" && v == "Accept-Encoding"),
        "{headers:?}"
    );
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
    // The page's own files are in the table too.
    for (path, mime) in [
        ("/static/app.js", "text/javascript; charset=utf-8"),
        ("/static/style.css", "text/css; charset=utf-8"),
        ("/static/icon.svg", "image/svg+xml"),
    ] {
        let (status, headers, _) = head_of(&curl(&["--include", &demo.url(path)]));
        assert_eq!((status, header(&headers, "content-type")), (200, Some(mime)), "{path}");
    }
}

#[test]
fn curl_compressed_gets_the_gzip_copy() {
    let demo = Demo::start(true);
    let out = curl(&["--include", "--compressed", &demo.url("/static/app.js")]);
    let (status, headers, body) = head_of(&out);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    // curl inflated it: the original bytes, from a smaller transfer.
    assert_eq!(body, APP_JS);
    let wire: usize = header(&headers, "content-length").expect("length").parse().unwrap();
    assert!(wire < APP_JS.len() / 2, "gzip copy {wire} B of {} B", APP_JS.len());
    // The gzip copy has its own ETag.
    let (_, plain, _) = head_of(&curl(&["--include", &demo.url("/static/app.js")]));
    assert_ne!(header(&plain, "etag"), header(&headers, "etag"));
}

#[test]
fn curl_range_and_conditional_requests() {
    let demo = Demo::start(true);
    let url = demo.url("/static/app.js");
    let (status, headers, body) = head_of(&curl(&["--include", "-r", "0-99", &url]));
    assert_eq!(status, 206);
    assert_eq!(body, &APP_JS[..100]);
    let range = format!("bytes 0-99/{}", APP_JS.len());
    assert_eq!(header(&headers, "content-range"), Some(range.as_str()));
    let (status, headers, _) = head_of(&curl(&["--include", "-r", "999999-", &url]));
    assert_eq!(status, 416);
    let star = format!("bytes */{}", APP_JS.len());
    assert_eq!(header(&headers, "content-range"), Some(star.as_str()));

    // If-None-Match with the tag just received: 304, no body.
    let (_, headers, _) = head_of(&curl(&["--include", &url]));
    let etag = header(&headers, "etag").unwrap().to_string();
    let inm = format!("If-None-Match: {etag}");
    let (status, headers, body) = head_of(&curl(&["--include", "-H", &inm, &url]));
    assert_eq!((status, body.len()), (304, 0));
    assert_eq!(header(&headers, "etag"), Some(etag.as_str()));
    let (status, _, _) = head_of(&curl(&["--include", "-H", "If-None-Match: \"stale\"", &url]));
    assert_eq!(status, 200);

    // curl's own ETag round trip: --etag-save, then --etag-compare.
    let dir = std::env::temp_dir().join(format!("ferrodot-etag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tag_file = dir.join("etag.txt");
    let tag_file = tag_file.to_str().unwrap();
    let (status, _, _) = head_of(&curl(&["--include", "--etag-save", tag_file, &url]));
    assert_eq!(status, 200);
    let (status, _, _) = head_of(&curl(&["--include", "--etag-compare", tag_file, &url]));
    assert_eq!(status, 304);
    // -z (If-Modified-Since): the table has no dates, so the file is sent.
    let (status, _, body) = head_of(&curl(&["--include", "-z", "Mon, 01 Jan 2024 00:00:00 GMT", &url]));
    assert_eq!((status, body.as_slice()), (200, APP_JS));
    let _ = std::fs::remove_dir_all(&dir);

    // HEAD: the length of the copy, no body.
    let (status, headers, body) = head_of(&curl(&["--head", &url]));
    assert_eq!((status, body.len()), (200, 0));
    let length = APP_JS.len().to_string();
    assert_eq!(header(&headers, "content-length"), Some(length.as_str()));
    assert_eq!(curl_status(&[&demo.url("/static/nope.js")]).0, 404);
}

#[test]
fn head_and_wrong_method_and_unknown_path() {
    let demo = Demo::start(true);
    let (_, body) = curl_status(&[&demo.url("/config")]);
    let out = curl(&["--head", &demo.url("/config")]);
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert!(
        head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())),
        "{head}"
    );
    assert!(head.ends_with("\r\n\r\n"), "HEAD must have no body: {head:?}");

    let out = curl(&["--include", "--request", "DELETE", &demo.url("/config")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 405 "), "{text}");
    let allow = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("allow:"))
        .expect("Allow header");
    for m in ["GET", "HEAD", "PUT", "OPTIONS"] {
        assert!(allow.contains(m), "{allow}");
    }
    assert_eq!(curl_status(&[&demo.url("/nothing/here")]).0, 404);
}

#[test]
fn config_roundtrip_and_errors() {
    let demo = Demo::start(true);
    let url = demo.url("/config");
    let json = ["-H", "Content-Type: application/json", "--request", "PUT"];
    let (code, body) = curl_status(&[&json[..], &["--data", "{\"interval_ms\":250}", &url]].concat());
    assert_eq!((code, body.as_str()), (200, "{\"interval_ms\":250}"));
    assert_eq!(curl_status(&[&url]).1, "{\"interval_ms\":250}");
    // Out of range: 422 and unchanged.
    let (code, body) = curl_status(&[&json[..], &["--data", "{\"interval_ms\":1}", &url]].concat());
    assert_eq!(code, 422, "{body}");
    assert!(body.contains("interval_ms"), "{body}");
    assert_eq!(curl_status(&[&url]).1, "{\"interval_ms\":250}");
    // Not JSON: 400. Wrong media type: 415. Too large: 413.
    assert_eq!(curl_status(&[&json[..], &["--data", "{nope", &url]].concat()).0, 400);
    let (code, _) = curl_status(&[
        "--request",
        "PUT",
        "-H",
        "Content-Type: text/plain",
        "--data",
        "{\"interval_ms\":300}",
        &url,
    ]);
    assert_eq!(code, 415);
    let big = format!("{{\"interval_ms\":300,\"pad\":\"{}\"}}", "x".repeat(300));
    assert_eq!(curl_status(&[&json[..], &["--data", &big, &url]].concat()).0, 413);
    assert_eq!(curl_status(&[&url]).1, "{\"interval_ms\":250}");
}

#[test]
fn config_put_without_length_is_411() {
    let demo = Demo::start(true);
    let resp = raw_exchange(
        demo.addr,
        b"PUT /config HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
    );
    assert!(resp.starts_with("HTTP/1.1 411 "), "{resp}");
    // Chunked framing is a declared length as far as 411 goes.
    let resp = raw_exchange(
        demo.addr,
        b"PUT /config HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nConnection: close\r\n\
          Transfer-Encoding: chunked\r\n\r\n13\r\n{\"interval_ms\":120}\r\n0\r\n\r\n",
    );
    assert!(resp.starts_with("HTTP/1.1 200 "), "{resp}");
    assert!(resp.ends_with("{\"interval_ms\":120}"), "{resp}");
}

#[test]
fn files_wildcard_captures_the_rest_of_the_path() {
    let demo = Demo::start(true);
    assert_eq!(curl_status(&[&demo.url("/files/a/b/c.txt")]), (200, "a/b/c.txt".into()));
    assert_eq!(curl_status(&[&demo.url("/files/one")]), (200, "one".into()));
    assert_eq!(curl_status(&[&demo.url("/files/dir/")]), (200, "dir/".into()));
    assert_eq!(curl_status(&[&demo.url("/filesx")]).0, 404);
}

fn sha256_hex(path: &std::path::Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum (coreutils)");
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

fn firmware_slots(demo: &Demo) -> String {
    curl_status(&[&demo.url("/firmware")]).1
}

#[test]
fn firmware_update_raw_and_as_a_form_with_the_digest_before_or_after() {
    let dir = std::env::temp_dir().join(format!("ferrodot-demo-ota-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let slots = dir.join("slots");
    let demo = Demo::start_with(&["--quiet", "--firmware-dir", slots.to_str().unwrap()]);
    let image: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let path = dir.join("fw.bin");
    std::fs::write(&path, &image).unwrap();
    let sha = sha256_hex(&path);
    let data_arg = format!("@{}", path.display());
    let file_arg = format!("firmware=@{}", path.display());
    let header = format!("X-Firmware-SHA256: {sha}");
    let url = demo.url("/firmware");
    let report = |activated: bool| {
        format!("{{\"bytes\":1000000,\"sha256\":\"{sha}\",\"slot\":\"B\",\"activated\":{activated}}}")
    };
    assert_eq!(firmware_slots(&demo), "{\"active\":\"A\",\"pending\":null}");

    // Without a digest: stored, not activated.
    assert_eq!(curl_status(&["--data-binary", &data_arg, &url]), (200, report(false)));
    assert_eq!(std::fs::read(slots.join("slot-b.bin")).unwrap(), image);
    assert_eq!(firmware_slots(&demo), "{\"active\":\"A\",\"pending\":null}");
    // A wrong digest: 422, nothing activated.
    let wrong = format!("X-Firmware-SHA256: {}", "0".repeat(64));
    let (status, body) = curl_status(&["-H", &wrong, "--data-binary", &data_arg, &url]);
    assert_eq!(status, 422, "{body}");
    assert!(body.starts_with("{\"error\":\""), "{body}");
    assert_eq!(firmware_slots(&demo), "{\"active\":\"A\",\"pending\":null}");
    // The right digest, raw (length, then chunked) and as a form (the
    // field before the file, after it, or the header instead).
    assert_eq!(
        curl_status(&["-H", &header, "--data-binary", &data_arg, &url]),
        (200, report(true))
    );
    assert_eq!(firmware_slots(&demo), "{\"active\":\"A\",\"pending\":\"B\"}");
    let chunked = [
        "-H",
        "Transfer-Encoding: chunked",
        "-H",
        &header,
        "--data-binary",
        &data_arg,
        &url,
    ];
    assert_eq!(curl_status(&chunked), (200, report(true)));
    let field = format!("sha256={sha}");
    assert_eq!(curl_status(&["-F", &field, "-F", &file_arg, &url]), (200, report(true)));
    assert_eq!(curl_status(&["-F", &file_arg, "-F", &field, &url]), (200, report(true)));
    assert_eq!(
        curl_status(&["-H", &header, "-F", &file_arg, &url]),
        (200, report(true))
    );
    assert_eq!(std::fs::read(slots.join("slot-b.bin")).unwrap(), image);
    assert_eq!(firmware_slots(&demo), "{\"active\":\"A\",\"pending\":\"B\"}");
    // The wrong digest in a form after a good upload: 422, and the pending
    // image is gone (its slot was rewritten), the running slot untouched.
    let bad_field = format!("sha256={}", "f".repeat(64));
    assert_eq!(curl_status(&["-F", &file_arg, "-F", &bad_field, &url]).0, 422);
    assert_eq!(firmware_slots(&demo), "{\"active\":\"A\",\"pending\":null}");
    assert_eq!(std::fs::metadata(slots.join("slot-a.bin")).unwrap().len(), 0);
    // Malformed requests: 400, nothing erased.
    assert_eq!(
        curl_status(&["-H", "X-Firmware-SHA256: xyz", "--data-binary", &data_arg, &url]).0,
        400
    );
    assert_eq!(curl_status(&["-F", "other=1", &url]).0, 400);
    assert_eq!(curl_status(&["-F", "sha256=12", "-F", &file_arg, &url]).0, 400);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn firmware_upload_aborted_or_concurrent_changes_nothing_it_should_not() {
    let demo = Demo::start(true);
    let url = demo.url("/firmware");
    let head = |len: usize| {
        format!(
            "POST /firmware HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n\
             X-Firmware-SHA256: {}\r\nContent-Length: {len}\r\n\r\n",
            "a".repeat(64)
        )
    };
    // A first upload, half sent and held open: a second one meanwhile is 409.
    let mut first = TcpStream::connect(demo.addr).unwrap();
    first.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    first.write_all(head(200_000).as_bytes()).unwrap();
    first.write_all(&[1u8; 100_000]).unwrap();
    let deadline = Instant::now() + IO_TIMEOUT;
    let second = loop {
        let (status, body) = curl_status(&["--data-binary", "x", &url]);
        if status == 409 || Instant::now() > deadline {
            break (status, body);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(second.0, 409, "{}", second.1);
    // The first one's client goes away: the slot is left unmarked, and the
    // next upload is accepted.
    drop(first);
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let (status, body) = curl_status(&["--data-binary", "x", &url]);
        if status == 200 {
            assert!(body.contains("\"activated\":false"), "{body}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "uploads still refused after the client left: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(firmware_slots(&demo), "{\"active\":\"A\",\"pending\":null}");
}

#[test]
fn firmware_larger_than_a_slot_is_413_and_activates_nothing() {
    let demo = Demo::start_with(&["--quiet", "--firmware-max", "65536"]);
    let url = demo.url("/firmware");
    let path = std::env::temp_dir().join(format!("ferrodot-demo-big-{}.bin", std::process::id()));
    std::fs::write(&path, vec![7u8; 65537]).unwrap();
    let data_arg = format!("@{}", path.display());
    let file_arg = format!("firmware=@{}", path.display());
    let sha = sha256_hex(&path);
    let header = format!("X-Firmware-SHA256: {sha}");
    assert_eq!(curl_status(&["-H", &header, "--data-binary", &data_arg, &url]).0, 413);
    let chunked = [
        "-H",
        "Transfer-Encoding: chunked",
        "-H",
        &header,
        "--data-binary",
        &data_arg,
        &url,
    ];
    assert_eq!(curl_status(&chunked).0, 413);
    assert_eq!(curl_status(&["-H", &header, "-F", &file_arg, &url]).0, 413);
    assert_eq!(firmware_slots(&demo), "{\"active\":\"A\",\"pending\":null}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn curl_keeps_one_connection_for_many_requests() {
    let demo = Demo::start(true);
    let url = demo.url("/status");
    let mut args = vec!["--verbose", "--output", "/dev/null"];
    for _ in 0..20 {
        args.push(&url);
    }
    let out = curl(&args);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("Re-using existing connection").count(), 19, "{stderr}");
}

#[test]
fn logs_one_line_per_request_unless_quiet() {
    let demo = Demo::start(false);
    let (code, _) = curl_status(&[&demo.url("/status?x=1")]);
    assert_eq!(code, 200);
    let line = demo.lines.recv_timeout(IO_TIMEOUT).expect("a log line");
    assert!(line.contains("GET /status?x=1 -> 200"), "{line}");
    assert!(line.starts_with("127.0.0.1:"), "{line}");
    curl_status(&[&demo.url("/missing")]);
    let line = demo.lines.recv_timeout(IO_TIMEOUT).expect("a log line");
    assert!(line.contains("GET /missing -> 404"), "{line}");
    // A request refused before routing reaches no handler, but is logged.
    let mut raw = TcpStream::connect(demo.addr).unwrap();
    raw.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    raw.write_all(b"GARBAGE\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = raw.read_to_end(&mut answer);
    assert!(
        answer.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let line = demo.lines.recv_timeout(IO_TIMEOUT).expect("a log line");
    assert!(line.contains("refused") && line.ends_with("-> 400"), "{line}");
    assert!(
        demo.lines.recv_timeout(Duration::from_millis(300)).is_err(),
        "one line per request"
    );

    let quiet = Demo::start(true);
    curl_status(&[&quiet.url("/status")]);
    assert!(
        quiet.lines.recv_timeout(Duration::from_millis(300)).is_err(),
        "--quiet prints nothing per request"
    );
}

#[test]
fn port_in_use_is_a_clear_error_not_a_panic() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--host", "127.0.0.1", "--port", &port, "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the demo kept running on a port in use");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}")),
        "the error names the address: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    drop(taken);
}

#[test]
fn bad_arguments_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--port", "http"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--port"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_demo"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
