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

# Starts `peers serve` in the background, with the command words after FILE before it (for
# example `taskset -c 0`), waits for the URL it prints into FILE, and sets server_pid and
# server_url in the caller's shell.   start_server PEERS FILE [PREFIX...]
start_server() {
    local peers=$1 file=$2
    shift 2
    "$@" "$peers" serve > "$file" &
    server_pid=$!
    for _ in $(seq 100); do [ -s "$file" ] && break; sleep 0.05; done
    server_url=$(head -n1 "$file")
}
