#!/usr/bin/env bash
# UDP_STREAM: the highest datagram rate each tool carries at < 1 % loss on
# loopback, wirespeed (with GSO/GRO, and with --no-gso) against
# `iperf3 -u -w 4M`, side by side in one run.
#
# For each rate of a ladder (×1.25 from START), each tool runs once, in an
# order that rotates every step; a tool leaves the ladder after two runs in
# a row at ≥ 1 % loss. Its figure is the highest received datagrams/s of
# a run under 1 % loss. Ratios are wirespeed / iperf3 from the same run of
# this script: the machine's load moves both.
#
# Environment: WIRESPEED (default ../_build/src/wirespeed), IPERF3
# (iperf3), DURATION (3 s per run), START (200M bit/s), LENGTH (1448),
# OUTDIR (keep results.tsv there).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WIRESPEED=${WIRESPEED:-$script_dir/../_build/src/wirespeed}
IPERF3=${IPERF3:-iperf3}
DURATION=${DURATION:-3}
START=${START:-200000000}
LENGTH=${LENGTH:-1448}
HOST=127.0.0.1

die() { echo "udp-stream.sh: $*" >&2; exit 1; }
[[ -x $WIRESPEED ]] || die "wirespeed binary not found: $WIRESPEED (ninja -C _build, or set WIRESPEED)"
command -v "$IPERF3" >/dev/null || die "iperf3 not found (apt-get install iperf3)"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/udp-stream.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$workdir"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ws_port=$(free_port); ip_port=$(free_port)
"$WIRESPEED" --server -p "$ws_port" >/dev/null 2>&1 & pids+=($!)
"$IPERF3" -s -p "$ip_port" >/dev/null 2>&1 & pids+=($!)
sleep 0.5

# run TOOL RATE: prints "received_pps loss_percent"
run() {
  local tool=$1 rate=$2 out=$workdir/out.json
  case $tool in
    wirespeed) "$WIRESPEED" --client -t $HOST -p "$ws_port" --test UDP_STREAM --bitrate "$rate" \
                 --length "$LENGTH" --time "$DURATION" --no-latency --json >"$out" ;;
    wirespeed-no-gso) "$WIRESPEED" --client -t $HOST -p "$ws_port" --test UDP_STREAM --bitrate "$rate" \
                 --length "$LENGTH" --time "$DURATION" --no-latency --no-gso --json >"$out" ;;
    iperf3) "$IPERF3" -c $HOST -p "$ip_port" -u -b "$rate" -l "$LENGTH" -w 4M -t "$DURATION" -J >"$out" ;;
  esac
  python3 - "$tool" "$out" "$DURATION" <<'PY'
import json, sys
tool, path, duration = sys.argv[1], sys.argv[2], float(sys.argv[3])
d = json.load(open(path))
if tool == "iperf3":
    s = d["end"]["sum"]
    received = s["packets"] - s["lost_packets"]
    print(received / s["seconds"], s["lost_percent"])
else:
    s = d["summary"]
    print(s["packets_received"] / d["elapsed_s"] if "elapsed_s" in d else s["packets_received"] / duration,
          s["loss_percent"])
PY
}

tools=(wirespeed wirespeed-no-gso iperf3)
declare -A best fails
for t in "${tools[@]}"; do best[$t]=0; fails[$t]=0; done
rate=$START step=0
echo -e "tool\trate_bps\treceived_pps\tloss_percent" >"$workdir/results.tsv"
while :; do
  active=0
  for i in 0 1 2; do
    t=${tools[$(( (i + step) % 3 ))]}
    (( fails[$t] >= 2 )) && continue
    active=1
    read -r pps loss < <(run "$t" "$rate") || die "$t failed at $rate bit/s"
    echo -e "$t\t$rate\t$pps\t$loss" >>"$workdir/results.tsv"
    printf '%-17s %6.2f Gbit/s offered: %9.0f datagrams/s, %5.2f %% lost\n' "$t" "$(python3 -c "print($rate / 1e9)")" "$pps" "$loss" >&2
    if python3 -c "import sys; sys.exit(0 if float('$loss') < 1 else 1)"; then
      fails[$t]=0
      best[$t]=$(python3 -c "print(max(float('${best[$t]}'), float('$pps')))")
    else
      fails[$t]=$(( fails[$t] + 1 ))
    fi
  done
  (( active )) || break
  rate=$(python3 -c "print(int($rate * 1.25))"); step=$((step + 1))
done

echo "highest datagram rate at < 1 % loss, $LENGTH-byte datagrams, $DURATION s runs:"
for t in "${tools[@]}"; do printf '  %-17s %10.0f datagrams/s\n' "$t" "${best[$t]}"; done
python3 -c "
b = {'ws': float('${best[wirespeed]}'), 'plain': float('${best[wirespeed-no-gso]}'), 'ip': float('${best[iperf3]}')}
print('  ratio wirespeed / iperf3:          %.2f' % (b['ws'] / b['ip']))
print('  ratio wirespeed --no-gso / iperf3: %.2f' % (b['plain'] / b['ip']))"
[[ -n ${OUTDIR:-} ]] && { mkdir -p "$OUTDIR"; cp "$workdir/results.tsv" "$OUTDIR/"; }
exit 0
