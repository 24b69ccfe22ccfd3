"""Helpers for driving the real binaries (issuer, sts-mock) and the real AWS CLI.

Binaries come from $RIG_BIN_DIR (set by the Makefile), else $CARGO_TARGET_DIR/debug, else
target/debug. The AWS CLI is the one installed into this virtualenv by the Makefile. A missing
binary or tool is a test failure, never a skip.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ISSUER_URL = "https://token.dynatrace.com"
AUD = "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector"


def bin_dir() -> Path:
    if os.environ.get("RIG_BIN_DIR"):
        return Path(os.environ["RIG_BIN_DIR"])
    target = os.environ.get("CARGO_TARGET_DIR")
    return (Path(target) if target else REPO / "target") / "debug"


def binary(name: str) -> str:
    path = bin_dir() / name
    assert path.is_file(), f"{path} is missing: run `cargo build --workspace --bins` (make pytest does)"
    return str(path)


def aws_cli() -> str:
    path = Path(sys.executable).parent / "aws"
    assert path.is_file(), f"the AWS CLI is not installed in this virtualenv ({path}): run `make pytest`"
    return str(path)


class Server:
    """A binary serving in the background; its URL is read from the line it prints."""

    def __init__(self, args, env=None):
        self.args = args
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.output = []
        self.url = None
        found = threading.Event()

        def read():
            for line in self.proc.stdout:
                self.output.append(line)
                m = re.search(r"listening on (http://\S+)", line)
                if m and not found.is_set():
                    self.url = m.group(1)
                    found.set()
            found.set()

        threading.Thread(target=read, daemon=True).start()
        found.wait(timeout=30)
        assert self.url, f"{args[0]} did not start: {''.join(self.output)}"

    def kill(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def servers():
    """Starts servers for a test and kills every one of them when it ends."""
    started = []

    def start(args, env=None):
        server = Server(args, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill(signal.SIGKILL)


@pytest.fixture
def issuer(servers):
    return servers([binary("issuer"), "serve", "--listen", "127.0.0.1:0", "--keys", str(REPO / "keys")])


def sts_mock_args(issuer_url, *extra):
    return [
        binary("sts-mock"),
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--oidc-endpoint",
        f"{ISSUER_URL}={issuer_url}",
        *extra,
    ]


def mint(connection: str, tenant: str = "abc12345") -> str:
    out = subprocess.run(
        [binary("issuer"), "mint", "--keys", str(REPO / "keys"), "--tenant", tenant, "--connection", connection],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def aws(endpoint: str, *args, access_key: str = "test"):
    """Runs the AWS CLI against `endpoint`; returns (exit code, parsed JSON or None, stderr)."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    out = subprocess.run(
        [aws_cli(), "--endpoint-url", endpoint, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    parsed = json.loads(out.stdout) if out.stdout.strip() else None
    return out.returncode, parsed, out.stderr


# The built-in issuers other than Dynatrace at /: name (their prefix) to identity.
BUILTIN_ISSUERS = {
    "github": "https://token.actions.githubusercontent.com",
    "gitlab": "https://gitlab.com",
    "eks": "https://oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B",
}


def sts_mock_all_issuers_args(issuer_url, *extra):
    """sts-mock with every built-in issuer's identity mapped to its prefix on `issuer_url`."""
    args = [binary("sts-mock"), "serve", "--listen", "127.0.0.1:0", "--oidc-endpoint", f"{ISSUER_URL}={issuer_url}"]
    for name, identity in BUILTIN_ISSUERS.items():
        args += ["--oidc-endpoint", f"{identity}={issuer_url}/{name}"]
    return args + list(extra)


def mint_for(issuer: str, *fields: str, config=None) -> str:
    """`issuer mint --issuer ISSUER FIELD=VALUE...`: exactly the token."""
    args = [binary("issuer"), "mint", "--keys", str(REPO / "keys"), "--issuer", issuer, *fields]
    if config:
        args += ["--config", str(config)]
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout
