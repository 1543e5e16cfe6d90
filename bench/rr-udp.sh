#!/usr/bin/env bash
# Request/response and UDP packet rate: wirespeed vs sockperf, qperf and
# iperf3 on loopback (127.0.0.1).
#
# Cases (CASES, default "tcp_rr udp_rr udp_stream"):
#
#   tcp_rr      wirespeed --test TCP_RR --rr-size S,S   (S = TCP_SIZE, 14)
#               vs sockperf ping-pong --tcp -m S  and  qperf -m S tcp_lat
#   udp_rr      wirespeed --test UDP_RR --rr-size S,S   (S = UDP_SIZE, 24)
#               vs sockperf ping-pong -m S        and  qperf -m S udp_lat
#   udp_stream  wirespeed --test UDP_STREAM --length L  (L = UDP_LENGTH, 1448)
#               vs iperf3 -u -l L, once per IPERF3_UDP_WINDOWS entry
#               ("default" = iperf3's own socket buffers, "4M" = -w 4M)
#
# Every case runs ROUNDS rounds.  In each round every tool runs once, in an
# order that alternates between rounds (odd: other1 wirespeed other2, even:
# other2 wirespeed other1), so each pair alternates who goes first and
# wirespeed always runs next to each tool it is compared with.  The ratio
# of a pair is the median, min and max of the per-round ratios
# wirespeed/other.
#
# Request/response rates are full round trips per second for every tool:
#   wirespeed  summary.transactions_per_s (full RTTs, never halved);
#   sockperf   ReceivedMessages / RunTime of its "[Valid Duration]" line
#              (each received message is one completed round trip; the
#              400 ms warm-up and the tail are outside the valid window);
#   qperf      1 / (2 x latency): qperf prints half the round trip.
# The mean RTT is also kept: wirespeed latency_ms.mean, 2 x sockperf's
# avg-latency, 2 x qperf's latency.
#
# UDP_STREAM compares packets per second received at < LOSS_MAX % loss
# (default 1), with loss = 1 - received/sent for both tools.  Each round,
# for each tool (the tools in lockstep, so that they see the same load):
#   1. a PROBE_DURATION-second run as fast as possible (-b 0, --bitrate 0);
#      if it loses < LOSS_MAX %, that is the tool's rate ("unlimited");
#   2. otherwise UDP_STEPS steps of a geometric bisection of the offered
#      packet rate between (sent rate at -b 0)/64 and the sent rate at -b 0,
#      one PROBE_DURATION-second run per step;
#   3. a DURATION-second run at the highest offered rate that passed; if
#      that longer run loses >= LOSS_MAX %, it is repeated at 90 % of the
#      rate (of the received rate after an unlimited run), FINAL_TRIES
#      runs in all at most.
# The table reports the last run of step 3: received packets/s, and its
# loss; runs still over the limit are counted in the "over" column.
# wirespeed runs with --no-latency here (no idle probe, no latency probe
# stream), which saves 2 s per run and keeps its traffic pure.
#
# Environment:
#   WIRESPEED   wirespeed binary  (default: ../_build/src/wirespeed relative
#                                  to this script)
#   SOCKPERF, QPERF, IPERF3       the other tools (default: from PATH)
#   ROUNDS      rounds per case                 (default: 5)
#   DURATION    seconds per measured run        (default: 5)
#   CASES       cases to run                    (default: "tcp_rr udp_rr udp_stream")
#   TCP_SIZE    TCP request = response bytes    (default: 14, sockperf's minimum)
#   UDP_SIZE    UDP request = response bytes    (default: 24, wirespeed's UDP header)
#   UDP_LENGTH  UDP_STREAM datagram payload     (default: 1448)
#   LOSS_MAX    loss limit in percent           (default: 1)
#   PROBE_DURATION  seconds per bisection run   (default: 2)
#   UDP_STEPS   bisection steps                 (default: 6, brackets to ~7 %)
#   FINAL_TRIES measured UDP_STREAM runs at most, backing off 10 % each
#               time the loss is over the limit   (default: 3)
#   IPERF3_UDP_WINDOWS  iperf3 variants         (default: "default 4M")
#   PIN         none | same | split             (default: none)
#               none:  the scheduler places everything;
#               same:  servers and clients on CPU 0;
#               split: servers on CPU 1, clients on CPU 0.
#   OUTDIR      keep raw output and results.tsv here (default: temporary,
#               removed on exit)
#
# Progress goes to stderr, the tables to stdout.
# Exit status: 0 on success, 1 if any server or run failed.

set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WIRESPEED=${WIRESPEED:-$script_dir/../_build/src/wirespeed}
SOCKPERF=${SOCKPERF:-sockperf}
QPERF=${QPERF:-qperf}
IPERF3=${IPERF3:-iperf3}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CASES=${CASES:-"tcp_rr udp_rr udp_stream"}
TCP_SIZE=${TCP_SIZE:-14}
UDP_SIZE=${UDP_SIZE:-24}
UDP_LENGTH=${UDP_LENGTH:-1448}
LOSS_MAX=${LOSS_MAX:-1}
PROBE_DURATION=${PROBE_DURATION:-2}
UDP_STEPS=${UDP_STEPS:-6}
FINAL_TRIES=${FINAL_TRIES:-3}
IPERF3_UDP_WINDOWS=${IPERF3_UDP_WINDOWS:-"default 4M"}
PIN=${PIN:-none}
HOST=127.0.0.1

die() { echo "rr-udp.sh: $*" >&2; exit 1; }

is_uint() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

[[ -x $WIRESPEED ]] || die "wirespeed binary not found: $WIRESPEED (build with ninja -C _build, or set WIRESPEED)"
command -v python3 >/dev/null || die "python3 not found"
command -v ss >/dev/null || die "ss not found (apt-get install iproute2)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
for v in ROUNDS DURATION TCP_SIZE UDP_SIZE UDP_LENGTH PROBE_DURATION UDP_STEPS FINAL_TRIES; do
    is_uint "${!v}" || die "$v must be a positive integer, not '${!v}'"
done
[[ $LOSS_MAX =~ ^[0-9]+([.][0-9]+)?$ ]] || die "LOSS_MAX must be a number (percent)"
(( TCP_SIZE >= 14 )) || die "TCP_SIZE must be at least 14 (sockperf's minimum message)"
(( UDP_SIZE >= 24 )) || die "UDP_SIZE must be at least 24 (wirespeed's UDP header)"

want_tcp_rr=0 want_udp_rr=0 want_udp_stream=0
for c in $CASES; do
    case $c in
        tcp_rr) want_tcp_rr=1 ;;
        udp_rr) want_udp_rr=1 ;;
        udp_stream) want_udp_stream=1 ;;
        *) die "unknown case '$c' in CASES (tcp_rr, udp_rr, udp_stream)" ;;
    esac
done
(( want_tcp_rr || want_udp_rr || want_udp_stream )) || die "CASES is empty"
if (( want_tcp_rr || want_udp_rr )); then
    command -v "$SOCKPERF" >/dev/null || die "sockperf not found (apt-get install sockperf, or set SOCKPERF)"
    command -v "$QPERF" >/dev/null || die "qperf not found (apt-get install qperf, or set QPERF)"
fi
if (( want_udp_stream )); then
    command -v "$IPERF3" >/dev/null || die "iperf3 not found (apt-get install iperf3, or set IPERF3)"
    for w in $IPERF3_UDP_WINDOWS; do
        [[ $w == default || $w =~ ^[1-9][0-9]*[KMG]?$ ]] \
            || die "IPERF3_UDP_WINDOWS: '$w' is neither 'default' nor a size like 4M"
    done
    [[ -n $IPERF3_UDP_WINDOWS ]] || die "IPERF3_UDP_WINDOWS is empty"
fi

case $PIN in
    none)  server_pin=() client_pin=() ;;
    same)  server_pin=(taskset -c 0) client_pin=(taskset -c 0) ;;
    split) server_pin=(taskset -c 1) client_pin=(taskset -c 0) ;;
    *) die "PIN must be none, same or split" ;;
esac
if [[ $PIN != none ]]; then
    command -v taskset >/dev/null || die "taskset not found (util-linux)"
    (( $(nproc) >= 2 )) || die "PIN=$PIN needs at least 2 CPUs"
fi

if [[ -n ${OUTDIR:-} ]]; then
    mkdir -p "$OUTDIR"
    workdir=$(cd "$OUTDIR" && pwd)
    keep_workdir=1
else
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/rr-udp.XXXXXX")
    keep_workdir=0
fi
results=$workdir/results.tsv
: > "$results"
helper=$workdir/helper.py

# Names of the servers we started, their pids and ports.
declare -A srv_pid=() srv_port=()
starting_pid=""

cleanup() {
    local name
    if [[ -n $starting_pid ]]; then kill "$starting_pid" 2>/dev/null || true; fi
    for name in "${!srv_pid[@]}"; do
        # wirespeed stops cleanly on SIGINT; the others on SIGTERM.
        if [[ $name == wirespeed ]]; then
            kill -INT "${srv_pid[$name]}" 2>/dev/null || true
        else
            kill -TERM "${srv_pid[$name]}" 2>/dev/null || true
        fi
    done
    for name in "${!srv_pid[@]}"; do
        wait "${srv_pid[$name]}" 2>/dev/null || true
    done
    if (( ! keep_workdir )); then rm -rf "$workdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat > "$helper" <<'EOF'
"""Parsing, bisection arithmetic and the final tables for rr-udp.sh."""
import json, math, re, statistics, sys

def fail(msg):
    sys.exit("rr-udp.sh: " + msg)

def ws_json(path):
    with open(path) as f:
        d = json.load(f)
    if d.get("interrupted"):
        fail("wirespeed run was interrupted: " + path)
    return d

def parse_ws_rr(path):
    d = ws_json(path)
    s = d["summary"]
    tps = s.get("transactions_per_s")
    if not tps or tps <= 0:
        fail("no transactions_per_s in " + path)
    lat = s.get("latency_ms") or {}
    # value, mean RTT us, p50 RTT us, lost
    return [tps, lat.get("mean", 0) * 1e3, lat.get("p50", 0) * 1e3,
            s.get("packets_lost") or 0]

def parse_sockperf(path):
    text = re.sub(r"\x1b\[[0-9;]*m", "", open(path, errors="replace").read())
    m = re.search(r"\[Valid Duration\] RunTime=([0-9.]+) sec; "
                  r"SentMessages=(\d+); ReceivedMessages=(\d+)", text)
    if not m:
        fail("no '[Valid Duration]' line in sockperf output " + path)
    runtime, received = float(m.group(1)), int(m.group(3))
    avg = re.search(r"avg-latency=([0-9.]+)", text)
    p50 = re.search(r"percentile 50\.000 =\s*([0-9.]+)", text)
    drop = re.search(r"# dropped messages = (\d+)", text)
    if runtime <= 0 or received <= 0:
        fail("sockperf received nothing: " + path)
    return [received / runtime,
            2 * float(avg.group(1)) if avg else 0,
            2 * float(p50.group(1)) if p50 else 0,
            int(drop.group(1)) if drop else 0]

def parse_qperf(path):
    text = open(path).read()
    m = re.search(r"latency\s*=\s*([0-9.]+)\s*(ns|us|ms|sec)", text)
    if not m:
        fail("no latency in qperf output " + path)
    one_way = float(m.group(1)) * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "sec": 1}[m.group(2)]
    if one_way <= 0:
        fail("qperf latency is zero: " + path)
    return [1 / (2 * one_way), 2 * one_way * 1e6, 0, 0]

def parse_ws_udp(path):
    d = ws_json(path)
    s = d["summary"]
    t = d["elapsed_s"]
    sent, recv = s["packets_sent"], s["packets_received"]
    if not sent or t <= 0:
        fail("wirespeed sent nothing: " + path)
    # sent pps, received pps, loss %
    return [sent / t, recv / t, 100.0 * (sent - recv) / sent]

def parse_iperf3_udp(path):
    with open(path) as f:
        d = json.load(f)
    if "error" in d:
        fail("iperf3 error: " + d["error"] + " in " + path)
    snt, rcv = d["end"]["sum_sent"], d["end"]["sum_received"]
    sent = snt["packets"]
    recv = rcv["packets"] - rcv["lost_packets"]
    if not sent or snt["seconds"] <= 0 or rcv["seconds"] <= 0:
        fail("iperf3 sent nothing: " + path)
    return [sent / snt["seconds"], recv / rcv["seconds"], 100.0 * (sent - recv) / sent]

def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    parsers = {"ws-rr": parse_ws_rr, "sockperf": parse_sockperf, "qperf": parse_qperf,
               "ws-udp": parse_ws_udp, "iperf3-udp": parse_iperf3_udp}
    if cmd in parsers:
        print(" ".join(repr(float(x)) for x in parsers[cmd](args[0])))
    elif cmd == "bits":            # pps length -> integer bits/s
        print(int(round(float(args[0]) * int(args[1]) * 8)))
    elif cmd == "geomean":         # a b -> sqrt(a*b)
        print(repr(math.sqrt(float(args[0]) * float(args[1]))))
    elif cmd == "div":             # a b -> a/b
        print(repr(float(args[0]) / float(args[1])))
    elif cmd == "mul":             # a b -> a*b
        print(repr(float(args[0]) * float(args[1])))
    elif cmd == "lt":              # exit 0 if a < b
        sys.exit(0 if float(args[0]) < float(args[1]) else 1)
    elif cmd == "report":
        report(args[0], float(args[1]))
    else:
        fail("helper: unknown command " + cmd)

def report(path, loss_max):
    med = statistics.median
    # case round tool value client_cpu server_cpu x1 x2 x3 [x4]
    rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
    cases = []
    data = {}
    for r in rows:
        case, rnd, tool = r[0], int(r[1]), r[2]
        if case not in data:
            cases.append(case)
            data[case] = {}
        data[case].setdefault(tool, {})[rnd] = [float(x) for x in r[3:]]

    def ratio_row(case, other):
        ws, ot = data[case]["wirespeed"], data[case][other]
        rounds = sorted(set(ws) & set(ot))
        ratios = [ws[k][0] / ot[k][0] for k in rounds]
        return (med([ot[k][0] for k in rounds]), med([ws[k][0] for k in rounds]),
                med(ratios), min(ratios), max(ratios), len(rounds))

    rr = [c for c in cases if c.endswith("_RR")]
    if rr:
        print()
        print("Request/response, full round trips per second (medians over rounds);")
        print("ratio = median of per-round wirespeed/other, with min and max")
        print(f"{'case':<14} {'other':<16} {'other tr/s':>10} {'ws tr/s':>10} "
              f"{'ratio':>6} {'min':>6} {'max':>6} {'rounds':>6}")
        for case in rr:
            for other in data[case]:
                if other == "wirespeed":
                    continue
                o, w, r, lo, hi, n = ratio_row(case, other)
                print(f"{case:<14} {other:<16} {o:>10.0f} {w:>10.0f} "
                      f"{r:>6.3f} {lo:>6.3f} {hi:>6.3f} {n:>6}")
        print()
        print("Mean RTT in us and CPU us per transaction (user+sys, medians over rounds)")
        print(f"{'case':<14} {'tool':<16} {'mean RTT':>8} {'p50 RTT':>8} "
              f"{'client CPU':>10} {'server CPU':>10}")
        for case in rr:
            for tool, by_round in data[case].items():
                v = list(by_round.values())
                # value client_cpu server_cpu meanrtt p50 lost
                p50 = med([x[4] for x in v])
                p50s = f"{p50:>8.1f}" if p50 > 0 else f"{'-':>8}"
                print(f"{case:<14} {tool:<16} {med([x[3] for x in v]):>8.1f} {p50s} "
                      f"{med([x[1] / x[0] / dur(x) * 1e6 for x in v]):>10.2f} "
                      f"{med([x[2] / x[0] / dur(x) * 1e6 for x in v]):>10.2f}")

    if "UDP_STREAM" in data:
        case = "UDP_STREAM"
        print()
        print(f"UDP_STREAM, packets/s received at < {loss_max:g} % loss "
              "(medians over rounds);")
        print("ratio = median of per-round wirespeed/other, with min and max")
        print(f"{'case':<14} {'other':<16} {'other pps':>10} {'ws pps':>10} "
              f"{'ratio':>6} {'min':>6} {'max':>6} {'rounds':>6}")
        for other in data[case]:
            if other == "wirespeed":
                continue
            o, w, r, lo, hi, n = ratio_row(case, other)
            print(f"{case:<14} {other:<16} {o:>10.0f} {w:>10.0f} "
                  f"{r:>6.3f} {lo:>6.3f} {hi:>6.3f} {n:>6}")
        print()
        print("UDP_STREAM per tool (medians over rounds): offered packets/s of the "
              "measured run; rounds where")
        print("that was unlimited (-b 0); its loss; measured runs per round; "
              "rounds still over the limit;")
        print("CPU us per received packet of the sender (client) and the "
              "receiver (server)")
        print(f"{'tool':<16} {'offered pps':>11} {'unlim':>5} {'loss %':>7} "
              f"{'runs':>4} {'over':>4} {'sender CPU':>10} {'recv CPU':>9}")
        for tool, by_round in data[case].items():
            v = list(by_round.values())
            # value client_cpu server_cpu offered_pps loss tries duration
            n = len(v)
            over = sum(1 for x in v if x[4] >= loss_max)
            unlimited = sum(1 for x in v if x[3] == 0)
            limited = [x[3] for x in v if x[3] > 0]
            offs = f"{med(limited):>11.0f}" if limited else f"{'-':>11}"
            print(f"{tool:<16} {offs} {unlimited:>2}/{n:<2} "
                  f"{med([x[4] for x in v]):>7.2f} {med([x[5] for x in v]):>4.0f} "
                  f"{over:>2}/{n:<1} "
                  f"{med([x[1] / x[0] / dur(x) * 1e6 for x in v]):>10.2f} "
                  f"{med([x[2] / x[0] / dur(x) * 1e6 for x in v]):>9.2f}")

def dur(x):
    return x[-1]

main()
EOF

# Print a port that is free for both TCP and UDP on 127.0.0.1 now, below
# the ephemeral range so that other programs' outgoing connections are
# unlikely to take it before our server binds it.
free_port() {
    python3 - <<'EOF'
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randrange(10000, max(lo, 10001))
    try:
        socket.create_server(("127.0.0.1", port)).close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", port))
        u.close()
    except OSError:
        continue
    print(port)
    break
else:
    raise SystemExit("no free port found")
EOF
}

# wait_bound PID PROTO PORT: wait up to 10 s until something listens on
# PORT (tcp) or is bound to it (udp).  Fails if PID exits first.
wait_bound() {
    local pid=$1 proto=$2 port=$3 i flag
    [[ $proto == tcp ]] && flag=-Hltn || flag=-Hlun
    for (( i = 0; i < 100; i++ )); do
        if [[ -n $(ss "$flag" "sport = :$port" 2>/dev/null) ]]; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# start_server NAME PROTO COMMAND... ("@PORT@" in COMMAND becomes the port)
start_server() {
    local name=$1 proto=$2 attempt port log=$workdir/$1-server.log
    shift 2
    local -a cmd
    for (( attempt = 1; attempt <= 5; attempt++ )); do
        port=$(free_port)
        cmd=("${@//@PORT@/$port}")
        "${server_pin[@]}" "${cmd[@]}" > "$log" 2>&1 &
        starting_pid=$!
        if wait_bound "$starting_pid" "$proto" "$port"; then
            srv_pid[$name]=$starting_pid
            srv_port[$name]=$port
            starting_pid=""
            return 0
        fi
        kill "$starting_pid" 2>/dev/null || true
        wait "$starting_pid" 2>/dev/null || true
        starting_pid=""
        echo "$name server on port $port failed (attempt $attempt):" >&2
        cat "$log" >&2
    done
    die "could not start the $name server"
}

# CPU time (user + system, with reaped children) of process PID so far,
# in clock ticks.
proc_cpu_ticks() {
    local stat fields
    stat=$(< "/proc/$1/stat")
    # Drop "pid (comm) " so that field 3 (state) is fields[0]; utime, stime,
    # cutime and cstime are fields 14-17.
    read -ra fields <<< "${stat##*) }"
    echo $(( fields[11] + fields[12] + fields[13] + fields[14] ))
}
clk_tck=$(getconf CLK_TCK)

# run_tool TAG SERVER PARSER SECONDS COMMAND...
# Runs one client (pinned as PIN says) and sets the global "measured" to
# "<parser output> <client cpu s> <server cpu s>".  Fails on any error.
measured=""
run_tool() {
    local tag=$1 server=$2 parser=$3 seconds=$4
    shift 4
    local out=$workdir/$tag.out err=$workdir/$tag.err cpu=$workdir/$tag.cpu
    local rc=0 ticks0 ticks1 result user sys
    ticks0=$(proc_cpu_ticks "${srv_pid[$server]}")
    timeout "$(( seconds + 30 ))" /usr/bin/time -f '%U %S' -o "$cpu" \
        "${client_pin[@]}" "$@" > "$out" 2> "$err" || rc=$?
    ticks1=$(proc_cpu_ticks "${srv_pid[$server]}")
    if (( rc != 0 )); then
        echo "FAILED (exit $rc): $*" >&2
        cat "$err" "$out" >&2
        return 1
    fi
    # sockperf writes its report to stderr and exits 0 even on failure.
    if [[ $parser == sockperf ]]; then cat "$err" >> "$out"; fi
    if ! result=$(python3 "$helper" "$parser" "$out"); then
        echo "in: $*" >&2
        cat "$err" >&2
        return 1
    fi
    read -r user sys < "$cpu"
    measured="$result $user $sys $(( ticks1 - ticks0 ))"
}

# The order of the tools in ROUND: odd rounds "o1 wirespeed o2 ...", even
# rounds the reverse, so every pair alternates who goes first.
round_order() {
    local round=$1
    shift
    local -a others=("$@") order=()
    local i
    if (( ${#others[@]} == 1 )); then
        if (( round % 2 )); then order=("${others[0]}" wirespeed)
        else order=(wirespeed "${others[0]}"); fi
    else
        order=("${others[0]}" wirespeed "${others[@]:1}")
        if (( round % 2 == 0 )); then
            local -a rev=()
            for (( i = ${#order[@]} - 1; i >= 0; i-- )); do rev+=("${order[i]}"); done
            order=("${rev[@]}")
        fi
    fi
    echo "${order[@]}"
}

# record CASE ROUND TOOL VALUE CLIENT_CPU SERVER_CPU EXTRA... DURATION
record() {
    local IFS=$'\t'
    echo "$*" >> "$results"
}

# ---------------------------------------------------------------- RR cases

# run_rr PROTO ROUND TOOL: one RR run; appends a row to results.tsv.
run_rr() {
    local proto=$1 round=$2 tool=$3 size tag
    local -a cmd
    if [[ $proto == tcp ]]; then size=$TCP_SIZE; else size=$UDP_SIZE; fi
    tag=${proto}_rr-$tool-r$round
    case $tool in
        wirespeed)
            cmd=("$WIRESPEED" --client --target "$HOST" --port "${srv_port[wirespeed]}"
                 --time "$DURATION" --test "${proto^^}_RR" --rr-size "$size,$size" --json)
            run_tool "$tag" wirespeed ws-rr "$DURATION" "${cmd[@]}" ;;
        sockperf)
            cmd=("$SOCKPERF" ping-pong -i "$HOST" -p "${srv_port[sockperf-$proto]}"
                 -t "$DURATION" -m "$size")
            if [[ $proto == tcp ]]; then cmd+=(--tcp); fi
            run_tool "$tag" "sockperf-$proto" sockperf "$DURATION" "${cmd[@]}" ;;
        qperf)
            cmd=("$QPERF" "$HOST" -lp "${srv_port[qperf]}" -t "$DURATION" -m "$size"
                 "${proto}_lat")
            run_tool "$tag" qperf qperf "$DURATION" "${cmd[@]}" ;;
    esac
    # measured: value meanrtt p50 lost client_user client_sys server_ticks
    local v mean p50 lost cu cs st label
    read -r v mean p50 lost cu cs st <<< "$measured"
    case $tool:$proto in
        sockperf:tcp) label="sockperf --tcp" ;;
        sockperf:udp) label="sockperf udp" ;;
        qperf:*) label="qperf ${proto}_lat" ;;
        *) label=wirespeed ;;
    esac
    record "${proto^^}_RR" "$round" "$label" "$v" \
        "$(python3 -c "print($cu + $cs)")" \
        "$(python3 -c "print($st / $clk_tck)")" "$mean" "$p50" "$lost" "$DURATION"
    printf '  %-6s round %d/%d  %-16s %9.0f tr/s  mean RTT %7.1f us\n' \
        "${proto^^}_RR" "$round" "$ROUNDS" "$label" "$v" "$mean" >&2
}

run_rr_case() {
    local proto=$1 round tool
    local -a order
    for (( round = 1; round <= ROUNDS; round++ )); do
        read -ra order <<< "$(round_order "$round" sockperf qperf)"
        for tool in "${order[@]}"; do
            run_rr "$proto" "$round" "$tool"
        done
    done
}

# ---------------------------------------------------------- UDP_STREAM case

# udp_run TOOL ROUND STEP PPS SECONDS: one UDP_STREAM run offering PPS
# packets/s (0 = as fast as possible).  Sets measured to
# "sent_pps recv_pps loss client_user client_sys server_ticks".
udp_run() {
    local tool=$1 round=$2 step=$3 pps=$4 seconds=$5 bits tag
    local -a cmd
    bits=$(python3 "$helper" bits "$pps" "$UDP_LENGTH")
    tag=udp_stream-$tool-r$round-s$step
    if [[ $tool == wirespeed ]]; then
        cmd=("$WIRESPEED" --client --target "$HOST" --port "${srv_port[wirespeed]}"
             --time "$seconds" --test UDP_STREAM --length "$UDP_LENGTH"
             --bitrate "$bits" --no-latency --json)
        run_tool "$tag" wirespeed ws-udp "$seconds" "${cmd[@]}"
    else
        local w=${tool#iperf3-w}
        cmd=("$IPERF3" -c "$HOST" -p "${srv_port[iperf3]}" -u -b "$bits"
             -l "$UDP_LENGTH" -t "$seconds" -J)
        if [[ $w != default ]]; then cmd+=(-w "$w"); fi
        run_tool "$tag" iperf3 iperf3-udp "$seconds" "${cmd[@]}"
    fi
}

udp_label() {
    case $1 in
        wirespeed) echo wirespeed ;;
        iperf3-wdefault) echo "iperf3 -u" ;;
        *) echo "iperf3 -u -w ${1#iperf3-w}" ;;
    esac
}

run_udp_stream_case() {
    local round step tool w sent recv loss cu cs st mid rate try
    local -a tools=() order
    local -A lo=() hi=() done_=()
    for w in $IPERF3_UDP_WINDOWS; do tools+=("iperf3-w$w"); done
    for (( round = 1; round <= ROUNDS; round++ )); do
        read -ra order <<< "$(round_order "$round" "${tools[@]}")"
        # Step 0: as fast as possible.
        for tool in "${order[@]}"; do
            udp_run "$tool" "$round" 0 0 "$PROBE_DURATION"
            read -r sent recv loss cu cs st <<< "$measured"
            printf '  UDP_STREAM round %d/%d %-18s -b 0:  sent %8.0f  received %8.0f pps  loss %6.2f %%\n' \
                "$round" "$ROUNDS" "$(udp_label "$tool")" "$sent" "$recv" "$loss" >&2
            if python3 "$helper" lt "$loss" "$LOSS_MAX"; then
                done_[$tool]=1 lo[$tool]=0
            else
                done_[$tool]=0 hi[$tool]=$sent
                lo[$tool]=$(python3 "$helper" div "$sent" 64)
            fi
        done
        # Bisection, all tools in lockstep.
        for (( step = 1; step <= UDP_STEPS; step++ )); do
            for tool in "${order[@]}"; do
                if (( done_[$tool] )); then continue; fi
                mid=$(python3 "$helper" geomean "${lo[$tool]}" "${hi[$tool]}")
                udp_run "$tool" "$round" "$step" "$mid" "$PROBE_DURATION"
                read -r sent recv loss cu cs st <<< "$measured"
                if python3 "$helper" lt "$loss" "$LOSS_MAX"; then
                    lo[$tool]=$mid
                else
                    hi[$tool]=$mid
                fi
                printf '  UDP_STREAM round %d/%d %-18s step %d: offered %8.0f  received %8.0f pps  loss %6.2f %%\n' \
                    "$round" "$ROUNDS" "$(udp_label "$tool")" "$step" "$mid" "$recv" "$loss" >&2
            done
        done
        # The measured run at the highest rate that passed.  If it loses
        # too much over the longer run, back off by 10 % (from the received
        # rate after an unlimited run), at most FINAL_TRIES times in all.
        for tool in "${order[@]}"; do
            rate=${lo[$tool]}
            for (( try = 1; ; try++ )); do
                udp_run "$tool" "$round" "final$try" "$rate" "$DURATION"
                read -r sent recv loss cu cs st <<< "$measured"
                printf '  UDP_STREAM round %d/%d %-18s final:  offered %8.0f  received %8.0f pps  loss %6.2f %%\n' \
                    "$round" "$ROUNDS" "$(udp_label "$tool")" "$rate" "$recv" "$loss" >&2
                if python3 "$helper" lt "$loss" "$LOSS_MAX" || (( try >= FINAL_TRIES )); then
                    break
                fi
                if [[ $rate == 0 ]]; then
                    rate=$(python3 "$helper" mul "$recv" 0.9)
                else
                    rate=$(python3 "$helper" mul "$rate" 0.9)
                fi
            done
            record UDP_STREAM "$round" "$(udp_label "$tool")" "$recv" \
                "$(python3 -c "print($cu + $cs)")" \
                "$(python3 -c "print($st / $clk_tck)")" "$rate" "$loss" "$try" "$DURATION"
        done
    done
}

# ------------------------------------------------------------------- main

start_server wirespeed tcp "$WIRESPEED" --server --bind "$HOST" --port @PORT@
if (( want_tcp_rr )); then
    start_server sockperf-tcp tcp "$SOCKPERF" server -i "$HOST" -p @PORT@ --tcp
fi
if (( want_udp_rr )); then
    start_server sockperf-udp udp "$SOCKPERF" server -i "$HOST" -p @PORT@
fi
if (( want_tcp_rr || want_udp_rr )); then
    start_server qperf tcp "$QPERF" -lp @PORT@
fi
if (( want_udp_stream )); then
    # --forceflush: iperf3 block-buffers stdout into a file otherwise.
    start_server iperf3 tcp "$IPERF3" -s -B "$HOST" -p @PORT@ --forceflush
fi

{
    echo "wirespeed: $WIRESPEED ($("$WIRESPEED" --version 2>&1 | head -n1))"
    for t in sockperf qperf iperf3; do
        [[ -n ${srv_port[$t]:-} || -n ${srv_port[$t-tcp]:-} || -n ${srv_port[$t-udp]:-} ]] || continue
        case $t in
            sockperf) echo "sockperf:  $(command -v "$SOCKPERF") ($("$SOCKPERF" --version 2>&1 | head -n1))" ;;
            qperf) echo "qperf:     $(command -v "$QPERF") ($("$QPERF" --version 2>&1 | head -n1))" ;;
            iperf3) echo "iperf3:    $(command -v "$IPERF3") ($("$IPERF3" --version | head -n1))" ;;
        esac
    done
    echo "loopback $HOST, rounds=$ROUNDS duration=${DURATION}s pin=$PIN cases: $CASES"
    echo "TCP size $TCP_SIZE,$TCP_SIZE; UDP size $UDP_SIZE,$UDP_SIZE;" \
         "UDP_STREAM length $UDP_LENGTH, loss < $LOSS_MAX %, probes ${PROBE_DURATION}s x (1 + $UDP_STEPS)," \
         "iperf3 windows: $IPERF3_UDP_WINDOWS"
    for name in "${!srv_pid[@]}"; do
        echo "server $name: pid ${srv_pid[$name]} port ${srv_port[$name]}"
    done
} >&2

if (( want_tcp_rr )); then run_rr_case tcp; fi
if (( want_udp_rr )); then run_rr_case udp; fi
if (( want_udp_stream )); then run_udp_stream_case; fi

echo "wirespeed $("$WIRESPEED" --version 2>&1 | head -n1); rounds=$ROUNDS" \
     "duration=${DURATION}s pin=$PIN"
python3 "$helper" report "$results" "$LOSS_MAX"

if (( keep_workdir )); then
    echo "raw output and results.tsv kept in $workdir" >&2
fi
