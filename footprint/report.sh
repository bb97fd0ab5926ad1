#!/usr/bin/env bash
# Footprint report: builds the eight variants (seven servers, one client) for thumbv7em-none-eabihf
# (opt-level z, fat LTO, one codegen unit, panic abort), runs each under
# QEMU (mps2-an386, a Cortex-M4F) where it serves its canned requests over
# an in-memory socket and prints the size of its connection future, then
# prints a Markdown table against the budgets of DESIGN.md.
#
# Then the same for the peers (`peers/`, a crate of its own): picoserve and
# edge-http versions of hello and json3 over a no-HTTP baseline of their
# own, the same socket, requests and profile, and a second table that puts
# ferrodot's figures next to theirs as ratios from this one run.
#
# Last, the device's throughput ratio (ferrodot vs a hand-written responder
# on the same embassy-net stack), as tests/qemu/test_firmware.py measured it.
#
# Fails if a build fails or a variant does not answer its requests.
# Budgets are reported (OK/OVER), never asserted; nor is any ratio.
set -euo pipefail
cd "$(dirname "$0")"

TARGET=thumbv7em-none-eabihf
# 1 KB = 1000 B, as in the peer figures next to the budgets in DESIGN.md.
BUDGET_HELLO=12000      # flash over the baseline, hello route
BUDGET_JSON3=18000      # flash over the baseline, 3 JSON routes
BUDGET_PER_ROUTE=300    # flash per extra route
BUDGET_MIDDLEWARE=4000  # flash of sessions + auth + CORS over json3
BUDGET_FUTURE=1000      # connection future, RAM besides the user's buffers
BUDGET_ASSETS=2000      # flash of the asset server (assets − static_route, one tiny asset)
EXTRA_ROUTES=17         # json20 has 17 routes more than json3

log() { printf '%s\n' "$*" >&2; }

apt_updated=0
apt_install() {
    command -v apt-get >/dev/null || return 1
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq >/dev/null 2>&1 || true
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

# --- tools -----------------------------------------------------------------
rustup target add "$TARGET" >/dev/null 2>&1 || true
host=$(rustc -vV | sed -n 's/^host: //p')
llvm_bin="$(rustc --print sysroot)/lib/rustlib/$host/bin"
if [ ! -x "$llvm_bin/llvm-size" ]; then
    rustup component add llvm-tools >/dev/null 2>&1 || true
fi
if [ -x "$llvm_bin/llvm-size" ]; then
    SIZE="$llvm_bin/llvm-size"
    NM="$llvm_bin/llvm-nm"
else
    # No llvm-tools for this toolchain: Debian's binutils for Arm.
    command -v arm-none-eabi-size >/dev/null || apt_install binutils-arm-none-eabi \
        || { log "footprint: found neither llvm-tools nor arm-none-eabi-size"; exit 1; }
    SIZE=arm-none-eabi-size
    NM=arm-none-eabi-nm
fi
if ! command -v qemu-system-arm >/dev/null; then
    apt_install qemu-system-arm || log "footprint: qemu-system-arm could not be installed; future sizes will be n/a"
fi

# --- build -----------------------------------------------------------------
tdir="${CARGO_TARGET_DIR:-../target}"
out="$tdir/$TARGET/release"
logs="$tdir/footprint"
mkdir -p "$logs"
log "footprint: building baseline, hello, json3, json20, json3_guarded, static_route, assets, client for $TARGET"
# hello once more with the minimal feature set (no chunked request bodies,
# no JSON error bodies), copied aside before the full build replaces it.
if ! cargo build --release --bin hello --no-default-features >"$logs/build-minimal.txt" 2>&1; then
    cat "$logs/build-minimal.txt" >&2
    log "footprint: build of hello_minimal failed"
    exit 1
fi
cp "$out/hello" "$out/hello_minimal"
if ! cargo build --release --bins >"$logs/build.txt" 2>&1; then
    cat "$logs/build.txt" >&2
    log "footprint: build failed"
    exit 1
fi

PEERS=(peers_baseline picoserve_hello picoserve_json3 edge_hello edge_json3)
log "footprint: building ${PEERS[*]} (peers/) for $TARGET"
# peers/.cargo/config.toml names the same target dir (and CARGO_TARGET_DIR,
# if set, applies to both), so the images land next to ferrodot's.
if ! (cd peers && cargo build --release --bins) >"$logs/build-peers.txt" 2>&1; then
    cat "$logs/build-peers.txt" >&2
    log "footprint: build of the peers failed"
    exit 1
fi

section() { "$SIZE" -A "$1" | awk -v s="$2" '$1 == s { n = $2 } END { print n + 0 }'; }

declare -A text rodata flash future ram
for v in baseline hello hello_minimal json3 json20 json3_guarded static_route assets client "${PEERS[@]}"; do
    elf="$out/$v"
    [ -f "$elf" ] || { log "footprint: $elf was not built"; exit 1; }
    text[$v]=$(section "$elf" .text)
    rodata[$v]=$(section "$elf" .rodata)
    flash[$v]=$((text[$v] + rodata[$v]))
    ram[$v]=$(($(section "$elf" .data) + $(section "$elf" .bss)))
done

# --- run under QEMU --------------------------------------------------------
# Each binary serves (or, for the baseline, echoes) the same canned
# requests, prints `future=<size_of_val of its connection future>`, the
# bytes it wrote back, and exits through semihosting.
expect_hello=('HTTP/1.1 200 OK' 'hello')
expect_json=('hello' '{"id":7,"on":true}' 'HTTP/1.1 204 No Content')
for v in baseline hello hello_minimal json3 json20 json3_guarded static_route assets client "${PEERS[@]}"; do
    future[$v]="n/a"
    command -v qemu-system-arm >/dev/null || continue
    rc=0
    timeout 60 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic -monitor none -serial none \
        -semihosting-config enable=on,target=native -kernel "$out/$v" >"$logs/$v.txt" 2>&1 || rc=$?
    if [ "$rc" != 0 ] || ! grep -q '^result=ok' "$logs/$v.txt"; then
        log "footprint: $v failed under QEMU (exit $rc):"
        cat "$logs/$v.txt" >&2
        exit 1
    fi
    case $v in
        hello | hello_minimal) expect=("${expect_hello[@]}") ;;
        json3 | json20) expect=("${expect_json[@]}") ;;
        json3_guarded) expect=('hello' 'Access-Control-Allow-Origin: http://panel.local' 'Set-Cookie: session=' '{"id":7,"on":true}' 'HTTP/1.1 204 No Content') ;;
        static_route) expect=('hello' 'asset body') ;;
        assets) expect=('hello' 'Content-Encoding: gzip' 'HTTP/1.1 304 Not Modified' 'Content-Range: bytes 0-4/10' 'asset') ;;
        client) expect=('GET /api/led/7 HTTP/1.1' 'Host: dev') ;;
        *_hello) expect=('HTTP/1.1 200' 'hello') ;;
        *_json3) expect=('HTTP/1.1 200' 'hello' '{"id":7,"on":true}' 'HTTP/1.1 204') ;;
        *) expect=('POST /api/led/7') ;;
    esac
    for e in "${expect[@]}"; do
        grep -qF -- "$e" "$logs/$v.txt" || { log "footprint: $v did not answer with '$e':"; cat "$logs/$v.txt" >&2; exit 1; }
    done
    future[$v]=$(sed -n 's/^future=//p' "$logs/$v.txt")
done

# --- table -----------------------------------------------------------------
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }
verdict() { awk -v x="$1" -v max="$2" 'BEGIN { print (x <= max) ? "OK" : "OVER" }'; }
signed() { if [ "$1" -ge 0 ]; then printf '+%s B (%s)' "$1" "$(kb "$1")"; else printf '%s B' "$1"; fi; }

base=${flash[baseline]}
d_hello=$((flash[hello] - base))
d_json3=$((flash[json3] - base))
d_json20=$((flash[json20] - base))
d_client=$((flash[client] - base))
d_guarded=$((flash[json3_guarded] - flash[json3]))
d_assets=$((flash[assets] - flash[static_route]))
per_route=$(awk -v a="${flash[json20]}" -v b="${flash[json3]}" -v n="$EXTRA_ROUTES" 'BEGIN { printf "%.0f", (a - b) / n }')

report() {
    echo "## ferrodot footprint, $TARGET (opt-level z, fat LTO, codegen-units 1, panic abort)"
    echo
    echo "| variant | .text | .rodata | .text+.rodata | over baseline | budget | | connection future |"
    echo "|---|---:|---:|---:|---:|---|---|---:|"
    echo "| baseline (no HTTP: socket, poll loop, output) | ${text[baseline]} | ${rodata[baseline]} | ${flash[baseline]} | — | | | — |"
    echo "| hello (GET / → hello) | ${text[hello]} | ${rodata[hello]} | ${flash[hello]} | $(signed $d_hello) | ≤ $(kb $BUDGET_HELLO) | $(verdict $d_hello $BUDGET_HELLO) | ${future[hello]} B |"
    echo "| hello_minimal (hello without the features chunked-requests and json-errors) | ${text[hello_minimal]} | ${rodata[hello_minimal]} | ${flash[hello_minimal]} | $(signed $((flash[hello_minimal] - base))) | ≤ $(kb $BUDGET_HELLO) | $(verdict $((flash[hello_minimal] - base)) $BUDGET_HELLO) | ${future[hello_minimal]} B |"
    echo "| json3 (hello + GET/POST /api/led/:id JSON) | ${text[json3]} | ${rodata[json3]} | ${flash[json3]} | $(signed $d_json3) | ≤ $(kb $BUDGET_JSON3) | $(verdict $d_json3 $BUDGET_JSON3) | ${future[json3]} B |"
    echo "| json20 (json3 + 17 routes) | ${text[json20]} | ${rodata[json20]} | ${flash[json20]} | $(signed $d_json20) | | | ${future[json20]} B |"
    echo "| json3_guarded (json3 + CORS, Basic/session auth, signed login cookie) | ${text[json3_guarded]} | ${rodata[json3_guarded]} | ${flash[json3_guarded]} | $(signed $((flash[json3_guarded] - base))) | | | ${future[json3_guarded]} B |"
    echo "| static_route (hello + a second group, GET /static/:path* → fixed bytes) | ${text[static_route]} | ${rodata[static_route]} | ${flash[static_route]} | $(signed $((flash[static_route] - base))) | | | ${future[static_route]} B |"
    echo "| assets (hello + GET /static/* over a one-file table: gzip, 304, 206) | ${text[assets]} | ${rodata[assets]} | ${flash[assets]} | $(signed $((flash[assets] - base))) | | | ${future[assets]} B |"
    echo "| client (one GET, JSON body parsed; no server) | ${text[client]} | ${rodata[client]} | ${flash[client]} | $(signed $d_client) | | | ${future[client]} B |"
    echo
    echo "| measure | value | budget | |"
    echo "|---|---:|---|---|"
    echo "| flash per extra route, (json20 − json3) / $EXTRA_ROUTES | $per_route B | ≤ $BUDGET_PER_ROUTE B | $(verdict "$per_route" $BUDGET_PER_ROUTE) |"
    echo "| middleware: sessions + auth + CORS, json3_guarded − json3 | $d_guarded B | ≤ $BUDGET_MIDDLEWARE B | $(verdict "$d_guarded" $BUDGET_MIDDLEWARE) |"
    echo "| asset server: assets − static_route (one 10-byte file, two copies) | $d_assets B | ≤ $BUDGET_ASSETS B | $(verdict "$d_assets" $BUDGET_ASSETS) |"
    if [ "${future[json3]}" = "n/a" ]; then
        echo "| connection future, json3 (size_of_val on the target) | n/a (no QEMU) | ≤ $BUDGET_FUTURE B | — |"
    else
        echo "| connection future, json3 (size_of_val on the target) | ${future[json3]} B | ≤ $BUDGET_FUTURE B | $(verdict "${future[json3]}" $BUDGET_FUTURE) |"
    fi
    echo
    echo "1 KB = 1000 B. The baseline's own poll-loop future is ${future[baseline]} B. Buffers (rx 1024 B, tx 512 B) are the caller's and not counted, nor are the canned requests (input, in section .canned_request)."
}
report | tee "$logs/report.md"

# --- the peers, side by side -----------------------------------------------
# Each server's flash is over its own crate's baseline (footprint's for
# ferrodot, peers_baseline for the peers: the same code, built alike), so
# each figure is what the HTTP server and the app cost.
version() { awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' peers/Cargo.lock; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && b > 0) printf "%.2f", a / b; else print "—" }'; }
bytes() { if [ "$1" = "n/a" ]; then echo "n/a"; else echo "$1 B"; fi; }
# One row: label, then ferrodot's, picoserve's and edge-http's values.
row() { echo "| $1 | $(bytes "$2") | $(bytes "$3") | $(bytes "$4") | $(ratio "$2" "$3") | $(ratio "$2" "$4") |"; }

pbase=${flash[peers_baseline]}
declare -A over
for s in hello json3; do
    over[ferrodot_$s]=$((flash[$s] - base))
    over[picoserve_$s]=$((flash[picoserve_$s] - pbase))
    over[edge_$s]=$((flash[edge_$s] - pbase))
done
peers_report() {
    echo "## ferrodot and its peers: picoserve $(version picoserve), edge-http $(version edge-http)"
    echo
    echo "Same target, profile, socket and requests; ratio = ferrodot ÷ peer (below 1: ferrodot is smaller)."
    echo
    echo "| measure | ferrodot | picoserve | edge-http | ÷ picoserve | ÷ edge-http |"
    echo "|---|---:|---:|---:|---:|---:|"
    row "baseline (no HTTP), .text+.rodata" "$base" "$pbase" "$pbase"
    for s in hello json3; do
        row "$s: flash over baseline" "${over[ferrodot_$s]}" "${over[picoserve_$s]}" "${over[edge_$s]}"
    done
    row "json3 − hello: two JSON routes (GET with a u32 capture, POST with a JSON body)" \
        "$((over[ferrodot_json3] - over[ferrodot_hello]))" \
        "$((over[picoserve_json3] - over[picoserve_hello]))" \
        "$((over[edge_json3] - over[edge_hello]))"
    for s in hello json3; do
        row "$s: connection future" "${future[$s]}" "${future[picoserve_$s]}" "${future[edge_$s]}"
    done
    for s in hello json3; do
        row "$s: static RAM (.data+.bss)" "${ram[$s]}" "${ram[picoserve_$s]}" "${ram[edge_$s]}"
    done
    echo
    echo "Buffers are the caller's and not counted: ferrodot rx 1024 B + tx 512 B; picoserve a 1024 B request"
    echo "buffer, writing into the socket's (lent 512 B at a time); edge-http a 1024 B buffer, writing straight"
    echo "to the socket, at most 24 headers (ferrodot's limit). picoserve keeps connections alive (its default"
    echo "closes after one request) and runs on a timer that never fires; edge-http links a stub embassy-time"
    echo "driver (time stands at 0) and routes by hand, as it has no router. Static RAM is what a server keeps"
    echo "outside its future and those buffers. The peers' baseline future is ${future[peers_baseline]} B."
}
echo
peers_report | tee -a "$logs/report.md"

# --- device throughput -----------------------------------------------------
# Measured by the firmware stage (tests/qemu/test_firmware.py, which has the
# riscv32 image built and booted): printed here as that run wrote it, not
# measured again.
throughput="$tdir/qemu-virt/throughput.md"
echo
if [ -f "$throughput" ]; then
    { cat "$throughput"; echo; echo "(From tests/qemu/test_firmware.py's run of $(date -u -r "$throughput" '+%Y-%m-%d %H:%M UTC'), not measured here.)"; } \
        | tee -a "$logs/report.md"
else
    echo "## QEMU riscv32 virt throughput: not measured (no $throughput; python3 tests/qemu/test_firmware.py writes it)"
fi

echo
echo "### json3 under QEMU (mps2-an386): what it wrote back"
echo '```'
sed -n '/^----$/,/^----$/p' "$logs/json3.txt" | sed '1d;$d' | tr -d '\r'
echo '```'
echo
echo "### json3: largest symbols (inlined code counts in its caller)"
echo '```'
# (Through a file: `nm | head` would end nm with SIGPIPE under pipefail.)
"$NM" -C -S --size-sort -r "$out/json3" >"$logs/json3.nm"
grep -v ' __INTERRUPTS$' "$logs/json3.nm" | sed -n '1,15p' | while read -r _ size _ name; do
    printf '%6d  %s\n' "$((16#$size))" "$name"
done
echo '```'
