#!/usr/bin/env bash
# `openrouter-credits watch` against the fake server with a 1 ms interval: RSS after the first
# reading and after 1,000, 5,000 and 10,000 readings (VmRSS), and CPU time per reading (user +
# system, /proc/PID/stat), for the exporter (`--listen`) and the line-per-reading mode (`--json`).
# Release builds. Writes the table on stdout (and into OUT_DIR/table.md).
#
#   bash bench/watch_memory.sh [READINGS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
readings=${1:-10000}
out=${2:-target/bench-watch}
mkdir -p "$out"
cargo build --locked --release --features cli --bin openrouter-credits 2>"$out/build.log"
cargo bench --locked --features cli --bench watch --no-run 2>>"$out/build.log"
bin=$(ls -t target/release/deps/watch-* | grep -v '\.d$' | head -n 1)
"$bin" target/release/openrouter-credits "$readings" | tee "$out/table.md"
