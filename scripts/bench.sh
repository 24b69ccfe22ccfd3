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
# All traffic goes to 127.0.0.1; every run is bounded in time; every server is stopped on exit.
set -euo pipefail

# The role whose trust policy admits sub = dtid:connection/my-connection in sts-mock's
# built-in default scenario.
STS_ROLE_ARN="${STS_ROLE_ARN:-arn:aws:iam::000000000000:role/dynatrace-aws-connector}"
ISSUER_URL="${ISSUER_URL:-https://token.dynatrace.com}"
BENCH_DURATION="${BENCH_DURATION:-10}"
BENCH_STARTUP_RUNS="${BENCH_STARTUP_RUNS:-5}"
OAUTH2_MOCK_SERVER_VERSION="9"

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

# --- Node.js + oauth2-mock-server (npm), under build/node
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs
    command -v npm >/dev/null || apt_install npm
fi
OAUTH2_ENTRY="$NODE_PREFIX/node_modules/oauth2-mock-server/dist/oauth2-mock-server.mjs"
if [ ! -f "$OAUTH2_ENTRY" ]; then
    run npm install --silent --no-audit --no-fund --prefix "$NODE_PREFIX" \
        "oauth2-mock-server@$OAUTH2_MOCK_SERVER_VERSION"
fi
if [ ! -f "$OAUTH2_ENTRY" ]; then
    # Its CLI entry is the package's `bin`; ask package.json rather than guess.
    OAUTH2_ENTRY="$NODE_PREFIX/node_modules/oauth2-mock-server/$(node -p \
        "const b=require('$NODE_PREFIX/node_modules/oauth2-mock-server/package.json').bin; \
         typeof b==='string'?b:Object.values(b)[0]")"
fi

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
    --cargo "$CARGO" "${PERF_ARGS[@]}" "${EXTRA[@]}"
    --out "$OUT")
COMMANDS+=("$(printf '%q ' "${HARNESS[@]}")")
"${HARNESS[@]}" --commands-prefix "${COMMANDS[@]}" &
HARNESS_PID=$!
status=0
wait "$HARNESS_PID" || status=$?
HARNESS_PID=""
exit "$status"
