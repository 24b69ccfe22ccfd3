"""`sts-mock lint` as CI runs it: a trust-policy file (or a role of a running sts-mock) in,
findings out in text, JSON or SARIF, and the exit code a pipeline acts on: 0 clean, 1 findings,
2 bad input."""

import json
import subprocess
import urllib.request

from conftest import REPO, aws, binary, sts_mock_args

EXAMPLE = REPO / "examples" / "policies" / "dynatrace-trust.json"


def lint(*args):
    out = subprocess.run([binary("sts-mock"), "lint", *map(str, args)], capture_output=True, text=True, timeout=60)
    return out.returncode, out.stdout, out.stderr


def without_sub(tmp_path):
    policy = json.loads(EXAMPLE.read_text())
    del policy["Statement"][0]["Condition"]["StringEquals"]["token.dynatrace.com:sub"]
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(policy, indent=2))
    return path


def test_a_clean_policy_exits_0():
    code, out, err = lint("--trust-policy", EXAMPLE, "--provider", "https://token.dynatrace.com")
    assert code == 0, err
    assert out.strip() == f"{EXAMPLE}: no findings"


def test_the_example_without_its_sub_condition_is_one_finding_in_every_format(tmp_path):
    path = without_sub(tmp_path)
    code, out, _ = lint("--trust-policy", path)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{path}:10:7: error[tenant-claim-missing] ")
    assert "token.dynatrace.com:sub" in first
    assert "  at $.Statement[0].Condition" in out
    assert 'write instead: "StringEquals": {"token.dynatrace.com:sub": "dt:connection-id/ID"}' in out
    assert out.rstrip().endswith("1 finding (1 error)")

    code, out, _ = lint("--trust-policy", path, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["source"] == str(path)
    [finding] = report["findings"]
    assert finding["id"] == "tenant-claim-missing"
    assert finding["severity"] == "error"
    assert finding["path"] == "$.Statement[0].Condition"
    assert (finding["line"], finding["column"]) == (10, 7)
    assert finding["fix"].startswith('"StringEquals"')

    code, out, _ = lint("--trust-policy", path, "--format", "sarif")
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["tenant-claim-missing"]["defaultConfiguration"]["level"] == "error"
    assert rules["tenant-claim-missing"]["helpUri"].startswith("https://docs.aws.amazon.com/IAM/")
    [result] = run["results"]
    assert result["ruleId"] == "tenant-claim-missing"
    assert result["level"] == "error"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "tenant-claim-missing"
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == str(path)
    assert location["physicalLocation"]["region"] == {"startLine": 10, "startColumn": 7}
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "$.Statement[0].Condition"


def test_providers_the_account_lacks_are_reported():
    code, out, _ = lint("--trust-policy", EXAMPLE, "--provider", "https://gitlab.com", "--format", "json")
    assert code == 1
    assert [f["id"] for f in json.loads(out)["findings"]] == ["provider-not-registered"]


def test_bad_input_exits_2(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    code, _, err = lint("--trust-policy", broken)
    assert code == 2
    assert "MalformedPolicyDocument: This policy contains invalid Json" in err
    identity = tmp_path / "identity.json"
    identity.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}')
    code, _, err = lint("--trust-policy", identity)
    assert code == 2
    assert "MalformedPolicyDocument" in err
    assert lint("--trust-policy", tmp_path / "missing.json")[0] == 2
    assert lint()[0] == 2
    assert lint("--trust-policy", EXAMPLE, "--format", "yaml")[0] == 2
    assert lint("--role", "arn:aws:iam::000000000000:role/x")[0] == 2  # --role needs --url
    code, _, err = lint("--role", "arn:aws:iam::000000000000:role/x", "--url", "http://127.0.0.1:9")
    assert code == 2
    assert "127.0.0.1:9" in err


def test_a_role_of_a_running_sts_mock(servers, issuer, tmp_path):
    sts = servers(sts_mock_args(issuer.url))
    code, out, err = lint("--role", "arn:aws:iam::000000000000:role/dynatrace-aws-connector", "--url", sts.url)
    assert code == 0, err
    assert "no findings" in out
    # A role created through IAM with the sub condition left out: IAM accepts it, lint does not.
    rc, _, stderr = aws(sts.url, "iam", "create-role", "--role-name", "lax",
                        "--assume-role-policy-document", f"file://{without_sub(tmp_path)}")
    assert rc == 0, stderr
    code, out, _ = lint("--role", "arn:aws:iam::000000000000:role/lax", "--url", sts.url, "--format", "sarif")
    assert code == 1
    [result] = json.loads(out)["runs"][0]["results"]
    assert result["ruleId"] == "tenant-claim-missing"
    assert "physicalLocation" not in result["locations"][0]
    code, _, err = lint("--role", "arn:aws:iam::000000000000:role/nope", "--url", sts.url)
    assert code == 2
    assert "no role arn:aws:iam::000000000000:role/nope" in err
    # The page was told too, when IAM saved it.
    with urllib.request.urlopen(f"{sts.url}/_sts-mock/warnings", timeout=10) as response:
        [warning] = json.load(response)["warnings"]
    assert warning["action"] == "CreateRole"
    assert [f["id"] for f in warning["findings"]] == ["tenant-claim-missing"]
