"""Every built-in issuer, through the real binaries and real AWS clients.

boto3 assumes each example role of the built-in default with a token `issuer mint --issuer`
mints, and is refused for the neighbouring cases; the AWS CLI meets IAM's identity-provider
control for GitHub (AWS's message) on create-role and update-assume-role-policy; an EKS pod's
environment (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, as IRSA sets them) gets the AWS CLI
credentials; `sts-mock explain` decides on GitHub's provider-specific keys; an issuer an
issuers file declares (a GitHub Enterprise Server) is served and trusted like the built-in ones.
"""

import json
import os
import signal
import subprocess
import urllib.request

import boto3
import botocore.exceptions
import pytest

from conftest import REPO, Server, aws, aws_cli, binary, mint_for, sts_mock_all_issuers_args

ACCOUNT = "000000000000"
GITHUB_MESSAGE = (
    "Trust policy with trusted principal arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com"
    " must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase,"
    " token.actions.githubusercontent.com:sub or token.actions.githubusercontent.com:job_workflow_ref"
    " which is not scoped to all."
)


class Rig:
    """`issuer serve` (every built-in issuer, and the examples' issuers file) and `sts-mock
    serve` on the built-in default, each issuer mapped to its prefix."""

    def __init__(self):
        self.issuer = Server([
            binary("issuer"), "serve", "--listen", "127.0.0.1:0", "--keys", str(REPO / "keys"),
            "--config", str(REPO / "examples/issuers.toml"),
        ])
        self.sts = Server(sts_mock_all_issuers_args(
            self.issuer.url,
            "--oidc-endpoint", f"https://ghe.example.com/_services/token={self.issuer.url}/ghes",
        ))


@pytest.fixture(scope="module")
def rig():
    started = Rig()
    yield started
    started.sts.kill(signal.SIGKILL)
    started.issuer.kill(signal.SIGKILL)


def assume(rig, role, token):
    client = boto3.client(
        "sts", endpoint_url=rig.sts.url, region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="unused-for-unsigned-calls",
    )
    return client.assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="pytest", WebIdentityToken=token,
    )


def refused(rig, role, token):
    with pytest.raises(botocore.exceptions.ClientError) as error:
        assume(rig, role, token)
    return error.value.response["Error"]


CASES = [
    # issuer, role, the fields of the trusted case, {neighbouring case: its fields}
    ("github", "github-deploy", [], {
        "another branch": ["ref=refs/heads/dev"],
        "a pull request": ["event_name=pull_request"],
        "another repository": ["repository=octo-org/other-repo"],
    }),
    ("gitlab", "gitlab-deploy", [], {
        "another branch": ["ref=dev"],
        "another project": ["project_path=my-group/other"],
    }),
    ("eks", "eks-app", ["service_account=app"], {
        "another service account": ["service_account=worker"],
        "another namespace": ["namespace=batch", "service_account=app"],
    }),
    ("dynatrace", "dynatrace-connection", [], {
        "another connection": ["connection_id=vu9U3hXa3q0AAAABother"],
    }),
]


@pytest.mark.parametrize("issuer, role, fields, neighbours", CASES, ids=[c[0] for c in CASES])
def test_boto3_assumes_each_example_role_and_is_refused_for_the_neighbours(rig, issuer, role, fields, neighbours):
    if issuer == "dynatrace":
        # The current-form connection the role trusts: its settings object ID, from the policy.
        policy = json.loads((REPO / "examples/policies/dynatrace-connection-trust.json").read_text())
        sub = policy["Statement"][0]["Condition"]["StringEquals"]["token.dynatrace.com:sub"]
        fields = [f"connection_id={sub.removeprefix('dt:connection-id/')}"]
    out = assume(rig, role, mint_for(issuer, *fields))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/pytest"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    for case, other in neighbours.items():
        error = refused(rig, role, mint_for(issuer, *other))
        assert error["Code"] == "AccessDenied", case
        assert error["Message"] == "Not authorized to perform sts:AssumeRoleWithWebIdentity", case


def github_trust(condition):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }],
    })


def test_the_cli_meets_the_identity_provider_control_for_github(rig, tmp_path):
    unscoped = tmp_path / "unscoped.json"
    unscoped.write_text(github_trust({"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:repository": "octo-org/octo-repo",
    }}))
    scoped = tmp_path / "scoped.json"
    scoped.write_text(github_trust({
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"},
    }))
    rc, _, err = aws(rig.sts.url, "iam", "create-role", "--role-name", "gh-any-branch",
                     "--assume-role-policy-document", f"file://{unscoped}")
    assert rc != 0
    assert "(MalformedPolicyDocument) when calling the CreateRole operation: " + GITHUB_MESSAGE in err, err
    rc, out, err = aws(rig.sts.url, "iam", "create-role", "--role-name", "gh-any-branch",
                       "--assume-role-policy-document", f"file://{scoped}")
    assert rc == 0, err
    # Any branch of the repository now, and nothing else.
    assert assume(rig, "gh-any-branch", mint_for("github", "ref=refs/heads/feature-x"))
    assert refused(rig, "gh-any-branch", mint_for("github", "repository=octo-org/other"))["Code"] == "AccessDenied"
    rc, _, err = aws(rig.sts.url, "iam", "update-assume-role-policy", "--role-name", "gh-any-branch",
                     "--policy-document", f"file://{unscoped}")
    assert rc != 0
    assert "(MalformedPolicyDocument) when calling the UpdateAssumeRolePolicy operation: " + GITHUB_MESSAGE in err, err


def test_an_eks_pods_environment_gets_credentials_for_the_cli(rig, tmp_path):
    # What EKS's pod identity webhook sets for a pod whose service account names a role.
    token_file = tmp_path / "token"
    token_file.write_text(mint_for("eks", "service_account=app"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/eks-app",
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
        "AWS_ROLE_SESSION_NAME": "pod",
        "AWS_ENDPOINT_URL_STS": rig.sts.url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        # The AWS CLI caches assumed credentials under ~/.aws/cli/cache: a fresh home.
        "HOME": str(tmp_path / "home"),
    })
    out = subprocess.run([aws_cli(), "sts", "get-caller-identity", "--output", "json"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/eks-app/pod"


def test_explain_decides_on_githubs_provider_specific_keys(tmp_path):
    policy = tmp_path / "prod.json"
    policy.write_text(github_trust({
        "StringEquals": {"token.actions.githubusercontent.com:environment": "production",
                         "token.actions.githubusercontent.com:repository_id": "74"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"},
    }))

    def explain(*fields):
        return subprocess.run([binary("sts-mock"), "explain", "--trust-policy", str(policy), "--token",
                               mint_for("github", *fields)], capture_output=True, text=True)

    allowed = explain("environment=production")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    for fields in (["environment=staging"], [], ["environment=production", "repository_id=75"]):
        denied = explain(*fields)
        assert denied.returncode == 1, fields
        assert "token.actions.githubusercontent.com:" in denied.stdout, denied.stdout


def test_an_issuer_declared_in_a_file_is_served_and_trusted(rig, tmp_path):
    with urllib.request.urlopen(f"{rig.issuer.url}/ghes/.well-known/openid-configuration", timeout=10) as r:
        document = json.load(r)
    assert document["issuer"] == "https://ghe.example.com/_services/token"
    assert document["jwks_uri"] == f"{rig.issuer.url}/ghes/.well-known/jwks"
    rc, _, err = aws(rig.sts.url, "iam", "create-open-id-connect-provider",
                     "--url", "https://ghe.example.com/_services/token", "--client-id-list", "sts.amazonaws.com")
    assert rc == 0, err
    trust = tmp_path / "ghes.json"
    provider = "ghe.example.com/_services/token"
    trust.write_text(json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{provider}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{provider}:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"}},
        }],
    }))
    rc, _, err = aws(rig.sts.url, "iam", "create-role", "--role-name", "ghes-deploy",
                     "--assume-role-policy-document", f"file://{trust}")
    assert rc == 0, err
    config = REPO / "examples/issuers.toml"
    out = assume(rig, "ghes-deploy", mint_for("ghes", config=config))
    assert out["Provider"] == "https://ghe.example.com/_services/token"
    assert refused(rig, "ghes-deploy", mint_for("ghes", "ref=refs/heads/dev", config=config))["Code"] == "AccessDenied"
    # The github.com issuer's token names another provider.
    error = refused(rig, "ghes-deploy", mint_for("github"))
    assert error["Code"] == "AccessDenied"
