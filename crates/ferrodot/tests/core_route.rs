//! Route patterns and route tables, sans-IO: `Pattern::try_new` /
//! `matches` and `lookup` fed paths. Capture *values* are only readable
//! through a routed `Request`, so they are checked in `engine_memory.rs`.

use ferrodot::http::method::MethodSet;
use ferrodot::http::query::Encoded;
use ferrodot::http::request::Captures;
use ferrodot::http::Method;
use ferrodot::route::pattern::{capture_names, check_custom_types, validate, CustomTypes};
use ferrodot::route::table::{lookup, Lookup};
use ferrodot::route::{Pattern, PatternError, Route};

fn pattern(p: &str) -> Pattern<'_> {
    Pattern::try_new(p).unwrap_or_else(|e| panic!("{p:?} refused: {e}"))
}

fn hit(p: &str, path: &str) -> bool {
    hit_with(p, path, None)
}

fn hit_with(p: &str, path: &str, custom: CustomTypes) -> bool {
    let mut caps = Captures::default();
    pattern(p).matches(path, custom, &mut caps)
}

/// Check a table of (pattern, path, should match).
fn table(rows: &[(&str, &str, bool)]) {
    let mut wrong = Vec::new();
    for &(p, path, want) in rows {
        if hit(p, path) != want {
            wrong.push(format!(
                "{p:?} vs {path:?}: expected {}",
                if want { "match" } else { "no match" }
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ------------------------------------------------------------------- literals

/// RFC 3986 §3.3: paths are compared segment by segment; a trailing
/// slash is one more (empty) segment, so `/a` and `/a/` differ (Microdot,
/// MicroServer and Pycom agree; mpgameserver's "always optional" is a
/// quirk we do not copy).
#[test]
fn literal_segments() {
    table(&[
        ("/", "/", true),
        ("/", "", false),
        ("/", "//", false),
        ("/abc", "/abc", true),
        ("/abc", "/abc/", false),
        ("/abc", "/ab", false),
        ("/abc", "/abcd", false),
        ("/abc", "/ABC", false),
        ("/abc", "abc", false),
        ("/abc/", "/abc/", true),
        ("/abc/", "/abc", false),
        ("/a/b/c", "/a/b/c", true),
        ("/a/b/c", "/a/b", false),
        ("/a/b/c", "/a/b/c/d", false),
        ("/a//b", "/a//b", true),
        ("/a//b", "/a/b", false),
        ("/a.b", "/a.b", true),
        ("/a.b", "/axb", false), // not a regex (mpgameserver's `.` matches anything)
    ]);
}

/// RFC 3986 §2.1 / §6.2.2.2: percent-encoded octets in the path compare
/// equal to the characters they encode; `+` is not a space in a path
/// (only in form-encoded queries); `%2F` is data, never a separator.
#[test]
fn percent_encoded_literals() {
    table(&[
        ("/hello world", "/hello%20world", true),
        ("/abc", "/%61bc", true),
        ("/abc", "/%61%62%63", true),
        ("/abc", "/%41bc", false),
        ("/caf\u{e9}", "/caf%C3%A9", true),
        ("/caf\u{e9}", "/caf%c3%a9", true),
        ("/a+b", "/a+b", true),
        ("/a+b", "/a%2Bb", true),
        ("/a b", "/a+b", false),
        ("/a/b", "/a%2Fb", false),
        ("/100%", "/100%", true),
        ("/100%", "/100%25", true),
        ("/%zz", "/%zz", true),
        // Decoding only shortens: a path as short as the text must equal it.
        ("/abcd", "/%61b", false),
        ("/abc", "/%61b", false),
        ("/a%62", "/a%62", false),
        ("/%zy", "/%zz", false),
    ]);
}

// ------------------------------------------------------------------- captures

/// `:x`, `<x>` and `<string:x>`: exactly one non-empty segment.
#[test]
fn one_segment_captures() {
    for p in ["/user/:n", "/user/<n>", "/user/<string:n>"] {
        table(&[
            (p, "/user/bob", true),
            (p, "/user/b%20b", true),
            (p, "/user/42", true),
            (p, "/user/", false),
            (p, "/user", false),
            (p, "/user/bob/", false),
            (p, "/user/bob/x", false),
            (p, "/users/bob", false),
        ]);
    }
    table(&[
        ("/:a/:b", "/x/y", true),
        ("/:a/:b", "/x/", false),
        ("/:a/:b", "//y", false),
        ("/:a/x/:b", "/1/x/2", true),
        ("/:a/x/:b", "/1/y/2", false),
    ]);
}

/// `<int:x>`: Microdot's `-?\d+`, within i64 (issue #137 negatives, #212
/// zero).
#[test]
fn int_captures() {
    let p = "/n/<int:x>";
    table(&[
        (p, "/n/0", true),
        (p, "/n/42", true),
        (p, "/n/-12", true),
        (p, "/n/-0", true),
        (p, "/n/007", true),
        (p, "/n/9223372036854775807", true),
        (p, "/n/-9223372036854775808", true),
        (p, "/n/9223372036854775808", false),
        (p, "/n/99999999999999999999", false),
        (p, "/n/+5", false),
        (p, "/n/-", false),
        (p, "/n/", false),
        (p, "/n/1.5", false),
        (p, "/n/1e3", false),
        (p, "/n/0x10", false),
        (p, "/n/%31", false), // ints are read from the raw path
        (p, "/n/12/", false),
        (p, "/n/ 1", false),
    ]);
}

/// `:x?`: zero or one segment — `/p`, `/p/` (empty) and `/p/a`.
#[test]
fn optional_captures() {
    table(&[
        ("/p/:a?", "/p", true),
        ("/p/:a?", "/p/", true),
        ("/p/:a?", "/p/x", true),
        ("/p/:a?", "/p/x/", false),
        ("/p/:a?", "/p/x/y", false),
        ("/p/:a?", "/px", false),
        ("/p/:a?", "/q", false),
        ("/p/:a?/e", "/p/e", true),
        ("/p/:a?/e", "/p/x/e", true),
        ("/p/:a?/e", "/p/x/y/e", false),
        ("/:a?", "/", true),
        ("/:a?", "/x", true),
        ("/:a?", "", false),
    ]);
}

/// `:x+` and `<path:x>`: one or more segments, the first non-empty.
#[test]
fn one_or_more_captures() {
    for p in ["/p/:a+", "/p/<path:a>"] {
        table(&[
            (p, "/p/x", true),
            (p, "/p/x/y", true),
            (p, "/p/x/y/", true),
            (p, "/p", false),
            (p, "/p/", false),
            (p, "/px", false),
            (p, "/p//x", false),
            (p, "/q/x", false),
        ]);
    }
    table(&[
        ("/p/:a+/end", "/p/x/end", true),
        ("/p/:a+/end", "/p/x/y/end", true),
        ("/p/:a+/end", "/p/end", false),
        ("/p/:a+/end", "/p/x/y", false),
        ("/:a+", "/x", true),
        ("/:a+", "/", false),
    ]);
}

/// `:x*`: zero or more segments, anywhere in the pattern.
#[test]
fn zero_or_more_captures() {
    table(&[
        ("/p/:a*", "/p", true),
        ("/p/:a*", "/p/", true),
        ("/p/:a*", "/p/x", true),
        ("/p/:a*", "/p/x/y/", true),
        ("/p/:a*", "/px", false),
        ("/p/:a*", "/q/x", false),
        ("/:a*/end", "/end", true),
        ("/:a*/end", "/x/y/end", true),
        ("/:a*/end", "/x/y/end/", false),
        ("/:a*/end", "/x/y/ends", false),
        ("/a/:x*/b", "/a/b", true),
        ("/a/:x*/b", "/a/b/b", true),
        ("/a/:x*/b", "/a/1/2/3/b", true),
        ("/a/:x*/b", "/a/1/2/3/c", false),
        ("/:a*", "/", true),
        ("/:a*", "/anything/at/all", true),
        ("/:a*", "", false),
    ]);
}

/// mpgameserver's capture table (notes/seed-systems.md §(ii)(d)); where
/// its regexes give a quirk we keep the documented sane behaviour.
#[test]
fn mpgameserver_table() {
    table(&[
        ("/p/:a?", "/p", true),            // mpg: {'a': None}
        ("/p/:a?", "/p/", true),           // mpg: {'a': ''}
        ("/p/:a?", "/p/x/", false),        // mpg: {'a': 'x'} — trailing slash always optional there; significant here
        ("/p/:a?", "/p/x/y", false),       // mpg: no match
        ("/p/:a*", "/p/x/y/", true),       // mpg: {'a': 'x/y/'}
        ("/p/:a+", "/p", false),           // mpg: no match
        ("/p/:a+", "/p/", false),          // mpg quirk: {'a': '/'}
        ("/p/:a+", "/px", false),          // mpg quirk: {'a': 'x'}
        ("/user/:n", "/user/bob/", false), // mpg: {'n': 'bob'} — trailing slash significant here
        ("/user/:n", "/user/", false),     // mpg: no match
    ]);
}

/// Microdot-style custom capture types through the app's hook:
/// `Some(accepted)` for types it knows, `None` for others.
fn custom(ty: &str, value: Encoded<'_>) -> Option<bool> {
    match ty {
        "hex" => Some(value.raw().bytes().all(|b| b.is_ascii_hexdigit())),
        "even" => Some(value.parse::<u32>().is_some_and(|n| n % 2 == 0)),
        _ => None,
    }
}

#[test]
fn custom_captures() {
    let hook: CustomTypes = Some(custom);
    assert!(hit_with("/c/<hex:id>", "/c/00ff", hook));
    assert!(hit_with("/c/<hex:id>", "/c/DeadBeef", hook));
    assert!(!hit_with("/c/<hex:id>", "/c/xyz", hook));
    assert!(!hit_with("/c/<hex:id>", "/c/", hook)); // empty never reaches the hook
    assert!(!hit_with("/c/<hex:id>", "/c/ab/cd", hook));
    // the hook sees the percent-encoded value and may decode it
    assert!(hit_with("/e/<even:n>", "/e/42", hook));
    assert!(hit_with("/e/<even:n>", "/e/%34%32", hook));
    assert!(!hit_with("/e/<even:n>", "/e/41", hook));
    // types the hook does not know, or no hook at all: no match
    assert!(!hit_with("/u/<unknown:v>", "/u/1", hook));
    assert!(!hit_with("/c/<hex:id>", "/c/00ff", None));
    // mixed with builtin captures
    assert!(hit_with("/m/<hex:a>/<int:b>/:c*", "/m/ab/-3/x/y", hook));
    assert!(!hit_with("/m/<hex:a>/<int:b>/:c*", "/m/ab/x/x/y", hook));
}

/// An app's patterns are checked against its hook before serving
/// (App::validate); an unknown custom type is refused there.
#[test]
fn check_custom_types_against_the_hook() {
    assert_eq!(check_custom_types("/c/<hex:id>/<even:n>", Some(custom)), Ok(()));
    assert_eq!(check_custom_types("/c/<int:a>/<path:b>", None), Ok(()));
    assert_eq!(
        check_custom_types("/c/<hex:id>", None),
        Err(PatternError::UnknownCustomType)
    );
    assert_eq!(
        check_custom_types("/c/<nope:id>", Some(custom)),
        Err(PatternError::UnknownCustomType)
    );
}

#[test]
fn capture_names_in_order() {
    let names: Vec<&str> = capture_names("/a/:x/<int:y>/b/<z>/<path:rest>").collect();
    assert_eq!(names, ["x", "y", "z", "rest"]);
    let names: Vec<&str> = capture_names("/p/:opt?").collect();
    assert_eq!(names, ["opt"]);
    assert_eq!(capture_names("/static/only").count(), 0);
}

// ------------------------------------------------------------ invalid patterns

#[test]
fn invalid_patterns_are_refused() {
    use PatternError::*;
    let cases: [(&str, PatternError); 24] = [
        ("", NoLeadingSlash),
        ("abc", NoLeadingSlash),
        (":x", NoLeadingSlash),
        ("/:", EmptyName),
        ("/a/:", EmptyName),
        ("/:?", EmptyName),
        ("/:+", EmptyName),
        ("/<>", EmptyName),
        ("/<int:>", EmptyName),
        ("/:a-b", BadName),
        ("/:a.b", BadName),
        ("/:a?b", BadName),
        ("/<a b>", BadName),
        ("/<int:a:b>", BadName),
        ("/<:x>", UnknownType),
        ("/<x", UnclosedAngle),
        ("/<", UnclosedAngle),
        ("/<int:x>y", UnclosedAngle),
        ("/a<b", UnclosedAngle),
        ("/a>b", UnclosedAngle),
        ("/:a?/:b*", TwoVariableLength),
        ("/:a+/<path:b>", TwoVariableLength),
        ("/<path:a>/<path:b>", TwoVariableLength),
        ("/:a/:b/:c/:d/:e/:f/:g/:h/:i", TooManyCaptures),
    ];
    for (p, want) in cases {
        assert_eq!(Pattern::try_new(p).map(|p| p.as_str()), Err(want), "{p:?}");
        assert_eq!(validate(p), Err(want), "{p:?}");
        assert!(!want.message().is_empty());
        assert_eq!(want.to_string(), want.message());
    }
}

#[test]
fn valid_patterns_are_accepted() {
    for p in [
        "/",
        "/a",
        "/a/",
        "/a//b",
        "/:a/:b/:c/:d/:e/:f/:g/:h",
        "/<int:x>/:y?",
        "/<string:s>/<path:p>",
        "/<hex:x>",
        "/:a_1/<B_2>",
        "/a:b",
        "/x/:tail*",
    ] {
        assert_eq!(Pattern::try_new(p).map(|p| p.as_str()), Ok(p));
    }
}

/// Patterns in a `const` are checked at compile time.
#[test]
fn const_patterns() {
    const P: Pattern<'static> = Pattern::new("/const/:id");
    const R: Route<'static> = Route::new(Method::Get, "/r/<int:n>")
        .and(Method::Post)
        .max_body(64)
        .require_length();
    assert_eq!(P.as_str(), "/const/:id");
    assert!(hit(P.as_str(), "/const/7"));
    let r = R;
    assert_eq!(r.methods, MethodSet::EMPTY.with(Method::Get).with(Method::Post));
    assert_eq!(r.max_body, Some(64));
    assert!(r.require_length);
    let plain = Route::from_name("DELETE", "/x");
    assert_eq!(plain.methods, MethodSet::EMPTY.with(Method::Delete));
    assert_eq!((plain.max_body, plain.require_length), (None, false));
}

// ---------------------------------------------------------------------- lookup

fn found(l: Lookup<'_>) -> usize {
    match l {
        Lookup::Found(m) => m.index,
        other => panic!("expected a route, got {other:?}"),
    }
}

fn allowed(l: Lookup<'_>) -> Vec<Method> {
    match l {
        Lookup::MethodNotAllowed(set) => set.iter().collect(),
        other => panic!("expected 405, got {other:?}"),
    }
}

fn routes() -> Vec<Route<'static>> {
    vec![
        Route::new(Method::Get, "/items"),                        // 0
        Route::new(Method::Post, "/items"),                       // 1
        Route::new(Method::Get, "/items/<int:id>"),               // 2
        Route::new(Method::Delete, "/items/:id"),                 // 3
        Route::new(Method::Put, "/items/:id").and(Method::Patch), // 4
        Route::new(Method::Get, "/items/:name"),                  // 5
        Route::new(Method::Head, "/items"),                       // 6: shadowed by 0 for HEAD
        Route::new(Method::Head, "/only-head"),                   // 7
        Route::new(Method::Post, "/upload"),                      // 8
        Route::new(Method::Options, "/cors"),                     // 9
        Route::new(Method::Get, "/cors"),                         // 10
        Route::new(Method::Get, "/files/:p*"),                    // 11
    ]
}

/// Microdot: "The first entry whose pattern and method match wins".
#[test]
fn first_match_wins() {
    let t = routes();
    assert_eq!(found(lookup(&t, Method::Get, "/items", None)), 0);
    assert_eq!(found(lookup(&t, Method::Post, "/items", None)), 1);
    assert_eq!(found(lookup(&t, Method::Get, "/items/7", None)), 2);
    assert_eq!(found(lookup(&t, Method::Get, "/items/-7", None)), 2);
    assert_eq!(found(lookup(&t, Method::Get, "/items/seven", None)), 5);
    assert_eq!(found(lookup(&t, Method::Delete, "/items/7", None)), 3);
    assert_eq!(found(lookup(&t, Method::Put, "/items/7", None)), 4);
    assert_eq!(found(lookup(&t, Method::Patch, "/items/7", None)), 4);
    assert_eq!(found(lookup(&t, Method::Get, "/files", None)), 11);
    assert_eq!(found(lookup(&t, Method::Get, "/files/a/b", None)), 11);
}

/// RFC 9110 §9.3.2: HEAD is GET without the content; a GET route serves
/// it unless a HEAD route comes first.
#[test]
fn head_is_served_by_get() {
    let t = routes();
    assert_eq!(found(lookup(&t, Method::Head, "/items", None)), 0);
    assert_eq!(found(lookup(&t, Method::Head, "/items/7", None)), 2);
    assert_eq!(found(lookup(&t, Method::Head, "/only-head", None)), 7);
    let head_first = [Route::new(Method::Head, "/x"), Route::new(Method::Get, "/x")];
    assert_eq!(found(lookup(&head_first, Method::Head, "/x", None)), 0);
    assert_eq!(found(lookup(&head_first, Method::Get, "/x", None)), 1);
    // GET is not served by a HEAD route
    assert_eq!(
        allowed(lookup(&t, Method::Get, "/only-head", None)),
        [Method::Head, Method::Options]
    );
}

/// RFC 9110 §15.5.6: 405 "MUST generate an Allow header field"; it lists
/// every method of every matching route, HEAD when GET is there, and
/// OPTIONS (answered automatically).
#[test]
fn method_not_allowed_lists_allow() {
    let t = routes();
    assert_eq!(
        allowed(lookup(&t, Method::Delete, "/items", None)),
        [Method::Get, Method::Head, Method::Post, Method::Options]
    );
    assert_eq!(
        allowed(lookup(&t, Method::Get, "/upload", None)),
        [Method::Post, Method::Options]
    );
    assert_eq!(
        allowed(lookup(&t, Method::Head, "/upload", None)),
        [Method::Post, Method::Options]
    );
    // three routes match /items/7 for other methods
    assert_eq!(
        allowed(lookup(&t, Method::Post, "/items/7", None)),
        [
            Method::Get,
            Method::Head,
            Method::Put,
            Method::Delete,
            Method::Patch,
            Method::Options
        ]
    );
    // only routes that match the path count: /items/x skips the int route
    // (the GET comes from route 5)
    assert_eq!(
        allowed(lookup(&t, Method::Post, "/items/x", None)),
        [
            Method::Get,
            Method::Head,
            Method::Put,
            Method::Delete,
            Method::Patch,
            Method::Options
        ]
    );
}

/// RFC 9110 §9.3.7: OPTIONS without a route of its own is answered from
/// the table (Microdot's automatic OPTIONS); an explicit route wins.
#[test]
fn options() {
    let t = routes();
    assert_eq!(
        allowed(lookup(&t, Method::Options, "/items", None)),
        [Method::Get, Method::Head, Method::Post, Method::Options]
    );
    assert_eq!(found(lookup(&t, Method::Options, "/cors", None)), 9);
    assert!(matches!(
        lookup(&t, Method::Options, "/nowhere", None),
        Lookup::NotFound
    ));
}

/// RFC 9110 §15.5.5: 404 when no pattern matches, whatever the method.
#[test]
fn not_found() {
    let t = routes();
    for m in Method::ALL {
        for path in ["/nope", "/items/", "/items/1/2", "/Items", "", "items"] {
            assert!(matches!(lookup(&t, m, path, None), Lookup::NotFound), "{m} {path:?}");
        }
    }
    assert!(matches!(lookup(&[], Method::Get, "/", None), Lookup::NotFound));
}

/// A route that refuses the method does not stop a later route that
/// takes it.
#[test]
fn method_mismatch_keeps_looking() {
    let t = [
        Route::new(Method::Get, "/a/:x"),
        Route::new(Method::Post, "/a/b"),
        Route::new(Method::Post, "/a/:y"),
    ];
    assert_eq!(found(lookup(&t, Method::Post, "/a/b", None)), 1);
    assert_eq!(found(lookup(&t, Method::Post, "/a/c", None)), 2);
    assert_eq!(found(lookup(&t, Method::Get, "/a/b", None)), 0);
}

/// Custom capture types take part in lookup.
#[test]
fn lookup_with_custom_types() {
    let t = [
        Route::new(Method::Get, "/c/<hex:id>"),
        Route::new(Method::Get, "/c/:other"),
    ];
    assert_eq!(found(lookup(&t, Method::Get, "/c/ff", Some(custom))), 0);
    assert_eq!(found(lookup(&t, Method::Get, "/c/zz", Some(custom))), 1);
    assert_eq!(found(lookup(&t, Method::Get, "/c/ff", None)), 1);
}
