#!/usr/bin/env bash
# The fuzzing campaign: builds Fuzz/ (libFuzzer targets over the readers, Swift's
# -sanitize=fuzzer) and runs each target for SECONDS (default 10) from the seed files the tests
# write (Fuzz/seeds/<target>/, re-recorded with WIDESPARSE_RECORD_GOLDEN=1). New corpus units go to
# $WIDESPARSE_FUZZ_DIR (default .build/fuzz, outside git); a crash's input is written there as
# crash-<target>-<hash> and the script exits 1. Turn a crash into a regression test by copying its
# input into Fuzz/regressions/<target>/ (FuzzSeedTests feeds each one to its reader).
#   scripts/fuzz.sh [SECONDS] [TARGET...]       e.g. scripts/fuzz.sh 3600 spec mat   (a longer campaign)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(idx cifar mat svhn csv safetensors masks image spec events); fi
work="${WIDESPARSE_FUZZ_DIR:-$PWD/.build/fuzz}"
mkdir -p "$work"
(cd Fuzz && swift build -c release --sanitize=fuzzer --scratch-path "$PWD/.build")
binary="Fuzz/.build/release/widesparse-fuzz"
failed=0
for target in "${targets[@]}"; do
  corpus="$work/corpus-$target"
  mkdir -p "$corpus"
  inputs=("$corpus" "Fuzz/seeds/$target")
  [ -d "Fuzz/regressions/$target" ] && inputs+=("Fuzz/regressions/$target")
  # Swift's backtracer would catch the trap before libFuzzer saves the input.
  if SWIFT_BACKTRACE=enable=no WIDESPARSE_FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" -rss_limit_mb=4096 \
      -artifact_prefix="$work/crash-$target-" "${inputs[@]}" > "$work/$target.log" 2>&1; then
    echo "fuzz $target: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$work/$target.log" || echo done), no crash"
  else
    echo "fuzz $target: FAILED, see $work/$target.log and $work/crash-$target-*"
    tail -n 30 "$work/$target.log"
    failed=1
  fi
done
exit $failed
