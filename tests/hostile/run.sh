#!/usr/bin/env bash
# Hostile clients against examples/echo on 127.0.0.1 (loopback only), each
# run bounded by slowhttptest's -l: slow headers (slowloris), slow body
# (R-U-Dead-Yet) and slow read. Throughout each run a normal client must
# be served; the slow connections must be closed by the server's timeouts
# (not by slowhttptest ending); the server's resident memory must stay
# under a bound. Only processes started here are stopped, by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v slowhttptest >/dev/null || { echo "slowhttptest is not installed (apt-get install slowhttptest)"; exit 1; }
command -v curl >/dev/null || { echo "curl is not installed"; exit 1; }
SECONDS_PER_RUN="${HOSTILE_SECONDS:-14}"
MAX_RSS_KB="${HOSTILE_MAX_RSS_KB:-65536}"

cargo build -q -p examples --example echo
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
"${CARGO_TARGET_DIR:-target}/debug/examples/echo" --host 127.0.0.1 --port "$port" >"$work/echo.log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do
    curl -s --noproxy '*' --max-time 1 -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done
url="http://127.0.0.1:$port/"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }

# A normal client, every 0.5 s, until told to stop: each must get its body back.
probe() {
    local out="$1" n=0
    while [ ! -e "$work/stop" ]; do
        n=$((n + 1))
        local t0 t1 body
        t0=$(date +%s%N)
        body=$(curl -s --noproxy '*' --max-time "$2" --data-binary "probe $n" "$url" || echo FAILED)
        t1=$(date +%s%N)
        echo "$n $(( (t1 - t0) / 1000000 )) $([ "$body" = "probe $n" ] && echo ok || echo FAIL) $(rss_kb)" >>"$out"
        sleep 0.5
    done
}

failed=0
run() {
    local name="$1" probe_limit="$2" must_close="$3"; shift 3
    rm -f "$work/stop" "$work/probe"
    probe "$work/probe" "$probe_limit" &
    local prober=$!
    slowhttptest "$@" -u "$url" -l "$SECONDS_PER_RUN" -g -o "$work/$name" >"$work/$name.out" 2>&1 || true
    touch "$work/stop"
    wait "$prober" || true
    local probes fails worst rss last
    probes=$(wc -l <"$work/probe")
    fails=$(grep -c FAIL "$work/probe" || true)
    worst=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$work/probe")
    rss=$(awk '{ if ($4 > m) m = $4 } END { print m + 0 }' "$work/probe")
    # slowhttptest's CSV: seconds, closed, pending, connected, service available.
    last=$(tail -n 1 "$work/$name.csv" 2>/dev/null || echo "?,?,?,?,?")
    local closed secs
    closed=$(echo "$last" | cut -d, -f2)
    secs=$(echo "$last" | cut -d, -f1)
    # slowhttptest stops early once the server has closed every connection.
    if [ "$secs" != "?" ] && [ "$secs" -lt $((SECONDS_PER_RUN - 1)) ]; then closed=all; fi
    printf '%-12s probes %3s, failed %s, slowest %5s ms, max RSS %6s kB, slowhttptest end (s,closed,pending,connected,available): %s\n' \
        "$name" "$probes" "$fails" "$worst" "$rss" "$last"
    if [ "$fails" != 0 ] || [ "$probes" -lt 3 ]; then echo "  FAIL: a normal client was not served"; failed=1; fi
    if [ "$rss" -gt "$MAX_RSS_KB" ]; then echo "  FAIL: RSS over $MAX_RSS_KB kB"; failed=1; fi
    if [ "$must_close" = yes ] && { [ "$closed" != all ] && { [ "${closed:-0}" = "?" ] || [ "${closed:-0}" -le 0 ]; }; }; then echo "  FAIL: no slow connection was closed by the server"; failed=1; fi
}

# Fewer slow connections than the server's limit (64): normal clients are
# served at once (2 s bound). Timeouts of examples/echo (Config::DEFAULT):
# head 10 s from the first byte, body 5 s per piece, write 10 s per drain.
run slow-headers 2 yes -H -c 40 -r 40 -i 3 -x 24 -p 3
run slow-body 2 yes -B -c 40 -r 40 -i 7 -s 65536 -x 10 -p 3
# Slow read: the echo's answers are small and fit the socket buffers, so
# this checks availability and memory; the write deadline is exercised by
# the Rust tests (slow reader of a large response).
run slow-read 2 no -X -c 40 -r 40 -w 64 -y 128 -n 12 -z 16 -k 4 -p 3
# More slow connections than the limit: the excess wait in the accept
# queue, so a normal client may wait for the head timeout to free a slot,
# (FIFO, behind slow connections that each hold a slot for up to the 10 s
# head timeout), so a normal client may wait a while, but is served (30 s
# bound), nothing is lost, and the slow ones are cut off.
run over-limit 30 yes -H -c 150 -r 150 -i 3 -x 24 -p 3

# The server survived all of it.
curl -s --noproxy '*' --max-time 5 --data-binary "still here" "$url" | grep -qx "still here" || { echo "FAIL: server not answering at the end"; failed=1; }
kill -0 "$server" || { echo "FAIL: server died"; failed=1; }
[ "$failed" = 0 ] && echo "hostile clients: all runs passed"
exit "$failed"
