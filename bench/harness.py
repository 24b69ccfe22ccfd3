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
  * the policy engine's decision time (criterion), when that bench exists.
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


def start(server: Server, deadline_s: float = 30.0) -> tuple[subprocess.Popen, int, float]:
    """Starts `server` on a free port; returns (process, port, ms to first successful answer).

    The clock starts just before fork/exec and stops when the benchmarked request itself
    (not a health check) first succeeds; connection attempts are retried every 1 ms.
    """
    port = free_port()
    argv = server.argv_for_port(port)
    record(argv, server.env)
    env = dict(os.environ, **server.env)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    _STARTED.append(proc)
    last, first_answer = "no answer", None
    while time.monotonic() - t0 < deadline_s:
        # A server that answers, but wrongly, for 3 s is not going to get it right.
        if first_answer and time.monotonic() - first_answer > 3.0:
            break
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{server.name} exited with {proc.returncode}: {err}")
        try:
            status, body = server.probe.send(port)
            if server.probe.ok(status, body):
                ms = (time.monotonic() - t0) * 1000.0
                # Drain stderr in the background so a chatty server never blocks on a full pipe.
                proc.stderr.close()
                return proc, port, ms
            last = f"HTTP {status}: {body[:300]!r}"
            first_answer = first_answer or time.monotonic()
        except OSError as e:
            last = repr(e)
        time.sleep(0.001)
    stop(proc)
    raise RuntimeError(f"no successful answer from {server.name} after "
                       f"{time.monotonic() - t0:.1f} s; last: {last}")


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
    return {"sign_per_core": sign, "cores": cores, "ceiling": sign * cores}


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
            Probe("POST", "/mint", mint_body, "application/json", token_ok),
            env={"RUST_LOG": "warn"}, ours=True)
        issuer_res = bench_server(issuer_srv, args, workdir)
        if issuer_res.skipped:
            issuer_srv = None
    else:
        issuer_res = LoadResult("issuer", True,
                                skipped=args.issuer_skip_reason or "issuer binary not built")

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
            sts_probe, env={"RUST_LOG": "warn"}, ours=True)
        sts_res = bench_server(sts_srv, args, workdir)
        if sts_res.skipped:
            sts_srv = None
    else:
        sts_srv = None
        reason = args.sts_skip_reason or "sts-mock binary not built"
        if not issuer_keep:
            reason += "; the issuer (token source) is not available"
        sts_res = LoadResult("sts-mock", True, skipped=reason)

    # --- moto_server, the same request (moto accepts any token and any role: nothing created)
    moto_srv = Server("moto_server",
                      lambda port: [args.moto_bin, "-H", "127.0.0.1", "-p", str(port)],
                      sts_probe)
    moto_res = bench_server(moto_srv, args, workdir)

    # --- criterion
    if args.no_criterion:
        crit, crit_skip = None, "criterion run disabled (--no-criterion)"
    else:
        log("criterion: cargo bench -p sts-mock --bench policy")
        crit, crit_skip = criterion(args)

    # --- targets and profiles
    targets = evaluate(issuer_res, sts_res, moto_res, ceiling)
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


def evaluate(issuer: LoadResult, sts: LoadResult, moto: LoadResult, ceiling: dict) -> list[dict]:
    """Each target of issue 6 with our figure and PASS / MISS / SKIPPED."""
    out = []

    def add(tool, what, target, measured, ok):
        status = "SKIPPED" if measured is None else ("PASS" if ok else "MISS")
        out.append({"tool": tool, "what": what, "target": target,
                    "measured": "n/a" if measured is None else measured, "status": status})

    def at(res: LoadResult, conns: int):
        return next((r for r in res.runs if r["conns"] == conns), None)

    best = max((r["rps"] for r in issuer.runs), default=None)
    add("issuer", "throughput vs signing ceiling", ">= 85% of openssl sign/s x cores",
        None if best is None else f"{best:.0f}/s = {100 * best / ceiling['ceiling']:.1f}% of "
        f"{ceiling['ceiling']:.0f}/s", best is not None and best >= 0.85 * ceiling["ceiling"])
    s16, m16 = at(sts, 16), at(moto, 16)
    ratio = s16["rps"] / m16["rps"] if s16 and m16 else None
    add("sts-mock", "throughput vs moto (c=16)", ">= 30x moto",
        None if ratio is None else f"{ratio:.1f}x ({s16['rps']:.0f}/s vs {m16['rps']:.0f}/s)",
        ratio is not None and ratio >= 30)
    add("sts-mock", "p99 at c=16", "< 5 ms",
        None if not s16 else f"{s16['p99']:.2f} ms", bool(s16) and s16["p99"] < 5)
    for res in (issuer, sts):
        st = res.startup["median"] if res.startup else None
        add(res.tool, "start-up to first answer", "< 100 ms",
            None if st is None else f"{st:.1f} ms (median)", st is not None and st < 100)
        add(res.tool, "peak RSS under load", "< 30 MB",
            None if res.rss_mb is None else f"{res.rss_mb:.1f} MB",
            res.rss_mb is not None and res.rss_mb < 30)
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
    table([issuer, oauth2], (f"| openssl speed rsa2048 (ceiling: sign/s x {ceiling['cores']} "
                             f"cores) | - | {ceiling['ceiling']:.0f} | | | | | | |",))
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
    table([sts, moto])
    w("")
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
    return "\n".join(L).replace(f"{args.repo.rstrip('/')}/", "")


if __name__ == "__main__":
    sys.exit(main())
