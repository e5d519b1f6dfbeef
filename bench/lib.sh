# Sourced by the bench scripts.

# Builds the overhead bench (release) and prints its executable's path.
bench_binary() {
    cargo bench --locked --bench overhead --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "overhead" and m.get("executable"):
        print(m["executable"])'
}

# Builds the side-by-side bench crate (bench/peers, a workspace of its own, release) and prints
# its executable's path. Its target directory is PEERS_TARGET_DIR, else bench/peers/target.
peers_binary() {
    local dir
    dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/peers" && pwd)
    local target=${PEERS_TARGET_DIR:-$dir/target}
    # A failed build must stop the run, not leave an older binary to be measured.
    CARGO_TARGET_DIR=$target cargo build --locked --release --quiet --manifest-path "$dir/Cargo.toml" >&2 || return 1
    echo "$target/release/peers"
}
