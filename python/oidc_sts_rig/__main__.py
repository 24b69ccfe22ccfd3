"""`python -m oidc_sts_rig run`: the issuer on 127.0.0.1:9400 and sts-mock on 127.0.0.1:9401,
wired to each other on the built-in default setup, as `make run` starts them; Ctrl-C stops both."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType
from typing import List, Optional

from . import __version__
from ._rig import DEFAULT_ROLE_ARN, Rig, RigError, binary_path, keys_dir


def _walk_through(rig: Rig) -> str:
    issuer = binary_path("issuer")
    sts_mock = binary_path("sts-mock")
    keys = keys_dir()
    sts = rig.sts_url
    setup = str(rig.config) if rig.config else "the built-in default"
    assume = (
        f"curl -s {sts}/ -d Action=AssumeRoleWithWebIdentity -d Version=2011-06-15 \\\n"
        f"      -d RoleArn={DEFAULT_ROLE_ARN} -d RoleSessionName=demo \\\n"
    )
    return f"""
Issuer  {rig.issuer_url()}  (iss {rig.issuer_identity()})
STS+IAM {sts}  (setup: {setup})

Paste into another shell:

  # 1. A Dynatrace token for connection my-connection, then the role it may assume:
  TOKEN=$({issuer} mint --keys {keys} --connection my-connection)
  {assume}      --data-urlencode "WebIdentityToken=$TOKEN"; echo

  # 2. Another connection is refused (AccessDenied):
  OTHER=$({issuer} mint --keys {keys} --connection other-connection)
  {assume}      --data-urlencode "WebIdentityToken=$OTHER"; echo

  # 3. Why? The decision log:
  curl -s {sts}/_sts-mock/decisions; echo

  # 4. From Python (with boto3 installed), boto3's own web-identity provider assumes the role:
  {issuer} mint --keys {keys} --out /tmp/token
  AWS_WEB_IDENTITY_TOKEN_FILE=/tmp/token AWS_ROLE_ARN={DEFAULT_ROLE_ARN} \\
      AWS_ENDPOINT_URL_STS={sts} AWS_DEFAULT_REGION=us-east-1 \\
      {sys.executable} -c 'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])'

  # The binaries are in {issuer.parent}; {sts_mock.name} explain checks a trust policy offline.

Ctrl-C stops both.
"""


def _run(args: argparse.Namespace) -> int:
    def echo(line: str) -> None:
        sys.stdout.write(line)
        sys.stdout.flush()

    try:
        rig = Rig.start(args.config, clock=args.clock, issuer_listen=args.issuer_listen, sts_listen=args.sts_listen, echo=echo)
    except RigError as e:
        print(f"python -m oidc_sts_rig run: {e}", file=sys.stderr)
        return 1

    def terminate(signum: int, frame: Optional[FrameType]) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        print(_walk_through(rig), flush=True)
        rig.wait()
        # A server ended first. Both exit 0 only when interrupted (a Ctrl-C that reached them
        # before this process); otherwise say which one failed, and stop the other.
        servers = [rig._server(name) for name in ("issuer", "sts-mock")]
        codes = {s.name: s.proc.wait(timeout=10) if s.ended.is_set() else s.proc.poll() for s in servers}
        failed = [name for name, code in codes.items() if code not in (None, 0)]
        for name in failed:
            print(f"python -m oidc_sts_rig run: {name} exited with code {codes[name]}; stopping the other", file=sys.stderr)
        return 1 if failed else 130
    except KeyboardInterrupt:
        return 130
    finally:
        rig.stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oidc_sts_rig", description="The OIDC issuer and sts-mock of oidc-sts-rig.")
    parser.add_argument("--version", action="version", version=f"oidc-sts-rig {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="start the issuer and sts-mock on the built-in default, as `make run` does (Ctrl-C stops both)",
        description="Starts the issuer and sts-mock wired to each other and prints a walk-through.",
    )
    run.add_argument("--issuer-listen", metavar="ADDR", default="127.0.0.1:9400", help="the issuer's address (default %(default)s; port 0: any free port)")
    run.add_argument("--sts-listen", metavar="ADDR", default="127.0.0.1:9401", help="sts-mock's address (default %(default)s; port 0: any free port)")
    run.add_argument("--config", metavar="FILE", help="an sts-mock setup file (TOML) instead of the built-in default")
    run.add_argument("--clock", metavar="WHEN", help="both servers' clock: an RFC 3339 instant (frozen), +SECONDS/-SECONDS, or real")
    args = parser.parse_args(argv)
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
