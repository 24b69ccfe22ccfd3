"""The pytest plugin of oidc-sts-rig, registered through the `pytest11` entry point: installing
the wheel is all it takes.

Fixtures:
    rig        the issuer and sts-mock for the whole session (started on first use). A test that
               moves its clock gets it back as the rig started when the test ends; IAM changes and
               decisions are shared by every test that uses it.
    fresh_rig  a rig of the test's own, stopped when the test ends.

Options:
    --rig-config FILE   an sts-mock setup file (TOML) for both fixtures instead of the built-in
                        default; or `rig_config = FILE` in the ini file (relative to it).

A failed test that used a rig gets a report section with what the servers printed meanwhile
(sts-mock logs one line per decision).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Dict, Generator, Iterator, Optional

import pytest

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pluggy

from . import __version__
from ._rig import Rig, RigError, binary_path

_FIXTURES = ("rig", "fresh_rig")
_MARKS = pytest.StashKey[Dict[str, Dict[str, int]]]()
_SESSION_RIG = pytest.StashKey[Rig]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("oidc-sts-rig", "oidc-sts-rig (the rig and fresh_rig fixtures)")
    group.addoption(
        "--rig-config",
        metavar="FILE",
        default=None,
        help="sts-mock setup file (TOML) for the rig fixtures; default: the built-in default setup",
    )
    parser.addini("rig_config", "sts-mock setup file (TOML) for the rig fixtures, relative to this ini file", default="")


def pytest_report_header(config: pytest.Config) -> str:
    try:
        where = str(binary_path("sts-mock").parent)
    except RigError as e:
        where = f"binaries not found: {e}"
    config_file = _config_file(config)
    setup = str(config_file) if config_file else "the built-in default setup"
    return f"oidc-sts-rig {__version__}: {where}; {setup}"


def _config_file(config: pytest.Config) -> Optional[Path]:
    option = config.getoption("rig_config")
    if option:
        return (config.invocation_params.dir / str(option)).resolve()
    ini = config.getini("rig_config")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / str(ini)).resolve()
    return None


def _start(config: pytest.Config, workdir: Path) -> Rig:
    try:
        return Rig.start(_config_file(config), workdir=workdir)
    except RigError as e:
        # The message carries the server's own output; pytest's traceback of this plugin would
        # only hide it.
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """The issuer and sts-mock, shared by the session, on the built-in default (or --rig-config)."""
    started = _start(request.config, tmp_path_factory.mktemp("rig"))
    request.config.stash[_SESSION_RIG] = started
    try:
        yield started
    finally:
        del request.config.stash[_SESSION_RIG]
        started.stop()


@pytest.fixture
def fresh_rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    """A rig of this test's own: its own IAM state, decisions and clock; stopped after the test."""
    started = _start(request.config, tmp_path / "rig")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(autouse=True)
def _oidc_sts_rig_clock_back(request: pytest.FixtureRequest) -> Iterator[None]:
    """Puts the session rig's clock back after a test that moved it."""
    yield
    if "rig" in request.fixturenames:
        shared = request.config.stash.get(_SESSION_RIG, None)
        if shared is not None and shared.clock.changed and shared.running():
            shared.clock.reset()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    funcargs = getattr(item, "funcargs", {})
    item.stash[_MARKS] = {name: funcargs[name]._marks() for name in _FIXTURES if isinstance(funcargs.get(name), Rig)}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    for name, marks in item.stash.get(_MARKS, {}).items():
        used = funcargs.get(name)
        if not isinstance(used, Rig):
            continue
        for server, since in marks.items():
            text = used.output(server, since)
            if text:
                report.sections.append((f"oidc-sts-rig {name}: {server} output during the test", text))
