#!/usr/bin/env bash
# netns-impaired-link.sh — does Wirespeed measure a real impaired link truthfully?
#
# Three network namespaces: the server in A, a router R, the client in B.
#
#     A (server) ──veth── R (tbf on both egresses, 50 Mbit/s) ──veth── B (client)
#
# The shaping sits on the router, not on the sending host: TCP Small Queues
# keeps a local qdisc almost empty, so only a queue one hop away fills up the
# way a real bottleneck does.  A's nftables input chain drops a known share of
# UDP data.  Each check compares Wirespeed's JSON with what the kernel did:
#
#   1. TCP upload goodput equals the bytes over the time the kernel saw the
#      shaped link carry them (on a quiet machine: the shaped rate minus
#      header overhead), every byte written was received, and the intervals
#      add up to the total.
#   2. The same for a download (--reverse).
#   3. UDP upload with a 5 % random drop: loss_percent within binomial
#      bounds of 5 %, lost == sent − received, no reordering, no duplicates.
#   4. The same run datagram by datagram: packets sent, received and lost
#      equal what nftables counted and dropped (exact, no statistics).
#   5. UDP upload without the drop rule: no loss.
#   6. Loaded latency (UDP probe during a TCP upload into a 100 ms tbf queue)
#      lies well above idle latency and within what the queue can hold.
#   7. NAT: without it the server saw the client's own address and port
#      (client_address == local_address); with nftables masquerading on
#      the router, client_address is the router's address, local_address
#      the client's, and the text report says "NAT between them".
#   8. The last datagrams of a stream lost: a fixed-size UDP upload of
#      exactly 1000 datagrams whose last 10 nftables drops (by sequence
#      number) reports 10 lost, not 0: no later datagram shows that gap.
#
# Traffic goes only between the namespaces this script creates (IPv6 ULA
# fd00:5753:1::/64 and fd00:5753:2::/64, or 10.200.1.0/30 and 10.200.2.0/30
# when IPv6 is unavailable), with no default routes; everything is removed
# on exit.
#
# Needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN) and the Debian packages iproute2
# (ip, tc, ss), nftables (nft) and python3 (reads the JSON; meson pulls it
# in), besides taskset and timeout from the essential util-linux and
# coreutils; the kernel needs veth, sch_tbf and nf_tables with numgen and raw
# payload matching.  Without permission to create namespaces the whole test
# is skipped; without tc/tbf or nft only the checks that need them are.
# Nothing is installed here.
#
# Environment: WIRESPEED  the wirespeed binary (required)
# Output: TAP on stdout; exit 0 when every check passed, was skipped or is a
# TODO.

set -Eeuo pipefail

readonly PORT=5201
readonly RATE_MBIT=50          # tbf rate; tc's mbit is 10^6 bit/s
# 64 KiB of tokens: the watchdog that releases the next frame may wake up
# ~10 ms late (a busy VM) without the link losing rate; with a burst of a
# few frames the tbf falls well below its rate on a loaded machine.
readonly BURST=64kb
# Checks 1-5: a queue deeper than anything TCP can have outstanding (tcp_wmem
# max 4 MiB below; 1000 ms at 50 Mbit/s is 6.25 MB), so TCP never loses a
# segment, the link is busy from the first round trip to the end of the
# drain, and the true goodput is exactly the formula in expected_goodput.
readonly QUEUE_MS=1000
# Check 6: a 100 ms queue that Reno fills and drains over and over.
readonly DEEP_QUEUE_MS=100
readonly MTU=1500
readonly TEST_TIME=8           # seconds per client run
readonly UDP_RATE=20M          # well below the shaped rate
readonly DROP_PERCENT=5
readonly RATE_TOLERANCE=3      # ± % of the goodput the kernel saw
readonly LATENCY_RISE_MS=10    # loaded p50 must exceed idle p50 by this
readonly LATENCY_SLACK_MS=50   # and stay below idle + queue depth + this
readonly N_CHECKS=8

NS_A="ws-a-$$"                 # server
NS_R="ws-r-$$"                 # router with the shapers
NS_B="ws-b-$$"                 # client
DEV_A=wsa                      # in A, towards R
DEV_RA=wsra                    # in R, towards A: upload data leaves here
DEV_RB=wsrb                    # in R, towards B: download data leaves here
DEV_B=wsb                      # in B, towards R
ADDR_A=""
ADDR_B=""
IP_HEADER=0                    # bytes: 40 for IPv6, 20 for IPv4
TMP=""
SERVER_PID=""
CLIENT_PID=""
SAMPLER_PID=""
NAMESPACES=()
HAVE_TBF=""
HAVE_NFT=""
TBF_REASON=""
NFT_REASON=""
CHECK=0
FAILED=0
NOTES=()                       # setup remarks, printed after the plan

# ---------------------------------------------------------------- helpers

diag () {
  local line
  for line in "$@"; do
    printf '# %s\n' "$line"
  done
}

diag_file () {
  [ -s "$1" ] && sed 's/^/#   /' "$1" | head -n 20
  return 0
}

ok () {
  CHECK=$((CHECK + 1))
  printf 'ok %d - %s\n' "$CHECK" "$1"
}

not_ok () {
  CHECK=$((CHECK + 1))
  FAILED=$((FAILED + 1))
  printf 'not ok %d - %s\n' "$CHECK" "$1"
}

todo () {
  CHECK=$((CHECK + 1))
  printf 'not ok %d - %s # TODO %s\n' "$CHECK" "$1" "$2"
}

skip () {
  CHECK=$((CHECK + 1))
  printf 'ok %d # SKIP %s\n' "$CHECK" "$1"
}

# verdict NAME [PROBLEM...]: ok without problems, else not ok with the
# problems as diagnostics.
verdict () {
  local name=$1
  shift
  if [ $# -eq 0 ]; then
    ok "$name"
  else
    not_ok "$name"
    diag "$@"
  fi
}

# awk_true EXPR: a floating-point condition, e.g. awk_true "1.5 < 2".
awk_true () {
  awk "BEGIN { exit !($1) }"
}

# calc EXPR: floating-point arithmetic, printed with 6 significant digits.
calc () {
  awk "BEGIN { printf \"%.6g\", $1 }"
}

is_number () {
  [[ "$1" =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]
}

# jget FILE EXPR: evaluates a Python expression over the JSON document `d`
# and prints the value: "absent" for a missing key, "null" for null.
jget () {
  python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
try:
    value = eval(sys.argv[2], {"d": d})
except (KeyError, IndexError, TypeError):
    print("absent")
    sys.exit(0)
if value is None:
    print("null")
elif isinstance(value, bool):
    print("true" if value else "false")
elif isinstance(value, (dict, list)):
    print(json.dumps(value))
elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
    print(int(value))
else:
    print(value)
EOF
}

# summary FILE KEY: d["summary"][KEY].
summary () {
  jget "$1" "d['summary']['$2']"
}

in_ns () {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

# set_sysctl NS KEY VALUE: writes /proc/sys inside NS (no procps needed).
set_sysctl () {
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's
  in_ns "$1" sh -c 'printf "%s\n" "$2" > "/proc/sys/$1"' sh "${2//.//}" "$3"
}

# ---------------------------------------------------------------- setup

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup () {
  local ns pid
  trap - ERR
  set +e
  stop_sampler
  for pid in "$CLIENT_PID" "$SERVER_PID"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
  done
  for ns in "${NAMESPACES[@]}"; do
    # Anything still running inside our own namespaces is ours.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
  done
  [ -n "$TMP" ] && rm -rf "$TMP"
}

# add_namespace NS: creates NS and remembers it for cleanup.
add_namespace () {
  local err
  if ! err=$(ip netns add "$1" 2>&1); then
    printf '%s\n' "$err" >&2
    return 1
  fi
  NAMESPACES+=("$1")
  ip -n "$1" link set lo up
  # No duplicate address detection: while the link-local addresses wait for
  # it, the first SYN of the first test is lost and costs a second or two.
  set_sysctl "$1" net.ipv6.conf.default.accept_dad 0 2>/dev/null || true
  set_sysctl "$1" net.ipv6.conf.all.accept_dad 0 2>/dev/null || true
}

# tcp_sysctls NS: make TCP behave the same on every machine.  Reno is
# always allowed in a namespace (cubic may not be, and BBR keeps queues
# short on purpose); timestamps are in the goodput formula; the buffer
# limits are Debian's, pinned because the queue depth relies on them, except
# that the send buffer starts at its 4 MiB maximum instead of growing there:
# every TCP run then ends with the same ~0.5 s of buffered data to drain.
tcp_sysctls () {
  local setting err
  for setting in net.ipv4.tcp_congestion_control=reno \
                 net.ipv4.tcp_timestamps=1 \
                 net.ipv4.tcp_no_metrics_save=1 \
                 "net.ipv4.tcp_wmem=4096 4194304 4194304" \
                 "net.ipv4.tcp_rmem=4096 131072 6291456"; do
    if ! err=$(set_sysctl "$1" "${setting%%=*}" "${setting#*=}" 2>&1); then
      NOTES+=("cannot set $setting in $1, results may differ: ${err//$'\n'/ }")
    fi
  done
}

setup_namespaces () {
  local err
  if ! command -v ip >/dev/null 2>&1; then
    echo "1..0 # SKIP cannot create network namespaces: ip (iproute2) not found"
    exit 0
  fi
  if ! add_namespace "$NS_A" 2>"$TMP/netns.err"; then
    err=$(cat "$TMP/netns.err")
    echo "1..0 # SKIP cannot create network namespaces: ${err//$'\n'/ }"
    exit 0
  fi
  add_namespace "$NS_R"
  add_namespace "$NS_B"
  ip -n "$NS_A" link add "$DEV_A" mtu "$MTU" type veth peer name "$DEV_RA" netns "$NS_R" mtu "$MTU"
  ip -n "$NS_B" link add "$DEV_B" mtu "$MTU" type veth peer name "$DEV_RB" netns "$NS_R" mtu "$MTU"
  ip -n "$NS_A" link set "$DEV_A" up
  ip -n "$NS_R" link set "$DEV_RA" up
  ip -n "$NS_R" link set "$DEV_RB" up
  ip -n "$NS_B" link set "$DEV_B" up
  tcp_sysctls "$NS_A"
  tcp_sysctls "$NS_B"

  if set_sysctl "$NS_R" net.ipv6.conf.all.forwarding 1 2>/dev/null \
     && ip -n "$NS_A" -6 addr add fd00:5753:1::1/64 dev "$DEV_A" nodad 2>/dev/null; then
    ip -n "$NS_R" -6 addr add fd00:5753:1::2/64 dev "$DEV_RA" nodad
    ip -n "$NS_R" -6 addr add fd00:5753:2::2/64 dev "$DEV_RB" nodad
    ip -n "$NS_B" -6 addr add fd00:5753:2::1/64 dev "$DEV_B" nodad
    ip -n "$NS_A" -6 route add fd00:5753:2::/64 via fd00:5753:1::2
    ip -n "$NS_B" -6 route add fd00:5753:1::/64 via fd00:5753:2::2
    ADDR_A=fd00:5753:1::1
    ADDR_B=fd00:5753:2::1
    IP_HEADER=40
  else
    set_sysctl "$NS_R" net.ipv4.ip_forward 1
    ip -n "$NS_A" addr add 10.200.1.1/30 dev "$DEV_A"
    ip -n "$NS_R" addr add 10.200.1.2/30 dev "$DEV_RA"
    ip -n "$NS_R" addr add 10.200.2.2/30 dev "$DEV_RB"
    ip -n "$NS_B" addr add 10.200.2.1/30 dev "$DEV_B"
    ip -n "$NS_A" route add 10.200.2.0/30 via 10.200.1.2
    ip -n "$NS_B" route add 10.200.1.0/30 via 10.200.2.2
    ADDR_A=10.200.1.1
    ADDR_B=10.200.2.1
    IP_HEADER=20
  fi
}

# set_tbf DEV QUEUE_MS: shape R's egress on DEV to RATE_MBIT.
set_tbf () {
  tc -n "$NS_R" qdisc replace dev "$1" root tbf rate "${RATE_MBIT}mbit" burst "$BURST" latency "${2}ms"
}

# set_queue QUEUE_MS: both directions (the reverse one only carries ACKs and
# probe replies, far below the rate).
set_queue () {
  set_tbf "$DEV_RA" "$1" && set_tbf "$DEV_RB" "$1"
}

setup_shaping () {
  local err
  if ! command -v tc >/dev/null 2>&1; then
    TBF_REASON="tc (iproute2) not found"
  elif err=$(set_queue "$QUEUE_MS" 2>&1); then
    HAVE_TBF=1
  else
    TBF_REASON="tc qdisc add … tbf failed: ${err//$'\n'/ }"
  fi
}

# The drop rule matches only UDP_STREAM data: UDP payload starting d5 00
# (the data header's magic byte and flags 0).  STREAM_HELLO (02 …) and the
# latency probe (d5 01) pass, so setup and latency are not disturbed.
nft_loss_table () {
  cat <<EOF
table inet $1 {
  counter seen {}
  counter dropped {}
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport $PORT @th,64,16 0xd500 counter name seen
    udp dport $PORT @th,64,16 0xd500 numgen random mod 100 < $DROP_PERCENT counter name dropped drop
  }
}
EOF
}

check_nft () {
  local err
  if ! command -v nft >/dev/null 2>&1; then
    NFT_REASON="nft not found (Debian package nftables)"
    return 0
  fi
  # Load the real rule once in a scratch table: does this kernel take it?
  if err=$({ nft_loss_table wsprobe; echo "delete table inet wsprobe"; } | in_ns "$NS_A" nft -f - 2>&1); then
    HAVE_NFT=1
  else
    NFT_REASON="nft cannot load the drop rule: ${err//$'\n'/ }"
  fi
}

start_server () {
  local tries
  in_ns "$NS_A" "$WIRESPEED" --server --port "$PORT" >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
  for tries in $(seq 100 -1 1); do
    if [ -n "$(in_ns "$NS_A" ss -Hltn "sport = :$PORT" 2>/dev/null)" ]; then
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      break
    fi
    [ "$tries" -gt 1 ] && sleep 0.1
  done
  echo "Bail out! wirespeed server did not start in namespace $NS_A"
  diag_file "$TMP/server.log"
  exit 1
}

# run_client NAME ARGS...: one client run from B to A, JSON in $TMP/NAME.json.
# With PIN=1 in the environment the client runs on one CPU only.
run_client () {
  local name=$1 rc=0 pin=() started=$SECONDS
  shift
  if [ "${PIN:-}" = 1 ] && command -v taskset >/dev/null 2>&1; then
    pin=(taskset -c "$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')")
  fi
  # In the background: a signal then interrupts `wait` and the cleanup runs
  # at once instead of after the client.
  in_ns "$NS_B" "${pin[@]}" timeout 60 "$WIRESPEED" --client --target "$ADDR_A" --port "$PORT" --json "$@" \
    >"$TMP/$name.json" 2>"$TMP/$name.err" &
  CLIENT_PID=$!
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=""
  diag "$name: client ran $((SECONDS - started)) s"
  if [ "$rc" -ne 0 ] || ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$TMP/$name.json" 2>/dev/null; then
    diag "wirespeed --client --target $ADDR_A --port $PORT --json $* exited $rc:"
    diag_file "$TMP/$name.err"
    diag_file "$TMP/$name.json"
    return 1
  fi
}

# ---------------------------------------------------------------- counters

# nft_counter NAME: packets counted by the named counter in table wsloss.
nft_counter () {
  in_ns "$NS_A" nft list counter inet wsloss "$1" | awk '$1 == "packets" { print $2 }'
}

# tbf_stat DEV FIELD: "bytes", "packets" or "dropped" of the tbf on R's DEV.
tbf_stat () {
  tc -n "$NS_R" -s qdisc show dev "$1" | awk -v field="$2" '
    $1 == "Sent" {
      sub(",", "", $7)
      if (field == "bytes") print $2
      else if (field == "packets") print $4
      else print $7
      exit
    }'
}

# udp_rcvbuf_errors: datagrams A's kernel dropped for a full socket buffer
# (UDP over IPv4 and IPv6; snmp6 is missing when IPv6 is off).
udp_rcvbuf_errors () {
  { in_ns "$NS_A" cat /proc/net/snmp /proc/net/snmp6 2>/dev/null || true; } | awk '
    $1 == "Udp6RcvbufErrors" { n += $2 }
    $1 == "Udp:" {
      if (!hdr) { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1 }
      else if ("RcvbufErrors" in col) n += $(col["RcvbufErrors"])
    }
    END { print n + 0 }'
}

# ---------------------------------------------------------------- checks

# The goodput one TCP flow gets through the tbf when the link never idles.
# tbf charges every frame its whole length on the veth: Ethernet header (14)
# + IP header (40 IPv6, 20 IPv4) + TCP header (20) + timestamp option (12) +
# payload, while Wirespeed counts payload only, at most MSS = MTU − IP − 32
# bytes a frame (bulk TCP sends full-size segments):
#   goodput = rate × (MTU − IP − 32) / (MTU + 14)
# IPv6: 50 Mbit/s × 1428/1514 = 47.16 Mbit/s; IPv4: × 1448/1514 = 47.82.
# The tbf burst (64 KiB once, 0.1 % of a run), the ramp-up (a few round trips)
# and the latency probe (~100 bytes every 15 ms, 0.1 % of the link) are far
# below the tolerance.
expected_goodput () {
  calc "$RATE_MBIT * 1e6 * ($MTU - $IP_HEADER - 32) / ($MTU + 14)"
}

# start_sampler DEV FILE: records "monotonic-seconds tx_bytes" of R's DEV
# every 10 ms until stop_sampler.
start_sampler () {
  in_ns "$NS_R" python3 - "$1" "$2" <<'EOF' &
import sys, time
path = "/sys/class/net/%s/statistics/tx_bytes" % sys.argv[1]
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        with open(path) as f:
            out.write("%.6f %s\n" % (time.monotonic(), f.read().strip()))
        time.sleep(0.01)
EOF
  SAMPLER_PID=$!
}

stop_sampler () {
  if [ -n "$SAMPLER_PID" ]; then
    kill "$SAMPLER_PID" 2>/dev/null || true
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=""
  fi
}

# link_busy FILE: "SECONDS BYTES" — how long R's egress carried the bulk
# data (from the first to the last 10 ms sample above a quarter of the
# rate; stalls in between count, the probe traffic before does not) and how
# many bytes its tx_bytes counted meanwhile (a GSO packet's headers once, so
# a little under what tbf charges).  Empty when it never did.
link_busy () {
  python3 - "$1" "$RATE_MBIT" <<'EOF'
import sys
samples = [tuple(map(float, line.split())) for line in open(sys.argv[1]) if len(line.split()) == 2]
threshold = float(sys.argv[2]) * 1e6 / 8 / 4
busy = [i for i in range(1, len(samples))
        if samples[i][0] > samples[i - 1][0]
        and (samples[i][1] - samples[i - 1][1]) / (samples[i][0] - samples[i - 1][0]) > threshold]
if busy:
    first, last = samples[busy[0] - 1], samples[busy[-1]]
    print("%.6f %d" % (last[0] - first[0], last[1] - first[1]))
EOF
}

# check_tcp NAME DIRECTION(upload|download) TBF_DEV ARGS...
#
# Wirespeed's rate is compared with the rate the kernel saw: its bytes over
# the time R's egress was busy carrying them.  On a quiet machine that is
# the formula above; on a busy one (a CI runner with other tests) the tbf
# itself may fall behind, which is not Wirespeed's fault.  The kernel's
# time is good to a few 10 ms samples in ~9 s, so ±RATE_TOLERANCE % is
# generous, while counting the end-of-test drain without its time (up to
# 4 MiB of socket buffer, ~0.6 s at this rate) is well outside it.
check_tcp () {
  local name=$1 dir=$2 dev=$3 json bps sent recv sum last_end expected
  local busy busy_s busy_bytes reference lo hi drops0 drops problems=()
  shift 3
  json="$TMP/$name.json"
  drops0=$(tbf_stat "$dev" dropped)
  start_sampler "$dev" "$TMP/$name.samples"
  if ! run_client "$name" --time "$TEST_TIME" "$@"; then
    stop_sampler
    not_ok "TCP $dir through ${RATE_MBIT} Mbit/s tbf: client failed"
    return 0
  fi
  stop_sampler
  drops=$(($(tbf_stat "$dev" dropped) - drops0))
  busy=$(link_busy "$TMP/$name.samples")
  bps=$(summary "$json" "${dir}_bps")
  sent=$(jget "$json" "d['summary']['$dir']['sender_bytes']")
  recv=$(jget "$json" "d['summary']['$dir']['receiver_bytes']")
  sum=$(jget "$json" "sum(i['$dir']['receiver_bytes'] for i in d['intervals'])")
  last_end=$(jget "$json" "d['intervals'][-1]['end_s']")
  expected=$(expected_goodput)

  diag "$dir: ${dir}_bps=$bps sender_bytes=$sent receiver_bytes=$recv Σ intervals=$sum elapsed_s=$(jget "$json" "d['elapsed_s']") last interval ends at $last_end s retransmits=$(summary "$json" retransmits)"
  diag "$dir: nominal goodput $expected = ${RATE_MBIT}e6 × ($MTU − $IP_HEADER − 32)/($MTU + 14)"
  if [ -n "$busy" ] && is_number "$recv"; then
    busy_s=${busy% *}
    busy_bytes=${busy#* }
    reference=$(calc "$recv * 8 / $busy_s")
    diag "$dir: kernel: $dev busy for $busy_s s, tx_bytes +$busy_bytes ($(calc "$busy_bytes * 8 / $busy_s / 1e6") Mbit/s), tbf drops $drops"
    diag "$dir: kernel-observed goodput receiver_bytes / busy time = $reference ($(calc "100 * ($reference - $expected) / $expected") % from nominal)"
  else
    reference=$expected
    diag "$dir: no samples of $dev: comparing with the nominal goodput"
  fi
  lo=$(calc "$reference * (1 - $RATE_TOLERANCE / 100)")
  hi=$(calc "$reference * (1 + $RATE_TOLERANCE / 100)")
  if is_number "$bps"; then
    diag "$dir: ${dir}_bps deviates $(calc "100 * ($bps - $reference) / $reference") % from $reference, bounds [$lo, $hi]"
  fi

  if ! is_number "$bps" || ! awk_true "$bps >= $lo && $bps <= $hi"; then
    problems+=("${dir}_bps $bps outside [$lo, $hi]")
  fi
  if [ "$sent" != "$recv" ] || ! is_number "$sent"; then
    problems+=("sender_bytes $sent != receiver_bytes $recv")
  fi
  if [ "$sum" != "$recv" ]; then
    problems+=("intervals add up to $sum receiver bytes, the summary says $recv")
  fi
  verdict "TCP $dir through ${RATE_MBIT} Mbit/s tbf: ${dir}_bps within ±${RATE_TOLERANCE} % of bytes / time the link carried them, sender_bytes == receiver_bytes == Σ intervals" \
    "${problems[@]}"
}

# read_udp FILE: sets sent recv lost pct ooo dup from the summary.
read_udp () {
  sent=$(summary "$1" packets_sent)
  recv=$(summary "$1" packets_received)
  lost=$(summary "$1" packets_lost)
  pct=$(summary "$1" loss_percent)
  ooo=$(summary "$1" out_of_order)
  dup=$(summary "$1" duplicates)
  diag "wirespeed: packets_sent=$sent packets_received=$recv packets_lost=$lost loss_percent=$pct out_of_order=$ooo duplicates=$dup upload_bps=$(summary "$1" upload_bps)"
  for v in "$sent" "$recv" "$lost" "$pct" "$ooo" "$dup"; do
    if ! is_number "$v"; then
      problems+=("summary has non-numeric UDP counts")
      sent=0 recv=0 lost=0 pct=0 ooo=0 dup=0
      return 0
    fi
  done
}

# The UDP client runs pinned to one CPU (PIN=1): veth hands each packet
# to the backlog of the CPU that sent it, so a sender that moves between
# CPUs while one of them defers its softirq work (a busy CI machine) gets
# its datagrams reordered by the kernel.  On one CPU every datagram takes
# the same FIFO path, and any reordering or duplicate is Wirespeed's.

# UDP upload with the nftables drop rule: checks 3 (statistics) and 4
# (exact counts).
check_udp_loss () {
  local json name=udp-loss sent recv lost pct ooo dup v n sd margin lo hi
  local seen dropped tbf0 tbf_lost rcv0 rcvbuf problems=()
  json="$TMP/$name.json"

  if [ -z "$HAVE_NFT" ]; then
    skip "UDP loss with ${DROP_PERCENT} % random drop: $NFT_REASON"
    skip "UDP loss counts equal nftables' counts: $NFT_REASON"
    return 0
  fi
  nft_loss_table wsloss | in_ns "$NS_A" nft -f -
  tbf0=$(tbf_stat "$DEV_RA" dropped)
  rcv0=$(udp_rcvbuf_errors)
  # --no-gso: nftables sees packets, and a GSO send crosses the veths and
  # the router as one packet of many datagrams (until a tbf cuts it), so
  # it would drop them together and count them as one.
  if ! PIN=1 run_client "$name" --test UDP_STREAM --bitrate "$UDP_RATE" --time "$TEST_TIME" --no-gso; then
    in_ns "$NS_A" nft delete table inet wsloss
    not_ok "UDP loss with ${DROP_PERCENT} % random drop: client failed"
    not_ok "UDP loss counts equal nftables' counts: client failed"
    return 0
  fi
  seen=$(nft_counter seen)
  dropped=$(nft_counter dropped)
  in_ns "$NS_A" nft delete table inet wsloss
  tbf_lost=$(($(tbf_stat "$DEV_RA" dropped) - tbf0))
  rcvbuf=$(($(udp_rcvbuf_errors) - rcv0))

  read_udp "$json"
  diag "kernel: nft saw $seen data datagrams and dropped $dropped ($(calc "100 * $dropped / ($seen + ($seen == 0))") %), tbf dropped $tbf_lost, socket buffer overflows $rcvbuf"

  # 3. The drop is Bernoulli(p) per datagram, so over N datagrams the loss
  # fraction has standard deviation sqrt(p(1 − p)/N); allow 4 sd + 0.2 %.
  n=$((sent > 0 ? sent : 1))
  sd=$(calc "100 * sqrt($DROP_PERCENT / 100 * (1 - $DROP_PERCENT / 100) / $n)")
  margin=$(calc "4 * $sd + 0.2")
  lo=$(calc "$DROP_PERCENT - $margin")
  hi=$(calc "$DROP_PERCENT + $margin")
  diag "N=$n datagrams, sd=$sd %, bounds [$lo, $hi] %"
  if ! awk_true "$pct >= $lo && $pct <= $hi"; then
    problems+=("loss_percent $pct outside [$lo, $hi]")
  fi
  if [ "$lost" != "$((sent - recv))" ]; then
    problems+=("packets_lost $lost != packets_sent − packets_received = $((sent - recv))")
  fi
  if ! awk_true "$sent > 0 && ($pct - 100 * $lost / $sent)^2 < 1e-6"; then
    problems+=("loss_percent $pct != 100 × packets_lost / packets_sent")
  fi
  [ "$ooo" = 0 ] || problems+=("out_of_order $ooo != 0")
  [ "$dup" = 0 ] || problems+=("duplicates $dup != 0")
  verdict "UDP upload at $UDP_RATE with ${DROP_PERCENT} % random drop: loss_percent within binomial bounds, lost == sent − received, no reordering or duplicates" \
    "${problems[@]}"

  # 4. Exact: each datagram sent was dropped by R's tbf or reached A's
  # input hook (nft "seen"); each one nft let through reached the socket
  # unless its buffer was full.
  problems=()
  if [ "$sent" != "$((seen + tbf_lost))" ]; then
    problems+=("packets_sent $sent != seen by nft $seen + dropped by tbf $tbf_lost")
  fi
  if [ "$recv" != "$((seen - dropped - rcvbuf))" ]; then
    problems+=("packets_received $recv != seen $seen − dropped $dropped − socket overflows $rcvbuf = $((seen - dropped - rcvbuf))")
  fi
  if [ "$lost" != "$((dropped + tbf_lost + rcvbuf))" ]; then
    problems+=("packets_lost $lost != dropped by nft $dropped + tbf $tbf_lost + socket overflows $rcvbuf")
  fi
  verdict "UDP counts equal the kernel's: packets_sent == seen by nft, packets_lost == dropped by nft (+ tbf, socket overflows)" \
    "${problems[@]}"
}

# A datagram the server's socket had no room for is lost by the host, not
# the link: a CI machine running other suites beside this one may starve
# the server for a moment. The kernel counts those (RcvbufErrors); the
# link's own loss, the rest, must be nil.
check_udp_clean () {
  local json name=udp-clean sent recv lost pct ooo dup v rcv0 rcvbuf problems=()
  json="$TMP/$name.json"
  rcv0=$(udp_rcvbuf_errors)
  if ! PIN=1 run_client "$name" --test UDP_STREAM --bitrate "$UDP_RATE" --time "$TEST_TIME"; then
    not_ok "UDP upload at $UDP_RATE without drop: client failed"
    return 0
  fi
  rcvbuf=$(($(udp_rcvbuf_errors) - rcv0))
  read_udp "$json"
  diag "kernel: socket buffer overflows $rcvbuf"
  if ! awk_true "$sent > 0 && 100 * ($lost - $rcvbuf) / $sent < 0.1"; then
    problems+=("loss_percent $pct, $rcvbuf of the $lost lost for a full socket buffer: the link lost ≥ 0.1 %")
  fi
  if [ "$lost" != "$((sent - recv))" ]; then
    problems+=("packets_lost $lost != packets_sent − packets_received = $((sent - recv))")
  fi
  [ "$ooo" = 0 ] || problems+=("out_of_order $ooo != 0")
  [ "$dup" = 0 ] || problems+=("duplicates $dup != 0")
  verdict "UDP upload at $UDP_RATE without drop: loss_percent < 0.1 beside the host's own socket-buffer overflows, lost == sent − received, no reordering or duplicates" \
    "${problems[@]}"
}

# Drops our data datagrams (magic 0xd5, flags 0) with a sequence number
# (payload bytes 8-15, big-endian) from $2 on.
nft_tail_table () {
  cat <<EOF
table inet $1 {
  counter dropped {}
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport $PORT @th,64,16 0xd500 @th,128,64 >= $2 counter name dropped drop
  }
}
EOF
}

# 8. Exactly 1000 datagrams (--bytes, whole datagrams of --length); the
# last 10 never arrive. Paced gently, with no probe, so that nothing else
# is lost.
check_udp_tail () {
  local json name=udp-tail sent recv lost pct ooo dup dropped problems=()
  json="$TMP/$name.json"
  if [ -z "$HAVE_NFT" ]; then
    skip "UDP: the last datagrams lost count as lost: $NFT_REASON"
    return 0
  fi
  nft_tail_table wstail 990 | in_ns "$NS_A" nft -f -
  # --no-gso as in check_udp_loss: nftables must see one datagram a packet.
  if ! PIN=1 run_client "$name" --test UDP_STREAM --bytes 1448000 --length 1448 --bitrate 5M --no-gso \
         --time 30 --no-latency; then
    in_ns "$NS_A" nft delete table inet wstail
    not_ok "UDP: the last datagrams lost count as lost: client failed"
    return 0
  fi
  dropped=$(in_ns "$NS_A" nft list counter inet wstail dropped | awk '$1 == "packets" { print $2 }')
  in_ns "$NS_A" nft delete table inet wstail
  read_udp "$json"
  diag "kernel: nft dropped $dropped datagrams with sequence numbers 990 and up"
  [ "$sent" = 1000 ] || problems+=("packets_sent $sent != 1000")
  [ "$dropped" = 10 ] || problems+=("nft dropped $dropped, not the last 10")
  [ "$recv" = 990 ] || problems+=("packets_received $recv != 990")
  [ "$lost" = 10 ] || problems+=("packets_lost $lost != 10")
  verdict "UDP: the last 10 of 1000 datagrams dropped count as 10 lost, sent == received + lost" \
    "${problems[@]}"
}

check_loaded_latency () {
  local json name=latency idle loaded key hi what drops0 problems=()
  json="$TMP/$name.json"
  what="TCP upload into a ${DEEP_QUEUE_MS} ms tbf queue: idle p50 + ${LATENCY_RISE_MS} ms < loaded p50 < idle p50 + ${DEEP_QUEUE_MS} + ${LATENCY_SLACK_MS} ms"
  if [ -z "$HAVE_TBF" ]; then
    skip "loaded latency: $TBF_REASON"
    return 0
  fi
  set_tbf "$DEV_RA" "$DEEP_QUEUE_MS"
  drops0=$(tbf_stat "$DEV_RA" dropped)
  if ! run_client "$name" --time "$TEST_TIME"; then
    set_tbf "$DEV_RA" "$QUEUE_MS"
    not_ok "$what: client failed"
    return 0
  fi
  diag "tbf on $DEV_RA dropped $(($(tbf_stat "$DEV_RA" dropped) - drops0)) packets (Reno keeps refilling the queue); upload_bps=$(summary "$json" upload_bps) retransmits=$(summary "$json" retransmits)"
  set_tbf "$DEV_RA" "$QUEUE_MS"
  for key in idle_latency_ms loaded_latency_ms; do
    diag "$key: $(summary "$json" "$key")"
  done
  idle=$(jget "$json" "d['summary']['idle_latency_ms']['p50']")
  loaded=$(jget "$json" "d['summary']['loaded_latency_ms']['p50']")
  if [ "$idle" = absent ] || [ "$loaded" = absent ]; then
    todo "$what" "loaded latency not implemented yet (summary.idle_latency_ms / loaded_latency_ms absent)"
    return 0
  fi
  if ! is_number "$idle" || ! is_number "$loaded"; then
    not_ok "$what"
    diag "idle p50 '$idle' or loaded p50 '$loaded' is not a number"
    return 0
  fi
  # The probe's request waits in the same queue as the upload, which holds
  # at most DEEP_QUEUE_MS of data; the reply crosses the idle direction.
  hi=$(calc "$idle + $DEEP_QUEUE_MS + $LATENCY_SLACK_MS")
  diag "idle p50=$idle ms, loaded p50=$loaded ms: rise $(calc "$loaded - $idle") ms, bounds ($(calc "$idle + $LATENCY_RISE_MS"), $hi)"
  if ! awk_true "$loaded > $idle + $LATENCY_RISE_MS"; then
    problems+=("loaded p50 $loaded ms is not above idle p50 $idle + $LATENCY_RISE_MS ms")
  fi
  if ! awk_true "$loaded < $hi"; then
    problems+=("loaded p50 $loaded ms is more than a ${DEEP_QUEUE_MS} ms queue can add to idle p50 $idle ms (+ $LATENCY_SLACK_MS ms)")
  fi
  verdict "$what" "${problems[@]}"
}

# The router rewrites the client's connections to the server's side as
# its own address: the NAT of a home router, one hop from the server.
nft_nat_table () {
  cat <<EOF
table inet wsnat {
  chain post {
    type nat hook postrouting priority 100; policy accept;
    oifname "$DEV_RA" masquerade
  }
}
EOF
}

# in_brackets ADDR: ADDR as the result writes it before ":port".
in_brackets () {
  case $1 in
    *:*) printf '[%s]' "$1" ;;
    *) printf '%s' "$1" ;;
  esac
}

check_nat () {
  local what="client address: as the server saw it, and NAT through a masquerading router"
  local direct=$TMP/tcp-up.json problems=() err seen local router line rc=0
  if ! command -v nft >/dev/null 2>&1; then
    skip "$what: nft not found (Debian package nftables)"
    return
  fi
  # Without NAT (check 1's run, or one of its own): the same address.
  if [ ! -s "$direct" ]; then
    direct=$TMP/nat-direct.json
    run_client nat-direct --time 2 --no-latency || problems+=("the run without NAT failed")
  fi
  seen=$(jget "$direct" "d['client_address']")
  local=$(jget "$direct" "d['local_address']")
  if [[ "$local" != "$(in_brackets "$ADDR_B"):"* ]] || [ "$seen" != "$local" ]; then
    problems+=("without NAT: client_address $seen, local_address $local (want both $(in_brackets "$ADDR_B"):PORT)")
  fi
  if ! err=$(nft_nat_table | in_ns "$NS_R" nft -f - 2>&1); then
    skip "$what: nft cannot load a masquerade rule: ${err//$'\n'/ }"
    return
  fi
  router=${ADDR_A%1}2
  run_client nat --time 2 --no-latency || problems+=("the run through NAT failed")
  seen=$(jget "$TMP/nat.json" "d['client_address']")
  local=$(jget "$TMP/nat.json" "d['local_address']")
  diag "through NAT: client_address $seen, local_address $local"
  if [[ "$seen" != "$(in_brackets "$router"):"* ]]; then
    problems+=("through NAT: client_address $seen is not the router's $(in_brackets "$router"):PORT")
  fi
  if [[ "$local" != "$(in_brackets "$ADDR_B"):"* ]]; then
    problems+=("through NAT: local_address $local is not the client's $(in_brackets "$ADDR_B"):PORT")
  fi
  in_ns "$NS_B" timeout 60 "$WIRESPEED" --client --target "$ADDR_A" --port "$PORT" --time 2 \
    --no-latency >"$TMP/nat.txt" 2>&1 || rc=$?
  line=$(grep -F "NAT between them" "$TMP/nat.txt" || true)
  if [ "$rc" -ne 0 ] || [[ "$line" != "The server saw this client as $(in_brackets "$router"):"*" (local $(in_brackets "$ADDR_B"):"*"): NAT between them" ]]; then
    problems+=("the text report (exit $rc) lacks the NAT line")
    diag_file "$TMP/nat.txt"
  else
    diag "$line"
  fi
  in_ns "$NS_R" nft delete table inet wsnat
  verdict "$what" "${problems[@]}"
}

# ---------------------------------------------------------------- main

main () {
  local started=$SECONDS
  if [ -z "${WIRESPEED:-}" ] || [ ! -x "$WIRESPEED" ]; then
    echo "Bail out! set WIRESPEED to the wirespeed binary (got '${WIRESPEED:-}')"
    exit 1
  fi
  trap cleanup EXIT
  trap 'echo "Bail out! line $LINENO: $BASH_COMMAND failed"' ERR
  trap 'exit 130' INT
  trap 'exit 143' TERM
  TMP=$(mktemp -d)

  setup_namespaces
  setup_shaping
  check_nft
  echo "1..$N_CHECKS"
  diag "server $ADDR_A in $NS_A, router $NS_R, client $ADDR_B in $NS_B, MTU $MTU"
  diag "${NOTES[@]}"
  start_server

  if [ -n "$HAVE_TBF" ]; then
    diag "tbf on $NS_R: rate ${RATE_MBIT}mbit burst $BURST latency ${QUEUE_MS}ms both ways"
    check_tcp tcp-up upload "$DEV_RA"
    check_tcp tcp-down download "$DEV_RB" --reverse
  else
    skip "TCP upload through tbf: $TBF_REASON"
    skip "TCP download through tbf: $TBF_REASON"
  fi
  check_udp_loss
  check_udp_clean
  check_udp_tail
  check_loaded_latency
  check_nat

  diag "run time $((SECONDS - started)) s"
  if [ "$CHECK" -ne "$N_CHECKS" ]; then
    diag "planned $N_CHECKS checks, ran $CHECK"
    exit 1
  fi
  if [ "$FAILED" -ne 0 ]; then
    exit 1
  fi
  exit 0
}

main "$@"
