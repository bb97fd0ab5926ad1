//! The store's HTTP face: one catch-all route whose handler answers
//! GET, PUT, POST and DELETE on the resources, as Pycom's server does.

use core::marker::PhantomData;

use super::error::StoreError;
use super::event::Event;
use super::media::{acceptable, MediaType, Methods};
use super::store::{Found, ResourceStore};
use super::table::UriBuf;
use crate::app::Dispatch;
use crate::http::parse::Rejection;
use crate::http::request::Framing;
use crate::http::{Method, Request, Status};
use crate::route::Route;
use crate::server::{BodyError, RequestBody, ResponseWriter, WriteError};

/// The route table of a [`ResourceStore`]: serve an app whose state is
/// the store (or anything that is `AsRef` of it: `&'static` store, `Arc`).
///
/// ```
/// use ferrodot::prelude::*;
/// use ferrodot::resource::{MediaType, Methods, ResourceRoutes, ResourceStore};
///
/// type Store = ResourceStore<16, 48, 256>;
/// static STORE: Store = ResourceStore::new();
/// static APP: App<&Store, ResourceRoutes<16, 48, 256>> = App::new(&STORE, ResourceRoutes::new());
///
/// STORE.add("/resource1", MediaType::Html, b"Hello Client!")?.register(Methods::GET, None)?;
/// # Ok::<(), ferrodot::resource::StoreError>(())
/// ```
///
/// Every path reaches the store (the route is `/:uri*`, all methods), so
/// when it shares an app with other routes put it last:
/// `App::new(state, (OtherRoutes, ResourceRoutes::new()))`, or give it a
/// narrower pattern with [`ResourceRoutes::at`].
pub struct ResourceRoutes<const N: usize = 100, const U: usize = 64, const V: usize = 1024> {
    route: Route<'static>,
    _store: PhantomData<fn() -> ResourceStore<N, U, V>>,
}

impl<const N: usize, const U: usize, const V: usize> Default for ResourceRoutes<N, U, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const U: usize, const V: usize> ResourceRoutes<N, U, V> {
    /// Every path goes to the store.
    pub const fn new() -> Self {
        Self::at("/:uri*")
    }

    /// Only paths matching `pattern` go to the store (`"/res/:rest*"`); a
    /// bad pattern fails to compile in a `const`.
    pub const fn at(pattern: &'static str) -> Self {
        ResourceRoutes {
            // The engine's own body limit is lifted: the handler refuses
            // bodies larger than a value itself, so the callback hears of it.
            route: Route::any(pattern).max_body(u64::MAX),
            _store: PhantomData,
        }
    }
}

impl<S, const N: usize, const U: usize, const V: usize> Dispatch<S> for ResourceRoutes<N, U, V>
where
    S: AsRef<ResourceStore<N, U, V>>,
{
    fn route_count(&self) -> usize {
        1
    }

    fn route(&self, index: usize) -> Option<&Route<'_>> {
        (index == 0).then_some(&self.route)
    }

    async fn call(
        &self,
        _index: usize,
        req: &Request<'_>,
        state: &S,
        body: &RequestBody<'_>,
        out: &mut ResponseWriter<'_>,
    ) -> Result<(), WriteError> {
        serve(state.as_ref(), req, body, out).await
    }
}

/// What one request did, for the callback.
struct Outcome<'b, const U: usize> {
    status: Status,
    body: &'b [u8],
    new_uri: UriBuf<U>,
    written: Result<(), WriteError>,
}

impl<const U: usize> Outcome<'_, U> {
    fn new(status: Status, written: Result<(), WriteError>) -> Self {
        Outcome {
            status,
            body: &[],
            new_uri: UriBuf::new(),
            written,
        }
    }
}

/// The request carries body bytes (`Content-Length: 0` does not).
fn has_body(req: &Request<'_>) -> bool {
    !matches!(req.framing(), Framing::None | Framing::Length(0))
}

async fn refuse(out: &mut ResponseWriter<'_>, status: Status, reason: &'static str) -> Result<(), WriteError> {
    out.error(Rejection::new(status, reason)).await
}

/// Answer one request to the store.
pub(crate) async fn serve<const N: usize, const U: usize, const V: usize>(
    store: &ResourceStore<N, U, V>,
    req: &Request<'_>,
    body: &RequestBody<'_>,
    out: &mut ResponseWriter<'_>,
) -> Result<(), WriteError> {
    let method = req.method();
    let found = store.lookup(req.path()).filter(|f| !f.methods.is_empty());
    let Some(found) = found else {
        return refuse(out, Status::NOT_FOUND, "no such resource").await;
    };
    let wanted = Methods::of(method);
    let body_method = matches!(method, Method::Put | Method::Post);
    if !body_method && has_body(req) {
        // A body nobody reads: do not wait for it, close after answering.
        out.close_after();
    }
    if method == Method::Options {
        out.start(Status::NO_CONTENT);
        out.header("Allow", found.methods.allow_header());
        return out.finish().await;
    }
    if !found.methods.contains(wanted) {
        out.start(Status::METHOD_NOT_ALLOWED);
        out.header("Allow", found.methods.allow_header());
        return out
            .error_body(Rejection::new(
                Status::METHOD_NOT_ALLOWED,
                "method not registered for this resource",
            ))
            .await;
    }
    let outcome = match method {
        Method::Put | Method::Post => receive(store, &found, req, body, out).await,
        Method::Delete => delete(store, &found, out).await,
        _ => get(store, &found, req, out).await,
    };
    if let Some(callback) = found.callback {
        callback(&Event {
            uri: found.uri.as_str(),
            method,
            headers: req.headers(),
            body: outcome.body,
            new_uri: outcome.new_uri.as_str(),
            status: outcome.status,
        });
    }
    outcome.written
}

async fn get<const N: usize, const U: usize, const V: usize>(
    store: &ResourceStore<N, U, V>,
    found: &Found<U>,
    req: &Request<'_>,
    out: &mut ResponseWriter<'_>,
) -> Outcome<'static, U> {
    let uri = found.uri.as_str();
    if !acceptable(req.headers_all("accept"), found.media) {
        let written = refuse(
            out,
            Status::NOT_ACCEPTABLE,
            "the resource's media type is not in Accept",
        )
        .await;
        return Outcome::new(Status::NOT_ACCEPTABLE, written);
    }
    out.start(Status::OK);
    out.header("Content-Type", found.media.as_str());
    if req.method() == Method::Head {
        // Only the length is sent: count it without copying the value.
        let Ok((_, total, _, _)) = store.copy_value(uri, 0, &mut []) else {
            let written = refuse(out, Status::NOT_FOUND, "no such resource").await;
            return Outcome::new(Status::NOT_FOUND, written);
        };
        static NOTHING: [u8; 64] = [0; 64];
        let mut rest = total;
        while rest > 0 {
            let n = rest.min(NOTHING.len());
            if let Err(e) = out.write(NOTHING.get(..n).unwrap_or(&[])).await {
                return Outcome::new(Status::OK, Err(e));
            }
            rest = rest.saturating_sub(n);
        }
        return Outcome::new(Status::OK, out.finish().await);
    }
    // The value is copied straight from the store into the response
    // buffer, a buffer-full at a time; a value changed between two pieces
    // would be torn, so that aborts the response instead.
    let mut offset = 0usize;
    let mut first_generation = None;
    loop {
        let copied = store.copy_value(uri, offset, out.body_space());
        let (n, total, generation) = match copied {
            Ok((n, total, _, generation)) => (n, total, generation),
            Err(_) if offset == 0 => {
                // Removed since it was looked up.
                let written = refuse(out, Status::NOT_FOUND, "no such resource").await;
                return Outcome::new(Status::NOT_FOUND, written);
            }
            Err(_) => {
                return Outcome::new(
                    Status::OK,
                    Err(WriteError::Invalid("resource removed while it was sent")),
                )
            }
        };
        if *first_generation.get_or_insert(generation) != generation {
            return Outcome::new(
                Status::OK,
                Err(WriteError::Invalid("resource changed while it was sent")),
            );
        }
        out.commit_body(n);
        offset = offset.saturating_add(n);
        if offset >= total {
            return Outcome::new(Status::OK, out.finish().await);
        }
        if n == 0 && out.body_capacity() > 0 {
            return Outcome::new(
                Status::OK,
                Err(WriteError::Invalid("resource shrank while it was sent")),
            );
        }
        if let Err(e) = out.flush().await {
            return Outcome::new(Status::OK, Err(e));
        }
    }
}

async fn delete<const N: usize, const U: usize, const V: usize>(
    store: &ResourceStore<N, U, V>,
    found: &Found<U>,
    out: &mut ResponseWriter<'_>,
) -> Outcome<'static, U> {
    match store.remove(found.uri.as_str()) {
        Ok(()) => {
            out.start(Status::NO_CONTENT);
            Outcome::new(Status::NO_CONTENT, out.finish().await)
        }
        Err(StoreError::NotFound) => Outcome::new(
            Status::NOT_FOUND,
            refuse(out, Status::NOT_FOUND, "no such resource").await,
        ),
        Err(_) => {
            let status = Status::INTERNAL_SERVER_ERROR;
            Outcome::new(status, refuse(out, status, "the store could not be saved").await)
        }
    }
}

/// PUT and POST: check the media type and size, read the body, store it.
async fn receive<'b, const N: usize, const U: usize, const V: usize>(
    store: &ResourceStore<N, U, V>,
    found: &Found<U>,
    req: &Request<'_>,
    body: &RequestBody<'b>,
    out: &mut ResponseWriter<'_>,
) -> Outcome<'b, U> {
    // No Content-Type: keep the resource's type (a PUT) or the parent's
    // (a POST). Any type but the six: 415.
    let media = match req.header("content-type") {
        None => None,
        Some(value) => match MediaType::from_content_type(value) {
            Some(media) => Some(media),
            None => {
                if has_body(req) {
                    out.close_after();
                }
                let status = Status::UNSUPPORTED_MEDIA_TYPE;
                return Outcome::new(
                    status,
                    refuse(out, status, "Content-Type must be one of the store's media types").await,
                );
            }
        },
    };
    if req.content_length().is_some_and(|n| n > V as u64) {
        // Refused unread: the connection closes after the answer.
        out.close_after();
        let status = Status::PAYLOAD_TOO_LARGE;
        return Outcome::new(status, refuse(out, status, "body larger than a resource value").await);
    }
    // The body is collected in the connection's receive buffer: a value
    // capacity `V` larger than that buffer's free space cannot be filled.
    let value = match body.collect().await {
        Ok(value) if value.len() <= V => value,
        Ok(_) => {
            out.close_after();
            let status = Status::PAYLOAD_TOO_LARGE;
            return Outcome::new(status, refuse(out, status, "body larger than a resource value").await);
        }
        Err(BodyError::TooLarge) => {
            out.close_after();
            let status = Status::PAYLOAD_TOO_LARGE;
            return Outcome::new(status, refuse(out, status, "body larger than the receive buffer").await);
        }
        Err(e) => {
            let rejection = e.rejection();
            return Outcome::new(rejection.status, out.error(rejection).await);
        }
    };
    let uri = found.uri.as_str();
    if req.method() == Method::Put {
        let outcome = match store.put(uri, media, value) {
            Ok(()) => {
                out.start(Status::NO_CONTENT);
                out.header("Content-Location", uri);
                Outcome::new(Status::NO_CONTENT, out.finish().await)
            }
            Err(e) => stored_error(out, e).await,
        };
        return Outcome { body: value, ..outcome };
    }
    match store.post(uri, media, value) {
        Ok(new_uri) => {
            out.start(Status::CREATED);
            out.header("Location", new_uri.as_str());
            let written = out.finish().await;
            Outcome {
                status: Status::CREATED,
                body: value,
                new_uri,
                written,
            }
        }
        Err(e) => Outcome {
            body: value,
            ..stored_error(out, e).await
        },
    }
}

async fn stored_error<const U: usize>(out: &mut ResponseWriter<'_>, e: StoreError) -> Outcome<'static, U> {
    let (status, reason) = match e {
        StoreError::NotFound => (Status::NOT_FOUND, "no such resource"),
        StoreError::Full | StoreError::UriTooLong => (
            Status::INSUFFICIENT_STORAGE,
            "no room for another resource on the server",
        ),
        StoreError::ValueTooLarge => (Status::PAYLOAD_TOO_LARGE, "body larger than a resource value"),
        _ => (Status::INTERNAL_SERVER_ERROR, "the store could not be saved"),
    };
    Outcome::new(status, refuse(out, status, reason).await)
}
