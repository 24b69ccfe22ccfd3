#!/usr/bin/env bash
# `make bench-ab BASE=<git rev>`: sts-mock's cost per full-path AssumeRoleWithWebIdentity, in
# instructions (valgrind's callgrind counts them: repeatable on a noisy shared machine, where
# wall-clock A/B runs of the same binary differ by 20%), for BASE and for the working tree, side
# by side. Both serve the built-in default against the same issuer; every request must succeed.
# Per-request cost = (instructions after N2 requests - after N1) / (N2 - N1), so start-up and the
# first key fetch cancel out. Needs valgrind (installed from Debian when missing).
set -euo pipefail
BASE="${BASE:?usage: make bench-ab BASE=<git rev>}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$ROOT/build/bench-ab"
N1="${N1:-200}"; N2="${N2:-1200}"
mkdir -p "$WORK"
command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }

# The baseline's binary, built in a worktree of its own under build/ (reused across runs) with a
# target directory of its own. Not the working tree's: cargo names workspace crates' artifacts
# without their path, so the two checkouts' rig-core and sts-mock would overwrite each other
# there, and the working tree's binaries would silently be the base's.
if [ ! -d "$WORK/base" ]; then git worktree add -q --detach "$WORK/base" "$BASE"; fi
git -C "$WORK/base" checkout -q --detach "$BASE"
(cd "$WORK/base" && CARGO_TARGET_DIR="$WORK/base-target" cargo build -q --release -p sts-mock)
cargo build -q --release --workspace --bins
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OLD="$WORK/base-target/release/sts-mock"; NEW="$TARGET/release/sts-mock"; ISSUER="$TARGET/release/issuer"
if cmp -s "$OLD" "$NEW" && ! git diff --quiet "$BASE" HEAD -- sts-mock rig-core; then
  echo "base and working tree built the same sts-mock although their sources differ" >&2; exit 1
fi

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
"$ISSUER" serve --keys "$ROOT/keys" >"$WORK/issuer.log" 2>&1 & pids+=($!)
sleep 1
token=$("$ISSUER" mint --keys "$ROOT/keys" --ttl 7200)
printf 'Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%%3Aaws%%3Aiam%%3A%%3A000000000000%%3Arole%%2Fdynatrace-aws-connector&RoleSessionName=bench&WebIdentityToken=%s' "$token" >"$WORK/body"

requests() { # port count -> prints how many answered 200
  python3 - "$1" "$2" "$WORK/body" <<'PY'
import http.client, sys
port, n, body = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3]).read()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
ok = 0
for _ in range(n):
    c.request("POST", "/", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read(); ok += r.status == 200
print(ok)
PY
}
instructions() { # binary port count log-filter -> total instructions
  local out="$WORK/cg.$2"
  RUST_LOG="$4" valgrind --tool=callgrind --callgrind-out-file="$out" "$1" serve --listen "127.0.0.1:$2" >/dev/null 2>&1 &
  local vp=$!
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$2/_sts-mock/health" && break; sleep 0.1; done
  local ok; ok=$(requests "$2" "$3")
  kill -INT "$vp"; wait "$vp" 2>/dev/null || true
  [ "$ok" = "$3" ] || { echo "only $ok of $3 requests succeeded on $1" >&2; exit 1; }
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
}
# The table goes to stdout and to build/bench-ab/last.md, which `make bench` includes in
# BENCHMARKS.md (with the revisions it compared), so the before/after is part of the record.
table() {
  echo "Base \`$BASE\` ($(git rev-parse --short "$BASE")) against the working tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo ' with uncommitted changes')), $(date -u '+%Y-%m-%d %H:%M UTC'):"
  echo
  echo "| sts-mock | logging | instructions per AssumeRoleWithWebIdentity |"
  echo "|---|---|---:|"
  port=9450
  for log in warn info; do
    for which in "base $BASE:$OLD" "working tree:$NEW"; do
      name="${which%%:*}"; bin="${which#*:}"
      a=$(instructions "$bin" $((port++)) "$N1" "$log"); b=$(instructions "$bin" $((port++)) "$N2" "$log")
      echo "| $name | RUST_LOG=$log | $(( (b - a) / (N2 - N1) )) |"
    done
  done
}
table | tee "$WORK/last.md.tmp"
mv "$WORK/last.md.tmp" "$WORK/last.md"
