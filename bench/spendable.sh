#!/usr/bin/env bash
# `client.spendable()` beside a lone `get_current_key` on loopback: p50/p99 per call (the bench's
# table) and instructions per call of the client process (callgrind; the server runs in its own
# process). (instructions at N=2000 − at N=1000) / 1000 is one call: start-up cancels out.
#
#   bash bench/spendable.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/bench-spendable}
mkdir -p "$out"
cargo bench --locked --features mock --bench spendable --no-run 2>"$out/build.log"
bin=$(ls -t target/release/deps/spendable-* | grep -v '\.d$' | head -n 1)
"$bin" --bench | tee "$out/table.md"
if ! command -v valgrind >/dev/null; then
    echo "valgrind is not installed: instructions per call skipped" >&2
    exit 0
fi
"$bin" serve >"$out/server.url" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$out/server.url" ] && break; sleep 0.1; done
url=$(head -n 1 "$out/server.url")
echo
echo "| call | instructions per call (client process) |"
echo "|---|---|"
for side in spendable key; do
    for n in 1000 2000; do
        valgrind --tool=callgrind --callgrind-out-file="$out/$side.$n" "$bin" profile "$side" "$n" "$url" \
            >/dev/null 2>"$out/$side.$n.log"
    done
    a=$(callgrind_annotate "$out/$side.1000" | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
    b=$(callgrind_annotate "$out/$side.2000" | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
    name=$([ "$side" = spendable ] && echo '`spendable()`, both keys' || echo 'lone `get_current_key`')
    echo "| $name | $(( (b - a) / 1000 )) |"
done | tee -a "$out/table.md"
