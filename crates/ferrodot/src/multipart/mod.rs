//! `multipart/form-data` uploads (RFC 7578), streamed: each part's name,
//! filename and content type, then its bytes piece by piece through a small
//! window, so a part may be far larger than any buffer. No heap.
//!
//! ```
//! use ferrodot::multipart::{Limits, Multipart};
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! // Counts the bytes of the `file` part and keeps a short `note` field.
//! async fn upload(mut form: Multipart<'_>) -> Result<String, Rejection> {
//!     form.set_limits(Limits { part: 1 << 20, ..Limits::DEFAULT });
//!     let (mut note, mut bytes) = ([0u8; 32], 0);
//!     let mut note_len = 0;
//!     while let Some(mut part) = form.next_part().await? {
//!         match part.name() {
//!             "note" => note_len = part.read_into(&mut note).await?.len(),
//!             "file" => while let Some(piece) = part.chunk().await? { bytes += piece.len() },
//!             _ => {} // skipped when the next part is asked for
//!         }
//!     }
//!     let note = core::str::from_utf8(&note[..note_len]).unwrap_or("");
//!     Ok(format!("{bytes} bytes, note {note:?}"))
//! }
//! ferrodot::routes! { Upload<()> { POST "/upload" => upload } }
//!
//! let app = App::new((), Upload);
//! let body = "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n\
//!             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\
//!             Content-Type: application/octet-stream\r\n\r\n0123456789\r\n--XyZ--\r\n";
//! let res = TestClient::new(&app)
//!     .request(Method::Post, "/upload")
//!     .header("Content-Type", "multipart/form-data; boundary=XyZ")
//!     .body(body)
//!     .send();
//! assert_eq!(res.text(), "10 bytes, note \"hi\"");
//! ```
//!
//! The parser is `nostd-multipart` (sans-IO, zero-copy, fuzzed); this module
//! feeds it from the request body and adds what a server needs on top:
//!
//! | what goes wrong | answer |
//! |---|---|
//! | `Content-Type` is not `multipart/form-data` | 415 (the extractor rejects) |
//! | no or an invalid `boundary` parameter | 400 (the extractor rejects) |
//! | a part over [`Limits::part`], the parts together over [`Limits::total`], more than [`Limits::parts`] parts, a body over the route's limit | 413 |
//! | a truncated body (no closing boundary), a malformed part header, a part without `Content-Disposition: form-data; name=…` | 400 |
//!
//! Errors surface while the handler reads ([`MultipartError`], which turns
//! into a [`Rejection`] with `?`): the handler decides what a half-read upload
//! undoes. `Expect: 100-continue` is answered by the body reader when the
//! first part is asked for, after the route's checks, so a client that waits
//! for it sends nothing a refused request would not read.
//!
//! Memory: the window (`BUF`, 1 KiB by default) plus the parser's header
//! line (`LINE`, 512 B) plus 256 B of part header copies, in the handler's
//! future. The window must hold a whole delimiter: `BUF >= 128`.

#[cfg(feature = "std")]
mod files;

#[cfg(feature = "std")]
pub use files::{Collected, SavedFile};

use nostd_multipart::{content_disposition, Error as ParseError, Event, Parser};

use crate::app::extract::FromRequest;
use crate::http::parse::Rejection;
use crate::http::{Request, Status};
use crate::server::{BodyError, BodyReader, RequestBody};

/// Bounds on what a form may carry, checked as it streams (413 past them).
/// The route's body limit (`.max_body(n)`) bounds the whole body too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one part's content.
    pub part: u64,
    /// Bytes of all parts' contents together.
    pub total: u64,
    /// Number of parts.
    pub parts: u32,
}

impl Limits {
    /// No limit of its own on sizes (the route's body limit applies), 64 parts.
    pub const DEFAULT: Limits = Limits {
        part: u64::MAX,
        total: u64::MAX,
        parts: 64,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a form could not be read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultipartError {
    /// Over a [`Limits`] bound or a caller's buffer (413).
    TooLarge(&'static str),
    /// Not a well-formed form (400).
    Malformed(&'static str),
    /// The body itself could not be read (its own status: 400, 408, 413).
    Body(BodyError),
    /// Where the content goes refused it: a disk or flash error (500).
    Storage(&'static str),
}

impl MultipartError {
    /// The answer for this error: 413, 400, or the body's or storage's own status.
    pub fn rejection(self) -> Rejection {
        match self {
            MultipartError::TooLarge(why) => Rejection::new(Status::PAYLOAD_TOO_LARGE, why),
            MultipartError::Malformed(why) => Rejection::new(Status::BAD_REQUEST, why),
            MultipartError::Body(e) => e.rejection(),
            MultipartError::Storage(why) => Rejection::new(Status::INTERNAL_SERVER_ERROR, why),
        }
    }

    fn parse(e: ParseError) -> Self {
        MultipartError::Malformed(match e {
            ParseError::Boundary => "multipart boundary missing or invalid",
            ParseError::HeaderTooLong => "multipart part header line too long",
            ParseError::TooManyHeaders => "multipart part has too many headers",
            ParseError::Header => "malformed multipart part header",
            ParseError::UnexpectedEof => "multipart body ended before its closing boundary",
            ParseError::Disposition => "malformed Content-Disposition in a multipart part",
            _ => "malformed multipart body",
        })
    }
}

impl From<MultipartError> for Rejection {
    fn from(e: MultipartError) -> Self {
        e.rejection()
    }
}

impl From<BodyError> for MultipartError {
    fn from(e: BodyError) -> Self {
        MultipartError::Body(e)
    }
}

impl crate::app::respond::IntoResponse for MultipartError {
    async fn into_response(self, out: &mut crate::server::ResponseWriter<'_>) -> Result<(), crate::server::WriteError> {
        out.error(self.rejection()).await
    }
}

/// Where a form's bytes come from: the request body, or in tests any
/// sequence of pieces.
#[allow(async_fn_in_trait)]
pub trait Source {
    /// The next bytes into `out`; `Ok(0)` at the end.
    async fn read(&mut self, out: &mut [u8]) -> Result<usize, BodyError>;
}

impl Source for BodyReader<'_> {
    async fn read(&mut self, out: &mut [u8]) -> Result<usize, BodyError> {
        BodyReader::read(self, out).await
    }
}

/// Room for the current part's decoded name, filename and content type.
const HEAD_ROOM: usize = 256;

/// The current part's header values, copied out of the parser's line
/// buffer (which the next header line overwrites).
struct PartHead {
    buf: [u8; HEAD_ROOM],
    used: usize,
    disposition: bool,
    name: (usize, usize),
    filename: Option<(usize, usize)>,
    content_type: Option<(usize, usize)>,
}

impl PartHead {
    const fn new() -> Self {
        PartHead {
            buf: [0; HEAD_ROOM],
            used: 0,
            disposition: false,
            name: (0, 0),
            filename: None,
            content_type: None,
        }
    }

    fn clear(&mut self) {
        self.used = 0;
        self.disposition = false;
        self.name = (0, 0);
        self.filename = None;
        self.content_type = None;
    }

    /// Append UTF-8 text; where it lies.
    fn push(&mut self, bytes: impl Iterator<Item = u8>) -> Result<(usize, usize), MultipartError> {
        let start = self.used;
        let mut end = start;
        for b in bytes {
            let slot = self
                .buf
                .get_mut(end)
                .ok_or(MultipartError::Malformed("multipart part name or filename too long"))?;
            *slot = b;
            end = end.saturating_add(1);
        }
        let text = self.buf.get(start..end).unwrap_or(&[]);
        if core::str::from_utf8(text).is_err() {
            return Err(MultipartError::Malformed("multipart part header is not UTF-8"));
        }
        self.used = end;
        Ok((start, end))
    }

    fn header(&mut self, name: &[u8], value: &[u8]) -> Result<(), MultipartError> {
        if name.eq_ignore_ascii_case(b"content-disposition") {
            let cd = content_disposition(value).map_err(MultipartError::parse)?;
            if !cd.is_form_data() {
                return Err(MultipartError::Malformed("multipart part is not form-data"));
            }
            let field = cd
                .name()
                .ok_or(MultipartError::Malformed("multipart part without a name"))?;
            // A repeated header replaces the first; its old copies stay
            // behind in `buf` (bounded by HEAD_ROOM all the same).
            self.name = self.push(field.bytes())?;
            self.filename = match cd.filename() {
                Some(f) => Some(self.push(f.bytes())?),
                None => None,
            };
            self.disposition = true;
        } else if name.eq_ignore_ascii_case(b"content-type") {
            self.content_type = Some(self.push(value.iter().copied())?);
        }
        Ok(())
    }

    fn text(&self, (start, end): (usize, usize)) -> &str {
        core::str::from_utf8(self.buf.get(start..end).unwrap_or(&[])).unwrap_or("")
    }
}

/// Where the form stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Between parts (or before the first).
    Between,
    /// In a part's headers.
    Headers,
    /// In a part's content.
    Content,
    /// Past the closing boundary.
    Done,
}

/// What one parser step produced, with no borrow of the window.
enum Step {
    PartStart,
    HeadersEnd,
    Data(usize, usize),
    PartEnd,
    Finished,
}

/// A streamed `multipart/form-data` body: ask for each part with
/// [`Multipart::next_part`]. As an extractor it reads the request body;
/// [`Multipart::new`] reads any [`Source`].
pub struct Multipart<'r, R = BodyReader<'r>, const BUF: usize = 1024, const LINE: usize = 512> {
    source: R,
    parser: Parser<'r, LINE>,
    window: [u8; BUF],
    /// Unparsed bytes of the window.
    start: usize,
    end: usize,
    eof: bool,
    at: At,
    head: PartHead,
    limits: Limits,
    part_bytes: u64,
    total_bytes: u64,
    parts: u32,
}

impl<'r, R: Source, const BUF: usize, const LINE: usize> Multipart<'r, R, BUF, LINE> {
    const WINDOW_FITS: () = assert!(BUF >= 128, "the window must hold a whole delimiter: BUF >= 128");

    /// A form read from `source`, its boundary taken from `content_type`
    /// (`multipart/form-data; boundary=…`).
    pub fn new(content_type: &'r [u8], source: R) -> Result<Self, MultipartError> {
        #[allow(clippy::let_unit_value)]
        let () = Self::WINDOW_FITS;
        let parser = Parser::from_content_type(content_type).map_err(MultipartError::parse)?;
        Ok(Multipart {
            source,
            parser,
            window: [0; BUF],
            start: 0,
            end: 0,
            eof: false,
            at: At::Between,
            head: PartHead::new(),
            limits: Limits::DEFAULT,
            part_bytes: 0,
            total_bytes: 0,
            parts: 0,
        })
    }

    /// Set the bounds checked from here on.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Bytes of part content read so far, all parts together.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The next part, its headers read; `None` after the last. The rest of
    /// a part not read to its end is skipped.
    pub async fn next_part(&mut self) -> Result<Option<Part<'_, 'r, R, BUF, LINE>>, MultipartError> {
        loop {
            if self.at == At::Done {
                return Ok(None);
            }
            match self.step().await? {
                Step::PartStart => {
                    self.parts = self.parts.saturating_add(1);
                    if self.parts > self.limits.parts {
                        return Err(MultipartError::TooLarge("too many multipart parts"));
                    }
                    self.head.clear();
                    self.at = At::Headers;
                }
                Step::HeadersEnd => {
                    if !self.head.disposition {
                        return Err(MultipartError::Malformed(
                            "multipart part without Content-Disposition: form-data",
                        ));
                    }
                    self.at = At::Content;
                    self.part_bytes = 0;
                    return Ok(Some(Part { form: self }));
                }
                // Content of a part the handler left unread.
                Step::Data(..) => {}
                Step::PartEnd => self.at = At::Between,
                Step::Finished => self.at = At::Done,
            }
        }
    }

    /// The next piece of the current part's content; `None` at its end.
    async fn chunk(&mut self) -> Result<Option<&[u8]>, MultipartError> {
        if self.at != At::Content {
            return Ok(None);
        }
        match self.step().await? {
            Step::Data(start, end) => Ok(self.window.get(start..end)),
            Step::PartEnd => {
                self.at = At::Between;
                Ok(None)
            }
            Step::Finished => {
                self.at = At::Done;
                Ok(None)
            }
            // The parser yields no part start inside a part's content.
            Step::PartStart | Step::HeadersEnd => Err(MultipartError::Malformed("malformed multipart body")),
        }
    }

    /// Run the parser to its next event, reading more body as it needs.
    async fn step(&mut self) -> Result<Step, MultipartError> {
        loop {
            let input = self.window.get(self.start..self.end).unwrap_or(&[]);
            let (used, event) = self.parser.parse(input, self.eof).map_err(MultipartError::parse)?;
            let step = match event {
                None => None,
                Some(Event::PartStart) => Some(Step::PartStart),
                Some(Event::Header { name, value }) => {
                    self.head.header(name, value)?;
                    None
                }
                Some(Event::HeadersEnd) => Some(Step::HeadersEnd),
                // Data is the first `used` bytes of `input`.
                Some(Event::Data(data)) => Some(Step::Data(self.start, self.start.saturating_add(data.len()))),
                Some(Event::PartEnd) => Some(Step::PartEnd),
                Some(Event::Finished) => Some(Step::Finished),
            };
            self.start = self.start.saturating_add(used).min(self.end);
            if let Step::Data(start, end) = step.as_ref().unwrap_or(&Step::PartStart) {
                self.count(end.saturating_sub(*start))?;
            }
            if let Some(step) = step {
                return Ok(step);
            }
            if used == 0 {
                self.refill().await?;
            }
        }
    }

    fn count(&mut self, n: usize) -> Result<(), MultipartError> {
        let n = n as u64;
        self.part_bytes = self.part_bytes.saturating_add(n);
        self.total_bytes = self.total_bytes.saturating_add(n);
        if self.part_bytes > self.limits.part {
            return Err(MultipartError::TooLarge("multipart part too large"));
        }
        if self.total_bytes > self.limits.total {
            return Err(MultipartError::TooLarge("multipart form too large"));
        }
        Ok(())
    }

    /// Move the unparsed bytes to the front and read more behind them.
    async fn refill(&mut self) -> Result<(), MultipartError> {
        if self.eof {
            // The parser reports the truncation itself; this only keeps a
            // parser that made no progress from looping.
            return Err(MultipartError::Malformed(
                "multipart body ended before its closing boundary",
            ));
        }
        if self.start > 0 {
            self.window.copy_within(self.start..self.end, 0);
            self.end = self.end.saturating_sub(self.start);
            self.start = 0;
        }
        let space = self
            .window
            .get_mut(self.end..)
            .filter(|s| !s.is_empty())
            .ok_or(MultipartError::Malformed("malformed multipart body"))?;
        let n = self.source.read(space).await?;
        if n == 0 {
            self.eof = true;
        }
        self.end = self.end.saturating_add(n).min(BUF);
        Ok(())
    }
}

/// One part of a form: its headers, then its content as a stream.
pub struct Part<'m, 'r, R, const BUF: usize, const LINE: usize> {
    form: &'m mut Multipart<'r, R, BUF, LINE>,
}

impl<R: Source, const BUF: usize, const LINE: usize> Part<'_, '_, R, BUF, LINE> {
    /// The field name (`name=` of `Content-Disposition`), decoded.
    pub fn name(&self) -> &str {
        self.form.head.text(self.form.head.name)
    }

    /// The file's name, for a file field (the client's, untrusted).
    pub fn filename(&self) -> Option<&str> {
        self.form.head.filename.map(|r| self.form.head.text(r))
    }

    /// The part's `Content-Type`, if it has one.
    pub fn content_type(&self) -> Option<&str> {
        self.form.head.content_type.map(|r| self.form.head.text(r))
    }

    /// True for a file field (it has a filename).
    pub fn is_file(&self) -> bool {
        self.form.head.filename.is_some()
    }

    /// Content bytes of this part read so far.
    pub fn bytes_read(&self) -> u64 {
        self.form.part_bytes
    }

    /// The next piece of content (at most the window, often less); `None`
    /// at the part's end.
    pub async fn chunk(&mut self) -> Result<Option<&[u8]>, MultipartError> {
        self.form.chunk().await
    }

    /// Read the whole content into `out` (a text field); 413 when it
    /// does not fit.
    pub async fn read_into<'o>(&mut self, out: &'o mut [u8]) -> Result<&'o [u8], MultipartError> {
        let mut n = 0usize;
        while let Some(piece) = self.form.chunk().await? {
            let end = n.saturating_add(piece.len());
            out.get_mut(n..end)
                .ok_or(MultipartError::TooLarge("multipart field too large"))?
                .copy_from_slice(piece);
            n = end;
        }
        Ok(out.get(..n).unwrap_or(&[]))
    }

    /// Read and drop the rest of the content.
    pub async fn skip(&mut self) -> Result<(), MultipartError> {
        while self.form.chunk().await?.is_some() {}
        Ok(())
    }
}

/// The request body as a form: 415 without `multipart/form-data`, 400
/// without a valid boundary.
impl<'r, S, const BUF: usize, const LINE: usize> FromRequest<'r, S> for Multipart<'r, BodyReader<'r>, BUF, LINE> {
    async fn from_request<'b: 'r>(
        req: &'r Request<'r>,
        _: &'r S,
        body: &'r RequestBody<'b>,
    ) -> Result<Self, Rejection> {
        if !req.mime_is("multipart/form-data") {
            return Err(Rejection::new(
                Status::UNSUPPORTED_MEDIA_TYPE,
                "expected Content-Type: multipart/form-data",
            ));
        }
        let content_type = req.header_bytes("content-type").unwrap_or(&[]);
        let reader = body.reader().map_err(BodyError::rejection)?;
        Multipart::new(content_type, reader).map_err(MultipartError::rejection)
    }
}

#[cfg(test)]
mod tests;
