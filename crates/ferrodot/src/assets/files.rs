//! Files from a directory on the host (`std`): MIME type, `ETag` and
//! `Last-Modified`, `304` for `If-None-Match` and `If-Modified-Since`,
//! `Range`, `HEAD`, streamed through the response buffer whatever the
//! file's size. Names go through [`path_join_safe`]: `..`, absolute
//! names, NUL and links out of the directory are refused with 403.
//!
//! ```
//! use ferrodot::assets;
//! use ferrodot::prelude::*;
//!
//! let root = std::env::temp_dir().join("ferrodot-files-doc");
//! std::fs::create_dir_all(&root).unwrap();
//! std::fs::write(root.join("hello.txt"), "hello").unwrap();
//! let root: &'static str = Box::leak(root.to_string_lossy().into_owned().into_boxed_str());
//!
//! // A route group, like the asset table's…
//! let app = App::new((), assets::dir("/files/:path*", root));
//! let client = ferrodot::testing::TestClient::new(&app);
//! let hello = client.get("/files/hello.txt");
//! assert_eq!((hello.text().as_str(), hello.header("content-type")), ("hello", Some("text/plain; charset=utf-8")));
//! assert_eq!(client.get("/files/%2e%2e/etc/passwd").status, Status::FORBIDDEN);
//! assert_eq!(client.get("/files/nothing.txt").status, Status::NOT_FOUND);
//!
//! // …or one file from a handler of your own (Microdot's `send_file`).
//! async fn readme<'r>(req: &'r Request<'r>) -> assets::SendFile<'r> {
//!     assets::send_file(std::env::temp_dir().join("ferrodot-files-doc/hello.txt"), req)
//! }
//! ferrodot::routes! { Readme<()> { GET "/readme" => readme } }
//! let app = App::new((), Readme);
//! assert_eq!(ferrodot::testing::TestClient::new(&app).get("/readme").text(), "hello");
//! ```
//!
//! A file that fits the response buffer goes out with `Content-Length` in
//! one write; a larger one is streamed chunked (close-delimited for
//! HTTP/1.0). Reads use `std::fs` on the server's thread: fine for local
//! disks, not for network file systems.

use std::format;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::string::String;
use std::time::UNIX_EPOCH;

use super::conditional::{content_range, last_modified, not_modified, range_still_valid, Conditions};
use super::mime::mime_for;
use super::range::{parse_range, RangeOutcome, BYTES};
use crate::app::respond::IntoResponse;
use crate::http::parse::Rejection;
use crate::http::{Method, Request, Status};
use crate::mpg::{path_join_safe, UnsafePath};
use crate::server::{ResponseWriter, WriteError};

/// `Cache-Control` of files from a directory: revalidate every time (the
/// file may change on disk; a `304` costs a few bytes).
const CACHE: &str = "no-cache";

/// A file answered for a request: see the module's doc.
pub struct SendFile<'r> {
    path: Result<PathBuf, UnsafePath>,
    conditions: Conditions<'r>,
    head: bool,
}

/// Answer `req` with the file at `path` (a path the application chose; a
/// folder answers its `index.html`).
pub fn send_file<'r>(path: impl Into<PathBuf>, req: &Request<'r>) -> SendFile<'r> {
    SendFile::new(Ok(path.into()), req)
}

/// Answer `req` with the file `name` (as the client sent it, decoded)
/// under `root`, refusing names that leave `root`.
pub fn send_from<'r>(root: &Path, name: &str, req: &Request<'r>) -> SendFile<'r> {
    let path = match path_join_safe(root, name) {
        // Nothing but separators and dots: the root itself (its index.html).
        Err(UnsafePath::Empty) => root.canonicalize().map_err(|_| UnsafePath::BadRoot),
        other => other,
    };
    SendFile::new(path, req)
}

impl<'r> SendFile<'r> {
    fn new(path: Result<PathBuf, UnsafePath>, req: &Request<'r>) -> Self {
        SendFile {
            path,
            conditions: Conditions::of(req),
            head: req.method() == Method::Head,
        }
    }
}

/// An open file and what the head says about it.
struct Opened {
    file: File,
    len: u64,
    modified: Option<u64>,
    mime: &'static str,
}

fn open(path: &Path) -> Result<Opened, Rejection> {
    let not_found = Rejection::new(Status::NOT_FOUND, "no such file");
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => Rejection::new(Status::FORBIDDEN, "file not readable"),
        _ => not_found,
    })?;
    let path = if meta.is_dir() { &path.join("index.html") } else { path };
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => Rejection::new(Status::FORBIDDEN, "file not readable"),
        _ => not_found,
    })?;
    let meta = file.metadata().map_err(|_| not_found)?;
    if !meta.is_file() {
        return Err(not_found);
    }
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    Ok(Opened {
        file,
        len: meta.len(),
        modified,
        mime: mime_for(extension),
    })
}

/// `"<mtime hex>-<size hex>"`, as nginx makes them: it changes when the file
/// is rewritten, without reading it.
fn etag(file: &Opened) -> String {
    format!("\"{:x}-{:x}\"", file.modified.unwrap_or(0), file.len)
}

impl IntoResponse for SendFile<'_> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        let path = match self.path {
            Ok(path) => path,
            Err(UnsafePath::BadRoot) => return out.error(Rejection::new(Status::NOT_FOUND, "no such file")).await,
            Err(_) => {
                return out
                    .error(Rejection::new(Status::FORBIDDEN, "path leaves the served directory"))
                    .await
            }
        };
        let mut file = match open(&path) {
            Ok(file) => file,
            Err(rejection) => return out.error(rejection).await,
        };
        let etag = etag(&file);
        let c = self.conditions;
        let not_modified = not_modified(&c, &etag, file.modified);
        // If-Range: the range applies only to the file the client already has part of.
        let range = c.range.filter(|_| range_still_valid(&c, &etag, file.modified));
        let outcome = match range {
            _ if not_modified => RangeOutcome::Full,
            Some(r) => parse_range(r, file.len),
            None => RangeOutcome::Full,
        };
        let (status, start, count) = match outcome {
            _ if not_modified => (Status::NOT_MODIFIED, 0, 0),
            RangeOutcome::Partial { start, end } => (
                Status::PARTIAL_CONTENT,
                start,
                end.saturating_sub(start).saturating_add(1),
            ),
            RangeOutcome::Unsatisfiable => (Status::RANGE_NOT_SATISFIABLE, 0, 0),
            RangeOutcome::Full => (Status::OK, 0, file.len),
        };
        out.start(status);
        if status != Status::NOT_MODIFIED {
            out.content_type(file.mime);
        }
        out.header("ETag", &etag);
        if let Some(modified) = file.modified {
            last_modified(out, modified);
        }
        out.header("Cache-Control", CACHE);
        out.header("Accept-Ranges", BYTES);
        match outcome {
            RangeOutcome::Partial { start, end } if !not_modified => content_range(out, Some((start, end)), file.len),
            RangeOutcome::Unsatisfiable if !not_modified => content_range(out, None, file.len),
            _ => {}
        }
        // Declared: a file larger than the buffer keeps `Content-Length` framing
        // (and the connection). A 304's length is the file's (RFC 9110 §8.6).
        out.content_length(if not_modified { file.len } else { count });
        if self.head || not_modified {
            return out.finish().await;
        }
        if start > 0 && file.file.seek(SeekFrom::Start(start)).is_err() {
            return Err(WriteError::Invalid("file could not be read"));
        }
        stream(&mut file.file, count, out).await?;
        out.finish().await
    }
}

/// Copy `count` bytes of `file` straight into the response buffer, sending
/// it whenever it is full.
async fn stream(file: &mut File, mut count: u64, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
    while count > 0 {
        let space = out.body_space();
        if space.is_empty() {
            out.flush().await?;
            continue;
        }
        let want = usize::try_from(count).unwrap_or(usize::MAX).min(space.len());
        let n = match space.get_mut(..want).map(|dst| file.read(dst)) {
            Some(Ok(n)) if n > 0 => n,
            // Shorter than its size said (truncated while sent), or unreadable:
            // the response cannot be completed honestly.
            _ => return Err(WriteError::Invalid("file changed or could not be read while sent")),
        };
        out.commit_body(n);
        count = count.saturating_sub(n as u64);
    }
    Ok(())
}
