"""`sts-mock coverage`: a CI run's negative tests, judged by the conditions they made fail. The
counts come from a running sts-mock; `--fail-under-conditions 100` exits 1 while a condition of
the roles asked about was never seen both true and false."""

import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request

from conftest import binary, mint, sts_mock_args

ROLE = "arn:aws:iam::000000000000:role/dynatrace-aws-connector"


def coverage(*args):
    out = subprocess.run([binary("sts-mock"), "coverage", *args], capture_output=True, text=True, timeout=60)
    return out.returncode, out.stdout, out.stderr


def assume(sts_url, connection):
    body = urllib.parse.urlencode({
        "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": ROLE,
        "RoleSessionName": "coverage", "WebIdentityToken": mint(connection),
    }).encode()
    try:
        with urllib.request.urlopen(sts_url, data=body, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_fail_under_conditions_until_every_condition_was_seen_both_ways(servers, issuer):
    sts = servers(sts_mock_args(issuer.url))
    gate = ["--url", sts.url, "--role", ROLE, "--fail-under-conditions", "100"]
    code, out, err = coverage(*gate)
    assert code == 1
    assert "0 of 2 conditions seen both true and false, under 100%" in err
    assert "never evaluated" in out

    assert assume(sts.url, "my-connection") == 200
    code, out, _ = coverage(*gate)
    assert code == 1
    assert "StringEquals token.dynatrace.com:sub [\"dtid:connection/my-connection\"]: true 1, false 0  never seen false" in out

    # The negative test: another connection is refused by the sub condition.
    assert assume(sts.url, "other-connection") == 403
    code, out, _ = coverage(*gate)
    assert code == 1  # aud is still never false: no token of another tenant was tried
    assert "token.dynatrace.com:sub [\"dtid:connection/my-connection\"]: true 1, false 1\n" in out
    assert "conditions seen both true and false: 1 of 2 (50.0%)" in out
    assert coverage("--url", sts.url, "--role", ROLE, "--fail-under-conditions", "50")[0] == 0

    code, out, _ = coverage("--url", sts.url, "--role", ROLE, "--format", "json")
    assert code == 0
    report = json.loads(out)
    [role] = report["roles"]
    assert role["role_arn"] == ROLE and role["decisions"] == 2
    assert [c["false"] for c in role["statements"][0]["conditions"]] == [0, 1]

    # Every role of the built-in default, most never tried: far from 100%.
    code, out, _ = coverage("--url", sts.url, "--fail-under-conditions", "100")
    assert code == 1
    assert "arn:aws:iam::000000000000:role/github-deploy (0 decisions)" in out

    # After DELETE, counting starts again.
    request = urllib.request.Request(f"{sts.url}/_sts-mock/coverage", method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as response:
        since = json.load(response)["since"]
    code, out, _ = coverage("--url", sts.url, "--role", ROLE)
    assert code == 0
    assert out.startswith(f"since {since}\n")
    assert "(0 decisions)" in out


def test_bad_input_exits_2(servers, issuer):
    sts = servers(sts_mock_args(issuer.url))
    code, _, err = coverage("--url", sts.url, "--role", "arn:aws:iam::000000000000:role/nope")
    assert code == 2
    assert "no role arn:aws:iam::000000000000:role/nope" in err
    assert coverage("--url", "http://127.0.0.1:9")[0] == 2
    assert coverage("--url", sts.url, "--fail-under-conditions", "101")[0] == 2
    assert coverage("--url", sts.url, "--fail-under-conditions", "lots")[0] == 2
    assert coverage()[0] == 2
