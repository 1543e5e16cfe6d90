#!/bin/bash
# bench/iperf3-interop.sh — loopback TCP_STREAM throughput, one stream, 4 s,
# four ways per round: iperf3→iperf3, iperf3→wirespeed server, wirespeed
# --iperf3 client→iperf3 server, wirespeed→wirespeed; upload and -R.
# Prints one line per round and direction (Gbit/s at the receiver).
# Ports 15401 and 15402 must be free. See docs/PERFORMANCE.md.
W=${WIRESPEED:-$(dirname "$0")/../_build/src/wirespeed}
iperf3 -s -p 15401 >/dev/null 2>&1 & IP=$!
$W --server -p 15402 >/dev/null 2>&1 & WS=$!
sleep 0.5
g () { python3 -c "import json,sys;j=json.load(sys.stdin);print('%.1f'%(j['end']['sum_received']['bits_per_second']/1e9))"; }
for r in 1 2 3 4 5; do
 for dir in "" "-R"; do
  a=$(iperf3 -c 127.0.0.1 -p 15401 -t 4 $dir -J | g)
  b=$(iperf3 -c 127.0.0.1 -p 15402 -t 4 $dir -J | g)
  c=$($W --client --iperf3 -t 127.0.0.1 -p 15401 --time 4 $dir --json 2>/dev/null | python3 -c "
import json,sys;j=json.load(sys.stdin);print('%.1f'%(j['summary']['upload_bps' if '$dir'=='' else 'download_bps']/1e9))")
  d=$($W --client -t 127.0.0.1 -p 15402 --time 4 --no-latency $dir --json 2>/dev/null | python3 -c "
import json,sys;j=json.load(sys.stdin);print('%.1f'%(j['summary']['upload_bps' if '$dir'=='' else 'download_bps']/1e9))")
  echo "run$r dir=${dir:-up} iperf3->iperf3 $a  iperf3->ws $b  ws->iperf3 $c  ws->ws $d"
 done
done
kill $WS $IP
