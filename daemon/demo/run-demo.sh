#!/usr/bin/env bash
# The voucher-gate demo: runs the real voucher-gated on a generated site, no camera and no hardware needed.
#   daemon/demo/run-demo.sh BUILD_DIR        (bootstrap.sh demo builds first, then calls this)
# A temp directory gets a config with one entry and one exit lane (sim relays), a SQLite ledger with a household
# and real vouchers issued by the CLI, and clips made by vg-lane-clips (the project's own plate and card
# renderers): a voucher car arriving with its card, a resident car, a photocopy of the same card on another car,
# a car leaving late (entered five hours ago, recorded by the guard with the CLI) that comes back without a card, and the
# voucher car leaving. Each decision and announcement is printed as it happens, then a summary; it stops by itself.
set -euo pipefail
build=$(cd "${1:?usage: run-demo.sh BUILD_DIR}" && pwd)
daemon=$build/daemon/voucher-gated
cli=$build/cli/voucher-gate
clips=$build/daemon/vg-lane-clips
for b in "$daemon" "$cli" "$clips"; do
  [ -x "$b" ] || { echo "run-demo: $b is not built (run ./bootstrap.sh build)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/voucher-gate-demo.XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "${KEEP_DEMO:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
port=$((18000 + RANDOM % 2000))
mkdir -p "$work/entry" "$work/exit"
cat >"$work/voucher-gate.toml" <<TOML
[site]
name = "春光苑 (demo)"
[vouchers]
key_file = "$work/voucher.keys"
[database]
path = "$work/ledger.db"
spool_path = "$work/spool.jsonl"
[audit]
key_file = "$work/audit.key"
[http]
listen = "127.0.0.1:$port"
[log]
plates = true  # the demo shows each decision's plate (off by default: the journal keeps no plates)
[control]
socket = "$work/control.sock"
[stay]
sweep_every = "5s"
[lanes]
pair_window = "5s"
repeat_window = "3s"
plate_timeout = "4s"

[[lane]]
name = "entry-1"
direction = "entry"
plate_camera = "$work/entry"
camera_fps = 10
[lane.relay]
driver = "sim"
file = "$work/relay-entry-1.jsonl"
[lane.announcer]
driver = "log"

[[lane]]
name = "exit-1"
direction = "exit"
plate_camera = "$work/exit"
camera_fps = 10
[lane.relay]
driver = "sim"
file = "$work/relay-exit-1.jsonl"
TOML
vg() { "$cli" --config "$work/voucher-gate.toml" "$@"; }

echo "== voucher-gate demo in $work"
month=$(TZ=Asia/Shanghai date +%Y-%m)
vg init >/dev/null
vg household add 12-301 --category living-alone --contact 王阿姨 >/dev/null
vg vehicle add 沪E24680 --kind resident --unit 3-502 >/dev/null
mapfile -t tokens < <(vg --json issue 12-301 --month "$month" --count 2 | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ "${#tokens[@]}" -eq 2 ] || { echo "run-demo: issuing vouchers failed" >&2; exit 1; }
echo "   issued 2 vouchers for unit 12-301 ($month): ${tokens[0]} ${tokens[1]}"
earlier=$(TZ=Asia/Shanghai date -d '-5 hours' +%Y-%m-%dT%H:%M:%S)
vg enter --lane entry-1 --plate 沪D20461 --voucher "${tokens[1]}" --at "$earlier" --operator 门卫老李 \
  --reason "demo: this car came in five hours ago" >/dev/null
echo "   沪D20461 entered at $earlier on the second voucher (it will leave late)"

echo "== generating the lanes' camera clips (1080p frames, 10 fps)"
cat >"$work/entry.txt" <<SCENES
frames=10
frames=40 plate=沪A12345 card=${tokens[0]}
frames=30
frames=30 plate=沪E24680
frames=30
frames=30 plate=沪G11223 card=${tokens[0]}
frames=40
frames=80 plate=沪D20461
frames=10
SCENES
cat >"$work/exit.txt" <<SCENES
frames=60
frames=30 plate=沪D20461
frames=60
frames=30 plate=沪A12345
frames=10
SCENES
"$clips" "$work/entry" "$work/entry.txt" >/dev/null
"$clips" "$work/exit" "$work/exit.txt" >/dev/null

echo "== starting voucher-gated (http://127.0.0.1:$port/healthz, /metrics)"
"$daemon" --config "$work/voucher-gate.toml" >"$work/daemon.log" 2>&1 &
pid=$!

field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" <<<"$2"; }
show() {
  local line=$1 json=${1#* * * }
  case "$line" in
    *" DECISION "*)
      printf '%s  %-8s %-26s %-10s %s\n' "$(cut -c12-19 <<<"$line")" "$(field lane "$json")" "$(field reason "$json")" \
        "$(field plate "$json")" "$(field message "$json")" ;;
    *" ANNOUNCE "*) printf '%s  %-8s   says: %s\n' "$(cut -c12-19 <<<"$line")" "$(field lane "$json")" "$(field text "$json")" ;;
    *" OVERSTAY_STARTED "*|*" RELAY_FAULT "*|*" CAMERA_LOST "*|*" STARTED "*|*" STOPPED "*)
      printf '%s  %s\n' "$(cut -c12-19 <<<"$line")" "$(cut -d' ' -f3- <<<"$line")" ;;
  esac
}
ended=0
deadline=$((SECONDS + 150))
exec 3< <(tail -n +1 -f "$work/daemon.log")
while ((SECONDS < deadline)); do
  if IFS= read -r -t 1 line <&3; then
    show "$line"
    [[ "$line" == *" SOURCE_ENDED "* ]] && ended=$((ended + 1))
    ((ended >= 2)) && break
  fi
  kill -0 "$pid" 2>/dev/null || { echo "run-demo: voucher-gated exited early:" >&2; tail -5 "$work/daemon.log" >&2; exit 1; }
done
# The last car's pair window and the next overstay sweep, then stop.
end=$((SECONDS + 7))
while ((SECONDS < end)); do
  if IFS= read -r -t 1 line <&3; then show "$line"; fi
done
kill -TERM "$pid"
set +e
wait "$pid"
status=$?
set -e
pid=""
while IFS= read -r -t 1 line <&3; do show "$line"; done

echo
echo "== summary"
echo "   voucher-gated exit status: $status"
echo "   decisions by reason:"
sed -n 's/.* DECISION .*"reason":"\([A-Z_]*\)".*/\1/p' "$work/daemon.log" | sort | uniq -c | sed 's/^/     /'
for lane in entry-1 exit-1; do
  n=$(grep -c '"action":"pulse"' "$work/relay-$lane.jsonl" || true)
  last=$(tail -1 "$work/relay-$lane.jsonl" | sed -n 's/.*"action":"\([a-z]*\)".*/\1/p')
  echo "   relay $lane: $n pulses, last action: $last"
done
echo "   visits:"
vg visits | sed 's/^/     /'
echo "   audit chain:"
vg audit verify | sed 's/^/     /'
echo "   (set KEEP_DEMO=1 to keep $work)"
