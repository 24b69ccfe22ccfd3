"""The IAM API as users drive it: the AWS CLI sets up a provider and a role from JSON files
against a running sts-mock, assumes the role with a minted token, simulates the permission
policy; `sts-mock explain` agrees with STS; IAM errors as users meet them; `--state` survives
SIGKILL and a truncated state file is refused."""

import signal
import subprocess

from conftest import AUD, ISSUER_URL, REPO, aws, binary, mint, sts_mock_args

ROLE_ARN = "arn:aws:iam::000000000000:role/dynatrace-aws-connector"
TRUST = REPO / "examples/policies/dynatrace-trust.json"
LIST_REGIONS = REPO / "examples/policies/list-regions.json"


def empty_config(tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("# nothing: everything comes through the IAM API\n")
    return str(path)


def set_up_through_cli(url):
    rc, out, err = aws(url, "iam", "create-open-id-connect-provider", "--url", ISSUER_URL, "--client-id-list", AUD)
    assert rc == 0, err
    assert out["OpenIDConnectProviderArn"] == "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"
    rc, out, err = aws(
        url, "iam", "create-role", "--role-name", "dynatrace-aws-connector",
        "--assume-role-policy-document", f"file://{TRUST}",
    )
    assert rc == 0, err
    assert out["Role"]["Arn"] == ROLE_ARN
    # The CLI decodes IAM's URL-encoded document back into the JSON we sent.
    assert out["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"][
        "token.dynatrace.com:sub"] == "dtid:connection/my-connection"
    rc, _, err = aws(
        url, "iam", "put-role-policy", "--role-name", "dynatrace-aws-connector",
        "--policy-name", "dynatrace-aws-connector-list-regions", "--policy-document", f"file://{LIST_REGIONS}",
    )
    assert rc == 0, err


def assume(url, token):
    return aws(
        url, "sts", "assume-role-with-web-identity", "--role-arn", ROLE_ARN,
        "--role-session-name", "cli-session", "--web-identity-token", token,
    )


def explain(token):
    return subprocess.run(
        [binary("sts-mock"), "explain", "--trust-policy", str(TRUST), "--token", token],
        capture_output=True, text=True,
    )


def test_cli_sets_up_assumes_simulates_and_explain_agrees(issuer, servers, tmp_path):
    sts = servers(sts_mock_args(issuer.url, "--config", empty_config(tmp_path)))
    rc, out, _ = aws(sts.url, "iam", "list-roles")
    assert rc == 0 and out["Roles"] == []
    set_up_through_cli(sts.url)

    mine, other = mint("my-connection"), mint("other-connection")
    rc, out, err = assume(sts.url, mine)
    assert rc == 0, err
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/cli-session"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    rc, _, err = assume(sts.url, other)
    assert rc != 0 and "AccessDenied" in err, err

    rc, out, err = aws(
        sts.url, "iam", "simulate-principal-policy", "--policy-source-arn", ROLE_ARN,
        "--action-names", "account:ListRegions", "s3:ListBuckets",
    )
    assert rc == 0, err
    results = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert results["account:ListRegions"]["EvalDecision"] == "allowed"
    assert results["account:ListRegions"]["MatchedStatements"][0]["SourcePolicyId"] == "dynatrace-aws-connector-list-regions"
    assert results["s3:ListBuckets"]["EvalDecision"] == "implicitDeny"

    # Offline, the same decision as STS for the same token; non-zero exit on deny.
    allowed = explain(mine)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "decision: Allow" in allowed.stdout
    denied = explain(other)
    assert denied.returncode == 1, denied.stdout + denied.stderr
    assert "dtid:connection/other-connection" in denied.stdout


def test_explain_with_context_pairs_and_bad_policies(tmp_path):
    ctx = [
        "--context", f"token.dynatrace.com:aud={AUD}",
        "--context", "token.dynatrace.com:sub=dtid:connection/my-connection",
        "--federated", "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com",
    ]
    ok = subprocess.run([binary("sts-mock"), "explain", "--trust-policy", str(TRUST), *ctx], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(TRUST.read_text().replace('"Action"', '"Resource": "*", "Action"'))
    out = subprocess.run([binary("sts-mock"), "explain", "--trust-policy", str(bad), *ctx], capture_output=True, text=True)
    assert out.returncode == 2 and "Has prohibited field Resource" in out.stderr, out.stderr


def test_iam_errors_as_users_meet_them(issuer, servers, tmp_path):
    sts = servers(sts_mock_args(issuer.url, "--config", empty_config(tmp_path)))
    set_up_through_cli(sts.url)

    def error(*args):
        rc, _, err = aws(sts.url, "iam", *args)
        assert rc != 0
        return err

    assert "EntityAlreadyExists" in error("create-role", "--role-name", "dynatrace-aws-connector", "--assume-role-policy-document", f"file://{TRUST}")
    assert "Provider with url https://token.dynatrace.com already exists." in error("create-open-id-connect-provider", "--url", ISSUER_URL)
    assert "NoSuchEntity" in error("get-role", "--role-name", "nope")
    assert "MalformedPolicyDocument" in error("create-role", "--role-name", "x", "--assume-role-policy-document", f"file://{LIST_REGIONS}")
    assert "ValidationError" in error("create-role", "--role-name", "bad name", "--assume-role-policy-document", f"file://{TRUST}")
    many = [f"client-{i}" for i in range(101)]
    assert "LimitExceeded" in error("create-open-id-connect-provider", "--url", "https://many.example.com", "--client-id-list", *many)
    assert "DeleteConflict" in error("delete-role", "--role-name", "dynatrace-aws-connector")


def test_default_setup_works_with_the_issuer(issuer, servers):
    # No --config: the built-in default (examples/default.toml); only the issuer's port differs.
    sts = servers(sts_mock_args(issuer.url))
    rc, out, err = assume(sts.url, mint("my-connection"))
    assert rc == 0, err
    rc, _, err = assume(sts.url, mint("other-connection"))
    assert rc != 0 and "AccessDenied" in err


def test_state_survives_sigkill_and_a_truncated_file_is_refused(issuer, servers, tmp_path):
    state = tmp_path / "state.json"
    args = sts_mock_args(issuer.url, "--config", empty_config(tmp_path), "--state", str(state))
    sts = servers(args)
    set_up_through_cli(sts.url)
    rc, _, err = aws(sts.url, "iam", "tag-role", "--role-name", "dynatrace-aws-connector", "--tags", "Key=team,Value=sre")
    assert rc == 0, err
    sts.kill(signal.SIGKILL)

    sts = servers(args)
    rc, out, err = aws(sts.url, "iam", "get-role", "--role-name", "dynatrace-aws-connector")
    assert rc == 0, err
    assert out["Role"]["Tags"] == [{"Key": "team", "Value": "sre"}]
    rc, out, err = aws(sts.url, "iam", "list-role-policies", "--role-name", "dynatrace-aws-connector")
    assert out["PolicyNames"] == ["dynatrace-aws-connector-list-regions"]
    # The restored world works for STS too.
    rc, _, err = assume(sts.url, mint("my-connection"))
    assert rc == 0, err
    sts.kill(signal.SIGKILL)

    whole = state.read_bytes()
    state.write_bytes(whole[: len(whole) // 2])
    refused = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0
    assert "refusing state file" in refused.stderr and "truncated" in refused.stderr, refused.stderr
    assert state.read_bytes() == whole[: len(whole) // 2], "a refused state file must be left untouched"


def test_a_bad_config_file_is_refused_whole(issuer, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[provider]]\nurl = "https://token.dynatrace.com"\n\n'
        '[[role]]\nname = "dynatrace-aws-connector"\n'
        f'trust_policy_file = "{LIST_REGIONS}"\n'
    )
    out = subprocess.run(sts_mock_args(issuer.url, "--config", str(bad)), capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert f'{bad}: role "dynatrace-aws-connector" (account 000000000000): trust policy: MalformedPolicyDocument' in out.stderr, out.stderr


def test_access_keys_of_twelve_digits_pick_the_account(issuer, servers):
    sts = servers(sts_mock_args(issuer.url, "--config", str(REPO / "examples/multi-account.toml")))
    rc, out, err = aws(sts.url, "iam", "list-roles", access_key="111111111111")
    assert rc == 0, err
    assert [r["Arn"] for r in out["Roles"]] == ["arn:aws:iam::111111111111:role/dynatrace-aws-connector"]
    rc, out, err = aws(sts.url, "iam", "list-roles")
    assert rc == 0 and out["Roles"] == [], err
    # The production connection may assume its role in account 111111111111, not the staging one's.
    role_b = "arn:aws:iam::222222222222:role/dynatrace-aws-connector"
    args = ["sts", "assume-role-with-web-identity", "--role-session-name", "prod", "--web-identity-token", mint("production")]
    rc, _, err = aws(sts.url, *args, "--role-arn", "arn:aws:iam::111111111111:role/dynatrace-aws-connector")
    assert rc == 0, err
    rc, _, err = aws(sts.url, *args, "--role-arn", role_b)
    assert rc != 0 and "AccessDenied" in err, err
