#!/usr/bin/env bash
# Build cost, in a fresh target directory: clean `cargo build` of the library, the rebuild after
# touching the fragment, and the release size of the CLI example. Prints a markdown table.
# Sources are fetched first, so downloads are not timed.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(mktemp -d)
trap 'rm -rf "$target"; touch openapi/credits.yaml' EXIT
export CARGO_TARGET_DIR=$target
cargo fetch --locked --quiet

seconds() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; python3 -c "print(f'{$(date +%s.%N) - $s:.1f}')"; }

clean=$(seconds cargo build --locked)
# The other TLS backend, from scratch again in a target directory of its own.
native=$(CARGO_TARGET_DIR=$target/native-tls seconds cargo build --locked --no-default-features --features native-tls)
touch openapi/credits.yaml
touch_rebuild=$(seconds cargo build --locked)
noop=$(seconds cargo build --locked)
cargo build --locked --release --quiet --example credits --features mock
size=$(stat -c %s "$target/release/examples/credits")
echo "| build | result |"
echo "|---|---|"
echo "| clean \`cargo build\` (library, debug; default \`rustls\`) | ${clean} s |"
echo "| clean \`cargo build --no-default-features --features native-tls\` | ${native} s |"
echo "| \`touch openapi/credits.yaml && cargo build\` | ${touch_rebuild} s |"
echo "| no-op \`cargo build\` | ${noop} s |"
echo "| release size of the CLI example (\`target/release/examples/credits\`, not stripped) | $(python3 -c "print(f'{$size/1048576:.1f}')") MiB ($size bytes) |"
