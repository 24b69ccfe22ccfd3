"""After the assume: what a role session may do, with real clients (boto3 and the AWS CLI)
against the real binaries. The connector's own call (`account:ListRegions`) works with the
default Dynatrace role's web-identity credentials and is refused, in AWS's words, by a session
policy or a permissions boundary that leaves it out; IAM calls act in the role's account and
are refused unless allowed; a tampered, stripped or expired session token is refused on every
API; a role in another account is reached by AssumeRole and refused when its trust policy names
someone else; GetWebIdentityToken issues tokens that AssumeRoleWithWebIdentity refuses."""

import json
import os
import subprocess
import urllib.request

import boto3
import botocore
import pytest
from botocore.config import Config

from conftest import AUD, ISSUER_URL, REPO, aws_cli, binary, mint, sts_mock_args

ROLE = "dynatrace-aws-connector"
ROLE_ARN = f"arn:aws:iam::000000000000:role/{ROLE}"
REGIONS = sorted(json.load(open(os.path.join(os.path.dirname(botocore.__file__), "data", "endpoints.json")))
                 ["partitions"][0]["regions"])
# Regions launched before March 20, 2019 are enabled by default (AWS Account Management guide).
DEFAULT_ENABLED = {
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1",
}
NO_RETRY = Config(retries={"total_max_attempts": 1})


def client(service, url, creds=None, key="test", region="us-east-1"):
    if creds is not None:
        return boto3.client(
            service, endpoint_url=url, region_name=region, config=NO_RETRY,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
    return boto3.client(service, endpoint_url=url, region_name=region, config=NO_RETRY,
                        aws_access_key_id=key, aws_secret_access_key="test")


def web_identity(url, session="connector", policy=None, role_arn=ROLE_ARN, token=None):
    params = dict(RoleArn=role_arn, RoleSessionName=session, WebIdentityToken=token or mint("my-connection"))
    if policy is not None:
        params["Policy"] = json.dumps(policy)
    return client("sts", url).assume_role_with_web_identity(**params)["Credentials"]


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def denied(session, action, resource, why):
    return (f"User: arn:aws:sts::000000000000:assumed-role/{ROLE}/{session} is not authorized to perform: "
            f"{action} on resource: {resource} {why}")


def clock(url, change):
    """Moves sts-mock's clock (`PUT /_sts-mock/clock`)."""
    req = urllib.request.Request(f"{url}/_sts-mock/clock", data=json.dumps(change).encode(), method="PUT")
    urllib.request.urlopen(req).read()


@pytest.fixture
def sts(issuer, servers):
    return servers(sts_mock_args(issuer.url))


def test_the_connector_lists_regions_with_its_web_identity_credentials(sts):
    account = client("account", sts.url, web_identity(sts.url))
    regions = account.list_regions()["Regions"]
    assert [r["RegionName"] for r in regions] == REGIONS
    for r in regions:
        expected = "ENABLED_BY_DEFAULT" if r["RegionName"] in DEFAULT_ENABLED else "DISABLED"
        assert r["RegionOptStatus"] == expected, r
    disabled = account.list_regions(RegionOptStatusContains=["DISABLED"])["Regions"]
    assert {r["RegionName"] for r in disabled} == set(REGIONS) - DEFAULT_ENABLED
    # Paged as the CLI pages it.
    paged = [r["RegionName"] for page in account.get_paginator("list_regions").paginate(
        PaginationConfig={"PageSize": 5}) for r in page["Regions"]]
    assert paged == REGIONS
    code, message = error_of(lambda: account.list_regions(MaxResults=51))
    assert code == "ValidationException"
    assert message == ("1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: "
                       "Member must have value less than or equal to 50")
    # The decision is in the log, with its explanation.
    log = json.load(urllib.request.urlopen(f"{sts.url}/_sts-mock/decisions"))["decisions"]
    record = [d for d in log if d.get("permission") == "account:ListRegions"][-1]
    assert record["result"] == "allowed" and record["resource"] == "arn:aws:account::000000000000:account"
    assert record["principal"] == f"arn:aws:sts::000000000000:assumed-role/{ROLE}/connector"


def test_the_aws_cli_lists_regions_with_the_assumed_credentials(sts):
    creds = web_identity(sts.url)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
           "AWS_SESSION_TOKEN": creds["SessionToken"], "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    out = subprocess.run([aws_cli(), "--endpoint-url", sts.url, "--output", "json", "account", "list-regions"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [r["RegionName"] for r in json.loads(out.stdout)["Regions"]] == REGIONS


def test_a_session_policy_without_list_regions_is_denied_in_aws_words(sts):
    s3_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}
    account = client("account", sts.url, web_identity(sts.url, "scoped", s3_only))
    code, message = error_of(account.list_regions)
    assert code == "AccessDeniedException"
    assert message == denied("scoped", "account:ListRegions", "arn:aws:account::000000000000:account",
                             "because no session policy allows the account:ListRegions action")
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "account:*", "Resource": "*"}]}
    account = client("account", sts.url, web_identity(sts.url, "denied", deny))
    code, message = error_of(account.list_regions)
    assert message == denied("denied", "account:ListRegions", "arn:aws:account::000000000000:account",
                             "with an explicit deny in a session policy")


def test_a_permissions_boundary_that_excludes_list_regions_is_denied(sts):
    iam = client("iam", sts.url)
    s3 = iam.create_policy(PolicyName="s3-boundary", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))["Policy"]
    assert s3["Arn"] == "arn:aws:iam::000000000000:policy/s3-boundary" and s3["DefaultVersionId"] == "v1"
    iam.put_role_permissions_boundary(RoleName=ROLE, PermissionsBoundary=s3["Arn"])
    assert iam.get_role(RoleName=ROLE)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == s3["Arn"]
    account = client("account", sts.url, web_identity(sts.url, "bounded"))
    code, message = error_of(account.list_regions)
    assert (code, message) == ("AccessDeniedException", denied(
        "bounded", "account:ListRegions", "arn:aws:account::000000000000:account",
        "because no permissions boundary allows the account:ListRegions action"))
    # The simulator agrees, and says the boundary decided.
    result = iam.simulate_principal_policy(PolicySourceArn=ROLE_ARN, ActionNames=["account:ListRegions"])
    result = result["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    # A boundary that allows it again: the role's own policy decides.
    iam.create_policy_version(PolicyArn=s3["Arn"], SetAsDefault=True, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "account:ListRegions"], "Resource": "*"}]}))
    assert len(account.list_regions()["Regions"]) == len(REGIONS)
    # An attached managed policy that denies it: named in the message.
    deny = iam.create_policy(PolicyName="no-account", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "account:*", "Resource": "*"}]}))["Policy"]
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=deny["Arn"])
    assert iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"] == [
        {"PolicyName": "no-account", "PolicyArn": deny["Arn"]}]
    code, message = error_of(account.list_regions)
    assert message == denied("bounded", "account:ListRegions", "arn:aws:account::000000000000:account",
                             f"with an explicit deny in an identity-based policy: {deny['Arn']}")
    code, message = error_of(lambda: iam.delete_policy(PolicyArn=deny["Arn"]))
    assert code == "DeleteConflict"
    iam.detach_role_policy(RoleName=ROLE, PolicyArn=deny["Arn"])
    iam.delete_policy(PolicyArn=deny["Arn"])
    iam.delete_role_permissions_boundary(RoleName=ROLE)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=ROLE)["Role"]


SECOND_ACCOUNT = f"""
default_account = "000000000000"

[[provider]]
account = "333333333333"
url = "{ISSUER_URL}"
client_ids = ["{AUD}"]

[[role]]
account = "333333333333"
name = "{ROLE}"
trust_policy = '''{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Principal": {{"Federated": "arn:aws:iam::333333333333:oidc-provider/token.dynatrace.com"}},
  "Action": "sts:AssumeRoleWithWebIdentity",
  "Condition": {{"StringEquals": {{"token.dynatrace.com:aud": "{AUD}"}}}}}}]}}'''

[[role.policy]]
name = "read-itself"
document = '''{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Action": ["iam:GetRole", "sts:AssumeRole"], "Resource": [
    "arn:aws:iam::333333333333:role/{ROLE}", "arn:aws:iam::444444444444:role/cross",
    "arn:aws:iam::444444444444:role/other-trust"]}}]}}'''

[[role]]
account = "000000000000"
name = "only-in-zero"
trust_policy = '''{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "000000000000"}}, "Action": "sts:AssumeRole"}}]}}'''

[[role]]
account = "444444444444"
name = "cross"
max_session_duration = 7200
trust_policy = '''{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Principal": {{"AWS": "arn:aws:iam::333333333333:role/{ROLE}"}}, "Action": "sts:AssumeRole",
  "Condition": {{"StringEquals": {{"sts:ExternalId": "doit-42"}}}}}}]}}'''

[[role.policy]]
name = "list-regions"
document = '''{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "account:ListRegions", "Resource": "*"}}]}}'''

[[role]]
account = "444444444444"
name = "other-trust"
trust_policy = '''{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::555555555555:root"}}, "Action": "sts:AssumeRole"}}]}}'''
"""

ROLE_333 = f"arn:aws:iam::333333333333:role/{ROLE}"


@pytest.fixture
def multi(issuer, servers, tmp_path):
    path = tmp_path / "multi.toml"
    path.write_text(SECOND_ACCOUNT)
    return servers(sts_mock_args(issuer.url, "--config", str(path)))


def test_iam_calls_act_in_the_roles_account_and_are_denied_unless_allowed(multi):
    creds = web_identity(multi.url, "in-333", role_arn=ROLE_333)
    iam = client("iam", multi.url, creds)
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert role["Arn"] == ROLE_333
    who = client("sts", multi.url, creds).get_caller_identity()
    assert who["Account"] == "333333333333"
    code, message = error_of(iam.list_roles)
    assert code == "AccessDenied"
    assert message == (f"User: arn:aws:sts::333333333333:assumed-role/{ROLE}/in-333 is not authorized to perform: "
                       "iam:ListRoles on resource: arn:aws:iam::333333333333:role/ because no identity-based "
                       "policy allows the iam:ListRoles action")
    # A role that exists only in account 000000000000 is not answered from there.
    code, message = error_of(lambda: iam.get_role(RoleName="only-in-zero"))
    assert message == (f"User: arn:aws:sts::333333333333:assumed-role/{ROLE}/in-333 is not authorized to perform: "
                       "iam:GetRole on resource: role only-in-zero because no identity-based policy allows the "
                       "iam:GetRole action")
    code, _ = error_of(lambda: iam.create_role(RoleName="sneaky", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "1"}, "Action": "sts:AssumeRole"}]})))
    assert code == "AccessDenied"
    # The administrator of 000000000000 still sees its own world.
    assert client("iam", multi.url).get_role(RoleName="only-in-zero")["Role"]["Arn"].startswith("arn:aws:iam::000000000000:")


def test_a_session_token_sts_mock_cannot_open_is_refused_on_every_api(multi, issuer):
    creds = web_identity(multi.url, "tamper", role_arn=ROLE_333)
    token = creds["SessionToken"]
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    tampered = {**creds, "SessionToken": flipped}
    for service, call in [
        ("iam", lambda c: c.get_role(RoleName=ROLE)),
        ("account", lambda c: c.list_regions()),
        ("sts", lambda c: c.get_caller_identity()),
    ]:
        code, message = error_of(lambda: call(client(service, multi.url, tampered)))
        expected = "UnrecognizedClientException" if service == "account" else "InvalidClientTokenId"
        assert (code, message) == (expected, "The security token included in the request is invalid."), service
    # The temporary key without its token is no administrator.
    stripped = client("iam", multi.url, key=creds["AccessKeyId"])
    assert error_of(lambda: stripped.list_roles())[0] == "InvalidClientTokenId"
    # Expired: a 15-minute session issued 1000 s ago (sts-mock's and the issuer's clocks set
    # back for the assume), used now, signed by a client whose clock is right.
    clock(multi.url, {"offset_seconds": -1000})
    old_token = subprocess.run(
        [binary("issuer"), "mint", "--keys", str(REPO / "keys"), "--connection", "my-connection", "--clock", "-1000"],
        check=True, capture_output=True, text=True).stdout.strip()
    old = client("sts", multi.url).assume_role_with_web_identity(
        RoleArn=ROLE_333, RoleSessionName="old", WebIdentityToken=old_token, DurationSeconds=900)["Credentials"]
    clock(multi.url, {"real": True})
    code, message = error_of(lambda: client("iam", multi.url, old).get_role(RoleName=ROLE))
    assert (code, message) == ("ExpiredToken", "The security token included in the request is expired")
    assert client("iam", multi.url, creds).get_role(RoleName=ROLE)["Role"]["Arn"] == ROLE_333


def test_a_role_in_another_account_is_reached_by_assume_role(multi):
    creds = web_identity(multi.url, "hop", role_arn=ROLE_333)
    sts = client("sts", multi.url, creds)
    hop = sts.assume_role(RoleArn="arn:aws:iam::444444444444:role/cross", RoleSessionName="second",
                          ExternalId="doit-42")
    assert hop["AssumedRoleUser"]["Arn"] == "arn:aws:sts::444444444444:assumed-role/cross/second"
    who = client("sts", multi.url, hop["Credentials"]).get_caller_identity()
    assert who["Account"] == "444444444444"
    regions = client("account", multi.url, hop["Credentials"]).list_regions()["Regions"]
    assert len(regions) == len(REGIONS)
    # Role chaining is capped at one hour, whatever the role's maximum.
    code, message = error_of(lambda: sts.assume_role(
        RoleArn="arn:aws:iam::444444444444:role/cross", RoleSessionName="long", ExternalId="doit-42",
        DurationSeconds=7200))
    assert (code, message) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit "
                               "for roles assumed by role chaining.")
    # Without the external ID the trust policy does not allow it; nor does one that names
    # someone else. AWS gives no reason: the trust policy is the other account's.
    for role, extra in [("cross", {}), ("other-trust", {})]:
        code, message = error_of(lambda: sts.assume_role(
            RoleArn=f"arn:aws:iam::444444444444:role/{role}", RoleSessionName="no", **extra))
        assert (code, message) == ("AccessDenied", (
            f"User: arn:aws:sts::333333333333:assumed-role/{ROLE}/hop is not authorized to perform: "
            f"sts:AssumeRole on resource: arn:aws:iam::444444444444:role/{role}"))
    # The caller's own policy must allow it, too.
    code, message = error_of(lambda: sts.assume_role(
        RoleArn="arn:aws:iam::000000000000:role/only-in-zero", RoleSessionName="no"))
    assert message == (f"User: arn:aws:sts::333333333333:assumed-role/{ROLE}/hop is not authorized to perform: "
                       "sts:AssumeRole on resource: arn:aws:iam::000000000000:role/only-in-zero because no "
                       "identity-based policy allows the sts:AssumeRole action")
    # Root credentials cannot assume roles.
    code, message = error_of(lambda: client("sts", multi.url, key="444444444444").assume_role(
        RoleArn="arn:aws:iam::444444444444:role/cross", RoleSessionName="root"))
    assert (code, message) == ("AccessDenied", "Roles may not be assumed by root accounts.")


def test_get_web_identity_token_and_outbound_federation(sts):
    iam = client("iam", sts.url)
    code, _ = error_of(iam.get_outbound_web_identity_federation_info)
    assert code == "FeatureDisabled"
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith("https://") and issuer.endswith(".tokens.sts.global.api.aws")
    code, _ = error_of(iam.enable_outbound_web_identity_federation)
    assert code == "FeatureEnabled"
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    iam.put_role_policy(RoleName=ROLE, PolicyName="tokens", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
                                                "Condition": {"ForAllValues:StringEquals": {"sts:IdentityTokenAudience": "https://api.example.com"},
                                                              "NumericLessThanEquals": {"sts:DurationSeconds": 600}}}]}))
    sts_client = client("sts", sts.url, web_identity(sts.url, "outbound"))
    answer = sts_client.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384",
                                               Tags=[{"Key": "job", "Value": "42"}])
    token = answer["WebIdentityToken"]
    import base64
    header, payload, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    header = json.loads(base64.urlsafe_b64decode(pad(header)))
    claims = json.loads(base64.urlsafe_b64decode(pad(payload)))
    assert header["alg"] == "ES384"
    assert claims["iss"] == issuer and claims["aud"] == "https://api.example.com" and claims["sub"] == ROLE_ARN
    assert claims["exp"] - claims["iat"] == 300
    assert claims["https://sts.amazonaws.com/"]["aws_account"] == "000000000000"
    assert claims["https://sts.amazonaws.com/"]["request_tags"] == {"job": "42"}
    issuer_id = issuer.removeprefix("https://").split(".")[0]
    jwks = json.load(urllib.request.urlopen(f"{sts.url}/_sts-mock/outbound/{issuer_id}/.well-known/jwks.json"))
    assert header["kid"] in [k["kid"] for k in jwks["keys"]]
    # The policy's conditions hold: another audience, or too long a token, is refused.
    code, message = error_of(lambda: sts_client.get_web_identity_token(Audience=["https://evil.example.com"], SigningAlgorithm="RS256"))
    assert code == "AccessDenied" and "because no identity-based policy allows the sts:GetWebIdentityToken action" in message
    code, _ = error_of(lambda: sts_client.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="RS256", DurationSeconds=900))
    assert code == "AccessDenied"
    # Its tokens cannot come back in through AssumeRoleWithWebIdentity.
    code, _ = error_of(lambda: client("sts", sts.url).assume_role_with_web_identity(
        RoleArn=ROLE_ARN, RoleSessionName="back", WebIdentityToken=token))
    assert code == "InvalidIdentityToken"
    iam.disable_outbound_web_identity_federation()
    code, _ = error_of(lambda: sts_client.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="RS256"))
    assert code == "OutboundWebIdentityFederationDisabledException"
