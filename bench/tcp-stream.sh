#!/usr/bin/env bash
# TCP_STREAM throughput: wirespeed vs iperf3 on loopback (127.0.0.1).
#
# Starts one wirespeed server and one iperf3 server on free ports, then for
# each case runs ROUNDS rounds of "iperf3 client, wirespeed client" (the
# order alternates every round so neither tool always goes first), with the
# same duration and write size.  Collects the receiver-side bits/s from each
# tool's JSON and prints medians and the wirespeed/iperf3 ratio.  It also
# records the CPU time of the client (from /usr/bin/time) and of the server
# (from /proc/PID/stat) and prints
# CPU-seconds per GB moved on the sending and receiving side, which is much
# less sensitive to other load on the machine than bits/s.
#
# Cases: upload with STREAMS streams each (default "1 4"), then --reverse
# (iperf3 -R) with 1 stream.
#
# Environment:
#   WIRESPEED  wirespeed binary        (default: ../_build/src/wirespeed
#                                       relative to this script)
#   IPERF3     iperf3 binary           (default: iperf3 from PATH)
#   ROUNDS     rounds per case         (default: 5)
#   DURATION   seconds per run         (default: 5)
#   LENGTH     bytes per write, both   (default: 128K)
#   WS_LENGTH  wirespeed --length only (default: $LENGTH; for experiments,
#              the table is no longer like-for-like if it differs)
#   STREAMS    upload stream counts    (default: "1 4")
#   REVERSE    1 = also run the 1-stream reverse case (default: 1)
#   OUTDIR     keep raw JSON and results.tsv here (default: temporary,
#              removed on exit)
#
# Exit status: 0 on success, 1 if any server or run failed.

set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WIRESPEED=${WIRESPEED:-$script_dir/../_build/src/wirespeed}
IPERF3=${IPERF3:-iperf3}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
LENGTH=${LENGTH:-128K}
WS_LENGTH=${WS_LENGTH:-$LENGTH}
STREAMS=${STREAMS:-"1 4"}
REVERSE=${REVERSE:-1}
HOST=127.0.0.1

die() { echo "tcp-stream.sh: $*" >&2; exit 1; }

[[ -x $WIRESPEED ]] || die "wirespeed binary not found: $WIRESPEED (build with ninja -C _build, or set WIRESPEED)"
command -v "$IPERF3" >/dev/null || die "iperf3 not found (apt-get install iperf3, or set IPERF3)"
command -v python3 >/dev/null || die "python3 not found"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a positive integer"

if [[ -n ${OUTDIR:-} ]]; then
    mkdir -p "$OUTDIR"
    workdir=$(cd "$OUTDIR" && pwd)
    keep_workdir=1
else
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/tcp-stream.XXXXXX")
    keep_workdir=0
fi
results=$workdir/results.tsv
: > "$results"

ws_pid=""
ip_pid=""
server_pid=""
server_port=""

cleanup() {
    # A server still being started by start_server.
    if [[ -n $server_pid && $server_pid != "$ws_pid" && $server_pid != "$ip_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
    fi
    # wirespeed stops cleanly on SIGINT; iperf3 on SIGTERM.
    if [[ -n $ws_pid ]]; then kill -INT "$ws_pid" 2>/dev/null || true; fi
    if [[ -n $ip_pid ]]; then kill -TERM "$ip_pid" 2>/dev/null || true; fi
    if [[ -n $ws_pid ]]; then wait "$ws_pid" 2>/dev/null || true; fi
    if [[ -n $ip_pid ]]; then wait "$ip_pid" 2>/dev/null || true; fi
    if (( ! keep_workdir )); then rm -rf "$workdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Print a TCP port that is free on 127.0.0.1 now.  It is picked below the
# kernel's ephemeral range so that outgoing connections from other programs
# (loopback tests, say) are unlikely to take it before our server binds it.
free_port() {
    python3 - <<'EOF'
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randrange(10000, max(lo, 10001))
    try:
        socket.create_server(("127.0.0.1", port)).close()
    except OSError:
        continue
    print(port)
    break
else:
    raise SystemExit("no free port found")
EOF
}

# wait_listening PID LOGFILE: wait up to 10 s for "listening" in LOGFILE.
# Fails if the process exits or never says it listens.
wait_listening() {
    local pid=$1 log=$2 i
    for (( i = 0; i < 100; i++ )); do
        grep -qi listening "$log" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# start_server NAME COMMAND... ("@PORT@" in COMMAND is replaced by the port)
# Sets server_pid and server_port.  Retries with another port if the first
# choice was taken in the meantime.
start_server() {
    local name=$1 attempt log=$workdir/$1-server.log
    shift
    local -a cmd
    for (( attempt = 1; attempt <= 5; attempt++ )); do
        server_port=$(free_port)
        cmd=("${@//@PORT@/$server_port}")
        "${cmd[@]}" > "$log" 2>&1 &
        server_pid=$!
        if wait_listening "$server_pid" "$log"; then
            return 0
        fi
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        echo "$name server on port $server_port failed (attempt $attempt):" >&2
        cat "$log" >&2
    done
    die "could not start the $name server"
}

# CPU time (user + system) used so far by process PID, in clock ticks.
proc_cpu_ticks() {
    local stat fields
    stat=$(< "/proc/$1/stat")
    # Drop "pid (comm) " so that field 3 (state) is fields[0]; utime and
    # stime are fields 14 and 15.
    read -ra fields <<< "${stat##*) }"
    echo $(( fields[11] + fields[12] ))
}
clk_tck=$(getconf CLK_TCK)

start_server wirespeed "$WIRESPEED" --server --bind "$HOST" --port @PORT@
ws_pid=$server_pid ws_port=$server_port
# --forceflush: iperf3 block-buffers stdout into a file otherwise.
start_server iperf3 "$IPERF3" -s -B "$HOST" -p @PORT@ --forceflush
ip_pid=$server_pid ip_port=$server_port

# A run that hangs must not hang the benchmark.
run_timeout=$(( DURATION + 30 ))

# json_result TOOL REVERSE FILE: print receiver bits/s and receiver bytes.
json_result() {
    python3 - "$@" <<'EOF'
import json, sys
tool, reverse, path = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
with open(path) as f:
    d = json.load(f)
if tool == "iperf3":
    if "error" in d:
        sys.exit("iperf3 error: " + d["error"])
    bps = d["end"]["sum_received"]["bits_per_second"]
    nbytes = d["end"]["sum_received"]["bytes"]
else:
    if d.get("interrupted"):
        sys.exit("wirespeed run was interrupted")
    direction = "download" if reverse else "upload"
    bps = d["summary"][direction + "_bps"]
    nbytes = d["summary"][direction + "_bytes"]
if not bps or bps <= 0:
    sys.exit("no receiver bits/s in " + path)
print(repr(float(bps)), int(nbytes))
EOF
}

# run_one TOOL STREAMS REVERSE ROUND
# Prints: receiver_bps receiver_bytes client_cpu_s server_cpu_s
run_one() {
    local tool=$1 streams=$2 reverse=$3 round=$4
    local tag server_pid
    tag=$tool-P$streams$( (( reverse )) && echo -R )-r$round
    local out=$workdir/$tag.json err=$workdir/$tag.err cpu=$workdir/$tag.cpu
    local -a cmd
    if [[ $tool == iperf3 ]]; then
        server_pid=$ip_pid
        cmd=("$IPERF3" -c "$HOST" -p "$ip_port" -t "$DURATION" -P "$streams"
             -l "$LENGTH" -J)
        (( reverse )) && cmd+=(-R)
    else
        server_pid=$ws_pid
        cmd=("$WIRESPEED" --client --target "$HOST" --port "$ws_port"
             --time "$DURATION" --streams "$streams" --length "$WS_LENGTH"
             --json)
        (( reverse )) && cmd+=(--reverse)
    fi

    local rc=0 ticks0 ticks1 result
    ticks0=$(proc_cpu_ticks "$server_pid")
    timeout "$run_timeout" /usr/bin/time -f '%U %S' -o "$cpu" \
        "${cmd[@]}" > "$out" 2> "$err" || rc=$?
    ticks1=$(proc_cpu_ticks "$server_pid")
    if (( rc != 0 )); then
        echo "FAILED (exit $rc): ${cmd[*]}" >&2
        cat "$err" "$out" >&2
        return 1
    fi
    result=$(json_result "$tool" "$reverse" "$out") \
        || { echo "in: ${cmd[*]}" >&2; return 1; }
    local user sys
    read -r user sys < "$cpu"
    echo "$result" \
        "$(python3 -c "print($user + $sys)")" \
        "$(python3 -c "print(($ticks1 - $ticks0) / $clk_tck)")"
}

# run_case STREAMS REVERSE LABEL
run_case() {
    local streams=$1 reverse=$2 label=$3 round ip ws
    for (( round = 1; round <= ROUNDS; round++ )); do
        if (( round % 2 )); then
            ip=$(run_one iperf3 "$streams" "$reverse" "$round")
            ws=$(run_one wirespeed "$streams" "$reverse" "$round")
        else
            ws=$(run_one wirespeed "$streams" "$reverse" "$round")
            ip=$(run_one iperf3 "$streams" "$reverse" "$round")
        fi
        # label streams round, then per tool: bps bytes client_cpu server_cpu
        printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$streams" "$round" \
            "${ip// /$'\t'}" "${ws// /$'\t'}" >> "$results"
        python3 -c '
import sys
label, streams, rnd, rounds = sys.argv[1:5]
ip, ws = float(sys.argv[5].split()[0]), float(sys.argv[6].split()[0])
print(f"  {label:<8} streams={streams} round {rnd}/{rounds}: "
      f"iperf3 {ip/1e9:6.2f}  wirespeed {ws/1e9:6.2f} Gbit/s  ratio {ws/ip:.3f}")
' "$label" "$streams" "$round" "$ROUNDS" "$ip" "$ws" >&2
    done
}

echo "wirespeed: $WIRESPEED" >&2
echo "iperf3:    $(command -v "$IPERF3") ($("$IPERF3" --version | head -n1))" >&2
echo "loopback $HOST, rounds=$ROUNDS duration=${DURATION}s length=$LENGTH" \
     "(wirespeed --length $WS_LENGTH), ports wirespeed=$ws_port iperf3=$ip_port" >&2

for s in $STREAMS; do
    run_case "$s" 0 upload
done
if (( REVERSE )); then
    run_case 1 1 reverse
fi

python3 - "$results" <<'EOF'
import statistics, sys
med = statistics.median
cases = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) != 11:
        continue
    cases.setdefault((f[0], int(f[1])), []).append([float(x) for x in f[3:]])

print()
print("Receiver throughput, Gbit/s (medians over rounds); "
      "ratio = median of per-round wirespeed/iperf3")
print(f"{'direction':<9} {'streams':>7} {'iperf3':>8} {'wirespeed':>9} "
      f"{'ratio':>6} {'min':>6} {'max':>6}")
for (label, streams), runs in cases.items():
    ip = [r[0] for r in runs]
    ws = [r[4] for r in runs]
    ratios = [w / i for w, i in zip(ws, ip)]
    print(f"{label:<9} {streams:>7} {med(ip)/1e9:>8.2f} {med(ws)/1e9:>9.2f} "
          f"{med(ratios):>6.3f} {min(ratios):>6.3f} {max(ratios):>6.3f}")

print()
print("CPU seconds per GB received (user+sys, medians over rounds); "
      "lower is better")
print(f"{'direction':<9} {'streams':>7} {'iperf3 snd':>10} {'rcv':>6} "
      f"{'wirespeed snd':>13} {'rcv':>6}")
for (label, streams), runs in cases.items():
    def per_gb(off):
        # off: 0 = iperf3, 4 = wirespeed; client is the sender on upload.
        snd, rcv = (2, 3) if label == "upload" else (3, 2)
        gb = [r[off + 1] / 1e9 for r in runs]
        return (med([r[off + snd] / g for r, g in zip(runs, gb)]),
                med([r[off + rcv] / g for r, g in zip(runs, gb)]))
    ips, ipr = per_gb(0)
    wss, wsr = per_gb(4)
    print(f"{label:<9} {streams:>7} {ips:>10.3f} {ipr:>6.3f} "
          f"{wss:>13.3f} {wsr:>6.3f}")
EOF

if (( keep_workdir )); then
    echo "raw JSON and results.tsv kept in $workdir" >&2
fi
