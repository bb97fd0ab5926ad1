#!/usr/bin/env bash
# Autobahn|Testsuite's fuzzing client against examples/ws_echo:
# cases 1-7, 9 (message sizes up to 4 MiB) and 10; compression (12-13) is
# out of scope. Fails if any case is FAILED; prints the summary.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYENV_ROOT="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
PY2="$PYENV_ROOT/versions/2.7.18/bin/python2.7"
if [ ! -x "$PY2" ]; then
    echo "autobahn: Python 2.7 not found at $PY2 (the suite needs it; pyenv install 2.7.18)" >&2
    exit 1
fi
if ! "$PY2" -c "import autobahntestsuite" 2>/dev/null; then
    "$PY2" -m pip install -q autobahntestsuite
fi
WSTEST="$(dirname "$PY2")/wstest"

cargo build -q --release --example ws_echo
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OUT=$(mktemp -d)
"${CARGO_TARGET_DIR:-target}/release/examples/ws_echo" --host 127.0.0.1 --port "$PORT" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q listening "$OUT/server.log" && break
    sleep 0.1
done
if ! grep -q listening "$OUT/server.log"; then
    echo "autobahn: ws_echo did not start:" >&2
    cat "$OUT/server.log" >&2
    exit 1
fi

cat > "$OUT/spec.json" <<SPEC
{
  "outdir": "$OUT/reports",
  "servers": [{"agent": "ferrodot", "url": "ws://127.0.0.1:$PORT/echo"}],
  "cases": ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*"],
  "exclude-cases": ["9.1.5", "9.1.6", "9.2.5", "9.2.6"],
  "exclude-agent-cases": {}
}
SPEC
(cd "$OUT" && timeout 1200 "$WSTEST" -m fuzzingclient -s spec.json > wstest.log 2>&1) || {
    echo "autobahn: wstest failed or timed out" >&2
    tail -20 "$OUT/wstest.log" >&2
    exit 1
}
python3 - "$OUT/reports/index.json" <<'PY'
import json, sys, collections
results = json.load(open(sys.argv[1])).get("ferrodot")
if not results:
    sys.exit("autobahn: no results for ferrodot (could the fuzzing client connect?)")
by = collections.Counter(r["behavior"] for r in results.values())
close = collections.Counter(r["behaviorClose"] for r in results.values())
print("Autobahn|Testsuite against ws_echo: %d cases" % len(results))
for k in sorted(by):
    print("  %-14s %d" % (k, by[k]))
failed = sorted((c for c, r in results.items() if r["behavior"] == "FAILED" or r["behaviorClose"] == "FAILED"),
                key=lambda c: [int(x) for x in c.split(".")])
for c in failed:
    print("  FAILED case %s: %s / close %s" % (c, results[c]["behavior"], results[c]["behaviorClose"]))
passed = len(results) - len(failed)
print("autobahn: %d passed, %d failed" % (passed, len(failed)))
sys.exit(1 if failed else 0)
PY
