#!/usr/bin/env bash
# netns-impaired-link.sh — does Wirespeed measure a real impaired link truthfully?
#
# Builds two network namespaces joined by a veth pair, shapes the link with
# tbf (50 Mbit/s, a real queue) and drops a known share of UDP data with
# nftables, then checks Wirespeed's JSON against what the kernel did:
#
#   1. TCP upload goodput through the shaper matches the shaped rate, and
#      every byte written was received.
#   2. The same for a download (--reverse), shaped on the server's side.
#   3. UDP upload with a 5 % random drop: loss_percent within binomial
#      bounds of 5 %, and the loss/out-of-order/duplicate accounting adds up.
#   4. The same run, datagram by datagram: packets sent/received/lost equal
#      what nftables counted and dropped (exact, no statistics).
#   5. UDP upload without the drop rule: no loss.
#   6. Loaded latency (UDP probe during a TCP upload into a 100 ms tbf
#      queue) is well above idle latency.
#
# Traffic goes only between the two namespaces this script creates (IPv6
# ULA fd00:5753::/64, or 10.200.53.0/30 when IPv6 is unavailable); nothing
# is routed anywhere else, and everything is removed on exit.
#
# Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN) and the Debian packages
# iproute2 (ip, tc, ss), nftables (nft) and python3 (JSON; meson pulls it
# in); the kernel needs veth, sch_tbf and nf_tables with numgen.  Without
# permission to create namespaces the whole test is skipped; without tc/tbf
# or nft only the checks that need them are.  Nothing is installed here.
#
# Environment: WIRESPEED  the wirespeed binary (required)
# Output: TAP on stdout; exit 0 when every check passed, was skipped or is
# a TODO.

set -euo pipefail

readonly PORT=5201
readonly RATE_MBIT=50          # tbf rate, Mbit/s (tc's mbit = 10^6 bit)
readonly BURST=32kbit          # 4000 bytes: > one 1514-byte frame
readonly QUEUE_MS=50           # tbf latency (queue depth) for checks 1-5
readonly DEEP_QUEUE_MS=100     # tbf latency for the loaded-latency check
readonly MTU=1500
readonly TCP_TIME=8            # seconds per test
readonly UDP_TIME=8
readonly UDP_RATE=20M          # well below the shaped rate
readonly DROP_PERCENT=5
readonly RATE_TOLERANCE=5      # ± % of the expected goodput
readonly LATENCY_RISE_MS=10
readonly N_CHECKS=6

NS_A="ws-a-$$"                 # server
NS_B="ws-b-$$"                 # client
DEV_A=wsv0
DEV_B=wsv1
ADDR_A=""
ADDR_B=""
IP_HEADER=0                    # bytes: 40 for IPv6, 20 for IPv4
TMP=""
SERVER_PID=""
NETNS_MADE=""
HAVE_TBF=""
HAVE_NFT=""
TBF_REASON=""
NFT_REASON=""
CHECK=0
FAILED=0

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

# verdict NAME REASON...: ok when no reason is given, else not ok with the
# reasons as diagnostics.
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

# awk_true EXPR: floating-point test, e.g. awk_true "1.5 < 2".
awk_true () {
  awk "BEGIN { exit !($1) }"
}

# calc EXPR: floating-point arithmetic, printed with 6 significant digits.
calc () {
  awk "BEGIN { printf \"%.6g\", $1 }"
}

# jget FILE KEY.PATH: a JSON value; "absent" when a key is missing,
# "null" for null.
jget () {
  python3 - "$1" "$2" <<'EOF'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    if not isinstance(value, dict) or key not in value:
        print("absent")
        sys.exit(0)
    value = value[key]
if value is None:
    print("null")
elif isinstance(value, bool):
    print("true" if value else "false")
elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
    print(int(value))
else:
    print(value)
EOF
}

in_a () { ip netns exec "$NS_A" "$@"; }
in_b () { ip netns exec "$NS_B" "$@"; }

# ---------------------------------------------------------------- setup

cleanup () {
  local ns pid
  set +e
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [ -n "$NETNS_MADE" ]; then
    for ns in "$NS_A" "$NS_B"; do
      # Anything still running inside our own namespaces is ours.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null
      done
      ip netns del "$ns" 2>/dev/null
    done
  fi
  [ -n "$TMP" ] && rm -rf "$TMP"
}

setup_namespaces () {
  local err
  if ! command -v ip >/dev/null 2>&1; then
    echo "1..0 # SKIP cannot create network namespaces: ip (iproute2) not found"
    exit 0
  fi
  if ! err=$(ip netns add "$NS_A" 2>&1); then
    echo "1..0 # SKIP cannot create network namespaces: ${err//$'\n'/ }"
    exit 0
  fi
  NETNS_MADE=1
  ip netns add "$NS_B"
  ip -n "$NS_A" link set lo up
  ip -n "$NS_B" link set lo up
  ip -n "$NS_A" link add "$DEV_A" mtu "$MTU" type veth peer name "$DEV_B" netns "$NS_B" mtu "$MTU"
  # The goodput formula below assumes TCP timestamps (12 option bytes).
  in_a sysctl -qw net.ipv4.tcp_timestamps=1
  in_b sysctl -qw net.ipv4.tcp_timestamps=1

  if ip -n "$NS_A" -6 addr add fd00:5753::1/64 dev "$DEV_A" nodad 2>/dev/null \
     && ip -n "$NS_B" -6 addr add fd00:5753::2/64 dev "$DEV_B" nodad 2>/dev/null; then
    ADDR_A=fd00:5753::1
    ADDR_B=fd00:5753::2
    IP_HEADER=40
  else
    ip -n "$NS_A" -6 addr flush dev "$DEV_A" 2>/dev/null || true
    ip -n "$NS_A" addr add 10.200.53.1/30 dev "$DEV_A"
    ip -n "$NS_B" addr add 10.200.53.2/30 dev "$DEV_B"
    ADDR_A=10.200.53.1
    ADDR_B=10.200.53.2
    IP_HEADER=20
  fi
  ip -n "$NS_A" link set "$DEV_A" up
  ip -n "$NS_B" link set "$DEV_B" up
}

# set_tbf NS DEV QUEUE_MS: shape NS's egress on DEV to RATE_MBIT.
set_tbf () {
  ip -n "$1" link set "$2" up
  tc -n "$1" qdisc replace dev "$2" root tbf rate "${RATE_MBIT}mbit" burst "$BURST" latency "${3}ms"
}

setup_shaping () {
  local err
  if ! command -v tc >/dev/null 2>&1; then
    TBF_REASON="tc (iproute2) not found"
    return 0
  fi
  # Both directions: the data direction is shaped in every test, and the
  # other one only carries ACKs and probe replies (far below the rate).
  if err=$(set_tbf "$NS_A" "$DEV_A" "$QUEUE_MS" 2>&1) \
     && err=$(set_tbf "$NS_B" "$DEV_B" "$QUEUE_MS" 2>&1); then
    HAVE_TBF=1
  else
    TBF_REASON="tc qdisc add … tbf failed: ${err//$'\n'/ }"
  fi
}

check_nft () {
  local err
  if ! command -v nft >/dev/null 2>&1; then
    NFT_REASON="nft not found (apt-get install nftables)"
    return 0
  fi
  # Probe that the kernel takes every expression the drop rule needs.
  if err=$(in_a nft -f - 2>&1 <<EOF
table inet wsprobe {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport $PORT @th,64,16 0xd500 numgen random mod 100 < $DROP_PERCENT counter drop
  }
}
delete table inet wsprobe
EOF
  ); then
    HAVE_NFT=1
  else
    NFT_REASON="nft cannot load the drop rule: ${err//$'\n'/ }"
  fi
}

start_server () {
  local i
  in_a "$WIRESPEED" --server --port "$PORT" >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
  for i in $(seq 100); do
    if [ -n "$(in_a ss -Hltn "sport = :$PORT" 2>/dev/null)" ]; then
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "Bail out! wirespeed server did not start in namespace $NS_A"
  diag_file "$TMP/server.log"
  exit 1
}

# run_client NAME ARGS...: one client run from B to A, JSON in $TMP/NAME.json.
run_client () {
  local name=$1 rc=0
  shift
  in_b timeout 60 "$WIRESPEED" --client --target "$ADDR_A" --port "$PORT" --json "$@" \
    >"$TMP/$name.json" 2>"$TMP/$name.err" || rc=$?
  if [ "$rc" -ne 0 ] || ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/$name.json" 2>/dev/null; then
    diag "wirespeed --client --target $ADDR_A --port $PORT --json $* exited $rc:"
    diag_file "$TMP/$name.err"
    diag_file "$TMP/$name.json"
    return 1
  fi
}

# ---------------------------------------------------------------- counters

# nft_counter NAME: packets counted by the named counter in table wsloss.
nft_counter () {
  in_a nft list counter inet wsloss "$1" | awk '$1 == "packets" { print $2 }'
}

# tbf_drops NS DEV: packets the tbf on DEV has dropped so far.
tbf_drops () {
  tc -n "$1" -s qdisc show dev "$2" \
    | awk '/dropped/ { sub(",", "", $7); print $7; exit }'
}

# udp_rcvbuf_errors: datagrams A's kernel dropped for a full socket buffer.
udp_rcvbuf_errors () {
  in_a awk '
    FILENAME ~ /snmp6$/ && $1 == "Udp6RcvbufErrors" { n += $2 }
    FILENAME ~ /snmp$/ && $1 == "Udp:" {
      if (hdr == "") { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1 }
      else if ("RcvbufErrors" in col) n += $(col["RcvbufErrors"])
    }
    END { print n + 0 }' /proc/net/snmp /proc/net/snmp6
}

# ---------------------------------------------------------------- checks

# The goodput a single TCP flow can reach through the tbf.  tbf charges
# every frame its full length on the veth: Ethernet header (14) + IP header
# (40 IPv6 / 20 IPv4) + TCP header (20) + timestamp option (12) + payload,
# and Wirespeed counts only the payload, MSS = MTU − IP − 32 bytes:
#   goodput = rate × (MTU − IP − 32) / (MTU + 14)
# IPv6: 50 Mbit/s × 1428/1514 = 47.16 Mbit/s; IPv4: × 1448/1514 = 47.82.
# The other error terms are far below the tolerance: the tbf burst (4000
# bytes, < 0.01 % of a run), slow start (a few ms), the latency probe
# (~100 bytes every 15 ms, 0.1 % of the link).
expected_goodput () {
  calc "$RATE_MBIT * 1e6 * ($MTU - $IP_HEADER - 32) / ($MTU + 14)"
}

# check_tcp NAME DIRECTION(upload|download) ARGS...
check_tcp () {
  local name=$1 dir=$2 json bps sent recv expected lo hi dev problems=()
  shift 2
  json="$TMP/$name.json"
  if ! run_client "$name" --time "$TCP_TIME" "$@"; then
    not_ok "TCP $dir through ${RATE_MBIT} Mbit/s tbf: client failed"
    return 0
  fi
  bps=$(jget "$json" "summary.${dir}_bps")
  sent=$(jget "$json" "summary.$dir.sender_bytes")
  recv=$(jget "$json" "summary.$dir.receiver_bytes")
  expected=$(expected_goodput)
  lo=$(calc "$expected * (1 - $RATE_TOLERANCE / 100)")
  hi=$(calc "$expected * (1 + $RATE_TOLERANCE / 100)")
  diag "$dir: ${dir}_bps=$bps expected=$expected (rate ${RATE_MBIT}e6 × ($MTU−$IP_HEADER−32)/($MTU+14)) bounds [$lo, $hi]"
  if awk_true "$bps + 0 > 0"; then
    diag "$dir: deviation $(calc "100 * ($bps - $expected) / $expected") %"
  fi
  diag "$dir: sender_bytes=$sent receiver_bytes=$recv elapsed_s=$(jget "$json" elapsed_s) retransmits=$(jget "$json" summary.retransmits)"
  for dev in "$NS_A $DEV_A" "$NS_B $DEV_B"; do
    # shellcheck disable=SC2086 # "NS DEV" split on purpose
    diag "tbf $(tc -n ${dev% *} -s qdisc show dev ${dev#* } | awk 'NR == 2' | sed 's/^ *//') on ${dev#* }"
  done

  if ! awk_true "$bps + 0 >= $lo && $bps + 0 <= $hi"; then
    problems+=("${dir}_bps $bps outside [$lo, $hi]")
  fi
  if [ "$sent" != "$recv" ] || [ "$sent" = null ] || [ "$sent" = absent ]; then
    problems+=("sender_bytes $sent != receiver_bytes $recv")
  fi
  verdict "TCP $dir through ${RATE_MBIT} Mbit/s tbf: goodput within ±${RATE_TOLERANCE} % of $expected bit/s, sender_bytes == receiver_bytes" \
    "${problems[@]}"
}

# UDP upload with the nftables drop rule: checks 3 (statistics) and 4
# (exact counts).
check_udp_loss () {
  local json name=udp-loss sent recv lost pct ooo dup n sigma margin lo hi
  local seen dropped tbf0 tbf1 rcv0 rcv1 tbf_lost rcvbuf problems=()
  json="$TMP/$name.json"

  if [ -z "$HAVE_NFT" ]; then
    skip "UDP loss with ${DROP_PERCENT} % random drop: $NFT_REASON"
    skip "UDP loss counts equal nftables' counts: $NFT_REASON"
    return 0
  fi
  # Only UDP_STREAM data datagrams: payload starting d5 00 (data header
  # magic, flags 0).  STREAM_HELLO (02 …) and latency probes (d5 01) pass.
  in_a nft -f - <<EOF
table inet wsloss {
  counter seen {}
  counter dropped {}
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport $PORT @th,64,16 0xd500 counter name seen
    udp dport $PORT @th,64,16 0xd500 numgen random mod 100 < $DROP_PERCENT counter name dropped drop
  }
}
EOF
  tbf0=$(tbf_drops "$NS_B" "$DEV_B")
  rcv0=$(udp_rcvbuf_errors)
  if ! run_client "$name" --test UDP_STREAM --bitrate "$UDP_RATE" --time "$UDP_TIME"; then
    in_a nft delete table inet wsloss
    not_ok "UDP loss with ${DROP_PERCENT} % random drop: client failed"
    not_ok "UDP loss counts equal nftables' counts: client failed"
    return 0
  fi
  seen=$(nft_counter seen)
  dropped=$(nft_counter dropped)
  in_a nft delete table inet wsloss
  tbf1=$(tbf_drops "$NS_B" "$DEV_B")
  rcv1=$(udp_rcvbuf_errors)
  tbf_lost=$((tbf1 - tbf0))
  rcvbuf=$((rcv1 - rcv0))

  sent=$(jget "$json" summary.packets_sent)
  recv=$(jget "$json" summary.packets_received)
  lost=$(jget "$json" summary.packets_lost)
  pct=$(jget "$json" summary.loss_percent)
  ooo=$(jget "$json" summary.out_of_order)
  dup=$(jget "$json" summary.duplicates)
  diag "wirespeed: packets_sent=$sent packets_received=$recv packets_lost=$lost loss_percent=$pct out_of_order=$ooo duplicates=$dup upload_bps=$(jget "$json" summary.upload_bps)"
  diag "kernel: nft saw $seen data datagrams and dropped $dropped ($(calc "100 * $dropped / ($seen + ($seen == 0))") %), tbf dropped $tbf_lost, socket buffer overflows $rcvbuf"

  # 3. Statistics: the drop is Bernoulli(p) per datagram, so the loss
  # fraction over N datagrams has sd sqrt(p(1−p)/N); allow 4 sd + 0.2 %.
  n=$sent
  if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -eq 0 ]; then
    n=1
  fi
  sigma=$(calc "100 * sqrt($DROP_PERCENT / 100 * (1 - $DROP_PERCENT / 100) / $n)")
  margin=$(calc "4 * $sigma + 0.2")
  lo=$(calc "$DROP_PERCENT - $margin")
  hi=$(calc "$DROP_PERCENT + $margin")
  diag "N=$n sd=$sigma % bounds [$lo, $hi] %"
  if ! awk_true "\"$pct\" != \"null\" && $pct + 0 >= $lo && $pct + 0 <= $hi"; then
    problems+=("loss_percent $pct outside [$lo, $hi]")
  fi
  if [ "$lost" != "$((sent - recv))" ]; then
    problems+=("packets_lost $lost != packets_sent − packets_received = $((sent - recv))")
  fi
  if ! awk_true "$sent > 0 && ($pct - 100 * $lost / $sent)^2 < 1e-4"; then
    problems+=("loss_percent $pct != 100 × packets_lost / packets_sent")
  fi
  [ "$ooo" = 0 ] || problems+=("out_of_order $ooo != 0")
  [ "$dup" = 0 ] || problems+=("duplicates $dup != 0")
  verdict "UDP upload at $UDP_RATE with ${DROP_PERCENT} % random drop: loss_percent within binomial bounds, lost == sent − received, no reordering or duplicates" \
    "${problems[@]}"

  # 4. Exact: every datagram sent either reached A (nft saw it) or was
  # dropped by B's tbf; every one nft let through was received unless the
  # socket buffer overflowed.
  problems=()
  if [ "$sent" != "$((seen + tbf_lost))" ]; then
    problems+=("packets_sent $sent != datagrams seen by nft $seen + tbf drops $tbf_lost")
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

check_udp_clean () {
  local json name=udp-clean sent recv lost pct ooo dup problems=()
  json="$TMP/$name.json"
  if ! run_client "$name" --test UDP_STREAM --bitrate "$UDP_RATE" --time "$UDP_TIME"; then
    not_ok "UDP upload at $UDP_RATE without drop: client failed"
    return 0
  fi
  sent=$(jget "$json" summary.packets_sent)
  recv=$(jget "$json" summary.packets_received)
  lost=$(jget "$json" summary.packets_lost)
  pct=$(jget "$json" summary.loss_percent)
  ooo=$(jget "$json" summary.out_of_order)
  dup=$(jget "$json" summary.duplicates)
  diag "wirespeed: packets_sent=$sent packets_received=$recv packets_lost=$lost loss_percent=$pct out_of_order=$ooo duplicates=$dup upload_bps=$(jget "$json" summary.upload_bps)"
  if ! awk_true "\"$pct\" != \"null\" && $pct + 0 < 0.1"; then
    problems+=("loss_percent $pct not < 0.1")
  fi
  if [ "$lost" != "$((sent - recv))" ]; then
    problems+=("packets_lost $lost != packets_sent − packets_received = $((sent - recv))")
  fi
  [ "$ooo" = 0 ] || problems+=("out_of_order $ooo != 0")
  [ "$dup" = 0 ] || problems+=("duplicates $dup != 0")
  verdict "UDP upload at $UDP_RATE without drop: loss_percent < 0.1, lost == sent − received" \
    "${problems[@]}"
}

check_loaded_latency () {
  local json name=latency idle loaded key name_ok
  json="$TMP/$name.json"
  name_ok="loaded latency p50 > idle p50 + ${LATENCY_RISE_MS} ms with a ${DEEP_QUEUE_MS} ms tbf queue"
  if [ -z "$HAVE_TBF" ]; then
    skip "loaded latency: $TBF_REASON"
    return 0
  fi
  set_tbf "$NS_B" "$DEV_B" "$DEEP_QUEUE_MS"
  if ! run_client "$name" --time "$TCP_TIME"; then
    set_tbf "$NS_B" "$DEV_B" "$QUEUE_MS"
    not_ok "$name_ok: client failed"
    return 0
  fi
  set_tbf "$NS_B" "$DEV_B" "$QUEUE_MS"
  for key in idle_latency_ms loaded_latency_ms; do
    diag "$key: $(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["summary"].get(sys.argv[2], "absent")))' "$json" "$key")"
  done
  diag "upload_bps=$(jget "$json" summary.upload_bps)"
  idle=$(jget "$json" summary.idle_latency_ms.p50)
  loaded=$(jget "$json" summary.loaded_latency_ms.p50)
  if [ "$idle" = absent ] || [ "$loaded" = absent ]; then
    todo "$name_ok" "loaded latency not implemented yet (summary.idle_latency_ms / loaded_latency_ms absent)"
    return 0
  fi
  diag "idle p50=$idle ms, loaded p50=$loaded ms, rise $(calc "$loaded - $idle") ms"
  if [ "$idle" != null ] && [ "$loaded" != null ] \
     && awk_true "$loaded > $idle + $LATENCY_RISE_MS"; then
    ok "$name_ok"
  else
    not_ok "$name_ok"
    diag "loaded p50 $loaded is not above idle p50 $idle + $LATENCY_RISE_MS"
  fi
}

# ---------------------------------------------------------------- main

main () {
  local started=$SECONDS
  if [ -z "${WIRESPEED:-}" ] || [ ! -x "$WIRESPEED" ]; then
    echo "Bail out! set WIRESPEED to the wirespeed binary (got '${WIRESPEED:-}')"
    exit 1
  fi
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  TMP=$(mktemp -d)

  setup_namespaces
  setup_shaping
  check_nft
  echo "1..$N_CHECKS"
  diag "namespaces $NS_A (server $ADDR_A) and $NS_B (client $ADDR_B), MTU $MTU"
  start_server

  if [ -n "$HAVE_TBF" ]; then
    diag "tbf: rate ${RATE_MBIT}mbit burst $BURST latency ${QUEUE_MS}ms on both veth ends"
    check_tcp tcp-up upload
    check_tcp tcp-down download --reverse
  else
    skip "TCP upload through tbf: $TBF_REASON"
    skip "TCP download through tbf: $TBF_REASON"
  fi
  check_udp_loss
  check_udp_clean
  check_loaded_latency

  diag "run time $((SECONDS - started)) s"
  if [ "$CHECK" -ne "$N_CHECKS" ]; then
    diag "planned $N_CHECKS checks, ran $CHECK"
    exit 1
  fi
  [ "$FAILED" -eq 0 ]
}

main "$@"
