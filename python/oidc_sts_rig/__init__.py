"""oidc-sts-rig from Python: the `issuer` and `sts-mock` binaries of this wheel, started on free
ports and wired to each other, with a pytest plugin (`rig` and `fresh_rig` fixtures).

    from oidc_sts_rig import Rig, DEFAULT_ROLE_ARN

    with Rig.start() as rig:
        token = rig.mint(connection="my-connection")
        sts = rig.boto3_client("sts")
        sts.assume_role_with_web_identity(RoleArn=DEFAULT_ROLE_ARN, RoleSessionName="s", WebIdentityToken=token)

See docs/python.md in the repository.
"""

from importlib import metadata as _metadata

from ._rig import (
    CREDENTIAL_ENV_VARS,
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    DEFAULT_ROLE_ARN,
    ISSUERS,
    ClockState,
    Decision,
    IssuerSpec,
    Rig,
    RigClock,
    RigError,
    RigHTTPError,
    RigStartError,
    Token,
    binary_path,
    keys_dir,
)

try:
    __version__ = _metadata.version("oidc-sts-rig")
except _metadata.PackageNotFoundError:  # imported from a source tree, not installed
    __version__ = "0+unknown"

__all__ = [
    "CREDENTIAL_ENV_VARS",
    "DEFAULT_ACCOUNT",
    "DEFAULT_REGION",
    "DEFAULT_ROLE_ARN",
    "ISSUERS",
    "ClockState",
    "Decision",
    "IssuerSpec",
    "Rig",
    "RigClock",
    "RigError",
    "RigHTTPError",
    "RigStartError",
    "Token",
    "binary_path",
    "keys_dir",
    "__version__",
]
