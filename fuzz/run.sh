#!/usr/bin/env bash
# Bounded fuzzing of every target (opt-in CI step: .ci/run runs this when NSSLINT_FUZZ=1).
#
# cargo-fuzz drives libFuzzer through libfuzzer-sys. There is no nightly toolchain here: the sanitizer
# instrumentation cargo-fuzz asks rustc for takes unstable flags, which the stable compiler accepts with
# RUSTC_BOOTSTRAP=1 (AddressSanitizer for the C parts, zstd's decoder; the Rust parts are checked by Rust's
# own bounds and overflow checks, which the fuzz build turns on).
#
#   NSSLINT_FUZZ_SECONDS   seconds per target (default 120)
#   NSSLINT_FUZZ_TARGETS   targets to run (default: all)
#
# A crash leaves its input under fuzz/artifacts/TARGET/ and fails the run; turn it into a regression test in
# tests/hostile.rs (or the module's own tests) and fix it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${NSSLINT_FUZZ_SECONDS:-120}"
targets="${NSSLINT_FUZZ_TARGETS:-elf buildinfo nsswitch layer image_json cache_entry engine_answer k8s_manifest}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz/run.sh: installing cargo-fuzz (crates.io)" >&2
  cargo install --quiet --locked cargo-fuzz --version "^0.13"
fi

python3 fuzz/seed.py fuzz/corpus
status=0
for target in $targets; do
  if [ ! -d "fuzz/corpus/$target" ]; then
    # libFuzzer refuses a missing corpus directory; a target must start from seeds, not from nothing.
    echo "fuzz/run.sh: no seeds for $target: fuzz/seed.py writes none (add them there)" >&2
    status=1
    continue
  fi
  echo "fuzz/run.sh: $target for ${seconds}s" >&2
  if ! cargo fuzz run --sanitizer address "$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=4194304 \
      -print_final_stats=1 2>"fuzz/$target.log"; then
    echo "fuzz/run.sh: $target FAILED; see fuzz/$target.log and fuzz/artifacts/$target/" >&2
    tail -n 40 "fuzz/$target.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "fuzz/$target.log" | sed "s/^/fuzz\/run.sh: $target: /" >&2 || true
  fi
done
exit "$status"
