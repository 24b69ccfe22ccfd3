"""AWS's own service models (botocore's IAM and STS JSON) as test data for the conformance suite.

Two halves:
- inputs: every constraint of an operation's input shape (required, string length, pattern and
  enum, integer range, list length, and the same inside list elements) becomes a request that
  violates it, and `expected_message` says, from AWS's wording rules, what `ValidationError`
  message AWS answers for any request;
- outputs: `check_output_xml` holds a raw Query-protocol answer against the output shape
  (root element, result wrapper, members, required members, value types).

Everything is derived from the model at import time; the only hand-written data are valid
example values per shape (checked against the model here) and a few chosen bad values.
"""

import copy
import functools
import html
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import botocore.session

_SESSION = botocore.session.get_session()
MODELS = {name: _SESSION.get_service_model(name) for name in ("iam", "sts", "account")}

# The served STS operations (IAM's come from sts-mock's ACTIONS table, read by the test).
STS_OPERATIONS = ["AssumeRoleWithWebIdentity", "GetCallerIdentity", "AssumeRole", "GetWebIdentityToken"]
# The served operations of the Account API (REST-JSON).
ACCOUNT_OPERATIONS = ["ListRegions"]

MISSING = object()  # an absent member, in case edits and in the message oracle

# --- Java regular expressions, as AWS evaluates the model's patterns ---------------------------


@functools.cache
def _category_class(major: str) -> str:
    """The code points of Unicode general category `major` (L, Z, N) as character-class ranges."""
    ranges, start = [], None
    for cp in range(0x110000 + 1):
        inside = cp <= 0x10FFFF and not (0xD800 <= cp <= 0xDFFF) and unicodedata.category(chr(cp))[0] == major
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return "".join(f"\\U{a:08x}-\\U{b:08x}" if a != b else f"\\U{a:08x}" for a, b in ranges)


@functools.cache
def java_regex(pattern: str) -> re.Pattern:
    """The model's pattern (Java syntax) as a Python regex with Java's semantics for the
    constructs the IAM and STS models use: `\\w` is ASCII, `\\uXXXX` takes exactly four hex
    digits (so STS's `\\u10000-\\u10FFFF` reads as \\u1000, '0'-\\u10FF, 'F', 'F' in both
    languages), `\\p{L}` / `\\p{Z}` / `\\p{N}` are Unicode categories. Matching is whole-value
    (Java's `matches()`)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            m = re.match(r"\\p\{(\w)\}", pattern[i:])
            if m:
                ranges = _category_class(m.group(1))
                out.append(ranges if in_class else f"[{ranges}]")
                i += m.end()
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        out.append(c)
        i += 1
    return re.compile("".join(out), re.ASCII)


def matches(pattern: str, value: str) -> bool:
    return java_regex(pattern).fullmatch(value) is not None


# --- the message oracle: AWS's wording rules -------------------------------------------------

# Guess: the order of two failures of ONE member. The only real AWS answer found that shows two
# failures of one value (STS, an empty roleArn; newscorpaus/consigliere issue #18) lists the
# pattern first, then the length: "2 validation errors detected: Value '' at 'roleArn' failed to
# satisfy constraint: Member must satisfy regular expression pattern: [...]+; Value '' at
# 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20".
# We assume IAM orders them the same way. Flip this one constant if a recording shows otherwise.
SAME_MEMBER_ORDER = ("pattern", "length")


def member_path(name: str) -> str:
    """A member as AWS's messages spell it: the first letter lower-cased."""
    return name[:1].lower() + name[1:]


def _value_text(value, shape) -> str:
    if value is MISSING:
        # Guess: a missing sensitive member is still "Value null" (null is not a secret).
        return "Value null"
    if shape.metadata.get("sensitive"):
        # Guess: values of `sensitive` shapes (WebIdentityToken) are not echoed, only
        # "Value at 'webIdentityToken' ...", as AWS leaves out what it must not log.
        return "Value"
    if shape.type_name == "list":
        if shape.member.type_name == "structure":
            # Guess: no public AWS answer shows a list of structures (tags) in a list-length
            # message; Java's text of such an element is the service's internal class toString,
            # so we expect the value to be left out, as in the recorded enum message.
            return "Value"
        return "Value '[" + ", ".join(str(v) for v in value) + "]'"
    return f"Value '{value}'"


def _failure(value, shape, path, constraint) -> str:
    return f"{_value_text(value, shape)} at '{path}' failed to satisfy constraint: {constraint}"


def failures(shape, value, path: str) -> list:
    """Every constraint failure of `value` (or MISSING) against `shape`, in AWS's order: members
    in model order, a list's own length before its elements, elements in index order."""
    out = []
    meta = shape.metadata
    t = shape.type_name
    if t == "structure":
        for name, member in shape.members.items():
            mpath = f"{path}.{member_path(name)}" if path else member_path(name)
            v = value.get(name, MISSING)
            if v is MISSING:
                if name in shape.required_members:
                    out.append(_failure(MISSING, member, mpath, "Member must not be null"))
                continue
            out.extend(failures(member, v, mpath))
    elif t == "list":
        # Guess: a list's own size is reported before its elements' failures (no generated case
        # has both at once; the order is only fixed here).
        n = len(value)
        if "min" in meta and n < meta["min"]:
            out.append(_failure(value, shape, path, f"Member must have length greater than or equal to {meta['min']}"))
        if "max" in meta and n > meta["max"]:
            out.append(_failure(value, shape, path, f"Member must have length less than or equal to {meta['max']}"))
        for i, element in enumerate(value, 1):
            out.extend(failures(shape.member, element, f"{path}.{i}.member"))
    elif t == "string":
        found = {"pattern": [], "length": [], "enum": []}
        n = len(value)
        if "min" in meta and n < meta["min"]:
            found["length"].append(_failure(value, shape, path, f"Member must have length greater than or equal to {meta['min']}"))
        if "max" in meta and n > meta["max"]:
            found["length"].append(_failure(value, shape, path, f"Member must have length less than or equal to {meta['max']}"))
        if "pattern" in meta and not matches(meta["pattern"], value):
            found["pattern"].append(
                _failure(value, shape, path, f"Member must satisfy regular expression pattern: {meta['pattern']}")
            )
        if shape.enum and value not in shape.enum:
            # The recorded IAM form (iam-roles.snapshot.json): the value is not echoed and the
            # set is not listed: "Value at 'status' failed to satisfy constraint: Member must
            # satisfy enum value set".
            found["enum"].append(f"Value at '{path}' failed to satisfy constraint: Member must satisfy enum value set")
        for kind in (*SAME_MEMBER_ORDER, "enum"):
            out.extend(found[kind])
    elif t in ("integer", "long"):
        if "min" in meta and value < meta["min"]:
            out.append(_failure(value, shape, path, f"Member must have value greater than or equal to {meta['min']}"))
        if "max" in meta and value > meta["max"]:
            out.append(_failure(value, shape, path, f"Member must have value less than or equal to {meta['max']}"))
    return out


def validation_message(found: list) -> str:
    if len(found) == 1:
        return f"1 validation error detected: {found[0]}"
    return f"{len(found)} validation errors detected: " + "; ".join(found)


def expected_message(service: str, op: str, params: dict) -> str:
    shape = MODELS[service].operation_model(op).input_shape
    return validation_message(failures(shape, params, ""))


# --- valid values ---------------------------------------------------------------------------

TRUST_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)
PERMISSION_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Action":"s3:ListAllMyBuckets","Resource":"*"}]}'
)
ROLE_ARN = "arn:aws:iam::000000000000:role/conformance-role"
PROVIDER_ARN = "arn:aws:iam::000000000000:oidc-provider/conformance.example.com"
THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

# A valid value per (service, shape name): checked against the model below.
VALID_BY_SHAPE = {
    ("iam", "OpenIDConnectProviderUrlType"): "https://conformance.example.com",
    ("iam", "clientIDType"): "conformance-client",
    ("iam", "thumbprintType"): THUMBPRINT,
    ("iam", "tagKeyType"): "team",
    ("iam", "tagValueType"): "site reliability",
    ("iam", "arnType"): ROLE_ARN,
    ("iam", "pathType"): "/conformance/",
    ("iam", "roleNameType"): "conformance-role",
    ("iam", "policyDocumentType"): PERMISSION_POLICY,
    ("iam", "roleDescriptionType"): "A role of the conformance suite",
    ("iam", "roleMaxSessionDurationType"): 7200,
    ("iam", "pathPrefixType"): "/conformance/",
    ("iam", "markerType"): "conformance-marker",
    ("iam", "maxItemsType"): 10,
    ("iam", "policyNameType"): "conformance-policy",
    ("iam", "ActionNameType"): "s3:ListAllMyBuckets",
    ("iam", "ResourceNameType"): "arn:aws:s3:::conformance-bucket",
    ("iam", "ContextKeyNameType"): "aws:SourceIp",
    ("iam", "ContextKeyValueType"): "203.0.113.7",
    ("iam", "ContextKeyTypeEnum"): "ip",
    ("iam", "ResourceHandlingOptionType"): "EC2-VPC-InstanceStore",
    ("sts", "arnType"): "arn:aws:iam::000000000000:role/conformance-web-identity",
    ("sts", "roleSessionNameType"): "conformance-session",
    ("sts", "clientTokenType"): "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
    ("sts", "urlType"): "www.amazon.com",
    ("sts", "sessionPolicyDocumentType"): PERMISSION_POLICY,
    ("sts", "roleDurationSecondsType"): 900,
    ("iam", "policyPathType"): "/conformance/",
    ("iam", "policyDescriptionType"): "A policy of the conformance suite",
    ("iam", "policyVersionIdType"): "v1",
    ("iam", "booleanType"): True,
    ("iam", "policyScopeType"): "Local",
    ("iam", "PolicyUsageType"): "PermissionsPolicy",
    ("sts", "unrestrictedSessionPolicyDocumentType"): PERMISSION_POLICY,
    ("sts", "tagKeyType"): "team",
    ("sts", "tagValueType"): "site reliability",
    ("sts", "externalIdType"): "conformance-external-id",
    ("sts", "serialNumberType"): "arn:aws:iam::000000000000:mfa/conformance",
    ("sts", "tokenCodeType"): "123456",
    ("sts", "sourceIdentityType"): "conformance-source",
    ("sts", "contextAssertionType"): "conformance-assertion",
    ("sts", "webIdentityTokenAudienceStringType"): "https://api.example.com",
    ("sts", "webIdentityTokenDurationSecondsType"): 300,
    ("sts", "jwtAlgorithmType"): "RS256",
    ("account", "AccountId"): "000000000000",
    ("account", "ListRegionsRequestMaxResultsInteger"): 10,
    ("account", "ListRegionsRequestNextTokenString"): "r0",
    ("account", "RegionOptStatus"): "ENABLED_BY_DEFAULT",
}

# Where a member of an operation needs a more fitting value than its shape's default.
VALID_BY_MEMBER = {
    ("*", "OpenIDConnectProviderArn"): PROVIDER_ARN,
    ("*", "PermissionsBoundary"): "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ("*", "AssumeRolePolicyDocument"): TRUST_POLICY,
    ("UpdateAssumeRolePolicy", "PolicyDocument"): TRUST_POLICY,
    ("*", "ResourceOwner"): "arn:aws:iam::000000000000:root",
    ("*", "CallerArn"): "arn:aws:iam::000000000000:user/conformance",
    ("AssumeRoleWithWebIdentity", "arn"): "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ("AssumeRole", "arn"): "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ("AssumeRole", "ProviderArn"): "arn:aws:iam::aws:contextProvider/IdentityCenter",
    ("*", "PolicyArn"): "arn:aws:iam::000000000000:policy/conformance-policy",
}

# Chosen bad values for a pattern, where the generic choice would be less telling.
BAD_PATTERN_BY_SHAPE = {
    # The recorded STS answer (sts.snapshot.json) for exactly this value.
    ("sts", "roleSessionNameType"): "Session1:2",
}

# Characters tried, in order, to break a pattern while keeping the length valid. The last one
# is for STS's ARN pattern, which every printable character satisfies.
# Guess: AWS echoes such a control character in its message like any other; the test reads the
# raw answer leniently (a `&#1;` reference is not XML 1.0, so a strict parser may refuse it).
_BAD_CHARS = [" ", "#", "\u20ac", "\x01"]


def valid_value(service, op, name, shape):
    """A valid value of member `name` (a shape of `service`), for operation `op`."""
    for key in ((op, name), ("*", name)):
        if key in VALID_BY_MEMBER:
            return VALID_BY_MEMBER[key]
    t = shape.type_name
    if t == "structure":
        return {m: valid_value(service, op, m, s) for m, s in shape.members.items()}
    if t == "list":
        return [valid_value(service, op, "member", shape.member)]
    return VALID_BY_SHAPE[(service, shape.name)]


def _is_valid(shape, value) -> bool:
    return not failures(shape, value, "x")


def distinct_value(shape, value, i: int):
    """`value` made distinct for list element `i` (tag keys must differ), still valid."""
    if shape.type_name == "structure":
        return {m: distinct_value(shape.members[m], v, i) for m, v in value.items()}
    if shape.type_name != "string" or shape.enum:
        return value
    suffix = str(i)
    for candidate in (value + suffix, value[: -len(suffix)] + suffix, value[:-4] + f"{i:04x}"):
        if _is_valid(shape, candidate):
            return candidate
    raise AssertionError(f"no distinct valid value #{i} for {shape.name}")


def fill(shape, n: int, example: str) -> str:
    """A string of length `n` that satisfies the shape's pattern when one exists."""
    pattern = shape.metadata.get("pattern")
    candidates = []
    if len(example) >= n:
        candidates.append(example[:n])
    candidates += [(example + "a" * n)[:n], ("/" + "a" * (n - 2) + "/") if n >= 2 else "/"[:n], "a" * n, "0" * n]
    for c in candidates:
        if len(c) == n and (pattern is None or matches(pattern, c)):
            return c
    return "a" * n  # n == 0 against a `+` pattern: the pattern fails too, and is expected to


def bad_pattern(service, shape, example: str) -> str:
    chosen = BAD_PATTERN_BY_SHAPE.get((service, shape.name))
    if chosen is not None:
        return chosen
    pattern = shape.metadata["pattern"]
    at = max(1, len(example) // 2)
    for ch in _BAD_CHARS:
        candidate = example[:at] + ch + example[at + 1 :]
        if not matches(pattern, candidate):
            return candidate
    raise AssertionError(f"no character breaks {shape.name}'s pattern {pattern}")


# --- cases ----------------------------------------------------------------------------------


@dataclass
class Edit:
    path: tuple  # keys and list indices into the request parameters
    value: object  # MISSING deletes


@dataclass
class Case:
    service: str
    op: str
    label: str  # the member, as parameters name it: RoleName, Tags.2.Key
    kind: str  # too-short, empty, too-long, pattern, enum, too-small, too-large, missing,
    # too-many, too-few; at-min, at-max for boundaries
    edits: list
    intended: list  # the failures this case is about (each must be in the expected message)
    reverse: bool = False  # serialize top-level members in reverse model order
    params: dict = field(default_factory=dict)
    expected: str = ""

    @property
    def id(self):
        return f"{self.op}-{self.label}-{self.kind}"


def base_params(service, op) -> dict:
    """Only the required members, each valid."""
    shape = MODELS[service].operation_model(op).input_shape
    if shape is None:
        return {}
    return {m: valid_value(service, op, m, s) for m, s in shape.members.items() if m in shape.required_members}


def _element_list(service, op, shape, n=2):
    """`n` distinct valid elements for list `shape`."""
    return _grow(service, op, shape, [], n)


def _grow(service, op, shape, items: list, n: int) -> list:
    """`items` grown to `n` elements with distinct valid ones (list `shape`)."""
    first = valid_value(service, op, "member", shape.member)
    while len(items) < n:
        items.append(distinct_value(shape.member, copy.deepcopy(first), len(items) + 1))
    return items


def apply_edits(service, op, edits, reverse=False) -> dict:
    shape = MODELS[service].operation_model(op).input_shape
    params = base_params(service, op)
    for edit in edits:
        container, cshape = params, shape
        for key in edit.path[:-1]:
            if cshape.type_name == "structure":
                mshape = cshape.members[key]
                if key not in container:
                    container[key] = (
                        _element_list(service, op, mshape)
                        if mshape.type_name == "list"
                        else valid_value(service, op, key, mshape)
                    )
                container, cshape = container[key], mshape
            else:  # a list: grown with distinct valid elements up to the index edited
                container, cshape = _grow(service, op, cshape, container, key + 1)[key], cshape.member
        last = edit.path[-1]
        if isinstance(container, list):
            _grow(service, op, cshape, container, last + 1)
        if edit.value is MISSING:
            container.pop(last, None)
        else:
            container[last] = edit.value
    order = [m for m in shape.members if m in params]
    if reverse:
        order.reverse()
    return {m: params[m] for m in order}


def _member_cases(service, op, name, mshape, path, label, api_path, required):
    """Cases for one member (`path` into the parameters, `api_path` as AWS names it)."""
    cases = []
    meta = mshape.metadata

    def case(kind, value):
        return Case(service, op, label, kind, [Edit(path, value)], [])

    if required:
        cases.append(case("missing", MISSING))
    t = mshape.type_name
    example = valid_value(service, op, name, mshape)
    if t == "string":
        if meta.get("min", 0) > 0:
            cases.append(case("too-short", fill(mshape, meta["min"] - 1, example)))
        if meta.get("min", 0) > 1:
            # An empty value, apart from one character short: it may break the pattern too
            # (real STS, for an empty roleArn: the pattern and the length, both reported).
            cases.append(case("empty", ""))
        if "max" in meta:
            cases.append(case("too-long", fill(mshape, meta["max"] + 1, example)))
        if "pattern" in meta:
            cases.append(case("pattern", bad_pattern(service, mshape, example)))
        if mshape.enum:
            cases.append(case("enum", "not-an-enum-value"))
    elif t in ("integer", "long"):
        if "min" in meta:
            cases.append(case("too-small", meta["min"] - 1))
        if "max" in meta:
            cases.append(case("too-large", meta["max"] + 1))
    elif t == "list":
        if "max" in meta:
            cases.append(case("too-many", _element_list(service, op, mshape, meta["max"] + 1)))
        if meta.get("min", 0) > 0:
            cases.append(case("too-few", _element_list(service, op, mshape, meta["min"] - 1)))
        # Violations inside the second element (the first one stays valid), so the index shows.
        element = mshape.member
        if element.type_name == "structure":
            for sub, sshape in element.members.items():
                cases += _member_cases(
                    service, op, sub, sshape, (*path, 1, sub), f"{label}.2.{sub}",
                    f"{api_path}.2.member.{member_path(sub)}", sub in element.required_members,
                )
        else:
            cases += _member_cases(
                service, op, "member", element, (*path, 1), f"{label}.2", f"{api_path}.2.member", False
            )
    elif t == "structure":
        for sub, sshape in mshape.members.items():
            cases += _member_cases(
                service, op, sub, sshape, (*path, sub), f"{label}.{sub}",
                f"{api_path}.{member_path(sub)}", sub in mshape.required_members,
            )
    for c in cases:
        if not c.intended:
            c.intended = [api_path]
    return cases


def _finish(case: Case, exact: bool) -> Case:
    case.params = apply_edits(case.service, case.op, case.edits, case.reverse)
    shape = MODELS[case.service].operation_model(case.op).input_shape
    found = failures(shape, case.params, "")
    assert found, f"{case.id}: the request violates nothing"
    for path in case.intended:
        hits = [f for f in found if f" at '{path}' " in f]
        assert hits, f"{case.id}: no failure at {path}: {found}"
    if exact:
        # Exactly the intended member fails (twice at most: an empty value can break both its
        # length and its pattern, and both are reported).
        stray = [f for f in found if not any(f" at '{p}' " in f for p in case.intended)]
        assert not stray, f"{case.id}: also violates {stray}"
    case.expected = validation_message(found)
    return case


def _combine(a: Case, b: Case) -> Case:
    return Case(
        a.service, a.op, f"{a.label}-{a.kind}+{b.label}", b.kind,
        a.edits + b.edits, a.intended + b.intended, reverse=True,
    )


def _retarget(case: Case, index: int) -> Case:
    """The same element case, aimed at element `index` (0-based) instead of the second."""
    edits = []
    for e in case.edits:
        p = list(e.path)
        p[1] = index
        edits.append(Edit(tuple(p), e.value))
    intended = [re.sub(r"\.2\.member", f".{index + 1}.member", p, count=1) for p in case.intended]
    label = case.label.replace(".2", f".{index + 1}", 1)
    return Case(case.service, case.op, label, case.kind, edits, intended)


def constraint_cases(service: str, op: str) -> list:
    shape = MODELS[service].operation_model(op).input_shape
    if shape is None:
        return []
    singles = []
    by_member = {}
    for name, mshape in shape.members.items():
        cs = _member_cases(service, op, name, mshape, (name,), name, member_path(name), name in shape.required_members)
        by_member[name] = cs
        singles += cs
    out = [_finish(c, exact=True) for c in singles]

    # Two violations at once, sent in reverse model order: they must come back in model order.
    def first_value_case(name):
        return next((c for c in by_member[name] if c.kind != "missing" and len(c.edits[0].path) == 1), None)

    def last_value_case(name):
        return [c for c in by_member[name] if c.kind != "missing" and len(c.edits[0].path) == 1][-1]

    with_values = [n for n in shape.members if first_value_case(n)]
    combos = []
    if len(with_values) >= 2:
        combos.append(_combine(first_value_case(with_values[0]), last_value_case(with_values[1])))
    required = [n for n in shape.members if n in shape.required_members]
    if required and with_values and with_values[-1] != required[0]:
        missing = next(c for c in by_member[required[0]] if c.kind == "missing")
        combos.append(_combine(missing, first_value_case(with_values[-1])))
    # Two bad elements of one list (first and second element): reported in index order.
    for name, cs in by_member.items():
        elements = [c for c in cs if len(c.edits[0].path) >= 2 and c.kind != "missing"]
        if len(elements) >= 2:
            a = _retarget(elements[0], 0)
            b = next((c for c in elements[1:] if c.edits[0].path[2:] != elements[0].edits[0].path[2:]), elements[1])
            combos.append(_combine(a, b))
            break
    out += [_finish(c, exact=True) for c in combos]
    ids = [c.id for c in out]
    assert len(ids) == len(set(ids)), f"duplicate case ids in {op}"
    return out


def boundary_cases(service: str, op: str) -> list:
    """Values exactly at each length, range and list-size bound: valid, so never a constraint
    ValidationError (off-by-one checks, and limits below the model's, show up here)."""
    shape = MODELS[service].operation_model(op).input_shape
    if shape is None:
        return []
    out = []

    def walk(name, mshape, path, label):
        meta = mshape.metadata
        t = mshape.type_name
        example = valid_value(service, op, name, mshape)
        at = []
        if t == "string" and not mshape.enum:
            if meta.get("min", 0) > 0:
                at.append(("at-min", fill(mshape, meta["min"], example)))
            if "max" in meta:
                at.append(("at-max", fill(mshape, meta["max"], example)))
        elif t in ("integer", "long"):
            at += [(k, meta[b]) for k, b in (("at-min", "min"), ("at-max", "max")) if b in meta]
        elif t == "list":
            if "max" in meta:
                at.append(("at-max", _element_list(service, op, mshape, meta["max"])))
            element = mshape.member
            if element.type_name == "structure":
                for sub, sshape in element.members.items():
                    walk(sub, sshape, (*path, 1, sub), f"{label}.2.{sub}")
            else:
                walk("member", element, (*path, 1), f"{label}.2")
        for kind, value in at:
            case = Case(service, op, label, kind, [Edit(path, value)], [])
            case.params = apply_edits(service, op, case.edits)
            found = failures(shape, case.params, "")
            assert not found, f"{case.id}: a boundary value fails {found}"
            out.append(case)

    for name, mshape in shape.members.items():
        walk(name, mshape, (name,), name)
    return out


# --- outputs --------------------------------------------------------------------------------

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


def check_output_xml(service: str, op: str, body: bytes) -> list:
    """Problems of a successful answer against the operation's output shape (empty: none)."""
    model = MODELS[service]
    ns = model.metadata["xmlNamespace"]
    problems = []

    def q(name):
        return f"{{{ns}}}{name}"

    def local(tag):
        return tag.replace(q(""), "") if tag.startswith(q("")) else tag

    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        return [f"not XML ({e}): {body[:300]!r}"]
    if root.tag != q(f"{op}Response"):
        problems.append(f"root is {root.tag}, not {q(op + 'Response')}")
    output = model.operation_model(op).output_shape
    wrapper = output.serialization.get("resultWrapper") if output is not None else None
    expected_children = ([q(wrapper)] if wrapper else []) + [q("ResponseMetadata")]
    actual_children = [c.tag for c in root]
    if actual_children != expected_children:
        problems.append(f"children of the root are {actual_children}, expected {expected_children}")
    meta = root.find(q("ResponseMetadata"))
    if meta is None or not (meta.findtext(q("RequestId")) or "").strip():
        problems.append("no ResponseMetadata/RequestId")

    def check(elem, shape, path):
        t = shape.type_name
        text = (elem.text or "").strip()
        if t in ("structure", "list", "map"):
            if text:
                problems.append(f"{path}: text {text!r} in a {t}")
        elif len(elem):
            problems.append(f"{path}: a {t} with child elements {[local(c.tag) for c in elem]}")
            return
        if t == "structure":
            names = {s.serialization.get("name", m): (m, s) for m, s in shape.members.items()}
            seen = set()
            for child in elem:
                name = local(child.tag)
                if not child.tag.startswith(q("")) or name not in names:
                    problems.append(f"{path}: {child.tag} is not a member of {shape.name}")
                    continue
                if name in seen:
                    problems.append(f"{path}: {name} appears twice")
                seen.add(name)
                check(child, names[name][1], f"{path}/{name}")
            for m in shape.required_members:
                if shape.members[m].serialization.get("name", m) not in seen:
                    problems.append(f"{path}: required member {m} is missing")
        elif t == "list":
            item = shape.member.serialization.get("name", "member")
            for i, child in enumerate(elem, 1):
                if child.tag != q(item):
                    problems.append(f"{path}: list item {i} is {child.tag}, not {q(item)}")
                    continue
                check(child, shape.member, f"{path}/{item}[{i}]")
        elif t == "map":
            for i, entry in enumerate(elem, 1):
                if entry.tag != q("entry") or [c.tag for c in entry] != [q("key"), q("value")]:
                    problems.append(f"{path}: map entry {i} is not <entry><key/><value/></entry>")
                    continue
                check(entry[0], shape.key, f"{path}/entry[{i}]/key")
                check(entry[1], shape.value, f"{path}/entry[{i}]/value")
        elif t in ("integer", "long"):
            if not re.fullmatch(r"-?\d+", text):
                problems.append(f"{path}: {text!r} is not an integer")
        elif t == "boolean":
            if text not in ("true", "false"):
                problems.append(f"{path}: {text!r} is not a boolean (true/false)")
        elif t == "timestamp":
            if not _TIMESTAMP.match(text):
                problems.append(f"{path}: {text!r} is not an ISO 8601 timestamp")
        elif t in ("double", "float"):
            try:
                float(text)
            except ValueError:
                problems.append(f"{path}: {text!r} is not a number")
        elif t == "string" and shape.enum and (elem.text or "") not in shape.enum:
            problems.append(f"{path}: {elem.text!r} is not one of {shape.enum}")

    if wrapper:
        result = root.find(q(wrapper))
        if result is not None:
            check(result, output, wrapper)
    return problems


# --- errors ---------------------------------------------------------------------------------


def parse_error(body: bytes):
    """(code, message) of an ErrorResponse, or of a REST-JSON error document (`__type`,
    `message`); lenient, for messages that echo control characters."""
    if body.lstrip().startswith(b"{"):
        try:
            doc = json.loads(body)
            return doc.get("__type"), doc.get("message")
        except ValueError:
            return None, None
    try:
        root = ET.fromstring(body)
        code = next((e.text for e in root.iter() if e.tag.endswith("}Code") or e.tag == "Code"), None)
        message = next((e.text or "" for e in root.iter() if e.tag.endswith("}Message") or e.tag == "Message"), None)
        return code, message
    except ET.ParseError:
        text = body.decode("utf-8", "replace")
        code = re.search(r"<Code>(.*?)</Code>", text, re.S)
        message = re.search(r"<Message>(.*?)</Message>", text, re.S)
        return (
            html.unescape(code.group(1)) if code else None,
            html.unescape(message.group(1)) if message else None,
        )


def abbreviate(text) -> str:
    """Long runs of one character shortened, so a 131,073-character value reads in a report;
    control characters shown as escapes."""
    if not isinstance(text, str):
        return repr(text)
    text = re.sub(r"(.)\1{15,}", lambda m: f"{m.group(1)}…(×{len(m.group(0))})", text)
    return re.sub(r"[\x00-\x1f]", lambda m: f"\\x{ord(m.group(0)):02x}", text)


def check_output_json(service: str, op: str, body: bytes) -> list:
    """Problems of a successful REST-JSON answer against the operation's output shape."""
    try:
        doc = json.loads(body)
    except ValueError as e:
        return [f"not JSON ({e}): {body[:300]!r}"]
    problems = []

    def check(value, shape, path):
        t = shape.type_name
        if t == "structure":
            if not isinstance(value, dict):
                return problems.append(f"{path}: {value!r} is not an object")
            for name, v in value.items():
                if name not in shape.members:
                    problems.append(f"{path}: {name} is not a member of {shape.name}")
                else:
                    check(v, shape.members[name], f"{path}/{name}")
            for m in shape.required_members:
                if m not in value:
                    problems.append(f"{path}: required member {m} is missing")
        elif t == "list":
            if not isinstance(value, list):
                return problems.append(f"{path}: {value!r} is not a list")
            for i, v in enumerate(value, 1):
                check(v, shape.member, f"{path}[{i}]")
        elif t == "string":
            if not isinstance(value, str):
                problems.append(f"{path}: {value!r} is not a string")
            elif shape.enum and value not in shape.enum:
                problems.append(f"{path}: {value!r} is not one of {shape.enum}")
        elif t in ("integer", "long") and not isinstance(value, int):
            problems.append(f"{path}: {value!r} is not an integer")

    check(doc, MODELS[service].operation_model(op).output_shape, op)
    return problems
