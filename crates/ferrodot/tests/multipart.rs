//! `multipart/form-data` uploads over real TCP: curl's `-F` (with its
//! `Expect: 100-continue`), a raw client that waits for `100 Continue`,
//! chunked forms, the limits (413) and malformed bodies (400), and the
//! host's save-to-directory convenience.

mod common;

use std::io::Read;
use std::path::PathBuf;

use common::*;
use ferrodot::multipart::{Limits, Multipart};
use ferrodot::prelude::*;
use ferrodot::rt::tokio::ServerOptions;

fn fnv1a(bytes: &[u8], mut hash: u32) -> u32 {
    for &b in bytes {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    hash
}

/// One line per part: `name filename content-type bytes fnv1a`. A part
/// over 3 MiB is refused (413).
async fn upload(mut form: Multipart<'_>) -> Result<String, Rejection> {
    form.set_limits(Limits {
        part: 3 << 20,
        ..Limits::DEFAULT
    });
    let mut out = String::new();
    while let Some(mut part) = form.next_part().await? {
        let mut hash = 0x811c_9dc5;
        while let Some(piece) = part.chunk().await? {
            hash = fnv1a(piece, hash);
        }
        out += &format!(
            "{} {} {} {} {:08x}\n",
            part.name(),
            part.filename().unwrap_or("-"),
            part.content_type().unwrap_or("-"),
            part.bytes_read(),
            hash
        );
    }
    Ok(out)
}

/// Fields into a map, files into the directory named by `X-Dir`.
async fn save(req: &Request<'_>, mut form: Multipart<'_>) -> Result<String, Rejection> {
    let dir = PathBuf::from(req.header("x-dir").unwrap_or("/nonexistent"));
    let got = form.collect(64, Some(&dir)).await?;
    let mut out = format!("{:?}\n", got.fields);
    for f in got.files {
        out += &format!(
            "{} {} {}\n",
            f.field,
            f.path.file_name().unwrap().to_string_lossy(),
            f.bytes
        );
    }
    Ok(out)
}

ferrodot::routes! {
    UploadRoutes<()> {
        POST "/upload" .max_body(8 << 20) => upload,
        POST "/save" .max_body(1 << 20) => save,
    }
}

fn server() -> TestServer {
    TestServer::start(
        || App::new((), UploadRoutes).with_config(normal_config()),
        ServerOptions::default(),
    )
}

fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrodot-multipart-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn curl_form_with_a_large_file_streams_every_part() {
    let server = server();
    let dir = temp_dir("curl");
    let file = data(2 << 20, 7);
    let path = dir.join("image.bin");
    std::fs::write(&path, &file).unwrap();
    let file_arg = format!("firmware=@{};type=application/octet-stream", path.display());
    // curl sends `Expect: 100-continue` for a body this large and waits
    // for the server's go-ahead (`--expect100-timeout` 30 s, past
    // `--max-time`: an unanswered expectation fails the test).
    let r = curl_resp(&[
        "-F",
        "note=hello",
        "-F",
        &file_arg,
        "--expect100-timeout",
        "30",
        &server.url("/upload"),
    ]);
    assert_eq!(r.status, 200, "{}", r.text());
    let expected = format!(
        "note - - 5 {:08x}\nfirmware image.bin application/octet-stream {} {:08x}\n",
        fnv1a(b"hello", 0x811c_9dc5),
        file.len(),
        fnv1a(&file, 0x811c_9dc5)
    );
    assert_eq!(r.text(), expected);
    // The same form with chunked framing.
    let r = curl_resp(&[
        "-H",
        "Transfer-Encoding: chunked",
        "-F",
        "note=hello",
        "-F",
        &file_arg,
        &server.url("/upload"),
    ]);
    assert_eq!((r.status, r.text()), (200, expected));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn expect_100_continue_is_answered_before_the_body_is_sent() {
    let server = server();
    let body = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nxyz\r\n--b--\r\n";
    let mut conn = Conn::open(server.addr);
    conn.send(
        format!(
            "POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\
             Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    let mut interim = [0u8; 25];
    conn.stream
        .read_exact(&mut interim)
        .expect("100 Continue before the body");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    conn.send(body);
    let r = conn.response();
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), format!("a - - 3 {:08x}\n", fnv1a(b"xyz", 0x811c_9dc5)));
}

#[test]
fn refused_forms_get_their_status() {
    let server = server();
    let post = |ct: &str, body: &[u8]| {
        let mut conn = Conn::open(server.addr);
        let mut req = format!(
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        conn.send(&req);
        conn.response()
    };
    let ok = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--";
    assert_eq!(post("multipart/form-data; boundary=b", ok).status, 200);
    assert_eq!(post("text/plain", ok).status, 415);
    let r = post("multipart/form-data", ok);
    assert_eq!(
        (r.status, r.text()),
        (400, "Bad Request: multipart boundary missing or invalid\n".into())
    );
    let r = post("multipart/form-data; boundary=b", &ok[..ok.len() - 2]);
    assert_eq!(
        (r.status, r.text()),
        (
            400,
            "Bad Request: multipart body ended before its closing boundary\n".into()
        )
    );
    let r = post(
        "multipart/form-data; boundary=b",
        b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    // A part over the handler's 3 MiB limit, inside the route's 8 MiB.
    let mut big = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n".to_vec();
    big.extend(data((3 << 20) + 1, 3));
    big.extend_from_slice(b"\r\n--b--");
    let r = post("multipart/form-data; boundary=b", &big);
    assert_eq!(
        (r.status, r.text()),
        (413, "Content Too Large: multipart part too large\n".into())
    );
    // A body over the route's limit is refused from its Content-Length.
    let mut conn = Conn::open(server.addr);
    conn.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 9000000\r\n\r\n");
    assert_eq!(conn.response().status, 413);
}

#[test]
fn collect_saves_files_safely_and_leaves_nothing_when_refused() {
    let server = server();
    let dir = temp_dir("save");
    let src = temp_dir("save-src");
    let file = data(100_000, 11);
    std::fs::write(src.join("notes.txt"), &file).unwrap();
    let dir_header = format!("X-Dir: {}", dir.display());
    let file_arg = format!("doc=@{}", src.join("notes.txt").display());
    let r = curl_resp(&[
        "-H",
        &dir_header,
        "-F",
        "a=1",
        "-F",
        "b=two",
        "-F",
        &file_arg,
        &server.url("/save"),
    ]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "{\"a\": \"1\", \"b\": \"two\"}\ndoc notes.txt 100000\n");
    assert_eq!(std::fs::read(dir.join("notes.txt")).unwrap(), file);
    std::fs::remove_file(dir.join("notes.txt")).unwrap();

    // A filename that leaves the directory: 400, nothing written anywhere.
    let evil = format!("doc=@{};filename=../evil.txt", src.join("notes.txt").display());
    let r = curl_resp(&["-H", &dir_header, "-F", &evil, &server.url("/save")]);
    assert_eq!(
        (r.status, r.text()),
        (400, "Bad Request: unsafe multipart filename\n".into())
    );
    assert!(!dir.parent().unwrap().join("evil.txt").exists());
    // Text fields over the 64-byte budget after a file: 413, and the file
    // already saved is removed.
    let long = format!("c={}", "x".repeat(65));
    let r = curl_resp(&["-H", &dir_header, "-F", &file_arg, "-F", &long, &server.url("/save")]);
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "a refused form left files behind"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&src);
}
