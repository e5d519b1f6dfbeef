# Sourced by the bench scripts. Builds the overhead bench (release) and prints its executable's path.
bench_binary() {
    cargo bench --locked --bench overhead --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "overhead" and m.get("executable"):
        print(m["executable"])'
}
