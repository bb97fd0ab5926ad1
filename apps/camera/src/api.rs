//! What the camera's routes do, for its OpenAPI document.
//!
//! The document itself is written on a host from the route table and these
//! notes (`cargo run -p demo -- --openapi`), committed as
//! `assets/openapi.json` and served from the asset table at
//! `GET /openapi.json`, with a page that lists and tries the operations at
//! `GET /docs` — so the firmware carries the document compressed and no
//! generator. A test fails when the committed file is stale.
//!
//! ```
//! let first = &camera::api::NOTES[0];
//! assert_eq!((first.method, first.pattern), (ferrodot::http::Method::Get, "/status"));
//! ```

use ferrodot::http::Method::{Get, Post, Put};
use ferrodot::openapi::{Body, Info, Note, Param, Reply};

/// The document's title and version.
pub const INFO: Info<'static> = Info::new("ferrodot camera", env!("CARGO_PKG_VERSION")).description(
    "The simulated camera device of the ferrodot demo and firmware. With an admin password set, \
     `PUT /config` and `POST /firmware` need the admin's session cookie (`POST /login`) or HTTP Basic \
     `admin:PASSWORD`.",
);

const STATUS: &str = r#"{"type":"object","required":["frames","triggers"],"properties":{"frames":{"type":"integer","minimum":0},"triggers":{"type":"integer","minimum":0}}}"#;
const CONFIG: &str = r#"{"type":"object","required":["interval_ms"],"properties":{"interval_ms":{"type":"integer","minimum":10,"maximum":60000}}}"#;
const ERROR: &str = r#"{"type":"object","required":["error"],"properties":{"error":{"type":"string"}}}"#;
const UPLOAD: &str = r#"{"type":"object","required":["bytes","sha256","slot","activated"],"properties":{"bytes":{"type":"integer","minimum":0},"sha256":{"type":"string","pattern":"^[0-9a-f]{64}$"},"slot":{"enum":["A","B"]},"activated":{"type":"boolean"}}}"#;
const UNAUTHORIZED: Reply<'static> = Reply::new(401, "An admin password is set and the request is not the admin's");
const DEVICE: &[&str] = &["device"];
const SLOTS: &str = r#"{"type":"object","required":["active","pending"],"properties":{"active":{"enum":["A","B"]},"pending":{"enum":["A","B",null]}}}"#;
const ADMIN_TAGS: &[&str] = &["admin"];

/// One note per camera route (see [`crate::Routes`]).
pub const NOTES: &[Note<'static>] = &[
    Note::new(Get, "/status", "Frames taken and triggers counted")
        .responses(&[Reply::json(200, "The status", STATUS)])
        .tags(DEVICE),
    Note::new(Post, "/trigger", "Count a trigger")
        .responses(&[Reply::json(200, "The status after the trigger", STATUS)])
        .tags(DEVICE),
    Note::new(Get, "/config", "The frame period")
        .responses(&[Reply::json(200, "The configuration", CONFIG)])
        .tags(DEVICE),
    Note::new(Put, "/config", "Change the frame period")
        .body(Body::json(CONFIG))
        .responses(&[
            Reply::json(200, "The new configuration", CONFIG),
            Reply::new(400, "Not JSON, or not this object"),
            UNAUTHORIZED,
            Reply::new(411, "No Content-Length"),
            Reply::new(422, "interval_ms outside 10..=60000"),
        ])
        .tags(ADMIN_TAGS),
    Note::new(Get, "/files/:path*", "Echo the path after /files/ (a wildcard capture)")
        .params(&[Param::path("path", "Zero or more segments")])
        .responses(&[Reply::media(200, "The captured path", "text/plain")])
        .tags(DEVICE),
    Note::new(Get, "/ws", "Live status over a WebSocket")
        .description("Upgrade with `Upgrade: websocket`; each text message is `{\"frames\",\"triggers\",\"light\"}`.")
        .responses(&[
            Reply::new(101, "Switching to the WebSocket protocol"),
            Reply::new(400, "Not a WebSocket handshake"),
        ])
        .tags(DEVICE),
    Note::new(Get, "/events", "Live status as server-sent events")
        .responses(&[Reply::media(200, "An event stream, one status per event", "text/event-stream")])
        .tags(DEVICE),
    Note::new(Post, "/report", "Send the status to another server with the device's HTTP client")
        .body(Body::json(
            r#"{"type":"object","required":["host","port","path"],"properties":{"host":{"type":"string"},"port":{"type":"integer","minimum":1,"maximum":65535},"path":{"type":"string","pattern":"^/"}}}"#,
        ))
        .responses(&[
            Reply::json(
                200,
                "The other server's status code",
                r#"{"type":"object","required":["status"],"properties":{"status":{"type":"integer"}}}"#,
            ),
            Reply::json(400, "A target that cannot be one", ERROR),
            Reply::json(502, "No response from the other server", ERROR),
        ])
        .tags(DEVICE),
    Note::new(Get, "/login", "The admin's login form")
        .responses(&[Reply::media(200, "The form", "text/html")])
        .tags(ADMIN_TAGS),
    Note::new(Post, "/login", "Log in as the admin")
        .body(Body {
            media: "application/x-www-form-urlencoded",
            schema: Some(
                r#"{"type":"object","required":["username","password"],"properties":{"username":{"const":"admin"},"password":{"type":"string"}}}"#,
            ),
            required: true,
        })
        .responses(&[
            Reply::new(303, "Logged in: the session cookie, and to /"),
            Reply::new(403, "Wrong user name or password"),
            Reply::new(404, "No admin password is set"),
        ])
        .tags(ADMIN_TAGS),
    Note::new(Post, "/logout", "Log out")
        .responses(&[Reply::new(303, "The session cookie removed, and to /")])
        .tags(ADMIN_TAGS),
    Note::new(Post, "/firmware", "Upload a firmware image into the inactive slot")
        .description(
            "The image as the raw body or as `multipart/form-data` (file field `firmware`). With the expected \
             SHA-256 in `X-Firmware-SHA256` or a `sha256` form field, a matching image is marked to boot; \
             without one it is stored and not activated.",
        )
        .params(&[Param::header("X-Firmware-SHA256", "The image's expected SHA-256, in hex")])
        .body(Body::media("application/octet-stream"))
        .responses(&[
            Reply::json(200, "Stored (and activated when the digest matched)", UPLOAD),
            Reply::new(400, "A malformed digest or form, or a form without the file"),
            UNAUTHORIZED,
            Reply::new(409, "Another upload is running"),
            Reply::new(413, "Larger than a slot"),
            Reply::json(422, "The digest does not match: nothing activated", ERROR),
            Reply::new(503, "The device has no firmware storage"),
        ])
        .tags(ADMIN_TAGS),
    Note::new(Get, "/firmware", "The active slot and the one marked to boot next")
        .responses(&[Reply::json(200, "The slots", SLOTS)])
        .tags(ADMIN_TAGS),
    Note::new(Get, "/", "The dashboard")
        .responses(&[Reply::media(200, "index.html", "text/html")])
        .tags(DEVICE),
    Note::new(Get, "/static/:path*", "The dashboard's files, gzipped when the client accepts it")
        .params(&[Param::path("path", "A file of the dashboard")])
        .responses(&[
            Reply::new(200, "The file"),
            Reply::new(206, "A range of the file"),
            Reply::new(304, "Not modified (If-None-Match)"),
            Reply::new(404, "No such file"),
            Reply::new(416, "No range fits"),
        ])
        .tags(DEVICE),
    Note::new(Get, "/openapi.json", "This document")
        .responses(&[Reply::media(200, "OpenAPI 3.1", "application/json")])
        .tags(DEVICE),
    Note::new(Get, "/docs", "A page that lists the operations and tries them")
        .responses(&[Reply::media(200, "The page", "text/html")])
        .tags(DEVICE),
];
