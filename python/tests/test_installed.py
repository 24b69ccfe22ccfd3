"""The installed wheel: its binaries on the virtualenv's PATH, its keys, its version, and
`python -m oidc_sts_rig run`."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest

import oidc_sts_rig
from oidc_sts_rig import binary_path, keys_dir

SCRIPTS = Path(sysconfig.get_path("scripts"))
VERSION = metadata.version("oidc-sts-rig")


def test_the_package_is_the_installed_one_not_a_source_tree():
    assert sys.prefix != sys.base_prefix, "run this suite with the wheel's virtualenv"
    site = {Path(sysconfig.get_path(k)).resolve() for k in ("purelib", "platlib")}
    package = Path(oidc_sts_rig.__file__).resolve().parent
    assert package.parent in site, f"oidc_sts_rig imported from {package}, not from {site}"
    assert oidc_sts_rig.__version__ == VERSION
    assert (package / "py.typed").is_file()


@pytest.mark.parametrize("name", ["issuer", "sts-mock"])
def test_both_binaries_are_in_the_venvs_bin_and_answer_help_and_version(name):
    path = SCRIPTS / name
    assert path.is_file() and os.access(path, os.X_OK), f"{path} is not installed"
    assert binary_path(name) == path.resolve()
    helped = subprocess.run([str(path), "--help"], capture_output=True, text=True, timeout=30)
    assert helped.returncode == 0, helped.stderr
    assert f"Usage: {name}" in helped.stdout and "serve" in helped.stdout
    served = subprocess.run([str(path), "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert served.returncode == 0 and "--listen" in served.stdout, served.stderr
    # The wheel's version is the workspace crates' version.
    version = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30)
    assert version.stdout.strip() == f"{name} {VERSION}"


def test_the_wheel_carries_the_keys_the_default_setup_signs_with(rig):
    keys = keys_dir()
    assert keys.parent == Path(oidc_sts_rig.__file__).resolve().parent
    assert (keys / "dev-rsa-2026.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert "never use it" in (keys / "README.md").read_text()
    with urllib.request.urlopen(f"{rig.issuer_url()}/.well-known/jwks.json", timeout=10) as response:
        kids = [key["kid"] for key in json.load(response)["keys"]]
    assert kids == ["dev-rsa-2026"]
    assert rig.mint().header["kid"] == "dev-rsa-2026"


def refused(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def read_until(run, marker, limit=200, timeout=60):
    """Lines of `run`'s output up to the one with `marker` (a process that hangs instead is
    killed after `timeout` seconds, which ends its output)."""
    watchdog = threading.Timer(timeout, run.kill)
    watchdog.start()
    lines = []
    try:
        for _ in range(limit):
            line = run.stdout.readline()
            if not line:
                break
            lines.append(line)
            if marker in line:
                break
    finally:
        watchdog.cancel()
    return "".join(lines)


def test_python_m_oidc_sts_rig_run_starts_the_rig_as_make_run_does_and_its_walk_through_works(tmp_path):
    """The default ports, as `make run`. `make test` runs this suite in a network namespace of its
    own, where they are free whatever else this machine runs."""
    for port in (9400, 9401):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                pytest.fail(f"port {port} is in use: run this suite as `make test` does (in a network namespace of its own)")
    run = subprocess.Popen([sys.executable, "-m", "oidc_sts_rig", "run"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        printed = read_until(run, "Ctrl-C stops both.")
        assert "Issuer  http://127.0.0.1:9400  (iss https://token.dynatrace.com)" in printed, printed
        assert "STS+IAM http://127.0.0.1:9401  (setup: the built-in default)" in printed, printed
        walk = printed.split("Paste into another shell:", 1)[1].split("Ctrl-C stops both.", 1)[0]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=str(tmp_path), AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        pasted = subprocess.run(["bash", "-euo", "pipefail", "-c", walk.replace("/tmp/token", str(tmp_path / "token"))],
                                capture_output=True, text=True, env=env, timeout=120)
        assert pasted.returncode == 0, pasted.stderr
        out = pasted.stdout
        # 1. assumed; 2. refused; 3. the decision log says why; 4. boto3's own provider.
        assert "<Arn>arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/demo</Arn>" in out, out
        assert "<Code>AccessDenied</Code>" in out, out
        decisions = json.loads(next(line for line in out.splitlines() if line.startswith('{"decisions"')))
        assert decisions["decisions"][-1]["subject"] == "dtid:connection/other-connection"
        assert "does not satisfy StringEquals" in decisions["decisions"][-1]["reason"]
        assert out.rstrip().splitlines()[-1].startswith("arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/")
    finally:
        run.send_signal(signal.SIGINT)
        code = run.wait(timeout=30)
    assert code == 130
    assert refused(9400) and refused(9401), "a server outlived `python -m oidc_sts_rig run`"


@pytest.fixture
def start_run():
    """Starts `python -m oidc_sts_rig run` on free ports; whatever a test does, the process and
    its servers are gone when it ends."""
    started = []

    def start(**popen):
        run = subprocess.Popen([sys.executable, "-m", "oidc_sts_rig", "run", "--issuer-listen", "127.0.0.1:0",
                                "--sts-listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, **popen)
        started.append(run)
        printed = read_until(run, "Ctrl-C stops both.")
        ports = {name: int(port) for name, port in
                 re.findall(r"^(issuer|sts-mock) listening on http://127.0.0.1:(\d+)$", printed, re.M)}
        assert set(ports) == {"issuer", "sts-mock"}, printed
        return run, ports

    yield start
    for run in started:
        if run.poll() is None:
            run.send_signal(signal.SIGINT)
            run.wait(timeout=30)
        run.stdout.close()


def test_ctrl_c_in_a_terminal_reaches_every_process_and_run_stops_cleanly(start_run):
    run, ports = start_run(start_new_session=True)
    os.killpg(run.pid, signal.SIGINT)  # what a terminal does: the whole foreground process group
    rest = run.stdout.read()
    assert run.wait(timeout=30) == 130
    assert "exited with code" not in rest, rest
    assert refused(ports["issuer"]) and refused(ports["sts-mock"])


def test_when_a_server_dies_run_stops_the_other_and_says_which(start_run):
    run, ports = start_run()
    children = Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()
    sts_mock = next(pid for pid in map(int, children) if Path(f"/proc/{pid}/exe").resolve().name == "sts-mock")
    os.kill(sts_mock, signal.SIGKILL)
    rest = run.stdout.read()
    assert run.wait(timeout=30) == 1
    assert "python -m oidc_sts_rig run: sts-mock exited with code -9; stopping the other" in rest, rest
    assert refused(ports["issuer"]), "the issuer outlived sts-mock"


def test_python_m_oidc_sts_rig_run_shows_why_a_server_did_not_start():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "oidc_sts_rig", "run", "--issuer-listen", f"127.0.0.1:{port}",
                              "--sts-listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "issuer did not start: it exited with code 1 before listening" in run.stderr, run.stderr
    assert f"issuer: cannot listen on 127.0.0.1:{port}: Address already in use" in run.stderr, run.stderr
    assert "command: " in run.stderr and " serve --listen " in run.stderr
