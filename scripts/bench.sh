#!/usr/bin/env bash
# `make bench`: install the load generator and the tools we compare against (idempotently,
# under build/ where possible), build our release binaries, then run bench/harness.py, which
# measures everything side by side and writes BENCHMARKS.md.
#
# Knobs (environment):
#   BENCH_DURATION   seconds per load run (default 10; use 2 for a quick check)
#   BENCH_STARTUP_RUNS  start-up samples per server (default 5)
#   BENCH_OUT        report path (default BENCHMARKS.md at the repo root)
#   STS_ROLE_ARN     the role in sts-mock's built-in default scenario
#   BENCH_NO_CRITERION=1  skip the policy engine's criterion bench
#   BENCH_WAIT_QUIET seconds to wait for a busy machine to go idle first (default 120)
#   BENCH_SOAK_REQUESTS  AssumeRoleWithWebIdentity + GetCallerIdentity pairs in the soak (1000000)
#   BENCH_FLAP_REQUESTS  pairs in the soak with the JWKS flapping (100000)
# All traffic goes to 127.0.0.1; every run is bounded in time; every server is stopped on exit.
set -euo pipefail

# The role whose trust policy admits sub = dtid:connection/my-connection in sts-mock's
# built-in default scenario.
STS_ROLE_ARN="${STS_ROLE_ARN:-arn:aws:iam::000000000000:role/dynatrace-aws-connector}"
ISSUER_URL="${ISSUER_URL:-https://token.dynatrace.com}"
BENCH_DURATION="${BENCH_DURATION:-10}"
BENCH_STARTUP_RUNS="${BENCH_STARTUP_RUNS:-5}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="$ROOT/build"
VENV="$BUILD/bench-venv"
NODE_PREFIX="$BUILD/node"
OUT="${BENCH_OUT:-$ROOT/BENCHMARKS.md}"
CARGO="${CARGO:-cargo}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
mkdir -p "$BUILD/bench"

# The commands this script runs, handed to the harness for the report's "exact commands".
COMMANDS=()
say() { echo "[bench] $*" >&2; }
run() {
    COMMANDS+=("$*")
    say "\$ $*"
    "$@"
}

# The harness owns the servers it starts and stops them when it gets SIGTERM/SIGINT;
# if this script is stopped, it passes that on.
HARNESS_PID=""
cleanup() {
    if [ -n "$HARNESS_PID" ]; then kill -TERM "$HARNESS_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    # apt-get update only when the package is not known to the local index yet.
    apt-cache show "$1" >/dev/null 2>&1 || run as_root apt-get update -q
    run as_root apt-get install -y -q "$1"
}

# --- load generator: wrk (Debian)
command -v wrk >/dev/null || apt_install wrk

# --- openssl (the signing ceiling)
command -v openssl >/dev/null || apt_install openssl

# --- valgrind (the instruction breakdown of the full path)
command -v valgrind >/dev/null || apt_install valgrind || true
VALGRIND_ARGS=()
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null && VALGRIND_ARGS=(--valgrind)

# --- Node.js + the npm peers (oauth2-mock-server, @cloud-copilot/iam-simulate), pinned by
# bench/node/package-lock.json and installed with `npm ci` under build/node
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs
    command -v npm >/dev/null || apt_install npm
fi
mkdir -p "$NODE_PREFIX"
if ! cmp -s bench/node/package-lock.json "$NODE_PREFIX/package-lock.json" \
    || [ ! -d "$NODE_PREFIX/node_modules/@cloud-copilot/iam-simulate" ]; then
    cp bench/node/package.json bench/node/package-lock.json "$NODE_PREFIX/"
    (cd "$NODE_PREFIX" && run npm ci --silent --no-audit --no-fund)
fi
OAUTH2_ENTRY="$NODE_PREFIX/node_modules/oauth2-mock-server/dist/oauth2-mock-server.mjs"
# --- moto's server (PyPI), in its own venv under build/
if [ ! -x "$VENV/bin/moto_server" ]; then
    python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
    run "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]'
fi

# --- perf, for profiling any missed target (optional: the report says if it is unusable)
PERF_ARGS=(--perf-reason "")
if ! command -v perf >/dev/null; then
    apt_install linux-perf >/dev/null 2>&1 || true
fi
if command -v perf >/dev/null && perf stat -e instructions true >/dev/null 2>&1 \
    && perf stat -e task-clock true >/dev/null 2>&1; then
    PERF_ARGS=(--perf)
else
    PERF_ARGS=(--perf-reason "\`perf stat -e instructions true\` fails (no perf, or perf_event_paranoid/container limits)")
fi

# --- our release binaries
run "$CARGO" build --release --workspace --bins
ISSUER_BIN="$TARGET_DIR/release/issuer"
STS_BIN="$TARGET_DIR/release/sts-mock"
ISSUER_SKIP=""
STS_SKIP=""
[ -x "$ISSUER_BIN" ] || ISSUER_SKIP="no issuer binary at $ISSUER_BIN after the release build (the issuer crate has no [[bin]] yet)"
[ -x "$STS_BIN" ] || STS_SKIP="no sts-mock binary at $STS_BIN after the release build (the sts-mock crate has no [[bin]] yet: the STS work has not landed on this branch)"
[ -z "$ISSUER_SKIP" ] || say "SKIP issuer: $ISSUER_SKIP"
[ -z "$STS_SKIP" ] || say "SKIP sts-mock: $STS_SKIP"

EXTRA=()
[ "${BENCH_NO_CRITERION:-0}" = 1 ] && EXTRA+=(--no-criterion)

# Every step inside the harness is bounded in time on its own (wrk -d, subprocess timeouts).
HARNESS=(python3 "$ROOT/bench/harness.py"
    --repo "$ROOT"
    --issuer-bin "$ISSUER_BIN" --issuer-skip-reason "$ISSUER_SKIP"
    --sts-bin "$STS_BIN" --sts-skip-reason "$STS_SKIP"
    --moto-bin "$VENV/bin/moto_server"
    --oauth2-entry "$OAUTH2_ENTRY"
    --role-arn "$STS_ROLE_ARN" --issuer-url "$ISSUER_URL"
    --duration "$BENCH_DURATION" --startup-runs "$BENCH_STARTUP_RUNS"
    --wait-quiet "${BENCH_WAIT_QUIET:-120}"
    --cargo "$CARGO" "${PERF_ARGS[@]}" "${VALGRIND_ARGS[@]}" "${EXTRA[@]}"
    --target-dir "$TARGET_DIR" --node-dir "$NODE_PREFIX"
    --loadgen-bin "$TARGET_DIR/release/loadgen" --policy-bench-bin "$TARGET_DIR/release/policy-bench"
    --soak-requests "${BENCH_SOAK_REQUESTS:-1000000}" --flap-requests "${BENCH_FLAP_REQUESTS:-100000}"
    --out "$OUT")
COMMANDS+=("$(printf '%q ' "${HARNESS[@]}")")
"${HARNESS[@]}" --commands-prefix "${COMMANDS[@]}" &
HARNESS_PID=$!
status=0
wait "$HARNESS_PID" || status=$?
HARNESS_PID=""
exit "$status"
