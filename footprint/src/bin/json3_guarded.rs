//! json3 with the middleware a device's API needs: CORS on every route,
//! HTTP Basic or a signed session (HMAC-SHA256) on the POST, and a login
//! route that signs the session cookie. `report.sh` prints its flash over
//! json3: what sessions + auth + CORS cost together.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use ferrodot::app::layer::Layered;
use ferrodot::middleware::auth::{ct_eq, Auth, Verdict};
use ferrodot::middleware::cookie::WithCookie;
use ferrodot::middleware::cors::Cors;
use ferrodot::middleware::session::{Sessions, Signed};
use ferrodot::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Led {
    id: u32,
    on: bool,
}

#[derive(Deserialize)]
struct SetLed {
    on: bool,
}

#[derive(Serialize, Deserialize)]
struct Login {
    admin: bool,
}

struct Device {
    sessions: Sessions<'static>,
}

fn uptime_s() -> u64 {
    black_box(1_000)
}

fn basic(_: &Device, user: &str, password: &str) -> Verdict {
    if ct_eq(user.as_bytes(), b"admin") && ct_eq(password.as_bytes(), b"pw") {
        Verdict::Allow
    } else {
        Verdict::Reject
    }
}

fn session(dev: &Device, req: &Request<'_>) -> Verdict {
    match dev.sessions.load::<Login>(req) {
        Some(Login { admin: true }) => Verdict::Allow,
        _ => Verdict::Reject,
    }
}

static AUTH: Auth<Device> = Auth::new("device").basic(basic).session(session);
static CORS: Cors = Cors::new(&["http://panel.local"]).credentials();

async fn hello() -> &'static str {
    "hello"
}

async fn get_led(Path(id): Path<u32>) -> Json<Led> {
    Json(Led {
        id,
        on: black_box(id) % 2 == 1,
    })
}

async fn set_led(Path(id): Path<u32>, Json(led): Json<SetLed>) -> Status {
    black_box((id, led.on));
    Status::NO_CONTENT
}

async fn login(State(dev): State<&Device>) -> WithCookie<'_, Signed<'_, Login>, Redirect<'static>> {
    WithCookie(
        dev.sessions.cookie(Login { admin: true }),
        Redirect(Status::SEE_OTHER, "/"),
    )
}

ferrodot::routes! {
    Public<Device> {
        GET "/" => hello,
        GET "/api/led/:id" => get_led,
    }
}

ferrodot::routes! {
    Admin<Device> {
        POST "/api/led/:id" => set_led,
        POST "/login" => login,
    }
}

type Routes = Layered<&'static Cors<'static>, (Public, Layered<&'static Auth<Device>, Admin>)>;

static APP: App<Device, Routes> = App::new(
    Device {
        sessions: Sessions::new(&[b"a device key of 32 bytes, random"], uptime_s),
    },
    Layered::new(&CORS, (Public, Layered::new(&AUTH, Admin))),
);

/// json3's requests with an `Origin`, the POST with Basic credentials,
/// and a login. Input, not firmware: a section of its own, which the
/// report does not count (json3's shorter request is in its `.rodata`,
/// so the difference is not charged to the middleware).
#[link_section = ".canned_request"]
static REQUEST: [u8; 340] = *b"GET / HTTP/1.1\r\nHost: dev\r\nOrigin: http://panel.local\r\n\r\n\
GET /api/led/7 HTTP/1.1\r\nHost: dev\r\n\r\n\
POST /login HTTP/1.1\r\nHost: dev\r\nAuthorization: Basic YWRtaW46cHc=\r\nContent-Length: 0\r\n\r\n\
POST /api/led/7 HTTP/1.1\r\nHost: dev\r\nAuthorization: Basic YWRtaW46cHc=\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n\
{\"on\":true}";

#[entry]
fn main() -> ! {
    footprint::serve_request(&APP, &REQUEST)
}
