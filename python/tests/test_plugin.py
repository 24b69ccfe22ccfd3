"""The pytest plugin and the Rig API, as installed: fixtures, options, clock, decisions,
start-up failures, failure reports, types."""

import datetime as dt
import json
import os
import socket
import stat
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import botocore.exceptions
import pytest

import oidc_sts_rig.pytest_plugin
from oidc_sts_rig import DEFAULT_ROLE_ARN, ISSUERS, Rig, RigError, RigHTTPError, Token

UTC = dt.timezone.utc

# A setup file of a project's own: one provider, one role for connection `ci` of tenant abc12345.
SETUP = """
[[provider]]
url = "https://token.dynatrace.com"
client_ids = ["abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector"]

[[role]]
name = "ci-deployer"
trust_policy = '''{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {
      "token.dynatrace.com:aud": "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector",
      "token.dynatrace.com:sub": "dtid:connection/ci"}}
  }]
}'''
"""

USES_SETUP = """
import boto3, botocore.exceptions, pytest

def test_the_setup_files_role_and_not_the_default_one(rig):
    sts = rig.boto3_client("sts")
    answer = sts.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::000000000000:role/ci-deployer", RoleSessionName="ci",
        WebIdentityToken=rig.mint(connection="ci"))
    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/ci-deployer/ci")
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        rig.boto3_client("iam").get_role(RoleName="dynatrace-aws-connector")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
"""


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def test_the_plugin_is_registered_by_its_entry_point(pytestconfig):
    assert pytestconfig.pluginmanager.get_plugin("oidc_sts_rig") is oidc_sts_rig.pytest_plugin


def test_rig_urls_and_issuer_names(rig):
    assert rig.sts_url.startswith("http://127.0.0.1:") and rig.issuer_url().startswith("http://127.0.0.1:")
    discovery = get_json(f"{rig.issuer_url('dynatrace')}/.well-known/openid-configuration")
    assert discovery["issuer"] == rig.issuer_identity() == "https://token.dynatrace.com"
    assert list(ISSUERS) == ["dynatrace", "github", "gitlab", "eks"] and ISSUERS["dynatrace"].prefix == "/"
    for name in ISSUERS:
        discovery = get_json(f"{rig.issuer_url(name)}/.well-known/openid-configuration")
        assert discovery["issuer"] == rig.issuer_identity(name), name
        # sts-mock was wired to this issuer process, not to the default 127.0.0.1:9400.
        assert f"oidc endpoint: {rig.issuer_identity(name)} -> {rig.issuer_url(name)}" in rig.output("sts-mock")
    with pytest.raises(ValueError, match="no issuer named 'bitbucket': the rig has dynatrace, github, gitlab, eks"):
        rig.issuer_url("bitbucket")
    with pytest.raises(ValueError, match="no issuer named 'bitbucket'"):
        rig.mint(issuer="bitbucket")


def test_a_github_actions_token_assumes_the_example_role_for_main_only(rig):
    sts = rig.boto3_client("sts")
    role = "arn:aws:iam::000000000000:role/github-deploy"
    main = rig.mint(issuer="github", ref="refs/heads/main")
    assert main.claims["sub"] == "repo:octo-org/octo-repo:ref:refs/heads/main"
    answer = sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="gha", WebIdentityToken=main)
    assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/github-deploy/gha"
    other = rig.mint(issuer="github", ref="refs/heads/feature")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="gha", WebIdentityToken=other)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert "repo:octo-org/octo-repo:ref:refs/heads/feature" in rig.explain_last()


def test_mint_takes_the_issuers_body_and_answers_a_token_with_its_claims(rig):
    token = rig.mint(tenant="abc12345", connection="my-connection", ttl=120, claims={"email": "ci@example.com"})
    assert isinstance(token, Token) and isinstance(token, str) and token.count(".") == 2
    assert token.claims["sub"] == "dtid:connection/my-connection"
    assert token.claims["email"] == "ci@example.com"
    assert token.expires_at == token.claims["exp"] == token.claims["iat"] + 120
    with pytest.raises(RigHTTPError) as refused:
        rig.mint(tenant="abc12345", ttl=0)
    assert refused.value.status == 400 and refused.value.error == "invalid_request"
    assert "ttl" in refused.value.message


def test_a_fault_token_is_refused_as_aws_refuses_it(rig):
    sts = rig.boto3_client("sts")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sts.assume_role_with_web_identity(RoleArn=DEFAULT_ROLE_ARN, RoleSessionName="faulty",
                                          WebIdentityToken=rig.mint(fault="bad-signature"))
    assert refused.value.response["Error"]["Code"] == "InvalidIdentityToken"
    last = rig.last_decision()
    assert not last.allowed and last.code == "InvalidIdentityToken" and last.session_name == "faulty"


def test_boto3_client_has_admin_credentials_for_iam(rig):
    iam = rig.boto3_client("iam")
    role = iam.get_role(RoleName="dynatrace-aws-connector")["Role"]
    assert role["Arn"] == DEFAULT_ROLE_ARN
    # Arguments override the defaults: a twelve-digit access key ID names another account.
    other = rig.boto3_client("iam", aws_access_key_id="111111111111")
    assert other.list_roles()["Roles"] == []


def test_web_identity_env_writes_the_token_file_and_boto3_assumes_the_role(rig, monkeypatch):
    token = rig.mint(connection="my-connection")
    env = rig.web_identity_env(DEFAULT_ROLE_ARN, token, session_name="from-env")
    path = Path(env["AWS_WEB_IDENTITY_TOKEN_FILE"])
    assert path.read_text() == token  # exactly the token: no newline
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert env["AWS_ROLE_ARN"] == DEFAULT_ROLE_ARN and env["AWS_ENDPOINT_URL_STS"] == rig.sts_url
    for name in oidc_sts_rig.CREDENTIAL_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    arn = boto3.Session().client("sts").get_caller_identity()["Arn"]
    assert arn == "arn:aws:sts::000000000000:assumed-role/dynatrace-aws-connector/from-env"
    # Without a token, one is minted (the default connection, which the default role trusts).
    fresh = rig.web_identity_env(DEFAULT_ROLE_ARN)
    assert Path(fresh["AWS_WEB_IDENTITY_TOKEN_FILE"]) != path
    assert Path(fresh["AWS_WEB_IDENTITY_TOKEN_FILE"]).parent == rig.workdir


def test_decisions_and_explain_last_say_why(rig):
    sts = rig.boto3_client("sts")
    sts.assume_role_with_web_identity(RoleArn=DEFAULT_ROLE_ARN, RoleSessionName="allowed-one",
                                      WebIdentityToken=rig.mint())
    with pytest.raises(botocore.exceptions.ClientError):
        sts.assume_role_with_web_identity(RoleArn=DEFAULT_ROLE_ARN, RoleSessionName="refused-one",
                                          WebIdentityToken=rig.mint(connection="other-connection"))
    allowed, refused = rig.decisions()[-2:]
    assert allowed.allowed and allowed.session_name == "allowed-one" and allowed.subject == "dtid:connection/my-connection"
    assert not refused.allowed and refused.code == "AccessDenied"
    assert refused.explanation is not None and refused.explanation["decision"] == "ImplicitDeny"
    text = rig.explain_last("AssumeRoleWithWebIdentity")
    assert text.splitlines()[0] == ("AssumeRoleWithWebIdentity refused: AccessDenied: "
                                    "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    assert "sub dtid:connection/other-connection" in text
    assert ('not matched: token.dynatrace.com:sub ["dtid:connection/other-connection"] does not satisfy '
            'StringEquals ["dtid:connection/my-connection"]') in text
    assert 'matched: token.dynatrace.com:aud ["abc12345.apps.dynatrace.com' in text
    with pytest.raises(RigError, match="no decision on GetFederationToken yet"):
        rig.explain_last("GetFederationToken")


def test_the_clock_moves_both_servers_together(fresh_rig):
    rig = fresh_rig
    frozen = rig.clock.freeze(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert frozen.mode == "frozen" and frozen.now == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert get_json(f"{rig.issuer_url()}/_issuer/clock")["now"] == "2030-01-02T03:04:05Z"
    assert get_json(f"{rig.sts_url}/_sts-mock/clock")["now"] == "2030-01-02T03:04:05Z"
    assert rig.mint().claims["iat"] == int(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp())
    moved = rig.clock.advance(dt.timedelta(hours=1))
    assert moved.now == dt.datetime(2030, 1, 2, 4, 4, 5, tzinfo=UTC) == rig.clock.now()
    assert get_json(f"{rig.issuer_url()}/_issuer/clock")["now"] == "2030-01-02T04:04:05Z"
    ahead = rig.clock.offset(-600)
    assert ahead.mode == "offset" and ahead.offset_seconds == -600
    assert get_json(f"{rig.issuer_url()}/_issuer/clock")["offset_seconds"] == -600
    assert rig.clock.real().mode == "real" and get_json(f"{rig.issuer_url()}/_issuer/clock")["mode"] == "real"
    now = rig.clock.freeze()  # at the servers' own "now"
    assert abs((now.now - dt.datetime.now(UTC)).total_seconds()) < 60
    with pytest.raises(ValueError, match="whole seconds"):
        rig.clock.advance(1.5)
    with pytest.raises(ValueError, match="no time zone"):
        rig.clock.freeze(dt.datetime(2030, 1, 1))
    with pytest.raises(RigHTTPError, match="not an RFC 3339 instant"):
        rig.clock.freeze("tomorrow")


def test_an_expired_token_then_expired_credentials_without_sleeping(fresh_rig):
    rig = fresh_rig
    sts = rig.boto3_client("sts")
    # The servers ten minutes behind real time: 900 s credentials then expire 5 minutes from now
    # by the client's clock, and moving the servers past that stays within SigV4's 15 minutes of
    # the client's signing time.
    rig.clock.offset(-600)
    token = rig.mint(ttl=60)
    credentials = sts.assume_role_with_web_identity(RoleArn=DEFAULT_ROLE_ARN, RoleSessionName="early",
                                                    WebIdentityToken=token, DurationSeconds=900)["Credentials"]
    rig.clock.advance(61)
    with pytest.raises(botocore.exceptions.ClientError) as expired:
        sts.assume_role_with_web_identity(RoleArn=DEFAULT_ROLE_ARN, RoleSessionName="late", WebIdentityToken=token)
    assert expired.value.response["Error"]["Code"] == "ExpiredTokenException"
    assert "Token expired: current date/time" in expired.value.response["Error"]["Message"]
    signed = rig.boto3_client("sts", aws_access_key_id=credentials["AccessKeyId"],
                              aws_secret_access_key=credentials["SecretAccessKey"],
                              aws_session_token=credentials["SessionToken"])
    assert signed.get_caller_identity()["Arn"].endswith("/dynatrace-aws-connector/early")
    rig.clock.offset(400)
    with pytest.raises(botocore.exceptions.ClientError) as gone:
        signed.get_caller_identity()
    assert gone.value.response["Error"]["Code"] == "ExpiredToken"


def test_a_rig_started_with_a_clock_resets_to_it(tmp_path):
    with Rig.start(clock="2031-05-06T07:08:09Z", workdir=tmp_path) as rig:
        assert rig.clock.state().mode == "frozen" and not rig.clock.changed
        assert rig.mint().claims["iat"] == int(dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC).timestamp())
        rig.clock.advance(3600)
        assert rig.clock.changed
        assert rig.clock.reset().now == dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
        assert not rig.clock.changed


def test_rig_start_refuses_a_missing_setup_file(tmp_path):
    with pytest.raises(RigError, match="setup file .*nope.toml does not exist"):
        Rig.start(tmp_path / "nope.toml")


def test_a_server_that_dies_is_named_in_the_error(tmp_path):
    rig = Rig.start(workdir=tmp_path)
    try:
        rig._sts.proc.kill()
        rig._sts.proc.wait()
        with pytest.raises(RigError, match=r"sts-mock has exited \(code -9\); its last output:"):
            rig.decisions()
        assert not rig.running()
    finally:
        rig.stop()


def test_the_servers_ignore_the_developers_server_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("STS_MOCK_CONFIG", str(tmp_path / "missing.toml"))
    monkeypatch.setenv("ISSUER_URL", "https://elsewhere.example")
    with Rig.start(workdir=tmp_path) as rig:
        assert rig.mint().claims["iss"] == "https://token.dynatrace.com"
        assert "setup: the built-in default" in rig.output("sts-mock")


# -- the fixtures and options, in pytest sessions of their own ------------------------------


def test_the_session_rig_is_shared_and_its_clock_put_back_after_each_test(pytester):
    pytester.makepyfile("""
        seen = []

        def test_moves_the_clock(rig):
            seen.append(rig)
            rig.clock.freeze("2030-01-01T00:00:00Z")
            assert rig.mint().claims["iat"] == 1893456000

        def test_finds_it_real_again(rig):
            assert rig is seen[0]
            assert rig.clock.state().mode == "real"
            assert not rig.clock.changed
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_fresh_rig_is_the_tests_own_and_stops_after_it(pytester, tmp_path):
    url_file = tmp_path / "url"
    pytester.makepyfile(f"""
        import boto3

        def test_own_rig(rig, fresh_rig):
            assert fresh_rig.sts_url != rig.sts_url
            rig.boto3_client("iam").tag_role(RoleName="dynatrace-aws-connector", Tags=[{{"Key": "k", "Value": "v"}}])
            assert rig.boto3_client("iam").get_role(RoleName="dynatrace-aws-connector")["Role"]["Tags"]
            fresh = fresh_rig.boto3_client("iam").get_role(RoleName="dynatrace-aws-connector")["Role"]
            assert fresh.get("Tags", []) == []
            fresh_rig.clock.freeze("2030-01-01T00:00:00Z")
            assert rig.clock.state().mode == "real"
            open({str(url_file)!r}, "w").write(fresh_rig.sts_url)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    port = urllib.parse.urlsplit(url_file.read_text()).port
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "fresh_rig's sts-mock still listens after the test"


def test_rig_config_option_gives_sts_mock_a_setup_file(pytester):
    pytester.makefile(".toml", setup=SETUP)
    pytester.makepyfile(USES_SETUP)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--rig-config", "setup.toml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"oidc-sts-rig *: *; {pytester.path / 'setup.toml'}"])


def test_rig_config_in_the_ini_file_is_relative_to_it(pytester):
    pytester.mkdir("conf")
    (pytester.path / "conf" / "setup.toml").write_text(SETUP)
    pytester.makeini("[pytest]\nrig_config = conf/setup.toml\n")
    pytester.makepyfile(USES_SETUP)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_rig_that_cannot_start_shows_the_servers_own_output(pytester):
    bad = SETUP.replace('"Action": "sts:AssumeRoleWithWebIdentity",', '"Action": "sts:AssumeRoleWithWebIdentity", "Resource": "*",')
    assert bad != SETUP
    pytester.makefile(".toml", setup=bad)
    pytester.makepyfile("def test_needs_the_rig(rig):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--rig-config", "setup.toml")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*sts-mock did not start: it exited with code 1 before listening.",
        "*command: * serve --listen 127.0.0.1:0 --oidc-endpoint https://token.dynatrace.com=http://127.0.0.1:* --config *setup.toml",
        "*sts-mock output:",
        "*MalformedPolicyDocument: Has prohibited field Resource*",
    ])


def test_a_failed_test_reports_what_the_servers_printed_during_it(pytester):
    pytester.makepyfile("""
        import pytest, botocore.exceptions
        from oidc_sts_rig import DEFAULT_ROLE_ARN

        def test_passes_first(rig):
            rig.mint(connection="quiet-before")

        def test_fails(rig):
            with pytest.raises(botocore.exceptions.ClientError):
                rig.boto3_client("sts").assume_role_with_web_identity(
                    RoleArn=DEFAULT_ROLE_ARN, RoleSessionName="s1", WebIdentityToken=rig.mint(connection="nope"))
            assert False, "see the servers' output"
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*oidc-sts-rig rig: sts-mock output during the test*",
        "*AssumeRoleWithWebIdentity AccessDenied *sub=dtid:connection/nope*",
    ])
    assert "listening on" not in result.stdout.str().split("oidc-sts-rig rig: sts-mock output during the test")[1]


def test_the_package_is_typed_and_its_annotations_check_strictly(tmp_path):
    """py.typed and annotations that mypy --strict accepts, for the oldest Python the wheel claims."""
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.10", "--cache-dir", str(tmp_path),
         "-p", "oidc_sts_rig"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found" in checked.stdout
