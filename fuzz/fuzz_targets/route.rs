//! Route patterns and paths: validation and matching never panic, and a
//! match's captures are slices of the path.
#![no_main]

use ferrodot::http::request::Captures;
use ferrodot::http::Method;
use ferrodot::route::pattern::{capture_names, validate, Pattern};
use ferrodot::route::table::{lookup, Lookup, Route};
use libfuzzer_sys::fuzz_target;

fn custom(kind: &str, value: ferrodot::http::query::Encoded<'_>) -> Option<bool> {
    (kind == "hex").then(|| value.bytes().all(|b| b.is_ascii_hexdigit()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    // "pattern\npath": a pattern and a request path.
    let (pattern, path) = text.split_once('\n').unwrap_or((text, "/"));
    let fixed = [
        "/",
        "/a/:x",
        "/a/<int:n>/b",
        "/p/<path:rest>",
        "/s/:x*",
        "/o/:x?",
        "/m/:x+",
        "/h/<hex:h>",
    ];
    let routes: Vec<Route<'_>> = fixed.iter().map(|p| Route::new(Method::Get, p)).collect();
    let _ = lookup(routes.iter(), Method::Get, path, Some(custom));
    if validate(pattern).is_err() {
        return;
    }
    let _ = capture_names(pattern).count();
    let mut caps = Captures::default();
    let _ = Pattern::new(pattern).matches(path, Some(custom), &mut caps);
    let one = [Route::new(Method::Post, pattern)];
    match lookup(one.iter(), Method::Post, path, Some(custom)) {
        Lookup::Found(m) => assert_eq!(m.index, 0),
        Lookup::NotFound | Lookup::MethodNotAllowed(_) => {}
    }
});
