//! MIME types from file extensions, for the build-time table and for files
//! served from a directory on the host.

/// Extensions and their MIME type; text types carry `charset=utf-8`.
const TYPES: &[(&[&str], &str)] = &[
    (&["html", "htm"], "text/html; charset=utf-8"),
    (&["css"], "text/css; charset=utf-8"),
    (&["js", "mjs"], "text/javascript; charset=utf-8"),
    (&["json", "map"], "application/json"),
    (&["webmanifest"], "application/manifest+json"),
    (&["txt"], "text/plain; charset=utf-8"),
    (&["csv"], "text/csv; charset=utf-8"),
    (&["xml"], "application/xml"),
    (&["svg"], "image/svg+xml"),
    (&["png"], "image/png"),
    (&["jpg", "jpeg"], "image/jpeg"),
    (&["gif"], "image/gif"),
    (&["webp"], "image/webp"),
    (&["avif"], "image/avif"),
    (&["ico"], "image/x-icon"),
    (&["woff"], "font/woff"),
    (&["woff2"], "font/woff2"),
    (&["ttf"], "font/ttf"),
    (&["otf"], "font/otf"),
    (&["wasm"], "application/wasm"),
    (&["pdf"], "application/pdf"),
    (&["gz"], "application/gzip"),
    (&["zip"], "application/zip"),
    (&["mp3"], "audio/mpeg"),
    (&["ogg"], "audio/ogg"),
    (&["mp4"], "video/mp4"),
    (&["webm"], "video/webm"),
];

/// The MIME type for a file extension (case-insensitive, without the dot);
/// `application/octet-stream` for anything else.
///
/// ```
/// use ferrodot::assets::mime_for;
/// assert_eq!(mime_for("HTML"), "text/html; charset=utf-8");
/// assert_eq!(mime_for("bin"), "application/octet-stream");
/// ```
pub fn mime_for(extension: &str) -> &'static str {
    TYPES
        .iter()
        .find(|(exts, _)| exts.iter().any(|e| e.eq_ignore_ascii_case(extension)))
        .map_or("application/octet-stream", |(_, mime)| mime)
}
