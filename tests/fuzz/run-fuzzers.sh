#!/usr/bin/env bash
# tests/fuzz/run-fuzzers.sh BUILDDIR [SECONDS]
#
# build-aux/check's fuzz step: configures BUILDDIR with clang, ASan and UBSan
# if it is not yet, builds the libFuzzer harnesses only, and runs each for
# SECONDS (default $WS_FUZZ_SECONDS, else 15), WS_FUZZ_JOBS at a time
# (default one a core: six harnesses in 45 s on two), on a copy of its
# seed corpus and regressions: the committed corpus never grows. Prints runs, exec/s and coverage per harness; exits 1
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
jobs=${WS_FUZZ_JOBS:-$(nproc)}

# fuzz_one NAME: one harness on its own copy of the corpus; its report (or
# its failure) goes to $work/NAME.out, and the exit status says which.
fuzz_one () {
  local name=$1 corpus=$work/corpus-$1 log=$work/$1.log dict=() last runs speed cov ft corp
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
      "$name" "$runs" "$seconds" "$speed" "$cov" "$ft" "$corp" >"$work/$name.out"
  else
    {
      echo "fuzz-$name: FAILED; the end of $log:"
      tail -n 60 "$log"
      for f in "$work/artifacts/$name-"*; do
        [ -f "$f" ] && echo "fuzz-$name: input saved as $f; once fixed, keep it as" \
          "tests/fuzz/regressions/$name/<what-it-broke>"
      done
    } >"$work/$name.out"
    return 1
  fi
}

# One harness a core: a harness is single-threaded, and a timeout of 5 s
# is far beyond an input's time even beside another.
mkdir -p "$work"
running=0
for name in $harnesses; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  rm -f "$work/$name.out" "$work/$name.failed"
  { fuzz_one "$name" || touch "$work/$name.failed"; } &
  running=$((running + 1))
done
wait

status=0
for name in $harnesses; do
  if [ -f "$work/$name.failed" ]; then
    status=1
    cat "$work/$name.out" >&2
  else
    cat "$work/$name.out"
  fi
done
exit $status
