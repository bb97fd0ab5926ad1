#!/usr/bin/env bash
# Run every fuzz target for a bounded time (libFuzzer -max_total_time) and
# fail on the first crash. `-s none`: no sanitizer, so stable Rust works.
# `-a` (debug assertions) turns on overflow checks: the arithmetic the
# library's lints allow as provably bounded is checked here.
#
#   bash fuzz/run.sh            # each target for $FUZZ_SECONDS (default 20)
#   FUZZ_SECONDS=300 bash fuzz/run.sh parse_head chunked
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-20}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

# Seed corpora: a few valid inputs so the run starts from real requests.
seed() { mkdir -p "corpus/$1"; printf '%b' "$3" > "corpus/$1/$2"; }
seed parse_head get '\x00GET /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n'
seed parse_head chunked '\x01POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
seed parse_diff_httparse get 'GET /a?b=c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n'
seed parse_diff_httparse abs 'OPTIONS http://h/x HTTP/1.0\r\nHost: x\r\n\r\n'
seed chunked body '\x03\x05\x01\x024;ext=1\r\nabcd\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n'
seed client_response chunked '\x07HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n'
seed client_response length '\x02HTTP/1.0 404 Not Found\r\nContent-Length: 3, 3\r\nConnection: keep-alive\r\n\r\nabcdef'
seed route star '/s/:x*/<int:n>\n/s/a/b/12'
seed route path '/p/<path:rest>\n/p/%41/b'
seed query form 'a=1&b=%20x+y&&c=%zz&d'
seed assets_headers range 'dbytes=0-9, 20-,-5'
seed assets_headers encoding 'dgzip;q=0.5, identity;q=0, *;q=0.1'
seed middleware cookie '\x00SID=31d4d96e407aad42; lang=en-US; q="a b"'
seed middleware basic '\x01Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='
seed middleware bearer '\x01Bearer mF_9.B5f-4.1JqM'
seed middleware session '\x0242'
seed middleware origin '\x03https://*.example.com\nhttps://a.example.com'
seed middleware base64 '\x04Zm9vYg=='
# dig's query for captive.apple.com A with its EDNS cookie; an mDNS PTR query.
seed portal_dns dig_cookie '\xbe\xef\x01\x20\x00\x01\x00\x00\x00\x00\x00\x01\x07captive\x05apple\x03com\x00\x00\x01\x00\x01\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x0c\x00\x0a\x00\x08\x5a\x3c\x11\x9e\x07\x44\xb2\x61'
seed portal_dns mdns_ptr '\x00\x07\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x06camera\x05local\x00\x00\x01\x00\x01\x05_http\x04_tcp\xc0\x13\x00\x0c\x00\x01'
seed multipart form '\x02\x05\x11\x00--b-1\r\nContent-Disposition: form-data; name="sha256"\r\n\r\nabc\r\n--b-1\r\nContent-Disposition: form-data; name="firmware"; filename="fw.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\r\n--b-\r\n--b-1--\r\n'
seed ws_frame text '\x41\x81\x85\x01\x02\x03\x04\x69\x67\x6f\x68\x6e\x89\x80\x00\x00\x00\x00\x88\x82\x00\x00\x00\x00\x03\xe8'

# A real certificate (DER, after the mode byte) for the TLS loader, made
# here with openssl: modes 1 (as the certificate) and 0 (PEM text).
if command -v openssl >/dev/null; then
    mkdir -p corpus/tls_pem
    cert_dir="$(mktemp -d)"
    if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$cert_dir/key.pem" \
        -out "$cert_dir/cert.pem" -days 2 -subj /CN=localhost >/dev/null 2>&1; then
        { printf '\x01'; openssl x509 -in "$cert_dir/cert.pem" -outform der; } >corpus/tls_pem/der
        { printf '\x00'; cat "$cert_dir/cert.pem"; printf '\x00'; cat "$cert_dir/key.pem"; } >corpus/tls_pem/pem
    fi
    rm -rf "$cert_dir"
fi

cargo fuzz build -s none -a --release 2>&1 | tail -n 3
status=0
for target in "${targets[@]}"; do
    log="$(mktemp)"
    printf '\n--- %s (%ss) ---\n' "$target" "$seconds"
    if cargo fuzz run -s none -a --release "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 >"$log" 2>&1; then
        runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
        rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
        cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)
        echo "$target: ok, $runs executions, $rate exec/s, $cov"
    else
        echo "$target: CRASH"
        grep -E -A 30 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -n 60 || tail -n 60 "$log"
        status=1
    fi
    rm -f "$log"
done
exit $status
