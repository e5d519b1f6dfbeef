#!/usr/bin/env bash
# Runs every benchmark and writes BENCHMARKS.md with the machine and the date.
# Takes a few minutes; needs PyPI for the Python comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
overhead=$(cargo bench --locked --bench overhead 2>/dev/null)
python=$(bash bench/compare_python.sh)
build=$(bash bench/build_cost.sh)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
{
    echo "# Benchmarks"
    echo
    echo "Written by \`bash bench/run_all.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB, $(rustc --version)."
    echo "Every figure below comes from that run; rerun the script to reproduce it."
    echo
    echo "## SDK overhead over bare reqwest"
    echo
    echo "\`cargo bench --bench overhead\`: the SDK against a bare \`reqwest::Client\` with the same pool settings"
    echo "(same timeouts, no redirects, same headers, decoding into the same types), against a minimal hyper"
    echo "server on loopback on its own thread. Sequential rows interleave SDK and bare in rounds."
    echo "Allocations are counted on the client thread only."
    echo
    echo "$overhead"
    echo
    echo "## Against the official Python SDK"
    echo
    echo "\`bash bench/compare_python.sh\` (N=2000): \`openrouter==0.6.0\` in a throw-away venv, same local server."
    echo
    echo "$python"
    echo
    echo "## Build cost"
    echo
    echo "\`bash bench/build_cost.sh\`: a fresh target directory, sources already fetched."
    echo
    echo "$build"
} > BENCHMARKS.md
cat BENCHMARKS.md
