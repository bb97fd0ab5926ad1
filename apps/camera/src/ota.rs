//! Firmware updates (OTA) into A/B slots: `POST /firmware` streams the image
//! into the slot that is not running, hashes it with SHA-256 as it goes,
//! and marks that slot to boot only when the digest the client declared
//! matches; `GET /firmware` tells which slot runs and which is pending.
//!
//! ```text
//! curl --data-binary @fw.bin -H "X-Firmware-SHA256: $(sha256sum fw.bin | cut -c1-64)" http://dev/firmware
//! curl -F sha256=<hex> -F firmware=@fw.bin http://dev/firmware
//! → {"bytes":1048576,"sha256":"…","slot":"B","activated":true}
//! ```
//!
//! The platform supplies the storage ([`FirmwareSlots`]): the host demo a
//! pair of files, the QEMU firmware a NOR-flash-like partition in RAM.
//!
//! What the client sees:
//! - `200 {"bytes", "sha256", "slot", "activated": true}`: stored and pending.
//! - the same with `"activated": false`: stored, no digest declared, not
//!   marked to boot.
//! - `422 {"error": …}`: stored, but the digest does not match; not marked.
//! - `413`: larger than a slot; `400`: a malformed request, a bad digest,
//!   a form without a `firmware` file; `409`: another upload is running;
//!   `503`: the platform has no firmware storage.
//!
//! The running slot is never written: every failure leaves it as it was.
//! A new upload replaces the pending image (its slot is erased first, so
//! a half-written image is never marked to boot).

use ferrodot::multipart::{Multipart, MultipartError};
use ferrodot::prelude::*;
use portable_atomic::{AtomicBool, Ordering};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Camera;

/// One of the two firmware slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    A,
    B,
}

impl Slot {
    /// The other slot: where an update goes.
    pub const fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Slot::A => "A",
            Slot::B => "B",
        }
    }
}

/// Why the storage refused an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashError {
    /// Past the end of the slot.
    OutOfBounds,
    /// Written where it was not erased, or the device failed.
    Write,
    /// Erasing failed.
    Erase,
}

/// The platform's firmware storage: two slots, one running, and a mark
/// that says which slot boots next.
///
/// Synchronous and `&self` (interior mutability): the camera keeps it as
/// `&'static dyn FirmwareSlots` in a `static` app. An implementation over
/// real flash whose erase is slow erases as writes advance instead.
pub trait FirmwareSlots: Sync {
    /// Bytes one slot holds: a larger image is refused with 413.
    fn capacity(&self) -> u64;
    /// The slot the device runs from.
    fn active(&self) -> Slot;
    /// The slot marked to boot next, if any.
    fn pending(&self) -> Option<Slot>;
    /// Erase `slot`, and drop its pending mark. Never called for the active slot.
    fn erase(&self, slot: Slot) -> Result<(), FlashError>;
    /// Write `data` at `offset` of an erased `slot`.
    fn write(&self, slot: Slot, offset: u64, data: &[u8]) -> Result<(), FlashError>;
    /// Mark `slot`, holding a checked image of `len` bytes, to boot next.
    fn mark_pending(&self, slot: Slot, len: u64, sha256: &[u8; 32]) -> Result<(), FlashError>;
}

/// One upload at a time: a second would write the same slot.
pub(crate) struct UploadLock(AtomicBool);

impl UploadLock {
    pub(crate) const fn new() -> Self {
        UploadLock(AtomicBool::new(false))
    }

    fn take(&self) -> Option<UploadGuard<'_>> {
        self.0
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| UploadGuard(&self.0))
    }
}

/// Frees the lock however the handler ends (an error, a dropped connection).
struct UploadGuard<'a>(&'a AtomicBool);

impl Drop for UploadGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[derive(Serialize)]
pub struct SlotsReport {
    pub active: &'static str,
    pub pending: Option<&'static str>,
}

#[derive(Serialize)]
struct UploadReport<'a> {
    bytes: u64,
    sha256: &'a str,
    slot: &'static str,
    activated: bool,
}

#[derive(Serialize)]
struct Refused<'a> {
    error: &'a str,
}

/// `GET /firmware`.
pub(crate) async fn slots(State(cam): State<&Camera>) -> Result<Json<SlotsReport>, Rejection> {
    let store = cam.firmware.ok_or(NO_STORE)?;
    Ok(Json(SlotsReport {
        active: store.active().name(),
        pending: store.pending().map(Slot::name),
    }))
}

const NO_STORE: Rejection = Rejection::new(Status::SERVICE_UNAVAILABLE, "this device has no firmware storage");
const TOO_LARGE: Rejection = Rejection::new(Status::PAYLOAD_TOO_LARGE, "firmware image larger than a slot");
const BAD_DIGEST: Rejection = Rejection::new(Status::BAD_REQUEST, "the SHA-256 must be 64 hex digits");

/// The multipart window and header line: small, the device keeps one per
/// connection slot in the handler's future.
type Form<'r> = Multipart<'r, BodyReader<'r>, 512, 256>;

/// An image being written into the inactive slot.
struct Writer<'s> {
    store: &'s dyn FirmwareSlots,
    slot: Slot,
    written: u64,
    hash: Sha256,
}

impl<'s> Writer<'s> {
    fn start(store: &'s dyn FirmwareSlots) -> Result<Self, Rejection> {
        let slot = store.active().other();
        store
            .erase(slot)
            .map_err(|_| Rejection::new(Status::INTERNAL_SERVER_ERROR, "cannot erase the firmware slot"))?;
        Ok(Writer {
            store,
            slot,
            written: 0,
            hash: Sha256::new(),
        })
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Rejection> {
        let end = self.written.saturating_add(data.len() as u64);
        if end > self.store.capacity() {
            return Err(TOO_LARGE);
        }
        self.store
            .write(self.slot, self.written, data)
            .map_err(|_| Rejection::new(Status::INTERNAL_SERVER_ERROR, "cannot write the firmware slot"))?;
        self.hash.update(data);
        self.written = end;
        Ok(())
    }
}

/// `X-Firmware-SHA256` or the `sha256` field: 64 hex digits.
fn parse_digest(text: &[u8]) -> Option<[u8; 32]> {
    let text = text.trim_ascii();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let hi = (*pair.first()? as char).to_digit(16)?;
        let lo = (*pair.get(1)? as char).to_digit(16)?;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

fn hex(digest: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(digest) {
        let digit = |n: u8| DIGITS.get(usize::from(n)).copied().unwrap_or(b'0');
        pair.copy_from_slice(&[digit(b >> 4), digit(b & 15)]);
    }
    out
}

/// `POST /firmware`: a raw body, or a form with a `firmware` file (and
/// perhaps a `sha256` field, before or after it; a blank one is no digest).
pub(crate) async fn upload(
    req: &Request<'_>,
    State(cam): State<&Camera>,
    body: BodyReader<'_>,
) -> Result<(Status, Json<UploadOutcome>), Rejection> {
    let store = cam.firmware.ok_or(NO_STORE)?;
    let _guard = cam.uploading.take().ok_or(Rejection::new(
        Status::CONFLICT,
        "another firmware upload is in progress",
    ))?;
    let mut declared = match req.header_bytes("x-firmware-sha256") {
        Some(text) => Some(parse_digest(text).ok_or(BAD_DIGEST)?),
        None => None,
    };
    let writer = if req.mime_is("multipart/form-data") {
        let ct = req.header_bytes("content-type").unwrap_or(&[]);
        let form = Form::new(ct, body).map_err(MultipartError::rejection)?;
        from_form(store, form, &mut declared).await?
    } else {
        from_raw(store, body).await?
    };
    if writer.written == 0 {
        return Err(Rejection::new(Status::BAD_REQUEST, "empty firmware image"));
    }
    let digest: [u8; 32] = writer.hash.finalize().into();
    let digest_hex = hex(&digest);
    let outcome = UploadOutcome {
        bytes: writer.written,
        sha256: digest_hex,
        slot: writer.slot,
        activated: false,
    };
    match declared {
        None => Ok((Status::OK, Json(outcome))),
        Some(want) if want != digest => Ok((Status::UNPROCESSABLE_CONTENT, Json(UploadOutcome::mismatch()))),
        Some(_) => {
            store
                .mark_pending(writer.slot, writer.written, &digest)
                .map_err(|_| Rejection::new(Status::INTERNAL_SERVER_ERROR, "cannot mark the firmware slot"))?;
            Ok((
                Status::OK,
                Json(UploadOutcome {
                    activated: true,
                    ..outcome
                }),
            ))
        }
    }
}

/// The answer's body: the report, or (`bytes == u64::MAX`) the mismatch.
pub(crate) struct UploadOutcome {
    bytes: u64,
    sha256: [u8; 64],
    slot: Slot,
    activated: bool,
}

impl UploadOutcome {
    fn mismatch() -> Self {
        UploadOutcome {
            bytes: u64::MAX,
            sha256: [0; 64],
            slot: Slot::A,
            activated: false,
        }
    }
}

impl Serialize for UploadOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.bytes == u64::MAX {
            return Refused {
                error: "the image's SHA-256 does not match the declared digest; nothing was activated",
            }
            .serialize(s);
        }
        UploadReport {
            bytes: self.bytes,
            sha256: core::str::from_utf8(&self.sha256).unwrap_or(""),
            slot: self.slot.name(),
            activated: self.activated,
        }
        .serialize(s)
    }
}

async fn from_raw<'s>(store: &'s dyn FirmwareSlots, mut body: BodyReader<'_>) -> Result<Writer<'s>, Rejection> {
    // Refused from its declared length before anything is erased.
    if body.remaining_len().is_some_and(|n| n > store.capacity()) {
        return Err(TOO_LARGE);
    }
    let mut writer = Writer::start(store)?;
    let mut chunk = [0u8; 512];
    loop {
        let n = body.read(&mut chunk).await.map_err(|e| e.rejection())?;
        if n == 0 {
            return Ok(writer);
        }
        writer.write(chunk.get(..n).unwrap_or(&[]))?;
    }
}

async fn from_form<'s>(
    store: &'s dyn FirmwareSlots,
    mut form: Form<'_>,
    declared: &mut Option<[u8; 32]>,
) -> Result<Writer<'s>, Rejection> {
    let mut writer = None;
    while let Some(mut part) = form.next_part().await? {
        match part.name() {
            "firmware" if writer.is_some() => {
                return Err(Rejection::new(Status::BAD_REQUEST, "more than one firmware part"))
            }
            "firmware" => {
                let mut w = Writer::start(store)?;
                while let Some(piece) = part.chunk().await? {
                    w.write(piece)?;
                }
                writer = Some(w);
            }
            "sha256" => {
                let mut text = [0u8; 80];
                let text = part.read_into(&mut text).await.map_err(|e| match e {
                    MultipartError::TooLarge(_) => BAD_DIGEST,
                    e => e.rejection(),
                })?;
                if text.trim_ascii().is_empty() {
                    continue; // the dashboard's form left it blank
                }
                let field = parse_digest(text).ok_or(BAD_DIGEST)?;
                if declared.is_some_and(|d| d != field) {
                    return Err(Rejection::new(
                        Status::BAD_REQUEST,
                        "X-Firmware-SHA256 and the sha256 field differ",
                    ));
                }
                *declared = Some(field);
            }
            _ => {}
        }
    }
    writer.ok_or(Rejection::new(Status::BAD_REQUEST, "the form has no firmware file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_64_hex_digits() {
        let lower = [0xabu8; 32];
        let text = hex(&lower);
        assert_eq!(&text[..4], b"abab");
        assert_eq!(parse_digest(&text), Some(lower));
        let upper = text.to_ascii_uppercase();
        assert_eq!(parse_digest(&upper), Some(lower));
        let mut padded = [b' '; 66];
        padded[1..65].copy_from_slice(&text);
        assert_eq!(parse_digest(&padded), Some(lower));
        assert_eq!(parse_digest(&text[..63]), None);
        assert_eq!(parse_digest(b""), None);
        let mut bad = text;
        bad[10] = b'g';
        assert_eq!(parse_digest(&bad), None);
        bad[10] = b'+';
        assert_eq!(parse_digest(&bad), None);
    }
}
