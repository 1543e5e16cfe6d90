#!/usr/bin/env bash
# tests/fuzz/run-fuzzers.sh BUILDDIR [SECONDS]
#
# build-aux/check's fuzz step: configures BUILDDIR with clang, ASan and UBSan
# if it is not yet, builds the libFuzzer harnesses only, and runs each for
# SECONDS (default $WS_FUZZ_SECONDS, else 15: six harnesses in 90 s) on
# one core, on a copy of its seed corpus and regressions: the committed
# corpus never grows. Prints runs, exec/s and coverage per harness; exits 1
# on any crash, leak, timeout or failed oracle, naming the input to save in tests/fuzz/regressions/NAME/.
set -euo pipefail

builddir=$1
seconds=${2:-${WS_FUZZ_SECONDS:-15}}
src=$(cd "$(dirname "$0")" && pwd)
harnesses="control udp result-json iperf3 http report"

if [ ! -f "$builddir/build.ninja" ]; then
  # b_lundef: clang cannot check undefined symbols of sanitized libraries.
  CC=clang meson setup "$builddir" "$src/../.." \
    -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=enabled >&2
fi
targets=""
for name in $harnesses; do
  targets="$targets tests/fuzz/fuzz-$name"
done
# shellcheck disable=SC2086 # one target per word
meson compile -C "$builddir" $targets >&2

work=$builddir/tests/fuzz/run
status=0
for name in $harnesses; do
  corpus=$work/corpus-$name
  log=$work/$name.log
  dict=()
  rm -rf "$corpus" "$work/artifacts/$name-"*
  mkdir -p "$corpus" "$work/artifacts"
  cp -R "$src/corpus/$name/." "$corpus/"
  # Past crashes are good seeds: they sit where bugs were.
  if [ -d "$src/regressions/$name" ]; then
    for f in "$src/regressions/$name"/*; do
      [ -f "$f" ] && cp "$f" "$corpus/regression-$(basename "$f")"
    done
  fi
  [ -f "$src/$name.dict" ] && dict=(-dict="$src/$name.dict")

  # G_SLICE: GLib 2.74's slice allocator would hide overflows from ASan.
  if G_SLICE=always-malloc LC_ALL=C.UTF-8 \
     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     "$builddir/tests/fuzz/fuzz-$name" "${dict[@]}" \
       -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$work/artifacts/$name-" \
       "$corpus" >"$log" 2>&1; then
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.*corp: \([^ ]*\).*/\1/p')
    printf 'fuzz-%-12s %8s runs in %ss  %6s exec/s  cov %s  ft %s  corpus %s\n' \
      "$name" "$runs" "$seconds" "$speed" "$cov" "$ft" "$corp"
  else
    status=1
    echo "fuzz-$name: FAILED; the end of $log:" >&2
    tail -n 60 "$log" >&2
    for f in "$work/artifacts/$name-"*; do
      [ -f "$f" ] && echo "fuzz-$name: input saved as $f; once fixed, keep it as" \
        "tests/fuzz/regressions/$name/<what-it-broke>" >&2
    done
  fi
done
exit $status
