use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::string::String;
use std::vec;
use std::vec::Vec;

use super::*;

/// Runs a future that never waits (every source here is in memory).
fn run<F: Future>(fut: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// A body handed out in the pieces given, each read at most `max` bytes.
struct Pieces<'a> {
    pieces: Vec<&'a [u8]>,
    max: usize,
}

impl Source for Pieces<'_> {
    async fn read(&mut self, out: &mut [u8]) -> Result<usize, BodyError> {
        while let Some(first) = self.pieces.first_mut() {
            if first.is_empty() {
                self.pieces.remove(0);
                continue;
            }
            let n = first.len().min(out.len()).min(self.max);
            out[..n].copy_from_slice(&first[..n]);
            *first = &first[n..];
            return Ok(n);
        }
        Ok(0)
    }
}

const CT: &[u8] = b"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW";

/// The file part's content: delimiter look-alikes, then every byte value.
fn file_content() -> Vec<u8> {
    let mut f = b"\r\n------WebKitFormBoundary7MA4YWxkTrZu0g\r\n--\r-".to_vec();
    f.extend((0..300u32).map(|i| (i % 251) as u8));
    f
}

fn body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"preamble to ignore\r\n");
    b.extend_from_slice(b"------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n");
    b.extend_from_slice(b"Content-Disposition: form-data; name=\"sha256\"\r\n\r\n");
    b.extend_from_slice(b"abc123\r\n");
    b.extend_from_slice(b"------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n");
    b.extend_from_slice(b"Content-Disposition: form-data; name=\"firmware\"; filename=\"fw \\\"1\\\".bin\"\r\n");
    b.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
    b.extend_from_slice(&file_content());
    b.extend_from_slice(b"\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n");
    b.extend_from_slice(b"Content-Disposition: form-data; name=\"empty\"\r\n\r\n");
    b.extend_from_slice(b"\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\nepilogue");
    b
}

/// (name, filename, content type, content) of every part.
type Seen = Vec<(String, Option<String>, Option<String>, Vec<u8>)>;

async fn read_all<R: Source, const BUF: usize>(form: &mut Multipart<'_, R, BUF, 512>) -> Result<Seen, MultipartError> {
    let mut seen = Vec::new();
    while let Some(mut part) = form.next_part().await? {
        let (name, filename, ct) = (
            part.name().into(),
            part.filename().map(Into::into),
            part.content_type().map(Into::into),
        );
        let mut content = Vec::new();
        while let Some(piece) = part.chunk().await? {
            assert!(!piece.is_empty());
            content.extend_from_slice(piece);
        }
        assert_eq!(part.bytes_read(), content.len() as u64);
        seen.push((name, filename, ct, content));
    }
    Ok(seen)
}

fn expected() -> Seen {
    vec![
        ("sha256".into(), None, None, b"abc123".to_vec()),
        (
            "firmware".into(),
            Some("fw \"1\".bin".into()),
            Some("application/octet-stream".into()),
            file_content(),
        ),
        ("empty".into(), None, None, Vec::new()),
    ]
}

fn parse_split<const BUF: usize>(pieces: Vec<&[u8]>, max: usize) -> Result<Seen, MultipartError> {
    let mut form = Multipart::<_, BUF, 512>::new(CT, Pieces { pieces, max })?;
    run(read_all(&mut form))
}

#[test]
fn whole_body() {
    let b = body();
    let want = expected();
    assert_eq!(parse_split::<1024>(vec![&b], usize::MAX).unwrap(), want);
}

#[test]
fn every_split_point() {
    let b = body();
    let want = expected();
    for at in 0..=b.len() {
        let (x, y) = b.split_at(at);
        assert_eq!(
            parse_split::<1024>(vec![x, y], usize::MAX).unwrap(),
            want,
            "split at {at}"
        );
        // The smallest window: compaction at every step.
        assert_eq!(
            parse_split::<128>(vec![x, y], usize::MAX).unwrap(),
            want,
            "split at {at}, 128 B"
        );
    }
}

#[test]
fn every_pair_of_split_points() {
    let b = body();
    let want = expected();
    for i in (0..b.len()).step_by(7) {
        for j in i..b.len() {
            let pieces = vec![&b[..i], &b[i..j], &b[j..]];
            assert_eq!(parse_split::<128>(pieces, usize::MAX).unwrap(), want, "{i}/{j}");
        }
    }
}

#[test]
fn byte_by_byte() {
    let b = body();
    assert_eq!(parse_split::<128>(vec![&b], 1).unwrap(), expected());
    assert_eq!(parse_split::<1024>(vec![&b], 3).unwrap(), expected());
}

#[test]
fn every_truncation_is_an_error() {
    let b = body();
    // Up to the closing delimiter's last dash, every prefix lacks the end.
    let close = b.windows(2).rposition(|w| w == b"--").unwrap() + 2;
    for at in 0..close {
        let got = parse_split::<128>(vec![&b[..at]], usize::MAX);
        assert!(matches!(got, Err(MultipartError::Malformed(_))), "prefix {at}: {got:?}");
    }
    assert_eq!(parse_split::<128>(vec![&b[..close]], usize::MAX).unwrap(), expected());
}

#[test]
fn skipped_parts_are_skipped() {
    let b = body();
    let mut form = Multipart::<_, 128, 512>::new(
        CT,
        Pieces {
            pieces: vec![&b],
            max: 5,
        },
    )
    .unwrap();
    let names = run(async {
        let mut names = Vec::new();
        while let Some(part) = form.next_part().await.unwrap() {
            names.push(String::from(part.name()));
        }
        names
    });
    assert_eq!(names, ["sha256", "firmware", "empty"]);
    assert_eq!(form.total_bytes(), 6 + file_content().len() as u64);
}

#[test]
fn limits_answer_413() {
    let b = body();
    let file = file_content().len() as u64;
    let all = 6 + file;
    let limited = |limits: Limits| {
        let mut form = Multipart::<_, 1024, 512>::new(
            CT,
            Pieces {
                pieces: vec![&b],
                max: 64,
            },
        )
        .unwrap();
        form.set_limits(limits);
        run(read_all(&mut form)).map(|_| ())
    };
    assert_eq!(limited(Limits::DEFAULT), Ok(()));
    let part = limited(Limits {
        part: file - 1,
        ..Limits::DEFAULT
    })
    .unwrap_err();
    assert_eq!(part, MultipartError::TooLarge("multipart part too large"));
    assert_eq!(part.rejection().status, Status::PAYLOAD_TOO_LARGE);
    assert_eq!(
        limited(Limits {
            part: file,
            ..Limits::DEFAULT
        }),
        Ok(())
    );
    let total = limited(Limits {
        total: all - 1,
        ..Limits::DEFAULT
    })
    .unwrap_err();
    assert_eq!(total, MultipartError::TooLarge("multipart form too large"));
    assert_eq!(
        limited(Limits {
            total: all,
            ..Limits::DEFAULT
        }),
        Ok(())
    );
    let parts = limited(Limits {
        parts: 2,
        ..Limits::DEFAULT
    })
    .unwrap_err();
    assert_eq!(parts, MultipartError::TooLarge("too many multipart parts"));
}

#[test]
fn read_into_bounds_the_field() {
    let b = body();
    let mut form = Multipart::<_, 1024, 512>::new(
        CT,
        Pieces {
            pieces: vec![&b],
            max: 64,
        },
    )
    .unwrap();
    run(async {
        let mut part = form.next_part().await.unwrap().unwrap();
        let mut small = [0u8; 5];
        assert_eq!(
            part.read_into(&mut small).await,
            Err(MultipartError::TooLarge("multipart field too large"))
        );
    });
    let mut form = Multipart::<_, 1024, 512>::new(
        CT,
        Pieces {
            pieces: vec![&b],
            max: 64,
        },
    )
    .unwrap();
    run(async {
        let mut part = form.next_part().await.unwrap().unwrap();
        let mut fits = [0u8; 6];
        assert_eq!(part.read_into(&mut fits).await.unwrap(), b"abc123");
    });
}

fn status_of(ct: &[u8], body: &[u8]) -> Status {
    match Multipart::<_, 256, 512>::new(
        ct,
        Pieces {
            pieces: vec![body],
            max: usize::MAX,
        },
    ) {
        Err(e) => e.rejection().status,
        Ok(mut form) => match run(read_all(&mut form)) {
            Ok(_) => Status::OK,
            Err(e) => e.rejection().status,
        },
    }
}

#[test]
fn malformed_bodies_are_400() {
    let ok = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--";
    assert_eq!(status_of(b"multipart/form-data; boundary=b", ok), Status::OK);
    for ct in [
        &b"multipart/form-data"[..],
        b"multipart/form-data; boundary=",
        b"multipart/form-data; boundary=\"\"",
        b"multipart/form-data; boundary=a b",
        b"text/plain; boundary=b",
    ] {
        assert_eq!(
            status_of(ct, ok),
            Status::BAD_REQUEST,
            "{:?}",
            String::from_utf8_lossy(ct)
        );
    }
    let ct = b"multipart/form-data; boundary=b";
    for body in [
        &b""[..],
        b"--b\r\n\r\nx\r\n--b--", // no disposition
        b"--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--", // not form-data
        b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", // no name
        b"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", // bad quoting
        b"--b\r\nNo colon here\r\n\r\nx\r\n--b--",
        b"--b\r\nContent-Disposition: form-data; name=\"a\"\n\nx\r\n--b--", // bare LF
        b"--b\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nx\r\n--b--", // not UTF-8
        b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b", // no close
        b"just text, no delimiter at all",
    ] {
        assert_eq!(
            status_of(ct, body),
            Status::BAD_REQUEST,
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    // A header line longer than the parser's line buffer.
    let mut long = b"--b\r\nContent-Disposition: form-data; name=\"".to_vec();
    long.extend(core::iter::repeat_n(b'n', 600));
    long.extend_from_slice(b"\"\r\n\r\nx\r\n--b--");
    assert_eq!(status_of(ct, &long), Status::BAD_REQUEST);
    // A name longer than the room kept for part headers.
    let mut name = b"--b\r\nContent-Disposition: form-data; name=\"".to_vec();
    name.extend(core::iter::repeat_n(b'n', 300));
    name.extend_from_slice(b"\"\r\n\r\nx\r\n--b--");
    assert_eq!(status_of(ct, &name), Status::BAD_REQUEST);
}

#[test]
fn body_errors_keep_their_status() {
    struct Broken;
    impl Source for Broken {
        async fn read(&mut self, _: &mut [u8]) -> Result<usize, BodyError> {
            Err(BodyError::TooLarge)
        }
    }
    let mut form = Multipart::<_, 256, 512>::new(b"multipart/form-data; boundary=b", Broken).unwrap();
    let err = run(form.next_part()).err().unwrap();
    assert_eq!(err.rejection().status, Status::PAYLOAD_TOO_LARGE);
}
