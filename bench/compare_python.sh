#!/usr/bin/env bash
# Sequential get_credits throughput: the official Python SDK (openrouter==0.6.0, in a throw-away
# venv) against this crate and bare reqwest, all against the same server (`peers serve`, its own
# process), everything pinned to CPU 0 as in run_all.sh. Prints a markdown table. Optional: needs PyPI; without it, says so on stderr and
# prints nothing.   N=2000 bash bench/compare_python.sh [PEERS_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if ! python3 -m venv "$work/venv" >/dev/null 2>&1 ||
    ! timeout 120 "$work/venv/bin/pip" install --quiet --disable-pip-version-check "openrouter==0.6.0" >/dev/null 2>&1; then
    echo "compare_python: no venv or no PyPI (openrouter==0.6.0): skipped" >&2
    exit 0
fi

source bench/lib.sh
peers=${1:-$(peers_binary)}
start_server "$peers" "$work/url" taskset -c 0
url=$server_url

python_rate=$(taskset -c 0 "$work/venv/bin/python" - "$url" "$N" <<'PY'
import sys, time
from openrouter import OpenRouter
url, n = sys.argv[1], int(sys.argv[2])
client = OpenRouter(api_key="sk-or-v1-bench-0123456789abcdef", server_url=url)
for _ in range(100):
    client.credits.get_credits()
start = time.perf_counter()
for _ in range(n):
    client.credits.get_credits()
print(f"{n / (time.perf_counter() - start):.0f}")
PY
)
rates=$(taskset -c 0 "$peers" rate "$url" "$N")
sdk_rate=$(awk '$1 == "openrouter-credits" {print $2}' <<<"$rates")
bare_rate=$(awk '$1 == "reqwest" {print $2}' <<<"$rates")
py_version=$("$work/venv/bin/python" --version 2>&1)
echo "| client | sequential get_credits calls/s ($N calls) | vs Python SDK |"
echo "|---|---|---|"
echo "| openrouter 0.6.0 (official Python SDK, $py_version) | $python_rate | 1.0× |"
echo "| openrouter-credits (this crate) | $sdk_rate | $(python3 -c "print(f'{$sdk_rate/$python_rate:.1f}')")× |"
echo "| bare reqwest | $bare_rate | $(python3 -c "print(f'{$bare_rate/$python_rate:.1f}')")× |"
