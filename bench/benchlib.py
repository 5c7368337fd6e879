#!/usr/bin/env python3
"""Helpers for bench/run: the parts that are easier in Python than in bash.

Every network call goes to 127.0.0.1 only, and every loop is bounded in count and time.
Standard library only.

    benchlib.py port                         a free TCP port on 127.0.0.1
    benchlib.py wait-ok URL SECONDS          poll URL until it answers 200 (exit 1 on timeout)
    benchlib.py get URL FILE                 save one response body (exit 1 unless 200)
    benchlib.py pick BASE KIND               a path to measure (article|section)
    benchlib.py startup RUNS URL -- CMD...   launch CMD, time launch -> first 200 from URL, stop it
    benchlib.py cpu PID...                   CPU seconds (user+system) used so far by the PIDs
    benchlib.py snap PID...                  JSON: those CPU seconds plus CPU 0/1 busy ticks
    benchlib.py run-result WRK BEFORE AFTER [CLIENT_S]  one wrk run (+ CPU use between two snaps) as JSON
    benchlib.py first URL                    one request, long timeout; its time in ms
    benchlib.py settle SECONDS PID...        wait (bounded) until the PIDs stop using CPU
    benchlib.py quiet SECONDS                wait (bounded) for the machine to be idle; print busy share
    benchlib.py median NAME PATH RUNS OUT [FIRST_MS ALONE.json SETTLE_S]
                                             append the median run to OUT; print ok|surprising
    benchlib.py wrk FILE                     parse wrk --latency output to JSON
    benchlib.py ab FILE                      parse ab output to JSON
    benchlib.py keepalive URL COUNT SECONDS  sequential requests on one kept-alive connection
    benchlib.py profile-summary PERF.txt     group a flat perf report by where the time goes
    benchlib.py report RESULTS.jsonl META.json  the Markdown report
"""

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote, urlsplit

LOOPBACK = "127.0.0.1"


def die(msg):
    print(f"benchlib: {msg}", file=sys.stderr)
    sys.exit(1)


def check_loopback(url):
    host = urlsplit(url).hostname
    if host not in (LOOPBACK, "localhost"):
        die(f"refusing a non-loopback target: {url}")


def free_port():
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def http_status(url, timeout=2.0):
    check_loopback(url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def wait_ok(url, seconds):
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds * 200) + 1):  # bounded: at most one try per 5 ms
        if http_status(url, timeout=1.0) == 200:
            return True
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    return False


def fetch(url, timeout=10.0):
    check_loopback(url)
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        if r.status != 200:
            die(f"{url} answered {r.status}")
        return r.read()


def fetch_with_headers(url, timeout=10.0):
    check_loopback(url)
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        if r.status != 200:
            die(f"{url} answered {r.status}")
        return r.read(), r.headers


def pick(base, kind):
    """A path to measure: the newest article, or the archive of the section with the most stories."""
    if kind == "article":
        items = json.loads(fetch(f"{base}/api/v1/articles?per_page=1"))
        if not items:
            die("the site has no articles")
        return items[0]["url"]
    if kind == "section":
        sections = json.loads(fetch(f"{base}/api/v1/sections"))
        if not sections:
            die("the site has no sections")
        best, best_count = None, -1
        for s in sections[:500]:  # bounded
            _, headers = fetch_with_headers(f"{base}/api/v1/articles?per_page=1&section={quote(s['slug'], safe='')}")
            count = int(headers.get("x-total-count", "0"))
            if count > best_count:
                best, best_count = s, count
        print(f"section {best['slug']}: {best_count} stories (the largest of {len(sections)})", file=sys.stderr)
        return best["url"]
    die(f"unknown kind {kind}")


def startup(runs, url, cmd):
    """Launch to the first 200 from URL, RUNS times; prints JSON with each time in ms."""
    check_loopback(url)
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = False
        try:
            for _ in range(60_000):  # bounded: 60 s at 1 ms steps
                if proc.poll() is not None:
                    break
                if http_status(url, timeout=1.0) == 200:
                    ok = True
                    break
                if time.monotonic() - t0 > 60:
                    break
                time.sleep(0.001)
            elapsed = (time.monotonic() - t0) * 1000
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        if not ok:
            die(f"the server did not answer 200 at {url} within 60 s (exit {proc.returncode})")
        times.append(round(elapsed, 1))
    print(json.dumps({"runs_ms": times, "median_ms": statistics.median(times)}))


def cpu_seconds(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


def snapshot(pids):
    """CPU use so far: the PIDs' CPU seconds and the busy/total ticks of CPU 0 and CPU 1."""
    snap = {"server_s": cpu_seconds(pids), "t": time.monotonic()}
    with open("/proc/stat") as f:
        for line in f:
            parts = line.split()
            if parts[0] in ("cpu0", "cpu1"):
                ticks = [int(x) for x in parts[1:]]
                idle = ticks[3] + ticks[4]  # idle + iowait
                # busy, total, and of busy: irq + softirq (loopback TCP), steal (the hypervisor)
                snap[parts[0]] = [sum(ticks[:8]) - idle, sum(ticks[:8]), ticks[5] + ticks[6], ticks[7]]
    return snap


def run_result(wrk_file, before_file, after_file, client_s=None):
    """One wrk run as a JSON line, with how busy the server, the client and the two CPUs
    were. other_cpu is what neither used (other processes, and the kernel's softirq work):
    well above a few percent means something else ran during the run."""
    r = parse_wrk(wrk_file)
    before, after = json.load(open(before_file)), json.load(open(after_file))
    wall = max(after["t"] - before["t"], 1e-9)
    tick = os.sysconf("SC_CLK_TCK")
    server = after["server_s"] - before["server_s"]
    r["server_cpu"] = round(server / wall, 3)
    busy_s = irq_s = steal_s = 0.0
    for cpu in ("cpu0", "cpu1"):
        busy = after[cpu][0] - before[cpu][0]
        total = max(after[cpu][1] - before[cpu][1], 1)
        r[f"{cpu}_busy"] = round(busy / total, 3)
        busy_s += busy / tick
        irq_s += (after[cpu][2] - before[cpu][2]) / tick
        steal_s += (after[cpu][3] - before[cpu][3]) / tick
    r["irq_cpu"] = round(irq_s / wall, 3)
    r["steal_cpu"] = round(steal_s / wall, 3)
    if client_s is not None:
        r["client_cpu"] = round(float(client_s) / wall, 3)
        r["other_cpu"] = round(max(busy_s - server - float(client_s) - irq_s - steal_s, 0) / wall, 3)
    return r


def machine_busy(seconds=1.0):
    """Share of both CPUs busy over SECONDS (0..1)."""
    a = snapshot([])
    time.sleep(seconds)
    b = snapshot([])
    busy = sum(b[c][0] - a[c][0] for c in ("cpu0", "cpu1"))
    total = max(sum(b[c][1] - a[c][1] for c in ("cpu0", "cpu1")), 1)
    return busy / total


def first(url):
    """One request with a long timeout (a cold page can be slow); prints its time in ms."""
    check_loopback(url)
    t0 = time.monotonic()
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    if status != 200:
        die(f"{url} answered {status}")
    print(f"{(time.monotonic() - t0) * 1000:.1f}")


def settle(pids, max_wait):
    """After a run, waits (bounded) until the server stops working off a backlog; prints the seconds waited."""
    t0 = time.monotonic()
    for _ in range(int(max_wait / 0.5) + 1):
        a = cpu_seconds(pids)
        time.sleep(0.5)
        if (cpu_seconds(pids) - a) / 0.5 < 0.05 or time.monotonic() - t0 > max_wait:
            break
    print(f"{time.monotonic() - t0 - 0.5:.1f}")


def wait_quiet(max_wait, threshold=0.15):
    """Waits (at most max_wait s) until the machine is idle; prints the busy share it ended at."""
    deadline = time.monotonic() + max_wait
    waited = False
    for _ in range(int(max_wait / 2) + 2):  # bounded
        busy = machine_busy(1.0)
        if busy <= threshold or time.monotonic() > deadline:
            break
        if not waited:
            print(f"   the machine is {busy * 100:.0f}% busy with other work: waiting up to {max_wait:.0f} s "
                  "for it to go quiet", file=sys.stderr)
            waited = True
        time.sleep(1.0)
    print(f"{busy:.3f}")


def median_result(name, path, runs_file, first_ms=None, alone_file=None, settle_s=None):
    """The run with the median req/s; prints 'surprising' when its p99 is far above its p50."""
    runs = [json.loads(line) for line in open(runs_file) if line.strip()]
    if not runs:
        die(f"no runs for {name}")
    ordered = sorted(runs, key=lambda r: r["rps"])
    med = dict(ordered[(len(ordered) - 1) // 2])  # the middle one; the lower middle for an even count
    med.update({
        "kind": "wrk",
        "name": name,
        "path": path,
        "all_rps": [r["rps"] for r in runs],
        "non2xx_total": sum(r.get("non2xx", 0) for r in runs),
        "socket_errors_total": sum(r.get("socket_errors", 0) for r in runs),
        "max_other_cpu": max((r.get("other_cpu", 0) for r in runs), default=0),
    })
    if first_ms:
        med["first_ms"] = float(first_ms)
    if alone_file and os.path.exists(alone_file) and os.path.getsize(alone_file):
        med["alone"] = json.load(open(alone_file))
    if settle_s:
        med["settle_s"] = float(settle_s)
    p50, p99 = med.get("p50_ms") or 0, med.get("p99_ms") or 0
    med["surprising"] = bool(p99 > 5 * p50 and p99 > 2)
    return med


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
SIZE = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse_wrk(path):
    text = open(path).read()
    out = {"non2xx": 0, "socket_errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not m:
        die(f"{path}: no Requests/sec line; wrk said:\n{text}")
    out["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", text, re.M)
        if m:
            try:
                out[f"p{pct}_ms"] = to_ms(m.group(1))
            except ValueError:  # no request completed: wrk prints -nan or 0.00us
                pass
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", text)
    if m:
        try:
            out["mean_ms"], out["max_ms"] = to_ms(m.group(1)), to_ms(m.group(3))
        except ValueError:
            pass
    m = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+)(\w+) read", text)
    if m:
        out["requests"] = int(m.group(1))
        out["bytes_per_request"] = round(float(m.group(3)) * SIZE[m.group(4)] / max(int(m.group(1)), 1))
        if out["requests"] == 0:
            out.pop("p50_ms", None), out.pop("p99_ms", None)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["socket_errors"] = sum(int(g) for g in m.groups())
    return out


def parse_ab(path):
    text = open(path).read()
    out = {}
    m = re.search(r"Requests per second:\s+([\d.]+)", text)
    if not m:
        die(f"{path}: no 'Requests per second'; ab said:\n{text[-2000:]}")
    out["rps"] = float(m.group(1))
    for pct in ("50", "90", "99", "100"):
        m = re.search(rf"^\s+{pct}%\s+(\d+)", text, re.M)
        if m:
            out[f"p{pct}_ms"] = float(m.group(1))
    for key, pat in (("failed", r"Failed requests:\s+(\d+)"), ("non2xx", r"Non-2xx responses:\s+(\d+)"),
                     ("complete", r"Complete requests:\s+(\d+)"), ("keepalive", r"Keep-Alive requests:\s+(\d+)")):
        m = re.search(pat, text)
        out[key] = int(m.group(1)) if m else 0
    return out


def read_response(sock, buf):
    """Reads one HTTP/1.1 response (Content-Length or chunked) from sock; returns (status, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the headers ended")
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower()] = v.strip()
    if b"content-length" in headers:
        need = int(headers[b"content-length"])
        while len(buf) < need:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed mid-body")
            buf += chunk
        return status, buf[need:], headers
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            while b"\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed mid-chunk")
                buf += chunk
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed mid-chunk")
                buf += chunk
            buf = buf[size + 2:]
            if size == 0:
                return status, buf, headers
    raise ConnectionError("response has neither Content-Length nor chunked encoding")


def keepalive(url, count, seconds):
    """COUNT requests, one after another, on one connection: a Nagle/delayed-ACK stall
    shows as requests taking ~40 ms instead of well under one."""
    check_loopback(url)
    u = urlsplit(url)
    path = u.path or "/"
    req = (f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUser-Agent: bench-keepalive\r\n"
           f"Accept: */*\r\n\r\n").encode()
    times = []
    deadline = time.monotonic() + seconds
    with socket.create_connection((u.hostname, u.port), timeout=max(seconds, 5) + 120) as s:
        buf = b""
        for _ in range(count):
            t0 = time.perf_counter()
            s.sendall(req)
            status, buf, headers = read_response(s, buf)
            times.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                die(f"{url} answered {status}")
            if headers.get(b"connection", b"").lower() == b"close":
                die(f"{url} closed the kept-alive connection")
            if time.monotonic() > deadline:
                break
    times.sort()
    n = len(times)
    print(json.dumps({
        "requests": n,
        "p50_ms": round(times[n // 2], 3),
        "p99_ms": round(times[min(n - 1, int(n * 0.99))], 3),
        "max_ms": round(times[-1], 3),
        "over_30ms": sum(1 for t in times if t >= 30),
    }))


PROFILE_GROUPS = [
    ("malloc/free (glibc)", None, r"malloc|free|realloc|unlink_chunk|consolidate|^_int_|calloc|tcache"),
    ("memcpy/memmove/memcmp", None, r"^__mem|^memcpy|^memmove|^memset|^__strlen|^strlen"),
    ("SQLite: parse + plan (statement prepare)", "masthead",
     r"^(yy_|where|expr|resolve|sqlite3(RunParser|Parser|Prepare|Select|Where|Expr|Resolve|Locate|FindTable|GetToken|"
     r"FinishCoding|Walk)|select|lookupName|walkExpr|keywordCode|getToken)"),
    ("SQLite: execute", "masthead", r"^(sqlite3|pcache|btree|vdbe|moveTo|releaseMem|balance|accessPayload|serialGet|cellSize)"),
    ("sqlx + flume channel to the SQLite thread", "masthead", r"sqlx|flume"),
    ("minijinja templates", "masthead", r"minijinja"),
    ("masthead_render (HTML escape, markup)", "masthead", r"masthead_render"),
    ("hyper / axum / tower / http", "masthead", r"hyper|axum|tower|http::"),
    ("tokio", "masthead", r"tokio"),
    ("serde / serde_json", "masthead", r"serde"),
    ("chrono / chrono-tz", "masthead", r"chrono"),
    ("other masthead code", "masthead", r"."),
    ("thread hand-off: pthread locks, futex, syscalls (libc)", "libc", r"pthread|syscall|futex|lll"),
    ("kernel: scheduler / context switches", "[kernel", r"sched|task_switch|futex|schedule|wake|spin_unlock_irq|switch_to"),
    ("kernel: TCP / loopback / socket copies", "[kernel", r"tcp|skb|sock|net|ip_|loopback|dev_|copy|rep_movs|memcpy|csum"),
    ("kernel: other", "[kernel", r"."),
]


def profile_summary(path):
    """Groups a flat `perf report --sort dso,symbol` into where the time goes."""
    rows = []
    for line in open(path):
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(4).strip()))
    groups = {}
    for pct, dso, sym in rows:
        name = "other"
        for label, dso_prefix, pat in PROFILE_GROUPS:
            if dso_prefix and not dso.startswith(dso_prefix):
                continue
            if re.search(pat, sym):
                name = label
                break
        groups[name] = groups.get(name, 0) + pct
    print("# Where the samples fall (share of the server's CPU time):")
    for name, pct in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"{pct:6.1f}%  {name}")
    print("#")
    print("# Top symbols:")
    for pct, dso, sym in sorted(rows, reverse=True)[:40]:
        print(f"{pct:6.2f}%  {dso:18s} {sym[:140]}")


def fmt_ms(v):
    if v is None:
        return "–"
    if v < 1:
        return f"{v * 1000:.0f} µs"
    if v < 10:
        return f"{v:.2f} ms"
    return f"{v:.1f} ms"


def fmt_rps(v):
    return f"{v:,.0f}"


def report(results_path, meta_path):
    rows = {}
    extra = []
    for line in open(results_path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        if r.get("kind") == "wrk":
            rows[r["name"]] = r
        else:
            extra.append(r)
    meta = json.load(open(meta_path))
    nginx = rows.get("nginx static")
    base = nginx["rps"] if nginx else None
    out = []
    out.append(f"# Masthead benchmark: {meta['when']}")
    out.append("")
    if meta.get("quick"):
        out.append("**Quick mode: short runs, for checking the harness only. Not for the README.**")
        out.append("")
    out.append(f"wrk -t1 -c{meta['connections']} -d{meta['duration']}s --latency, {meta['warmup']} s warm-up, "
               f"median of {meta['runs']} runs (p50/p99 from the median run). Server on CPU 0 "
               f"(TOKIO_WORKER_THREADS=1), wrk on CPU 1{', both at nice -20' if meta.get('nice') else ''}. "
               f"{meta['articles']:,} articles.")
    out.append("")
    out.append("| what | URL | req/s | vs nginx | p50 | p99 | alone | first | bytes/resp | server CPU | wrk CPU | softirq | steal | other CPU |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    order = ["nginx static", "article (cache)", "article (no cache)", "home (cache)", "home (no cache)",
             "section (cache)", "section (no cache)", "API list (cache)", "API list (no cache)"]
    busy_rows = 0
    for name in order + sorted(set(rows) - set(order)):
        r = rows.get(name)
        if not r:
            continue
        ratio = f"{r['rps'] / base * 100:.1f}%" if base else "–"
        pct = lambda v: f"{v * 100:.0f}%" if v is not None else "–"
        runs = ", ".join(fmt_rps(x) for x in r.get("all_rps", []))
        mark = " †" if r.get("max_other_cpu", 0) > 0.15 or r.get("steal_cpu", 0) > 0.10 else ""
        busy_rows += bool(mark)
        errs = r.get("non2xx_total", 0) + r.get("socket_errors_total", 0)
        mark += f" ({errs} errors)" if errs else ""
        if r.get("requests") == 0:
            mark += " (no request completed)"
        if r.get("settle_s", 0) > 2:
            mark += f" (server busy {r['settle_s']:.0f} s after wrk stopped)"
        out.append(f"| {name}{mark} | `{r['path']}` | {fmt_rps(r['rps'])} | {ratio} | {fmt_ms(r.get('p50_ms'))} | "
                   f"{fmt_ms(r.get('p99_ms'))} | {fmt_ms(r.get('alone', {}).get('p50_ms'))} | {fmt_ms(r.get('first_ms'))} | "
                   f"{r.get('bytes_per_request', '–'):,} | {pct(r.get('server_cpu'))} | "
                   f"{pct(r.get('client_cpu'))} | {pct(r.get('irq_cpu'))} | {pct(r.get('steal_cpu'))} | {pct(r.get('max_other_cpu'))} |")
        r["_runs"] = runs
    out.append("")
    out.append("*alone*: median time of one request when it is the only one (one kept-alive connection, "
               "requests one after another): what a request costs without queueing. *first*: the very first "
               "request to the URL after start (for the cache rows: the render that fills the cache).")
    out.append("CPU columns are shares of one CPU over the median run: the server (pinned to CPU 0), wrk "
               "(pinned to CPU 1), interrupt and softirq time on both CPUs (loopback TCP), time the hypervisor "
               "took from this VM (steal), and what none of these used (other processes) in the worst run.")
    out.append("The JSON API is never held in the page cache, so its two rows measure the same code.")
    if busy_rows:
        out.append("† During this row another process used more than 15% of a CPU, or the hypervisor stole more "
                   "than 10%: the machine was not quiet, treat the row with care.")
    out.append("")
    out.append("Every run, req/s: " + "; ".join(
        f"{n}: {rows[n]['_runs']}" for n in order + sorted(set(rows) - set(order)) if n in rows))
    out.append("")
    targets = []
    art_c, art_n = rows.get("article (cache)"), rows.get("article (no cache)")
    if base and art_c:
        v = art_c["rps"] / base
        targets.append(f"article with the page cache ≥ 90% of nginx: **{v * 100:.1f}%, "
                       f"{'met' if v >= 0.9 else 'MISSED'}**")
    if base and art_n:
        v = art_n["rps"] / base
        targets.append(f"article without the cache ≥ 10% of nginx: **{v * 100:.1f}%, "
                       f"{'met' if v >= 0.1 else 'MISSED'}**")
    if targets:
        out.append("Targets: " + "; ".join(targets) + ".")
        out.append("")
    for r in extra:
        if r["kind"] == "drift":
            out.append(f"- nginx re-measured at the end: {fmt_rps(r['rps'])} req/s "
                       f"({(r['rps'] / base - 1) * 100:+.1f}% against the start)" if base else "")
    for r in extra:
        if r["kind"] == "memory":
            out.append(f"- Peak memory (VmHWM) of masthead, {r['label']}: {r['hwm_kb'] / 1024:.1f} MiB "
                       f"(VmRSS at the end {r['rss_kb'] / 1024:.1f} MiB)")
    for r in extra:
        if r["kind"] == "startup":
            out.append(f"- Start-up, launch to first 200 from /healthz ({meta['articles']:,} articles): "
                       f"median {r['median_ms']:.0f} ms (runs: {', '.join(f'{x:.0f}' for x in r['runs_ms'])} ms)")
    for r in extra:
        if r["kind"] == "import":
            cached = f" (imported {r['when']}, reused from the data cache)" if r.get("cached") else ""
            out.append(f"- Import `{r['file']}`: {r['articles']:,} articles in {r['seconds']:.1f} s = "
                       f"{r['articles'] / r['seconds']:,.0f} articles/s{cached}")
    ab = [r for r in extra if r["kind"] == "ab"]
    if ab:
        out.append("")
        out.append(f"Cross-check with a second client (`ab -k -c{meta['connections']} -t{meta['duration']}`, "
                   "on CPU 1; ab reports whole milliseconds and does not correct for stalls):")
        out.append("")
        out.append("| what | ab req/s | ab p50 | ab p99 | ab max | wrk p99 |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for r in ab:
            w = rows.get(r["name"], {})
            out.append(f"| {r['name']} | {fmt_rps(r['rps'])} | {r.get('p50_ms', 0):.0f} ms | {r.get('p99_ms', 0):.0f} ms | "
                       f"{r.get('p100_ms', 0):.0f} ms | {fmt_ms(w.get('p99_ms'))} |")
    ka = [r for r in extra if r["kind"] == "keepalive"]
    if ka:
        out.append("")
        out.append("Keep-alive stall check (one connection, requests one after another; a Nagle / "
                   "delayed-ACK stall would show as ~40 ms):")
        out.append("")
        out.append("| what | requests | p50 | p99 | max | ≥ 30 ms |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for r in ka:
            out.append(f"| {r['name']} | {r['requests']} | {fmt_ms(r['p50_ms'])} | {fmt_ms(r['p99_ms'])} | "
                       f"{fmt_ms(r['max_ms'])} | {r['over_30ms']} |")
    out.append("")
    out.append(f"Machine: {meta['nproc']} CPUs, {meta['cpu_model']}, Linux {meta['kernel']}; "
               f"load average at start {meta['loadavg_start']}, at end {meta.get('loadavg_end', '–')}. "
               f"{meta['nginx_version']}, {meta['wrk_version']}. Masthead {meta['git']}. "
               f"Whole run took {meta.get('total_seconds', 0):.0f} s.")
    print("\n".join(line for line in out if line is not None))


def main(argv):
    if len(argv) < 2:
        die(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "port":
        print(free_port())
    elif cmd == "wait-ok":
        sys.exit(0 if wait_ok(args[0], float(args[1])) else 1)
    elif cmd == "get":
        body = fetch(args[0])
        with open(args[1], "wb") as f:
            f.write(body)
    elif cmd == "pick":
        print(pick(args[0], args[1]))
    elif cmd == "startup":
        sep = args.index("--")
        startup(int(args[0]), args[1], args[sep + 1:])
    elif cmd == "cpu":
        print(f"{cpu_seconds(args):.3f}")
    elif cmd == "wrk":
        print(json.dumps(parse_wrk(args[0])))
    elif cmd == "ab":
        print(json.dumps(parse_ab(args[0])))
    elif cmd == "snap":
        print(json.dumps(snapshot(args)))
    elif cmd == "run-result":
        print(json.dumps(run_result(*args[:4])))
    elif cmd == "profile-summary":
        profile_summary(args[0])
    elif cmd == "first":
        first(args[0])
    elif cmd == "settle":
        settle(args[1:], float(args[0]))
    elif cmd == "quiet":
        wait_quiet(float(args[0]))
    elif cmd == "median":
        r = median_result(args[0], args[1], args[2], *args[4:7])
        with open(args[3], "a") as f:
            f.write(json.dumps(r) + "\n")
        print(f"{r['name']}: {r['rps']:,.0f} req/s (runs {', '.join(f'{x:,.0f}' for x in r['all_rps'])}), "
              f"p50 {fmt_ms(r.get('p50_ms'))}, p99 {fmt_ms(r.get('p99_ms'))}, server CPU {r['server_cpu'] * 100:.0f}%, "
              f"wrk CPU {r.get('client_cpu', 0) * 100:.0f}%, other {r['max_other_cpu'] * 100:.0f}% (worst run)", file=sys.stderr)
        print("surprising" if r["surprising"] else "ok")
    elif cmd == "keepalive":
        keepalive(args[0], int(args[1]), float(args[2]))
    elif cmd == "report":
        report(args[0], args[1])
    else:
        die(f"unknown command {cmd}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
