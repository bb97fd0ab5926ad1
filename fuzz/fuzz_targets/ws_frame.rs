//! The WebSocket frame decoder fed arbitrary client bytes in arbitrary
//! pieces through a small buffer: no panic, tokens inside the buffer, and
//! messages no larger than the limit.
#![no_main]

use ferrodot::ws::frame::{encode_header, Decoder, Event, Opcode, Token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, input)) = data.split_first() else {
        return;
    };
    let buf_len = 16 + usize::from(cfg & 0x3f) * 4;
    let max_message = usize::from(cfg >> 6) * 40 + 8;
    let mut buf = vec![0u8; buf_len];
    let mut dec = Decoder::new(max_message, 0);
    let mut at = 0;
    let step = usize::from(cfg % 7) + 1;
    let mut rounds = 0;
    loop {
        rounds += 1;
        if rounds > 10_000 {
            break;
        }
        match dec.next(&mut buf) {
            Ok(Some(token)) => {
                let range = match &token {
                    Token::Text(r) | Token::Binary(r) | Token::Ping(r) | Token::Pong(r) | Token::Close(_, r) => {
                        r.clone()
                    }
                };
                assert!(range.end <= buf.len());
                if matches!(token, Token::Text(_) | Token::Binary(_)) {
                    assert!(range.len() <= max_message);
                }
                match token.event(&buf) {
                    Event::Text(t) => assert!(t.len() == range.len()),
                    Event::Close(_, reason) => assert!(reason.len() == range.len()),
                    _ => {}
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                assert!(e.code >= 1000);
                break;
            }
        }
        if at >= input.len() {
            break;
        }
        let space = match dec.space(&mut buf) {
            Ok(space) => space,
            Err(_) => break,
        };
        let n = step.min(space.len()).min(input.len() - at);
        space[..n].copy_from_slice(&input[at..at + n]);
        dec.filled(n);
        at += n;
    }
    // The encoder: every length gets a header the decoder's rules accept.
    let mut out = [0u8; 10];
    let len = input.len() * 997;
    let n = encode_header(true, Opcode::Binary, len, &mut out);
    assert!(matches!(n, 2 | 4 | 10));
});
