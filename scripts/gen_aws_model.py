#!/usr/bin/env python3
"""Generates sts-mock/src/aws_model.rs from the botocore service models of STS, IAM and the
Account API, and the AWS partition's regions from botocore's endpoints.json.

The validation tables (every input member of every served operation with its constraints), the
result wrappers, whether an operation is signed, the REST-JSON paths and AWS's error codes with
their HTTP statuses are data taken from AWS's own models, never retyped by hand, so they cannot
drift from AWS's. `--check` regenerates in memory
and fails if the committed file differs (the Python test suite runs it; `make test` therefore
catches a model or generator change that was not committed).

Usage: python3 scripts/gen_aws_model.py [--check]
Needs botocore (the Makefile's venv, build/venv, has it).
"""

import argparse
import gzip
import json
import os
import re
import sys

import botocore

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "sts-mock", "src", "aws_model.rs")

# The operations sts-mock serves, per service. A test checks this against the action table.
SERVED = {
    ("sts", "2011-06-15"): [
        "AssumeRoleWithWebIdentity",
        "GetCallerIdentity",
        "AssumeRole",
        "GetWebIdentityToken",
    ],
    ("iam", "2010-05-08"): [
        "CreateOpenIDConnectProvider",
        "GetOpenIDConnectProvider",
        "ListOpenIDConnectProviders",
        "DeleteOpenIDConnectProvider",
        "AddClientIDToOpenIDConnectProvider",
        "RemoveClientIDFromOpenIDConnectProvider",
        "UpdateOpenIDConnectProviderThumbprint",
        "TagOpenIDConnectProvider",
        "CreateRole",
        "GetRole",
        "ListRoles",
        "UpdateRole",
        "DeleteRole",
        "UpdateAssumeRolePolicy",
        "TagRole",
        "UntagRole",
        "PutRolePolicy",
        "GetRolePolicy",
        "ListRolePolicies",
        "DeleteRolePolicy",
        "SimulatePrincipalPolicy",
        "SimulateCustomPolicy",
        "CreatePolicy",
        "GetPolicy",
        "GetPolicyVersion",
        "ListPolicies",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
        "ListPolicyVersions",
        "DeletePolicy",
        "TagPolicy",
        "UntagPolicy",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "ListAttachedRolePolicies",
        "PutRolePermissionsBoundary",
        "DeleteRolePermissionsBoundary",
        "EnableOutboundWebIdentityFederation",
        "DisableOutboundWebIdentityFederation",
        "GetOutboundWebIdentityFederationInfo",
    ],
    ("account", "2021-02-01"): [
        "ListRegions",
    ],
}

# The regions of the `aws` partition (botocore's endpoints.json lists them) fall in two kinds
# (AWS Account Management Reference Guide, "Enable or disable AWS Regions in your account"):
# Regions launched before March 20, 2019 are enabled by default and cannot be disabled
# (ListRegions: ENABLED_BY_DEFAULT); later ones are opt-in, DISABLED until an account enables
# them. This is the list of the default ones; every other region of the partition is opt-in. A
# new region in botocore is opt-in by that rule; one that is not (none since 2019) would need
# adding here.
DEFAULT_REGIONS = {
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-southeast-1", "ap-southeast-2", "ca-central-1",
    "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
    "sa-east-1",
}

# Errors every Query-protocol service can answer that no service model lists, with their
# statuses. Sources: AWS "Common Errors" (API reference of STS and IAM) for the first group;
# the others as noted.
COMMON_ERRORS = [
    # (code, status, sender fault, source)
    ("AccessDenied", 403, True, "STS AssumeRoleWithWebIdentity refusals (STS_SPEC.md)"),
    ("IncompleteSignature", 400, True, "Common Errors"),
    ("InvalidAction", 400, True, "Common Errors"),
    ("InvalidClientTokenId", 403, True, "Common Errors"),
    ("InvalidParameterCombination", 400, True, "Common Errors"),
    ("InvalidParameterValue", 400, True, "Common Errors; STS session tags (aws-recorded)"),
    ("InvalidQueryParameter", 400, True, "Common Errors"),
    ("MalformedQueryString", 404, True, "Common Errors"),
    ("MissingAction", 400, True, "Common Errors"),
    ("MissingAuthenticationToken", 403, True, "Common Errors"),
    ("MissingParameter", 400, True, "Common Errors"),
    ("OptInRequired", 403, True, "Common Errors"),
    ("RequestExpired", 400, True, "Common Errors"),
    ("ServiceUnavailable", 503, False, "Common Errors"),
    ("ThrottlingException", 400, True, "Common Errors"),
    ("ValidationError", 400, True, "Common Errors; aws-recorded"),
    ("SignatureDoesNotMatch", 403, True, "Common Errors"),
    ("ExpiredToken", 403, True, "STS GetCallerIdentity with expired credentials (pulumi/pulumi-aws#2560)"),
    # Guess: transport-level refusals in AWS's error document; AWS's front end closes such
    # connections without a documented body.
    ("RequestEntityTooLarge", 413, True, "Guess: HTTP 413"),
    ("RequestTimeout", 408, True, "Guess: HTTP 408"),
    # Guess: what a REST-JSON service answers a body that is not a JSON object (Smithy's
    # protocol tests name this code; the Account API's model does not list it).
    ("SerializationException", 400, True, "Guess: REST-JSON bodies that are not JSON"),
    # Guess: the codes JSON-protocol services give the Query protocol's authentication errors
    # (DynamoDB, KMS and other JSON services answer these; the Account API's model lists none).
    ("UnrecognizedClientException", 403, True, "Guess: JSON-protocol InvalidClientTokenId"),
    ("InvalidSignatureException", 403, True, "Guess: JSON-protocol SignatureDoesNotMatch"),
    ("MissingAuthenticationTokenException", 403, True, "Guess: JSON-protocol MissingAuthenticationToken"),
    # Guess: the Account API's answer to a path or method it does not serve.
    ("UnknownOperationException", 404, True, "Guess: REST-JSON unknown path"),
]


def load(service, version):
    path = os.path.join(os.path.dirname(botocore.__file__), "data", service, version, "service-2.json.gz")
    with gzip.open(path) as f:
        return json.load(f)


def regions():
    """(name, opt-in) of every region of the `aws` partition, by name."""
    with open(os.path.join(os.path.dirname(botocore.__file__), "data", "endpoints.json")) as f:
        endpoints = json.load(f)
    aws = next(p for p in endpoints["partitions"] if p["partition"] == "aws")
    names = sorted(aws["regions"])
    missing = DEFAULT_REGIONS - set(names)
    if missing:
        raise SystemExit(f"gen_aws_model: default regions not in endpoints.json: {sorted(missing)}")
    return [(n, n not in DEFAULT_REGIONS) for n in names]


def signed(op):
    """Whether AWS requires a SigV4 signature (`authtype: none` / `smithy.api#noAuth` mean no)."""
    return op.get("authtype") != "none" and "smithy.api#noAuth" not in op.get("auth", [])


def rust_ident(name):
    """A botocore shape name as a Rust static name: SHAPE_ROLE_NAME_TYPE."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    s = re.sub(r"[^A-Za-z0-9]", "_", s)
    return "SHAPE_" + s.upper()


def rust_str(text):
    return json.dumps(text, ensure_ascii=False)


def opt(value):
    return "None" if value is None else f"Some({value})"


class Gen:
    def __init__(self):
        self.statics = {}  # (service, shape) -> rust text
        self.order = []

    def shape(self, service, model, name):
        key = (service, name)
        ident = f"{rust_ident(name)}_{service.upper()}"
        if key in self.statics:
            return ident
        self.statics[key] = None  # placeholder: recursion guard
        s = model["shapes"][name]
        t = s["type"]
        if t == "structure":
            members = []
            for m, ms in s.get("members", {}).items():
                members.append(
                    f"        Member {{ name: {rust_str(m)}, required: {str(m in s.get('required', [])).lower()}, shape: &{self.shape(service, model, ms['shape'])} }},"
                )
            body = (
                f"Shape::Structure(Structure {{\n    name: {rust_str(name)},\n    members: &[\n"
                + "\n".join(members)
                + "\n    ],\n})"
            )
        elif t == "list":
            member = self.shape(service, model, s["member"]["shape"])
            body = (
                f"Shape::List(ListShape {{ name: {rust_str(name)}, min: {opt(s.get('min'))}, "
                f"max: {opt(s.get('max'))}, member: &{member} }})"
            )
        elif t == "string":
            enum = ", ".join(rust_str(v) for v in s.get("enum", []))
            pattern = s.get("pattern")
            body = (
                f"Shape::String(StringShape {{ name: {rust_str(name)}, min: {opt(s.get('min'))}, "
                f"max: {opt(s.get('max'))}, pattern: {opt(rust_str(pattern) if pattern is not None else None)}, "
                f"enum_values: &[{enum}], sensitive: {str(bool(s.get('sensitive'))).lower()} }})"
            )
        elif t in ("integer", "long"):
            body = (
                f"Shape::Integer(IntegerShape {{ name: {rust_str(name)}, min: {opt(s.get('min'))}, "
                f"max: {opt(s.get('max'))} }})"
            )
        elif t == "boolean":
            body = f"Shape::Boolean {{ name: {rust_str(name)} }}"
        elif t == "timestamp":
            body = f"Shape::Timestamp {{ name: {rust_str(name)} }}"
        else:
            raise SystemExit(f"gen_aws_model: shape {name} of type {t} is not supported yet")
        self.statics[key] = f"static {ident}: Shape = {body};\n"
        self.order.append(key)
        return ident


def generate():
    gen = Gen()
    operations = []
    errors = {}
    versions = []
    for (service, version), names in SERVED.items():
        model = load(service, version)
        versions.append(f"{service} {version}")
        for shape_name, s in sorted(model["shapes"].items()):
            if "error" in s:
                e = s["error"]
                # REST-JSON models name the code by the shape (AccessDeniedException).
                code = e.get("code", shape_name)
                status = e.get("httpStatusCode", 400)
                sender = bool(e.get("senderFault", False)) and not s.get("fault", False)
                prev = errors.get(code)
                if prev and prev[:2] != (status, sender):
                    raise SystemExit(f"gen_aws_model: {code} differs between services")
                errors[code] = (status, sender, f"botocore {service}: {shape_name}")
        for name in names:
            op = model["operations"][name]
            input_ident = gen.shape(service, model, op["input"]["shape"]) if "input" in op else None
            wrapper = op.get("output", {}).get("resultWrapper")
            op_errors = [
                model["shapes"][e["shape"]].get("error", {}).get("code", e["shape"]) for e in op.get("errors", [])
            ]
            rest_path = op["http"]["requestUri"] if model["metadata"]["protocol"] == "rest-json" else None
            operations.append((service, name, input_ident, wrapper, op_errors, signed(op), rest_path))
    for code, status, sender, source in COMMON_ERRORS:
        if code not in errors:
            errors[code] = (status, sender, source)

    out = []
    out.append("//! AWS's service models of STS, IAM and the Account API as data: the input shapes of every\n")
    out.append("//! served operation with their constraints, the result wrappers, whether each is signed, the\n")
    out.append("//! REST-JSON paths, the error codes with their HTTP statuses, and the regions of the partition.\n")
    out.append("//!\n")
    out.append(f"//! GENERATED by `scripts/gen_aws_model.py` from botocore {botocore.__version__} ({', '.join(versions)}); do not edit.\n")
    out.append("//! `make test` checks that this file is what the generator writes.\n\n")
    out.append("#![allow(missing_docs)]\n\n")
    out.append("use crate::shape::{IntegerShape, ListShape, Member, Operation, Service, Shape, StringShape, Structure};\n\n")
    # Error codes.
    out.append("/// Every error code STS, IAM and the Account API answer, from their service models and AWS's\n/// common errors.\n")
    out.append("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]\n")
    out.append("pub enum ErrorCode {\n")
    for code in sorted(errors):
        out.append(f"    /// {errors[code][2]}\n    {code},\n")
    out.append("}\n\n")
    out.append("impl ErrorCode {\n")
    out.append("    /// Every code, for tests and lookups.\n    pub const ALL: &'static [ErrorCode] = &[\n")
    for code in sorted(errors):
        out.append(f"        ErrorCode::{code},\n")
    out.append("    ];\n\n")
    out.append("    /// The code as sent in `<Code>`.\n    pub fn as_str(self) -> &'static str {\n        match self {\n")
    for code in sorted(errors):
        out.append(f"            ErrorCode::{code} => {rust_str(code)},\n")
    out.append("        }\n    }\n\n")
    out.append("    /// The HTTP status AWS answers this code with.\n    pub fn status(self) -> u16 {\n        match self {\n")
    for code in sorted(errors):
        out.append(f"            ErrorCode::{code} => {errors[code][0]},\n")
    out.append("        }\n    }\n\n")
    out.append("    /// `Sender` (the caller's fault) rather than `Receiver` in `<Type>`.\n    pub fn sender_fault(self) -> bool {\n        match self {\n")
    for code in sorted(errors):
        out.append(f"            ErrorCode::{code} => {str(errors[code][1]).lower()},\n")
    out.append("        }\n    }\n}\n\n")
    # Operations.
    out.append("/// Every served operation, with its input shape and result wrapper.\n")
    out.append("pub static OPERATIONS: &[Operation] = &[\n")
    for service, name, input_ident, wrapper, op_errors, is_signed, rest_path in operations:
        svc = {"sts": "Service::Sts", "iam": "Service::Iam", "account": "Service::Account"}[service]
        inp = f"Some(&{input_ident})" if input_ident else "None"
        errs = ", ".join(f"ErrorCode::{c}" for c in op_errors)
        out.append(
            f"    Operation {{ service: {svc}, name: {rust_str(name)}, input: {inp}, "
            f"result_wrapper: {opt(rust_str(wrapper) if wrapper else None)}, errors: &[{errs}], "
            f"signed: {str(is_signed).lower()}, rest_path: {opt(rust_str(rest_path) if rest_path else None)} }},\n"
        )
    out.append("];\n\n")
    out.append("/// The regions of the `aws` partition (botocore's endpoints.json), by name, and whether each is\n")
    out.append("/// opt-in (launched after March 20, 2019: DISABLED until enabled) rather than enabled by default.\n")
    out.append("pub static REGIONS: &[(&str, bool)] = &[\n")
    for name, opt_in in regions():
        out.append(f"    ({rust_str(name)}, {str(opt_in).lower()}),\n")
    out.append("];\n\n")
    out.append("// --- shapes ---\n\n")
    for key in sorted(gen.order):
        out.append(gen.statics[key])
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file is not current")
    parser.add_argument("--file", default=OUT, help="the file to write or check (default: %(default)s)")
    args = parser.parse_args()
    text = generate()
    if args.check:
        try:
            with open(args.file, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            print(f"{args.file} is not what scripts/gen_aws_model.py writes: run it and commit", file=sys.stderr)
            return 1
        return 0
    with open(args.file, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
