//! How the camera protects itself: an admin password on the routes that
//! change it (HTTP Basic `admin:PW`, or the session of `POST /login`),
//! CORS for the origins it trusts, CSRF refusal of every other cross-site
//! `POST`/`PUT`, and a per-client rate limit. Everything is off until the
//! platform turns it on ([`Security::OPEN`]), so a first try needs no
//! password; the host demo sets it from flags, the firmware from constants.

use ferrodot::app::layer::Layer;
use ferrodot::middleware::auth::{ct_eq, Auth, Verdict};
use ferrodot::middleware::cookie::WithCookie;
use ferrodot::middleware::cors::Cors;
use ferrodot::middleware::csrf::Csrf;
use ferrodot::middleware::ratelimit::RateLimit;
use ferrodot::middleware::session::{Sessions, Signed};
use ferrodot::prelude::*;
use ferrodot::server::HeadExtras;
use serde::{Deserialize, Serialize};

use crate::Camera;

/// Clients the rate limit tracks at once (about 40 bytes each).
pub const RATE_CLIENTS: usize = 16;

/// The camera's security settings.
pub struct Security {
    /// `Some`: `PUT /config` and `POST /firmware` need the admin.
    pub admin_password: Option<&'static str>,
    /// Signs the admin's login session.
    pub sessions: Sessions<'static>,
    /// Origins whose pages may use the API (and change settings).
    pub cors: Cors<'static>,
    pub rate_limit: Option<RateLimit<RATE_CLIENTS>>,
}

fn no_clock() -> u64 {
    0
}

impl Security {
    /// Nothing on: no password, no other origin, no limit. Cross-site
    /// `POST`/`PUT` from browsers are refused all the same.
    pub const OPEN: Security = Security {
        admin_password: None,
        sessions: Sessions::new(&[], no_clock),
        cors: Cors::new(&[]),
        rate_limit: None,
    };
}

/// The admin's session payload.
#[derive(Serialize, Deserialize)]
pub struct Admin {
    pub admin: bool,
}

fn admin_basic(cam: &Camera, user: &str, password: &str) -> Verdict {
    let expected = cam.security.admin_password.unwrap_or("");
    // Both compared, always: the time says nothing about which was wrong.
    let user_ok = ct_eq(user.as_bytes(), b"admin");
    let password_ok = ct_eq(password.as_bytes(), expected.as_bytes());
    if user_ok && password_ok {
        Verdict::Allow
    } else {
        Verdict::Reject
    }
}

fn admin_session(cam: &Camera, req: &Request<'_>) -> Verdict {
    match cam.security.sessions.load::<Admin>(req) {
        Some(Admin { admin: true }) => Verdict::Allow,
        _ => Verdict::Reject,
    }
}

static ADMIN: Auth<Camera> = Auth::new("ferrodot camera").basic(admin_basic).session(admin_session);

/// Around the admin routes: the admin's credentials, when a password is set.
#[derive(Clone, Copy, Default)]
pub struct AdminOnly;

impl Layer<Camera> for AdminOnly {
    fn check(&self, req: &Request<'_>, cam: &Camera) -> Result<(), Rejection> {
        match cam.security.admin_password {
            Some(_) => ADMIN.check(req, cam),
            None => Ok(()),
        }
    }

    fn head(&self, req: &Request<'_>, cam: &Camera, status: Status, head: &mut HeadExtras<'_, '_>) {
        if cam.security.admin_password.is_some() {
            ADMIN.head(req, cam, status, head);
        }
    }
}

/// Around every route: the rate limit, CSRF refusal (the CORS origins
/// excepted) and the CORS headers.
#[derive(Clone, Copy, Default)]
pub struct Guard;

impl Layer<Camera> for Guard {
    fn check(&self, req: &Request<'_>, cam: &Camera) -> Result<(), Rejection> {
        if let Some(limit) = &cam.security.rate_limit {
            limit.check(req, cam)?;
        }
        Csrf::new().allow(&cam.security.cors).verify(req)
    }

    fn head(&self, req: &Request<'_>, cam: &Camera, status: Status, head: &mut HeadExtras<'_, '_>) {
        if let Some(limit) = &cam.security.rate_limit {
            limit.head(req, cam, status, head);
        }
        cam.security.cors.add_headers(req, head);
    }
}

type LoggedIn<'a> = WithCookie<'a, Signed<'a, Admin>, Redirect<'static>>;

/// `POST /login` (`username=admin&password=PW`): `303` to `/` with the
/// admin's session cookie (`HttpOnly; SameSite=Lax`).
pub async fn login<'r>(State(cam): State<&'r Camera>, form: Form<'r>) -> Result<LoggedIn<'r>, Rejection> {
    let Some(expected) = cam.security.admin_password else {
        return Err(Rejection::new(Status::NOT_FOUND, "no admin password is set"));
    };
    let user_ok = form.get("username").is_some_and(|u| u.eq_decoded("admin"));
    let password_ok = form.get("password").is_some_and(|p| ct_eq_decoded(p, expected));
    if user_ok && password_ok {
        let cookie = cam.security.sessions.cookie(Admin { admin: true });
        Ok(WithCookie(cookie, Redirect(Status::SEE_OTHER, "/")))
    } else {
        Err(Rejection::new(Status::FORBIDDEN, "wrong user name or password"))
    }
}

/// The decoded form value equals `expected`, compared in constant time
/// (decoded byte by byte into a small buffer: no heap).
fn ct_eq_decoded(value: ferrodot::http::query::Encoded<'_>, expected: &str) -> bool {
    let mut buf = [0u8; 128];
    let mut n = 0usize;
    let mut fits = true;
    for b in value.bytes() {
        match buf.get_mut(n) {
            Some(slot) => {
                *slot = b;
                n += 1;
            }
            None => fits = false,
        }
    }
    fits && ct_eq(buf.get(..n).unwrap_or(&[]), expected.as_bytes())
}

/// `POST /logout`: the session cookie's removal, `303` to `/`.
pub async fn logout(State(cam): State<&Camera>) -> WithCookie<'_, &str, Redirect<'static>> {
    WithCookie(cam.security.sessions.removal(), Redirect(Status::SEE_OTHER, "/"))
}

/// `GET /login`: the form.
pub async fn login_page() -> Html<&'static str> {
    Html(LOGIN_PAGE)
}

const LOGIN_PAGE: &str =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ferrodot camera: log in</title></head>\n\
<body><h1>Log in</h1>\n<form method=\"post\" action=\"/login\">\n\
<input type=\"hidden\" name=\"username\" value=\"admin\">\n\
<label>Admin password <input type=\"password\" name=\"password\" autofocus></label>\n\
<button>Log in</button></form>\n\
<form method=\"post\" action=\"/logout\"><button>Log out</button></form>\n</body></html>\n";
