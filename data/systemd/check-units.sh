#!/usr/bin/env bash
# check-units.sh SOURCE_DIR WIRESPEED — the systemd units pass
# `systemd-analyze verify` with nothing to say (TAP). ExecStart must name an
# executable, so @bindir@ becomes the folder of this build's binary.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -uo pipefail
src=${1:?usage: check-units.sh SOURCE_DIR WIRESPEED}
bindir=$(dirname "${2:?}")
units=(wirespeed-agent.service wirespeed-server.service)
echo "1..${#units[@]}"
if [[ -z "${SYSTEMD_ANALYZE:-}" ]]; then
  for i in "${!units[@]}"; do
    echo "ok $((i + 1)) - ${units[$i]} # SKIP systemd-analyze not found"
  done
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for i in "${!units[@]}"; do
  unit=${units[$i]}
  sed "s|@bindir@|$bindir|g" "$src/$unit.in" > "$tmp/$unit"
  # Unknown keys are only warnings: any output fails the test.
  if out=$("$SYSTEMD_ANALYZE" verify "$tmp/$unit" 2>&1) && [[ -z "$out" ]]; then
    echo "ok $((i + 1)) - $unit"
  else
    failed=1
    echo "not ok $((i + 1)) - $unit"
    sed 's/^/# /' <<< "$out"
  fi
done
exit "$failed"
