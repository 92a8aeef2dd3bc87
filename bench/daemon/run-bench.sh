#!/usr/bin/env bash
# bench/daemon: the real voucher-gated with two 1080p entry lanes at 25 fps (folder cameras made by vg-lane-clips,
# sim relays), three voucher cars per lane. Reports, per admission, the latency from the frame in which the card
# first becomes readable (its scheduled time in the clip) to the relay command (the sim relay's record), the
# daemon's own card-to-relay histogram (from the first frame it read the card in), frames processed/dropped per
# lane, CPU time and peak RSS. Figures go to bench/README.md, section "Daemon".
#   bench/daemon/run-bench.sh BUILD_DIR [folder|video]
# "folder" (the default): each camera is a folder of 1080p JPEG frames, every frame a JPEG to decode, as from an MJPEG
# USB camera. "video": each camera is an H.264 file played at its own 25 fps, as from an IP camera's RTSP stream.
set -euo pipefail
build=$(cd "${1:?usage: run-bench.sh BUILD_DIR [folder|video]}" && pwd)
kind=${2:-folder}
case $kind in folder | video) ;; *) echo "run-bench.sh: camera kind must be folder or video, not $kind" >&2; exit 2 ;; esac
daemon=$build/daemon/voucher-gated
cli=$build/cli/voucher-gate
clips=$build/daemon/vg-lane-clips
work=$(mktemp -d /tmp/vg-bench-daemon.XXXXXX)
trap '[ -n "${KEEP_BENCH:-}" ] || rm -rf "$work"' EXIT
fps=25
port=$((19000 + RANDOM % 1000))
cat >"$work/cfg.toml" <<TOML
[vouchers]
per_month = 8
key_file = "$work/voucher.keys"
[database]
path = "$work/ledger.db"
spool_path = "$work/spool.jsonl"
[audit]
key_file = "$work/audit.key"
[http]
listen = "127.0.0.1:$port"
[control]
socket = "$work/control.sock"
[lanes]
repeat_window = "2s"
TOML
ext=""
if [ "$kind" = video ]; then ext=".mkv"; else mkdir -p "$work/lane-a" "$work/lane-b"; fi
for lane in a b; do
  cat >>"$work/cfg.toml" <<TOML
[[lane]]
name = "entry-$lane"
direction = "entry"
plate_camera = "$work/lane-$lane$ext"
camera_fps = $fps
[lane.relay]
driver = "sim"
file = "$work/relay-entry-$lane.jsonl"
TOML
done
vg() { "$cli" --config "$work/cfg.toml" "$@"; }
vg init >/dev/null
vg household add 1-101 --category living-alone >/dev/null
mapfile -t tok < <(vg --json issue 1-101 --month "$(TZ=Asia/Shanghai date +%Y-%m)" --count 6 | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
# Per car: 25 empty frames, the car arrives (its plate in view for 1 s), then holds its card out for 3 s (frames 50-124
# of the car), then 25 frames with the car gone.
scene() {  # plate token...
  local out="" p t
  while (($#)); do
    p=$1 t=$2; shift 2
    out+="frames=25"$'\n'"frames=100 plate=$p card=$t card_from=25"$'\n'"frames=25"$'\n'
  done
  printf '%s' "$out"
}
scene 沪A12345 "${tok[0]}" 沪D20461 "${tok[1]}" 沪E24680 "${tok[2]}" >"$work/a.txt"
scene 沪L90876 "${tok[3]}" 沪A66778 "${tok[4]}" 沪F13579 "${tok[5]}" >"$work/b.txt"
frames=$("$clips" "$work/lane-a$ext" "$work/a.txt" --fps $fps)
"$clips" "$work/lane-b$ext" "$work/b.txt" --fps $fps >/dev/null

"$daemon" --config "$work/cfg.toml" >"$work/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q ' STARTED ' "$work/daemon.log" && break; sleep 0.1; done
t0=$(sed -n 's/^\([0-9T:.-]*\) .* STARTED .*/\1/p' "$work/daemon.log")
ended=0
for _ in $(seq 600); do
  ended=$(grep -c ' SOURCE_ENDED ' "$work/daemon.log" || true)
  ((ended >= 2)) && break
  sleep 0.1
done
metrics=$(curl -s "127.0.0.1:$port/metrics")
read -r utime stime < <(awk '{print $14, $15}' "/proc/$pid/stat")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
ticks=$(getconf CLK_TCK)
kill -TERM "$pid"; wait "$pid" || true

# The clip's clock, per lane: a file or folder played as a camera stamps frame k with the time it was due (its
# schedule starts once frame 0 is read), and CAMERA_STREAMING gives the stamp and index of the first frame a reader
# took, so frame N of the clip was due at captured - index/fps + N/fps. Decoding, waiting for a thread, reading and
# deciding all count as latency. STARTED is the fallback.
play_s=$(awk -v f="$frames" -v fps=$fps 'BEGIN{print f/fps}')
echo "== bench/daemon: 2 lanes x $frames frames 1920x1080 at $fps fps (${play_s}s each, $kind cameras), 3 voucher cars per lane"
lat=()
for lane in a b; do
  start=$(date -d "${t0}" +%s.%N)
  streaming=$(grep " CAMERA_STREAMING .*\"lane\":\"entry-$lane\"" "$work/daemon.log" | head -1 || true)
  if [ -n "$streaming" ]; then
    captured_ms=$(sed -n 's/.*"captured_ms":\([0-9]*\).*/\1/p' <<<"$streaming")
    index=$(sed -n 's/.*"index":\([0-9]*\).*/\1/p' <<<"$streaming")
    start=$(awk -v c="$captured_ms" -v i="$index" -v fps=$fps 'BEGIN{printf "%.3f", c / 1000 - i / fps}')
    echo "   entry-$lane: clip clock from CAMERA_STREAMING, $(awk -v s="$start" -v t="$(date -d "${t0}" +%s.%N)" 'BEGIN{printf "%.0f", (s - t) * 1000}') ms after STARTED"
  fi
  # A capture thread that cannot decode at the camera's rate stretches the clip: its last frame comes late, and so
  # does every card after the stretch (counted as latency, as a real camera's frames would wait in its buffers).
  ended_at=$(sed -n "s/^\([0-9T:.-]*\) .* SOURCE_ENDED .*lane-$lane.*/\1/p" "$work/daemon.log" | head -1)
  if [ -n "$ended_at" ]; then
    echo "   entry-$lane: source ended $(awk -v s="$start" -v e="$(date -d "$ended_at" +%s.%N)" -v f="$frames" -v fps=$fps 'BEGIN{printf "%.0f", (e - s - f / fps) * 1000}') ms after the clip's length (capture lag)"
  fi
  i=0
  while IFS= read -r line; do
    t=$(sed -n 's/.*"time":"\([^"]*\)".*/\1/p' <<<"$line")
    ts=$(date -d "${t}" +%s.%N)   # the sim relay writes UTC with Z
    # Car k's card first appears at frame 50 + k*150: the pulse belongs to the latest card shown before it. Half a
    # second of slack the other way, so that a pulse stamped a little before its card's frame (a clock off by a
    # frame) is never taken for the previous car's, 6 s late.
    read -r car ms < <(awk -v s="$start" -v t="$ts" -v fps=$fps 'BEGIN{
      k = int(((t - s) * fps - 50 + fps / 2) / 150); if (k < 0) k = 0; if (k > 2) k = 2;
      printf "%d %.0f\n", k + 1, (t - (s + (50 + k*150)/fps)) * 1000 }')
    lat+=("$ms")
    echo "   entry-$lane car $car: card readable -> relay command ${ms} ms"
    i=$((i + 1))
  done < <(grep '"action":"pulse"' "$work/relay-entry-$lane.jsonl")
  echo "   entry-$lane: $i of 3 cars admitted"
done
sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
n=${#lat[@]}
if ((n > 0)); then
  p50=$(sed -n "$(((n + 1) / 2))p" <<<"$sorted")
  p95=$(sed -n "$(((n * 95 + 99) / 100))p" <<<"$sorted")
  echo "   latency over $n admissions: median ${p50} ms, p95 ${p95} ms, max $(tail -1 <<<"$sorted") ms"
fi
grep -E '^vg_(frames_(processed|dropped)|plate_frames_still)_total' <<<"$metrics" | sed 's/^/   /'
grep -E '^vg_card_to_relay_seconds_(sum|count|bucket.*le="(0.1|0.15|0.25|0.5|1|2.5)")' <<<"$metrics" | sed 's/^/   /'
grep -E '^vg_decode_seconds_(sum|count)' <<<"$metrics" | sed 's/^/   /'
cpu=$(awk -v u="$utime" -v s="$stime" -v t="$ticks" 'BEGIN{printf "%.1f", (u+s)/t}')
echo "   CPU: ${cpu} s over ${play_s} s of video ($(awk -v c="$cpu" -v p="$play_s" 'BEGIN{printf "%.0f", 100*c/p}')% of one core), peak RSS $((hwm / 1024)) MB"
echo "   load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E ' DECISION ' "$work/daemon.log" | sed -n 's/.*"lane":"\([^"]*\)".*"reason":"\([A-Z_]*\)".*/   \1 \2/p' | sort | uniq -c
