//! The captive-portal routes: the probe URLs each operating system fetches
//! to find out whether it is behind a portal, the RFC 8908 API, and the
//! setup form that stores the Wi-Fi credentials — one route group.
//!
//! ```
//! use ferrodot::portal::routes::{Portal, PortalRoutes};
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! async fn home() -> &'static str { "the device" }
//! ferrodot::routes! { Device<()> { GET "/" => home } }
//!
//! static PORTAL: Portal = Portal::new("http://192.168.4.1/setup");
//! // The one line: the portal's routes before the app's own.
//! static APP: App<(), (PortalRoutes, Device)> = App::new((), (PortalRoutes::new(&PORTAL), Device));
//!
//! let client = TestClient::new(&APP);
//! let probe = client.get("/generate_204");
//! assert_eq!(probe.status, Status::FOUND);
//! assert_eq!(probe.header("location"), Some("http://192.168.4.1/setup"));
//! let saved = client
//!     .request(Method::Post, "/setup")
//!     .header("Content-Type", "application/x-www-form-urlencoded")
//!     .body("ssid=Home&password=correct+horse")
//!     .send();
//! assert_eq!(saved.status, Status::OK);
//! assert!(!saved.text().contains("correct horse"));
//! assert_eq!(client.get("/generate_204").status, Status::NO_CONTENT);
//! assert_eq!(PORTAL.credentials().map(|c| c.password() == "correct horse"), Some(true));
//! ```
//!
//! # What each path answers
//!
//! | path | unprovisioned | provisioned |
//! |---|---|---|
//! | `/generate_204`, `/gen_204` (Android, Chrome) | `302` to the setup URL | `204` |
//! | `/hotspot-detect.html`, `/library/test/success.html` (Apple) | `302` | Apple's `Success` page |
//! | `/connecttest.txt` (Windows 10+) | `302` | `Microsoft Connect Test` |
//! | `/ncsi.txt` (older Windows) | `302` | `Microsoft NCSI` |
//! | `/redirect` (Windows opens it when it found a portal) | `302` | `302` to `/` |
//! | `/canonical.html`, `/success.txt` (Firefox) | `302` | the canonical page, `success\n` |
//! | `GET /captive-portal` (RFC 8908) | `{"captive": true, "user-portal-url": "…"}` | `{"captive": false}` |
//! | `GET /setup` | the form: `ssid` (with the networks the app lists), `password`; or the app's page ([`Portal::page`]) | a page naming the network |
//! | `GET /setup/networks` | `{"networks": ["…", …]}`: the networks the app lists | `{"networks": []}` |
//! | `POST /setup` (form: `ssid`, `password`) | stores them, ends the portal: `200`, a page that says saved | `403`: already set up |
//!
//! Every answer carries `Cache-Control: no-store`, so that no OS keeps an
//! old verdict. The operating systems decide "portal" when the answer is
//! not the one they expect, and then open the page they were redirected
//! to in their portal browser.
//!
//! The password never appears in a response or a log line: the pages name
//! the network only, and [`Credentials`]' `Debug` hides the password.
//! `POST /setup` is refused once provisioned, so that nobody on the
//! network the device joined can change its Wi-Fi settings; to set up
//! again, call [`Portal::reset`] (from a route behind the app's
//! authentication, e.g. [`ResetRoutes`] in a `Layered` group).
//!
//! RFC 8908 asks for an `https` user-portal URL; a device's first boot has
//! no certificate a phone trusts, so the setup URL is what the app gives.
//!
//! # Keeping the credentials
//!
//! With [`Portal::persist`], the credentials are saved through a
//! [`Persistence`] backing — the one of the resource store, whose contract
//! is all or nothing (a file renamed over the old one on the host; on a
//! device, two NOR flash sectors: `resource::FlashBacking`, feature
//! `flash-store`) — so a power cut while saving leaves the old state or
//! the new one. [`Portal::load`] reads them back at start-up.
//! Image (little-endian): `FDWC`, version `1`, three zero bytes, SSID
//! length (`u8`, 0 for "not provisioned"), password length (`u8`), the
//! SSID, the password, FNV-1a (`u32`) of everything before.

use core::cell::Cell;

use critical_section::Mutex;

use crate::app::extract::{Form, State};
use crate::app::{Dispatch, IntoResponse};
use crate::assets::{Assets, Served};
use crate::http::{Request, Status};
use crate::resource::PersistError;
use crate::resource::Persistence;
use crate::route::Route;
use crate::server::{HeadExtras, RequestBody, ResponseWriter, WriteError};

/// The longest SSID (IEEE 802.11: 32 octets).
pub const MAX_SSID: usize = 32;
/// The longest password: a 64-hex-digit PSK.
pub const MAX_PASSWORD: usize = 64;

/// Wi-Fi credentials. `Debug` shows the SSID only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Credentials {
    ssid: [u8; MAX_SSID],
    ssid_len: u8,
    password: [u8; MAX_PASSWORD],
    password_len: u8,
}

/// Why credentials were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialsError {
    /// Empty or over 32 bytes.
    Ssid,
    /// Not empty (an open network), 8 to 63 printable ASCII characters, or
    /// 64 hexadecimal digits (WPA2-PSK).
    Password,
}

impl CredentialsError {
    /// A sentence for the setup page, telling the user what to fix.
    pub const fn message(self) -> &'static str {
        match self {
            CredentialsError::Ssid => "The network name must be 1 to 32 bytes long.",
            CredentialsError::Password => {
                "The password must be empty (an open network), 8 to 63 printable characters, or 64 hexadecimal digits."
            }
        }
    }
}

impl Credentials {
    /// Checked credentials (see [`CredentialsError`]).
    pub fn new(ssid: &str, password: &str) -> Result<Credentials, CredentialsError> {
        let ssid_len = u8::try_from(ssid.len())
            .ok()
            .filter(|&n| n > 0 && usize::from(n) <= MAX_SSID)
            .ok_or(CredentialsError::Ssid)?;
        let p = password.as_bytes();
        let psk = p.len() == MAX_PASSWORD && p.iter().all(u8::is_ascii_hexdigit);
        let passphrase = (8..MAX_PASSWORD).contains(&p.len()) && p.iter().all(|b| (b' '..=b'~').contains(b));
        if !(p.is_empty() || psk || passphrase) {
            return Err(CredentialsError::Password);
        }
        let password_len = u8::try_from(p.len()).map_err(|_| CredentialsError::Password)?;
        let mut c = Credentials {
            ssid: [0; MAX_SSID],
            ssid_len,
            password: [0; MAX_PASSWORD],
            password_len,
        };
        c.ssid
            .get_mut(..ssid.len())
            .ok_or(CredentialsError::Ssid)?
            .copy_from_slice(ssid.as_bytes());
        c.password
            .get_mut(..p.len())
            .ok_or(CredentialsError::Password)?
            .copy_from_slice(p);
        Ok(c)
    }

    /// The network name (SSID).
    pub fn ssid(&self) -> &str {
        let bytes = self.ssid.get(..usize::from(self.ssid_len)).unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }

    /// For the Wi-Fi driver only: never put it in a page or a log line.
    pub fn password(&self) -> &str {
        let bytes = self.password.get(..usize::from(self.password_len)).unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credentials")
            .field("ssid", &self.ssid())
            .field("password", &"(hidden)")
            .finish()
    }
}

const MAGIC: [u8; 8] = *b"FDWC\x01\0\0\0";
/// The largest image: magic, two lengths, SSID, password, checksum.
const MAX_IMAGE: usize = 8 + 2 + MAX_SSID + MAX_PASSWORD + 4;

fn fnv1a(bytes: &[u8]) -> u32 {
    let mut sum = crate::resource::Fnv::new();
    sum.update(bytes);
    sum.0
}

/// Why [`Portal::save`] did not store the credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveError {
    /// The backing could not write them: the portal goes on.
    Persist(PersistError),
}

/// Called once credentials are saved: the app starts joining the network.
pub type OnSaved = fn(&Credentials);
/// The networks to offer on the setup page (a scan's results).
pub type Networks = fn() -> &'static [&'static str];

/// The portal's state: provisioned or not, the credentials, where they are
/// kept. `const`-constructible, so it can be a `static`.
pub struct Portal {
    setup_url: &'static str,
    networks: Option<Networks>,
    page: Option<(&'static Assets, &'static str)>,
    store: Option<&'static (dyn Persistence + Sync)>,
    on_saved: Option<OnSaved>,
    credentials: Mutex<Cell<Option<Credentials>>>,
}

impl Portal {
    /// A portal whose probes redirect to `setup_url` (the device's own
    /// address, e.g. `http://192.168.4.1/setup`). Without a backing, the
    /// credentials live in RAM only.
    pub const fn new(setup_url: &'static str) -> Self {
        Portal {
            setup_url,
            networks: None,
            page: None,
            store: None,
            on_saved: None,
            credentials: Mutex::new(Cell::new(None)),
        }
    }

    /// Keep the credentials in `store` (call [`Portal::load`] at start-up).
    pub const fn persist(mut self, store: &'static (dyn Persistence + Sync)) -> Self {
        self.store = Some(store);
        self
    }

    /// The networks the setup page offers.
    pub const fn networks(mut self, networks: Networks) -> Self {
        self.networks = Some(networks);
        self
    }

    /// Answer `GET /setup`, while not provisioned, with the file `name` of
    /// `assets` (the build-time asset table: gzip, ETag, `304`) instead of
    /// the built-in form. The page posts `ssid` and `password` to `/setup`
    /// as the built-in form does, and may fetch the networks from
    /// `GET /setup/networks`. A name the table lacks keeps the built-in
    /// form, so the device can always be set up; once provisioned,
    /// `GET /setup` is the built-in page naming the network.
    pub const fn page(mut self, assets: &'static Assets, name: &'static str) -> Self {
        self.page = Some((assets, name));
        self
    }

    /// Told when credentials are saved.
    pub const fn on_saved(mut self, hook: OnSaved) -> Self {
        self.on_saved = Some(hook);
        self
    }

    /// Where the probe routes redirect: the device's own setup page.
    pub const fn setup_url(&self) -> &'static str {
        self.setup_url
    }

    /// Set up: the portal has ended.
    pub fn provisioned(&self) -> bool {
        self.credentials().is_some()
    }

    /// The saved credentials; `None` while the portal runs.
    pub fn credentials(&self) -> Option<Credentials> {
        critical_section::with(|cs| self.credentials.borrow(cs).get())
    }

    fn set(&self, credentials: Option<Credentials>) {
        critical_section::with(|cs| self.credentials.borrow(cs).set(credentials));
    }

    /// Read the saved credentials from the backing: `Ok(true)` if there
    /// were some. Nothing saved, or no backing, is `Ok(false)`; a damaged
    /// image is [`PersistError::Corrupt`] (the portal stays unprovisioned).
    pub fn load(&self) -> Result<bool, PersistError> {
        let Some(store) = self.store else {
            return Ok(false);
        };
        let mut image = [0u8; MAX_IMAGE];
        let mut len = 0usize;
        while let Some(rest) = image.get_mut(len..) {
            if rest.is_empty() {
                // A longer image is not ours.
                let mut probe = [0u8; 1];
                if store.read_at(len as u64, &mut probe)? > 0 {
                    return Err(PersistError::Corrupt);
                }
                break;
            }
            let n = store.read_at(len as u64, rest)?;
            if n == 0 {
                break;
            }
            len = len.saturating_add(n).min(MAX_IMAGE);
        }
        if len == 0 {
            return Ok(false);
        }
        let image = image.get(..len).ok_or(PersistError::Corrupt)?;
        let credentials = decode(image)?;
        self.set(credentials);
        Ok(credentials.is_some())
    }

    /// Store `credentials` (through the backing first, if any) and end the
    /// portal. If the backing fails, nothing changes.
    pub fn save(&self, credentials: Credentials) -> Result<(), SaveError> {
        self.write(Some(&credentials)).map_err(SaveError::Persist)?;
        self.set(Some(credentials));
        if let Some(hook) = self.on_saved {
            hook(&credentials);
        }
        Ok(())
    }

    /// Forget the credentials (in the backing too): the portal starts again.
    pub fn reset(&self) -> Result<(), PersistError> {
        self.write(None)?;
        self.set(None);
        Ok(())
    }

    fn write(&self, credentials: Option<&Credentials>) -> Result<(), PersistError> {
        let Some(store) = self.store else {
            return Ok(());
        };
        let mut image = [0u8; MAX_IMAGE];
        let len = encode(credentials, &mut image).ok_or(PersistError::DoesNotFit)?;
        let image = image.get(..len).ok_or(PersistError::DoesNotFit)?;
        store.save(&mut |sink| sink(image))
    }
}

/// The image of `credentials` (`None`: "not provisioned") in `out`; its length.
fn encode(credentials: Option<&Credentials>, out: &mut [u8; MAX_IMAGE]) -> Option<usize> {
    let (ssid, password) = credentials.map_or((&[][..], &[][..]), |c| (c.ssid().as_bytes(), c.password().as_bytes()));
    let mut w = super::dns::Writer::new(out);
    w.put(&MAGIC)?;
    w.put(&[u8::try_from(ssid.len()).ok()?, u8::try_from(password.len()).ok()?])?;
    w.put(ssid)?;
    w.put(password)?;
    let len = w.len();
    let body = w.finish();
    let sum = fnv1a(body).to_le_bytes();
    let end = len.checked_add(4)?;
    out.get_mut(len..end)?.copy_from_slice(&sum);
    Some(end)
}

fn decode(image: &[u8]) -> Result<Option<Credentials>, PersistError> {
    let body_len = image.len().checked_sub(4).ok_or(PersistError::Corrupt)?;
    let (body, sum) = image.split_at(body_len);
    if sum != fnv1a(body).to_le_bytes() {
        return Err(PersistError::Corrupt);
    }
    let rest = body.strip_prefix(&MAGIC[..]).ok_or(PersistError::Corrupt)?;
    let [ssid_len, password_len, rest @ ..] = rest else {
        return Err(PersistError::Corrupt);
    };
    if *ssid_len == 0 {
        return if *password_len == 0 && rest.is_empty() {
            Ok(None)
        } else {
            Err(PersistError::Corrupt)
        };
    }
    if rest.len() != usize::from(*ssid_len).saturating_add(usize::from(*password_len)) {
        return Err(PersistError::Corrupt);
    }
    let (ssid, password) = rest.split_at(usize::from(*ssid_len));
    let ssid = core::str::from_utf8(ssid).map_err(|_| PersistError::Corrupt)?;
    let password = core::str::from_utf8(password).map_err(|_| PersistError::Corrupt)?;
    Credentials::new(ssid, password)
        .map(Some)
        .map_err(|_| PersistError::Corrupt)
}

/// What a portal route answers.
pub enum Answer {
    /// `302` to this URL.
    Redirect(&'static str),
    /// `204 No Content`, no body.
    NoContent,
    /// `200` with a media type and a body.
    Body(&'static str, &'static str),
    /// The RFC 8908 state.
    Captive(Option<&'static str>),
    /// The setup form, or the "set up" page.
    Setup(Option<Credentials>, Option<Networks>),
    /// Saved: a page naming the network.
    Saved(Credentials),
    /// An HTML page with a message.
    Refused(Status, &'static str),
    /// `{"networks": [...]}`: the networks to offer.
    Networks(&'static [&'static str]),
}

const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const HEAD: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
    content=\"width=device-width,initial-scale=1\"><title>Device setup</title></head><body>";
const TAIL: &str = "</body></html>";

/// `s` with `&`, `<`, `>`, `"` and `'` escaped for HTML text and attributes.
async fn write_escaped(out: &mut ResponseWriter<'_>, s: &str) -> Result<(), WriteError> {
    let mut rest = s;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        let (plain, tail) = rest.split_at(at);
        out.write(plain.as_bytes()).await?;
        let mut chars = tail.chars();
        let entity = match chars.next() {
            Some('&') => "&amp;",
            Some('<') => "&lt;",
            Some('>') => "&gt;",
            Some('"') => "&quot;",
            _ => "&#39;",
        };
        out.write(entity.as_bytes()).await?;
        rest = chars.as_str();
    }
    out.write(rest.as_bytes()).await
}

/// `s` as the inside of a JSON string.
async fn write_json_str(out: &mut ResponseWriter<'_>, s: &str) -> Result<(), WriteError> {
    let mut rest = s;
    while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || c.is_control()) {
        let (plain, tail) = rest.split_at(at);
        out.write(plain.as_bytes()).await?;
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            let code = u32::from(c);
            let hex = b"0123456789abcdef";
            let digit = |shift: u32| hex.get(usize::try_from((code >> shift) & 0xF).unwrap_or(0)).copied();
            match (c, digit(12), digit(8), digit(4), digit(0)) {
                ('"', ..) => out.write(b"\\\"").await?,
                ('\\', ..) => out.write(b"\\\\").await?,
                (_, Some(a), Some(b), Some(c), Some(d)) => out.write(&[b'\\', b'u', a, b, c, d]).await?,
                _ => {}
            }
        }
        rest = chars.as_str();
    }
    out.write(rest.as_bytes()).await
}

impl IntoResponse for Answer {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        let status = match &self {
            Answer::Redirect(_) => Status::FOUND,
            Answer::NoContent => Status::NO_CONTENT,
            Answer::Refused(status, _) => *status,
            _ => Status::OK,
        };
        out.start(status);
        out.header("Cache-Control", "no-store");
        match self {
            Answer::Redirect(url) => {
                out.header("Location", url);
                out.content_type(HTML);
                out.write(b"<!doctype html><a href=\"").await?;
                write_escaped(out, url).await?;
                out.write(b"\">Set up the device</a>").await?;
            }
            Answer::NoContent => {}
            Answer::Body(content_type, body) => {
                out.content_type(content_type);
                out.write(body.as_bytes()).await?;
            }
            Answer::Captive(None) => {
                out.content_type("application/captive+json");
                out.write(b"{\"captive\": false}").await?;
            }
            Answer::Captive(Some(url)) => {
                out.content_type("application/captive+json");
                out.write(b"{\"captive\": true, \"user-portal-url\": \"").await?;
                write_json_str(out, url).await?;
                out.write(b"\"}").await?;
            }
            Answer::Setup(Some(credentials), _) => {
                out.content_type(HTML);
                out.write(HEAD.as_bytes()).await?;
                out.write(b"<h1>Set up</h1><p>This device joins the network <b id=\"ssid\">")
                    .await?;
                write_escaped(out, credentials.ssid()).await?;
                out.write(b"</b>.</p>").await?;
                out.write(TAIL.as_bytes()).await?;
            }
            Answer::Setup(None, networks) => {
                out.content_type(HTML);
                out.write(HEAD.as_bytes()).await?;
                out.write(
                    b"<h1>Connect the device to Wi-Fi</h1><form method=\"post\" action=\"/setup\">\
                    <p><label>Network <input name=\"ssid\" id=\"ssid\" list=\"networks\" required maxlength=\"32\" \
                    autocomplete=\"off\"></label></p><datalist id=\"networks\">",
                )
                .await?;
                for name in networks.map_or(&[][..], |list| list()) {
                    out.write(b"<option value=\"").await?;
                    write_escaped(out, name).await?;
                    out.write(b"\">").await?;
                }
                out.write(
                    b"</datalist><p><label>Password <input name=\"password\" id=\"password\" type=\"password\" \
                    maxlength=\"64\" autocomplete=\"off\"></label></p><p><button type=\"submit\" id=\"save\">Save\
                    </button></p></form>",
                )
                .await?;
                out.write(TAIL.as_bytes()).await?;
            }
            Answer::Saved(credentials) => {
                out.content_type(HTML);
                out.write(HEAD.as_bytes()).await?;
                out.write(b"<h1 id=\"saved\">Saved</h1><p>The device now joins the network <b id=\"ssid\">")
                    .await?;
                write_escaped(out, credentials.ssid()).await?;
                out.write(b"</b>.</p>").await?;
                out.write(TAIL.as_bytes()).await?;
            }
            Answer::Networks(names) => {
                out.content_type("application/json");
                out.write(b"{\"networks\": [").await?;
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        out.write(b", ").await?;
                    }
                    out.write(b"\"").await?;
                    write_json_str(out, name).await?;
                    out.write(b"\"").await?;
                }
                out.write(b"]}").await?;
            }
            Answer::Refused(_, message) => {
                out.content_type(HTML);
                out.write(HEAD.as_bytes()).await?;
                out.write(b"<p id=\"error\">").await?;
                write_escaped(out, message).await?;
                out.write(b"</p>").await?;
                out.write(TAIL.as_bytes()).await?;
            }
        }
        out.finish().await
    }
}

/// Apple's answer when there is no portal.
pub const APPLE_SUCCESS: &str = "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>";
/// Firefox's `canonical.html`.
pub const FIREFOX_CANONICAL: &str =
    "<meta http-equiv=\"refresh\" content=\"0;url=https://support.mozilla.org/kb/captive-portal\"/>";

/// The probe's success answer once provisioned, `302` to the setup page before.
fn probe(portal: &Portal, success: Answer) -> Answer {
    if portal.provisioned() {
        success
    } else {
        Answer::Redirect(portal.setup_url)
    }
}

async fn generate_204(State(p): State<&Portal>) -> Answer {
    probe(p, Answer::NoContent)
}
async fn apple(State(p): State<&Portal>) -> Answer {
    probe(p, Answer::Body(HTML, APPLE_SUCCESS))
}
async fn connecttest(State(p): State<&Portal>) -> Answer {
    probe(p, Answer::Body(TEXT, "Microsoft Connect Test"))
}
async fn ncsi(State(p): State<&Portal>) -> Answer {
    probe(p, Answer::Body(TEXT, "Microsoft NCSI"))
}
async fn windows_redirect(State(p): State<&Portal>) -> Answer {
    probe(p, Answer::Redirect("/"))
}
async fn firefox_canonical(State(p): State<&Portal>) -> Answer {
    probe(p, Answer::Body(HTML, FIREFOX_CANONICAL))
}
async fn firefox_success(State(p): State<&Portal>) -> Answer {
    probe(p, Answer::Body(TEXT, "success\n"))
}
async fn captive_api(State(p): State<&Portal>) -> Answer {
    Answer::Captive((!p.provisioned()).then_some(p.setup_url))
}
/// `GET /setup`: the app's page ([`Portal::page`]) or the built-in one.
enum SetupPage<'r> {
    Asset(Served<'r>),
    Inline(Answer),
}

impl IntoResponse for SetupPage<'_> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        match self {
            SetupPage::Asset(served) => served.into_response(out).await,
            SetupPage::Inline(answer) => answer.into_response(out).await,
        }
    }
}

async fn setup_page<'r>(State(p): State<&'r Portal>, req: &'r Request<'r>) -> SetupPage<'r> {
    let credentials = p.credentials();
    let asset = p
        .page
        .filter(|_| credentials.is_none())
        .and_then(|(assets, name)| assets.get(name));
    match asset {
        Some(asset) => SetupPage::Asset(Served::new(Some(asset), req)),
        None => SetupPage::Inline(Answer::Setup(credentials, p.networks)),
    }
}

/// `GET /setup/networks`: what the page offers; nothing once set up (the
/// device's neighbourhood is nobody's business then).
async fn setup_networks(State(p): State<&Portal>) -> Answer {
    let names = match p.networks {
        Some(list) if !p.provisioned() => list(),
        _ => &[],
    };
    Answer::Networks(names)
}

async fn setup_save(State(p): State<&Portal>, form: Form<'_>) -> Answer {
    if p.provisioned() {
        return Answer::Refused(Status::FORBIDDEN, "This device is already set up.");
    }
    let mut ssid = [0u8; MAX_SSID];
    let mut password = [0u8; MAX_PASSWORD];
    let ssid = form.get("ssid").and_then(|v| v.decode_into(&mut ssid));
    let password = match form.get("password") {
        Some(v) => v.decode_into(&mut password),
        None => Some(""),
    };
    let credentials = match (ssid, password) {
        (None, _) => Err(CredentialsError::Ssid),
        (_, None) => Err(CredentialsError::Password),
        (Some(ssid), Some(password)) => Credentials::new(ssid, password),
    };
    let credentials = match credentials {
        Ok(c) => c,
        Err(e) => return Answer::Refused(Status::BAD_REQUEST, e.message()),
    };
    match p.save(credentials) {
        Ok(()) => Answer::Saved(credentials),
        Err(SaveError::Persist(_)) => Answer::Refused(
            Status::INTERNAL_SERVER_ERROR,
            "The settings could not be saved; please try again.",
        ),
    }
}

/// Any other page: the setup page while the device is not set up (so a
/// browser that opens any address lands there), `404` afterwards.
async fn catch_all(State(p): State<&Portal>) -> Answer {
    probe(p, Answer::Refused(Status::NOT_FOUND, "no such resource"))
}

async fn setup_reset(State(p): State<&Portal>) -> Answer {
    match p.reset() {
        Ok(()) => Answer::Redirect(p.setup_url),
        Err(_) => Answer::Refused(Status::INTERNAL_SERVER_ERROR, "The settings could not be reset."),
    }
}

// The macro's arm counter is bounded by the table's length.
#[allow(clippy::arithmetic_side_effects)]
mod table {
    use super::*;

    crate::routes! {
        pub(super) Inner<Portal> {
            GET "/generate_204" => generate_204,
            GET "/gen_204" => generate_204,
            GET "/hotspot-detect.html" => apple,
            GET "/library/test/success.html" => apple,
            GET "/connecttest.txt" => connecttest,
            GET "/ncsi.txt" => ncsi,
            GET "/redirect" => windows_redirect,
            GET "/canonical.html" => firefox_canonical,
            GET "/success.txt" => firefox_success,
            GET "/captive-portal" => captive_api,
            GET "/setup" => setup_page,
            GET "/setup/networks" => setup_networks,
            POST "/setup" .max_body(512) => setup_save,
        }
    }

    crate::routes! {
        pub(super) InnerReset<Portal> {
            POST "/setup/reset" => setup_reset,
        }
    }

    crate::routes! {
        pub(super) InnerCatchAll<Portal> {
            GET "/:path*" => catch_all,
        }
    }
}
use table::{Inner, InnerCatchAll, InnerReset};

/// What the portal's routes do, for the app's OpenAPI document
/// ([`crate::openapi`]): put them beside the app's own notes.
#[cfg(feature = "openapi")]
pub const NOTES: &[crate::openapi::Note<'static>] = {
    use crate::http::Method::{Get, Post};
    use crate::openapi::{Note, Reply};
    const PROBE: &[Reply<'static>] = &[
        Reply::new(302, "Not set up yet: to the setup page"),
        Reply::new(200, "Set up: the answer the operating system expects"),
    ];
    const TAGS: &[&str] = &["first boot"];
    const fn probe(pattern: &'static str, who: &'static str) -> Note<'static> {
        Note::new(Get, pattern, who).responses(PROBE).tags(TAGS)
    }
    &[
        Note::new(Get, "/generate_204", "Android's portal probe")
            .responses(&[
                Reply::new(302, "Not set up yet: to the setup page"),
                Reply::new(204, "Set up: no portal"),
            ])
            .tags(TAGS),
        Note::new(Get, "/gen_204", "Android's older portal probe")
            .responses(&[
                Reply::new(302, "Not set up yet: to the setup page"),
                Reply::new(204, "Set up: no portal"),
            ])
            .tags(TAGS),
        probe("/hotspot-detect.html", "Apple's portal probe"),
        probe("/library/test/success.html", "Apple's older portal probe"),
        probe("/connecttest.txt", "Windows' portal probe"),
        probe("/ncsi.txt", "Windows' older portal probe"),
        probe("/redirect", "Windows' portal page"),
        probe("/canonical.html", "Firefox's portal probe"),
        probe("/success.txt", "Firefox's IPv4 portal probe"),
        Note::new(Get, "/captive-portal", "The captive-portal API (RFC 8908)")
            .responses(&[Reply::json(
                200,
                "Whether the portal is active, and where its page is",
                r#"{"type":"object","required":["captive"],"properties":{"captive":{"type":"boolean"},"user-portal-url":{"type":"string","format":"uri"}}}"#,
            )
            .media_type("application/captive+json")])
            .tags(TAGS),
        Note::new(Get, "/setup", "The setup form: networks to choose from, SSID and password")
            .responses(&[Reply::media(200, "The form", "text/html")])
            .tags(TAGS),
        Note::new(Get, "/setup/networks", "The networks the setup page offers (none once set up)")
            .responses(&[Reply::json(
                200,
                "The network names",
                r#"{"type":"object","required":["networks"],"properties":{"networks":{"type":"array","items":{"type":"string"}}}}"#,
            )])
            .tags(TAGS),
        Note::new(Post, "/setup", "Store the Wi-Fi credentials and end the portal")
            .body(crate::openapi::Body {
                media: "application/x-www-form-urlencoded",
                schema: Some(
                    r#"{"type":"object","required":["ssid"],"properties":{"ssid":{"type":"string","maxLength":32},"password":{"type":"string","maxLength":63}}}"#,
                ),
                required: true,
            })
            .responses(&[
                Reply::media(200, "Saved (the password is never sent back)", "text/html"),
                Reply::new(400, "No SSID, or a field too long"),
                Reply::new(403, "Already set up"),
            ])
            .tags(TAGS),
        Note::new(Post, "/setup/reset", "Forget the credentials and open the portal again")
            .responses(&[Reply::new(302, "Forgotten: to the setup page")])
            .tags(TAGS),
    ]
};

/// The portal's route group, for any app state: put it in the app's
/// route tuple (before a catch-all route of the app, if it has one).
#[derive(Clone, Copy)]
pub struct PortalRoutes<'p> {
    portal: Option<&'p Portal>,
}

impl<'p> PortalRoutes<'p> {
    /// The probe, RFC 8908 and setup routes of `portal` (see the [module
    /// docs](self)).
    pub const fn new(portal: &'p Portal) -> Self {
        PortalRoutes { portal: Some(portal) }
    }

    /// No routes at all: an app type that has a portal only sometimes.
    pub const fn off() -> Self {
        PortalRoutes { portal: None }
    }
}

/// `POST /setup/reset`: forgets the credentials and answers `302` to the
/// setup page. Put it behind the app's authentication
/// (`Layered::new(AdminOnly, ResetRoutes::new(&PORTAL))`).
#[derive(Clone, Copy)]
pub struct ResetRoutes<'p> {
    portal: Option<&'p Portal>,
}

impl<'p> ResetRoutes<'p> {
    /// The reset route for `portal`.
    pub const fn new(portal: &'p Portal) -> Self {
        ResetRoutes { portal: Some(portal) }
    }

    /// No route at all: an app type that has a portal only sometimes.
    pub const fn off() -> Self {
        ResetRoutes { portal: None }
    }
}

/// `GET` on every other path: `302` to the setup page while the device is
/// not set up (picoserve #38's catch-all), `404` once it is. It matches
/// every path, so it goes last in the app's route tuple
/// (`(PortalRoutes::new(&P), (AppRoutes, CatchAll::new(&P)))`); another
/// method on an unknown path is then `405` rather than `404`.
#[derive(Clone, Copy)]
pub struct CatchAll<'p> {
    portal: Option<&'p Portal>,
}

impl<'p> CatchAll<'p> {
    /// The catch-all route for `portal`.
    pub const fn new(portal: &'p Portal) -> Self {
        CatchAll { portal: Some(portal) }
    }

    /// No route at all: an app type that has a portal only sometimes.
    pub const fn off() -> Self {
        CatchAll { portal: None }
    }
}

macro_rules! delegate {
    ($group:ident, $inner:ident) => {
        impl<S> Dispatch<S> for $group<'_> {
            fn route_count(&self) -> usize {
                if self.portal.is_some() {
                    $inner.route_count()
                } else {
                    0
                }
            }

            fn route(&self, index: usize) -> Option<&Route<'_>> {
                self.portal
                    .and(<$inner as Dispatch<Portal>>::route(&$inner, index))
            }

            async fn call(
                &self,
                index: usize,
                req: &Request<'_>,
                _state: &S,
                body: &RequestBody<'_>,
                out: &mut ResponseWriter<'_>,
            ) -> Result<(), WriteError> {
                match self.portal {
                    Some(portal) => $inner.call(index, req, portal, body, out).await,
                    None => Ok(()),
                }
            }

            fn head(&self, _: usize, _: &Request<'_>, _: &S, _: Status, _: &mut HeadExtras<'_, '_>) {}
        }
    };
}

delegate!(PortalRoutes, Inner);
delegate!(ResetRoutes, InnerReset);
delegate!(CatchAll, InnerCatchAll);

// The tests drive the routes through `testing::TestClient` (std).
#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::http::Method;
    use crate::testing::TestClient;
    use std::boxed::Box;
    use std::string::String;
    use std::vec::Vec;

    /// A backing in memory that can be told to fail.
    #[derive(Default)]
    struct Memory {
        image: std::sync::Mutex<Vec<u8>>,
        fail: std::sync::atomic::AtomicBool,
    }

    impl Persistence for Memory {
        fn save(&self, write_image: &mut crate::resource::ImageWriter<'_>) -> Result<(), PersistError> {
            let mut new = Vec::new();
            write_image(&mut |b: &[u8]| {
                new.extend_from_slice(b);
                Ok(())
            })?;
            if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(PersistError::Io);
            }
            *self.image.lock().unwrap() = new;
            Ok(())
        }

        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, PersistError> {
            let image = self.image.lock().unwrap();
            let rest = image.get(offset as usize..).unwrap_or(&[]);
            let n = rest.len().min(buf.len()).min(7); // small pieces on purpose
            buf[..n].copy_from_slice(&rest[..n]);
            Ok(n)
        }
    }

    fn leak<T>(t: T) -> &'static T {
        Box::leak(Box::new(t))
    }

    fn nets() -> &'static [&'static str] {
        &["Home", "Caf\u{e9} <5G>"]
    }

    type TestApp = App<(), (PortalRoutes<'static>, ResetRoutes<'static>)>;

    fn app(portal: &'static Portal) -> &'static TestApp {
        leak(App::new((), (PortalRoutes::new(portal), ResetRoutes::new(portal))))
    }

    fn post_form<'a>(
        client: &'a TestClient<'a, (), (PortalRoutes<'static>, ResetRoutes<'static>)>,
        body: &str,
    ) -> crate::testing::TestResponse {
        client
            .request(Method::Post, "/setup")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    }

    const PROBES: [&str; 9] = [
        "/generate_204",
        "/gen_204",
        "/hotspot-detect.html",
        "/library/test/success.html",
        "/connecttest.txt",
        "/ncsi.txt",
        "/redirect",
        "/canonical.html",
        "/success.txt",
    ];

    #[test]
    fn probes_redirect_until_provisioned_then_succeed() {
        let portal = leak(Portal::new("http://10.0.0.1/setup").networks(nets));
        let client = TestClient::new(app(portal));
        for path in PROBES {
            let r = client.get(path);
            assert_eq!(r.status, Status::FOUND, "{path}");
            assert_eq!(r.header("location"), Some("http://10.0.0.1/setup"), "{path}");
            assert_eq!(r.header("cache-control"), Some("no-store"));
        }
        let api = client.get("/captive-portal");
        assert_eq!(api.header("content-type"), Some("application/captive+json"));
        assert_eq!(
            api.text(),
            r#"{"captive": true, "user-portal-url": "http://10.0.0.1/setup"}"#
        );
        let form = client.get("/setup");
        assert_eq!(form.status, Status::OK);
        let html = form.text();
        assert!(html.contains("name=\"ssid\"") && html.contains("name=\"password\""));
        assert!(html.contains("<option value=\"Caf\u{e9} &lt;5G&gt;\">"), "{html}");

        let saved = post_form(&client, "ssid=Caf%C3%A9+%3C5G%3E&password=p%40ss+w0rd%21");
        assert_eq!(saved.status, Status::OK);
        assert!(saved.text().contains("Caf\u{e9} &lt;5G&gt;"));
        assert!(!saved.text().contains("p@ss"));
        let c = portal.credentials().unwrap();
        assert_eq!((c.ssid(), c.password()), ("Caf\u{e9} <5G>", "p@ss w0rd!"));
        assert!(!std::format!("{c:?}").contains("p@ss"));

        let expected: [(&str, Status, &str); 9] = [
            ("/generate_204", Status::NO_CONTENT, ""),
            ("/gen_204", Status::NO_CONTENT, ""),
            ("/hotspot-detect.html", Status::OK, APPLE_SUCCESS),
            ("/library/test/success.html", Status::OK, APPLE_SUCCESS),
            ("/connecttest.txt", Status::OK, "Microsoft Connect Test"),
            ("/ncsi.txt", Status::OK, "Microsoft NCSI"),
            ("/redirect", Status::FOUND, ""),
            ("/canonical.html", Status::OK, FIREFOX_CANONICAL),
            ("/success.txt", Status::OK, "success\n"),
        ];
        for (path, status, body) in expected {
            let r = client.get(path);
            assert_eq!(r.status, status, "{path}");
            if status == Status::OK {
                assert_eq!(r.text(), body, "{path}");
            }
        }
        assert_eq!(client.get("/redirect").header("location"), Some("/"));
        assert_eq!(client.get("/captive-portal").text(), r#"{"captive": false}"#);
        let page = client.get("/setup").text();
        assert!(page.contains("Caf\u{e9} &lt;5G&gt;") && !page.contains("<form") && !page.contains("p@ss"));
        // Once set up, nobody can change it without a reset.
        assert_eq!(
            post_form(&client, "ssid=Evil&password=12345678").status,
            Status::FORBIDDEN
        );
        assert_eq!(portal.credentials().unwrap().ssid(), "Caf\u{e9} <5G>");
        let reset = client.request(Method::Post, "/setup/reset").send();
        assert_eq!(reset.status, Status::FOUND);
        assert_eq!(client.get("/generate_204").status, Status::FOUND);
    }

    async fn home() -> &'static str {
        "the device"
    }
    crate::routes! { Home<()> { GET "/" => home } }

    #[test]
    fn the_catch_all_leads_every_other_page_to_setup_until_provisioned() {
        let portal = leak(Portal::new("http://10.0.0.1/setup"));
        let app = leak(App::new((), (PortalRoutes::new(portal), (Home, CatchAll::new(portal)))));
        let client = TestClient::new(app);
        for path in ["/index.html", "/some/deep/page?x=1", "/favicon.ico"] {
            let r = client.get(path);
            assert_eq!(
                (r.status, r.header("location")),
                (Status::FOUND, Some("http://10.0.0.1/setup")),
                "{path}"
            );
        }
        assert_eq!(client.get("/").text(), "the device"); // the app's own routes come first
        let saved = client
            .request(Method::Post, "/setup")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("ssid=Lab&password=12345678")
            .send();
        assert_eq!(saved.status, Status::OK);
        assert_eq!(client.get("/index.html").status, Status::NOT_FOUND);
        assert_eq!(client.get("/setup").status, Status::OK);
        // Off, it has no route at all.
        let off = leak(App::new((), (Home, CatchAll::off())));
        assert_eq!(TestClient::new(off).get("/index.html").status, Status::NOT_FOUND);
    }

    #[test]
    fn bad_forms_are_refused_and_never_echo_the_password() {
        let portal = leak(Portal::new("http://10.0.0.1/setup"));
        let client = TestClient::new(app(portal));
        for body in [
            "password=longenough",                                         // no SSID
            "ssid=&password=longenough",                                   // empty SSID
            "ssid=0123456789012345678901234567890123&password=longenough", // 34 bytes
            "ssid=Home&password=short77",                                  // 7 characters
            "ssid=Home&password=tab%09inside",                             // a control character
            &std::format!("ssid=Home&password={}", "z".repeat(64)),        // 64, not hex
            "ssid=Home&password=%FF%FEnotutf8",
        ] {
            let r = post_form(&client, body);
            assert_eq!(r.status, Status::BAD_REQUEST, "{body}");
            assert!(
                !r.text().contains("longenough") && !r.text().contains("short77"),
                "{body}"
            );
            assert!(!portal.provisioned());
        }
        // Not a form: 415. Too big: 413.
        let r = client.request(Method::Post, "/setup").body("ssid=a&password=").send();
        assert_eq!(r.status, Status::UNSUPPORTED_MEDIA_TYPE);
        let big = std::format!("ssid=a&password=&pad={}", "x".repeat(600));
        assert_eq!(post_form(&client, &big).status, Status::PAYLOAD_TOO_LARGE);
        // An open network and a 64-hex PSK are fine.
        assert_eq!(post_form(&client, "ssid=Open").status, Status::OK);
        portal.reset().unwrap();
        let psk = "a1".repeat(32);
        assert_eq!(
            post_form(&client, &std::format!("ssid=W&password={psk}")).status,
            Status::OK
        );
        assert_eq!(portal.credentials().unwrap().password(), psk);
    }

    #[test]
    fn credentials_survive_a_restart_through_the_backing() {
        let memory: &'static Memory = leak(Memory::default());
        let first = leak(Portal::new("http://x/setup").persist(memory));
        assert_eq!(first.load(), Ok(false));
        first.save(Credentials::new("Home", "hunter2hunter2").unwrap()).unwrap();
        // "Restart": a new portal on the same backing.
        let second = leak(Portal::new("http://x/setup").persist(memory));
        assert_eq!(second.load(), Ok(true));
        let c = second.credentials().unwrap();
        assert_eq!((c.ssid(), c.password()), ("Home", "hunter2hunter2"));
        // A failing backing changes nothing.
        second.reset().unwrap();
        memory.fail.store(true, std::sync::atomic::Ordering::SeqCst);
        let client = TestClient::new(app(second));
        let r = post_form(&client, "ssid=Other&password=12345678");
        assert_eq!(r.status, Status::INTERNAL_SERVER_ERROR);
        assert!(!second.provisioned());
        memory.fail.store(false, std::sync::atomic::Ordering::SeqCst);
        let third = leak(Portal::new("http://x/setup").persist(memory));
        assert_eq!(third.load(), Ok(false), "the reset was saved");
    }

    #[test]
    fn damaged_images_are_refused() {
        let mut image = [0u8; MAX_IMAGE];
        let c = Credentials::new("Home", "12345678").unwrap();
        let n = encode(Some(&c), &mut image).unwrap();
        assert_eq!(decode(&image[..n]), Ok(Some(c)));
        for i in 0..n {
            let mut bad = image;
            bad[i] ^= 0x20;
            assert_eq!(decode(&bad[..n]), Err(PersistError::Corrupt), "byte {i}");
        }
        for cut in 0..n {
            assert_eq!(decode(&image[..cut]), Err(PersistError::Corrupt), "{cut} bytes");
        }
        let n = encode(None, &mut image).unwrap();
        assert_eq!(decode(&image[..n]), Ok(None));
        // Longer than any image: refused by load.
        let memory: &'static Memory = leak(Memory::default());
        *memory.image.lock().unwrap() = std::vec![0u8; MAX_IMAGE + 1];
        assert_eq!(
            leak(Portal::new("u").persist(memory)).load(),
            Err(PersistError::Corrupt)
        );
    }

    static PAGE: Assets = Assets::new(&[crate::assets::Asset {
        path: "setup.html",
        mime: "text/html; charset=utf-8",
        fingerprinted: false,
        identity: Some(crate::assets::Variant {
            bytes: b"<form method=post action=/setup>the app's page</form>",
            etag: "\"id\"",
        }),
        gzip: Some(crate::assets::Variant {
            bytes: b"(gzip bytes)",
            etag: "\"gz\"",
        }),
        modified: None,
    }]);

    #[test]
    fn the_setup_page_can_come_from_the_asset_table() {
        let portal = leak(
            Portal::new("http://10.0.0.1/setup")
                .networks(nets)
                .page(&PAGE, "setup.html"),
        );
        let client = TestClient::new(app(portal));
        let page = client.get("/setup");
        assert_eq!(page.status, Status::OK);
        assert_eq!(page.text(), "<form method=post action=/setup>the app's page</form>");
        assert_eq!(page.header("etag"), Some("\"id\""));
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        let gz = client
            .request(Method::Get, "/setup")
            .header("Accept-Encoding", "gzip")
            .send();
        assert_eq!(
            (gz.header("content-encoding"), gz.text().as_str()),
            (Some("gzip"), "(gzip bytes)")
        );
        let again = client
            .request(Method::Get, "/setup")
            .header("If-None-Match", "\"id\"")
            .send();
        assert_eq!(again.status, Status::NOT_MODIFIED);
        let nets = client.get("/setup/networks");
        assert_eq!(nets.header("content-type"), Some("application/json"));
        assert_eq!(nets.header("cache-control"), Some("no-store"));
        assert_eq!(nets.text(), "{\"networks\": [\"Home\", \"Caf\u{e9} <5G>\"]}");
        // The form posts as before; then the built-in page names the network.
        assert_eq!(post_form(&client, "ssid=Home&password=12345678").status, Status::OK);
        let page = client.get("/setup");
        assert!(page.text().contains("<b id=\"ssid\">Home</b>") && !page.text().contains("the app's page"));
        assert_eq!(page.header("etag"), None);
        // Even a revalidation gets the new page, not a 304 for the form.
        let again = client
            .request(Method::Get, "/setup")
            .header("If-None-Match", "\"id\"")
            .send();
        assert_eq!(again.status, Status::OK);
        assert_eq!(client.get("/setup/networks").text(), "{\"networks\": []}");
    }

    #[test]
    fn without_a_page_or_networks_the_built_in_form_is_served() {
        // A name the table lacks: the built-in form, so setup still works.
        let portal = leak(Portal::new("http://10.0.0.1/setup").page(&PAGE, "nope.html"));
        let client = TestClient::new(app(portal));
        let form = client.get("/setup");
        assert!(form.text().contains("<form method=\"post\" action=\"/setup\">"));
        assert_eq!(form.header("cache-control"), Some("no-store"));
        assert_eq!(client.get("/setup/networks").text(), "{\"networks\": []}");
        fn odd() -> &'static [&'static str] {
            &["quote\"back\\slash\u{7}"]
        }
        let portal = leak(Portal::new("u").networks(odd));
        assert_eq!(
            TestClient::new(app(portal)).get("/setup/networks").text(),
            "{\"networks\": [\"quote\\\"back\\\\slash\\u0007\"]}"
        );
    }

    #[test]
    fn json_and_html_escaping() {
        let portal = leak(Portal::new("http://x/\"set\\up\u{1}"));
        let client = TestClient::new(app(portal));
        let text: String = client.get("/captive-portal").text();
        assert_eq!(
            text,
            "{\"captive\": true, \"user-portal-url\": \"http://x/\\\"set\\\\up\\u0001\"}"
        );
        let off = leak(App::new((), PortalRoutes::off()));
        assert_eq!(TestClient::new(off).get("/generate_204").status, Status::NOT_FOUND);
    }
}
