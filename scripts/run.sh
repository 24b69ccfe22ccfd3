#!/usr/bin/env bash
# `make run`: the issuer and sts-mock together on their built-in defaults, wired to each other
# (sts-mock's default setup fetches https://token.dynatrace.com's keys from 127.0.0.1:9400, and
# GitHub Actions', GitLab's and the EKS cluster's from /github, /gitlab and /eks there).
# Prints a walk-through that works when pasted into another shell; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
bin="${CARGO_TARGET_DIR:-$repo/target}/debug"
case "$bin" in /*) ;; *) bin="$repo/$bin" ;; esac
aws="$repo/build/venv/bin/aws"

for tool in "$bin/issuer" "$bin/sts-mock" "$aws"; do
  [ -x "$tool" ] || { echo "run.sh: $tool is missing; run \`make run\` (it builds everything)" >&2; exit 1; }
done

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

"$bin/issuer" serve --keys "$repo/keys" &
pids+=($!)
"$bin/sts-mock" serve &
pids+=($!)

# Wait until both answer before printing the walk-through.
for _ in $(seq 1 100); do
  if curl -sf http://127.0.0.1:9400/.well-known/openid-configuration >/dev/null 2>&1 &&
     curl -sf http://127.0.0.1:9400/github/.well-known/openid-configuration >/dev/null 2>&1 &&
     curl -s -o /dev/null http://127.0.0.1:9401/ 2>/dev/null; then
    break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "run.sh: a server failed to start (is port 9400 or 9401 in use?)" >&2; exit 1; }
  done
  sleep 0.1
done

cat <<WALK

Issuer  http://127.0.0.1:9400  (iss https://token.dynatrace.com)
        http://127.0.0.1:9400/github/  (iss https://token.actions.githubusercontent.com)
        http://127.0.0.1:9400/gitlab/  (iss https://gitlab.com)
        http://127.0.0.1:9400/eks/     (iss https://oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B)
        Dynatrace side (docs/dynatrace.md): account 7a3e1c52-9b4d-4f8e-a6c1-2d5b8e0f9a13, environment abc12345,
        OAuth clients at http://127.0.0.1:9400/sso/oauth2/token (resource=urn:dtaccount:7a3e1c52-9b4d-4f8e-a6c1-2d5b8e0f9a13):
          dt0s02.RIGADMIN   secret dt0s02.RIGADMIN.rig-admin-secret    (AWS Connector's permissions, IAM policies)
          dt0s02.RIGVIEWER  secret dt0s02.RIGVIEWER.rig-viewer-secret  (settings read only: no hyperscaler-authentication:aws:authenticate)
STS+IAM http://127.0.0.1:9401  (built-in default: examples/default.toml)

Paste into another shell:

  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
  aws() { $aws --endpoint-url http://127.0.0.1:9401 "\$@"; }

  # 1. A Dynatrace token for connection my-connection, then the role it may assume:
  TOKEN=\$($bin/issuer mint --keys $repo/keys --connection my-connection)
  aws sts assume-role-with-web-identity --role-arn arn:aws:iam::000000000000:role/dynatrace-aws-connector \\
      --role-session-name demo --web-identity-token "\$TOKEN"

  # 2. Another connection is refused (AccessDenied):
  OTHER=\$($bin/issuer mint --keys $repo/keys --connection other-connection)
  aws sts assume-role-with-web-identity --role-arn arn:aws:iam::000000000000:role/dynatrace-aws-connector \\
      --role-session-name demo --web-identity-token "\$OTHER"

  # 3. Why? The decision log (live, in a browser: http://127.0.0.1:9401/_sts-mock/), and the
  #    trust policy checked offline (exit 1 on deny):
  curl -s http://127.0.0.1:9401/_sts-mock/decisions; echo
  $bin/sts-mock explain --trust-policy $repo/examples/policies/dynatrace-trust.json --token "\$OTHER"

  # 4. A GitHub Actions workflow of octo-org/octo-repo on main may assume github-deploy; the
  #    same workflow on another branch may not (docs/issuers/ has every issuer's cases):
  GH=\$($bin/issuer mint --keys $repo/keys --issuer github repository=octo-org/octo-repo ref=refs/heads/main)
  aws sts assume-role-with-web-identity --role-arn arn:aws:iam::000000000000:role/github-deploy \\
      --role-session-name demo --web-identity-token "\$GH"
  DEV=\$($bin/issuer mint --keys $repo/keys --issuer github repository=octo-org/octo-repo ref=refs/heads/dev)
  aws sts assume-role-with-web-identity --role-arn arn:aws:iam::000000000000:role/github-deploy \\
      --role-session-name demo --web-identity-token "\$DEV"

  # 5. What may the role do once assumed? AWS's simulator, the IAM way:
  aws iam simulate-principal-policy --policy-source-arn arn:aws:iam::000000000000:role/dynatrace-aws-connector \\
      --action-names account:ListRegions s3:ListBuckets

  # 6. The connector's own call, with the assumed credentials: account:ListRegions.
  read -r AK SK ST <<< "\$(aws sts assume-role-with-web-identity --role-arn arn:aws:iam::000000000000:role/dynatrace-aws-connector \\
      --role-session-name connector --web-identity-token "\$TOKEN" \\
      --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)"
  AWS_ACCESS_KEY_ID=\$AK AWS_SECRET_ACCESS_KEY=\$SK AWS_SESSION_TOKEN=\$ST aws account list-regions

Ctrl-C stops both.
WALK

# Whichever ends first (or Ctrl-C) stops the other.
wait -n "${pids[@]}" || true
