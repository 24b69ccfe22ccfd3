#!/usr/bin/env bash
# Runs fuzz targets for a bounded time each, JOBS at a time, from their committed seeds
# (fuzz/seeds/<target>) and dictionary (fuzz/dicts/), and fails if any of them found a crash.
# `make fuzz` and `make fuzz-short` (part of `make test`) call it after one `cargo fuzz build`
# of every target; see fuzz/README.md.
#
#   fuzz/run.sh SECONDS JOBS TARGET...
#
# The fuzzers run the built binaries directly (as `cargo fuzz run` does after building), so two
# can run at once without two cargo processes fighting over the target directory's lock. What a
# run learns goes to build/fuzz/corpus/<target> (kept between runs, never committed: the seeds
# stay small and reviewable); a crashing input goes to build/fuzz/artifacts/<target>/.
set -u

seconds=$1 jobs=$2
shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
bins=${FUZZ_TARGET_DIR:-$repo/fuzz/target}/x86_64-unknown-linux-gnu/release
out=$repo/build/fuzz
mkdir -p "$out/logs"

# The dictionary of each target (the formats' words; fuzz/seeds.py writes them).
dict_of() {
  case $1 in
    iam_policy) echo iam_policy ;;
    dt_policy) echo dt_policy ;;
    query_shape) echo query_shape ;;
    sigv4) echo sigv4 ;;
    sts_http | issuer_http) echo http ;;
    sts_setup | issuer_setup) echo toml ;;
    jwks | mint | rest_json | sts_state) echo json ;;
    *) echo "" ;;
  esac
}

run_one() {
  local target=$1 dict
  dict=$(dict_of "$target")
  mkdir -p "$out/corpus/$target" "$out/artifacts/$target"
  # -rss_limit_mb: the servers' worlds grow as the fuzzer creates roles and policies; a leak
  # beyond this is a finding too. -timeout: one input taking longer than 10 s is a hang.
  "$bins/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$target/" \
    ${dict:+-dict="$repo/fuzz/dicts/$dict.dict"} \
    "$out/corpus/$target" "$repo/fuzz/seeds/$target" \
    >"$out/logs/$target.log" 2>&1
  local rc=$?
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/logs/$target.log" | grep -o '[0-9]*$')
  if [ $rc -eq 0 ]; then
    echo "fuzz $target: ok, ${execs:-?} inputs in ${seconds}s"
  else
    echo "fuzz $target: FAILED (exit $rc); the log's tail ($out/logs/$target.log):"
    tail -n 40 "$out/logs/$target.log" | sed 's/^/    /'
    echo "    reproduce: make fuzz-repro TARGET=$target INPUT=<an artifact in $out/artifacts/$target/>"
  fi
  return $rc
}

for target in "$@"; do
  [ -x "$bins/$target" ] || { echo "fuzz: $bins/$target is not built (make fuzz-build)" >&2; exit 2; }
done

failed=0
running=()
for target in "$@"; do
  run_one "$target" &
  running+=($!)
  if [ ${#running[@]} -ge "$jobs" ]; then
    wait "${running[0]}" || failed=1
    running=("${running[@]:1}")
  fi
done
for pid in "${running[@]}"; do
  wait "$pid" || failed=1
done
exit $failed
