"""Time and failure driven over HTTP, with boto3 as the client, against the real binaries.

The issuer and sts-mock are separate processes here, each with its own clock: a test moves
both (PUT /_issuer/clock, PUT /_sts-mock/clock) instead of sleeping. The issuer's endpoints
misbehave on demand (PUT /_issuer/faults) and its keys change while it runs (/_issuer/keys);
boto3 meets what STS would answer. See docs/testing-time-and-failure.md.
"""

import base64
import calendar
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import REPO, binary, sts_mock_all_issuers_args

ROLE_ARN = "arn:aws:iam::000000000000:role/dynatrace-aws-connector"
GITHUB_ROLE_ARN = "arn:aws:iam::000000000000:role/github-deploy"
NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  "
    "please reference AssumeRoleWithWebIdentity documentation for requirements"
)


def call(method, url, body=None):
    """An HTTP call with a JSON body; returns (status, parsed JSON answer)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def move_clocks(rig, change):
    """Applies the same clock change to both servers; returns sts-mock's new state."""
    status, _ = call("PUT", f"{rig.issuer.url}/_issuer/clock", change)
    assert status == 200
    status, state = call("PUT", f"{rig.sts.url}/_sts-mock/clock", change)
    assert status == 200, state
    return state


def sts_client(rig, **credentials):
    return boto3.client(
        "sts",
        endpoint_url=rig.sts.url,
        region_name="us-east-1",
        aws_access_key_id=credentials.get("key", "AKIAIOSFODNN7EXAMPLE"),
        aws_secret_access_key=credentials.get("secret", "unused-for-unsigned-calls"),
        aws_session_token=credentials.get("token"),
        # One attempt: what sts-mock answers is what the test sees.
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def mint(rig, prefix="", **body):
    status, answer = call("POST", f"{rig.issuer.url}{prefix}/mint", body)
    assert status == 200, answer
    return answer["token"]


def kid_of(token):
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def assume(rig, token, role=ROLE_ARN, **extra):
    return sts_client(rig).assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="py", WebIdentityToken=token, **extra
    )


def refusal(rig, token, role=ROLE_ARN):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        assume(rig, token, role)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


class Rig:
    def __init__(self, servers, *sts_args):
        self.issuer = servers([binary("issuer"), "serve", "--listen", "127.0.0.1:0", "--keys", str(REPO / "keys")])
        self.sts = servers(sts_mock_all_issuers_args(self.issuer.url, *sts_args))


def test_a_token_is_accepted_then_expired_when_both_clocks_advance(servers):
    rig = Rig(servers)
    token = mint(rig, tenant="abc12345", connection="my-connection")
    assert assume(rig, token)["AssumedRoleUser"]["Arn"].endswith("/dynatrace-aws-connector/py")
    move_clocks(rig, {"advance_seconds": 900})
    code, message = refusal(rig, token)
    assert code == "ExpiredTokenException"
    found = re.fullmatch(
        r"Token expired: current date/time (\d+) must be before the expiration date/time (\d+)", message
    )
    assert found, message
    now, exp = int(found.group(1)), int(found.group(2))
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert exp == claims["exp"]
    assert now >= exp + 590
    # A token minted on the moved issuer clock is fresh.
    assume(rig, mint(rig, tenant="abc12345", connection="my-connection"))


def test_credentials_work_then_expire_when_the_clock_passes_their_expiration(servers):
    # boto3 signs with the machine's time, and SigV4 allows 15 minutes either way, so the
    # clocks are offset rather than frozen: the credentials are issued at real time - 850 s
    # for 900 s (expiring 50 s from now) and used, then sts-mock runs 60 s ahead.
    rig = Rig(servers)
    state = move_clocks(rig, {"offset_seconds": -850})
    assert state["mode"] == "offset"
    credentials = assume(rig, mint(rig, tenant="abc12345", connection="my-connection"), DurationSeconds=900)[
        "Credentials"
    ]
    lifetime = credentials["Expiration"].timestamp() - (time.time() - 850)
    assert 880 <= lifetime <= 905, lifetime
    signed = sts_client(
        rig,
        key=credentials["AccessKeyId"],
        secret=credentials["SecretAccessKey"],
        token=credentials["SessionToken"],
    )
    assert signed.get_caller_identity()["Arn"] == "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/py"
    status, _ = call("PUT", f"{rig.sts.url}/_sts-mock/clock", {"offset_seconds": 60})
    assert status == 200
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        signed.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "ExpiredToken"
    assert caught.value.response["Error"]["Message"] == "The security token included in the request is expired"


def test_a_trust_policy_with_date_less_than_current_time_flips(servers):
    rig = Rig(servers)
    _, clock = call("GET", f"{rig.sts.url}/_sts-mock/clock")
    now = time.strptime(clock["now"], "%Y-%m-%dT%H:%M:%SZ")
    deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(calendar.timegm(now) + 1800))
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"token.dynatrace.com:sub": "dtid:connection/my-connection"},
                    "DateLessThan": {"aws:CurrentTime": deadline},
                },
            }
        ],
    }
    iam = boto3.client(
        "iam", endpoint_url=rig.sts.url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    iam.update_assume_role_policy(RoleName="dynatrace-aws-connector", PolicyDocument=json.dumps(policy))
    assume(rig, mint(rig, connection="my-connection"))
    move_clocks(rig, {"advance_seconds": 3600})
    assert refusal(rig, mint(rig, connection="my-connection")) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    )
    move_clocks(rig, {"advance_seconds": -3600})
    assume(rig, mint(rig, connection="my-connection"))


FAULTS = [
    ("jwks", "down"),
    ("discovery", "down"),
    ("jwks", "garbage"),
    ("discovery", "garbage"),
    ("jwks", "empty"),
    ("discovery", "empty"),
    ("discovery", "wrong-issuer"),
]


def test_every_idp_fault_is_what_sts_answers_and_healing_is_immediate(servers):
    # No key cache: every token meets the issuer as it is now.
    rig = Rig(servers, "--jwks-cache-seconds", "0")
    faults_url = f"{rig.issuer.url}/_issuer/faults"
    token = mint(rig, connection="my-connection")
    for document, fault in FAULTS:
        status, state = call("PUT", faults_url, {document: fault})
        assert status == 200, state
        assert state[document] == fault
        assert call("GET", faults_url)[1] == state
        assert refusal(rig, token) == ("InvalidIdentityToken", NO_KEY), (document, fault)
        status, health = call("GET", f"{rig.sts.url}/healthz?deep=1")
        assert status == 503 and health["status"] == "degraded"
        status, state = call("PUT", faults_url, {"jwks": "ok", "discovery": "ok"})
        assert state == {"issuer": "dynatrace", "discovery": "ok", "jwks": "ok"}
        assume(rig, token)
        assert call("GET", f"{rig.sts.url}/healthz?deep=1")[0] == 200

    # Slow within the 5 s STS allows: waited for.
    call("PUT", faults_url, {"jwks": "slow", "delay_ms": 300})
    started = time.monotonic()
    assume(rig, token)
    assert time.monotonic() - started >= 0.3
    # Slower: given up on at 5 s, not when the issuer would have answered.
    call("PUT", faults_url, {"discovery": "slow", "jwks": "ok", "delay_ms": 5500})
    started = time.monotonic()
    assert refusal(rig, token) == ("InvalidIdentityToken", NO_KEY)
    waited = time.monotonic() - started
    assert 4.9 <= waited < 5.5, waited
    call("PUT", faults_url, {"discovery": "ok"})
    assume(rig, token)


def test_faults_are_per_issuer(servers):
    rig = Rig(servers, "--jwks-cache-seconds", "0")
    status, state = call("PUT", f"{rig.issuer.url}/_issuer/faults", {"issuer": "github", "jwks": "down"})
    assert status == 200 and state["issuer"] == "github"
    github = mint(rig, "/github", repository="octo-org/octo-repo", ref="refs/heads/main")
    assert refusal(rig, github, GITHUB_ROLE_ARN) == ("InvalidIdentityToken", NO_KEY)
    assume(rig, mint(rig, connection="my-connection"))
    _, health = call("GET", f"{rig.sts.url}/healthz?deep=1")
    fetchable = {i["issuer"]: i["keys_fetchable"] for i in health["issuers"]}
    assert fetchable["https://token.actions.githubusercontent.com"] is False
    assert fetchable["https://token.dynatrace.com"] is True
    call("PUT", f"{rig.issuer.url}/_issuer/faults", {"issuer": "github", "jwks": "ok"})
    assume(rig, github, GITHUB_ROLE_ARN)


def test_keys_rotate_at_run_time_and_the_cache_follows_the_clock(servers):
    before = sorted(p.name for p in Path(REPO / "keys").rglob("*"))
    rig = Rig(servers)  # keys cached for the default 3600 s
    keys_url = f"{rig.issuer.url}/_issuer/keys"
    old = mint(rig, connection="my-connection", ttl=7200)
    assume(rig, old)

    status, added = call("POST", keys_url, {"alg": "ES256", "kid": "rotated-in", "signer": True})
    assert status == 201, added
    status, listed = call("GET", keys_url)
    assert [(k["kid"], k["signer"]) for k in listed["keys"]] == [(kid_of(old), False), ("rotated-in", True)]
    new = mint(rig, connection="my-connection")
    assert kid_of(new) == "rotated-in"
    # sts-mock fetched the keys moments ago: a new kid refetches at most once per 10 s.
    assert refusal(rig, new) == ("InvalidIdentityToken", NO_KEY)
    move_clocks(rig, {"advance_seconds": 10})
    assume(rig, mint(rig, connection="my-connection"))

    status, remaining = call("DELETE", f"{keys_url}/{kid_of(old)}")
    assert status == 200 and [k["kid"] for k in remaining["keys"]] == ["rotated-in"]
    assume(rig, old)  # still cached
    move_clocks(rig, {"advance_seconds": 3600})
    assert refusal(rig, old) == ("InvalidIdentityToken", NO_KEY)
    assume(rig, mint(rig, connection="my-connection"))
    # Nothing was written to the keys directory.
    assert sorted(p.name for p in Path(REPO / "keys").rglob("*")) == before


def test_jwks_cache_seconds_is_bounded():
    for value in ["31536001", "soon"]:
        out = subprocess.run(
            [binary("sts-mock"), "serve", "--jwks-cache-seconds", value], capture_output=True, text=True, timeout=30
        )
        assert out.returncode == 2, out
        assert "--jwks-cache-seconds" in out.stderr, out.stderr
