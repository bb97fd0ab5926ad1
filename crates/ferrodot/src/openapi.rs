//! An OpenAPI 3.1 document written from an app's route table.
//!
//! ```
//! use ferrodot::openapi::{self, Info, Note, Param, Reply};
//! use ferrodot::prelude::*;
//!
//! async fn led(Path(id): Path<u32>) -> String { format!("led {id}") }
//! ferrodot::routes! { pub Leds<()> { GET "/led/<int:id>" => led } }
//! static APP: App<(), Leds> = App::new((), Leds);
//!
//! // What the route table cannot know is noted beside it (no flash on a device
//! // that never writes the document).
//! const NOTES: &[Note] = &[Note::new(Method::Get, "/led/<int:id>", "One LED's state")
//!     .params(&[Param::query("verbose", "Say more")])
//!     .responses(&[Reply::json(200, "The LED", r#"{"type":"string"}"#)])];
//!
//! let json = openapi::document(&Info::new("leds", "1.0"), APP.route_list(), NOTES);
//! let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
//! let get = &doc["paths"]["/led/{id}"]["get"];
//! assert_eq!(get["summary"], "One LED's state");
//! assert_eq!(get["parameters"][0]["schema"]["type"], "integer"); // from `<int:id>`
//! assert_eq!(get["parameters"][1]["in"], "query");
//! ```
//!
//! Everything the route table holds goes in by itself: each method becomes an
//! operation, each pattern a path template (`/led/<int:id>` → `/led/{id}`), each
//! capture a required path parameter typed from the pattern (`int` → `integer`,
//! everything else `string`). A [`Note`] adds what only the author knows, found by
//! method and pattern text: a summary and description, query parameters and
//! headers (mpgameserver's `.param()`/`.header()` notes), the request body and the
//! responses with their media types and JSON schemas (written by hand, so a device
//! needs no schema generator).
//!
//! The writer needs no heap: [`write`](fn@write) streams into any [`core::fmt::Write`]
//! (a chunked response, a buffer), and two passes over the routes group the
#![cfg_attr(
    feature = "alloc",
    doc = "operations of one path without collecting them. [`document`] returns a `String`"
)]
#![cfg_attr(
    not(feature = "alloc"),
    doc = "operations of one path without collecting them. `document` (feature `alloc`) returns a `String`"
)]
//! on hosts. A device can also serve a document written once on a host, from the
//! asset table (the camera app does, at `GET /openapi.json`).
//!
//! OpenAPI path parameters always fill exactly one segment and are required; a
//! capture that may take several segments or none (`:x*`, `:x?`, `<path:x>`) is
//! still written as `{x}`, with an `x-ferrodot-segments` field saying how many it
//! takes.

use core::fmt::{self, Write};

use crate::http::Method;
use crate::route::pattern::{segments, Kind, Segment};
use crate::route::Route;

/// The document's `info` object.
#[derive(Debug, Clone, Copy)]
pub struct Info<'a> {
    /// The API's name.
    pub title: &'a str,
    /// The API's version (not OpenAPI's).
    pub version: &'a str,
    /// A longer text (CommonMark).
    pub description: Option<&'a str>,
}

impl<'a> Info<'a> {
    /// A title and a version.
    pub const fn new(title: &'a str, version: &'a str) -> Self {
        Info {
            title,
            version,
            description: None,
        }
    }

    /// Add a description.
    pub const fn description(mut self, text: &'a str) -> Self {
        self.description = Some(text);
        self
    }
}

/// Where a [`Param`] travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In the query string.
    Query,
    /// In a request header.
    Header,
    /// A capture of the path (its name must be the capture's).
    Path,
}

impl Location {
    const fn as_str(self) -> &'static str {
        match self {
            Location::Query => "query",
            Location::Header => "header",
            Location::Path => "path",
        }
    }
}

/// A parameter of an operation: a query field, a header, or a path capture
/// described further.
#[derive(Debug, Clone, Copy)]
pub struct Param<'a> {
    /// Its name (a header's name, a query key, a capture's name).
    pub name: &'a str,
    /// Where it travels.
    pub location: Location,
    /// What it means.
    pub description: &'a str,
    /// Whether a request must carry it (path parameters always must).
    pub required: bool,
    /// Its JSON schema, as JSON text.
    pub schema: &'a str,
}

impl<'a> Param<'a> {
    const STRING: &'static str = r#"{"type":"string"}"#;

    /// An optional query parameter (`?name=...`), a string.
    pub const fn query(name: &'a str, description: &'a str) -> Self {
        Param {
            name,
            location: Location::Query,
            description,
            required: false,
            schema: Self::STRING,
        }
    }

    /// An optional request header, a string.
    pub const fn header(name: &'a str, description: &'a str) -> Self {
        Param {
            location: Location::Header,
            ..Param::query(name, description)
        }
    }

    /// A description (and, with [`Param::schema`], a schema) for a capture of
    /// the pattern; its type otherwise comes from the pattern.
    pub const fn path(name: &'a str, description: &'a str) -> Self {
        Param {
            location: Location::Path,
            required: true,
            ..Param::query(name, description)
        }
    }

    /// A request must carry it.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Its JSON schema (JSON text, e.g. `{"type":"integer","minimum":0}`).
    pub const fn schema(mut self, schema: &'a str) -> Self {
        self.schema = schema;
        self
    }
}

/// A request body an operation takes.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    /// Its media type (`application/json`).
    pub media: &'a str,
    /// Its JSON schema, as JSON text.
    pub schema: Option<&'a str>,
    /// Whether the operation needs one.
    pub required: bool,
}

impl<'a> Body<'a> {
    /// A required JSON body with this schema.
    pub const fn json(schema: &'a str) -> Self {
        Body {
            media: "application/json",
            schema: Some(schema),
            required: true,
        }
    }

    /// A required body of this media type, with no schema.
    pub const fn media(media: &'a str) -> Self {
        Body {
            media,
            schema: None,
            required: true,
        }
    }
}

/// One response an operation gives.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    /// Its status code.
    pub status: u16,
    /// What it means.
    pub description: &'a str,
    /// Its media type, when it has a body.
    pub media: Option<&'a str>,
    /// The body's JSON schema, as JSON text.
    pub schema: Option<&'a str>,
}

impl<'a> Reply<'a> {
    /// A response with no body described.
    pub const fn new(status: u16, description: &'a str) -> Self {
        Reply {
            status,
            description,
            media: None,
            schema: None,
        }
    }

    /// A JSON response with this schema.
    pub const fn json(status: u16, description: &'a str, schema: &'a str) -> Self {
        Reply {
            media: Some("application/json"),
            schema: Some(schema),
            ..Reply::new(status, description)
        }
    }

    /// A response with a body of this media type, with no schema.
    pub const fn media(status: u16, description: &'a str, media: &'a str) -> Self {
        Reply {
            media: Some(media),
            ..Reply::new(status, description)
        }
    }

    /// The same schema under another media type (`application/problem+json`).
    pub const fn media_type(mut self, media: &'a str) -> Self {
        self.media = Some(media);
        self
    }
}

/// What the author says of one route's operation, found by method and pattern.
#[derive(Debug, Clone, Copy)]
pub struct Note<'a> {
    /// The method of the operation.
    pub method: Method,
    /// The route's pattern, exactly as in the route table.
    pub pattern: &'a str,
    /// One line (none when empty).
    pub summary: &'a str,
    /// A longer text (CommonMark).
    pub description: Option<&'a str>,
    /// Query parameters, headers, and descriptions of path captures.
    pub params: &'a [Param<'a>],
    /// The request body.
    pub body: Option<Body<'a>>,
    /// The responses; none means one `default` response.
    pub responses: &'a [Reply<'a>],
    /// Tags that group operations in a viewer.
    pub tags: &'a [&'a str],
}

impl<'a> Note<'a> {
    /// A note on `method pattern` with a summary.
    pub const fn new(method: Method, pattern: &'a str, summary: &'a str) -> Self {
        Note {
            method,
            pattern,
            summary,
            description: None,
            params: &[],
            body: None,
            responses: &[],
            tags: &[],
        }
    }

    /// A longer text.
    pub const fn description(mut self, text: &'a str) -> Self {
        self.description = Some(text);
        self
    }

    /// Query parameters, headers and path captures.
    pub const fn params(mut self, params: &'a [Param<'a>]) -> Self {
        self.params = params;
        self
    }

    /// The request body.
    pub const fn body(mut self, body: Body<'a>) -> Self {
        self.body = Some(body);
        self
    }

    /// The responses.
    pub const fn responses(mut self, responses: &'a [Reply<'a>]) -> Self {
        self.responses = responses;
        self
    }

    /// Tags.
    pub const fn tags(mut self, tags: &'a [&'a str]) -> Self {
        self.tags = tags;
        self
    }
}

/// The JSON schema of `T` as JSON text, for [`Body::json`] and
/// [`Reply::json`] on a host (feature `schemars`): derive
/// `schemars::JsonSchema` beside `Deserialize`/`Serialize` and the schema
/// follows the type.
///
/// ```
/// # #[cfg(feature = "schemars")] {
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct SetLed { on: bool }
///
/// let schema = ferrodot::openapi::schema_of::<SetLed>();
/// let value: serde_json::Value = serde_json::from_str(&schema).unwrap();
/// assert_eq!(value["properties"]["on"]["type"], "boolean");
/// # }
/// ```
#[cfg(feature = "schemars")]
pub fn schema_of<T: schemars::JsonSchema>() -> alloc::string::String {
    let schema = schemars::schema_for!(T);
    serde_json::to_string(&schema).unwrap_or_else(|_| alloc::string::String::from("{}"))
}

/// The document as a string (see [`write`](fn@write)).
#[cfg(feature = "alloc")]
pub fn document<'r, I>(info: &Info<'_>, routes: I, notes: &[Note<'_>]) -> alloc::string::String
where
    I: IntoIterator<Item = &'r Route<'r>>,
    I::IntoIter: Clone,
{
    let mut out = alloc::string::String::new();
    // Writing into a String cannot fail.
    let _ = write(&mut out, info, routes, notes);
    out
}

/// Write the OpenAPI 3.1 document of `routes` (in match order, as
/// `App::route_list` gives them) with `notes` into `out`.
///
/// Operations of one path template are written together under it, in the
/// order the routes come; a method a route before already took on the same
/// template is left out, as the router would never reach it.
pub fn write<'r, I>(out: &mut impl Write, info: &Info<'_>, routes: I, notes: &[Note<'_>]) -> fmt::Result
where
    I: IntoIterator<Item = &'r Route<'r>>,
    I::IntoIter: Clone,
{
    let routes = routes.into_iter();
    out.write_str(r#"{"openapi":"3.1.0","info":{"title":"#)?;
    string(out, info.title)?;
    out.write_str(r#","version":"#)?;
    string(out, info.version)?;
    if let Some(text) = info.description {
        out.write_str(r#","description":"#)?;
        string(out, text)?;
    }
    out.write_str(r#"},"paths":{"#)?;
    let mut first_path = true;
    for (at, route) in routes.clone().enumerate() {
        let pattern = route.pattern.as_str();
        // A template is written where it first appears.
        if routes
            .clone()
            .take(at)
            .any(|r| same_template(r.pattern.as_str(), pattern))
        {
            continue;
        }
        if !first_path {
            out.write_char(',')?;
        }
        first_path = false;
        template(out, pattern)?;
        out.write_char(':')?;
        path_item(out, pattern, routes.clone(), notes)?;
    }
    out.write_str("}}")
}

/// The operations of every route whose pattern has `pattern`'s template.
fn path_item<'r>(
    out: &mut impl Write,
    pattern: &str,
    routes: impl Iterator<Item = &'r Route<'r>> + Clone,
    notes: &[Note<'_>],
) -> fmt::Result {
    out.write_char('{')?;
    let mut first = true;
    for method in Method::ALL {
        // The first route that takes this method on this template wins, as in the router.
        let Some(route) = routes
            .clone()
            .find(|r| r.methods.contains(method) && same_template(r.pattern.as_str(), pattern))
        else {
            continue;
        };
        if !first {
            out.write_char(',')?;
        }
        first = false;
        let pattern = route.pattern.as_str();
        let note = notes.iter().find(|n| n.method == method && n.pattern == pattern);
        operation(out, method, pattern, note)?;
    }
    out.write_char('}')
}

fn operation(out: &mut impl Write, method: Method, pattern: &str, note: Option<&Note<'_>>) -> fmt::Result {
    out.write_char('"')?;
    for c in method.as_str().chars() {
        out.write_char(c.to_ascii_lowercase())?;
    }
    out.write_str(r#"":{"operationId":""#)?;
    operation_id(out, method, pattern)?;
    out.write_char('"')?;
    if let Some(note) = note {
        if !note.summary.is_empty() {
            out.write_str(r#","summary":"#)?;
            string(out, note.summary)?;
        }
        if let Some(text) = note.description {
            out.write_str(r#","description":"#)?;
            string(out, text)?;
        }
        if !note.tags.is_empty() {
            out.write_str(r#","tags":["#)?;
            for (i, tag) in note.tags.iter().enumerate() {
                if i > 0 {
                    out.write_char(',')?;
                }
                string(out, tag)?;
            }
            out.write_char(']')?;
        }
    }
    let params = note.map_or(&[][..], |n| n.params);
    parameters(out, pattern, params)?;
    if let Some(body) = note.and_then(|n| n.body) {
        out.write_str(r#","requestBody":{"required":"#)?;
        out.write_str(if body.required { "true" } else { "false" })?;
        out.write_str(r#","content":"#)?;
        content(out, body.media, body.schema)?;
        out.write_char('}')?;
    }
    out.write_str(r#","responses":{"#)?;
    let replies = note.map_or(&[][..], |n| n.responses);
    if replies.is_empty() {
        out.write_str(r#""default":{"description":"The route's response"}"#)?;
    }
    for (i, reply) in replies.iter().enumerate() {
        if i > 0 {
            out.write_char(',')?;
        }
        write!(out, r#""{}":{{"description":"#, reply.status)?;
        string(out, reply.description)?;
        if let Some(media) = reply.media {
            out.write_str(r#","content":"#)?;
            content(out, media, reply.schema)?;
        }
        out.write_char('}')?;
    }
    out.write_str("}}")
}

/// The path captures (typed from the pattern, described by the note), then
/// the note's query parameters and headers.
fn parameters(out: &mut impl Write, pattern: &str, params: &[Param<'_>]) -> fmt::Result {
    let mut first = true;
    let mut next = |out: &mut dyn Write| -> fmt::Result {
        out.write_str(if first { r#","parameters":["# } else { "," })?;
        first = false;
        Ok(())
    };
    for segment in segments(pattern) {
        let Segment::Capture { name, kind } = segment else {
            continue;
        };
        next(out)?;
        out.write_str(r#"{"name":"#)?;
        string(out, name)?;
        out.write_str(r#","in":"path","required":true"#)?;
        let noted = params.iter().find(|p| p.location == Location::Path && p.name == name);
        if let Some(p) = noted {
            out.write_str(r#","description":"#)?;
            string(out, p.description)?;
        }
        out.write_str(r#","schema":"#)?;
        match (noted, kind) {
            (Some(p), _) if p.schema != Param::STRING => out.write_str(p.schema)?,
            (_, Kind::Int) => out.write_str(r#"{"type":"integer","format":"int64"}"#)?,
            _ => out.write_str(Param::STRING)?,
        }
        match kind {
            Kind::Optional => out.write_str(r#","x-ferrodot-segments":"zero or one""#)?,
            Kind::OneOrMore => out.write_str(r#","x-ferrodot-segments":"one or more""#)?,
            Kind::ZeroOrMore => out.write_str(r#","x-ferrodot-segments":"zero or more""#)?,
            Kind::Custom(ty) => {
                out.write_str(r#","x-ferrodot-type":"#)?;
                string(out, ty)?;
            }
            Kind::One | Kind::Int => {}
        }
        out.write_char('}')?;
    }
    for p in params.iter().filter(|p| p.location != Location::Path) {
        next(out)?;
        out.write_str(r#"{"name":"#)?;
        string(out, p.name)?;
        write!(out, r#","in":"{}","required":{}"#, p.location.as_str(), p.required)?;
        out.write_str(r#","description":"#)?;
        string(out, p.description)?;
        out.write_str(r#","schema":"#)?;
        out.write_str(p.schema)?;
        out.write_char('}')?;
    }
    if !first {
        out.write_char(']')?;
    }
    Ok(())
}

fn content(out: &mut impl Write, media: &str, schema: Option<&str>) -> fmt::Result {
    out.write_char('{')?;
    string(out, media)?;
    out.write_str(":{")?;
    if let Some(schema) = schema {
        out.write_str(r#""schema":"#)?;
        out.write_str(schema)?;
    }
    out.write_str("}}")
}

/// The OpenAPI template of a pattern, as a JSON string: `"/led/{id}"`.
fn template(out: &mut impl Write, pattern: &str) -> fmt::Result {
    out.write_char('"')?;
    for segment in segments(pattern) {
        out.write_char('/')?;
        match segment {
            Segment::Literal(text) => escaped(out, text)?,
            Segment::Capture { name, .. } => {
                out.write_char('{')?;
                escaped(out, name)?;
                out.write_char('}')?;
            }
        }
    }
    out.write_char('"')
}

/// Two patterns give one template when their literals and capture names
/// agree (`/a/:x` and `/a/<int:x>` do).
fn same_template(a: &str, b: &str) -> bool {
    fn piece(s: Segment<'_>) -> (bool, &str) {
        match s {
            Segment::Literal(text) => (false, text),
            Segment::Capture { name, .. } => (true, name),
        }
    }
    segments(a).map(piece).eq(segments(b).map(piece))
}

/// `get_led_id` for `GET /led/<int:id>`: letters, digits and `_` only.
fn operation_id(out: &mut impl Write, method: Method, pattern: &str) -> fmt::Result {
    for c in method.as_str().chars() {
        out.write_char(c.to_ascii_lowercase())?;
    }
    for segment in segments(pattern) {
        let text = match segment {
            Segment::Literal(text) => text,
            Segment::Capture { name, .. } => name,
        };
        if text.is_empty() {
            continue;
        }
        out.write_char('_')?;
        for c in text.chars() {
            out.write_char(if c.is_ascii_alphanumeric() { c } else { '_' })?;
        }
    }
    Ok(())
}

/// A JSON string with its quotes.
fn string(out: &mut impl Write, text: &str) -> fmt::Result {
    out.write_char('"')?;
    escaped(out, text)?;
    out.write_char('"')
}

/// `text` escaped for the inside of a JSON string (RFC 8259 §7).
fn escaped(out: &mut impl Write, text: &str) -> fmt::Result {
    for c in text.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde_json::Value;

    fn doc(routes: &[Route<'_>], notes: &[Note<'_>]) -> Value {
        let text = document(&Info::new("t", "1").description("a \"quoted\"\nline"), routes, notes);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    #[test]
    fn templates_and_typed_path_parameters() {
        let d = doc(&[Route::new(Method::Get, "/led/<int:id>/:name")], &[]);
        let op = &d["paths"]["/led/{id}/{name}"]["get"];
        assert_eq!(op["operationId"], "get_led_id_name");
        assert_eq!(op["parameters"][0]["name"], "id");
        assert_eq!(op["parameters"][0]["in"], "path");
        assert_eq!(op["parameters"][0]["required"], true);
        assert_eq!(op["parameters"][0]["schema"]["type"], "integer");
        assert_eq!(op["parameters"][1]["schema"]["type"], "string");
        assert_eq!(op["responses"]["default"]["description"], "The route's response");
        assert_eq!(d["info"]["description"], "a \"quoted\"\nline");
        assert_eq!(d["openapi"], "3.1.0");
    }

    #[test]
    fn one_path_item_per_template_and_the_first_route_wins() {
        let routes = [
            Route::new(Method::Get, "/config"),
            Route::new(Method::Get, "/n/:x"),
            Route::new(Method::Put, "/config"),
            Route::new(Method::Get, "/config"), // never reached by the router
            Route::new(Method::Delete, "/n/<int:x>"),
        ];
        let notes = [
            Note::new(Method::Get, "/config", "first"),
            Note::new(Method::Delete, "/n/<int:x>", "typed"),
        ];
        let d = doc(&routes, &notes);
        let paths = d["paths"].as_object().unwrap();
        assert_eq!(paths.keys().collect::<Vec<_>>(), ["/config", "/n/{x}"]);
        assert_eq!(paths["/config"]["get"]["summary"], "first");
        assert!(paths["/config"]["put"].is_object());
        assert_eq!(paths["/n/{x}"]["get"]["parameters"][0]["schema"]["type"], "string");
        assert_eq!(paths["/n/{x}"]["delete"]["parameters"][0]["schema"]["type"], "integer");
        assert_eq!(paths["/n/{x}"]["delete"]["summary"], "typed");
    }

    #[test]
    fn every_method_of_a_route_is_an_operation() {
        let routes = [Route::new(Method::Get, "/").and(Method::Post).and(Method::Head)];
        let d = doc(&routes, &[]);
        let item = d["paths"]["/"].as_object().unwrap();
        assert_eq!(item.keys().collect::<Vec<_>>(), ["get", "head", "post"]);
        assert_eq!(item["post"]["operationId"], "post");
        let any = doc(&[Route::any("/:uri*")], &[]);
        assert_eq!(any["paths"]["/{uri}"].as_object().unwrap().len(), 7);
    }

    #[test]
    fn variable_and_custom_captures_say_what_they_take() {
        let d = doc(
            &[
                Route::new(Method::Get, "/f/:path*"),
                Route::new(Method::Get, "/c/<hex:v>"),
            ],
            &[],
        );
        let p = &d["paths"]["/f/{path}"]["get"]["parameters"][0];
        assert_eq!(p["x-ferrodot-segments"], "zero or more");
        let c = &d["paths"]["/c/{v}"]["get"]["parameters"][0];
        assert_eq!(c["x-ferrodot-type"], "hex");
        assert_eq!(c["schema"]["type"], "string");
    }

    #[test]
    fn notes_add_parameters_bodies_and_responses() {
        const SCHEMA: &str = r#"{"type":"object","properties":{"on":{"type":"boolean"}}}"#;
        const NOTES: &[Note] = &[Note::new(Method::Put, "/led/<int:id>", "Set an LED")
            .description("Turns it on or off.")
            .tags(&["leds"])
            .params(&[
                Param::path("id", "Which LED").schema(r#"{"type":"integer","minimum":0}"#),
                Param::query("dry", "Only check"),
                Param::header("X-Token", "Who asks").required(),
            ])
            .body(Body::json(SCHEMA))
            .responses(&[
                Reply::new(204, "Done"),
                Reply::json(400, "Refused", r#"{"type":"object"}"#),
            ])];
        let d = doc(&[Route::new(Method::Put, "/led/<int:id>")], NOTES);
        let op = &d["paths"]["/led/{id}"]["put"];
        assert_eq!(op["description"], "Turns it on or off.");
        assert_eq!(op["tags"][0], "leds");
        let params = op["parameters"].as_array().unwrap();
        assert_eq!(params.len(), 3);
        assert_eq!(params[0]["description"], "Which LED");
        assert_eq!(params[0]["schema"]["minimum"], 0);
        assert_eq!(
            (params[1]["in"].as_str(), params[1]["required"].as_bool()),
            (Some("query"), Some(false))
        );
        assert_eq!(
            (params[2]["in"].as_str(), params[2]["required"].as_bool()),
            (Some("header"), Some(true))
        );
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["properties"]["on"]["type"],
            "boolean"
        );
        assert_eq!(op["responses"]["204"]["description"], "Done");
        assert!(op["responses"]["204"].get("content").is_none());
        assert_eq!(
            op["responses"]["400"]["content"]["application/json"]["schema"]["type"],
            "object"
        );
    }

    #[cfg(feature = "schemars")]
    #[test]
    fn derived_schemas_make_a_valid_document() {
        #[derive(serde::Deserialize, schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Config {
            /// The frame period.
            interval_ms: u32,
            label: Option<String>,
        }
        let schema = schema_of::<Config>();
        let notes = [Note::new(Method::Put, "/config", "Set it").body(Body::json(&schema))];
        let d = doc(&[Route::new(Method::Put, "/config")], &notes);
        let s = &d["paths"]["/config"]["put"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(s["properties"]["interval_ms"]["type"], "integer");
        assert_eq!(s["required"], serde_json::json!(["interval_ms"]));
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut out = String::new();
        escaped(&mut out, "a\u{1}b\\c\"").unwrap();
        assert_eq!(out, r#"a\u0001b\\c\""#);
    }

    #[test]
    fn writes_into_a_fixed_buffer_without_a_heap() {
        // A sink that fails when full: the writer reports it instead of panicking.
        struct Fixed<'b>(&'b mut [u8], usize);
        impl Write for Fixed<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                let end = self.1.checked_add(s.len()).ok_or(fmt::Error)?;
                self.0
                    .get_mut(self.1..end)
                    .ok_or(fmt::Error)?
                    .copy_from_slice(s.as_bytes());
                self.1 = end;
                Ok(())
            }
        }
        let routes = [Route::new(Method::Get, "/status")];
        let mut buf = [0u8; 512];
        let mut sink = Fixed(&mut buf, 0);
        write(&mut sink, &Info::new("t", "1"), &routes, &[]).unwrap();
        let len = sink.1;
        assert!(serde_json::from_slice::<Value>(&buf[..len]).is_ok());
        let mut small = [0u8; 40];
        assert!(write(&mut Fixed(&mut small, 0), &Info::new("t", "1"), &routes, &[]).is_err());
    }
}
