"""boto3 and the AWS CLI against the real binaries on the built-in default setup.

boto3 gets credentials through its own web-identity provider (AWS_WEB_IDENTITY_TOKEN_FILE,
AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME, AWS_ENDPOINT_URL_STS) and uses them; errors of
assume_role_with_web_identity surface as ClientError with AWS's codes; the AWS CLI runs the
README walk-through.
"""

import json
import os
import signal
import subprocess
import urllib.request

import boto3
import botocore.exceptions
import pytest

from conftest import REPO, Server, aws, aws_cli, binary, sts_mock_args

ROLE_ARN = "arn:aws:iam::000000000000:role/dynatrace-aws-connector"
AWS_ENV_VARS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]


class Rig:
    """The issuer and sts-mock on the built-in default, started once for this module."""

    def __init__(self):
        self.issuer = Server([binary("issuer"), "serve", "--listen", "127.0.0.1:0", "--keys", str(REPO / "keys")])
        self.sts = Server(sts_mock_args(self.issuer.url))

    def mint(self, **body) -> str:
        """A token from the running issuer's POST /mint (faults included)."""
        request = urllib.request.Request(f"{self.issuer.url}/mint", data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["token"]


@pytest.fixture(scope="module")
def servers():
    started = Rig()
    yield started
    started.sts.kill(signal.SIGKILL)
    started.issuer.kill(signal.SIGKILL)


def sts_client(url):
    return boto3.client(
        "sts",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="unused-for-unsigned-calls",
    )


def test_boto3_web_identity_provider_from_environment(servers, tmp_path, monkeypatch):
    token_file = tmp_path / "token"
    token_file.write_text(servers.mint(tenant="abc12345", connection="my-connection"))
    for name in AWS_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE_ARN)
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "boto3-session")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", servers.sts.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    session = boto3.Session()
    credentials = session.get_credentials().get_frozen_credentials()
    assert credentials.access_key.startswith("ASIA")
    assert credentials.token
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/boto3-session"
    assert identity["Account"] == "000000000000"


@pytest.mark.parametrize(
    "mint_args, extra, code, message",
    [
        (dict(connection="other-connection"), {}, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        (dict(connection="my-connection", fault="expired"), {}, "ExpiredTokenException", "Token expired: current date/time"),
        (dict(connection="my-connection", fault="foreign-key"), {}, "InvalidIdentityToken", "could not be validated"),
        (dict(connection="my-connection", fault="alg-none"), {}, "InvalidIdentityToken", ""),
        (dict(connection="my-connection", fault="hs256-confusion"), {}, "InvalidIdentityToken", ""),
        (dict(connection="my-connection", fault="unknown-kid"), {}, "InvalidIdentityToken", "verification key"),
        (dict(connection="my-connection", fault="wrong-issuer"), {}, "InvalidIdentityToken", "No OpenIDConnect provider found in your account"),
        (dict(tenant="zzz99999", connection="my-connection"), {}, "InvalidIdentityToken", "Incorrect token audience"),
        (dict(connection="my-connection"), {"RoleArn": "arn:aws:iam::000000000000:role/nope"}, "AccessDenied", "Not authorized"),
        (dict(connection="my-connection"), {"DurationSeconds": 43200}, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
    ],
)
def test_assume_role_errors_are_client_errors(servers, mint_args, extra, code, message):
    token = servers.mint(**mint_args)
    params = dict(RoleArn=ROLE_ARN, RoleSessionName="boto3", WebIdentityToken=token)
    params.update(extra)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sts_client(servers.sts.url).assume_role_with_web_identity(**params)
    error = caught.value.response["Error"]
    assert error["Code"] == code
    assert message in error["Message"]


def test_botocore_validates_before_sending_and_the_server_validates_too(servers):
    token = servers.mint(connection="my-connection")
    client = sts_client(servers.sts.url)
    with pytest.raises(botocore.exceptions.ParamValidationError):
        client.assume_role_with_web_identity(RoleArn=ROLE_ARN, RoleSessionName="x", WebIdentityToken=token)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.assume_role_with_web_identity(RoleArn=ROLE_ARN, RoleSessionName="Session1:2", WebIdentityToken=token)
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    )


def test_aws_cli_walk_through(servers, tmp_path):
    sts = servers.sts.url
    token_file = tmp_path / "token"
    token_file.write_text(servers.mint(tenant="abc12345", connection="my-connection"))
    assume = ["sts", "assume-role-with-web-identity", "--role-arn", ROLE_ARN, "--role-session-name", "cli",
              "--web-identity-token", f"file://{token_file}"]
    code, answer, stderr = aws(sts, *assume)
    assert code == 0, stderr
    assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/cli"
    credentials = answer["Credentials"]

    # The CLI signs GetCallerIdentity with the temporary credentials.
    env = dict(os.environ, AWS_ACCESS_KEY_ID=credentials["AccessKeyId"], AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"],
               AWS_SESSION_TOKEN=credentials["SessionToken"], AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    env.pop("AWS_PROFILE", None)
    who = subprocess.run([aws_cli(), "--endpoint-url", sts, "--output", "json", "sts", "get-caller-identity"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"] == answer["AssumedRoleUser"]["Arn"]

    token_file.write_text(servers.mint(tenant="abc12345", connection="other-connection"))
    code, _, stderr = aws(sts, *assume)
    assert code != 0
    assert "(AccessDenied)" in stderr
    assert "Not authorized to perform sts:AssumeRoleWithWebIdentity" in stderr


def test_issuer_mint_redirected_to_a_file_feeds_the_aws_cli(servers, tmp_path):
    """The README's own flow: `issuer mint > token`, then AWS_WEB_IDENTITY_TOKEN_FILE=token for the
    AWS CLI, which sends the file verbatim (a trailing newline used to make it InvalidIdentityToken).
    `issuer mint --out FILE` writes the same bytes."""
    token_file = tmp_path / "token"
    with open(token_file, "wb") as out:
        subprocess.run([binary("issuer"), "mint", "--keys", str(REPO / "keys"), "--connection", "my-connection"],
                       stdout=out, check=True, timeout=30)
    data = token_file.read_bytes()
    assert data.count(b".") == 2 and data == data.strip(), data[-5:]
    out_file = tmp_path / "token-out"
    printed = subprocess.run([binary("issuer"), "mint", "--keys", str(REPO / "keys"), "--out", str(out_file)],
                             capture_output=True, check=True, timeout=30)
    assert printed.stdout == b""
    assert out_file.read_bytes().count(b".") == 2 and out_file.read_bytes() == out_file.read_bytes().strip()

    env = {k: v for k, v in os.environ.items() if k not in AWS_ENV_VARS}
    env.update(AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file), AWS_ROLE_ARN=ROLE_ARN, AWS_ROLE_SESSION_NAME="from-file",
               AWS_ENDPOINT_URL_STS=servers.sts.url, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    # The AWS CLI caches assumed credentials under ~/.aws/cli/cache: give each run a fresh home.
    env["HOME"] = str(tmp_path / "home-1")
    who = subprocess.run([aws_cli(), "--output", "json", "sts", "get-caller-identity"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"] == "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/from-file"

    # A file that does end in a newline (hand-written, say) is refused as AWS refuses it, and the
    # decision log says why.
    token_file.write_bytes(data + b"\n")
    env["HOME"] = str(tmp_path / "home-2")
    who = subprocess.run([aws_cli(), "--output", "json", "sts", "get-caller-identity"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert who.returncode != 0 and "InvalidIdentityToken" in who.stderr, who.stderr
    with urllib.request.urlopen(f"{servers.sts.url}/_sts-mock/decisions", timeout=10) as response:
        last = json.load(response)["decisions"][-1]
    assert "trailing whitespace after the signature" in last["reason"], last


def test_logs_written_to_a_pipe_carry_no_colour_and_json_lines_parse(servers, tmp_path):
    """Colour only on a terminal: the servers' output here is a pipe."""
    servers.mint(connection="my-connection")
    text = "".join(servers.sts.output) + "".join(servers.issuer.output)
    assert "\x1b[" not in text, repr(text[:400])
    issuer = Server([binary("issuer"), "--log-format", "json", "serve", "--listen", "127.0.0.1:0",
                     "--keys", str(REPO / "keys")])
    try:
        request = urllib.request.Request(f"{issuer.url}/mint", data=b"{}", method="POST")
        urllib.request.urlopen(request, timeout=10).read()
        for _ in range(50):
            if any(line.startswith("{") for line in issuer.output):
                break
            import time
            time.sleep(0.1)
        lines = [line for line in issuer.output if line.startswith("{")]
        assert lines, issuer.output
        for line in lines:
            json.loads(line)
    finally:
        issuer.kill()
