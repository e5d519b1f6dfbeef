#!/usr/bin/env bash
# Runs every benchmark and writes BENCHMARKS.md.   bash bench/run_all.sh
#
# Builds bench/peers (a workspace of its own; target directory PEERS_TARGET_DIR, else
# bench/peers/target), then: allocations per call; pinned latency and 64-in-flight throughput
# (client and server on CPU 0); instructions per call under callgrind (bench/callgrind.sh); a
# dependent's clean build (bench/build_cost.sh); the Python SDK comparison if PyPI answers
# (bench/compare_python.sh). Raw results go to BENCH_OUT (else a temporary directory, removed).
# About 5 minutes on 2 idle vCPUs (9 with other builds running), half of it the dependent's two clean
# builds; the first run also builds bench/peers (5-7 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BENCH_OUT:-}" ]; then
    out=$BENCH_OUT
    mkdir -p "$out"
else
    out=$(mktemp -d)
fi
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    [ -z "${BENCH_OUT:-}" ] && rm -rf "$out"
    return 0
}
trap cleanup EXIT
for tool in taskset python3; do
    command -v "$tool" >/dev/null || { echo "run_all: $tool is needed" >&2; exit 1; }
done

source bench/lib.sh
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "building bench/peers (release)" >&2
peers=$(peers_binary) || { echo "run_all: bench/peers did not build" >&2; exit 1; }

# Latency and throughput: client and server pinned to the same CPU.
LAT_ROUNDS=${LAT_ROUNDS:-30}
LAT_CALLS=${LAT_CALLS:-2000}
THR_ROUNDS=${THR_ROUNDS:-40}
THR_CALLS=${THR_CALLS:-6400}
start_server "$peers" "$out/url" taskset -c 0
url=$server_url
echo "allocations per call" >&2
"$peers" alloc "$url" > "$out/alloc.jsonl"
echo "latency (pinned)" >&2
taskset -c 0 "$peers" latency "$url" credits "$LAT_ROUNDS" "$LAT_CALLS" > "$out/latency.jsonl"
taskset -c 0 "$peers" latency "$url" charge "$LAT_ROUNDS" "$((LAT_CALLS / 2))" >> "$out/latency.jsonl"
echo "throughput, 64 in flight (pinned)" >&2
taskset -c 0 "$peers" throughput "$url" credits "$THR_ROUNDS" "$THR_CALLS" > "$out/throughput.jsonl"
taskset -c 0 "$peers" throughput "$url" charge "$THR_ROUNDS" "$((THR_CALLS / 2))" >> "$out/throughput.jsonl"
kill "$server_pid" 2>/dev/null || true
server_pid=

echo "callgrind" >&2
bash bench/callgrind.sh "$out" "$peers"
echo "a dependent's clean build" >&2
bash bench/build_cost.sh "$out"
echo "the Python SDK (optional)" >&2
bash bench/compare_python.sh "$peers" > "$out/python.md" || : > "$out/python.md"

python3 - "$out/meta.json" "$load_before" "$LAT_ROUNDS" "$((LAT_CALLS / 2))" <<'PY'
import json, os, subprocess, sys, time
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
json.dump({
    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    "cpus": os.cpu_count(), "cpu": cpu, "mem_gib": round(mem / 1048576),
    "rustc": subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip(),
    "load_before": sys.argv[2], "load_after": " ".join(open("/proc/loadavg").read().split()[:3]),
    "charge_rounds": f"peers latency URL charge {sys.argv[3]} {sys.argv[4]}",
}, open(sys.argv[1], "w"))
PY
python3 bench/report.py "$out" "$out/python.md" > BENCHMARKS.md
# `client.spendable()` beside a lone `get_current_key` (its own bench: two requests at once).
echo "spendable() beside get_current_key" >&2
{
    echo
    echo "## spendable() beside a lone get_current_key (\`bash bench/spendable.sh\`, same run)"
    echo
    bash bench/spendable.sh "$out/spendable" 2>/dev/null
} >> BENCHMARKS.md
# `openrouter-credits watch`: RSS over 10,000 readings and CPU per reading (its own bench).
echo "watch: memory and CPU per reading" >&2
{
    echo
    echo "## \`watch\`: memory over 10,000 readings, CPU per reading (\`bash bench/watch_memory.sh\`, same run)"
    echo
    bash bench/watch_memory.sh 10000 "$out/watch" 2>/dev/null
} >> BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
