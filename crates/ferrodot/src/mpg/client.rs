//! mpgameserver's `HTTPClient`: requests sent in the background, their
//! callbacks run when the caller asks, from the caller's own loop.
//!
//! ```no_run
//! use ferrodot::mpg::client::{HttpClient, Payload};
//!
//! let mut client = HttpClient::new("127.0.0.1:8080", "http")?;
//! client.get("/status", &[], &[], Some(Box::new(|done| println!("status {}", done.status()))));
//! client.post("/trigger", Payload::json(&serde_json::json!({"n": 1})), &[], &[], None);
//! client.start()?;
//! while client.pending() > 0 {
//!     client.update(); // fires the callbacks of what has completed
//!     std::thread::sleep(std::time::Duration::from_millis(10));
//! }
//! client.stop();
//! # Ok::<(), ferrodot::mpg::client::StartError>(())
//! ```
//!
//! As in the seed, `pending()` counts every request not yet collected
//! (completed ones included), [`HttpClient::responses`] yields completed
//! handles and calls each callback just before, and `update()` drains it;
//! `start()` after `stop()` is an error. Unlike the seed, requests run
//! concurrently (the seed's run one at a time), `delete` works (the
//! seed's raises `NameError`), a JSON payload is sent with
//! `Content-Type: application/json`, and certificates are verified for
//! `https` (the seed turns verification off).

use std::collections::HashMap;
use std::string::{String, ToString};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::vec::Vec;

use crate::client::tokio::{Client, Reply};
use crate::client::Error;
use crate::http::Method;

/// A request body, as the seed's payload types map to it.
#[derive(Debug, Clone)]
pub enum Payload {
    /// Raw bytes, sent as they are.
    Bytes(Vec<u8>),
    /// A JSON document (the seed's `dict` payload).
    Json(Vec<u8>),
    /// A compact binary message (the seed's `Serializable`), sent as
    /// `application/x-serializable`.
    Serializable(Vec<u8>),
}

impl Payload {
    /// `value` encoded as JSON; a value serde cannot encode is sent as
    /// `null`.
    pub fn json<T: serde::Serialize>(value: &T) -> Self {
        Payload::Json(serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec()))
    }

    fn content_type(&self) -> Option<&'static str> {
        match self {
            Payload::Bytes(_) => None,
            Payload::Json(_) => Some("application/json"),
            Payload::Serializable(_) => Some("application/x-serializable"),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Payload::Bytes(b) | Payload::Json(b) | Payload::Serializable(b) => b,
        }
    }
}

/// One request and, once complete, what came back.
#[derive(Debug)]
pub struct RequestHandle {
    /// The handle's number (the seed's `hid`), from 1.
    pub id: u64,
    /// The method sent.
    pub method: Method,
    /// The path sent, before the query.
    pub path: String,
    /// The query pairs sent.
    pub query: Vec<(String, String)>,
    /// The header fields sent.
    pub headers: Vec<(String, String)>,
    /// The payload sent, if any.
    pub payload: Option<Payload>,
    /// The response, or why there is none.
    pub response: Result<Reply, Error>,
}

impl RequestHandle {
    /// The status code; 418 when no response came (the seed's
    /// `ErrorResponse(str(e), 418)` for a transport error).
    pub fn status(&self) -> u16 {
        self.response.as_ref().map_or(418, |r| r.status.0)
    }

    /// The response body (for a transport error, the error's text).
    pub fn body(&self) -> std::borrow::Cow<'_, [u8]> {
        match &self.response {
            Ok(reply) => std::borrow::Cow::Borrowed(&reply.body),
            Err(e) => std::borrow::Cow::Owned(e.to_string().into_bytes()),
        }
    }

    /// The body as JSON, when the server said `application/json` (the
    /// seed's `JsonResponse`).
    pub fn json(&self) -> Option<serde_json::Value> {
        let reply = self.response.as_ref().ok()?;
        let is_json = reply
            .header("content-type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
        if is_json {
            serde_json::from_slice(&reply.body).ok()
        } else {
            None
        }
    }
}

/// Run on [`HttpClient::update`] with the completed handle.
pub type Callback = std::boxed::Box<dyn FnOnce(&RequestHandle)>;

/// `start()` could not start the background thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartError(pub &'static str);

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for StartError {}

struct Job {
    id: u64,
    method: Method,
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// mpgameserver's `HTTPClient(addr, protocol)`.
pub struct HttpClient {
    base: String,
    client: Client,
    next_id: u64,
    sent: HashMap<u64, RequestHandle>,
    callbacks: HashMap<u64, Callback>,
    jobs: Option<tokio::sync::mpsc::UnboundedSender<Job>>,
    queued: Option<tokio::sync::mpsc::UnboundedReceiver<Job>>,
    done: mpsc::Receiver<(u64, Result<Reply, Error>)>,
    done_tx: mpsc::Sender<(u64, Result<Reply, Error>)>,
    thread: Option<JoinHandle<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    stopped: bool,
}

impl HttpClient {
    /// A client for the server at `addr` (`host:port`) over `protocol`
    /// (`http` or `https`). As the seed does, it warns on stderr for
    /// `localhost`, which may resolve to an address the server does not
    /// listen on.
    pub fn new(addr: &str, protocol: &str) -> Result<Self, StartError> {
        let protocol = match protocol {
            "http" | "https" => protocol,
            _ => return Err(StartError("protocol must be http or https")),
        };
        if addr.split(':').next() == Some("localhost") {
            std::eprintln!("warning: localhost may resolve to ::1 first; use 127.0.0.1");
        }
        let (jobs, queued) = tokio::sync::mpsc::unbounded_channel();
        let (done_tx, done) = mpsc::channel();
        Ok(HttpClient {
            base: std::format!("{protocol}://{addr}"),
            client: Client::new(),
            next_id: 0,
            sent: HashMap::new(),
            callbacks: HashMap::new(),
            jobs: Some(jobs),
            queued: Some(queued),
            done,
            done_tx,
            thread: None,
            stop: None,
            stopped: false,
        })
    }

    /// Use `client` (its options: time-outs, a CA file, redirects).
    pub fn with_client(mut self, client: Client) -> Self {
        self.client = client;
        self
    }

    /// `GET path`; returns the handle's id.
    pub fn get(
        &mut self,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        callback: Option<Callback>,
    ) -> u64 {
        self.submit(Method::Get, path, None, query, headers, callback)
    }

    /// `DELETE path`.
    pub fn delete(
        &mut self,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        callback: Option<Callback>,
    ) -> u64 {
        self.submit(Method::Delete, path, None, query, headers, callback)
    }

    /// `PUT path` with `payload`.
    pub fn put(
        &mut self,
        path: &str,
        payload: Payload,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        callback: Option<Callback>,
    ) -> u64 {
        self.submit(Method::Put, path, Some(payload), query, headers, callback)
    }

    /// `POST path` with `payload`.
    pub fn post(
        &mut self,
        path: &str,
        payload: Payload,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        callback: Option<Callback>,
    ) -> u64 {
        self.submit(Method::Post, path, Some(payload), query, headers, callback)
    }

    fn submit(
        &mut self,
        method: Method,
        path: &str,
        payload: Option<Payload>,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        callback: Option<Callback>,
    ) -> u64 {
        self.next_id = self.next_id.saturating_add(1);
        let id = self.next_id;
        let mut all_headers: Vec<(String, String)> =
            headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        if let Some(kind) = payload.as_ref().and_then(Payload::content_type) {
            if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
                all_headers.push(("Content-Type".into(), kind.into()));
            }
        }
        let url = std::format!("{}{}", self.base, path);
        let body = payload.as_ref().map(|p| p.bytes().to_vec()).unwrap_or_default();
        let query: Vec<(String, String)> = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let job = Job {
            id,
            method,
            url,
            query: query.clone(),
            headers: all_headers.clone(),
            body,
        };
        let handle = RequestHandle {
            id,
            method,
            path: path.to_string(),
            query,
            headers: all_headers,
            payload,
            response: Err(Error::Closed),
        };
        let sent = self.jobs.as_ref().is_some_and(|jobs| jobs.send(job).is_ok());
        if !sent {
            // Stopped: the request completes at once with the reason.
            let _ = self.done_tx.send((id, Err(Error::Io)));
        }
        self.sent.insert(id, handle);
        if let Some(callback) = callback {
            self.callbacks.insert(id, callback);
        }
        id
    }

    /// Requests not yet collected by [`responses`](Self::responses),
    /// completed or not.
    pub fn pending(&self) -> usize {
        self.sent.len()
    }

    /// The completed requests, each callback called just before its
    /// handle is yielded; collected handles leave [`pending`](Self::pending).
    /// Handles not taken from the iterator stay for the next call.
    pub fn responses(&mut self) -> Responses<'_> {
        Responses { client: self }
    }

    /// The next completed handle, its callback called.
    fn next_completed(&mut self) -> Option<RequestHandle> {
        loop {
            let (id, response) = self.done.try_recv().ok()?;
            let Some(mut handle) = self.sent.remove(&id) else {
                continue;
            };
            handle.response = response;
            if let Some(callback) = self.callbacks.remove(&id) {
                callback(&handle);
            }
            return Some(handle);
        }
    }

    /// Fire the callbacks of everything completed so far.
    pub fn update(&mut self) {
        self.responses().for_each(drop);
    }

    /// Start sending, on a background thread with a runtime of its own.
    pub fn start(&mut self) -> Result<(), StartError> {
        if self.stopped {
            return Err(StartError("start after stop not supported"));
        }
        let Some(mut queued) = self.queued.take() else {
            return Ok(());
        };
        let client = self.client.clone();
        let done = self.done_tx.clone();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|_| StartError("cannot start the client's runtime"))?;
        let thread = std::thread::Builder::new()
            .name("mpg-http-client".into())
            .spawn(move || {
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, async move {
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            job = queued.recv() => {
                                let Some(job) = job else { break };
                                let client = client.clone();
                                let done = done.clone();
                                tokio::task::spawn_local(async move {
                                    let (query, headers) = (borrowed(&job.query), borrowed(&job.headers));
                                    let result = client.send(job.method, &job.url, &query, &headers, &job.body).await;
                                    let _ = done.send((job.id, result));
                                });
                            }
                        }
                    }
                });
            })
            .map_err(|_| StartError("cannot start the client's thread"))?;
        self.thread = Some(thread);
        self.stop = Some(stop);
        Ok(())
    }

    /// Stop the background thread (requests in flight are dropped) and
    /// wait for it.
    pub fn stop(&mut self) {
        self.stopped = true;
        self.jobs = None;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The completed requests of an [`HttpClient`] (the seed's
/// `getResponses()` generator).
pub struct Responses<'a> {
    client: &'a mut HttpClient,
}

impl Iterator for Responses<'_> {
    type Item = RequestHandle;

    fn next(&mut self) -> Option<RequestHandle> {
        self.client.next_completed()
    }
}

impl Drop for HttpClient {
    fn drop(&mut self) {
        self.stop();
    }
}

fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}
