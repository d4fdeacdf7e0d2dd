#!/bin/bash
# The whole agent beside a recall store (docs/recall.md, "The whole agent beside a week's store"):
# `sensebind run --bag <bag> --speed <speed>` with recall.dir on a COPY of <store>, MQTT on a local Mosquitto,
# a {"op":"search"} request every <every> seconds on the command topic (12 texts in turn), and every 10 s
# the agent's RSS (/proc), JS heap and external memory, LanceDB cache and rows rolled (/metrics). Writes
# <out>/rss.txt, replies.txt, summary.json. Needs mosquitto, mosquitto-clients and curl. Usage:
#   bench/recall-agent.sh <store> <bag> <out> [every=2] [launcher=bin/sensebind.js] [speed=1]
# every=100000: no searches. speed > 1 replays faster; maintenance stays once a wall minute.
# The store's recall.json must name the model the agent loads (a bench-built store says "bench": relabel
# the copy), and recall.maxDays is raised so a synthetic week dated 1970 survives beside a bag's stamps.
set -eu
STORE=$1; BAG=$2; OUT=$3; EVERY=${4:-2}; LAUNCHER=${5:-bin/sensebind.js}; SPEED=${6:-1}
cd "$(dirname "$0")/.."
rm -rf "$OUT"; mkdir -p "$OUT"
cp -r "$STORE" "$OUT/store"
PORT=$((18900 + RANDOM % 100)); MPORT=$((19900 + RANDOM % 100))
mosquitto -p $PORT > "$OUT/mosquitto.log" 2>&1 & MQ=$!
sleep 0.5
mosquitto_sub -p $PORT -t bench/replies > "$OUT/replies.txt" 2>&1 & SUB=$!
trap 'kill $SUB $MQ 2>/dev/null; rm -rf "$OUT/store"' EXIT
cat > "$OUT/config.yaml" <<Y
robot: { id: bench }
mqtt: { url: "mqtt://127.0.0.1:$PORT", outbox: { dir: "$OUT/outbox" } }
recall: { dir: "$OUT/store", maxDays: 100000, maxGiB: 100 }
service: { metrics: { port: $MPORT } }
Y
"$LAUNCHER" --config "$OUT/config.yaml" run --bag "$BAG" --speed "$SPEED" --exit-at-end > "$OUT/summary.json" 2> "$OUT/agent.log" &
A=$!
sleep 1
PID=$(pgrep -P $A node || echo $A)
echo "pid $PID $(tr '\0' '\n' < /proc/$PID/environ | grep MALLOC || echo 'MALLOC_ARENA_MAX unset')" > "$OUT/env.txt"
TEXTS=("glass breaking" "a dog barking" "someone talking" "a door slamming" "robot tipping over" "an alarm ringing" "a person approaching" "collision with an obstacle" "the robot being picked up" "nothing happening" "a quiet empty room" "footsteps")
t=0; n=0
while kill -0 $A 2>/dev/null; do
  if [ $((t % 10)) -eq 0 ]; then
    m=$(curl -s localhost:$MPORT/metrics || true)
    cache=$(awk '/sink_detail\{sink="recall",key="cacheMiB"\}/{print $2}' <<< "$m")
    rolled=$(awk '/sink_detail\{sink="recall",key="rolledRows"\}/{print $2}' <<< "$m")
    heap=$(awk '/^nodejs_heap_size_used_bytes /{printf "%d", $2 / 1048576}' <<< "$m")
    ext=$(awk '/^nodejs_external_memory_bytes /{printf "%d", $2 / 1048576}' <<< "$m")
    echo "${t}s rss_kib=$(awk '/VmRSS/{print $2}' /proc/$PID/status 2>/dev/null) heap_mib=$heap external_mib=$ext cache_mib=$cache rolled=$rolled load=$(cut -d' ' -f1 /proc/loadavg)" >> "$OUT/rss.txt"
  fi
  # Searches start after a minute: the store's first maintenance run, as in a long-running agent.
  if [ $t -ge 60 ] && [ $((t % EVERY)) -eq 0 ]; then
    mosquitto_pub -p $PORT -t sensebind/bench/cmd/concepts -m "{\"op\":\"search\",\"text\":\"${TEXTS[$((n % 12))]}\",\"top\":10,\"replyTo\":\"bench/replies\",\"correlationId\":\"q$n\"}"
    n=$((n + 1))
  fi
  t=$((t + 1)); sleep 1
done
sleep 2
# Search latency end to end as the agent reports it in each reply (query + nearest + read + score).
node -e '
const ts = require("fs").readFileSync(process.argv[1], "utf8").split("\n").flatMap((l) => { try { const m = JSON.parse(l).result.ms; return [m.query + m.nearest + m.read + m.score]; } catch { return []; } }).sort((a, b) => a - b);
const p = (q) => Math.round(ts[Math.min(ts.length - 1, Math.floor(ts.length * q))]);
console.log(JSON.stringify({ searches: ts.length, p50: p(0.5), p90: p(0.9), p99: p(0.99), max: Math.round(ts.at(-1)) }));' "$OUT/replies.txt"
