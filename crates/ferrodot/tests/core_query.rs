//! Percent-decoding (RFC 3986 §2.1) and query strings
//! (application/x-www-form-urlencoded, WHATWG URL §5.1), decoded on demand.

use ferrodot::http::query::{Encoded, QueryPairs};

fn decoded(e: Encoded<'_>) -> Option<String> {
    let mut buf = [0u8; 128];
    e.decode_into(&mut buf).map(str::to_string)
}

fn pairs(q: &str) -> Vec<(String, String)> {
    QueryPairs::new(q)
        .map(|(k, v)| (k.raw().to_string(), v.raw().to_string()))
        .collect()
}

fn decoded_pairs(q: &str) -> Vec<(String, String)> {
    QueryPairs::new(q)
        .map(|(k, v)| (k.to_string_lossy(), v.to_string_lossy()))
        .collect()
}

fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// RFC 3986 §2.1: "%" HEXDIG HEXDIG, either case, is one octet.
#[test]
fn percent_escapes() {
    assert_eq!(decoded(Encoded::path("%41%62%63")).as_deref(), Some("Abc"));
    assert_eq!(decoded(Encoded::path("%4a%4A")).as_deref(), Some("JJ"));
    assert_eq!(decoded(Encoded::path("a%20b")).as_deref(), Some("a b"));
    assert_eq!(decoded(Encoded::path("%25")).as_deref(), Some("%"));
    assert_eq!(decoded(Encoded::path("%2525")).as_deref(), Some("%25")); // decoded once only
    assert_eq!(decoded(Encoded::path("%e2%80%a2")).as_deref(), Some("\u{2022}"));
    assert_eq!(decoded(Encoded::path("%F0%9F%A6%80")).as_deref(), Some("\u{1f980}"));
    assert_eq!(decoded(Encoded::path("")).as_deref(), Some(""));
    assert_eq!(decoded(Encoded::path("plain")).as_deref(), Some("plain"));
    assert_eq!(Encoded::path("%00").bytes().collect::<Vec<u8>>(), [0]);
}

/// WHATWG form-urlencoded: `+` is a space in a query; in a path it is a
/// literal `+` (RFC 3986 gives `+` no special meaning).
#[test]
fn plus_is_space_only_in_queries() {
    assert_eq!(decoded(Encoded::query("a+b+%2B")).as_deref(), Some("a b +"));
    assert_eq!(decoded(Encoded::path("a+b+%2B")).as_deref(), Some("a+b++"));
    assert!(Encoded::query("a+b").eq_decoded("a b"));
    assert!(!Encoded::path("a+b").eq_decoded("a b"));
    assert!(Encoded::path("a+b").eq_decoded("a+b"));
    assert!(Encoded::query("a+b").needs_decoding());
    assert!(!Encoded::path("a+b").needs_decoding());
    assert!(Encoded::path("a%20b").needs_decoding());
    assert!(!Encoded::query("ab").needs_decoding());
}

/// Malformed escapes are kept as they are (WHATWG percent-decode; Microdot
/// issue #126 "tolerate malformed queries").
#[test]
fn malformed_escapes_are_kept() {
    for raw in ["%", "100%", "%4", "%zz", "%g1", "%1g", "a%%b", "%%", "%-1"] {
        assert_eq!(decoded(Encoded::path(raw)).as_deref(), Some(raw), "{raw:?}");
        assert_eq!(decoded(Encoded::query(raw)).as_deref(), Some(raw), "{raw:?}");
    }
    // a bad escape does not swallow a good one after it
    assert_eq!(decoded(Encoded::path("%%41")).as_deref(), Some("%A"));
    assert_eq!(decoded(Encoded::path("%4%41")).as_deref(), Some("%4A"));
    assert_eq!(decoded(Encoded::query("%+")).as_deref(), Some("% "));
}

/// Decoded bytes need not be UTF-8: text access refuses (or, with
/// `to_string_lossy`, replaces) them; the bytes stay available.
#[test]
fn invalid_utf8() {
    assert_eq!(decoded(Encoded::path("%ff")), None);
    assert_eq!(decoded(Encoded::path("ok%C3")), None);
    assert_eq!(decoded(Encoded::path("%C3%28")), None);
    assert_eq!(Encoded::path("a%ffb").bytes().collect::<Vec<u8>>(), b"a\xffb");
    assert_eq!(Encoded::path("a%ffb").to_string_lossy(), "a\u{fffd}b");
    assert_eq!(Encoded::path("%ff").parse::<u32>(), None);
    assert!(!Encoded::path("%ff").eq_decoded("\u{ff}"));
}

/// `decode_into` never writes past the buffer it is given.
#[test]
fn decode_into_bounds() {
    let mut buf = [0u8; 3];
    assert_eq!(Encoded::path("abc").decode_into(&mut buf), Some("abc"));
    assert_eq!(Encoded::path("abcd").decode_into(&mut buf), None);
    assert_eq!(Encoded::path("%41%42%43").decode_into(&mut buf), Some("ABC"));
    assert_eq!(Encoded::path("%41%42%43%44").decode_into(&mut buf), None);
    assert_eq!(Encoded::query("a+b").decode_into(&mut buf), Some("a b"));
    assert_eq!(Encoded::query("a+b+c").decode_into(&mut buf), None);
    assert_eq!(Encoded::path("").decode_into(&mut []), Some(""));
}

#[test]
fn parse_values() {
    assert_eq!(Encoded::query("42").parse::<u32>(), Some(42));
    assert_eq!(Encoded::query("%34%32").parse::<u32>(), Some(42));
    assert_eq!(Encoded::query("-7").parse::<i8>(), Some(-7));
    assert_eq!(Encoded::query("+7").parse::<i32>(), None); // "+" is a space in a query
    assert_eq!(Encoded::path("+7").parse::<i32>(), Some(7)); // ...but a sign in a path
    assert_eq!(Encoded::query("%2B7").parse::<i32>(), Some(7));
    assert_eq!(Encoded::query("300").parse::<u8>(), None);
    assert_eq!(Encoded::query("true").parse::<bool>(), Some(true));
    assert_eq!(Encoded::query("1.5").parse::<f32>(), Some(1.5));
    assert_eq!(Encoded::query("").parse::<u32>(), None);
    assert_eq!(Encoded::query("4 2").parse::<u32>(), None);
    // long values parse when they need no decoding
    let long = "1".repeat(100);
    assert_eq!(Encoded::query(&long).parse::<String>(), Some(long.clone()));
}

#[test]
fn raw_and_debug() {
    let e = Encoded::query("a+b%20");
    assert_eq!(e.raw(), "a+b%20");
    assert_eq!(format!("{e:?}"), "\"a+b%20\"");
    assert_eq!(e.to_string_lossy(), "a b ");
}

// ----------------------------------------------------------------- query pairs

/// Repeated keys are all kept, in order (Microdot issue #21).
#[test]
fn multi_valued_keys() {
    let q = "tag=a&x=1&tag=b&tag=&tag=c";
    assert_eq!(
        pairs(q),
        owned(&[("tag", "a"), ("x", "1"), ("tag", "b"), ("tag", ""), ("tag", "c")])
    );
    let tags: Vec<String> = QueryPairs::new(q)
        .filter(|(k, _)| k.eq_decoded("tag"))
        .map(|(_, v)| v.to_string_lossy())
        .collect();
    assert_eq!(tags, ["a", "b", "", "c"]);
}

/// A key without `=` has an empty value (Microdot issue #149); only the
/// first `=` splits; empty pairs are skipped.
#[test]
fn keys_without_values_and_odd_shapes() {
    assert_eq!(pairs("flag"), owned(&[("flag", "")]));
    assert_eq!(pairs("a&b=&=c"), owned(&[("a", ""), ("b", ""), ("", "c")]));
    assert_eq!(pairs("a=b=c"), owned(&[("a", "b=c")]));
    assert_eq!(pairs("&&a=1&&&b=2&"), owned(&[("a", "1"), ("b", "2")]));
    assert_eq!(pairs("="), owned(&[("", "")]));
    assert_eq!(pairs(""), owned(&[]));
    assert_eq!(pairs("&"), owned(&[]));
    assert_eq!(pairs(";a=1"), owned(&[(";a", "1")])); // ';' is not a separator
}

/// Keys and values decode separately; an encoded `&` or `=` is data.
#[test]
fn decoding_pairs() {
    assert_eq!(
        decoded_pairs("first+name=J%C3%B6rg&q=a%26b%3Dc&sp=%20+%20&bad=%zz%"),
        owned(&[
            ("first name", "J\u{f6}rg"),
            ("q", "a&b=c"),
            ("sp", "   "),
            ("bad", "%zz%")
        ])
    );
    let (k, v) = QueryPairs::new("a%3Db=c%26d").next().expect("one pair");
    assert!(k.eq_decoded("a=b"));
    assert!(v.eq_decoded("c&d"));
    assert!(!k.eq_decoded("a"));
}

/// Keys are compared after decoding: `a+b`, `a%20b` and `a b` name the
/// same key.
#[test]
fn keys_compared_decoded() {
    let q = "a+b=1&a%20b=2&ab=3";
    let values: Vec<&str> = QueryPairs::new(q)
        .filter(|(k, _)| k.eq_decoded("a b"))
        .map(|(_, v)| v.raw())
        .collect();
    assert_eq!(values, ["1", "2"]);
}

#[test]
fn query_pairs_iterator_is_cloneable_and_restartable() {
    let it = QueryPairs::new("a=1&b=2");
    let first: Vec<_> = it.clone().map(|(k, _)| k.raw()).collect();
    let again: Vec<_> = it.map(|(k, _)| k.raw()).collect();
    assert_eq!(first, ["a", "b"]);
    assert_eq!(first, again);
}
