#!/usr/bin/env bash
# A 100 MiB firmware upload to the host demo (`POST /firmware`, see
# camera::ota): MiB/s, server CPU-seconds and the server's peak RSS
# (VmHWM), as a raw body with its SHA-256 header and as a multipart form.
# The demo is pinned to core 0, curl to core 1; loopback only; the demo is
# started and stopped by PID. Prints a Markdown table; asserts nothing but
# that each upload is answered 200 with "activated": true.
#
#   bash benches/peers/upload.sh            # 100 MiB
#   MIB=20 bash benches/peers/upload.sh     # a quick look
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MIB=${MIB:-100}
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
OUT=$(mktemp -d /tmp/ferrodot-upload.XXXXXX)

(cd "$ROOT" && cargo build --release --quiet -p demo) >&2
DEMO="${CARGO_TARGET_DIR:-$ROOT/target}/release/demo"

head -c "$((MIB << 20))" /dev/urandom > "$OUT/fw.bin"
SHA=$(sha256sum "$OUT/fw.bin" | cut -c1-64)

taskset -c "$SERVER_CORE" "$DEMO" --host 127.0.0.1 --port 0 --quiet \
    --firmware-dir "$OUT/slots" --firmware-max "$(((MIB + 1) << 20))" > "$OUT/demo.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 1 100); do
    grep -q "listening on" "$OUT/demo.log" && break
    sleep 0.1
done
URL="$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$OUT/demo.log" | head -n 1)/firmware"

ticks() { local s; s=$(cat "/proc/$PID/stat"); s=${s##*) }; set -- $s; echo $((${12} + ${13})); }
hz=$(getconf CLK_TCK)

echo "| upload of $MIB MiB | MiB/s | server CPU-s | server MiB/CPU-s | peak RSS before → after |"
echo "|---|---|---|---|---|"
run() { # label, curl args...
    local label=$1
    shift
    local rss0 c0 t0 t1 c1 rss1 body
    rss0=$(awk '/^VmHWM/ {print $2}' "/proc/$PID/status")
    c0=$(ticks)
    t0=$(date +%s.%N)
    body=$(taskset -c "$CLIENT_CORE" curl -sS --noproxy '*' --max-time 300 "$@" "$URL")
    t1=$(date +%s.%N)
    c1=$(ticks)
    rss1=$(awk '/^VmHWM/ {print $2}' "/proc/$PID/status")
    case $body in *'"activated":true'*) ;; *) echo "upload failed: $body" >&2; exit 1 ;; esac
    awk -v l="$label" -v m="$MIB" -v t="$(awk "BEGIN { print $t1 - $t0 }")" -v c="$(((c1 - c0)))" -v hz="$hz" \
        -v r0="$rss0" -v r1="$rss1" 'BEGIN {
            cpu = c / hz; printf "| %s | %.0f | %.2f | %s | %d KiB → %d KiB |\n", l, m / t, cpu,
            (cpu > 0 ? sprintf("%.0f", m / cpu) : "-"), r0, r1 }'
}
run "raw body, X-Firmware-SHA256" --data-binary "@$OUT/fw.bin" -H "X-Firmware-SHA256: $SHA"
run "multipart form, sha256 field" -F "firmware=@$OUT/fw.bin" -F "sha256=$SHA"
