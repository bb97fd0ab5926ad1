//! The camera device: one application, no heap, `no_std`.
//!
//! The host demo (`apps/demo`, tokio) and the bare-metal firmware
//! (`firmware/qemu-virt`, embassy-net) serve this same route table:
//! - `GET /` — the dashboard (live chart, trigger, config, firmware upload),
//!   and `GET /static/*` its CSS, JS and icon: files from `assets/`, embedded
//!   and gzipped at build time, served from the asset table ([`assets`]);
//!   `assets/setup.html` is the first-boot Wi-Fi form the demo and the
//!   firmware give their portal (`Portal::page`)
//! - `GET /status` — `{"frames": N, "triggers": M}`
//! - `POST /trigger` — counts a trigger, answers the new status
//! - `GET /config`, `PUT /config` — `{"interval_ms": N}`, the frame period
//! - `GET /files/:path*` — the path captured by a `*` wildcard
//! - `POST /firmware` — an OTA update into the inactive A/B slot, as a raw
//!   body or a `multipart/form-data` form, checked with SHA-256; `GET
//!   /firmware` — which slot runs and which is pending (see [`ota`])
//! - `GET /login`, `POST /login`, `POST /logout` — the admin's session
//!   (see [`security`]: with an admin password, `PUT /config` and
//!   `POST /firmware` need it, or HTTP Basic `admin:PW`)
//! - `GET /openapi.json` — the OpenAPI 3.1 document of these routes
//!   ([`api`]); `GET /docs` — a page that lists the operations and tries them
//! - `GET /ws` — live status over a WebSocket; `GET /events` — the same as
//!   server-sent events. The page at `/` uses them.
//! - `POST /report` — `{"host":..,"port":..,"path":..}`: the device POSTs
//!   its status there with ferrodot's client and answers `{"status": N}`
//!   (`502 {"error": ..}` when it got no response); see [`report`].
//!
//! The platform only has to call [`Camera::tick`] every
//! [`Camera::interval_ms`] milliseconds, and for `/report` run an uplink
//! task over [`Camera::reports`].
#![no_std]

pub mod api;
pub mod ota;
pub mod report;
pub mod security;

use ferrodot::app::layer::Layered;
use ferrodot::broadcast::{Broadcast, Subscriber};
use ferrodot::future::select;
use ferrodot::prelude::*;
use ferrodot::server::WriteError;
use ferrodot::sse::{Event, EventSource, EventWriter, Sse};
use ferrodot::ws::{WebSocketUpgrade, WsConfig};
use portable_atomic::{AtomicU32, Ordering::Relaxed};
use serde::{Deserialize, Serialize};

/// The device's state. Atomics, so an app holding it can be a `static`.
pub struct Camera {
    frames: AtomicU32,
    triggers: AtomicU32,
    interval_ms: AtomicU32,
    /// Status updates for live pages: the last 4, to at most 8 clients.
    updates: Broadcast<4, STATUS_JSON_MAX, 8>,
    /// `POST /report` jobs for the platform's uplink task.
    reports: report::Reports,
    /// Admin password, sessions, CORS origins, rate limit.
    pub security: security::Security,
    /// Where `POST /firmware` writes; `None`: 503.
    firmware: Option<&'static dyn ota::FirmwareSlots>,
    uploading: ota::UploadLock,
}

/// Room for `{"frames":4294967295,"triggers":4294967295,"light":1023}`.
const STATUS_JSON_MAX: usize = 64;

impl Default for Camera {
    fn default() -> Self {
        Self::new()
    }
}

impl Camera {
    pub const fn new() -> Self {
        Camera {
            frames: AtomicU32::new(0),
            triggers: AtomicU32::new(0),
            interval_ms: AtomicU32::new(100),
            updates: Broadcast::new(),
            reports: report::Reports::new(),
            security: security::Security::OPEN,
            firmware: None,
            uploading: ota::UploadLock::new(),
        }
    }

    /// The same camera, taking firmware updates into `slots`.
    pub const fn with_firmware(mut self, slots: &'static dyn ota::FirmwareSlots) -> Self {
        self.firmware = Some(slots);
        self
    }

    /// The same camera with these security settings.
    pub const fn with_security(mut self, security: security::Security) -> Self {
        self.security = security;
        self
    }

    /// The mailbox the platform's uplink task serves `POST /report` from.
    pub fn reports(&self) -> &report::Reports {
        &self.reports
    }

    /// Capture one frame (the platform's timer calls this).
    pub fn tick(&self) {
        self.frames.store(self.frames.load(Relaxed).wrapping_add(1), Relaxed);
        self.publish();
    }

    fn trigger(&self) {
        self.triggers
            .store(self.triggers.load(Relaxed).wrapping_add(1), Relaxed);
        self.publish();
    }

    /// The live status as JSON in `buf`; returns its length.
    fn live_json(&self, buf: &mut [u8; STATUS_JSON_MAX]) -> usize {
        let s = self.status();
        let live = LiveStatus {
            frames: s.frames,
            triggers: s.triggers,
            light: self.light(),
        };
        serde_json_core::to_slice(&live, buf).unwrap_or(0)
    }

    fn publish(&self) {
        let mut buf = [0u8; STATUS_JSON_MAX];
        let n = self.live_json(&mut buf);
        let _ = self.updates.publish(buf.get(..n).unwrap_or(&[]));
    }

    /// How often [`Camera::tick`] should run.
    pub fn interval_ms(&self) -> u32 {
        self.interval_ms.load(Relaxed)
    }

    pub fn status(&self) -> CameraStatus {
        CameraStatus {
            frames: self.frames.load(Relaxed),
            triggers: self.triggers.load(Relaxed),
        }
    }

    /// A 10-bit light-sensor reading that drifts up and down with time
    /// (a triangle wave over 400 frames, 112..=912).
    pub fn light(&self) -> u32 {
        let phase = self.frames.load(Relaxed) % 400;
        let ramp = if phase < 200 { phase } else { 400 - phase };
        112 + ramp * 4
    }
}

#[derive(Serialize)]
pub struct CameraStatus {
    pub frames: u32,
    pub triggers: u32,
}

#[derive(Serialize)]
struct LiveStatus {
    frames: u32,
    triggers: u32,
    light: u32,
}

#[derive(Serialize, Deserialize)]
pub struct FrameConfig {
    pub interval_ms: u32,
}

async fn status(State(cam): State<&Camera>) -> Json<CameraStatus> {
    Json(cam.status())
}

async fn trigger(State(cam): State<&Camera>) -> Json<CameraStatus> {
    cam.trigger();
    Json(cam.status())
}

type Updates<'a> = Subscriber<'a, 4, STATUS_JSON_MAX, 8>;

fn subscribe(cam: &Camera) -> Result<Updates<'_>, Rejection> {
    cam.updates
        .subscribe()
        .ok_or(Rejection::new(Status::SERVICE_UNAVAILABLE, "too many live clients"))
}

fn as_text(buf: &[u8], len: usize) -> &str {
    core::str::from_utf8(buf.get(..len).unwrap_or(&[])).unwrap_or("")
}

/// Live status over a WebSocket: the current status at once, then every
/// update, until the client closes.
async fn live_ws(State(cam): State<&Camera>, mut upgrade: WebSocketUpgrade<'_>) -> Result<(), Rejection> {
    let mut updates = subscribe(cam)?;
    let Ok(mut ws) = upgrade.accept(&[], WsConfig::DEFAULT).await else {
        return Ok(());
    };
    let (rx, tx) = ws.split();
    let mut buf = [0u8; STATUS_JSON_MAX];
    let n = cam.live_json(&mut buf);
    if tx.send_text(as_text(&buf, n)).await.is_err() {
        return Ok(());
    }
    // Read (answering pings, noticing the close) while pushing updates;
    // whichever side ends first ends the socket.
    let incoming = async { while rx.recv().await.is_ok() {} };
    let outgoing = async {
        loop {
            let got = updates.recv(&mut buf).await;
            if tx.send_text(as_text(&buf, got.len)).await.is_err() {
                return;
            }
        }
    };
    select(incoming, outgoing).await;
    Ok(())
}

/// The same updates as server-sent events.
struct LiveEvents<'a> {
    cam: &'a Camera,
    updates: Updates<'a>,
}

impl EventSource for LiveEvents<'_> {
    async fn run(mut self, events: &mut EventWriter<'_, '_>) -> Result<(), WriteError> {
        let mut buf = [0u8; STATUS_JSON_MAX];
        let n = self.cam.live_json(&mut buf);
        events
            .send(&Event {
                event: Some("status"),
                retry: Some(1000),
                data: as_text(&buf, n),
                ..Event::DEFAULT
            })
            .await?;
        loop {
            if let Some(got) = events.next_or_keep_alive(self.updates.recv(&mut buf), 15_000).await? {
                events
                    .send(&Event {
                        event: Some("status"),
                        data: as_text(&buf, got.len),
                        ..Event::DEFAULT
                    })
                    .await?;
            }
        }
    }
}

async fn live_events(State(cam): State<&Camera>) -> Result<Sse<LiveEvents<'_>>, Rejection> {
    Ok(Sse(LiveEvents {
        cam,
        updates: subscribe(cam)?,
    }))
}

async fn get_config(State(cam): State<&Camera>) -> Json<FrameConfig> {
    Json(FrameConfig {
        interval_ms: cam.interval_ms(),
    })
}

async fn put_config(State(cam): State<&Camera>, Json(cfg): Json<FrameConfig>) -> Result<Json<FrameConfig>, Rejection> {
    if !(10..=60_000).contains(&cfg.interval_ms) {
        return Err(Rejection::new(
            Status::UNPROCESSABLE_CONTENT,
            "interval_ms must be 10..=60000",
        ));
    }
    cam.interval_ms.store(cfg.interval_ms, Relaxed);
    Ok(Json(cfg))
}

async fn file(Path(path): Path<&str>) -> &str {
    path
}

/// The dashboard (`apps/camera/assets/`): HTML, CSS, JS, an SVG icon and the
/// portal's setup page, gzipped at build time by `build.rs`
/// (`ferrodot-assets-build`).
pub mod assets {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// `GET /` (the dashboard's `index.html`) and `GET /static/*` (the rest), with
/// gzip, ETag/304, Range and HEAD; `GET /openapi.json` (written on a host from
/// the routes and [`api::NOTES`]) and `GET /docs`, the page that tries it.
pub type Dashboard = (
    (ferrodot::assets::Mount, ferrodot::assets::Mount),
    (ferrodot::assets::Mount, ferrodot::assets::Mount),
);

const DASHBOARD: Dashboard = (
    (
        ferrodot::assets::file("/", &assets::ASSETS, "index.html"),
        ferrodot::assets::serve("/static/:path*", &assets::ASSETS),
    ),
    (
        ferrodot::assets::file("/openapi.json", &assets::ASSETS, "openapi.json"),
        ferrodot::assets::file("/docs", &assets::ASSETS, "docs.html"),
    ),
);

ferrodot::routes! {
    pub CameraRoutes<Camera> {
        GET "/status" => status,
        POST "/trigger" => trigger,
        GET "/config" => get_config,
        GET "/files/:path*" => file,
        GET "/firmware" => ota::slots,
        GET "/ws" => live_ws,
        GET "/events" => live_events,
        POST "/report" .max_body(256) => report::report,
        GET "/login" => security::login_page,
        POST "/login" .max_body(256) => security::login,
        POST "/logout" => security::logout,
    }
}

// What changes the device: with an admin password, only the admin may.
// To protect another route, move its line here.
ferrodot::routes! {
    pub AdminRoutes<Camera> {
        PUT "/config" .max_body(256).require_length() => put_config,
        // The slot's capacity bounds the image (413); this bounds a form's
        // other parts and framing too.
        POST "/firmware" .max_body(1 << 30) => ota::upload,
    }
}

/// Every route: the admin routes behind [`security::AdminOnly`], all of
/// them behind [`security::Guard`] (rate limit, CSRF, CORS).
pub type Routes = Layered<security::Guard, (CameraRoutes, (Layered<security::AdminOnly, AdminRoutes>, Dashboard))>;

/// The camera app, ready to serve.
pub type CameraApp = App<Camera, Routes>;

/// A camera app with default settings (`const`: it can be a `static`).
pub const fn app() -> CameraApp {
    app_with(security::Security::OPEN)
}

/// The camera's routes with their guards, for an app that serves more
/// routes next to them (the firmware puts the captive portal's first).
pub const fn routes() -> Routes {
    let routes = (
        CameraRoutes,
        (Layered::new(security::AdminOnly, AdminRoutes), DASHBOARD),
    );
    Layered::new(security::Guard, routes)
}

/// A camera app with these security settings.
pub const fn app_with(security: security::Security) -> CameraApp {
    App::new(Camera::new().with_security(security), routes())
}
