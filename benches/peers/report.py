"""Turn the raw results of run.sh (wrk outputs, CPU ticks, TCP opens,
callgrind totals) into Markdown tables with ratios to ferrodot.

usage: python3 report.py OUT_DIR [DURATION]
"""
import os
import re
import statistics
import sys
from collections import defaultdict

out = sys.argv[1]
WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7"]
WNAME = {"W1": "ka /status", "W2": "close /status", "W3": "ka /user", "W4": "ka POST /echo",
         "W5": "HTTPS ka /status", "W6": "HTTPS close /status", "W7": "ka gzip asset 19.5 KB"}
ORDER = ["ferrodot", "ceiling", "nginx", "picoserve", "axum", "actix", "microdot", "nginx-deferred", "ferrodot-nodefer",
         "ferrodot-tls", "nginx-tls"]
# The HTTPS rows are compared with ferrodot-tls (plain ferrodot serves no W5/W6).
REF = {"W5": "ferrodot-tls", "W6": "ferrodot-tls"}


def unit(v, u):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[u]


def parse_wrk(path):
    text = open(path).read()
    r = {"rps": 0.0, "p99": float("nan"), "requests": 0, "errors": 0, "non2xx": 0}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        r["rps"] = float(m.group(1))
    if m := re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\b", text, re.M):
        r["p99"] = unit(m.group(1), m.group(2))
    if m := re.search(r"(\d+) requests in", text):
        r["requests"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        r["errors"] = sum(int(x) for x in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        r["non2xx"] = int(m.group(1))
    return r


def fmt(v, digits=0):
    if v is None or v != v:
        return "–"
    return f"{v:,.{digits}f}"


def ratio(v):
    return "–" if v is None or v != v else f"{v:.2f}"


def cpu_cell(srv, wrk, other):
    if srv != srv:
        return "–"
    return f"{srv:.2f}/{wrk:.2f}/{other:.2f}"


def mean(xs):
    xs = [x for x in xs if x is not None and x == x]
    return statistics.mean(xs) if xs else float("nan")


def load_report():
    runs_path = os.path.join(out, "runs.tsv")
    if not os.path.exists(runs_path) or os.path.getsize(runs_path) == 0:
        return {}
    clk = 100
    if os.path.exists(os.path.join(out, "meta")):
        clk = int(open(os.path.join(out, "meta")).read().split()[1])
    # res[round][name][w] = dict
    res = defaultdict(lambda: defaultdict(dict))
    for line in open(runs_path):
        rnd, name, w, ticks, opens, wall, busy, wrk_s = line.rstrip("\n").split("\t")
        r = parse_wrk(os.path.join(out, f"wrk.{rnd}.{name}.{w}.txt"))
        wall = float(wall)
        r["cpu"] = int(ticks) / clk / wall  # the server's CPU share
        r["wrk"] = float(wrk_s) / wall  # the client's CPU share
        # Cores busy with neither server nor wrk (kernel softirq work of the
        # loopback is part of it): other processes disturbing the run.
        r["others"] = max(0.0, (int(busy) - int(ticks)) / clk / wall - r["wrk"])
        r["eff"] = r["rps"] / r["cpu"] if r["cpu"] > 0 else float("nan")
        r["opens"] = int(opens) / r["requests"] if r["requests"] else float("nan")
        res[rnd][name][w] = r
    servers = defaultdict(dict)
    for line in open(os.path.join(out, "servers.tsv")):
        rnd, name, rss, routes = line.rstrip("\n").split("\t")
        servers[name][rnd] = (int(rss), routes)
    rounds = sorted(res)
    names = [n for n in ORDER if any(n in res[r] for r in rounds)]

    def avg(name, w, key):
        return mean([res[r][name][w][key] for r in rounds if w in res[r].get(name, {})])

    def round_ratios(name, ref, w, key):
        xs = []
        for r in rounds:
            a, b = res[r].get(name, {}).get(w), res[r].get(ref, {}).get(w)
            if a and b and b[key] > 0:
                xs.append(a[key] / b[key])
        return xs

    def same_round_ratio(name, ref, w, key):
        return mean(round_ratios(name, ref, w, key))

    print(f"### Throughput (mean of {len(rounds)} interleaved round(s); ratio = ÷ ferrodot in the same round, ÷ ferrodot-tls for the HTTPS workloads)\n")
    print("| server | " + " | ".join(f"{w} {WNAME[w]} req/s (×fd)" for w in WORKLOADS) + " | peak RSS KiB | routes |")
    print("|---|" + "---:|" * (len(WORKLOADS) + 1) + "---|")
    for n in names:
        cells = []
        for w in WORKLOADS:
            v = avg(n, w, "rps")
            cells.append(f"{fmt(v)} ({ratio(same_round_ratio(n, REF.get(w, 'ferrodot'), w, 'rps'))})")
        rss = max((servers[n][r][0] for r in servers[n]), default=0)
        routes = ",".join(sorted({servers[n][r][1] for r in servers[n]}))
        print(f"| {n} | " + " | ".join(cells) + f" | {fmt(rss)} | {routes} |")

    print("\n### Requests per server CPU-second (req/s ÷ server CPU share; ratio ÷ ferrodot)\n")
    print("CPU = server / wrk / everything else (cores, both CPUs; loopback softirq work and other processes) during the run.\n")
    print("| server | " + " | ".join(f"{w} req/CPU-s (×fd)" for w in WORKLOADS) + " | " + " | ".join(f"{w} CPU srv/wrk/other" for w in WORKLOADS) + " |")
    print("|---|" + "---:|" * (2 * len(WORKLOADS)))
    for n in names:
        cells = [f"{fmt(avg(n, w, 'eff'))} ({ratio(same_round_ratio(n, REF.get(w, 'ferrodot'), w, 'eff'))})" for w in WORKLOADS]
        cpus = [cpu_cell(avg(n, w, 'cpu'), avg(n, w, 'wrk'), avg(n, w, 'others')) for w in WORKLOADS]
        print(f"| {n} | " + " | ".join(cells) + " | " + " | ".join(cpus) + " |")

    print("\n### p99 latency (ms), new TCP connections per request, errors\n")
    print("| server | " + " | ".join(f"{w} p99" for w in WORKLOADS) + " | " + " | ".join(f"{w} opens/req" for w in WORKLOADS) + " | socket errors | non-2xx |")
    print("|---|" + "---:|" * (2 * len(WORKLOADS) + 2))
    for n in names:
        p99 = [fmt(avg(n, w, "p99"), 2) for w in WORKLOADS]
        opens = [fmt(avg(n, w, "opens"), 3) for w in WORKLOADS]
        errs = sum(res[r][n][w]["errors"] for r in rounds for w in WORKLOADS if w in res[r].get(n, {}))
        non2 = sum(res[r][n][w]["non2xx"] for r in rounds for w in WORKLOADS if w in res[r].get(n, {}))
        print(f"| {n} | " + " | ".join(p99) + " | " + " | ".join(opens) + f" | {errs:,} | {non2:,} |")

    print("\n### Per round (req/s) — drift shows here\n")
    print("| server | " + " | ".join(f"{w} r{r}" for w in WORKLOADS for r in rounds) + " |")
    print("|---|" + "---:|" * (len(WORKLOADS) * len(rounds)))
    for n in names:
        print(f"| {n} | " + " | ".join(fmt(res[r][n][w]["rps"]) if w in res[r].get(n, {}) else "–" for w in WORKLOADS for r in rounds) + " |")

    others = mean([res[r][n][w]["others"] for r in rounds for n in res[r] for w in res[r][n]])
    if others > 0.25:
        print(f"\n**Noisy host**: besides server and wrk, {others:.2f} cores were busy on average during the runs "
              "(other processes, or steal): absolute req/s are low and unsteady; compare the req/CPU-s ratios.")

    return {"ratios": round_ratios, "names": names}


def ir_report():
    path = os.path.join(out, "ir.tsv")
    if not os.path.exists(path):
        return {}
    ir = defaultdict(dict)
    for line in open(path):
        name, w, a, b = line.rstrip("\n").split("\t")
        if a and b:
            ir[name][w] = (int(b) - int(a)) / 10000
    print("\n### Instructions per request (callgrind, in-memory socket, keep-alive; (Ir(N=11000) − Ir(N=1000)) / 10000)\n")
    print("| server | GET /status | GET /user/bob?x=1 | POST /echo |")
    print("|---|---:|---:|---:|")
    for n in ["ferrodot", "picoserve"]:
        if n in ir:
            print(f"| {n} | " + " | ".join(fmt(ir[n].get(w)) for w in ["status", "user", "echo"]) + " |")
    if "ferrodot" in ir and "picoserve" in ir:
        print("| ferrodot ÷ picoserve | " + " | ".join(
            ratio(ir["ferrodot"][w] / ir["picoserve"][w]) if w in ir["ferrodot"] and w in ir["picoserve"] else "–"
            for w in ["status", "user", "echo"]) + " |")
    return ir


def client_report():
    runs = defaultdict(list)
    path = os.path.join(out, "client.tsv")
    if os.path.exists(path):
        for line in open(path):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 6:
                _, name, n, secs, rps, cpu = parts
                runs[name].append((float(rps), int(n) / max(float(cpu), 1e-9)))
    irs = {}
    path = os.path.join(out, "client-ir.tsv")
    if os.path.exists(path):
        for line in open(path):
            name, a, b = line.rstrip("\n").split("\t")
            if a and b:
                irs[name] = (int(b) - int(a)) / 10000
    if not runs and not irs:
        return {}
    print("\n### Clients: one keep-alive connection, sequential GET /status to nginx (ratio = ÷ hyper)\n")
    print("| client | req/s | req per client CPU-s | instructions per request (in memory) |")
    print("|---|---:|---:|---:|")
    got = {}
    for name in ["ferrodot", "hyper"]:
        rps = mean([r for r, _ in runs[name]]) if runs.get(name) else None
        eff = mean([e for _, e in runs[name]]) if runs.get(name) else None
        got[name] = (rps, eff, irs.get(name))
    for name, (rps, eff, ir_) in got.items():
        ref = got["hyper"]
        cell = lambda v, r: f"{fmt(v)} ({ratio(v / r)})" if v and r else fmt(v)
        print(f"| {name} | {cell(rps, ref[0])} | {cell(eff, ref[1])} | {cell(ir_, ref[2])} |")
    return got


load = load_report()
ir = ir_report()
clients = client_report()

print("\n### Targets\n")
print("| target | measured | met |")
print("|---|---:|---|")


def target(label, value, op, bound, per_round=None):
    if value is None or value != value:
        print(f"| {label} | – | not measured |")
        return
    ok = value >= bound if op == ">=" else value <= bound
    rounds = f" (rounds: {', '.join(f'{x:.2f}' for x in per_round)})" if per_round and len(per_round) > 1 else ""
    print(f"| {label} | {value:.2f}{rounds} | {'yes' if ok else 'NO'} ({op} {bound}) |")


def versus(ref, w, key, me="ferrodot"):
    """me ÷ ref, averaged over the rounds, and each round's value."""
    if ref not in load["names"] or me not in load["names"]:
        return None, None
    xs = load["ratios"](me, ref, w, key)
    return mean(xs), xs


if load:
    target("W1 keep-alive: ferrodot ÷ nginx, req per server CPU-s", versus("nginx", "W1", "eff")[0], ">=", 1.0, versus("nginx", "W1", "eff")[1])
    target("W1 keep-alive: ferrodot ÷ picoserve, req/s", versus("picoserve", "W1", "rps")[0], ">=", 4.0, versus("picoserve", "W1", "rps")[1])
    target("W2 close, defaults (ferrodot defers accept, nginx does not): ferrodot ÷ nginx, req per server CPU-s", versus("nginx", "W2", "eff")[0], ">=", 1.0, versus("nginx", "W2", "eff")[1])
    both = versus("nginx-deferred", "W2", "eff")
    target("W2 close, both deferring accept: ferrodot ÷ nginx-deferred, req per server CPU-s", both[0], ">=", 1.0, both[1])
    neither = versus("nginx", "W2", "eff", me="ferrodot-nodefer")
    target("W2 close, neither deferring: ferrodot-nodefer ÷ nginx, req per server CPU-s", neither[0], ">=", 1.0, neither[1])
    target("W1 keep-alive: ferrodot ÷ ceiling, req/s", versus("ceiling", "W1", "rps")[0], ">=", 0.8, versus("ceiling", "W1", "rps")[1])
    target("W1 keep-alive: ferrodot ÷ ceiling, req per server CPU-s", versus("ceiling", "W1", "eff")[0], ">=", 0.8, versus("ceiling", "W1", "eff")[1])
    target("W7 keep-alive gzip asset (19.5 KB): ferrodot ÷ nginx gzip_static, req per server CPU-s", versus("nginx", "W7", "eff")[0], ">=", 1.0, versus("nginx", "W7", "eff")[1])
    tls_ka = versus("nginx-tls", "W5", "eff", me="ferrodot-tls")
    target("W5 HTTPS keep-alive: ferrodot-tls ÷ nginx-tls, req per server CPU-s", tls_ka[0], ">=", 1.0, tls_ka[1])
    tls_new = versus("nginx-tls", "W6", "eff", me="ferrodot-tls")
    target("W6 HTTPS, a new TLS connection per request: ferrodot-tls ÷ nginx-tls, req per server CPU-s", tls_new[0], ">=", 0.8, tls_new[1])
if clients:
    (f_rps, f_eff, f_ir), (h_rps, h_eff, h_ir) = clients["ferrodot"], clients["hyper"]
    target("client, one keep-alive connection: ferrodot ÷ hyper, req/s", f_rps / h_rps if f_rps and h_rps else None, ">=", 1.0)
    target("client: instructions per request, ferrodot ÷ hyper", f_ir / h_ir if f_ir and h_ir else None, "<=", 0.5)
if ir.get("ferrodot", {}).get("status") and ir.get("picoserve", {}).get("status"):
    target("instructions per keep-alive GET /status: ferrodot ÷ picoserve", ir["ferrodot"]["status"] / ir["picoserve"]["status"], "<=", 0.5)
