#!/usr/bin/env bash
# Sequential get_credits throughput: the official Python SDK (openrouter==0.6.0, in a throw-away
# venv) against this crate and bare reqwest, all against the same local server (the overhead
# bench's `serve` mode). Prints a markdown table and the ratio.   N=2000 bash bench/compare_python.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "openrouter==0.6.0"

source bench/lib.sh
bench=$(bench_binary)
"$bench" serve > "$work/url" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -n1 "$work/url")

python_rate=$("$work/venv/bin/python" - "$url" "$N" <<'PY'
import sys, time
from openrouter import OpenRouter
url, n = sys.argv[1], int(sys.argv[2])
client = OpenRouter(api_key="sk-or-v1-bench", server_url=url)
for _ in range(100):
    client.credits.get_credits()
start = time.perf_counter()
for _ in range(n):
    client.credits.get_credits()
print(f"{n / (time.perf_counter() - start):.0f}")
PY
)
rates=$("$bench" client "$url" "$N")
sdk_rate=$(awk '$1 == "sdk" {print $2}' <<<"$rates")
bare_rate=$(awk '$1 == "bare" {print $2}' <<<"$rates")
py_version=$("$work/venv/bin/python" --version 2>&1)
echo "| client | sequential get_credits calls/s ($N calls) | vs Python SDK |"
echo "|---|---|---|"
echo "| openrouter 0.6.0 (official Python SDK, $py_version) | $python_rate | 1.0× |"
echo "| openrouter-credits (this crate) | $sdk_rate | $(python3 -c "print(f'{$sdk_rate/$python_rate:.1f}')")× |"
echo "| bare reqwest | $bare_rate | $(python3 -c "print(f'{$bare_rate/$python_rate:.1f}')")× |"
