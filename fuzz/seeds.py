#!/usr/bin/env python3
"""Regenerates the fuzz targets' seed corpora (fuzz/seeds/<target>/) and dictionaries
(fuzz/dicts/<target>.dict) from the project's own test inputs.

Seeds are what libFuzzer starts from: the closer they are to real, accepted inputs, the sooner
it reaches the code past the first checks. So they come from what the project already tests
with, never written anew here:

- string literals of the Rust tests and sources (policies, setup files, form bodies, JSON
  bodies), sorted to a target by what they look like;
- the example setups and policy files (examples/), and the request bodies and code blocks of
  the documentation (README.md, docs/);
- tokens, JWKS documents and requests from the real binaries: an issuer and an sts-mock are
  started on 127.0.0.1 with their clocks frozen at SEED_INSTANT (the instant the fuzz targets'
  servers run at, fuzz/src/lib.rs) and sts-mock's secret the fuzz target's, so that tokens,
  Dynatrace access tokens, session credentials and SigV4 signatures in the seeds are valid
  when the fuzzer replays them.

Run it after `cargo build --workspace --bins` (RIG_BIN_DIR or target/debug), from anywhere:
  python3 fuzz/seeds.py
It rewrites fuzz/seeds/ and fuzz/dicts/ entirely; review the diff and commit it. Nobody runs it
at test time: the committed seeds are the corpus `make fuzz` and `make test` start from.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
SEEDS = FUZZ / "seeds"
DICTS = FUZZ / "dicts"

# Kept equal to fuzz/src/lib.rs (SEED_INSTANT, SEED_ACCESS_KEY, SEED_SECRET_KEY) and
# fuzz_targets/sts_http.rs (SECRET).
SEED_INSTANT = "2026-11-23T05:00:00Z"
SEED_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SEED_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
STS_SECRET = "rig-fuzz-secret"

# A seed larger than this is left out: libFuzzer's default -max_len is 4096 for a new corpus
# and the largest seed otherwise; huge seeds only slow every run down.
MAX_SEED = 16 * 1024

TARGETS = [
    "jwt", "jwks", "iam_policy", "dt_policy", "query_shape", "rest_json", "sigv4",
    "sts_setup", "sts_state", "issuer_setup", "mint", "sts_http", "issuer_http",
]

BUILTIN_ISSUERS = {
    "github": "https://token.actions.githubusercontent.com",
    "gitlab": "https://gitlab.com",
    "eks": "https://oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B",
}
DYNATRACE_ISSUER = "https://token.dynatrace.com"


class Corpus:
    """The seeds of every target, deduplicated by content."""

    def __init__(self):
        self.seeds = {t: {} for t in TARGETS}

    def add(self, target, data, label="seed"):
        if isinstance(data, str):
            data = data.encode()
        if not data or len(data) > MAX_SEED:
            return
        digest = hashlib.sha1(data).hexdigest()[:12]
        label = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:40] or "seed"
        self.seeds[target].setdefault(digest, (label, data))

    def write(self):
        # Every seed is rewritten but the crashes found (crash-*: inputs that once failed,
        # added by hand with their regression test, fuzz/README.md).
        for target, seeds in self.seeds.items():
            out = SEEDS / target
            out.mkdir(parents=True, exist_ok=True)
            for old in out.iterdir():
                if not old.name.startswith("crash-"):
                    old.unlink()
            for digest, (label, data) in sorted(seeds.items()):
                (out / f"{label}-{digest}").write_bytes(data)
            print(f"{target}: {len(seeds)} seeds", file=sys.stderr)


# --- string literals of the Rust sources -------------------------------------------------

RAW = re.compile(r'\br(#*)"(.*?)"\1', re.S)
PLAIN = re.compile(r'(?<![A-Za-z0-9_#\'])"((?:[^"\\]|\\.)*)"', re.S)


def unescape(body):
    """A Rust string literal's value (the escapes tests use)."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1] if i + 1 < len(body) else ""
        if n == "\n":  # a line continuation: the newline and the next line's indent go
            i += 2
            while i < len(body) and body[i] in " \t":
                i += 1
            continue
        if n == "u" and body[i + 2 : i + 3] == "{":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
            continue
        if n == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
            continue
        out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}.get(n, n))
        i += 2
    return "".join(out)


def literals(path):
    text = path.read_text()
    for m in RAW.finditer(text):
        yield m.group(2)
    # Plain literals, with the raw ones blanked out so their quotes do not confuse the match.
    blanked = RAW.sub(lambda m: " " * len(m.group(0)), text)
    for m in PLAIN.finditer(blanked):
        try:
            yield unescape(m.group(1))
        except (ValueError, IndexError):
            continue


def is_json(text, key=None):
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return key is None or (isinstance(value, dict) and key in value)


def sort_literal(corpus, text, source):
    """Sends a literal to the targets it is an input of, by what it looks like."""
    stripped = text.strip()
    label = source
    if '"Statement"' in text and stripped.startswith("{"):
        for kind in ("Identity", "Trust", "Session"):
            corpus.add("iam_policy", f"{kind}\0{stripped}\0sts:AssumeRoleWithWebIdentity\0*\0Federated {DYNATRACE_ISSUER}\0", label)
    if re.search(r"\b(ALLOW|DENY)\b", text) and not stripped.startswith(("{", "[")):
        corpus.add("dt_policy", f"{stripped}\0\0\0settings:objects:read\0settings:schemaId=builtin:x\0", label)
    if re.search(r"^\s*(\[\[(role|provider|account|oidc_endpoint|managed_policy)\]\]|default_account\s*=)", text, re.M):
        corpus.add("sts_setup", text, label)
    if re.search(r"^\s*(\[\[issuer\]\]|\[dynatrace\])", text, re.M):
        corpus.add("issuer_setup", text, label)
    if re.match(r"^[A-Za-z]+=[^\s]*(&[A-Za-z0-9._]+=[^\s]*)*$", stripped) and "Action=" in stripped:
        corpus.add("query_shape", stripped, label)
    if is_json(stripped) and re.search(r'"(RegionOptStatusContains|MaxResults|NextToken)"', stripped):
        corpus.add("rest_json", stripped, label)
    if is_json(stripped) and re.search(r'"(tenant|connection|connection_id|claims|ttl|fault|repository|namespace|service_account|ref)"', stripped):
        corpus.add("mint", stripped, label)
    if is_json(stripped, "keys"):
        corpus.add("jwks", stripped, label)
    if re.fullmatch(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*", stripped):
        corpus.add("jwt", stripped, label)


def from_sources(corpus):
    roots = ["sts-mock", "issuer", "dt-policy", "rig-core", "tests"]
    for root in roots:
        for path in sorted((REPO / root).rglob("*.rs")):
            if "target" in path.parts:
                continue
            source = f"{path.parent.name}-{path.stem}"
            for text in literals(path):
                sort_literal(corpus, text, source)


def from_examples_and_docs(corpus):
    for path in sorted((REPO / "examples").glob("*.toml")):
        text = path.read_text()
        corpus.add("sts_setup", text, f"examples-{path.stem}")
        corpus.add("issuer_setup", text, f"examples-{path.stem}")
    for path in sorted((REPO / "examples" / "policies").glob("*.json")):
        sort_literal(corpus, path.read_text(), f"examples-{path.stem}")
    docs = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    for path in docs:
        text = path.read_text()
        source = f"docs-{path.stem}"
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
            sort_literal(corpus, block, source)
        # Request bodies of the curl walk-throughs: -d '...'.
        for body in re.findall(r"-d '([^']*)'", text):
            sort_literal(corpus, body, source)
            sort_literal(corpus, body.replace("\n", " "), source)
        # Inline dt-policy statements in the prose: `ALLOW ...;`.
        for statement in re.findall(r"`((?:ALLOW|DENY) [^`]*;)`", text):
            sort_literal(corpus, statement, source)


# --- the real binaries ---------------------------------------------------------------------


def binary(name):
    bins = Path(os.environ["RIG_BIN_DIR"]) if os.environ.get("RIG_BIN_DIR") else REPO / "target" / "debug"
    path = bins / name
    if not path.is_file():
        sys.exit(f"{path} is missing: run `cargo build --workspace --bins` first")
    return str(path)


class Server:
    """A binary serving on 127.0.0.1 with a port of its own; its URL read from its banner."""

    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url, found, lines = None, threading.Event(), []

        def read():
            for line in self.proc.stdout:
                lines.append(line)
                m = re.search(r"listening on (http://\S+)", line)
                if m and not found.is_set():
                    self.url = m.group(1)
                    found.set()
            found.set()

        threading.Thread(target=read, daemon=True).start()
        found.wait(timeout=30)
        if not self.url:
            self.stop()
            sys.exit(f"{args[0]} did not start: {''.join(lines)}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def call(method, url, body=b"", headers=None):
    """One request; returns (status, body)."""
    request = urllib.request.Request(url, data=body if method != "GET" else None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http_seed(method, target, headers=(), body=b""):
    """The text form of rig_fuzz::HttpInput: request line, header lines, blank line, body."""
    head = f"{method} {target}\n" + "".join(f"{n}: {v}\n" for n, v in headers)
    return head.encode() + b"\n" + (body if isinstance(body, bytes) else body.encode())


def mint(issuer, *fields, fault=None, clock=SEED_INSTANT):
    args = [binary("issuer"), "mint", "--keys", str(REPO / "keys"), "--issuer", issuer, "--clock", clock, *fields]
    if fault:
        args += ["--fault", fault]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return out.stdout.strip()


# The fields that make each built-in issuer's token one its example role trusts.
TRUSTED = {
    "dynatrace": ["tenant=abc12345", "connection=my-connection"],
    "github": ["repository=octo-org/octo-repo", "ref=refs/heads/main"],
    "gitlab": ["project_path=my-group/my-project", "ref=main", "ref_type=branch"],
    "eks": ["namespace=default", "service_account=app"],
}
ROLES = {"dynatrace": "dynatrace-aws-connector", "github": "github-deploy", "gitlab": "gitlab-deploy", "eks": "eks-app"}
FAULTS = ["expired", "not-yet-valid", "unknown-kid", "foreign-key", "bad-signature", "alg-none", "hs256-confusion", "wrong-issuer"]


def tokens(corpus):
    """Tokens of every built-in issuer, good and deliberately bad, at the seed instant."""
    good = {}
    for issuer, fields in TRUSTED.items():
        good[issuer] = mint(issuer, *fields)
        corpus.add("jwt", good[issuer], f"token-{issuer}")
    for fault in FAULTS:
        corpus.add("jwt", mint("dynatrace", *TRUSTED["dynatrace"], fault=fault), f"token-{fault}")
    return good


# --- SigV4, as the AWS SDKs sign -------------------------------------------------------------


def sign(method, path, query, headers, body, key, secret, service, region="us-east-1", token=None, when=SEED_INSTANT, date_header="x-amz-date"):
    """Headers with SigV4's Authorization added (the signature sts-mock recomputes)."""
    stamp = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ")
    amz = stamp.strftime("%Y%m%dT%H%M%SZ")
    day = stamp.strftime("%Y%m%d")
    headers = dict(headers)
    if date_header == "x-amz-date":
        headers["x-amz-date"] = amz
    else:
        headers["date"] = stamp.strftime("%a, %d %b %Y %H:%M:%S GMT")
    if token:
        headers["x-amz-security-token"] = token
    body_hash = hashlib.sha256(body).hexdigest()
    names = sorted(n.lower() for n in headers)
    canonical_headers = "".join(f"{n}:{' '.join(str(headers[h]).split())}\n" for n in names for h in headers if h.lower() == n)
    signed = ";".join(names)
    canonical = "\n".join([method, path, canonical_query(query), canonical_headers, signed, body_hash])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    return headers


def quote(s):
    return urllib.parse.quote(s, safe="-_.~")


def canonical_query(query):
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(query))


# What STS and IAM sign a presigned URL's payload as: the (empty) body's hash, never
# UNSIGNED-PAYLOAD (that is S3's).
EMPTY_HASH = hashlib.sha256(b"").hexdigest()


def presign(method, path, query, host, key, secret, service, region="us-east-1", expires=60, extra_headers=(), token=None):
    """A presigned URL's target (path and query), as EKS tokens and `aws ... presign` make."""
    stamp = datetime.datetime.strptime(SEED_INSTANT, "%Y-%m-%dT%H:%M:%SZ")
    amz, day = stamp.strftime("%Y%m%dT%H%M%SZ"), stamp.strftime("%Y%m%d")
    scope = f"{day}/{region}/{service}/aws4_request"
    headers = {"host": host, **dict(extra_headers)}
    names = sorted(headers)
    query = list(query) + [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", f"{key}/{scope}"),
        ("X-Amz-Date", amz),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", ";".join(names)),
    ] + ([("X-Amz-Security-Token", token)] if token else [])
    canonical_headers = "".join(f"{n}:{headers[n]}\n" for n in names)
    canonical = "\n".join([method, path, canonical_query(query), canonical_headers, ";".join(names), EMPTY_HASH])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    query.append(("X-Amz-Signature", hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()))
    return path + "?" + canonical_query(query)


FORM = "application/x-www-form-urlencoded; charset=utf-8"


def signed_post(form, key, secret, service, token=None, date_header="x-amz-date", host="127.0.0.1"):
    """A Query-protocol POST signed as the SDKs sign it, in the text form of HttpInput."""
    body = urllib.parse.urlencode(form).encode()
    headers = sign("POST", "/", [], {"host": host, "content-type": FORM}, body, key, secret, service, token=token, date_header=date_header)
    return http_seed("POST", "/", headers.items(), body)


# --- sts-mock ---------------------------------------------------------------------------------

# Query-protocol calls of the STS and IAM tests and the AWS CLI walk-through (README.md,
# docs/permissions.md): the admin's (signature not checked) and, below, a role session's.
IAM_CALLS = [
    {"Action": "ListRoles", "Version": "2010-05-08"},
    {"Action": "GetRole", "Version": "2010-05-08", "RoleName": "github-deploy"},
    {"Action": "ListOpenIDConnectProviders", "Version": "2010-05-08"},
    {"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "fuzz-role", "Path": "/fuzz/",
     "AssumeRolePolicyDocument": (REPO / "examples/policies/github-deploy-trust.json").read_text(),
     "Tags.member.1.Key": "team", "Tags.member.1.Value": "a", "MaxSessionDuration": "3600"},
    {"Action": "PutRolePolicy", "Version": "2010-05-08", "RoleName": "github-deploy", "PolicyName": "p",
     "PolicyDocument": (REPO / "examples/policies/list-regions.json").read_text()},
    {"Action": "CreatePolicy", "Version": "2010-05-08", "PolicyName": "fuzz-managed",
     "PolicyDocument": (REPO / "examples/policies/list-regions.json").read_text()},
    {"Action": "SimulatePrincipalPolicy", "Version": "2010-05-08",
     "PolicySourceArn": "arn:aws:iam::000000000000:role/github-deploy",
     "ActionNames.member.1": "account:ListRegions", "ActionNames.member.2": "s3:GetObject",
     "ContextEntries.member.1.ContextKeyName": "aws:SourceIp",
     "ContextEntries.member.1.ContextKeyType": "ip", "ContextEntries.member.1.ContextKeyValues.member.1": "10.0.0.1"},
    {"Action": "SimulateCustomPolicy", "Version": "2010-05-08",
     "PolicyInputList.member.1": (REPO / "examples/policies/list-regions.json").read_text(),
     "ActionNames.member.1": "account:ListRegions"},
    {"Action": "TagRole", "Version": "2010-05-08", "RoleName": "eks-app", "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"},
    {"Action": "UpdateAssumeRolePolicy", "Version": "2010-05-08", "RoleName": "gitlab-deploy",
     "PolicyDocument": (REPO / "examples/policies/gitlab-deploy-trust.json").read_text()},
    {"Action": "DeleteRole", "Version": "2010-05-08", "RoleName": "nobody"},
    {"Action": "EnableOutboundWebIdentityFederation", "Version": "2010-05-08"},
]
STS_CALLS = [
    {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
    {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::000000000000:role/github-deploy",
     "RoleSessionName": "fuzz", "DurationSeconds": "900"},
    {"Action": "GetWebIdentityToken", "Version": "2011-06-15", "Audience.member.1": "https://api.example.com",
     "SigningAlgorithm": "RS256", "DurationSeconds": "300"},
]


def sts_seeds(corpus, sts_url, good):
    host = urllib.parse.urlparse(sts_url).netloc
    credentials = None
    for issuer, token in good.items():
        form = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                "RoleArn": f"arn:aws:iam::000000000000:role/{ROLES[issuer]}",
                "RoleSessionName": f"fuzz-{issuer}", "WebIdentityToken": token}
        body = urllib.parse.urlencode(form)
        corpus.add("sts_http", http_seed("POST", "/", [("content-type", FORM)], body), f"assume-{issuer}")
        corpus.add("query_shape", body, f"assume-{issuer}")
        corpus.add("sts_http", http_seed("GET", "/?" + body), f"assume-get-{issuer}")
        status, answer = call("POST", sts_url + "/", body.encode(), {"content-type": FORM})
        if status != 200:
            sys.exit(f"sts-mock refused the seed token of {issuer}: {status} {answer[:300]!r}")
        if credentials is None:
            text = answer.decode()
            credentials = {
                field: re.search(f"<{field}>([^<]*)</{field}>", text).group(1)
                for field in ("AccessKeyId", "SecretAccessKey", "SessionToken")
            }
    with_policy = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                   "RoleArn": "arn:aws:iam::000000000000:role/github-deploy", "RoleSessionName": "scoped",
                   "WebIdentityToken": good["github"], "DurationSeconds": "900",
                   "Policy": (REPO / "examples/policies/list-regions.json").read_text(),
                   "PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    corpus.add("sts_http", http_seed("POST", "/", [("content-type", FORM)], urllib.parse.urlencode(with_policy)), "assume-session-policy")
    corpus.add("query_shape", urllib.parse.urlencode(with_policy), "assume-session-policy")
    for service, calls in (("iam", IAM_CALLS), ("sts", STS_CALLS)):
        for form in calls:
            label = f"{service}-{form['Action']}"
            corpus.add("query_shape", urllib.parse.urlencode(form), label)
            corpus.add("sts_http", signed_post(form, SEED_ACCESS_KEY, SEED_SECRET_KEY, service, host=host), f"admin-{label}")
            corpus.add("sts_http", signed_post(form, credentials["AccessKeyId"], credentials["SecretAccessKey"], service,
                                               token=credentials["SessionToken"], host=host), f"session-{label}")
    # The Account API's REST-JSON, as aws-sdk-account and the AWS CLI send it.
    for body in ['{}', '{"MaxResults":2}', '{"RegionOptStatusContains":["ENABLED","ENABLED_BY_DEFAULT"]}',
                 '{"MaxResults":1,"NextToken":"1"}', '{"RegionOptStatusContains":["DISABLED"],"MaxResults":50}']:
        corpus.add("rest_json", body, "account-list-regions")
        headers = sign("POST", "/listRegions", [], {"host": host, "content-type": "application/json"}, body.encode(),
                       credentials["AccessKeyId"], credentials["SecretAccessKey"], "account", token=credentials["SessionToken"])
        corpus.add("sts_http", http_seed("POST", "/listRegions", headers.items(), body), "session-account-ListRegions")
        headers = sign("POST", "/listRegions", [], {"host": host, "content-type": "application/json"}, body.encode(),
                       SEED_ACCESS_KEY, SEED_SECRET_KEY, "account")
        corpus.add("sts_http", http_seed("POST", "/listRegions", headers.items(), body), "admin-account-ListRegions")
    # sts-mock's own endpoints.
    for target in ["/_sts-mock/decisions", "/_sts-mock/health", "/_sts-mock/clock", "/_sts-mock/outbound/x/.well-known/jwks.json"]:
        corpus.add("sts_http", http_seed("GET", target), "own-endpoint")
    corpus.add("sts_http", http_seed("PUT", "/_sts-mock/clock", [("content-type", "application/json")], '{"advance_seconds": 900}'), "own-clock")
    # SigV4 on its own: header-signed with and without a session token and with Date, and
    # presigned GETs (EKS's token format: sts GetCallerIdentity with x-k8s-aws-id signed).
    for service, form in (("sts", STS_CALLS[0]), ("iam", IAM_CALLS[0])):
        corpus.add("sigv4", signed_post(form, SEED_ACCESS_KEY, SEED_SECRET_KEY, service), f"header-{service}")
        corpus.add("sigv4", signed_post(form, SEED_ACCESS_KEY, SEED_SECRET_KEY, service, token="FQoGZXIvYXdzEXAMPLE"), f"token-{service}")
        corpus.add("sigv4", signed_post(form, SEED_ACCESS_KEY, SEED_SECRET_KEY, service, date_header="date"), f"date-{service}")
    query = [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]
    for extra in ((), (("x-k8s-aws-id", "my-cluster"),)):
        target = presign("GET", "/", query, "sts.amazonaws.com", SEED_ACCESS_KEY, SEED_SECRET_KEY, "sts", extra_headers=extra)
        corpus.add("sigv4", http_seed("GET", target, [("host", "sts.amazonaws.com"), *extra]), "presigned")
        session_target = presign("GET", "/", query, host, credentials["AccessKeyId"], credentials["SecretAccessKey"], "sts",
                                 extra_headers=extra, token=credentials["SessionToken"])
        corpus.add("sts_http", http_seed("GET", session_target, [("host", host), *extra]), "session-presigned")


# --- the issuer ---------------------------------------------------------------------------

ACCOUNT = "7a3e1c52-9b4d-4f8e-a6c1-2d5b8e0f9a13"
ADMIN_GROUP = "3d1f6a2e-8c4b-4e7a-9f25-6b0c1d2e3f40"
VIEWER_GROUP = "8b2e4c6a-1d3f-4a5b-8c7d-9e0f1a2b3c4d"
CONNECTIONS = "/platform/hyperscaler-authentication/aws/connections/"
SCHEMAS = "builtin:hyperscaler-authentication.aws.connection,builtin:hyperscaler-authentication.connections.aws"


def issuer_seeds(corpus, issuer_url):
    # Discovery, JWKS and mint of every issuer, as README.md's and docs/issuers/'s curls.
    for prefix in ["", "/github", "/gitlab", "/eks"]:
        discovery = prefix + "/.well-known/openid-configuration"
        corpus.add("issuer_http", http_seed("GET", discovery), f"get{discovery}")
        _, document = call("GET", issuer_url + discovery)
        jwks_path = urllib.parse.urlparse(json.loads(document)["jwks_uri"]).path
        corpus.add("issuer_http", http_seed("GET", jwks_path), f"get{jwks_path}")
        status, jwks = call("GET", issuer_url + jwks_path)
        if status != 200:
            sys.exit(f"{jwks_path}: {status}")
        corpus.add("jwks", jwks, f"jwks{prefix or '-dynatrace'}")
    for prefix, fields in [("", TRUSTED["dynatrace"]), ("/github", TRUSTED["github"]), ("/gitlab", TRUSTED["gitlab"]), ("/eks", TRUSTED["eks"])]:
        body = json.dumps(dict(f.split("=", 1) for f in fields))
        corpus.add("issuer_http", http_seed("POST", prefix + "/mint", [("content-type", "application/json")], body), f"mint{prefix}")
        corpus.add("mint", body, f"mint{prefix or '-dynatrace'}")
    for fault in FAULTS:
        body = json.dumps({"connection": "other", "fault": fault})
        corpus.add("mint", body, f"mint-{fault}")
        corpus.add("issuer_http", http_seed("POST", "/mint", [], body), f"mint-{fault}")
    corpus.add("mint", json.dumps({"tenant": "abc12345", "connection": "c", "ttl": 60, "claims": {"extra": [1, {"a": None}], "aud": ["x", "y"]}}), "mint-claims")
    # The controls (docs/testing-time-and-failure.md).
    for method, target, body in [
        ("GET", "/_issuer/clock", ""),
        ("PUT", "/_issuer/clock", '{"advance_seconds": 900}'),
        ("PUT", "/_issuer/clock", '{"now": "2026-11-23T06:00:00Z"}'),
        ("GET", "/_issuer/faults", ""),
        ("PUT", "/_issuer/faults", '{"jwks": "down"}'),
        ("PUT", "/_issuer/faults", '{"issuer": "github", "discovery": "slow", "delay_ms": 6000}'),
        ("GET", "/_issuer/faults?issuer=github", ""),
        ("PUT", "/_issuer/faults", '{"issuer": "github", "jwks": "ok", "discovery": "ok"}'),
        ("GET", "/_issuer/keys", ""),
        ("DELETE", "/_issuer/keys/gh-old?issuer=github", ""),
        ("GET", "/_issuer/decisions", ""),
    ]:
        corpus.add("issuer_http", http_seed(method, target, [("content-type", "application/json")] if body else [], body), f"control-{target}")
    # The Dynatrace walk-through of docs/dynatrace.md, with access tokens from this issuer.
    def token_request(client, secret, scope=None):
        form = {"grant_type": "client_credentials", "client_id": client, "client_secret": secret, "resource": f"urn:dtaccount:{ACCOUNT}"}
        if scope:
            form["scope"] = scope
        body = urllib.parse.urlencode(form)
        corpus.add("issuer_http", http_seed("POST", "/sso/oauth2/token", [("content-type", "application/x-www-form-urlencoded")], body), "sso-token")
        status, answer = call("POST", issuer_url + "/sso/oauth2/token", body.encode(), {"content-type": "application/x-www-form-urlencoded"})
        if status != 200:
            sys.exit(f"the issuer refused the walk-through's token request: {status} {answer[:300]!r}")
        return json.loads(answer)["access_token"]

    admin = token_request("dt0s02.RIGADMIN", "dt0s02.RIGADMIN.rig-admin-secret",
                          "hyperscaler-authentication:aws:authenticate settings:objects:read settings:objects:write iam-policies-management")
    viewer = token_request("dt0s02.RIGVIEWER", "dt0s02.RIGVIEWER.rig-viewer-secret")
    legacy = "vu9U3hXa3q0AAAABADFidWlsdGluOmh5cGVyc2NhbGVyLWF1dGhlbnRpY2F0aW9uLmF3cy5jb25uZWN0aW9uAAZ0ZW5hbnQABnRlbmFudAAkMmI3ZTljNDEtNmEzZC00ZjU4LTllMTItN2M0YTBkNWI4ZjYzvu9U3hXa3q0"
    current = "vu9U3hXa3q0AAAABADJidWlsdGluOmh5cGVyc2NhbGVyLWF1dGhlbnRpY2F0aW9uLmNvbm5lY3Rpb25zLmF3cwAGdGVuYW50AAZ0ZW5hbnQAJDVmM2M4YTIxLTdkNGUtM2I5Zi1hNmMyLTFlOGQwYjQ3ZjkzNb7vVN4V2t6t"
    json_type = ("content-type", "application/json")
    # A policy the built-in world has (its uuid is fixed), to bind and to delete.
    _, listed = call("GET", f"{issuer_url}/iam/v1/repo/account/{ACCOUNT}/policies", headers={"authorization": f"Bearer {admin}"})
    policy = json.loads(listed)["policies"][0]["uuid"]
    for who, token in (("admin", admin), ("viewer", viewer)):
        bearer = ("authorization", f"Bearer {token}")
        for method, target, body in [
            ("GET", f"/api/v2/settings/objects?schemaIds={SCHEMAS}&fields=objectId,schemaId,value", ""),
            ("GET", "/api/v2/settings/schemas", ""),
            ("GET", "/api/v2/settings/schemas/builtin:hyperscaler-authentication.connections.aws", ""),
            ("POST", f"{CONNECTIONS}{legacy}/token", ""),
            ("POST", f"{CONNECTIONS}{current}/token", ""),
            ("GET", f"/iam/v1/repo/account/{ACCOUNT}/policies", ""),
            ("POST", f"/iam/v1/repo/account/{ACCOUNT}/policies",
             json.dumps({"name": "Legacy connections", "description": "", "tags": [],
                         "statementQuery": 'ALLOW hyperscaler-authentication:aws:authenticate; ALLOW settings:objects:read WHERE settings:schemaId = "builtin:hyperscaler-authentication.aws.connection";'})),
            ("POST", f"/iam/v1/repo/account/{ACCOUNT}/bindings/{policy}", json.dumps({"groups": [VIEWER_GROUP]})),
            ("GET", f"/iam/v1/repo/environment/abc12345/bindings", ""),
            ("POST", "/iam/v1/repo/environment/abc12345/policies",
             json.dumps({"name": "No AWS", "description": "", "statementQuery": "DENY hyperscaler-authentication:aws:authenticate;"})),
            ("POST", f"/iam/v1/repo/environment/abc12345/bindings/{policy}", json.dumps({"groups": [ADMIN_GROUP]})),
            # A policy that is not there: deleting a built-in one would take the admin's
            # permissions away from every later input of the run.
            ("DELETE", "/iam/v1/repo/environment/abc12345/policies/00000000-0000-4000-8000-000000000000?force=true", ""),
            ("POST", f"/iam/v1/repo/account/{ACCOUNT}/policies",
             json.dumps({"name": "bad", "description": "", "statementQuery": 'ALLOW settings:objects:read WHERE settings:schemaId LIKE "x";'})),
            ("POST", "/api/v2/settings/objects",
             json.dumps([{"schemaId": "builtin:hyperscaler-authentication.connections.aws", "scope": "environment",
                          "value": {"name": "staging", "type": "awsWebIdentity",
                                    "awsWebIdentity": {"roleArn": "arn:aws:iam::000000000000:role/dynatrace-connection",
                                                       "consumers": ["APP:dynatrace.aws.connector"]}}}])),
            ("POST", "/api/v2/settings/objects",
             json.dumps([{"schemaId": "builtin:hyperscaler-authentication.aws.connection", "scope": "environment",
                          "value": {"name": "old", "type": "webIdentity",
                                    "webIdentity": {"roleArn": "arn:aws:iam::000000000000:role/dynatrace-aws-connector"}}}])),
        ]:
            headers = [bearer, json_type] if body else [bearer]
            corpus.add("issuer_http", http_seed(method, target, headers, body), f"dt-{who}-{method}")
    corpus.add("issuer_http", http_seed("DELETE", "/iam/v1/repo/environment/abc12345/bindings", [("authorization", f"Bearer {admin}")]), "dt-admin-DELETE")


def replay(corpus, target, url, clock):
    """Sends every seed of an HTTP target to the live server as the harness would (it adds
    Content-Length and Connection: close) and prints the statuses: a check that the seeds get
    where they are meant to (2xx for most), and that none of them is a 500 already. The
    server's clock is reset before each, as the fuzz target resets it."""
    import socket
    from collections import Counter

    host, port = urllib.parse.urlparse(url).netloc.split(":")
    statuses = Counter()
    for label, data in corpus.seeds[target].values():
        # As the fuzz target does: the clock back at the seed instant before every input.
        call("PUT", url + clock, json.dumps({"now": SEED_INSTANT}).encode(), {"content-type": "application/json"})
        head, _, body = data.partition(b"\n\n")
        lines = head.decode().split("\n")
        wire = f"{lines[0]} HTTP/1.1\r\n"
        if not any(line.lower().startswith("host:") for line in lines[1:]):
            wire += f"host: {host}:{port}\r\n"
        wire += "".join(line + "\r\n" for line in lines[1:] if line)
        wire += f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            conn.sendall(wire.encode() + body)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        status = int(answer.split(b" ", 2)[1])
        statuses[status] += 1
        if os.environ.get("SEEDS_VERBOSE"):  # SEEDS_VERBOSE=1: every seed's status and answer
            said = answer.partition(b"\r\n\r\n")[2][:250]
            print(f"  {status} {label}: {lines[0][:90]}: {said!r}", file=sys.stderr)
        if status >= 500 and status not in (501, 503):
            sys.exit(f"{target} seed {label} got a {status}: {answer[:500]!r}")
    print(f"{target} seeds replayed: {dict(sorted(statuses.items()))}", file=sys.stderr)


# --- dictionaries -------------------------------------------------------------------------


def dictionaries():
    """libFuzzer dictionaries: the words of each format, so mutations try them whole."""
    model = (REPO / "sts-mock/src/aws_model.rs").read_text()
    actions = sorted(set(re.findall(r'Operation \{ service: Service::\w+, name: "(\w+)"', model)))
    members = sorted(set(re.findall(r'\bname: "([A-Z][A-Za-z0-9]+)"', model)) - set(actions))
    condition_ops = sorted(set(re.findall(r'"((?:ForAllValues:|ForAnyValue:)?(?:String|Numeric|Date|Bool|Binary|IpAddress|NotIpAddress|Arn|Null)\w*)"',
                                          "".join(p.read_text() for p in (REPO / "sts-mock/src/policy").rglob("*.rs")))))
    words = {
        "iam_policy": ["Version", "2012-10-17", "Statement", "Sid", "Effect", "Allow", "Deny", "Action", "NotAction",
                       "Resource", "NotResource", "Principal", "NotPrincipal", "AWS", "Federated", "Service",
                       "Condition", "${aws:username}", "aws:SourceIp", "aws:PrincipalTag/", "aws:RequestTag/",
                       "sts:AssumeRoleWithWebIdentity", "arn:aws:iam::000000000000:role/", "*", "?", "IfExists",
                       "Trust", "Identity", "Session", "Federated ", "Aws "] + condition_ops,
        "dt_policy": ["ALLOW", "DENY", "WHERE", "AND", "OR", "NOT", "IN", "=", "!=", "startsWith", "endsWith",
                      "contains", "LIKE", "${bindParam:", "}", ";", "//", "/*", "*/", "\"", "(", ")", ",",
                      "settings:objects:read", "settings:objects:write", "settings:schemaId",
                      "hyperscaler-authentication:aws:authenticate", "storage:", "environment:management-zone",
                      "shared:", "global:"],
        "query_shape": ["Action=", "Version=", "&", "=", ".member.", ".Key", ".Value", "%20", "%00", "+",
                        "2011-06-15", "2010-05-08"] + actions + members,
        "sigv4": ["AWS4-HMAC-SHA256", "Credential=", "SignedHeaders=", "Signature=", "X-Amz-Algorithm=",
                  "X-Amz-Credential=", "X-Amz-Date=", "X-Amz-Expires=", "X-Amz-SignedHeaders=",
                  "X-Amz-Signature=", "X-Amz-Security-Token=", "x-amz-date", "x-amz-security-token",
                  "x-amz-content-sha256", "UNSIGNED-PAYLOAD", "aws4_request", "us-east-1", "sts", "iam",
                  "%2F", "host", "date", ";", ","],
        "http": ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "content-type: ", "application/json",
                 "application/x-www-form-urlencoded", "authorization: ", "Bearer ", "AWS4-HMAC-SHA256 ",
                 "/.well-known/openid-configuration", "/.well-known/jwks.json", "/mint", "/github", "/gitlab",
                 "/eks", "/_issuer/clock", "/_issuer/faults", "/_issuer/keys", "/_issuer/decisions",
                 "/sso/oauth2/token", "/iam/v1/repo/", "/api/v2/settings/objects", "/platform/",
                 "/_sts-mock/", "/listRegions", "Action=", "&", "?", "%", "{", "}", "[", "]", "\":",
                 "null", "true", "false"] + actions,
        "json": ["{", "}", "[", "]", ":", ",", "\"", "null", "true", "false", "-0", "1e999", "\\u0000", "\\ud800"],
        "toml": ["[[role]]", "[[provider]]", "[[account]]", "[[oidc_endpoint]]", "[[managed_policy]]",
                 "[[role.policy]]", "[[issuer]]", "[dynatrace]", "default_account", "name", "url",
                 "client_ids", "trust_policy", "trust_policy_file", "policy", "policy_file", "issuer", "base",
                 "prefix", "issuer_url", "profile", "keys", "claims", "'''", "\"\"\"", "=", "\n"],
    }
    DICTS.mkdir(exist_ok=True)
    for name, entries in words.items():
        lines = [f"# {name}: written by fuzz/seeds.py; libFuzzer's -dict format, one quoted word a line."]
        for word in dict.fromkeys(entries):
            escaped = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else f"\\x{ord(c):02x}" for c in word)
            lines.append(f'"{escaped}"')
        (DICTS / f"{name}.dict").write_text("\n".join(lines) + "\n")


def state_seeds(corpus, path):
    """The state file sts-mock wrote for what the replayed IAM seeds changed, and broken ones
    as the state tests make them: truncated, foreign JSON, another format version."""
    written = path.read_bytes()
    corpus.add("sts_state", written, "state-written")
    corpus.add("sts_state", written[: len(written) // 2], "state-truncated")
    corpus.add("sts_state", b'{"accounts": {}}', "state-foreign")
    state = json.loads(written)
    if isinstance(state, dict):
        for key in ("version", "format_version"):
            if key in state:
                corpus.add("sts_state", json.dumps({**state, key: 99}), "state-newer")


def main():
    corpus = Corpus()
    from_sources(corpus)
    from_examples_and_docs(corpus)
    good = tokens(corpus)
    issuer = Server([binary("issuer"), "serve", "--listen", "127.0.0.1:0", "--keys", str(REPO / "keys"), "--clock", SEED_INSTANT])
    try:
        state = Path(tempfile.mkdtemp(prefix="rig-seeds-")) / "state.json"
        args = [binary("sts-mock"), "serve", "--listen", "127.0.0.1:0", "--clock", SEED_INSTANT, "--secret", STS_SECRET,
                "--state", str(state), "--oidc-endpoint", f"{DYNATRACE_ISSUER}={issuer.url}"]
        for name, identity in BUILTIN_ISSUERS.items():
            args += ["--oidc-endpoint", f"{identity}={issuer.url}/{name}"]
        sts = Server(args)
        try:
            sts_seeds(corpus, sts.url, good)
            replay(corpus, "sts_http", sts.url, "/_sts-mock/clock")
        finally:
            sts.stop()
        state_seeds(corpus, state)
        shutil.rmtree(state.parent)
        issuer_seeds(corpus, issuer.url)
        replay(corpus, "issuer_http", issuer.url, "/_issuer/clock")
    finally:
        issuer.stop()
    corpus.write()
    dictionaries()


if __name__ == "__main__":
    main()
