#!/usr/bin/env bash
# The GUI's main-loop gaps: how long the window goes without running its
# main loop while it works (issue 16). A gap is the time between two ticks
# of a 10 ms timeout less the time the kernel kept the main thread waiting
# for a CPU (tests/ws-gap-meter.h): 10 ms and a little is an idle loop.
#
# Runs the GUI test's measured cases RUNS times under xvfb-run, as meson's
# gui suite runs them (GSK_RENDERER=cairo, X11, no GL), and prints for each
# case the median over runs of its p50, p99 and max gap, with the range of
# the max, the ticks measured; then p99 and max with the X server's waits
# for a CPU left in ("with X"), the longest gap with nothing taken off
# ("wall max"); and the load of the machine while it ran:
#   tcp-stream      a 2 s TCP test, until its result is stored and listed
#   speed           a speed test (idle latency, download, upload)
#   history-fill    2,000 results more in the History page: listed, scrolled
#                   to the end, units changed twice
#   long-result     a result of 36,000 intervals (an hour of 100 ms) opened
#                   from the history, drawn, drawn again in other units
#
# Environment:
#   BUILD   build directory  (default: ../_build relative to this script)
#   RUNS    runs             (default: 5)
#   OUTDIR  keep each run's TAP output here (default: temporary, removed)
#
# Here the bounds are issue 16's (p99 < 16 ms, max < 33 ms:
# WS_TEST_GAP_STRICT=1); the suite itself only catches stalls (100 and
# 250 ms), which a loaded CI machine cannot break. Each case runs once a
# run (WS_TEST_GAP_ATTEMPTS=1), so a retry never hides a slow one.
#
# Exit status: 0 when every run measured every case; a broken bound is
# reported, not an error here.

set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${BUILD:-$script_dir/../_build}
RUNS=${RUNS:-5}
CASES=(/gui/server-switch /gui/tcp-stream /gui/speed /gui/history-fill /gui/long-result)

die() { echo "gui-gap.sh: $*" >&2; exit 1; }

test_gui=$BUILD/tests/test-gui
[[ -x $test_gui ]] || die "$test_gui not found (ninja -C $BUILD, or set BUILD)"
command -v xvfb-run >/dev/null || die "xvfb-run not found (Debian package xvfb)"
command -v dbus-run-session >/dev/null || die "dbus-run-session not found (Debian package dbus)"
command -v python3 >/dev/null || die "python3 not found"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"

if [[ -n ${OUTDIR:-} ]]; then
    mkdir -p "$OUTDIR"
    workdir=$(cd "$OUTDIR" && pwd)
    keep=1
else
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/gui-gap.XXXXXX")
    keep=0
fi
cleanup() { if (( ! keep )); then rm -rf "$workdir"; fi; }
trap cleanup EXIT

# Busy share of both CPUs between two reads of /proc/stat's cpu line.
cpu_ticks() { awk '/^cpu /{ print $2+$3+$4+$6+$7+$8, $5 }' /proc/stat; }

paths=()
for c in "${CASES[@]}"; do paths+=(-p "$c"); done
: > "$workdir/gaps.txt"
: > "$workdir/load.tsv"

for (( run = 1; run <= RUNS; run++ )); do
    read -r busy0 idle0 < <(cpu_ticks)
    load0=$(cut -d' ' -f1 /proc/loadavg)
    status=0
    env WS_TEST_GAP_ATTEMPTS=1 WS_TEST_GAP_STRICT=1 GDK_BACKEND=x11 GSK_RENDERER=cairo GDK_DEBUG=gl-disable GTK_USE_PORTAL=0 \
        NO_AT_BRIDGE=1 GTK_A11Y=none LC_ALL=C.UTF-8 G_DEBUG=gc-friendly,fatal-criticals \
        GSETTINGS_SCHEMA_DIR="$BUILD/data" WS_TEST_SRCDIR="$script_dir/../tests" \
        WS_TEST_OUTDIR="$workdir" WIRESPEED="$BUILD/src/wirespeed" \
        xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- \
        "$test_gui" --tap --keep-going "${paths[@]}" > "$workdir/run-$run.tap" 2> "$workdir/run-$run.err" \
        || status=$?
    read -r busy1 idle1 < <(cpu_ticks)
    load1=$(cut -d' ' -f1 /proc/loadavg)
    busy=$(( 100 * (busy1 - busy0) / (busy1 - busy0 + idle1 - idle0 + 1) ))
    echo "run $run: exit $status, load average $load0 → $load1, CPUs ${busy}% busy" >&2
    printf 'load\t%s\t%s\t%s\n' "$load0" "$load1" "$busy" >> "$workdir/load.tsv"
    grep '^# gap ' "$workdir/run-$run.tap" | sed "s/^/run $run /" >> "$workdir/gaps.txt" || true
    grep '^not ok' "$workdir/run-$run.tap" >&2 || true
done

python3 - "$workdir/gaps.txt" "$workdir/load.tsv" "$RUNS" <<'EOF'
import re, statistics, sys
gaps, loads, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
rx = re.compile(r'^run (\d+) # gap ([^:]+): p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms; (\d+) ticks'
                r' \(the longest ([\d.]+) ms with the waits for a CPU, ([\d.]+) ms with the X server.s;'
                r' p99 ([\d.]+) ms with it\)')
cases, seen = {}, set()
for line in open(gaps):
    m = rx.match(line)
    if m:
        name = m.group(2).split(' (')[0]
        # The first attempt of each run: a retry is the test's, not a sample.
        if (m.group(1), name) in seen:
            continue
        seen.add((m.group(1), name))
        cases.setdefault(name, []).append(tuple(float(m.group(i)) for i in (3, 4, 5, 6, 7, 8, 9)))
med = statistics.median
print(f"{'case':<14} {'runs':>4} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'max range ms':>14} {'ticks':>6}"
      f" {'with X: p99':>11} {'max':>6} {'wall max':>9}")
missing = False
for name in ('tcp-stream', 'speed', 'history-fill', 'long-result'):
    v = cases.get(name, [])
    if len(v) < runs:
        missing = True
    if not v:
        print(f"{name:<14} {0:>4}   (no measurement)")
        continue
    mx = [x[2] for x in v]
    print(f"{name:<14} {len(v):>4} {med(x[0] for x in v):>7.1f} {med(x[1] for x in v):>7.1f} "
          f"{med(mx):>7.1f} {min(mx):>6.1f}–{max(mx):<7.1f} {med(x[3] for x in v):>6.0f}"
          f" {med(x[6] for x in v):>11.1f} {med(x[5] for x in v):>6.1f} {med(x[4] for x in v):>9.1f}")
l = [line.split('\t') for line in open(loads)]
print(f"load average at the start of each run: {', '.join(x[1] for x in l)}; "
      f"CPUs busy during each run: {', '.join(x[3].strip() + '%' for x in l)}")
sys.exit(1 if missing else 0)
EOF
