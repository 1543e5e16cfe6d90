#!/usr/bin/env bash
# bench/analyze.sh — `wirespeed --analyze` on a million results, SQLite and
# PostgreSQL 15
#
# Fills a store of each kind with N synthetic results (default 1000000)
# from AGENTS agents (200) over DAYS days (90) with bench/ws-analyze-gen
# (one transaction for SQLite, COPY for PostgreSQL), then runs
#   wirespeed --analyze --db STORE --tz UTC --json > /dev/null
# RUNS times (5) on each under /usr/bin/time -v. Prints one line per run:
# wall seconds, the analysis process's CPU seconds and maximum RSS, and for
# PostgreSQL the server's CPU seconds (its backends', reaped by the
# postmaster), with the load average before the run. Target (issue 15):
# under 3 s each.
#
# PostgreSQL: a cluster of its own, initdb in a temporary folder on a free
# loopback port (as root, it runs as the postgres user), stopped and
# removed on exit. Needs /usr/lib/postgresql/15/bin and /usr/bin/time.
#
#   ninja -C _build && bench/analyze.sh
#   BUILD=_b RUNS=3 bench/analyze.sh
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../_build}
W=${WIRESPEED:-$BUILD/src/wirespeed}
GEN=$BUILD/bench/ws-analyze-gen
N=${N:-1000000}
AGENTS=${AGENTS:-200}
DAYS=${DAYS:-90}
RUNS=${RUNS:-5}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

ninja -C "$BUILD" bench/ws-analyze-gen src/wirespeed >&2

tmp=$(mktemp -d)
pg_started=
cleanup () {
  if [ -n "$pg_started" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$tmp/pg/data" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

as_pg () {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid="$(id -u postgres)" --regid="$(id -g postgres)" --clear-groups "$@"
  else
    "$@"
  fi
}

free_port () {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_pg () {
  mkdir -p "$tmp/pg"
  if [ "$(id -u)" = 0 ]; then
    chmod 711 "$tmp"    # the server's user passes through to its folder
    chown postgres "$tmp/pg"
  fi
  as_pg "$PG_BIN/initdb" -D "$tmp/pg/data" -A trust -U wirespeed -N -E UTF8 --locale=C >/dev/null
  port=$(free_port)
  as_pg "$PG_BIN/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w \
    -o "-k $tmp/pg -h 127.0.0.1 -p $port -c fsync=off" start >/dev/null
  pg_started=1
  psql -q -h 127.0.0.1 -p "$port" -U wirespeed postgres -c 'CREATE DATABASE bench'
  pg_uri="postgresql://wirespeed@127.0.0.1:$port/bench"
}

# CPU seconds of the server and of the backends it has reaped.
server_cpu () {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15 + $16 + $17) / hz }' \
    "/proc/$(head -1 "$tmp/pg/data/postmaster.pid")/stat"
}

# One run: "wall cpu rss_mb [server_cpu]".
run () {
  local db=$1 before after=""
  [ -n "${2:-}" ] && before=$(server_cpu)
  /usr/bin/time -v -o "$tmp/time" "$W" --analyze --db "$db" --tz UTC --json >/dev/null
  [ -n "${2:-}" ] && after=$(awk -v a="$before" -v b="$(server_cpu)" 'BEGIN { printf "%.2f", b - a }')
  awk -v server="$after" -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = t[n] + (n > 1 ? t[n-1] * 60 : 0) }
    /User time/ { cpu += $2 } /System time/ { cpu += $2 }
    /Maximum resident/ { rss = $2 / 1024 }
    END { printf "%.2f s wall, %.2f s CPU, %.0f MB RSS", wall, cpu, rss
          if (server != "") printf ", server %.2f s CPU", server
          printf "\n" }' "$tmp/time"
}

bench () {
  local name=$1 db=$2 server=${3:-}
  for i in $(seq 1 "$RUNS"); do
    printf '%-10s run %d (load %s): %s\n' "$name" "$i" "$(cut -d' ' -f1-3 /proc/loadavg)" \
      "$(run "$db" "$server")"
  done
}

echo "filling SQLite with $N results ($AGENTS agents, $DAYS days)..." >&2
start=$(date +%s.%N)
"$GEN" "$tmp/reports.db" "$N" "$AGENTS" "$DAYS"
echo "  $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s" >&2
start_pg
echo "filling PostgreSQL with $N results..." >&2
start=$(date +%s.%N)
"$GEN" "$pg_uri" "$N" "$AGENTS" "$DAYS"
echo "  $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s" >&2

echo "nproc $(nproc); $(uptime)"
bench sqlite "$tmp/reports.db"
bench postgresql "$pg_uri" server
