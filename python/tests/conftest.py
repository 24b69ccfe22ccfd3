"""The wheel's own test suite. `make test` copies it out of the repository and runs it with the
virtualenv the wheel was installed into, in a network namespace with nothing but loopback: it
sees only the installed package, and proves the wheel needs no network at run time."""

import os
import sysconfig
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def pytest_sessionfinish(session, exitstatus):
    """Every rig the suite started is stopped by now: a server still running fails the run."""
    binaries = {str(Path(sysconfig.get_path("scripts")) / name) for name in ("issuer", "sts-mock")}
    left = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                exe = os.readlink(proc / "exe")
            except OSError:
                continue
            if exe in binaries:
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                left.append(f"pid {proc.name}: {command}")
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line("servers still running after the suite:\n" + "\n".join(left), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
