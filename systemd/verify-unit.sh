#!/usr/bin/env bash
# Runs `systemd-analyze verify` on voucher-gated.service. verify insists that ExecStart's binary exists, and on a
# build machine /usr/sbin/voucher-gated usually does not: so the unit is checked as a copy whose binary paths
# point at the built program (BUILD_DIR/daemon/voucher-gated). Everything else is verified exactly as shipped.
#   systemd/verify-unit.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:?usage: verify-unit.sh BUILD_DIR}" && pwd)/daemon/voucher-gated
[ -x "$bin" ] || { echo "verify-unit: $bin not built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s#/usr/sbin/voucher-gated#$bin#g" "$here/voucher-gated.service" >"$tmp/voucher-gated.service"
systemd-analyze verify "$tmp/voucher-gated.service"
echo "verify-unit: voucher-gated.service OK"
