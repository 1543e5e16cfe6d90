#!/usr/bin/env bash
# bench/http.sh — wirespeed's HTTP download from nginx against curl's, and
# against wirespeed's own TCP_STREAM, on loopback
#
# Starts Debian's nginx (as the test suite does: daemon off, master_process
# off, a generated config in a temporary folder, a free port) serving a
# sparse file of SIZE bytes (default 1000000000), then runs ROUNDS rounds
# (default 7). Each round downloads the file once with each of
#   curl       curl -o /dev/null -w '%{speed_download}' URL
#   wirespeed  wirespeed --client --target URL --bytes SIZE --no-latency
#              (one stream; summary.download_bps / 8)
# in an order that alternates between rounds (odd: curl first, even:
# wirespeed first), and, against a `wirespeed --server` on another free
# port, one TCP_STREAM download of the same size (--reverse --bytes SIZE
# --no-latency). The server side: curl downloading the same size from
# our server's /download?bytes=SIZE against curl downloading nginx's file
# (the nginx run of the round is the one above). Prints one line per round
# and the median, min and max of the per-round ratios wirespeed/curl,
# wirespeed HTTP/TCP_STREAM and our server/nginx (both with curl).
#
# Targets (issue 13): HTTP/curl >= 1.0, HTTP/TCP_STREAM >= 0.9,
# server/nginx >= 1.0.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

W=${WIRESPEED:-$(dirname "$0")/../_build/src/wirespeed}
ROUNDS=${ROUNDS:-7}
SIZE=${SIZE:-1000000000}
NGINX=${NGINX:-/usr/sbin/nginx}

tmp=$(mktemp -d)
pids=()
cleanup () {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port () {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mkdir -p "$tmp/www" "$tmp/tmp"
truncate -s "$SIZE" "$tmp/www/file.bin"
port=$(free_port)
cat > "$tmp/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $tmp/error.log;
pid $tmp/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $tmp/tmp;
  proxy_temp_path $tmp/tmp;
  fastcgi_temp_path $tmp/tmp;
  uwsgi_temp_path $tmp/tmp;
  scgi_temp_path $tmp/tmp;
  sendfile on;
  server { listen 127.0.0.1:$port; root $tmp/www; }
}
EOF
"$NGINX" -p "$tmp" -c "$tmp/nginx.conf" & pids+=($!)
"$W" --server --port 0 --bind 127.0.0.1 > "$tmp/server.out" & pids+=($!)
for _ in $(seq 100); do
  grep -q "listening" "$tmp/server.out" 2>/dev/null && curl -s -o /dev/null "http://127.0.0.1:$port/" -r 0-0 && break
  sleep 0.1
done
ws_port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$tmp/server.out" | head -1)
url="http://127.0.0.1:$port/file.bin"

curl_bps () { curl -s -o /dev/null -w '%{speed_download}' "${1:-$url}" | python3 -c 'import sys; print(float(sys.stdin.read()) * 8)'; }
json_bps () { python3 -c 'import json, sys; print(json.load(sys.stdin)["summary"]["download_bps"])'; }
ws_bps () { "$W" --client --target "$url" --bytes "$SIZE" --no-latency --json | json_bps; }
tcp_bps () {
  "$W" --client --target 127.0.0.1 --port "$ws_port" --reverse --bytes "$SIZE" --no-latency --json | json_bps
}

ratios_curl=()
ratios_tcp=()
ratios_server=()
for r in $(seq "$ROUNDS"); do
  if (( r % 2 )); then c=$(curl_bps); w=$(ws_bps); else w=$(ws_bps); c=$(curl_bps); fi
  t=$(tcp_bps)
  s=$(curl_bps "http://127.0.0.1:$ws_port/download?bytes=$SIZE")
  rs=$(python3 -c "print('%.3f' % ($s / $c))")
  ratios_server+=("$rs")
  rc=$(python3 -c "print('%.3f' % ($w / $c))")
  rt=$(python3 -c "print('%.3f' % ($w / $t))")
  ratios_curl+=("$rc")
  ratios_tcp+=("$rt")
  printf 'round %d  curl %6.2f Gbit/s  wirespeed HTTP %6.2f Gbit/s  TCP_STREAM %6.2f Gbit/s  curl from our server %6.2f Gbit/s  HTTP/curl %s  HTTP/TCP_STREAM %s  server/nginx %s\n' \
    "$r" "$(python3 -c "print($c / 1e9)")" "$(python3 -c "print($w / 1e9)")" \
    "$(python3 -c "print($t / 1e9)")" "$(python3 -c "print($s / 1e9)")" "$rc" "$rt" "$rs"
done
stats () { python3 -c 'import statistics, sys; v = [float(x) for x in sys.argv[1:]]; print("median %.3f  min %.3f  max %.3f" % (statistics.median(v), min(v), max(v)))' "$@"; }
echo "HTTP/curl:       $(stats "${ratios_curl[@]}")"
echo "HTTP/TCP_STREAM: $(stats "${ratios_tcp[@]}")"
echo "server/nginx:    $(stats "${ratios_server[@]}")"
