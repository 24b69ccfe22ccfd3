"""The rig: the `issuer` and `sts-mock` binaries of this wheel, started on free ports and wired
to each other on the built-in default setup, driven over their own HTTP endpoints."""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import weakref
from collections import deque
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, List, Mapping, Optional, Tuple, Type, Union

if TYPE_CHECKING:  # pragma: no cover - typing only
    from botocore.client import BaseClient  # type: ignore[import-untyped, unused-ignore]

DIST_NAME = "oidc-sts-rig"

#: The account of the built-in default setup.
DEFAULT_ACCOUNT = "000000000000"
#: The role of the built-in default setup: only connection `my-connection` of tenant
#: `abc12345` (the issuer's default token) may assume it.
DEFAULT_ROLE_ARN = "arn:aws:iam::000000000000:role/dynatrace-aws-connector"
#: The region the rig's clients and environments use.
DEFAULT_REGION = "us-east-1"
#: Environment variables through which static AWS credentials or a profile would take
#: precedence over web identity in boto3's credential chain: code under test that should use
#: `web_identity_env()` must not see them.
CREDENTIAL_ENV_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")

# Both servers print this line once they accept connections.
_LISTENING = re.compile(r"listening on (http://\S+)")
# The servers read their defaults from these; the rig passes everything explicitly, so a
# developer's shell (STS_MOCK_STATE=..., ISSUER_CLOCK=...) cannot change what a test sees.
_SERVER_ENV_PREFIXES = ("STS_MOCK_", "ISSUER_")
# How much of each server's output is kept (for start-up errors and failed-test reports).
_OUTPUT_LINES = 5000


class RigError(Exception):
    """Something the rig was asked to do failed; the message says what and why."""


class RigStartError(RigError):
    """A server did not start. The message carries its command line and its own output."""


class RigHTTPError(RigError):
    """A server answered a request of the rig with an error."""

    def __init__(self, server: str, method: str, url: str, status: int, body: str) -> None:
        self.server = server
        self.status = status
        self.body = body
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        self.error: Optional[str] = parsed.get("error") if isinstance(parsed, dict) else None
        message = parsed.get("message") if isinstance(parsed, dict) else None
        self.message: str = message if isinstance(message, str) else body.strip()
        super().__init__(f"{server}: {method} {url}: HTTP {status}: {self.message}")


@dataclass(frozen=True)
class IssuerSpec:
    """One issuer of the issuer process: its name, where the issuer process serves it, and the
    identity (`iss`) its tokens carry."""

    name: str
    #: Path prefix on the issuer server (`/`, `/github/`...).
    prefix: str
    #: The identity URL (`iss`) sts-mock knows the issuer by.
    identity: str


#: Every issuer the rig wires, by name: `issuer_url(name)` and `mint(issuer=name)` look names up
#: here and nowhere else, and sts-mock gets one `--oidc-endpoint` per entry. The issuer binary
#: serves Dynatrace's at `/` today; when it serves more (GitHub Actions at `/github/`, GitLab at
#: `/gitlab/`, EKS at `/eks/`), they are one line each here.
ISSUERS: Mapping[str, IssuerSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            IssuerSpec("dynatrace", "/", "https://token.dynatrace.com"),
            IssuerSpec("github", "/github/", "https://token.actions.githubusercontent.com"),
            IssuerSpec("gitlab", "/gitlab/", "https://gitlab.com"),
            IssuerSpec("eks", "/eks/", "https://oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B"),
        )
    }
)


def _issuer_base(server_url: str, spec: IssuerSpec) -> str:
    """Where issuer `spec` is served by the issuer process at `server_url` (no trailing slash)."""
    return server_url + spec.prefix.rstrip("/")


def _installed_file(name: str) -> Optional[Path]:
    """A file of this distribution (a script in the venv's bin/, say), from its RECORD."""
    try:
        dist = metadata.distribution(DIST_NAME)
    except metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if entry.name == name and not str(entry).startswith("oidc_sts_rig"):
            return Path(str(dist.locate_file(entry))).resolve()
    return None


def binary_path(name: str) -> Path:
    """The `issuer` or `sts-mock` binary the rig runs: the one this wheel installed, or the one
    in `$OIDC_STS_RIG_BIN_DIR` when that is set (a cargo build, say)."""
    if name not in ("issuer", "sts-mock"):
        raise ValueError(f"no binary {name!r}: the rig has `issuer` and `sts-mock`")
    override = os.environ.get("OIDC_STS_RIG_BIN_DIR")
    if override:
        path = Path(override) / name
        where = f"$OIDC_STS_RIG_BIN_DIR ({override})"
    else:
        found = _installed_file(name)
        if found is None:
            raise RigError(
                f"the `{name}` binary of {DIST_NAME} is not installed (no {name} in the "
                f"distribution's RECORD): install the wheel (pip install oidc_sts_rig-*.whl), or set "
                f"OIDC_STS_RIG_BIN_DIR to a directory holding issuer and sts-mock"
            )
        path = found
        where = f"the {DIST_NAME} installation"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise RigError(f"{path} is missing or not executable (from {where})")
    return path


def keys_dir() -> Path:
    """The keys the built-in default setup signs with (development keys, shipped in the wheel)."""
    return Path(__file__).resolve().parent / "keys"


def _server_env(extra: Optional[Mapping[str, str]]) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SERVER_ENV_PREFIXES)}
    env.update(extra or {})
    return env


def _indent(text: str) -> str:
    return "".join(f"    {line}" if line.strip() else line for line in text.splitlines(keepends=True)) or "    (nothing)\n"


class _Server:
    """One binary serving in the background. Its URL is read from the `listening on` line it
    prints; everything it prints is kept (bounded) for error messages."""

    def __init__(
        self,
        name: str,
        args: List[str],
        *,
        env: Dict[str, str],
        timeout: float,
        echo: Optional[Callable[[str], None]] = None,
        on_exit: Optional[Callable[[], None]] = None,
    ) -> None:
        self.name = name
        self.args = args
        self.url: Optional[str] = None
        self._echo = echo
        self._on_exit = on_exit
        self._lines: Deque[Tuple[int, str]] = deque(maxlen=_OUTPUT_LINES)
        self._count = 0
        self._lock = threading.Lock()
        self._started = threading.Event()
        #: Set when the server's output ends (it exited, or is exiting).
        self.ended = threading.Event()
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                text=True,
                errors="replace",
                bufsize=1,
            )
        except OSError as e:
            raise RigStartError(f"{name} could not be started: {e}\ncommand: {shlex.join(args)}") from e
        self._reader = threading.Thread(target=self._read, name=f"oidc-sts-rig {name} output", daemon=True)
        self._reader.start()
        if not self._started.wait(timeout):
            self.stop()
            self._fail(f"it printed no `listening on` line within {timeout:g} s")
        if self.url is None:
            self.stop()
            self._fail(f"it exited with code {self.proc.returncode} before listening")

    def _fail(self, why: str) -> None:
        raise RigStartError(
            f"{self.name} did not start: {why}.\n"
            f"command: {shlex.join(self.args)}\n"
            f"{self.name} output:\n{_indent(self.output())}"
        )

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            for line in self.proc.stdout:
                with self._lock:
                    self._count += 1
                    self._lines.append((self._count, line))
                if self._echo is not None:
                    self._echo(line)
                if self.url is None:
                    match = _LISTENING.search(line)
                    if match:
                        self.url = match.group(1).rstrip("/")
                        self._started.set()
        finally:
            self._started.set()
            self.ended.set()
            if self._on_exit is not None:
                self._on_exit()

    def mark(self) -> int:
        """How many lines the server has printed so far (for `output(since=...)`)."""
        with self._lock:
            return self._count

    def output(self, since: int = 0) -> str:
        """What the server printed (stdout and stderr) after line `since`, as kept."""
        with self._lock:
            return "".join(line for number, line in self._lines if number > since)

    def describe_exit(self) -> Optional[str]:
        code = self.proc.poll()
        if code is None:
            return None
        return f"{self.name} has exited (code {code}); its last output:\n{_indent(self.output()[-4000:])}"

    def stop(self, timeout: float = 10.0) -> None:
        """Ctrl-C (both servers finish requests in progress), then a kill if that takes too long."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGINT)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _format_instant(at: Union[_dt.datetime, str]) -> str:
    if isinstance(at, str):
        return at
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(
            f"{at!r} has no time zone: use an aware datetime, e.g. datetime(2026, 11, 23, 5, tzinfo=timezone.utc)"
        )
    return at.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_instant(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def _whole_seconds(seconds: Union[int, float, _dt.timedelta]) -> int:
    value = seconds.total_seconds() if isinstance(seconds, _dt.timedelta) else seconds
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"the servers' clocks move in whole seconds, not {seconds!r}")
    return int(value)


@dataclass(frozen=True)
class ClockState:
    """A clock's state, as `GET .../clock` answers it."""

    now: _dt.datetime
    #: `real`, `offset` or `frozen`.
    mode: str
    #: Seconds ahead of real time (negative: behind), for `offset` and `frozen` clocks.
    offset_seconds: Optional[int]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClockState:
        offset = data.get("offset_seconds")
        return cls(now=_parse_instant(str(data["now"])), mode=str(data["mode"]), offset_seconds=offset)


class RigClock:
    """The clock of both servers, moved together: tokens the issuer mints and the checks
    sts-mock makes (`exp`, `nbf`, `aws:CurrentTime`, credential expiry) read the same "now".

    Every change is sent to the issuer and to sts-mock, and their answers must agree."""

    def __init__(self, rig: Rig, start: Optional[str]) -> None:
        self._rig = rig
        self._start = start
        self._changed = False

    @property
    def changed(self) -> bool:
        """Whether the clock was moved since the rig started (or since the last `reset()`)."""
        return self._changed

    def state(self) -> ClockState:
        """sts-mock's clock."""
        return ClockState.from_json(self._rig._request("sts-mock", "GET", "/_sts-mock/clock"))

    def now(self) -> _dt.datetime:
        """The servers' "now" (an aware datetime in UTC)."""
        return self.state().now

    def freeze(self, at: Union[_dt.datetime, str, None] = None) -> ClockState:
        """Stops both clocks at `at` (an aware datetime or an RFC 3339 string; whole seconds),
        or at the servers' current time."""
        instant = _format_instant(at) if at is not None else _format_instant(self.now())
        return self._change({"now": instant})

    def advance(self, seconds: Union[int, float, _dt.timedelta]) -> ClockState:
        """Moves both clocks forward (negative: back) by whole seconds. A frozen clock moves to a
        new instant; a running one runs that much further ahead of real time."""
        return self._change({"advance_seconds": _whole_seconds(seconds)})

    def offset(self, seconds: Union[int, float, _dt.timedelta]) -> ClockState:
        """Runs both clocks at real time plus `seconds`."""
        return self._change({"offset_seconds": _whole_seconds(seconds)})

    def real(self) -> ClockState:
        """Both clocks back to real time."""
        return self._change({"real": True})

    def reset(self) -> ClockState:
        """Both clocks back to how the rig started (real time unless started with `clock=`)."""
        start = self._start
        if start is None or start == "real":
            state = self.real()
        elif start[:1] in "+-":
            state = self.offset(int(start))
        else:
            state = self.freeze(start)
        self._changed = False
        return state

    def _change(self, change: Mapping[str, Any]) -> ClockState:
        self._changed = True
        issuer = ClockState.from_json(self._rig._request("issuer", "PUT", "/_issuer/clock", change))
        sts = ClockState.from_json(self._rig._request("sts-mock", "PUT", "/_sts-mock/clock", change))
        agree = issuer.mode == sts.mode and (
            issuer.now == sts.now if sts.mode == "frozen" else issuer.offset_seconds == sts.offset_seconds
        )
        if not agree:
            raise RigError(
                f"the issuer's and sts-mock's clocks disagree after {dict(change)}: issuer {issuer}, "
                f"sts-mock {sts} (was one of them moved directly?)"
            )
        return sts


class Token(str):
    """A token minted by the issuer: the compact JWT itself (a `str`, ready for
    `WebIdentityToken=`), with the issuer's answer alongside."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    #: `exp`, in seconds since the epoch.
    expires_at: int

    def __new__(cls, answer: Mapping[str, Any]) -> Token:
        token = super().__new__(cls, str(answer["token"]))
        token.header = answer.get("header", {})
        token.claims = answer.get("claims", {})
        token.expires_at = int(answer.get("expires_at", token.claims.get("exp", 0)))
        return token


@dataclass(frozen=True)
class Decision:
    """One decision of sts-mock, as `GET /_sts-mock/decisions` serves it."""

    time: str
    action: str
    #: `allowed` or `refused`.
    result: str
    #: A one-line reason (also sent in the `x-sts-mock-reason` header of a denial).
    reason: str
    #: The AWS error code and message of a refusal.
    code: Optional[str]
    message: Optional[str]
    role_arn: Optional[str]
    session_name: Optional[str]
    #: The token's `iss` and `sub`, when the request carried a readable token.
    issuer: Optional[str]
    subject: Optional[str]
    #: The policy engine's explanation (statements, conditions, values), when a policy was evaluated.
    explanation: Optional[Mapping[str, Any]]
    #: The record exactly as served.
    raw: Mapping[str, Any]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        def text(key: str) -> Optional[str]:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(
            time=str(data.get("time", "")),
            action=str(data.get("action", "")),
            result=str(data.get("result", "")),
            reason=str(data.get("reason", "")),
            code=text("code"),
            message=text("message"),
            role_arn=text("role_arn"),
            session_name=text("session_name"),
            issuer=text("issuer"),
            subject=text("subject"),
            explanation=data.get("explanation"),
            raw=data,
        )

    @property
    def allowed(self) -> bool:
        return self.result == "allowed"

    def explain(self) -> str:
        """The decision in words: what was asked, the outcome, the reason, and every statement and
        condition the policy engine evaluated with the policy's values and the request's."""
        outcome = self.result if self.allowed else f"{self.result}: {self.code}: {self.message}"
        lines = [f"{self.action} {outcome}"]
        if self.role_arn or self.session_name:
            lines.append(f"  role {self.role_arn}, session {self.session_name}")
        if self.issuer or self.subject:
            lines.append(f"  token iss {self.issuer}, sub {self.subject}")
        lines.append(f"  reason: {self.reason}")
        explanation = self.explanation or {}
        if explanation.get("decision"):
            lines.append(f"  policy decision: {explanation['decision']}")
        for statement in explanation.get("statements") or ():
            label = statement.get("policy_label", f"policy {statement.get('policy')}")
            applies = "applies" if statement.get("applies") else "does not apply"
            lines.append(f"  {label} statement #{statement.get('statement')} ({statement.get('effect')}): {applies}")
            for condition in statement.get("conditions") or ():
                verdict = str(condition.get("outcome")).replace("_", " ")
                lines.append(f"    {verdict}: {condition.get('reason')}")
        return "\n".join(lines)


class Rig:
    """The issuer and sts-mock, running, wired to each other. Start with `Rig.start()` (or the
    `rig` / `fresh_rig` pytest fixtures); stop with `stop()` or a `with` block."""

    def __init__(
        self,
        issuer: _Server,
        sts: _Server,
        *,
        workdir: Path,
        owns_workdir: bool,
        clock: Optional[str],
        config: Optional[Path],
        exited: threading.Event,
    ) -> None:
        self._issuer = issuer
        self._exited = exited
        self._sts = sts
        self._workdir = workdir
        self._owns_workdir = owns_workdir
        self._config = config
        self._stopped = False
        self.clock = RigClock(self, clock)
        self._finalizer = weakref.finalize(self, Rig._stop_servers, sts, issuer, workdir if owns_workdir else None)

    @classmethod
    def start(
        cls,
        config: Union[str, "os.PathLike[str]", None] = None,
        *,
        clock: Optional[str] = None,
        issuer_listen: str = "127.0.0.1:0",
        sts_listen: str = "127.0.0.1:0",
        keys: Union[str, "os.PathLike[str]", None] = None,
        workdir: Union[str, "os.PathLike[str]", None] = None,
        env: Optional[Mapping[str, str]] = None,
        startup_timeout: float = 30.0,
        echo: Optional[Callable[[str], None]] = None,
    ) -> Rig:
        """Starts the issuer, then sts-mock wired to it (one `--oidc-endpoint` per entry of
        `ISSUERS`), on free ports unless told otherwise.

        config: an sts-mock setup file (TOML) instead of the built-in default.
        clock: both servers' starting clock: an RFC 3339 instant (frozen), `+SECONDS`/`-SECONDS`, or `real`.
        keys: the issuer's key directory (default: the development keys shipped in the wheel).
        workdir: where token files are written (default: a temporary directory removed by `stop()`).
        env: extra environment for both servers (`RUST_LOG`, say).
        echo: called with every line either server prints.
        Raises RigStartError, with the server's own output, when a server does not start."""
        config_path = Path(config).resolve() if config is not None else None
        if config_path is not None and not config_path.is_file():
            raise RigError(f"the rig's setup file {config_path} does not exist")
        keys_path = Path(keys).resolve() if keys is not None else keys_dir()
        owns = workdir is None
        work = Path(tempfile.mkdtemp(prefix="oidc-sts-rig-")) if workdir is None else Path(workdir)
        work.mkdir(parents=True, exist_ok=True)
        server_env = _server_env(env)
        exited = threading.Event()
        clock_args = ["--clock", clock] if clock is not None else []
        issuer: Optional[_Server] = None
        try:
            issuer = _Server(
                "issuer",
                [str(binary_path("issuer")), "serve", "--listen", issuer_listen, "--keys", str(keys_path), *clock_args],
                env=server_env,
                timeout=startup_timeout,
                echo=echo,
                on_exit=exited.set,
            )
            assert issuer.url is not None
            endpoints: List[str] = []
            for spec in ISSUERS.values():
                endpoints += ["--oidc-endpoint", f"{spec.identity}={_issuer_base(issuer.url, spec)}"]
            config_args = ["--config", str(config_path)] if config_path is not None else []
            sts = _Server(
                "sts-mock",
                [str(binary_path("sts-mock")), "serve", "--listen", sts_listen, *endpoints, *config_args, *clock_args],
                env=server_env,
                timeout=startup_timeout,
                echo=echo,
                on_exit=exited.set,
            )
        except BaseException:
            if issuer is not None:
                issuer.stop()
            if owns:
                shutil.rmtree(work, ignore_errors=True)
            raise
        return cls(issuer, sts, workdir=work, owns_workdir=owns, clock=clock, config=config_path, exited=exited)

    # -- where things are -------------------------------------------------------------------

    @property
    def sts_url(self) -> str:
        """sts-mock's endpoint (STS and IAM), e.g. `http://127.0.0.1:40123`."""
        assert self._sts.url is not None
        return self._sts.url

    def issuer_url(self, name: str = "dynatrace") -> str:
        """The local base URL of issuer `name` (its discovery document is under
        `/.well-known/openid-configuration`, its mint endpoint at `/mint`)."""
        assert self._issuer.url is not None
        return _issuer_base(self._issuer.url, self._issuer_spec(name))

    def issuer_identity(self, name: str = "dynatrace") -> str:
        """The identity (`iss`) of issuer `name`, e.g. `https://token.dynatrace.com`."""
        return self._issuer_spec(name).identity

    @property
    def config(self) -> Optional[Path]:
        """The setup file sts-mock was started with (None: the built-in default)."""
        return self._config

    @property
    def workdir(self) -> Path:
        """Where the rig writes token files."""
        return self._workdir

    def output(self, server: str = "sts-mock", since: int = 0) -> str:
        """What `server` (`issuer` or `sts-mock`) printed: its log, one line per decision."""
        return self._server(server).output(since)

    def running(self) -> bool:
        """Whether both servers are still running."""
        return self._issuer.proc.poll() is None and self._sts.proc.poll() is None

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until either server exits (True) or `timeout` passes (False)."""
        return self._exited.wait(timeout)

    # -- tokens -----------------------------------------------------------------------------

    def mint(self, issuer: str = "dynatrace", **body: Any) -> Token:
        """A token from issuer `issuer`'s mint endpoint. `body` is the endpoint's JSON body:
        `tenant`, `connection`, `claims`, `ttl`, `fault` (`expired`, `bad-signature`, ...). A body
        the issuer refuses raises RigHTTPError with the issuer's message."""
        path = self._issuer_spec(issuer).prefix + "mint"  # "/mint", "/github/mint", ...
        return Token(self._request("issuer", "POST", path, body))

    def web_identity_env(
        self, role_arn: str, token: Optional[str] = None, session_name: str = "oidc-sts-rig"
    ) -> Dict[str, str]:
        """The environment under which an AWS SDK's own web-identity provider assumes `role_arn`
        at sts-mock: the token (default: a fresh `mint()`) is written to a file for
        `AWS_WEB_IDENTITY_TOKEN_FILE`. `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` point at
        nothing, so no profile of the developer's interferes; the variables in
        `CREDENTIAL_ENV_VARS` would take precedence and must be absent."""
        if token is None:
            token = self.mint()
        fd, name = tempfile.mkstemp(prefix="web-identity-", suffix=".jwt", dir=self._workdir)
        with os.fdopen(fd, "w") as out:
            out.write(str(token))  # exactly the token: the SDKs send the file verbatim
        return {
            "AWS_WEB_IDENTITY_TOKEN_FILE": name,
            "AWS_ROLE_ARN": role_arn,
            "AWS_ROLE_SESSION_NAME": session_name,
            "AWS_ENDPOINT_URL_STS": self.sts_url,
            "AWS_DEFAULT_REGION": DEFAULT_REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    # -- AWS clients ------------------------------------------------------------------------

    def boto3_client(self, service: str, **kw: Any) -> BaseClient:
        """A boto3 client for `service` (`sts`, `iam`) pointed at sts-mock, with admin
        credentials (IAM calls act in the setup's default account). `kw` overrides any
        argument of `boto3.session.Session.client`."""
        try:
            import boto3  # type: ignore[import-untyped, unused-ignore]
        except ImportError as e:
            raise RigError("rig.boto3_client needs boto3: pip install boto3") from e
        args: Dict[str, Any] = {
            "endpoint_url": self.sts_url,
            "region_name": DEFAULT_REGION,
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
        }
        args.update(kw)
        session = boto3.session.Session()
        client: BaseClient = session.client(service, **args)
        return client

    # -- why -----------------------------------------------------------------------------

    def decisions(self) -> List[Decision]:
        """sts-mock's recent decisions, oldest first."""
        answer = self._request("sts-mock", "GET", "/_sts-mock/decisions")
        return [Decision.from_json(d) for d in answer.get("decisions", ())]

    def last_decision(self, action: Optional[str] = None) -> Decision:
        """The latest decision (of `action`, e.g. `AssumeRoleWithWebIdentity`, when given)."""
        for decision in reversed(self.decisions()):
            if action is None or decision.action == action:
                return decision
        raise RigError(f"sts-mock has made no decision{f' on {action}' if action else ''} yet")

    def explain_last(self, action: Optional[str] = None) -> str:
        """Why the latest decision went as it did, in words (see `Decision.explain`)."""
        return self.last_decision(action).explain()

    # -- lifecycle ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Stops both servers (and removes the temporary workdir). Idempotent."""
        self._stopped = True
        self._finalizer()

    def __enter__(self) -> Rig:
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<Rig {state}: issuer {self._issuer.url}, sts-mock {self._sts.url}>"

    @staticmethod
    def _stop_servers(sts: _Server, issuer: _Server, workdir: Optional[Path]) -> None:
        sts.stop()
        issuer.stop()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    # -- plumbing ----------------------------------------------------------------------------

    def _issuer_spec(self, name: str) -> IssuerSpec:
        try:
            return ISSUERS[name]
        except KeyError:
            raise ValueError(f"no issuer named {name!r}: the rig has {', '.join(ISSUERS)}") from None

    def _server(self, name: str) -> _Server:
        if name == "issuer":
            return self._issuer
        if name == "sts-mock":
            return self._sts
        raise ValueError(f"no server named {name!r}: the rig has `issuer` and `sts-mock`")

    def _marks(self) -> Dict[str, int]:
        return {"issuer": self._issuer.mark(), "sts-mock": self._sts.mark()}

    def _request(self, server: str, method: str, path: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        target = self._server(server)
        url = f"{target.url}{path}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            raise RigHTTPError(server, method, url, e.code, e.read().decode(errors="replace")) from None
        except urllib.error.URLError as e:
            exited = target.describe_exit()
            raise RigError(exited or f"{server}: {method} {url}: {e.reason}") from None
