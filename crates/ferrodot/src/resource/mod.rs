//! Pycom-style resource store (`network.HTTP_Server`): a fixed number of
//! resources, each a URI, a media type and a value, that clients read
//! and change with GET, PUT, POST and DELETE while the application reads
//! and changes them too. No heap: the store is fixed arrays sized by
//! const generics, and can be a `static`.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::resource::{Event, MediaType, Methods, ResourceRoutes, ResourceStore};
//!
//! fn told(e: &Event<'_>) {
//!     println!("{} {} -> {} {}", e.method, e.uri, e.status.0, e.new_uri);
//! }
//!
//! static STORE: ResourceStore = ResourceStore::new(); // 100 resources of ≤ 1 KiB
//! static APP: App<&ResourceStore, ResourceRoutes> = App::new(&STORE, ResourceRoutes::new());
//!
//! STORE.add("/resource1", MediaType::Html, b"Hello Client!")?.register(Methods::GET, None)?;
//! STORE.add_default("/resource2")?.register(Methods::ALL, Some(told))?; // text/html, "0"
//! // ferrodot::rt::tokio::run(&APP, "0.0.0.0:80")
//! # Ok::<(), ferrodot::resource::StoreError>(())
//! ```
//!
//! Pycom's names are there too, as aliases: `add_resource`, `get_resource`,
//! `list_resource`, `remove_resource` and `register_request_handler`. On a
//! host (feature `tokio`), `HttpServer::init` is Pycom's `HTTP_Server.init(port, max_uri,
//! keyfile, certfile)` and `HttpServer::deinit` its `deinit()`.
//!
//! What the server answers:
//!
//! | request | answer |
//! |---|---|
//! | GET (or HEAD) | 200, the value with its media type |
//! | PUT | the value and media type replaced; 204 with `Content-Location` |
//! | POST | a sub-resource `<uri>/<id>` (five digits, from 10000, never reused while the parent exists) holding the body; 201 with `Location` |
//! | DELETE | the resource removed; 204 |
//! | OPTIONS | 204 with `Allow` |
//! | a URI not in the store, or with no methods registered | 404 |
//! | a method not registered | 405 with `Allow` |
//! | `Accept` that excludes the media type (`*/*`, `type/*`, `q` understood) | 406 |
//! | PUT/POST with a `Content-Type` other than the six | 415 |
//! | a body larger than the value capacity `V` | 413 |
//! | a body that stops arriving (the app's body time-out) | 408 |
//! | POST when the store is full | 507 |
//!
//! A PUT or POST body is collected in the connection's receive buffer
//! before it is stored, so keep `V` below that buffer's size minus the
//! request head (on a host, 4 KiB; on a device, the slot's `Buffers`).
//!
//! The query string plays no part in finding a resource, and the path is
//! compared after percent-decoding. The resource's callback is told about
//! every request the resource answered (also the 406, 408, 413, 415 and
//! 507 ones), after the response was sent.
//!
//! Where this differs from Pycom's module, on purpose:
//! - `Accept: */*` (curl's and requests' default), `type/*` and `q=0` are
//!   understood; Pycom only searches `Accept` for the type as a substring.
//! - 204 responses carry no body (Pycom sends "Resource is updated.").
//! - POST ids count up per resource and are checked for uniqueness (Pycom
//!   derives them from the clock and may collide, then sends no answer).
//! - A sub-resource made by POST answers its parent's methods and calls its
//!   parent's callback (Pycom leaves it with no handler).
//! - No `Content-Type` keeps the current type (PUT) or the parent's (POST),
//!   instead of Pycom's `text/html`; parameters like `; charset=utf-8` and
//!   letter case are accepted.
//! - A body that arrives in several reads is read to its end (Pycom answers
//!   413 when one read is short); a body larger than the value is 413 before
//!   it is read, and the connection then closes.
//! - Values are bytes; there is no implicit integer encoding (Pycom stores
//!   integers as one or two raw bytes and truncates larger ones). So the
//!   default value of [`ResourceStore::add_default`] is the text `0`, as
//!   Pycom's documentation describes it ("decimal 0"), not the byte `0x00`
//!   its firmware sends.
//! - `max_uri` is a limit at run time ([`ResourceStore::set_max_uri`]) under
//!   the capacity `N` fixed at compile time; the URI length is capped by
//!   `U` (Pycom's is ESP-IDF's).
//! - A resource answers nothing (404) until a handler is registered, as in
//!   Pycom, but OPTIONS and 405 list its methods.
//! - Error bodies use the app's error style (plain text by default), not
//!   Pycom's HTML sentences; query strings no longer make a URI unknown.

// Lowest first: each module imports only those above it in this list.
mod error;
mod event;
mod media;
mod persist;
// Imports persist's trait and checksum.
#[cfg(feature = "flash-store")]
mod flash;
mod routes;
#[cfg(feature = "tokio")]
mod server;
mod store;
mod table;

pub use error::{PersistError, StoreError};
pub use event::{Callback, Event};
#[cfg(feature = "flash-store")]
pub use flash::FlashBacking;
pub use media::{acceptable, MediaType, Methods};
#[cfg(feature = "std")]
pub use persist::FileBacking;
#[cfg(feature = "portal")]
pub(crate) use persist::Fnv;
pub use persist::{ImageWriter, Persistence, Sink};
pub use routes::ResourceRoutes;
#[cfg(feature = "tokio")]
pub use server::{HttpServer, Init};
pub use store::{Info, ResourceRef, ResourceStore, DEFAULT_VALUE};
pub use table::{UriBuf, FIRST_ID, LAST_ID};
