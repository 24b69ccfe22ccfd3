#!/usr/bin/env python3
"""The `make bench` harness: starts each server, measures it, writes BENCHMARKS.md.

scripts/bench.sh installs the tools and builds the release binaries, then hands over here.
This file owns every process it starts (each in its own process group, killed on exit or
signal), sends traffic to 127.0.0.1 only, and bounds every run in time. Python stdlib only.

What it measures, side by side in one run:
  * issuer `POST /mint` vs oauth2-mock-server `POST /token` (both RS256, same key), next to
    the machine's signing ceiling (`openssl speed rsa2048` sign/s x cores);
  * sts-mock vs moto_server answering the same AssumeRoleWithWebIdentity request;
  * start-up time (process start to first successful answer) and peak RSS (VmHWM) under load;
  * the policy engine's decision time (criterion), and its decisions next to
    @cloud-copilot/iam-simulate's on the same cases (bench/policy_cases.json);
  * our servers both as users run them (default logging) and with RUST_LOG=warn;
  * a soak (bench/loadgen: a million AssumeRoleWithWebIdentity + signed GetCallerIdentity
    pairs, RSS sampled every 5 s), and the same with the issuer's JWKS flapping;
  * where the instructions of one full-path AssumeRoleWithWebIdentity go (callgrind).
Anything that cannot be measured is reported as SKIPPED with the reason, never dropped.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import http.client
import json
import os
import platform
import re
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import profile_summary  # sibling module: perf output -> text summary and flame graph

# --------------------------------------------------------------------------- processes

_STARTED: list[subprocess.Popen] = []
COMMANDS: list[str] = []  # every command run, for the "exact commands" section


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def record(argv: list[str], env: dict | None = None) -> None:
    prefix = "".join(f"{k}={shlex.quote(v)} " for k, v in (env or {}).items())
    COMMANDS.append(prefix + shlex.join(str(a) for a in argv))


def _kill_all() -> None:
    for proc in _STARTED:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stops a server we started: its whole process group (npm/python launchers fork)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=3)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=3)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


def _on_signal(signum, _frame):
    _kill_all()
    sys.exit(128 + signum)


atexit.register(_kill_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv: list[str], timeout: float, env: dict | None = None, quiet: bool = False,
        cwd: str | None = None) -> subprocess.CompletedProcess:
    """Runs a bounded foreground command and records it."""
    record(argv, env)
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=cwd, check=not quiet)


# --------------------------------------------------------------------------- probing


@dataclass
class Probe:
    """One HTTP request that must succeed; also the request the load run repeats."""
    method: str
    path: str
    body: bytes
    content_type: str
    ok: callable  # (status, body bytes) -> bool

    def send(self, port: int, timeout: float = 2.0) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(self.method, self.path, body=self.body,
                         headers={"Content-Type": self.content_type} if self.body else {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


@dataclass
class Server:
    name: str
    argv_for_port: callable  # port -> argv
    probe: Probe
    env: dict = field(default_factory=dict)
    ours: bool = False


LOG_DIR: Path | None = None  # where servers' stderr goes (set in main)


def start(server: Server, deadline_s: float = 30.0,
          stderr_path: Path | None = None) -> tuple[subprocess.Popen, int, float]:
    """Starts `server` on a free port; returns (process, port, ms to first successful answer).

    The clock starts just before fork/exec and stops when the benchmarked request itself
    (not a health check) first succeeds; connection attempts are retried every 1 ms.
    The server's stderr (its log) goes to a file, as when a user redirects it: a closed pipe
    would make every log line fail early and so hide what default logging costs.
    """
    port = free_port()
    argv = server.argv_for_port(port)
    record(argv, server.env)
    env = dict(os.environ, **server.env)
    if stderr_path is None:
        stderr_path = (LOG_DIR or Path("/tmp")) / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', server.name)}.log"
    err_file = open(stderr_path, "wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err_file,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    err_file.close()
    _STARTED.append(proc)
    last, first_answer = "no answer", None

    def tail() -> str:
        try:
            return Path(stderr_path).read_bytes()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    while time.monotonic() - t0 < deadline_s:
        # A server that answers, but wrongly, for 3 s is not going to get it right.
        if first_answer and time.monotonic() - first_answer > 3.0:
            break
        if proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {proc.returncode}: {tail()}")
        try:
            status, body = server.probe.send(port)
            if server.probe.ok(status, body):
                ms = (time.monotonic() - t0) * 1000.0
                return proc, port, ms
            last = f"HTTP {status}: {body[:300]!r}"
            first_answer = first_answer or time.monotonic()
        except OSError as e:
            last = repr(e)
        time.sleep(0.001)
    stop(proc)
    raise RuntimeError(f"no successful answer from {server.name} after "
                       f"{time.monotonic() - t0:.1f} s; last: {last}; log: {tail()[-300:]}")


def measure_startup(server: Server, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        proc, _port, ms = start(server)
        stop(proc)
        samples.append(ms)
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "runs": runs}


def tree_pids(root: int) -> list[int]:
    """root and all its descendants (a launcher's real server may be a child)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def peak_rss_mb(root: int) -> tuple[float, str]:
    """VmHWM summed over the process tree, and which processes it covers."""
    total_kb, names = 0, []
    for pid in tree_pids(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        name = re.search(r"^Name:\s+(\S+)", status, re.M)
        if m:
            total_kb += int(m.group(1))
            names.append(f"{name.group(1) if name else '?'}[{pid}]")
    return total_kb / 1024.0, ", ".join(names)


# --------------------------------------------------------------------------- wrk

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"unparsable wrk duration {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk_script(path: Path, probe: Probe) -> Path:
    body = probe.body.decode()
    assert "]==]" not in body
    path.write_text(
        "-- Generated by bench/harness.py: the request under test.\n"
        f'wrk.method = "{probe.method}"\n'
        f"wrk.body = [==[{body}]==]\n"
        f'wrk.headers["Content-Type"] = "{probe.content_type}"\n'
    )
    return path


def cpu_seconds(root: int) -> float:
    """user+system CPU time used so far by a process tree (all threads)."""
    ticks = 0
    for pid in tree_pids(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def busy_cores_counter() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - idle) / hz, sum(fields[:8]) / hz


def run_wrk(port: int, script: Path, path: str, conns: int, duration: int,
            server_pid: int | None = None) -> dict:
    threads = max(1, min(conns, os.cpu_count() or 1))
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "5s",
            "--latency", "-s", str(script), f"http://127.0.0.1:{port}{path}"]
    srv0 = cpu_seconds(server_pid) if server_pid else 0.0
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys0 = busy_cores_counter()[0]
    t0 = time.monotonic()
    out = run(argv, timeout=duration + 30).stdout
    wall = time.monotonic() - t0
    res_sys = (busy_cores_counter()[0] - sys0) / wall
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = {"conns": conns, "raw": out}
    # CPU cores used on average, to show whether the server or the load generator is starved.
    res["wrk_cores"] = ((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)) / wall
    res["server_cores"] = (cpu_seconds(server_pid) - srv0) / wall if server_pid else None
    res["system_cores"] = res_sys
    res["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    res["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    for pct in ("50", "99"):
        res[f"p{pct}"] = _ms(re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["sock_errors"] = sum(map(int, sock.groups())) if sock else 0
    return res


# --------------------------------------------------------------------------- targets


@dataclass
class LoadResult:
    tool: str
    ours: bool
    startup: dict | None = None
    rss_mb: float | None = None
    rss_procs: str = ""
    runs: list[dict] = field(default_factory=list)
    skipped: str | None = None
    profile: str | None = None
    crypto_share: float | None = None  # share of profiled CPU in libcrypto


def bench_server(server: Server, args, workdir: Path) -> LoadResult:
    """Measures one server; a server that cannot be run is reported as SKIPPED, with why."""
    try:
        return _bench_server(server, args, workdir)
    except (RuntimeError, OSError, ValueError, AttributeError,
            subprocess.SubprocessError) as e:
        # AttributeError/ValueError: wrk printed something unparsable (e.g. every request failed).
        log(f"{server.name}: SKIPPED: {e}")
        why = " ".join(str(e).split())  # one line, fit for a table
        return LoadResult(server.name, server.ours,
                          skipped=f"{server.name} failed: {why[:600]}")


def _bench_server(server: Server, args, workdir: Path) -> LoadResult:
    res = LoadResult(server.name, server.ours)
    log(f"{server.name}: start-up x{args.startup_runs}")
    res.startup = measure_startup(server, args.startup_runs)
    proc, port, _ = start(server)
    try:
        script = wrk_script(workdir / f"{server.name}.lua", server.probe)
        # A short warm-up (JIT, caches, connection pools) that is not measured.
        run_wrk(port, script, server.probe.path, 16, 1)
        for conns in args.conns:
            log(f"{server.name}: load at concurrency {conns} for {args.duration}s")
            r = run_wrk(port, script, server.probe.path, conns, args.duration, proc.pid)
            if r["non2xx"] or r["sock_errors"]:
                log(f"{server.name}: {r['non2xx']} non-2xx, {r['sock_errors']} socket errors")
            res.runs.append(r)
        res.rss_mb, res.rss_procs = peak_rss_mb(proc.pid)
        # The request must still succeed after the load (not just answer fast with errors).
        status, body = server.probe.send(port)
        if not server.probe.ok(status, body):
            raise RuntimeError(f"{server.name}: answer after load is wrong: {status} {body[:300]!r}")
    finally:
        stop(proc)
    return res


def profile_server(server: Server, args, workdir: Path) -> tuple[str, float]:
    """perf profile of one more c=16 load run (not the measured one), as a text summary."""
    if not args.perf:
        return f"perf is not usable here ({args.perf_reason}); no profile taken.", None
    proc, port, _ = start(server)
    try:
        script = wrk_script(workdir / f"{server.name}.lua", server.probe)
        data = workdir / f"{server.name}.perf.data"
        secs = max(2, min(args.duration, 4))
        # DWARF unwinding: release builds keep no frame pointers, but do keep debug info.
        perf_argv = ["perf", "record", "-F", "499", "--call-graph", "dwarf,16384", "-o",
                     str(data), "-p", str(proc.pid), "--", "sleep", str(secs)]
        record(perf_argv)
        perf = subprocess.Popen(perf_argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        _STARTED.append(perf)
        run_wrk(port, script, server.probe.path, 16, secs)
        perf.wait(timeout=secs + 30)
    finally:
        stop(proc)
    script_argv = ["perf", "script", "-i", str(data)]
    record(script_argv)
    out = subprocess.run(script_argv, capture_output=True, text=True, timeout=600).stdout
    folded = profile_summary.collapse(out)
    folded_path = workdir / f"{server.name}.folded"
    folded_path.write_text(profile_summary.folded_text(folded))
    # The flame graph is kept next to the harness (committed with BENCHMARKS.md); the raw
    # perf data and folded stacks stay under build/.
    svg = Path(args.repo) / "bench" / "flamegraphs" / f"{server.name}.svg"
    svg.parent.mkdir(exist_ok=True)
    profile_summary.flamegraph_svg(folded, svg, title=f"{server.name}, POST at concurrency 16")
    return (profile_summary.summary(folded, folded_path, svg),
            profile_summary.dso_share(folded, "libcrypto"))


# --------------------------------------------------------------------------- machine info


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))

    def version(argv):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return (p.stdout or p.stderr).strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired, IndexError):
            return "unavailable"

    b0, t0 = busy_cores_counter()
    time.sleep(1.0)
    b1, t1 = busy_cores_counter()
    busy = (b1 - b0) / ((t1 - t0) / (os.cpu_count() or 1))
    return {
        "busy_at_start": busy,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "mem": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "os": version(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "rustc": version(["rustc", "--version"]),
        "openssl": version(["openssl", "version"]),
        "wrk": version(["sh", "-c", "wrk -v 2>&1 | head -1"]),
        "node": version(["node", "--version"]),
        "python": platform.python_version(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def openssl_ceiling(seconds: int) -> dict:
    argv = ["openssl", "speed", "-seconds", str(seconds), "rsa2048"]
    out = run(argv, timeout=seconds * 4 + 60).stdout
    # OpenSSL 3: "rsa 2048 bits 0.000660s 0.000019s   1515.2  52631.6"
    m = re.search(r"^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", out, re.M)
    sign = float(m.group(1))
    cores = os.cpu_count() or 1
    es = run(["openssl", "speed", "-seconds", str(seconds), "ecdsap256"],
             timeout=seconds * 4 + 60).stdout
    m = re.search(r"^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)", es, re.M)
    es_sign = float(m.group(1)) if m else None
    return {"sign_per_core": sign, "cores": cores, "ceiling": sign * cores,
            "es_sign_per_core": es_sign, "es_ceiling": es_sign * cores if es_sign else None}


# --------------------------------------------------------------------------- soaks

# sts-mock's IdP timeout (STS_SPEC: 5 s for discovery and JWKS together), and the slack a
# request may take beyond it on a loaded 2-core machine before we call it "waited too long".
IDP_TIMEOUT_S = 5.0
TIMEOUT_SLACK_S = 0.25
# The only error STS gives a token whose keys cannot be retrieved (docs/testing-time-and-failure.md).
FLAP_ALLOWED_ERROR = "InvalidIdentityToken: Couldn't retrieve verification key"


def vm_rss_mb(pid: int) -> float | None:
    try:
        m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
        return int(m.group(1)) / 1024.0 if m else None
    except OSError:
        return None


def _sts_for_soak(args, issuer_port: int, extra: list[str]) -> Server:
    health = Probe("GET", "/healthz", b"", "", lambda status, _body: status == 200)
    return Server("sts-mock soak",
                  lambda port: [args.sts_bin, "serve", "--listen", f"127.0.0.1:{port}",
                                "--oidc-endpoint",
                                f"{args.issuer_url}=http://127.0.0.1:{issuer_port}", *extra],
                  health, ours=True)


def _loadgen(args, port: int, token_file: Path, requests: int, prefix: str,
             events: Path | None, samples: list, pids: dict, on_tick=None,
             min_seconds: float = 0.0) -> dict:
    """Runs bench/loadgen against sts-mock on `port`, sampling the RSS of `pids` every 5 s;
    at least `requests` pairs, and for at least `min_seconds`."""
    argv = [args.loadgen_bin, "--sts", f"http://127.0.0.1:{port}", "--token-file",
            str(token_file), "--role-arn", args.role_arn, "--requests", str(requests),
            "--concurrency", "16", "--session-prefix", prefix]
    if min_seconds:
        argv += ["--min-seconds", f"{min_seconds:g}"]
    if events:
        argv += ["--events", str(events)]
    record(argv)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    _STARTED.append(proc)
    next_sample = t0
    # Guess: 1M request pairs take 3-6 minutes here; 40 minutes means something is wrong.
    deadline = t0 + 2400
    while proc.poll() is None:
        now = time.monotonic()
        if now >= next_sample:
            samples.append({"t": now - t0, **{name: vm_rss_mb(pid) for name, pid in pids.items()}})
            next_sample += 5.0
        if on_tick:
            on_tick()
        if now > deadline:
            stop(proc)
            raise RuntimeError("loadgen did not finish within 40 minutes")
        time.sleep(0.05)
    samples.append({"t": time.monotonic() - t0,
                    **{name: vm_rss_mb(pid) for name, pid in pids.items()}})
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"loadgen failed ({proc.returncode}): {err[-500:]}")
    return json.loads(out.strip().splitlines()[-1])


def _growth(samples: list, name: str, warmup_s: float) -> dict:
    series = [(x["t"], x[name]) for x in samples if x.get(name) is not None]
    after = [v for t, v in series if t >= warmup_s] or [v for _, v in series[-1:]]
    if not after:
        return {"base": None, "end": None, "max": None, "growth": None}
    base = after[0]
    return {"base": base, "end": after[-1], "max": max(after),
            "growth": (after[-1] - base) / base if base else None}


def soak(args, issuer_proc, issuer_port: int, token_file: Path, workdir: Path) -> dict:
    """A million AssumeRoleWithWebIdentity + GetCallerIdentity pairs at concurrency 16."""
    log(f"soak: {args.soak_requests} AssumeRoleWithWebIdentity + GetCallerIdentity at c=16")
    srv = _sts_for_soak(args, issuer_port, [])
    try:
        # Default logging, as users run it; to /dev/null, as a million lines are not worth
        # keeping (the lines are still formatted and written).
        proc, port, _ = start(srv, stderr_path=Path(os.devnull))
    except RuntimeError as e:
        return {"skipped": str(e)}
    samples: list = []
    try:
        summary = _loadgen(args, port, token_file, args.soak_requests, "soak", None, samples,
                           {"sts-mock": proc.pid, "issuer": issuer_proc.pid})
    except (RuntimeError, OSError, ValueError) as e:
        return {"skipped": f"soak failed: {e}"}
    finally:
        stop(proc)
    # Guess: 30 s is past the allocator's and the caches' first fill (RSS is flat by then in
    # every run seen here), yet early in a soak of several minutes.
    warmup = 30.0
    return {"summary": summary, "samples": samples, "warmup": warmup,
            "growth": {n: _growth(samples, n, warmup) for n in ("sts-mock", "issuer")}}


def _put_faults(port: int, body: dict) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("PUT", "/_issuer/faults", body=json.dumps(body),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"PUT /_issuer/faults {body}: HTTP {resp.status}")
    finally:
        conn.close()


# The flapping cycle: each state for FLAP_PERIOD_S, over and over. "slow" delays the JWKS past
# the IdP timeout, so requests that need a fetch then wait the full 5 s and fail.
FLAP_CYCLE = [({"jwks": "ok"}, "ok"), ({"jwks": "down"}, "down"), ({"jwks": "ok"}, "ok"),
              ({"jwks": "slow", "delay_ms": 6000}, "slow (6 s)")]
FLAP_PERIOD_S = 3.0
FLAP_CACHE_S = 1  # --jwks-cache-seconds: a refetch every second while the JWKS is up
# However fast sts-mock is, the soak outlasts this many whole cycles, so every state (slow
# included) is met and healed from more than once: at 16,000 requests a second, 100,000 pairs
# were over within the first three switches.
FLAP_MIN_CYCLES = 3


def flap_soak(args, issuer_proc, issuer_port: int, token_file: Path, workdir: Path) -> dict:
    """The soak with the issuer's JWKS flapping: down / ok / slow / ok every few seconds."""
    log(f"flapping soak: {args.flap_requests} requests, JWKS down/ok/slow/ok every "
        f"{FLAP_PERIOD_S:.0f} s, --jwks-cache-seconds {FLAP_CACHE_S}")
    srv = _sts_for_soak(args, issuer_port, ["--jwks-cache-seconds", str(FLAP_CACHE_S)])
    try:
        proc, port, _ = start(srv, stderr_path=Path(os.devnull))
    except RuntimeError as e:
        return {"skipped": str(e)}
    events = workdir / "flap-events.csv"
    flips: list[tuple[float, str]] = []  # (unix s when the PUT was answered, state)
    state = {"i": -1, "next": 0.0}

    def tick():
        now = time.monotonic()
        if now >= state["next"]:
            state["i"] += 1
            body, name = FLAP_CYCLE[state["i"] % len(FLAP_CYCLE)]
            _put_faults(issuer_port, body)
            flips.append((time.time(), name))
            state["next"] = now + FLAP_PERIOD_S

    samples: list = []
    try:
        summary = _loadgen(args, port, token_file, args.flap_requests, "flap", events, samples,
                           {"sts-mock": proc.pid, "issuer": issuer_proc.pid}, on_tick=tick,
                           min_seconds=FLAP_MIN_CYCLES * len(FLAP_CYCLE) * FLAP_PERIOD_S)
    except (RuntimeError, OSError, ValueError) as e:
        return {"skipped": f"flapping soak failed: {e}"}
    finally:
        stop(proc)
        try:
            _put_faults(issuer_port, {"jwks": "ok", "discovery": "ok"})
        except (OSError, RuntimeError):
            pass
    rows = []
    for line in events.read_text().splitlines():
        start_ms, latency_ms, _call, outcome = line.split(",", 3)
        rows.append((int(start_ms) / 1000.0, float(latency_ms) / 1000.0, outcome))
    rows.sort()
    max_wait = max((r[1] for r in rows), default=0.0)
    errors: dict[str, int] = {}
    for _, _, outcome in rows:
        if outcome != "ok":
            errors[outcome] = errors.get(outcome, 0) + 1
    unexpected = {e: n for e, n in errors.items() if FLAP_ALLOWED_ERROR not in e}
    unexpected.update({e: n for e, n in summary["errors"].items()
                       if e.startswith("GetCallerIdentity")})
    # Recovery: from each heal (JWKS back to ok) to the first success that ends after it.
    recoveries = []
    for k, (t_heal, name) in enumerate(flips):
        if name != "ok" or k == 0:
            continue
        before = flips[k - 1][1]
        t_next = flips[k + 1][0] if k + 1 < len(flips) else float("inf")
        done = [st + lat for st, lat, out in rows
                if out == "ok" and st + lat >= t_heal and st < t_next]
        if not done and not any(st >= t_heal for st, _, _ in rows):
            continue  # the run ended first
        recoveries.append({"after": before,
                           "s": (min(done) - t_heal) if done else None})
    # One refetch: the fetch in flight when the JWKS healed (at most the IdP timeout, if it
    # was slow) and then one more fetch, which succeeds.
    bound = IDP_TIMEOUT_S + 1.0
    return {"summary": summary, "samples": samples, "flips": len(flips), "max_wait": max_wait,
            "errors": errors, "unexpected": unexpected, "recoveries": recoveries,
            "recovery_bound": bound, "rows": len(rows)}


# --------------------------------------------------------------------------- callgrind

# Where each function's own instructions go in the breakdown of the full path. First match
# wins, against `symbol [library]` (callgrind_annotate's `file:symbol [library]` without the
# source file). Guess: the crates each stage of the path is built on (josekit verifies with
# OpenSSL's libcrypto; sealing is AES-GCM + HKDF over SHA-256; the answer is XML written by
# sts_mock's own escaping writer).
CATEGORIES = [
    ("logging", r"tracing_subscriber|tracing_core|tracing::|rig_core::logging|sharded_slab|nu_ansi"),
    ("text formatting (core::fmt: log lines, ids, XML)", r"^core::fmt|^alloc::fmt|^<core::fmt|as core::fmt::(Display|Debug|Write)>|^<&T as core::fmt"),
    ("XML", r"quick_xml|xml|escape_into|sts_mock::sts::render|sts_mock::query::(render|write)"),
    ("sealing", r"aes_gcm|aes::|ghash|polyval|hkdf|hmac|sts_mock::credentials|ctr::|cipher::|sha2::"),
    ("signature (RS256 verify)", r"libcrypto|openssl::|BN_|RSA_|EVP_|ossl_"),
    ("JWT parse", r"josekit|base64|serde_json|sts_mock::oidc|serde::"),
    ("policy", r"sts_mock::policy|sts_mock::permissions|sts_mock::context"),
    ("parameter parsing", r"form_urlencoded|percent_encoding|sts_mock::query|sts_mock::shape|sts_mock::action|url::"),
    ("HTTP + runtime", r"hyper|httparse|^http::|h1::|tokio|mio::|rig_core::http|bytes::|std::sys::net|std::net|epoll|^(send|recv|sendmsg|recvmsg|read|write|writev|__libc_\w+|syscall|futex\w*)\b|sts_mock::server|sts_mock::call"),
    ("memory (malloc/free/memcpy)", r"malloc|free|realloc|calloc|memcpy|memmove|memset|memcmp|^alloc::|_int_|cfree|tcache|unlink_chunk|__rdl_|__rust_(alloc|dealloc|realloc)|RawVec|finish_grow|String as core::clone"),
]


def _categorise(annotate: str) -> dict:
    out: dict[str, int] = {}
    for line in annotate.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\([^)]*\)\s+(\S.*)$", line)
        if not m or ":" not in m.group(2) or "PROGRAM TOTALS" in line:
            continue
        ir = int(m.group(1).replace(",", ""))
        # `file:symbol [library]`: file paths hold no ':', symbols do ('::').
        name = m.group(2).split(":", 1)[1]
        cat = next((c for c, rx in CATEGORIES if re.search(rx, name)), "other")
        out[cat] = out.get(cat, 0) + ir
    return out


def _callgrind_run(args, issuer_port: int, token: str, n: int, log_env: dict,
                   workdir: Path, tag: str) -> tuple[dict, int]:
    port = free_port()
    out = workdir / f"callgrind.{tag}.{n}.out"
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", args.sts_bin,
            "serve", "--listen", f"127.0.0.1:{port}", "--oidc-endpoint",
            f"{args.issuer_url}=http://127.0.0.1:{issuer_port}"]
    record(argv, log_env)
    proc = subprocess.Popen(argv, env=dict(os.environ, **log_env), stdout=subprocess.DEVNULL,
                            stderr=open(workdir / f"callgrind.{tag}.log", "wb"),
                            start_new_session=True)
    _STARTED.append(proc)
    body = urllib.parse.urlencode({
        "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
        "RoleArn": args.role_arn, "RoleSessionName": "bench", "WebIdentityToken": token})
    try:
        t0 = time.monotonic()
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                c.request("GET", "/healthz")
                c.getresponse().read()
                break
            except OSError:
                if time.monotonic() - t0 > 60:
                    raise RuntimeError("sts-mock under valgrind did not come up in 60 s")
                time.sleep(0.1)
        ok = 0
        for _ in range(n):
            c.request("POST", "/", body=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            r.read()
            ok += r.status == 200
        c.close()
        if ok != n:
            raise RuntimeError(f"only {ok} of {n} requests succeeded under callgrind")
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)
    ann = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", "--auto=no",
                          str(out)],
                         capture_output=True, text=True, timeout=300).stdout
    total = sum(_categorise(ann).values())
    return _categorise(ann), total


def callgrind_breakdown(args, issuer_port: int, token: str, workdir: Path) -> dict:
    """Instructions per AssumeRoleWithWebIdentity by stage, with default logging and warn:
    (cost after N2 requests - after N1) / (N2 - N1), so start-up and the key fetch cancel."""
    if not args.valgrind:
        return {"skipped": "valgrind is not usable here"}
    n1, n2 = 200, 1200
    res = {}
    try:
        for tag, env in (("default", {}), ("warn", {"RUST_LOG": "warn"})):
            log(f"callgrind: sts-mock, {tag} logging, {n1} and {n2} requests")
            a, ta = _callgrind_run(args, issuer_port, token, n1, env, workdir, tag)
            b, tb = _callgrind_run(args, issuer_port, token, n2, env, workdir, tag)
            per = {c: (b.get(c, 0) - a.get(c, 0)) / (n2 - n1) for c in set(a) | set(b)}
            res[tag] = {"per_request": per, "total": (tb - ta) / (n2 - n1)}
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        return {"skipped": f"callgrind failed: {e}"}
    return res


# --------------------------------------------------------------------------- policy peer


def policy_peer(args, workdir: Path) -> dict:
    """Our policy engine and @cloud-copilot/iam-simulate on the same cases (bench/policy_cases.json):
    the decisions of each, whether they agree, and decisions per second."""
    cases = Path(args.repo) / "bench" / "policy_cases.json"
    script = Path(args.repo) / "bench" / "iam_simulate.mjs"
    if not args.policy_bench_bin:
        return {"skipped": "no policy-bench binary"}
    out = {}
    try:
        ours = run([args.policy_bench_bin, str(cases)], timeout=300)
        out["ours"] = json.loads(ours.stdout)
    except (subprocess.SubprocessError, OSError, ValueError) as e:
        return {"skipped": f"our engine's run failed: {e}"}
    try:
        theirs = run(["node", str(script), str(cases), args.node_dir], timeout=600)
        out["theirs"] = json.loads(theirs.stdout)
    except (subprocess.SubprocessError, OSError, ValueError) as e:
        out["theirs"] = {"skipped": f"iam-simulate's run failed: {e}"}
    return out


# --------------------------------------------------------------------------- criterion


def criterion(args) -> tuple[list[dict] | None, str | None]:
    argv = [args.cargo, "bench", "-p", "sts-mock", "--bench", "policy", "--",
            "--warm-up-time", "1", "--measurement-time", str(max(2, min(args.duration, 5)))]
    try:
        p = run(argv, timeout=900, quiet=True, cwd=args.repo)
    except subprocess.TimeoutExpired:
        return None, "`cargo bench -p sts-mock --bench policy` timed out after 900 s"
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        return None, ("`cargo bench -p sts-mock --bench policy` failed (the policy bench has not "
                      "landed on this branch yet?): " + " / ".join(tail))
    rows, name = [], None
    for line in p.stdout.splitlines():
        m = re.match(r"^(\S.*?)?\s+time:\s+\[(\S+ \S+) (\S+ \S+) (\S+ \S+)\]", line)
        if m:
            rows.append({"name": (m.group(1) or name or "?").strip(), "low": m.group(2),
                         "mid": m.group(3), "high": m.group(4)})
            name = None
        elif line and not line.startswith(" ") and "time:" not in line:
            name = line.strip()
    if not rows:
        return None, "criterion printed no `time:` lines"
    return rows, None


def to_ns(text: str) -> float:
    val, unit = text.split()
    return float(val) * {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", required=True)
    ap.add_argument("--issuer-bin")
    ap.add_argument("--sts-bin")
    ap.add_argument("--sts-skip-reason", default="")
    ap.add_argument("--issuer-skip-reason", default="")
    ap.add_argument("--moto-bin", required=True)
    ap.add_argument("--oauth2-entry", required=True, help="oauth2-mock-server's CLI .mjs")
    ap.add_argument("--role-arn", required=True)
    ap.add_argument("--issuer-url", default="https://token.dynatrace.com")
    ap.add_argument("--tenant", default="abc12345")
    ap.add_argument("--connection", default="my-connection")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--conns", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--startup-runs", type=int, default=5)
    ap.add_argument("--openssl-seconds", type=int, default=3)
    ap.add_argument("--perf", action="store_true", help="perf is usable: profile misses")
    ap.add_argument("--perf-reason", default="")
    ap.add_argument("--cargo", default="cargo")
    ap.add_argument("--target-dir", default="", help="cargo's target directory (for the report's paths)")
    ap.add_argument("--loadgen-bin", default="", help="bench/loadgen's binary (soaks)")
    ap.add_argument("--policy-bench-bin", default="", help="bench/loadgen's policy-bench binary")
    ap.add_argument("--soak-requests", type=int, default=1_000_000)
    ap.add_argument("--flap-requests", type=int, default=100_000)
    ap.add_argument("--node-dir", default="", help="build/node (npm ci of bench/node)")
    ap.add_argument("--valgrind", action="store_true", help="valgrind is usable: profile by callgrind")
    ap.add_argument("--no-criterion", action="store_true")
    ap.add_argument("--wait-quiet", type=int, default=0,
                    help="wait up to this many seconds for the machine to go idle first")
    ap.add_argument("--out", required=True)
    ap.add_argument("--commands-prefix", nargs="*", default=[],
                    help="commands bench.sh ran before handing over")
    args = ap.parse_args()
    COMMANDS.extend(args.commands_prefix)

    repo = Path(args.repo)
    workdir = repo / "build" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    global LOG_DIR
    LOG_DIR = workdir
    keys_dir = repo / "keys"
    if args.wait_quiet > 0:
        # Other work on the machine skews every figure: give it a chance to finish first.
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.wait_quiet:
            b0, all0 = busy_cores_counter()
            time.sleep(2.0)
            b1, all1 = busy_cores_counter()
            busy = (b1 - b0) / ((all1 - all0) / (os.cpu_count() or 1))
            if busy < 0.25:
                break
            log(f"machine busy ({busy:.2f} cores used by other work); waiting up to "
                f"{args.wait_quiet - (time.monotonic() - t0):.0f} s more for it to settle")
    info = machine()
    log(f"machine: {info['cpu']} x{info['cores']}, load {info['loadavg']}")

    log("openssl speed rsa2048")
    ceiling = openssl_ceiling(args.openssl_seconds)

    audience = f"{args.tenant}.apps.dynatrace.com/app-id/dynatrace.aws.connector"
    issuer_res: LoadResult | None = None
    issuer_srv: Server | None = None
    issuer_keep = None  # the issuer process sts-mock verifies against

    # --- issuer
    mint_body = json.dumps({"tenant": args.tenant, "connection": args.connection,
                            "ttl": 3600}).encode()

    def token_ok(status, body):
        if status != 200:
            return False
        try:
            return json.loads(body)["token"].count(".") == 2
        except (ValueError, KeyError, AttributeError):
            return False

    if args.issuer_bin and os.access(args.issuer_bin, os.X_OK):
        issuer_srv = Server(
            "issuer",
            lambda port: [args.issuer_bin, "serve", "--listen", f"127.0.0.1:{port}",
                          "--issuer-url", args.issuer_url, "--keys", str(keys_dir)],
            Probe("POST", "/mint", mint_body, "application/json", token_ok), ours=True)
        # As users run it (default logging: a line per token), then with RUST_LOG=warn.
        issuer_res = bench_server(issuer_srv, args, workdir)
        if issuer_res.skipped:
            issuer_srv = None
        issuer_warn = bench_server(Server("issuer (RUST_LOG=warn)", issuer_srv.argv_for_port
                                          if issuer_srv else (lambda port: []),
                                          issuer_srv.probe if issuer_srv else None,
                                          env={"RUST_LOG": "warn"}, ours=True), args, workdir) \
            if issuer_srv else None
        # ES256: the same issuer with a P-256 key of its own (generated under build/).
        es_dir = workdir / "es256-keys"
        if not (es_dir / "bench-es256.pem").exists():
            # The built-in issuers' keys too (subdirectories), or the issuer would generate
            # RSA keys for them at every start and the start-up figure would measure that.
            import shutil
            for sub in keys_dir.iterdir():
                if sub.is_dir():
                    shutil.copytree(sub, es_dir / sub.name, dirs_exist_ok=True)
            run([args.issuer_bin, "keygen", "--keys", str(es_dir), "--kid", "bench-es256",
                 "--alg", "es256"], timeout=30)
        issuer_es256 = bench_server(Server(
            "issuer ES256",
            lambda port: [args.issuer_bin, "serve", "--listen", f"127.0.0.1:{port}",
                          "--issuer-url", args.issuer_url, "--keys", str(es_dir)],
            Probe("POST", "/mint", mint_body, "application/json", token_ok), ours=True),
            args, workdir)
    else:
        issuer_res = LoadResult("issuer", True,
                                skipped=args.issuer_skip_reason or "issuer binary not built")
        issuer_warn = issuer_es256 = None

    # --- oauth2-mock-server, signing with the same RSA key as the issuer
    jwk_path = workdir / "oauth2-mock-server.jwk.json"
    # Same key for both RS256 signers: prefer an RSA key, as oauth2-mock-server is compared
    # on RS256.
    pem = sorted(keys_dir.glob("*rsa*.pem")) or sorted(keys_dir.glob("*.pem"))
    pem = pem[0]
    conv = ["node", str(repo / "bench" / "pem_to_jwk.mjs"), str(pem), pem.stem, str(jwk_path)]
    run(conv, timeout=30)

    def oauth2_ok(status, body):
        try:
            return status == 200 and json.loads(body)["access_token"].count(".") == 2
        except (ValueError, KeyError, AttributeError):
            return False

    oauth2_srv = Server(
        "oauth2-mock-server",
        lambda port: ["node", args.oauth2_entry, "-a", "127.0.0.1", "-p", str(port),
                      "--jwk", str(jwk_path)],
        Probe("POST", "/token",
              urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "openid",
                                      "aud": audience}).encode(),
              "application/x-www-form-urlencoded", oauth2_ok))
    oauth2_res = bench_server(oauth2_srv, args, workdir)

    # --- the web-identity token both STS servers receive: a real one from our issuer
    token, token_from = None, "a real token minted by our issuer"
    if issuer_srv:
        issuer_keep, issuer_port, _ = start(issuer_srv)
        status, body = issuer_srv.probe.send(issuer_port)
        token = json.loads(body)["token"]
    else:
        # Same shape and size class as ours, so moto still gets a like-for-like request.
        token = ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkdGlkOmNvbm5lY3Rpb24vbXktY29ubmVjdGlvbiJ9."
                 + "A" * 342)
        token_from = "a placeholder JWT (the issuer was skipped)"

    sts_form = urllib.parse.urlencode({
        "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
        "RoleArn": args.role_arn, "RoleSessionName": "bench", "WebIdentityToken": token,
    }).encode()

    def sts_ok(status, body):
        return (status == 200 and b"<AssumeRoleWithWebIdentityResponse" in body
                and b"<AccessKeyId>" in body and b"<SessionToken>" in body)

    sts_probe = Probe("POST", "/", sts_form, "application/x-www-form-urlencoded", sts_ok)

    # --- sts-mock
    if args.sts_bin and os.access(args.sts_bin, os.X_OK) and issuer_keep:
        sts_srv = Server(
            "sts-mock",
            lambda port: [args.sts_bin, "serve", "--listen", f"127.0.0.1:{port}",
                          "--oidc-endpoint", f"{args.issuer_url}=http://127.0.0.1:{issuer_port}"],
            sts_probe, ours=True)
        # As users run it (default logging: a line per decision), then with RUST_LOG=warn.
        sts_res = bench_server(sts_srv, args, workdir)
        sts_warn = bench_server(Server("sts-mock (RUST_LOG=warn)", sts_srv.argv_for_port,
                                       sts_probe, env={"RUST_LOG": "warn"}, ours=True),
                                args, workdir)
        if sts_res.skipped:
            sts_srv = None
    else:
        sts_srv = sts_warn = None
        reason = args.sts_skip_reason or "sts-mock binary not built"
        if not issuer_keep:
            reason += "; the issuer (token source) is not available"
        sts_res = LoadResult("sts-mock", True, skipped=reason)

    # --- moto_server, the same request (moto accepts any token and any role: nothing created)
    moto_srv = Server("moto_server",
                      lambda port: [args.moto_bin, "-H", "127.0.0.1", "-p", str(port)],
                      sts_probe)
    moto_res = bench_server(moto_srv, args, workdir)

    # --- soaks, the callgrind breakdown, the policy engine next to iam-simulate
    soak_res = flap_res = breakdown = peer = None
    if sts_srv and issuer_keep and args.loadgen_bin:
        token_file = workdir / "soak-token"
        token_file.write_text(token)
        soak_res = soak(args, issuer_keep, issuer_port, token_file, workdir)
        flap_res = flap_soak(args, issuer_keep, issuer_port, token_file, workdir)
    if sts_srv and issuer_keep:
        breakdown = callgrind_breakdown(args, issuer_port, token, workdir)
    peer = policy_peer(args, workdir)

    # --- criterion
    if args.no_criterion:
        crit, crit_skip = None, "criterion run disabled (--no-criterion)"
    else:
        log("criterion: cargo bench -p sts-mock --bench policy")
        crit, crit_skip = criterion(args)

    # --- targets and profiles
    extra = {"issuer_warn": issuer_warn, "issuer_es256": issuer_es256,
             "sts_warn": sts_warn, "soak": soak_res, "flap": flap_res,
             "breakdown": breakdown, "peer": peer}
    targets = evaluate(issuer_res, sts_res, moto_res, ceiling, issuer_es256, extra)
    for tool, srv, res in (("issuer", issuer_srv, issuer_res), ("sts-mock", sts_srv, sts_res)):
        missed = [t for t in targets if t["tool"] == tool and t["status"] == "MISS"]
        if missed and srv:
            log(f"{tool}: missed {', '.join(t['what'] for t in missed)}; profiling")
            try:
                res.profile, res.crypto_share = profile_server(srv, args, workdir)
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                res.profile = f"profiling failed: {e}"
    if issuer_keep:  # sts-mock's token source, kept up for the sts-mock profile run
        stop(issuer_keep)

    args.token_from = token_from
    args.extra = extra
    Path(args.out).write_text(render(info, ceiling, issuer_res, oauth2_res, sts_res, moto_res,
                                     crit, crit_skip, targets, args))
    log(f"wrote {args.out}")
    return 0


def bounds(res: LoadResult, targets: list[dict], ceiling: dict) -> list[str]:
    """Plain statements, computed from this run, about what limits a server that missed."""
    out = []
    missed = [t["what"] for t in targets if t["tool"] == res.tool and t["status"] == "MISS"]
    if not missed or res.skipped:
        return out
    out.append(f"Missed: {', '.join(missed)}.")
    r16 = next((r for r in res.runs if r["conns"] == 16), None)
    cores = ceiling["cores"]
    if r16 and r16["server_cores"]:
        per_core = r16["rps"] / r16["server_cores"]
        other = max(0.0, r16["system_cores"] - r16["server_cores"] - r16["wrk_cores"])
        idle = max(0.0, cores - r16["system_cores"])
        out.append(
            f"At concurrency 16 the {res.tool} used {r16['server_cores']:.2f} of the {cores} "
            f"cores, wrk {r16['wrk_cores']:.2f}, everything else on the machine (other "
            f"processes, interrupts) {other:.2f}, and {idle:.2f} stayed idle. Per "
            f"core-second of its own CPU it answered {per_core:.0f} requests "
            f"({1000 / per_core:.3f} ms of CPU per request).")
        if r16["server_cores"] < 0.5 and idle > 0.5:
            out.append(
                f"The server was mostly idle while requests waited (p50 {r16['p50']:.2f} ms "
                f"at {r16['server_cores']:.2f} cores): the bound is not CPU but waiting (locks, "
                "I/O, timers; ~40 ms stalls are the signature of Nagle's algorithm meeting "
                "delayed ACKs). A CPU profile does not show waiting; look at `perf trace` or "
                "off-CPU time.")
        if res.tool == "issuer":
            eff = per_core / ceiling["sign_per_core"]
            out.append(
                f"That is {100 * eff:.0f}% of openssl's {ceiling['sign_per_core']:.0f} RSA-2048 "
                f"signatures per core-second: per unit of CPU the issuer is "
                + ("at the signing ceiling" if eff >= 0.85 else "below the signing ceiling")
                + ". The ceiling assumes every core signs all the time; here the load "
                "generator and the rest of the machine ran on the same cores, so with the CPU "
                f"left to it ({cores - r16['wrk_cores'] - other:.2f} cores) the issuer could "
                f"reach at most about {100 * (cores - r16['wrk_cores'] - other) / cores:.0f}% "
                "of the ceiling even at 100% signing efficiency.")
    if res.crypto_share:
        out.append(f"In the profile below, {100 * res.crypto_share:.0f}% of the server's CPU "
                   "samples are inside libcrypto (RSA signing/verification).")
    return out


def evaluate(issuer: LoadResult, sts: LoadResult, moto: LoadResult, ceiling: dict,
             es256: LoadResult | None = None, extra: dict | None = None) -> list[dict]:
    """Each target of issues 6 and 16 with our figure and PASS / MISS / SKIPPED. Our servers
    are judged as users run them: default logging."""
    out = []
    extra = extra or {}

    def add(tool, what, target, measured, ok, status=None):
        status = status or ("SKIPPED" if measured is None else ("PASS" if ok else "MISS"))
        out.append({"tool": tool, "what": what, "target": target,
                    "measured": "n/a" if measured is None else measured, "status": status})

    def at(res: LoadResult | None, conns: int):
        return next((r for r in res.runs if r["conns"] == conns), None) if res else None

    best = max((r["rps"] for r in issuer.runs), default=None)
    add("issuer", "RS256 throughput vs signing ceiling", ">= 85% of openssl sign/s x cores",
        None if best is None else f"{best:.0f}/s = {100 * best / ceiling['ceiling']:.1f}% of "
        f"{ceiling['ceiling']:.0f}/s", best is not None and best >= 0.85 * ceiling["ceiling"])
    es_best = max((r["rps"] for r in es256.runs), default=None) if es256 else None
    if es_best is not None and ceiling.get("es_ceiling"):
        add("issuer", "ES256 throughput", "reported", f"{es_best:.0f}/s = "
            f"{100 * es_best / ceiling['es_ceiling']:.1f}% of openssl's "
            f"{ceiling['es_ceiling']:.0f} P-256 sign/s", True, status="REPORTED")
    s16, m16 = at(sts, 16), at(moto, 16)
    ratio = s16["rps"] / m16["rps"] if s16 and m16 else None
    add("sts-mock", "throughput vs moto (c=16)", ">= 75x moto",
        None if ratio is None else f"{ratio:.1f}x ({s16['rps']:.0f}/s vs {m16['rps']:.0f}/s)",
        ratio is not None and ratio >= 75)
    add("sts-mock", "p99 at c=16", "< 3 ms",
        None if not s16 else f"{s16['p99']:.2f} ms", bool(s16) and s16["p99"] < 3)
    for res in (issuer, sts):
        st = res.startup["median"] if res.startup else None
        add(res.tool, "start-up to first answer", "< 20 ms",
            None if st is None else f"{st:.1f} ms (median)", st is not None and st < 20)
        add(res.tool, "peak RSS under load", "< 20 MB",
            None if res.rss_mb is None else f"{res.rss_mb:.1f} MB",
            res.rss_mb is not None and res.rss_mb < 20)
    soak = extra.get("soak")
    if soak and "summary" in soak:
        sm = soak["summary"]
        errs = sum(sm["errors"].values())
        add("sts-mock", "soak: errors", "0", f"{errs} in {sm['requests']} pairs", errs == 0)
        g = soak["growth"]["sts-mock"]["growth"]
        add("sts-mock", "soak: RSS growth after warm-up", "< 10%",
            None if g is None else f"{100 * g:+.1f}%", g is not None and g < 0.10)
    elif soak:
        add("sts-mock", "soak", "0 errors, RSS growth < 10%", None, False)
    flap = extra.get("flap")
    if flap and "summary" in flap:
        add("sts-mock", "JWKS flapping: longest wait", f"<= IdP timeout ({IDP_TIMEOUT_S:.0f} s)",
            f"{flap['max_wait']:.3f} s", flap["max_wait"] <= IDP_TIMEOUT_S + TIMEOUT_SLACK_S)
        bad = sum(flap["unexpected"].values())
        add("sts-mock", "JWKS flapping: errors beyond STS's", "0", str(bad), bad == 0)
        rec = [r["s"] for r in flap["recoveries"]]
        worst = None if not rec or None in rec else max(rec)
        add("sts-mock", "JWKS flapping: recovery", f"within one refetch (<= {flap['recovery_bound']:.0f} s)",
            "never recovered" if None in rec else (None if worst is None else f"{worst:.3f} s (worst of {len(rec)})"),
            worst is not None and worst <= flap["recovery_bound"])
    peer = extra.get("peer")
    if peer and "ours" in peer and "decisions" in peer.get("theirs", {}):
        ours = peer["ours"]["decisions"]
        theirs = peer["theirs"]["decisions"]
        same = sum(a == b for a, b in zip(ours, theirs))
        add("sts-mock", "policy engine agrees with iam-simulate", "same decision on every case",
            f"{same} of {len(ours)}", same == len(ours) == len(theirs))
    for t in out:
        if t["status"] == "SKIPPED":
            t["measured"] = "n/a (skipped: see above)"
    return out


def render(info, ceiling, issuer, oauth2, sts, moto, crit, crit_skip, targets, args) -> str:
    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w("Generated by `make bench` (`scripts/bench.sh` -> `bench/harness.py`); do not edit by hand.")
    w("Every figure below comes from one run on one machine; rerun `make bench` to refresh it.")
    w("")
    w("## Machine")
    w("")
    w("| | |")
    w("|---|---|")
    for k, label in (("cpu", "CPU"), ("cores", "Cores (nproc)"), ("mem", "Memory"),
                     ("os", "OS"), ("kernel", "Kernel"), ("rustc", "rustc"),
                     ("openssl", "OpenSSL"), ("wrk", "Load generator"), ("node", "Node.js"),
                     ("python", "Python (moto)"), ("date", "Date")):
        w(f"| {label} | {info[k]} |")
    w(f"| Load average at start | {' '.join(info['loadavg'])} |")
    w(f"| CPU busy just before the run | {info['busy_at_start']:.2f} of {info['cores']} cores |")
    w("")
    if info["busy_at_start"] > 0.25:
        w(f"**Warning: the machine was not idle** ({info['busy_at_start']:.2f} cores busy with "
          "other work just before the run, see also the \"all\" CPU column): throughput figures "
          "are lower, and latencies higher, than on a quiet machine.")
        w("")
    w("**A shared machine:** these runs share the cores with other work (builds of other "
      "checkouts), so wall-clock figures (throughput, latency, start-up) vary by 20% or more "
      "from run to run; the load average and CPU busy above, and the \"all\" CPU column, say "
      "how busy it was. Instruction counts (the callgrind breakdown, `make bench-ab`) do not "
      "depend on that.")
    w("")
    w(f"Load: `wrk`, closed loop, {args.duration} s per run after a 1 s unmeasured warm-up, "
      "on the same cores as the server under test (so the load generator competes with it for "
      "CPU). wrk counts latency from when it sends each request, so at a fixed concurrency "
      "these are service latencies, not open-loop latencies corrected for coordinated "
      "omission. Start-up is the median of "
      f"{args.startup_runs} runs from just before fork/exec to the first successful answer to "
      "the benchmarked request itself (polled every 1 ms). Peak RSS is VmHWM of the server's "
      "process tree, read after both load runs. \"CPU server / wrk / all\" is the average "
      "number of cores used during the run by the server, by wrk, and by the whole machine (from "
      "/proc/stat; the difference is other processes, e.g. builds, and interrupts).")
    w("")

    def table(rows: list[LoadResult], extra: tuple[str, ...] = ()):
        w("| Tool | Concurrency | Req/s | p50 ms | p99 ms | Errors | CPU server / wrk / all "
          "| Start-up ms (min-max) | Peak RSS MB |")
        w("|---|---:|---:|---:|---:|---:|---|---|---:|")
        for res in rows:
            name = f"**{res.tool}** (ours)" if res.ours else res.tool
            if res.skipped:
                w(f"| {name} | - | SKIPPED | | | | | | |")
                continue
            st = res.startup
            st_txt = f"{st['median']:.1f} ({st['min']:.1f}-{st['max']:.1f})"
            for i, r in enumerate(res.runs):
                errs = r["non2xx"] + r["sock_errors"]
                cpu = f"{r['server_cores']:.2f} / {r['wrk_cores']:.2f} / {r['system_cores']:.2f}"
                w(f"| {name} | {r['conns']} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} "
                  f"| {errs} | {cpu} | {st_txt if i == 0 else ''} "
                  f"| {f'{res.rss_mb:.1f}' if i == 0 else ''} |")
        for row in extra:
            w(row)
        for res in rows:
            if res.skipped:
                w("")
                w(f"SKIPPED {res.tool}: {res.skipped}")

    w("## Issuer: RS256 tokens minted")
    w("")
    w("issuer: `POST /mint` (Dynatrace profile). oauth2-mock-server 9: `POST /token` with "
      "`grant_type=client_credentials`, loaded with the same RSA-2048 key (`--jwk`) so both "
      "sign RS256 with the same key size.")
    w("")
    X = getattr(args, "extra", {}) or {}
    es_row = ()
    if ceiling.get("es_ceiling"):
        es_row = (f"| openssl speed ecdsap256 (ceiling: sign/s x {ceiling['cores']} cores) | - "
                  f"| {ceiling['es_ceiling']:.0f} | | | | | | |",)
    table([r for r in (issuer, X.get("issuer_warn"), X.get("issuer_es256"), oauth2) if r],
          (f"| openssl speed rsa2048 (ceiling: sign/s x {ceiling['cores']} "
           f"cores) | - | {ceiling['ceiling']:.0f} | | | | | | |",) + es_row)
    w("")
    w("`issuer` is the server as users run it (default logging, `info`: a line per token "
      "minted); `(RUST_LOG=warn)` is the same with those lines off; `issuer ES256` signs with a "
      "P-256 key generated under `build/` (`issuer keygen --alg es256`).")
    w("")
    w(f"Signing ceiling: `openssl speed -seconds {args.openssl_seconds} rsa2048` = "
      f"{ceiling['sign_per_core']:.0f} sign/s on one core x {ceiling['cores']} cores = "
      f"**{ceiling['ceiling']:.0f} sign/s**.")
    w("")
    w("## STS: AssumeRoleWithWebIdentity, full path")
    w("")
    w("The same request to both: `POST /` with `Action=AssumeRoleWithWebIdentity`, "
      f"`RoleArn={args.role_arn}`, and {args.token_from}. sts-mock verifies the "
      "signature against the issuer's JWKS, evaluates the role's trust policy and issues "
      "credentials; moto_server issues credentials without verifying the token or the trust "
      "policy (nothing was created in moto: it answers for any role). sts-mock's start-up "
      "counts until its first successful AssumeRoleWithWebIdentity, which includes fetching "
      "the (already running) issuer's discovery document and JWKS.")
    w("")
    table([r for r in (sts, X.get("sts_warn"), moto) if r])
    w("")
    w("`sts-mock` is the server as users run it (default logging, `info`: a line per STS "
      "decision, written to a file); `(RUST_LOG=warn)` is the same with those lines off. The "
      "log lines are written by a background thread (tracing-appender's non-blocking writer, "
      "set up in rig-core/src/logging.rs), so a request only formats its line and queues it.")
    w("")
    render_soaks(w, X, args)
    render_breakdown(w, X.get("breakdown"))
    render_ab(w, args.repo)
    render_peer(w, X.get("peer"))
    w("## Policy engine decision time (criterion)")
    w("")
    if crit:
        w("| Benchmark | Low | Estimate | High |")
        w("|---|---:|---:|---:|")
        for r in crit:
            w(f"| {r['name']} | {r['low']} | {r['mid']} | {r['high']} |")
    else:
        w(f"SKIPPED: {crit_skip}")
    w("")
    w("## Targets")
    w("")
    w("| Tool | Target | Wanted | Measured | Result |")
    w("|---|---|---|---|---|")
    for t in targets:
        w(f"| {t['tool']} | {t['what']} | {t['target']} | {t['measured']} | **{t['status']}** |")
    w("")
    misses = [t for t in targets if t["status"] == "MISS"]
    w("## What bounds it")
    w("")
    if not misses:
        w("Every measured target was met.")
    for res in (issuer, sts):
        text = bounds(res, targets, ceiling)
        bd = X.get("breakdown") or {}
        if text and res.tool == "sts-mock" and "default" in bd:
            per, total = bd["default"]["per_request"], bd["default"]["total"]
            top = sorted(per.items(), key=lambda kv: -kv[1])[:3]
            text.append(
                "By instructions (the callgrind breakdown above) a request costs "
                f"{total:,.0f} instructions, of which "
                + ", ".join(f"{c} {100 * v / total:.0f}%" for c, v in top)
                + ": the path is CPU-bound, mostly by the RS256 verification in OpenSSL, and "
                "what it can reach is its CPU cost per request times the cores it gets, "
                "which on this machine it shares with wrk and other work.")
        if text or res.profile:
            w(f"### {res.tool}")
            w("")
            w(" ".join(text))
            w("")
            if res.profile:
                w(res.profile)
                w("")
    w("")
    w("## Exact commands")
    w("")
    w("```sh")
    seen = set()
    for c in COMMANDS:
        # Start-up runs repeat the same command on new ports; list each shape once.
        key = re.sub(r"127\.0\.0\.1:\d+|-p \d+|(?<=-p )\d+", "PORT", c)
        if key in seen:
            continue
        seen.add(key)
        w(c)
    w("```")
    w("")
    return relative("\n".join(L), args)


def render_soaks(w, X: dict, args) -> None:
    soak, flap = X.get("soak"), X.get("flap")
    w("## Soak: AssumeRoleWithWebIdentity then GetCallerIdentity")
    w("")
    if not soak:
        w("SKIPPED: no load generator (bench/loadgen) or no sts-mock.")
        w("")
    elif "skipped" in soak:
        w(f"SKIPPED: {soak['skipped']}")
        w("")
    else:
        sm = soak["summary"]
        w(f"`bench/loadgen` (Rust: hyper's client, SigV4 by the `aws-sigv4` crate the Rust SDK "
          f"signs with), 16 workers, {sm['requests']} pairs: an AssumeRoleWithWebIdentity with "
          "a session name no other request uses (`soak-N`), then a GetCallerIdentity signed "
          "with the credentials it returned, which must name that session. sts-mock with its "
          "default logging (to /dev/null), against the issuer's JWKS (cached, the default "
          "lifetime). RSS (VmRSS) of each server sampled every 5 s.")
        w("")
        errs = sum(sm["errors"].values())
        w("| | |")
        w("|---|---|")
        w(f"| Pairs | {sm['requests']} ({sm['assume_ok']} assumed, {sm['caller_ok']} "
          "GetCallerIdentity matched the session) |")
        w(f"| Errors | {errs} |")
        for e, n in sorted(sm["errors"].items(), key=lambda x: -x[1])[:10]:
            w(f"| - {e} | {n} |")
        w(f"| Wall time | {sm['elapsed_s']:.0f} s ({sm['calls_per_s']:.0f} calls/s, both kinds) |")
        for call in ("assume", "caller"):
            p = sm.get(call)
            if p:
                label = "AssumeRoleWithWebIdentity" if call == "assume" else "GetCallerIdentity"
                w(f"| {label} latency | p50 {p['p50_ms']:.2f} ms, p99 {p['p99_ms']:.2f} ms, "
                  f"p99.9 {p['p999_ms']:.2f} ms, max {p['max_ms']:.2f} ms |")
        for name in ("sts-mock", "issuer"):
            g = soak["growth"][name]
            if g["base"] is not None:
                w(f"| {name} RSS | {g['base']:.1f} MB at {soak['warmup']:.0f} s (end of warm-up)"
                  f", {g['end']:.1f} MB at the end, max {g['max']:.1f} MB: growth "
                  f"**{100 * (g['growth'] or 0):+.1f}%** |")
        w("")
        w("<details><summary>RSS samples (MB), every 5 s</summary>")
        w("")
        w("| t (s) | sts-mock | issuer |")
        w("|---:|---:|---:|")
        for x in soak["samples"]:
            w(f"| {x['t']:.0f} | {x.get('sts-mock') or 0:.1f} | {x.get('issuer') or 0:.1f} |")
        w("")
        w("</details>")
        w("")
    w("## Soak with the issuer's JWKS flapping")
    w("")
    if not flap or "skipped" in flap:
        w(f"SKIPPED: {(flap or {}).get('skipped', 'no load generator or no sts-mock')}")
        w("")
        return
    sm = flap["summary"]
    cycle = " / ".join(f"{name}" for _, name in FLAP_CYCLE)
    w(f"The same load, {flap['rows']} pairs (at least {sm['requests']}, and for at least "
      f"{FLAP_MIN_CYCLES} whole cycles), while the harness switches the issuer's JWKS "
      f"(`PUT /_issuer/faults`) through {cycle}, {FLAP_PERIOD_S:.0f} s each, over and over "
      f"({flap['flips']} switches); sts-mock with `--jwks-cache-seconds {FLAP_CACHE_S}`, so it "
      "refetches every second while the keys are fresh. Every AssumeRoleWithWebIdentity is "
      "logged with its start and latency and lined up with the switches.")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| Longest wait of any request | {flap['max_wait']:.3f} s (IdP timeout {IDP_TIMEOUT_S:.0f} s) |")
    p = sm.get("assume")
    if p:
        w(f"| AssumeRoleWithWebIdentity latency | p50 {p['p50_ms']:.2f} ms, p99 {p['p99_ms']:.1f} ms, "
          f"max {p['max_ms']:.1f} ms |")
    total_err = sum(flap["errors"].values())
    w(f"| Refused AssumeRoleWithWebIdentity | {total_err} of {flap['rows']} |")
    for e, n in sorted(flap["errors"].items(), key=lambda x: -x[1])[:6]:
        w(f"| - {e[:200]} | {n} |")
    bad = sum(flap["unexpected"].values())
    w(f"| Errors other than STS's (incl. any GetCallerIdentity failure) | {bad} |")
    for e, n in list(flap["unexpected"].items())[:6]:
        w(f"| - {e[:200]} | {n} |")
    rec = flap["recoveries"]
    by = {}
    for r in rec:
        by.setdefault(r["after"], []).append(r["s"])
    for after, vals in by.items():
        good = [v for v in vals if v is not None]
        w(f"| Recovery after `{after}` (heal to first success), {len(vals)} times | "
          + (f"worst {max(good):.3f} s, median {statistics.median(good):.3f} s" if good else "never")
          + (f", {len(vals) - len(good)} never" if good and len(good) < len(vals) else "") + " |")
    w("")
    w(f"Recovery bound, \"one refetch\": the fetch in flight when the JWKS heals (up to the "
      f"{IDP_TIMEOUT_S:.0f} s IdP timeout when it was slow; those waiting share its failure) "
      f"plus one more fetch: {flap['recovery_bound']:.0f} s.")
    w("")


def render_breakdown(w, bd: dict | None) -> None:
    w("## Where an AssumeRoleWithWebIdentity goes (callgrind)")
    w("")
    if not bd or "skipped" in bd:
        w(f"SKIPPED: {(bd or {}).get('skipped', 'not run')}")
        w("")
        return
    w("Instructions per full-path request (`valgrind --tool=callgrind` on the release build, "
      "one connection, the request of the table above): (after 1200 requests - after 200) / "
      "1000, so start-up and the first key fetch cancel out. Each function's own instructions "
      "are put in a stage by its symbol (the `CATEGORIES` patterns in bench/harness.py: "
      "hyper/tokio/httparse = HTTP, form_urlencoded = parameters, josekit/base64/serde_json = "
      "JWT parse, libcrypto = signature, sts_mock::policy = policy, AES-GCM/HKDF = sealing, "
      "quick_xml = XML, tracing = logging). Instructions, not time: repeatable on this "
      "shared machine where wall-clock is not, but they do not count the kernel (a `write` "
      "to stderr costs far more than its user-space instructions).")
    w("")
    cats = [c for c, _ in CATEGORIES] + ["other"]
    w("| Stage | default logging | share | RUST_LOG=warn | share |")
    w("|---|---:|---:|---:|---:|")
    d, q = bd["default"]["per_request"], bd["warn"]["per_request"]
    td, tq = bd["default"]["total"], bd["warn"]["total"]
    for c in sorted(cats, key=lambda c: -d.get(c, 0)):
        w(f"| {c} | {d.get(c, 0):,.0f} | {100 * d.get(c, 0) / td:.1f}% | {q.get(c, 0):,.0f} "
          f"| {100 * q.get(c, 0) / tq:.1f}% |")
    w(f"| **total** | **{td:,.0f}** | | **{tq:,.0f}** | |")
    w("")
    w(f"Default logging costs {td - tq:,.0f} instructions per request more than RUST_LOG=warn "
      f"({100 * (td - tq) / tq:.1f}%): formatting the decision line and queueing it for "
      "the log thread; the background thread's `write` is off the request path.")
    w("")


def render_ab(w, repo: str) -> None:
    """The last `make bench-ab` (build/bench-ab/last.md), if there is one: instructions per
    request of a base revision and the working tree, by logging level."""
    last = Path(repo) / "build" / "bench-ab" / "last.md"
    w("### Before and after (`make bench-ab`)")
    w("")
    if not last.exists():
        w("Not run on this machine yet: `make bench-ab BASE=<rev>` compares sts-mock's "
          "instructions per request with an older revision, at RUST_LOG=warn and info.")
        w("")
        return
    w("The last `make bench-ab` on this machine (callgrind, sequential requests on one "
      "connection; instructions in user space only, so a `write` system call saved counts "
      "as the few instructions that issue it):")
    w("")
    for line in last.read_text().splitlines():
        w(line)
    w("")


def render_peer(w, peer: dict | None) -> None:
    w("## Policy engine next to iam-simulate")
    w("")
    if not peer or "skipped" in peer:
        w(f"SKIPPED: {(peer or {}).get('skipped', 'not run')}")
        w("")
        return
    ours, theirs = peer["ours"], peer["theirs"]
    w("The same identity-policy cases (bench/policy_cases.json: wildcards, NotAction, explicit "
      "Deny, conditions on strings, IP ranges, dates, numbers, multi-valued keys) decided by "
      "our engine (sts-mock/src/policy, `policy-bench` in bench/loadgen) and by "
      "`@cloud-copilot/iam-simulate` (npm, `runSimulation`, Node.js), each deciding every case "
      "over and over for a few seconds on one core.")
    w("")
    if "skipped" in theirs:
        w(f"iam-simulate SKIPPED: {theirs['skipped']}")
        w("")
    w("| Case | ours | iam-simulate |")
    w("|---|---|---|")
    for i, name in enumerate(ours["names"]):
        t = theirs["decisions"][i] if "decisions" in theirs else "-"
        mark = "" if t == ours["decisions"][i] else " **differs**"
        w(f"| {name} | {ours['decisions'][i]} | {t}{mark} |")
    w("")
    w("| Engine | Decisions per second |")
    w("|---|---:|")
    w(f"| **ours** (Rust) | {ours['per_second']:,.0f} |")
    if "per_second" in theirs:
        w(f"| iam-simulate {theirs.get('version', '')} (Node.js {theirs.get('node', '')}) "
          f"| {theirs['per_second']:,.0f} |")
        w("")
        w(f"Ours decides {ours['per_second'] / theirs['per_second']:,.0f} times as many per second. "
          "iam-simulate also validates every input (policies, action names, resource types, "
          "context keys) on each call and builds an explanation; ours parses a policy once.")
    w("")


def relative(text: str, args) -> str:
    """The report names paths relative to the repository, never this machine's layout: the
    repository itself is `.`, a target directory outside it (CARGO_TARGET_DIR) is `target`."""
    repo = str(Path(args.repo).resolve()).rstrip("/")
    subs = []
    if args.target_dir:
        target = str(Path(args.target_dir).resolve()).rstrip("/")
        if not target.startswith(repo + "/"):
            subs.append((target + "/", "target/"))
            subs.append((target, "target"))
    subs += [(repo + "/", ""), (f"--repo {repo} ", "--repo . "), (repo, ".")]
    if args.repo.rstrip("/") != repo:
        subs += [(args.repo.rstrip("/") + "/", ""), (args.repo.rstrip("/"), ".")]
    for old, new in subs:
        text = text.replace(old, new)
    return text


if __name__ == "__main__":
    sys.exit(main())
