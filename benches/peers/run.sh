#!/usr/bin/env bash
# Side-by-side benchmark of ferrodot against its peers (see the README,
# "Performance"). Each server is pinned to core 0 with one worker thread,
# wrk -t1 to core 1; loopback only; every wrk run is bounded (-d); servers
# are started and stopped by PID. Prints Markdown tables.
#
#   bash benches/peers/run.sh                        # everything (~5 minutes)
#   DURATION=2 ROUNDS=1 bash benches/peers/run.sh    # a quick look
#   ONLY="ferrodot nginx" bash benches/peers/run.sh  # some contestants
#   WORKLOADS="W2" bash benches/peers/run.sh         # some workloads
#   LOAD=0 bash benches/peers/run.sh                 # instruction counts only
#   CALLGRIND=0 bash benches/peers/run.sh            # load runs only
#   PEERS_TARGET_DIR=DIR                             # build directory (default benches/peers/target)
#   OUT=DIR                                          # keep the raw results there
#   UPLOAD=0 bash benches/peers/run.sh               # without the 100 MiB upload (upload.sh)
#   NGINX_SENDFILE=off bash benches/peers/run.sh     # nginx copies files through user space too
#
# Workloads: W1 keep-alive GET /status (c32), W2 GET /status with
# `Connection: close` (c8, a new connection per request), W3 keep-alive
# GET /user/bob?x=1 (c32), W4 keep-alive POST /echo, 190-byte JSON (c32),
# W5 keep-alive HTTPS GET /status (c32), W6 HTTPS GET /status with
# `Connection: close` (c8: a new TLS 1.3 handshake per request, P-256
# certificate, X25519 key exchange for both servers), served by
# ferrodot-tls (rustls + ring) and nginx-tls (OpenSSL), same certificate.
# W7 keep-alive GET /static/app.js with `Accept-Encoding: gzip` (c32): a
# 124 KB script whose 19.5 KB gzip copy ferrodot serves from its build-time
# asset table (ETag, Vary) and nginx from the same file with `gzip_static on`
# (sendfile, open_file_cache: from the page cache, its best static setup).
# Instruction counts: ir-ferrodot and ir-picoserve serve N keep-alive
# requests over an in-memory socket under callgrind.
# Clients (CLIENTS=1): ferrodot's client Connection and hyper 1.x's http1
# connection each make sequential keep-alive GET /status requests to nginx
# for DURATION seconds (req/s and req per client CPU-second), and N
# requests against a canned nginx response in memory under callgrind.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# Its own build directory (the peers are a workspace of their own).
export CARGO_TARGET_DIR=${PEERS_TARGET_DIR:-$HERE/target}
BIN="$CARGO_TARGET_DIR/release"
DURATION=${DURATION:-4}
ROUNDS=${ROUNDS:-2}
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
LOAD=${LOAD:-1}
CALLGRIND=${CALLGRIND:-1}
CLIENTS=${CLIENTS:-1}
ONLY=${ONLY:-"ferrodot ceiling nginx picoserve axum actix microdot nginx-deferred ferrodot-nodefer ferrodot-tls nginx-tls"}
WORKLOADS=${WORKLOADS:-"W1 W2 W3 W4 W5 W6 W7"}
OUT=${OUT:-$(mktemp -d /tmp/ferrodot-peers.XXXXXX)}
mkdir -p "$OUT"
echo "results in $OUT" >&2

# --- tools -------------------------------------------------------------
need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
[ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v valgrind >/dev/null || need_apt+=(valgrind)
command -v curl >/dev/null || need_apt+=(curl)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v taskset >/dev/null || need_apt+=(util-linux)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing ${need_apt[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
fi
if [ ! -x "$HERE/python/.venv/bin/python" ]; then
    rm -rf "$HERE/python/.venv"
    python3 -m venv "$HERE/python/.venv" >&2
    "$HERE/python/.venv/bin/pip" install -q -r "$HERE/python/requirements.txt" >&2
fi
(cd "$HERE" && cargo build --release --quiet) >&2
# W7's file, byte for byte what ferrodot serves, for nginx's gzip_static.
ASSET_DIR="$OUT/static"
mkdir -p "$ASSET_DIR"
chmod 755 "$OUT" "$ASSET_DIR"  # nginx's worker runs as another user
"$BIN/peer-ferrodot" --dump-assets "$ASSET_DIR"
# One ECDSA P-256 certificate for both HTTPS servers.
CERTS="$OUT/certs"
mkdir -p "$CERTS"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$CERTS/key.pem" -out "$CERTS/cert.pem" -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null

# --- helpers -----------------------------------------------------------
PIDS_STARTED=()
cleanup() {
    for p in "${PIDS_STARTED[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# The server process and its children (nginx's worker).
pids_of() { echo "$1"; ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true; }
# Busy ticks of the whole machine (both cores): what other processes take
# during a run shows up as the difference to server + wrk.
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# utime+stime ticks summed over a server's processes (all threads).
cpu_ticks() {
    local t=0 p s
    for p in $(pids_of "$1"); do
        s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        s=${s##*) }
        set -- $s
        t=$((t + ${12} + ${13}))
    done
    echo $t
}
# Peak RSS (VmHWM, KiB) summed over a server's processes.
peak_rss() {
    local t=0 p v
    for p in $(pids_of "$1"); do
        v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        t=$((t + ${v:-0}))
    done
    echo $t
}
passive_opens() { awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i; h = 1 } else print $c }' /proc/net/snmp; }
now() { date +%s.%N; }

wait_port() {
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

nginx_conf() { # name port [listen flags]
    local dir="$OUT/$1" tls=""
    mkdir -p "$dir"
    case " ${3:-} " in
        *" ssl "*) tls="ssl_certificate $CERTS/cert.pem; ssl_certificate_key $CERTS/key.pem; ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:1m;" ;;
    esac
    cat > "$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path $dir/body;
    default_type application/json;
    sendfile ${NGINX_SENDFILE:-on};
    open_file_cache max=16;
    server {
        listen 127.0.0.1:$2${3:+ $3};
        $tls
        location = /status { return 200 '{"frames":123,"triggers":4}'; }
        location /static/ { alias $ASSET_DIR/; gzip_static on; types { text/javascript js; } }
    }
}
EOF
}

start_server() { # name port -> sets SERVER_PID
    local name=$1 port=$2
    case $name in
        nginx) nginx_conf "$name" "$port"; taskset -c "$SERVER_CORE" /usr/sbin/nginx -p "$OUT/$name" -c "$OUT/$name/nginx.conf" 2>>"$OUT/server.log" & ;;
        # ferrodot defers accepting until data arrives (TCP_DEFER_ACCEPT) by
        # default, nginx does not: each is also run the other way, for
        # like-for-like comparisons.
        nginx-deferred) nginx_conf "$name" "$port" deferred; taskset -c "$SERVER_CORE" /usr/sbin/nginx -p "$OUT/$name" -c "$OUT/$name/nginx.conf" 2>>"$OUT/server.log" & ;;
        nginx-tls) nginx_conf "$name" "$port" ssl; taskset -c "$SERVER_CORE" /usr/sbin/nginx -p "$OUT/$name" -c "$OUT/$name/nginx.conf" 2>>"$OUT/server.log" & ;;
        ferrodot-tls) taskset -c "$SERVER_CORE" "$BIN/peer-ferrodot" "$port" --tls "$CERTS/cert.pem" "$CERTS/key.pem" >>"$OUT/server.log" 2>&1 & ;;
        ferrodot-nodefer) taskset -c "$SERVER_CORE" "$BIN/peer-ferrodot" "$port" --no-defer-accept >>"$OUT/server.log" 2>&1 & ;;
        microdot) taskset -c "$SERVER_CORE" "$HERE/python/.venv/bin/python" "$HERE/python/app.py" "$port" >>"$OUT/server.log" 2>&1 & ;;
        *) taskset -c "$SERVER_CORE" "$BIN/peer-$name" "$port" >>"$OUT/server.log" 2>&1 & ;;
    esac
    SERVER_PID=$!
    PIDS_STARTED+=("$SERVER_PID")
    wait_port "$port" || { echo "$name did not start on port $port" >&2; return 1; }
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}

# The workloads a contestant serves: nginx has only /status (it cannot
# parse a path parameter or a JSON body without a scripting module).
# The other-way-round pair runs the new-connection workload only (it
# changes nothing on a kept-alive connection).
workloads_of() { case $1 in nginx) echo W1 W2 W7 ;; ferrodot) echo W1 W2 W3 W4 W7 ;; nginx-deferred | ferrodot-nodefer) echo W2 ;; *-tls) echo W5 W6 ;; *) echo W1 W2 W3 W4 ;; esac; }

check_routes() { # name port -> "ok", "fixed bytes" or what failed
    local base="http://127.0.0.1:$2" bad=""
    case $1 in *-tls) base="https://127.0.0.1:$2" ;; esac
    curl -s -m 2 --cacert "$CERTS/cert.pem" "$base/status" | grep -q '"frames": *123' || bad+=" /status"
    case $1 in
        ferrodot | nginx)
            # W7: the same gzip bytes from both, announced as gzip.
            curl -s -m 2 -H 'Accept-Encoding: gzip' -D "$OUT/w7-head.$1.txt" -o "$OUT/w7-body.$1.gz" "$base/static/app.js"
            cmp -s "$OUT/w7-body.$1.gz" "$ASSET_DIR/app.js.gz" && grep -qi '^content-encoding: gzip' "$OUT/w7-head.$1.txt" \
                && grep -qi '^etag:' "$OUT/w7-head.$1.txt" || bad+=" /static/app.js"
            ;;
    esac
    case $1 in
        *-tls) echo "${bad:-ok (HTTPS /status)}"; return ;;
        nginx) echo "${bad:-ok (/status, /static/app.js)}"; return ;;
        nginx*) echo "${bad:-ok (/status only)}"; return ;;
        ceiling) echo "${bad:-fixed bytes}"; return ;;
    esac
    curl -s -m 2 "$base/user/bob?x=1" | grep -q '"name": *"bob"' || bad+=" /user"
    curl -s -m 2 -H 'Content-Type: application/json' --data-binary @"$HERE/echo.json" "$base/echo" | grep -q '"id": *7' || bad+=" /echo"
    echo "${bad:-ok}"
}

{
    echo 'wrk.method = "POST"'
    echo 'wrk.headers["Content-Type"] = "application/json"'
    echo "wrk.body = [==[$(cat "$HERE/echo.json")]==]"
} > "$OUT/post.lua"

run_wrk() { # round name port workload
    local round=$1 name=$2 port=$3 w=$4 args
    case $w in
        W1) args=(-c32 "http://127.0.0.1:$port/status") ;;
        W2) args=(-c8 -H "Connection: close" "http://127.0.0.1:$port/status") ;;
        W3) args=(-c32 "http://127.0.0.1:$port/user/bob?x=1") ;;
        W4) args=(-c32 -s "$OUT/post.lua" "http://127.0.0.1:$port/echo") ;;
        W5) args=(-c32 "https://127.0.0.1:$port/status") ;;
        W6) args=(-c8 -H "Connection: close" "https://127.0.0.1:$port/status") ;;
        W7) args=(-c32 -H "Accept-Encoding: gzip" "http://127.0.0.1:$port/static/app.js") ;;
    esac
    local c0 o0 t0 m0 c1 o1 t1 m1 wrk_s
    c0=$(cpu_ticks "$SERVER_PID"); o0=$(passive_opens); m0=$(machine_busy); t0=$(now)
    /usr/bin/time -f '%U %S' -o "$OUT/wrk-cpu.txt" taskset -c "$CLIENT_CORE" wrk -t1 -d"${DURATION}s" --latency "${args[@]}" > "$OUT/wrk.$round.$name.$w.txt" 2>&1 || true
    c1=$(cpu_ticks "$SERVER_PID"); o1=$(passive_opens); m1=$(machine_busy); t1=$(now)
    wrk_s=$(awk 'END { print $1 + $2 }' "$OUT/wrk-cpu.txt")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$w" "$((c1 - c0))" "$((o1 - o0))" "$(awk "BEGIN { print $t1 - $t0 }")" "$((m1 - m0))" "$wrk_s" >> "$OUT/runs.tsv"
}

# --- load runs ----------------------------------------------------------
if [ "$LOAD" = 1 ]; then
    : > "$OUT/runs.tsv"; : > "$OUT/servers.tsv"
    echo "clk_tck $(getconf CLK_TCK)" > "$OUT/meta"
    # Every contestant of a round runs at the same time (idle ones cost
    # nothing) and the workloads go round the contestants one after the
    # other: the runs being compared are seconds apart, so the host's drift
    # shows up between rounds, not between contestants.
    declare -A PID_OF PORT_OF ROUTES_OF
    for round in $(seq 1 "$ROUNDS"); do
        port=18080
        for name in $ONLY; do
            port=$((port + 1))
            start_server "$name" "$port"
            PID_OF[$name]=$SERVER_PID; PORT_OF[$name]=$port
            ROUTES_OF[$name]=$(check_routes "$name" "$port")
            # Warm up (caches, page faults, nginx's worker) for a second.
            scheme=http; case $name in *-tls) scheme=https ;; esac
            taskset -c "$CLIENT_CORE" wrk -t1 -c32 -d1s "$scheme://127.0.0.1:$port/status" >/dev/null 2>&1 || true
        done
        for w in $WORKLOADS; do
            echo "round $round: $w" >&2
            for name in $ONLY; do
                case " $(workloads_of "$name") " in *" $w "*) ;; *) continue ;; esac
                SERVER_PID=${PID_OF[$name]}
                run_wrk "$round" "$name" "${PORT_OF[$name]}" "$w"
            done
        done
        for name in $ONLY; do
            SERVER_PID=${PID_OF[$name]}
            printf '%s\t%s\t%s\t%s\n' "$round" "$name" "$(peak_rss "$SERVER_PID")" "${ROUTES_OF[$name]}" >> "$OUT/servers.tsv"
            stop_server
        done
    done
fi

# --- clients: one keep-alive connection, sequential GET /status to nginx --
if [ "$CLIENTS" = 1 ]; then
    : > "$OUT/client.tsv"
    nginx_conf nginx-for-clients 18180
    taskset -c "$SERVER_CORE" /usr/sbin/nginx -p "$OUT/nginx-for-clients" -c "$OUT/nginx-for-clients/nginx.conf" 2>>"$OUT/server.log" &
    SERVER_PID=$!
    PIDS_STARTED+=("$SERVER_PID")
    wait_port 18180
    for round in $(seq 1 "$ROUNDS"); do
        for name in ferrodot hyper; do
            echo "round $round: client-$name" >&2
            # The client's own CPU time (user + system) beside its req/s.
            line=$( { /usr/bin/time -f '%U %S' taskset -c "$CLIENT_CORE" "$BIN/client-$name" net 127.0.0.1:18180 "$DURATION" ; } 2>"$OUT/client-time.$name" )
            cpu=$(tail -1 "$OUT/client-time.$name" | awk '{ print $1 + $2 }')
            printf '%s\t%s\t%s\n' "$round" "$line" "$cpu" >> "$OUT/client.tsv"
        done
    done
    stop_server
    : > "$OUT/client-ir.tsv"
    if [ "$CALLGRIND" = 1 ]; then
        for name in ferrodot hyper; do
            "$BIN/client-$name" ir 3 check > /dev/null 2> "$OUT/client-ir-check.$name.txt" || { echo "client-$name: check failed" >&2; cat "$OUT/client-ir-check.$name.txt" >&2; }
            irs=()
            for n in 1000 11000; do
                valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.client-$name.$n.out" "$BIN/client-$name" ir "$n" 2> /dev/null > /dev/null
                irs+=("$(awk '/^(summary|totals):/ {print $2; exit}' "$OUT/callgrind.client-$name.$n.out")")
            done
            printf '%s\t%s\t%s\n' "$name" "${irs[0]}" "${irs[1]}" >> "$OUT/client-ir.tsv"
        done
    fi
fi

# --- instruction counts (callgrind) --------------------------------------
if [ "$CALLGRIND" = 1 ]; then
    : > "$OUT/ir.tsv"
    for name in ferrodot picoserve; do
        for w in status user echo; do
            "$BIN/ir-$name" "$w" 3 check > /dev/null 2> "$OUT/ir-check.$name.$w.txt" || { echo "ir-$name $w: check failed" >&2; cat "$OUT/ir-check.$name.$w.txt" >&2; }
            # Two runs, N = 1000 and 11000: the difference / 10000 is the cost
            # per request, without start-up and the first request's faults.
            irs=()
            for n in 1000 11000; do
                valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$name.$w.$n.out" "$BIN/ir-$name" "$w" "$n" 2> "$OUT/callgrind.$name.$w.$n.log" > /dev/null
                irs+=("$(awk '/^(summary|totals):/ {print $2; exit}' "$OUT/callgrind.$name.$w.$n.out")")
            done
            printf '%s\t%s\t%s\t%s\n' "$name" "$w" "${irs[0]}" "${irs[1]}" >> "$OUT/ir.tsv"
        done
    done
fi

python3 "$HERE/report.py" "$OUT" "$DURATION"

# A 100 MiB upload to the host demo: MiB/s and peak RSS (upload.sh builds
# the demo in the repository's own target directory).
if [ "${UPLOAD:-1}" = 1 ]; then
    echo
    env -u CARGO_TARGET_DIR SERVER_CORE="$SERVER_CORE" CLIENT_CORE="$CLIENT_CORE" bash "$HERE/upload.sh"
fi
