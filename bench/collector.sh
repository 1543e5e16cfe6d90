#!/usr/bin/env bash
# The collector under a fleet: AGENTS agents (one process, bench/collector-load)
# reporting over TLS, each with its own key, to `wirespeed --server --collect`,
# on SQLite and on PostgreSQL 15.
#
# For each store: starts the collector (TLS, an auth file of AGENTS keys) on
# a free port, then the load generator, which connects every agent, sends
# RATE reports/s in all (each agent one every AGENTS/RATE s, random phase)
# for WARMUP + DURATION s and measures the DURATION part: ACKs STORED per
# second, and the time from a report's write to its ACK (p50, p90, p99, max).
# While it runs, the collector's RSS and threads are read from /proc every
# second. Then the rows in the database are counted against the STOREDs.
# "sends late p99": how late the load generator's own sends left against
# their schedule, the machine's scheduling delay for a process that is not
# the collector (the machine is shared: read it beside the load average).
#
# Environment:
#   WIRESPEED  wirespeed binary  (default: ../_build/src/wirespeed)
#   LOAD       load generator    (default: next to WIRESPEED, ../bench/collector-load;
#                                 build it with ninja -C BUILD bench/collector-load)
#   AGENTS     agents            (default: 1000)
#   RATE       reports/s, all agents together (default: 1000)
#   WARMUP     seconds before measuring (default: 10)
#   DURATION   seconds measured  (default: 30)
#   STORES     "sqlite pg"       (default: both)
#   COLLECTOR_ARGS  more options for the collector (default: --idle-timeout 300,
#              as the first agents wait while the last connect; add --verbose
#              for a log of every report)
#   OUTDIR     keep the logs and the databases here (default: temporary)
#
# Exit status: 0 if every run stored every report it sent, 1 otherwise.

set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WIRESPEED=${WIRESPEED:-$script_dir/../_build/src/wirespeed}
LOAD=${LOAD:-$(dirname "$(dirname "$WIRESPEED")")/bench/collector-load}
AGENTS=${AGENTS:-1000}
RATE=${RATE:-1000}
WARMUP=${WARMUP:-10}
DURATION=${DURATION:-30}
STORES=${STORES:-"sqlite pg"}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
COLLECTOR_ARGS=${COLLECTOR_ARGS-"--idle-timeout 300"}
TLS=$script_dir/../tests/tls

die() { echo "collector.sh: $*" >&2; exit 1; }

[[ -x $WIRESPEED ]] || die "wirespeed not found: $WIRESPEED (set WIRESPEED)"
[[ -x $LOAD ]] || die "load generator not found: $LOAD (ninja -C BUILD bench/collector-load, or set LOAD)"
command -v python3 >/dev/null || die "python3 not found"

if [[ -n ${OUTDIR:-} ]]; then
  mkdir -p "$OUTDIR"; work=$(cd "$OUTDIR" && pwd); keep=1
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/collector-bench.XXXXXX"); keep=0
fi
server_pid=
pg_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [[ -n $pg_pid ]] && kill -INT "$pg_pid" 2>/dev/null && wait "$pg_pid" 2>/dev/null
  [[ $keep = 1 ]] || rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One key per agent, as the collector's --auth-file and the load's --keys.
for i in $(seq -f %04g 1 "$AGENTS"); do echo "agent-$i:secret-$i-$RANDOM$RANDOM"; done > "$work/keys"
chmod 600 "$work/keys"
fingerprint=$(openssl x509 -in "$TLS/server.pem" -noout -fingerprint -sha256 | cut -d= -f2)

# PostgreSQL 15 in $work/pg, as tests/ws-pg-util.h starts it (fsync on).
start_pg() {
  local as=() port
  [[ -x $PG_BIN/initdb ]] || die "no $PG_BIN/initdb"
  mkdir -p "$work/pg"
  if [[ $(id -u) = 0 ]]; then
    chown postgres: "$work/pg"
    as=(setpriv --reuid=postgres --regid=postgres --clear-groups)
  fi
  "${as[@]}" "$PG_BIN/initdb" -D "$work/pg/data" -A trust -U wirespeed -N -E UTF8 --locale=C >"$work/pg/initdb.log"
  port=$(free_port)
  "${as[@]}" "$PG_BIN/postgres" -D "$work/pg/data" -k "$work/pg" -h 127.0.0.1 -p "$port" \
    -c fsync=on -c max_connections=60 >"$work/pg/log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 100); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.1
  done
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U wirespeed -d postgres -c "CREATE DATABASE bench" >/dev/null
  pg_port=$port
  pg_uri="postgresql://wirespeed@127.0.0.1:$port/bench"
}

# Samples the collector's VmRSS (kB) and Threads every second: "max_rss max_threads".
sample_proc() {
  local pid=$1 out=$2
  : >"$out"
  while kill -0 "$pid" 2>/dev/null; do
    { awk '/^VmRSS/ {r=$2} /^Threads/ {t=$2} END {printf "%s %s ", r, t}' "/proc/$pid/status"
      awk '{print $14 + $15}' "/proc/$pid/stat"; } >>"$out" 2>/dev/null || true
    sleep 1
  done
}

run_store() {
  local store=$1 db port sampler status=0 rows verdict loadavg
  case $store in
    sqlite) db=$work/reports-$store.db; rm -f "$db"* ;;
    pg) start_pg; db=$pg_uri ;;
    *) die "unknown store $store" ;;
  esac
  port=$(free_port)
  "$WIRESPEED" --server --port "$port" --tls-cert "$TLS/server.pem" --tls-key "$TLS/server-key.pem" \
    --auth-file "$work/keys" --collect "$db" $COLLECTOR_ARGS >"$work/server-$store.out" 2>"$work/server-$store.err" &
  server_pid=$!
  for _ in $(seq 100); do grep -q "listening" "$work/server-$store.out" 2>/dev/null && break; sleep 0.1; done
  grep -q "listening" "$work/server-$store.out" || die "the collector did not start: $(cat "$work/server-$store.err")"
  sample_proc "$server_pid" "$work/proc-$store.txt" &
  sampler=$!
  echo "collector.sh: $store: $AGENTS agents, $RATE reports/s, ${WARMUP}+${DURATION} s; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$LOAD" --port "$port" --fingerprint "$fingerprint" --keys "$work/keys" --agents "$AGENTS" \
    --rate "$RATE" --warmup "$WARMUP" --duration "$DURATION" >"$work/load-$store.json" 2>"$work/load-$store.err" || status=1
  loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
  kill "$server_pid"; wait "$server_pid" || true
  server_pid=
  wait "$sampler" 2>/dev/null || true
  if [[ $store = pg ]]; then
    rows=$("$PG_BIN/psql" -tA -h 127.0.0.1 -p "$pg_port" -U wirespeed -d bench -c "SELECT count(*) FROM reports" 2>/dev/null || echo "?")
  else
    rows=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM reports").fetchone()[0])' "$db")
  fi
  verdict=0
  if python3 - "$store" "$work/load-$store.json" "$work/proc-$store.txt" "$work/server-$store.out" "$loadavg" "$rows" <<'EOF'
import json, sys
store, load, proc, out, loadavg, rows = sys.argv[1:]
r = json.load(open(load))
samples = [tuple(map(int, l.split())) for l in open(proc) if len(l.split()) == 3]
cpu = (samples[-1][2] - samples[0][2]) / 100 if samples else float('nan')
rss = max(s[0] for s in samples) / 1024 if samples else float('nan')
threads = max(s[1] for s in samples) if samples else 0
a = r.get('ack_ms', {})
print(f"| {store} | {r['agents']} | {r['results_per_s']:.0f} | {a.get('p50', float('nan')):.1f} | "
      f"{a.get('p99', float('nan')):.1f} | {a.get('max', float('nan')):.0f} | {rss:.0f} MiB | {threads} | "
      f"{r['sent']} sent, {r['stored']} stored, {rows} rows, {r['retry']} retry, {r['lost_connections']} lost | "
      f"{cpu:.0f} s / {r['load_cpu_s']:.0f} s | {r['connect_s']:.0f} s | "
      f"{r.get('send_late_ms', {}).get('p99', float('nan')):.0f} ms | {loadavg} |")
print(f"  {store}: ack p99 by 5 s: {r.get('p99_ms_by_5s')} ms", file=sys.stderr)
if rows != str(r['stored']):
    print(f"collector.sh: {store}: {r['stored']} ACKed STORED but {rows} rows", file=sys.stderr)
    sys.exit(1)
print("  " + [l for l in open(out) if l.startswith('Reports:') or l.startswith('Berichte')][-1].strip(),
      file=sys.stderr)
EOF
  then :; else verdict=1; fi
  [[ $verdict = 0 ]] || status=1
  if [[ $store = pg ]]; then
    kill -INT "$pg_pid"; wait "$pg_pid" || true; pg_pid=
  fi
  return $status
}

echo "| store | agents | results/s | ack p50 ms | ack p99 ms | ack max ms | collector RSS | threads | reports | CPU collector / load | connect | sends late p99 | load avg (after) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
failed=0
for store in $STORES; do
  run_store "$store" || failed=1
done
exit $failed
