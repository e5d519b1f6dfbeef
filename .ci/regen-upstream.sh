#!/usr/bin/env bash
# Regen survives the real upstream documents: in a scratch copy of the repository, regenerate
# the fragment from each whole published document and build the crate on it.
# Usage: .ci/regen-upstream.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
upstream=$(cd "$repo/../shared/upstream" 2>/dev/null && pwd || true)
if [ -z "$upstream" ]; then
    echo "regen-upstream: ../shared/upstream not found; skipped" >&2
    exit 0
fi
build=1
[ "${1:-}" = "--no-build" ] && build=0
# Reuse the main target directory so dependencies are not rebuilt.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"

for doc in openrouter.full.2026-03.openapi.yaml openrouter.full.2026-08.openapi.yaml; do
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    git ls-files | tar -cf - -T - | tar -xf - -C "$tmp"
    (
        cd "$tmp"
        set -x
        cargo xtask regen --spec "$upstream/$doc"
        cargo xtask regen --check
        if [ "$build" = 1 ]; then
            cargo build --features mock --all-targets
        fi
    )
    rm -rf "$tmp"
    trap - EXIT
done
