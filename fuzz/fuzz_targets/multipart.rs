//! The multipart extractor's glue over nostd-multipart: never panics, and
//! yields the same parts (names, filenames, content) or the same error
//! whether the body arrives in one read or in pieces of any size, through
//! the smallest window or a large one.
#![no_main]

use core::pin::pin;
use core::task::{Context, Poll, Waker};

use ferrodot::multipart::{Limits, Multipart, MultipartError, Source};
use ferrodot::server::BodyError;
use libfuzzer_sys::fuzz_target;

struct Pieces<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    next: usize,
}

impl Source for Pieces<'_> {
    async fn read(&mut self, out: &mut [u8]) -> Result<usize, BodyError> {
        let size = match self.sizes.get(self.next % self.sizes.len().max(1)) {
            Some(&s) => usize::from(s).max(1),
            None => usize::MAX,
        };
        self.next += 1;
        let n = self.data.len().min(out.len()).min(size);
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn run<F: core::future::Future>(fut: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

type Parts = Vec<(String, Option<String>, Option<String>, Vec<u8>)>;

fn parse<const BUF: usize>(data: &[u8], sizes: &[u8], limits: Limits) -> Result<Parts, MultipartError> {
    let source = Pieces { data, sizes, next: 0 };
    let mut form = Multipart::<_, BUF, 256>::new(b"multipart/form-data; boundary=\"b-1\"", source)?;
    form.set_limits(limits);
    run(async {
        let mut parts = Vec::new();
        while let Some(mut part) = form.next_part().await? {
            let head = (
                part.name().to_string(),
                part.filename().map(String::from),
                part.content_type().map(String::from),
            );
            let mut content = Vec::new();
            // Every other part is skipped unread: its content must not leak
            // into the next one.
            if parts.len() % 2 == 0 {
                while let Some(piece) = part.chunk().await? {
                    assert!(!piece.is_empty() && piece.len() <= BUF);
                    content.extend_from_slice(piece);
                }
                assert_eq!(part.bytes_read(), content.len() as u64);
            }
            parts.push((head.0, head.1, head.2, content));
        }
        Ok(parts)
    })
}

fuzz_target!(|input: &[u8]| {
    // [n][n piece sizes][part limit][body]
    let Some((&n, rest)) = input.split_first() else { return };
    let n = usize::from(n % 8).min(rest.len());
    let (sizes, rest) = rest.split_at(n);
    let Some((&limit, body)) = rest.split_first() else {
        return;
    };
    let limits = Limits {
        part: if limit == 0 { u64::MAX } else { u64::from(limit) * 4 },
        ..Limits::DEFAULT
    };
    let whole = parse::<4096>(body, &[], limits);
    assert_eq!(parse::<128>(body, sizes, limits), whole);
    assert_eq!(parse::<200>(body, &[1], limits), whole);
});
