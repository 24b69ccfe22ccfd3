"""sts-mock against AWS's own service models (botocore's IAM and STS JSON): a conformance suite
generated from the model, one test id per case.

- test_constraint: for every constraint of every served operation's input (required, length,
  pattern, enum, range, list size; inside list elements too), a request violating it (and some
  with two violations, sent in reverse model order), sent by boto3 with client-side validation
  off; the answer must be ValidationError (400) with exactly AWS's message (aws_model.py says
  how it is worded and where the rules come from).
- test_constraint_boundary_accepted: values exactly at each bound are not refused by a
  constraint.
- test_output_xml / test_output_boto3_parses: a valid call of every operation; its raw XML
  against the output shape, and boto3 parsing it.

The served operations are sts-mock's IAM ACTIONS table (read from the source, so a new action
is covered or this suite fails) plus the STS operations of aws_model.STS_OPERATIONS
(AssumeRoleWithWebIdentity, GetCallerIdentity, AssumeRole, GetWebIdentityToken) and the
Account API's REST-JSON ListRegions, whose failures are `ValidationException` JSON documents
with the same message and whose answers are checked as JSON against the output shape.
"""

import json
import re
import signal

import boto3
import botocore
import pytest
from botocore.config import Config

import aws_model as am
from conftest import AUD, ISSUER_URL, REPO, Server, binary, mint, sts_mock_args

# The one action table: `iam("CreateRole", iam::create_role::handle, true)` rows.
ACTIONS_RS = REPO / "sts-mock/src/action.rs"
IAM_OPERATIONS = re.findall(r'\biam\(\s*"(\w+)",', ACTIONS_RS.read_text())
OPERATIONS = (
    [("iam", op) for op in IAM_OPERATIONS]
    + [("sts", op) for op in am.STS_OPERATIONS]
    + [("account", op) for op in am.ACCOUNT_OPERATIONS]
)

CASES = [c for service, op in OPERATIONS for c in am.constraint_cases(service, op)]
BOUNDARIES = [c for service, op in OPERATIONS for c in am.boundary_cases(service, op)]

WEB_IDENTITY_ROLE = "conformance-web-identity"
WEB_IDENTITY_ROLE_ARN = f"arn:aws:iam::000000000000:role/{WEB_IDENTITY_ROLE}"
CHAIN_TARGET = "conformance-chain-target"
SETUP = f"""# The conformance suite's world: the issuer's provider and one role it may assume.
default_account = "000000000000"

[[provider]]
url = "{ISSUER_URL}"
client_ids = ["{AUD}"]

[[role]]
name = "{WEB_IDENTITY_ROLE}"
trust_policy = '''{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Principal": {{"Federated": "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com"}},
  "Action": "sts:AssumeRoleWithWebIdentity",
  "Condition": {{"StringEquals": {{"token.dynatrace.com:aud": "{AUD}"}}}}}}]}}'''

[[role.policy]]
name = "chain-and-tokens"
document = '''{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Action": ["sts:AssumeRole", "sts:TagSession", "sts:GetWebIdentityToken"], "Resource": "*"}}]}}'''

[[role]]
name = "{CHAIN_TARGET}"
trust_policy = '''{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Principal": {{"AWS": "{WEB_IDENTITY_ROLE_ARN}"}}, "Action": ["sts:AssumeRole", "sts:TagSession"]}}]}}'''
"""

CONSTRAINT_MESSAGE = re.compile(r"^\d+ validation errors? detected: ")


class Answer:
    def __init__(self, status, body, error, parsed):
        self.status, self.body, self.error, self.parsed = status, body, error, parsed

    def describe(self):
        return f"HTTP {self.status}: {am.abbreviate(self.body.decode('utf-8', 'replace'))[:2000]}"


class Rig:
    """One issuer and one sts-mock for the module, and boto3 clients that keep the raw answer."""

    def __init__(self, tmp):
        setup = tmp / "conformance.toml"
        setup.write_text(SETUP)
        self.issuer = Server([binary("issuer"), "serve", "--listen", "127.0.0.1:0", "--keys", str(REPO / "keys")])
        self.sts_mock = Server(sts_mock_args(self.issuer.url, "--config", str(setup)))
        self.url = self.sts_mock.url
        self._raw = {}
        self.loose = {s: self.client(s, validate=False) for s in ("iam", "sts", "account")}
        self.strict = {s: self.client(s, validate=True) for s in ("iam", "sts", "account")}
        self._outputs = {}

    def client(self, service, validate, key="test", secret="test", token=None):
        client = boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=Config(parameter_validation=validate, retries={"total_max_attempts": 1}),
        )

        def keep(response_dict, **_):
            self._raw[id(client)] = (response_dict["status_code"], response_dict["body"])

        client.meta.events.register(f"before-parse.{client.meta.service_model.service_id.hyphenize()}", keep)
        return client

    def call(self, client, op, params) -> Answer:
        self._raw.pop(id(client), None)
        error, parsed = None, None
        try:
            parsed = getattr(client, botocore.xform_name(op))(**params)
        except Exception as e:  # noqa: BLE001 - whatever boto3 raises is part of the answer
            error = e
        status, body = self._raw.get(id(client), (None, b""))
        if status is None:
            raise AssertionError(f"{op}: no HTTP answer at all: {error!r}")
        return Answer(status, body, error, parsed)

    def send(self, service, op, params) -> Answer:
        return self.call(self.loose[service], op, params)

    def stop(self):
        self.sts_mock.kill(signal.SIGKILL)
        self.issuer.kill(signal.SIGKILL)


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    r = Rig(tmp_path_factory.mktemp("conformance"))
    yield r
    r.stop()


def test_every_served_operation_is_in_the_suite():
    # 40 IAM actions plus 4 STS actions; every one must be in the botocore model.
    assert len(IAM_OPERATIONS) >= 40, f"could not read the ACTIONS table of {ACTIONS_RS}"
    for service, op in OPERATIONS:
        assert op in am.MODELS[service].operation_names, f"{op} is not an operation of {service}"
    assert {op for _, op in OPERATIONS} == set(OUTPUT_SCENARIOS), "every served operation needs an output scenario"


def test_the_wording_rules_reproduce_real_aws_answers():
    # The message oracle, offline, against answers real AWS gave.
    # aws-recorded/sts.snapshot.json:
    assert am.expected_message("sts", "AssumeRoleWithWebIdentity", {
        "RoleArn": WEB_IDENTITY_ROLE_ARN, "RoleSessionName": "Session1:2", "WebIdentityToken": "x" * 10,
    }) == ("1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy "
           "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
    # STS, an empty RoleArn (newscorpaus/consigliere issue #18): the pattern, then the length.
    assert am.expected_message("sts", "AssumeRoleWithWebIdentity", {
        "RoleArn": "", "RoleSessionName": "s1", "WebIdentityToken": "x" * 10,
    }) == ("2 validation errors detected: Value '' at 'roleArn' failed to satisfy constraint: Member "
           "must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085"
           "\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+; Value '' at 'roleArn' failed to satisfy "
           "constraint: Member must have length greater than or equal to 20")
    # A tag value refused at its list index (ministryofjustice/cloud-platform-environments PR 22667).
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(1, 10)] + [{"Key": "k10", "Value": "MOJ D&T Cybersecurity"}]
    assert am.expected_message("iam", "TagRole", {"RoleName": "r", "Tags": tags}) == (
        "1 validation error detected: Value 'MOJ D&T Cybersecurity' at 'tags.10.member.value' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*")


# --- constraints ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_constraint(rig, case):
    answer = rig.send(case.service, case.op, case.params)
    code, message = am.parse_error(answer.body)
    code_name = "ValidationException" if case.service == "account" else "ValidationError"
    expected = (400, code_name, case.expected)
    actual = (answer.status, code, message)
    if actual != expected:
        pytest.fail(
            f"expected: {expected[0]} {expected[1]}: {am.abbreviate(expected[2])}\n"
            f"actual:   {actual[0]} {actual[1]}: {am.abbreviate(actual[2])}",
            pytrace=False,
        )


@pytest.mark.parametrize("case", BOUNDARIES, ids=[c.id for c in BOUNDARIES])
def test_constraint_boundary_accepted(rig, case):
    answer = rig.send(case.service, case.op, case.params)
    if answer.status == 200:
        return
    code, message = am.parse_error(answer.body)
    # What may refuse a valid value: the operation's modeled errors, a semantic ValidationError
    # (e.g. "Invalid ARN:  Could not be parsed!", aws-recorded), IAM's InvalidInput (a Marker the
    # server did not issue) and STS's AccessDenied; never a constraint message, a server fault
    # or a refusal AWS does not give for this operation (such as a body-size limit).
    om = am.MODELS[case.service].operation_model(case.op)
    modeled = {e.metadata.get("error", {}).get("code", e.name) for e in om.error_shapes}
    modeled |= {"InvalidInput", "AccessDenied"}
    if case.op == "CreateRole":
        # Guess: a permissions boundary naming a policy that does not exist is NoSuchEntity, as
        # AttachRolePolicy answers (aws-recorded: "Policy ... does not exist or is not
        # attachable."), though CreateRole's model does not list it.
        modeled.add("NoSuchEntity")
    constraint = code in ("ValidationError", "ValidationException") and CONSTRAINT_MESSAGE.match(message or "")
    if answer.status >= 500 or constraint or (code not in modeled and code != "ValidationError"):
        pytest.fail(f"a value at the bound was refused: {code}: {am.abbreviate(message)}", pytrace=False)


# --- outputs ----------------------------------------------------------------------------------

TRUST = am.TRUST_POLICY
POLICY = am.PERMISSION_POLICY
TAGS = [{"Key": "team", "Value": "sre"}, {"Key": "cost center", "Value": "4711"}]


def provider(rig, host, client_ids=("client-a",), thumbprints=(am.THUMBPRINT,), tags=TAGS):
    iam = rig.strict["iam"]
    return iam.create_open_id_connect_provider(
        Url=f"https://{host}", ClientIDList=list(client_ids), ThumbprintList=list(thumbprints), Tags=tags
    )["OpenIDConnectProviderArn"]


def role(rig, name, **extra):
    rig.strict["iam"].create_role(
        RoleName=name, AssumeRolePolicyDocument=TRUST, Path="/conformance/",
        Description="output scenario", MaxSessionDuration=7200, Tags=TAGS, **extra,
    )
    return name


def role_with_policy(rig, name):
    role(rig, name)
    rig.strict["iam"].put_role_policy(RoleName=name, PolicyName="out-policy", PolicyDocument=POLICY)
    return name


def web_identity(rig):
    return {
        "RoleArn": WEB_IDENTITY_ROLE_ARN,
        "RoleSessionName": "conformance",
        "WebIdentityToken": mint("my-connection"),
    }


def session_client(rig):
    creds = rig.strict["sts"].assume_role_with_web_identity(**web_identity(rig))["Credentials"]
    return rig.client("sts", True, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def caller_identity(rig):
    return session_client(rig), {}


def quietly(call):
    """A set-up step whose refusal does not matter (already enabled, already disabled)."""
    try:
        call()
    except botocore.exceptions.ClientError:
        pass


def outbound(rig, enabled):
    iam = rig.strict["iam"]
    quietly(iam.enable_outbound_web_identity_federation if enabled else iam.disable_outbound_web_identity_federation)


def managed(rig, name, versions=1, tags=()):
    iam = rig.strict["iam"]
    arn = iam.create_policy(PolicyName=name, PolicyDocument=POLICY, Path="/conformance/",
                            Description="output scenario", Tags=list(tags))["Policy"]["Arn"]
    for _ in range(versions - 1):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY)
    return arn


def attached(rig, role_name, policy_name):
    role(rig, role_name)
    arn = managed(rig, policy_name)
    rig.strict["iam"].attach_role_policy(RoleName=role_name, PolicyArn=arn)
    return dict(RoleName=role_name, PolicyArn=arn)


# op -> (rig -> params), or (rig -> (client, params)) for a client of its own. Each scenario
# sets up its own provider or role (names `out-...`), so scenarios do not depend on each other.
OUTPUT_SCENARIOS = {
    "CreateOpenIDConnectProvider": lambda r: dict(
        Url="https://out-create.example.com", ClientIDList=["client-a"], ThumbprintList=[am.THUMBPRINT], Tags=TAGS
    ),
    "GetOpenIDConnectProvider": lambda r: dict(OpenIDConnectProviderArn=provider(r, "out-get.example.com")),
    "ListOpenIDConnectProviders": lambda r: (provider(r, "out-list.example.com"), {})[1],
    "DeleteOpenIDConnectProvider": lambda r: dict(OpenIDConnectProviderArn=provider(r, "out-delete.example.com")),
    "AddClientIDToOpenIDConnectProvider": lambda r: dict(
        OpenIDConnectProviderArn=provider(r, "out-add.example.com"), ClientID="client-b"
    ),
    "RemoveClientIDFromOpenIDConnectProvider": lambda r: dict(
        OpenIDConnectProviderArn=provider(r, "out-remove.example.com", ("client-a", "client-b")), ClientID="client-b"
    ),
    "UpdateOpenIDConnectProviderThumbprint": lambda r: dict(
        OpenIDConnectProviderArn=provider(r, "out-thumb.example.com"), ThumbprintList=["f" * 40]
    ),
    "TagOpenIDConnectProvider": lambda r: dict(
        OpenIDConnectProviderArn=provider(r, "out-tag.example.com", tags=[]), Tags=TAGS
    ),
    "CreateRole": lambda r: dict(
        RoleName="out-create", AssumeRolePolicyDocument=TRUST, Path="/conformance/",
        Description="output scenario", MaxSessionDuration=7200, Tags=TAGS,
    ),
    "GetRole": lambda r: dict(RoleName=role(r, "out-get")),
    "ListRoles": lambda r: (role(r, "out-list"), {})[1],
    "UpdateRole": lambda r: dict(RoleName=role(r, "out-update"), Description="updated", MaxSessionDuration=3600),
    "DeleteRole": lambda r: dict(RoleName=role(r, "out-delete")),
    "UpdateAssumeRolePolicy": lambda r: dict(RoleName=role(r, "out-trust"), PolicyDocument=TRUST),
    "TagRole": lambda r: dict(RoleName=role(r, "out-tag"), Tags=[{"Key": "extra", "Value": "yes"}]),
    "UntagRole": lambda r: dict(RoleName=role(r, "out-untag"), TagKeys=["team"]),
    "PutRolePolicy": lambda r: dict(RoleName=role(r, "out-put"), PolicyName="out-policy", PolicyDocument=POLICY),
    "GetRolePolicy": lambda r: dict(RoleName=role_with_policy(r, "out-get-policy"), PolicyName="out-policy"),
    "ListRolePolicies": lambda r: dict(RoleName=role_with_policy(r, "out-list-policies")),
    "DeleteRolePolicy": lambda r: dict(RoleName=role_with_policy(r, "out-delete-policy"), PolicyName="out-policy"),
    "SimulatePrincipalPolicy": lambda r: dict(
        PolicySourceArn="arn:aws:iam::000000000000:role/conformance/"
        + role_with_policy(r, "out-simulate-principal"),
        ActionNames=["s3:ListAllMyBuckets", "iam:CreateRole"],
    ),
    "SimulateCustomPolicy": lambda r: dict(
        PolicyInputList=[POLICY],
        ActionNames=["s3:ListAllMyBuckets", "iam:CreateRole"],
        ResourceArns=["*"],
        ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.7"], "ContextKeyType": "ip"}],
    ),
    "AssumeRoleWithWebIdentity": web_identity,
    "GetCallerIdentity": caller_identity,
    "AssumeRole": lambda r: (session_client(r), dict(
        RoleArn=f"arn:aws:iam::000000000000:role/{CHAIN_TARGET}", RoleSessionName="chained",
        Tags=[{"Key": "team", "Value": "sre"}], TransitiveTagKeys=["team"], DurationSeconds=900,
    )),
    "GetWebIdentityToken": lambda r: (outbound(r, True), (session_client(r), dict(
        Audience=["https://api.example.com"], SigningAlgorithm="ES384", DurationSeconds=60,
        Tags=[{"Key": "job", "Value": "42"}],
    )))[1],
    "CreatePolicy": lambda r: dict(
        PolicyName="out-create-policy", PolicyDocument=POLICY, Path="/conformance/",
        Description="output scenario", Tags=TAGS,
    ),
    "GetPolicy": lambda r: dict(PolicyArn=managed(r, "out-get-policy", tags=TAGS)),
    "GetPolicyVersion": lambda r: dict(PolicyArn=managed(r, "out-get-version", versions=2), VersionId="v2"),
    "ListPolicies": lambda r: (managed(r, "out-list-policies"), dict(Scope="Local", PathPrefix="/conformance/"))[1],
    "CreatePolicyVersion": lambda r: dict(
        PolicyArn=managed(r, "out-create-version"), PolicyDocument=POLICY, SetAsDefault=True),
    "DeletePolicyVersion": lambda r: dict(PolicyArn=managed(r, "out-delete-version", versions=2), VersionId="v2"),
    "ListPolicyVersions": lambda r: dict(PolicyArn=managed(r, "out-list-versions", versions=3)),
    "DeletePolicy": lambda r: dict(PolicyArn=managed(r, "out-delete-policy")),
    "TagPolicy": lambda r: dict(PolicyArn=managed(r, "out-tag-policy"), Tags=TAGS),
    "UntagPolicy": lambda r: dict(PolicyArn=managed(r, "out-untag-policy", tags=TAGS), TagKeys=["team"]),
    "AttachRolePolicy": lambda r: dict(RoleName=role(r, "out-attach"), PolicyArn=managed(r, "out-attach-policy")),
    "DetachRolePolicy": lambda r: attached(r, "out-detach", "out-detach-policy"),
    "ListAttachedRolePolicies": lambda r: dict(RoleName=attached(r, "out-list-attached", "out-list-attached-policy")["RoleName"]),
    "PutRolePermissionsBoundary": lambda r: dict(
        RoleName=role(r, "out-boundary"), PermissionsBoundary=managed(r, "out-boundary-policy")),
    "DeleteRolePermissionsBoundary": lambda r: dict(
        RoleName=role(r, "out-no-boundary", PermissionsBoundary=managed(r, "out-no-boundary-policy"))),
    "EnableOutboundWebIdentityFederation": lambda r: (outbound(r, False), {})[1],
    "DisableOutboundWebIdentityFederation": lambda r: (outbound(r, True), {})[1],
    "GetOutboundWebIdentityFederationInfo": lambda r: (outbound(r, True), {})[1],
    "ListRegions": lambda r: dict(RegionOptStatusContains=["ENABLED_BY_DEFAULT", "DISABLED"], MaxResults=20),
}

OUTPUTS = [(service, op) for service, op in OPERATIONS]


def output(rig, service, op) -> Answer:
    """The answer to the operation's valid call (made once per module)."""
    if op not in rig._outputs:
        made = OUTPUT_SCENARIOS[op](rig)
        client, params = made if isinstance(made, tuple) else (rig.strict[service], made)
        rig._outputs[op] = rig.call(client, op, params)
    return rig._outputs[op]


@pytest.mark.parametrize("service,op", OUTPUTS, ids=[op for _, op in OUTPUTS])
def test_output_xml(rig, service, op):
    answer = output(rig, service, op)
    assert answer.status == 200, answer.describe()
    check = am.check_output_json if service == "account" else am.check_output_xml
    problems = check(service, op, answer.body)
    assert not problems, "\n".join(problems) + "\n" + answer.describe()


@pytest.mark.parametrize("service,op", OUTPUTS, ids=[op for _, op in OUTPUTS])
def test_output_boto3_parses(rig, service, op):
    answer = output(rig, service, op)
    assert answer.error is None, f"boto3 raised {answer.error!r}\n{answer.describe()}"
    assert answer.parsed["ResponseMetadata"]["HTTPStatusCode"] == 200
    # What boto3 parsed carries every required output member.
    shape = am.MODELS[service].operation_model(op).output_shape
    missing = [m for m in (shape.required_members if shape is not None else []) if m not in answer.parsed]
    assert not missing, f"boto3's result lacks {missing}: {json.dumps(answer.parsed, default=str)[:500]}"
