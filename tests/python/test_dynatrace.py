"""The Dynatrace side of the issuer, driven as a Dynatrace user would with plain HTTP, and the
seed flow through boto3 and the AWS CLI: an OAuth client's access token, the connector's token
request for my-connection in both schema forms, the token traded at sts-mock for the role's
credentials. The viewer client is refused by Dynatrace IAM, naming the permission it lacks;
`issuer policy explain` exits 0/1/2; a setup file's [dynatrace] section replaces the built-in
world.
"""

import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.exceptions
import pytest

from conftest import REPO, Server, aws_cli, binary, sts_mock_args

ACCOUNT = "7a3e1c52-9b4d-4f8e-a6c1-2d5b8e0f9a13"
ADMIN = ("dt0s02.RIGADMIN", "dt0s02.RIGADMIN.rig-admin-secret")
VIEWER = ("dt0s02.RIGVIEWER", "dt0s02.RIGVIEWER.rig-viewer-secret")
LEGACY_ID = (
    "vu9U3hXa3q0AAAABADFidWlsdGluOmh5cGVyc2NhbGVyLWF1dGhlbnRpY2F0aW9uLmF3cy5jb25uZWN0aW9uAAZ0ZW5hbnQ"
    "ABnRlbmFudAAkMmI3ZTljNDEtNmEzZC00ZjU4LTllMTItN2M0YTBkNWI4ZjYzvu9U3hXa3q0"
)
CURRENT_ID = (
    "vu9U3hXa3q0AAAABADJidWlsdGluOmh5cGVyc2NhbGVyLWF1dGhlbnRpY2F0aW9uLmNvbm5lY3Rpb25zLmF3cwAGdGVuYW50"
    "AAZ0ZW5hbnQAJDVmM2M4YTIxLTdkNGUtM2I5Zi1hNmMyLTFlOGQwYjQ3ZjkzNb7vVN4V2t6t"
)


class Rig:
    """The issuer and sts-mock on the built-in default, started once for this module."""

    def __init__(self):
        self.issuer = Server([binary("issuer"), "serve", "--listen", "127.0.0.1:0", "--keys", str(REPO / "keys")])
        self.sts = Server(sts_mock_args(self.issuer.url))


@pytest.fixture(scope="module")
def rig():
    started = Rig()
    yield started
    started.sts.kill(signal.SIGKILL)
    started.issuer.kill(signal.SIGKILL)


def http(method, url, body=None, headers=None):
    """(status, JSON body or None) of a request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            data = response.read()
            return response.status, (json.loads(data) if data else None)
    except urllib.error.HTTPError as e:
        data = e.read()
        return e.code, (json.loads(data) if data else None)


def access_token(base, client, scope=None):
    form = {
        "grant_type": "client_credentials",
        "client_id": client[0],
        "client_secret": client[1],
        "resource": f"urn:dtaccount:{ACCOUNT}",
    }
    if scope:
        form["scope"] = scope
    status, body = http(
        "POST",
        f"{base}/sso/oauth2/token",
        urllib.parse.urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    return body["access_token"]


def connector_token(base, bearer, object_id):
    return http(
        "POST",
        f"{base}/platform/hyperscaler-authentication/aws/connections/{object_id}/token",
        headers={"Authorization": f"Bearer {bearer}"},
    )


def sts_client(url):
    return boto3.client(
        "sts",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="unused-for-unsigned-calls",
    )


@pytest.mark.parametrize(
    "object_id,role,subject",
    [
        (LEGACY_ID, "dynatrace-aws-connector", "dtid:connection/my-connection"),
        (CURRENT_ID, "dynatrace-connection", f"dt:connection-id/{CURRENT_ID}"),
    ],
)
def test_seed_flow_dynatrace_policy_to_aws_credentials(rig, object_id, role, subject):
    admin = access_token(rig.issuer.url, ADMIN)
    status, answer = connector_token(rig.issuer.url, admin, object_id)
    assert status == 200, answer
    assert sorted(answer) == ["expires_at", "role_arn", "token"]
    assert answer["role_arn"] == f"arn:aws:iam::000000000000:role/{role}"
    out = sts_client(rig.sts.url).assume_role_with_web_identity(
        RoleArn=answer["role_arn"], RoleSessionName="workflow", WebIdentityToken=answer["token"]
    )
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::000000000000:assumed-role/{role}/workflow"
    assert out["SubjectFromWebIdentityToken"] == subject
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_the_aws_cli_uses_the_connectors_token_file(rig, tmp_path):
    admin = access_token(rig.issuer.url, ADMIN)
    _, answer = connector_token(rig.issuer.url, admin, LEGACY_ID)
    token_file = tmp_path / "token"
    token_file.write_text(answer["token"])
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    }
    env.update(
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
        AWS_ROLE_ARN=answer["role_arn"],
        AWS_ROLE_SESSION_NAME="cli",
        AWS_ENDPOINT_URL_STS=rig.sts.url,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        # The AWS CLI caches assumed credentials under ~/.aws/cli/cache: a fresh home.
        HOME=str(tmp_path / "home"),
    )
    out = subprocess.run(
        [aws_cli(), "sts", "get-caller-identity", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/cli"


def test_the_viewer_is_refused_by_dynatrace_iam(rig):
    viewer = access_token(rig.issuer.url, VIEWER)
    status, answer = connector_token(rig.issuer.url, viewer, LEGACY_ID)
    assert status == 403
    error = answer["error"]
    assert error["code"] == 403
    assert error["message"] == "Access denied: no statement allows hyperscaler-authentication:aws:authenticate"
    assert error["details"]["missingPermissions"] == ["hyperscaler-authentication:aws:authenticate"]
    status, log = http("GET", f"{rig.issuer.url}/_issuer/decisions")
    assert status == 200
    mine = [d for d in log["decisions"] if d["client_id"] == VIEWER[0]]
    assert mine[-1]["result"] == "denied"
    assert mine[-1]["missing_permissions"] == ["hyperscaler-authentication:aws:authenticate"]
    # Without the scope in the token, the scope is what is named.
    narrow = access_token(rig.issuer.url, VIEWER, scope="settings:objects:read")
    status, answer = connector_token(rig.issuer.url, narrow, LEGACY_ID)
    assert status == 403
    assert answer["error"]["details"]["missingScopes"] == ["hyperscaler-authentication:aws:authenticate"]


def test_a_deny_policy_bound_through_the_iam_api_closes_the_way_to_aws(rig):
    admin = access_token(rig.issuer.url, ADMIN)
    base = f"{rig.issuer.url}/iam/v1/repo/environment/abc12345"
    auth = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    status, policy = http(
        "POST",
        f"{base}/policies",
        json.dumps({"name": "python deny", "description": "", "tags": [],
                    "statementQuery": "DENY hyperscaler-authentication:aws:authenticate;"}).encode(),
        auth,
    )
    assert status == 201, policy
    admins = "3d1f6a2e-8c4b-4e7a-9f25-6b0c1d2e3f40"
    status, _ = http("POST", f"{base}/bindings/{policy['uuid']}", json.dumps({"groups": [admins]}).encode(), auth)
    assert status == 204
    try:
        status, answer = connector_token(rig.issuer.url, admin, CURRENT_ID)
        assert status == 403
        assert answer["error"]["message"].startswith('Access denied by policy "python deny" statement 1')
    finally:
        status, _ = http("DELETE", f"{base}/policies/{policy['uuid']}?force=true", headers=auth)
        assert status == 204
    status, _ = connector_token(rig.issuer.url, admin, CURRENT_ID)
    assert status == 200


def explain(tmp_path, statements, *args):
    path = tmp_path / "policy.txt"
    path.write_text(statements)
    return subprocess.run(
        [binary("issuer"), "policy", "explain", "--statements", str(path), *args],
        capture_output=True,
        text=True,
    )


def test_policy_explain_exit_codes(tmp_path):
    connector = (
        'ALLOW settings:objects:read WHERE settings:schemaId = "builtin:hyperscaler-authentication.aws.connection";'
        "ALLOW hyperscaler-authentication:aws:authenticate;"
    )
    allowed = explain(tmp_path, connector, "--permission", "hyperscaler-authentication:aws:authenticate")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.startswith("allowed by statement 2")
    denied = explain(
        tmp_path,
        connector,
        "--permission",
        "settings:objects:read",
        "--condition",
        "settings:schemaId=builtin:hyperscaler-authentication.connections.aws",
        "--json",
    )
    assert denied.returncode == 1
    assert json.loads(denied.stdout)["decision"] == "default_deny"
    bad = explain(tmp_path, "ALLOW settings:objects:read WHERE", "--permission", "settings:objects:read")
    assert bad.returncode == 2
    assert "at 1:" in bad.stderr


def test_a_setup_file_section_replaces_the_builtin_world(tmp_path, servers):
    setup = tmp_path / "setup.toml"
    setup.write_text(
        """
[dynatrace]
account = "11111111-2222-4333-8444-555555555555"
environments = ["xyz00001"]

[[dynatrace.group]]
name = "ops"

[[dynatrace.client]]
client_id = "dt0s02.OPS"
client_secret = "ops-secret"
scopes = ["hyperscaler-authentication:aws:authenticate", "settings:objects:read"]
groups = ["ops"]

[[dynatrace.policy]]
name = "connect"
level = "account"
statementQuery = "ALLOW hyperscaler-authentication:aws:authenticate, settings:objects:read;"

[[dynatrace.binding]]
level = "account"
policy = "connect"
group = "ops"

[[dynatrace.settings_object]]
objectId = "ops-connection"
schemaId = "builtin:hyperscaler-authentication.aws.connection"
value = { name = "ops", type = "webIdentity", webIdentity = { roleArn = "arn:aws:iam::000000000000:role/ops", policyArns = [] } }
"""
    )
    issuer = servers([binary("issuer"), "serve", "--listen", "127.0.0.1:0", "--keys", str(REPO / "keys"), "--config", str(setup)])
    form = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": "dt0s02.OPS", "client_secret": "ops-secret",
         "resource": "urn:dtaccount:11111111-2222-4333-8444-555555555555"}
    ).encode()
    status, body = http("POST", f"{issuer.url}/sso/oauth2/token", form)
    assert status == 200, body
    status, answer = connector_token(issuer.url, body["access_token"], "ops-connection")
    assert status == 200, answer
    assert answer["role_arn"] == "arn:aws:iam::000000000000:role/ops"
    # A bad section is refused at start, naming the file and the entry.
    setup.write_text('[dynatrace]\naccount = "not-a-uuid"\nenvironments = ["x1"]\n')
    out = subprocess.run(
        [binary("issuer"), "serve", "--listen", "127.0.0.1:0", "--keys", str(REPO / "keys"), "--config", str(setup)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 1
    assert f"{setup}: [dynatrace]: account `not-a-uuid` must be a UUID" in out.stderr


def test_make_run_and_the_docs_print_the_clients_the_issuer_has(rig):
    """scripts/run.sh's banner and docs/dynatrace.md name exactly the built-in clients the
    issuer prints at start (id and secret), and the account."""
    banner = "".join(rig.issuer.output)
    clients = re.findall(r"dynatrace client (\S+) secret (\S+)", banner)
    assert clients == [ADMIN, VIEWER], banner
    run_sh = (REPO / "scripts" / "run.sh").read_text()
    docs = (REPO / "docs" / "dynatrace.md").read_text()
    for text in (run_sh, docs):
        assert ACCOUNT in text
        for client_id, secret in clients:
            assert re.search(rf"{re.escape(client_id)}\W+(secret\W+)?{re.escape(secret)}", text), client_id
    assert LEGACY_ID in docs and CURRENT_ID in docs
