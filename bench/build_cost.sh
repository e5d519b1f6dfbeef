#!/usr/bin/env bash
# What depending on this crate costs a user's build: a new binary crate that depends on it (by
# path) and builds a client, built from scratch (`cargo build`, debug, fresh target directory,
# sources fetched first so downloads are not timed), once per TLS choice:
#   rustls      the default features (reqwest's rustls on aws-lc-rs: aws-lc-sys compiles C)
#   native-tls  `default-features = false, features = ["native-tls"]` (links the system OpenSSL)
#   ring        `default-features = false, features = ["rustls-ring"]` (rustls on ring: no aws-lc-sys)
# and the build dependencies of this crate's build script that nothing else needs.
#
#   bash bench/build_cost.sh OUT_DIR
#   VARIANTS="rustls native-tls ring" bash bench/build_cost.sh OUT_DIR   # default: rustls ring
#
# Writes OUT_DIR/build.jsonl (one line per variant, plus one for the build script's crates).
# The dependent uses the library's Cargo.lock, so it resolves the versions the library tests.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:?usage: bash bench/build_cost.sh OUT_DIR}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"; touch "$root/openapi/credits.yaml"' EXIT
: > "$out/build.jsonl"

dependent() { # NAME DEPENDENCY-LINES
    mkdir -p "$work/$1/src"
    cat > "$work/$1/Cargo.toml" <<EOF
[package]
name = "dependent-$1"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
$2
EOF
    cat > "$work/$1/src/main.rs" <<'EOF'
fn main() {
    let client = openrouter_credits::Client::builder().api_key("sk-or-v1-x").base_url("http://127.0.0.1:9/api/v1").build();
    println!("{}", client.is_ok());
}
EOF
    cp "$root/Cargo.lock" "$work/$1/Cargo.lock"
}

dependent rustls "openrouter-credits = { path = \"$root\" }"
dependent native-tls "openrouter-credits = { path = \"$root\", default-features = false, features = [\"native-tls\"] }"
dependent ring "openrouter-credits = { path = \"$root\", default-features = false, features = [\"rustls-ring\"] }"

for variant in ${VARIANTS:-rustls ring}; do
    dir=$work/$variant
    (cd "$dir" && cargo fetch --quiet)
    export CARGO_TARGET_DIR=$dir/target
    log=$dir/build.log
    /usr/bin/time -f "%e %U %S" -o "$dir/time" cargo build --manifest-path "$dir/Cargo.toml" --timings 2> "$log" >/dev/null
    read -r wall user sys < "$dir/time"
    rebuild=
    noop=
    if [ "$variant" = rustls ]; then
        touch "$root/openapi/credits.yaml"
        /usr/bin/time -f "%e" -o "$dir/time.touch" cargo build --manifest-path "$dir/Cargo.toml" 2>/dev/null >/dev/null
        rebuild=$(cat "$dir/time.touch")
        /usr/bin/time -f "%e" -o "$dir/time.noop" cargo build --manifest-path "$dir/Cargo.toml" 2>/dev/null >/dev/null
        noop=$(cat "$dir/time.noop")
    fi
    c_crypto=$( (cd "$dir" && cargo tree -e normal,build --prefix none --format '{p}' 2>/dev/null) | grep -oE '^(aws-lc-sys|aws-lc-rs|ring|openssl-sys) ' | sort -u | tr -d ' ' | paste -sd, -)
    python3 - "$variant" "$log" "$dir" "$wall" "$user" "$sys" "$rebuild" "$noop" "$c_crypto" >> "$out/build.jsonl" <<'PY'
import glob, json, re, sys
variant, log, d, wall, user, sys_, rebuild, noop, c_crypto = sys.argv[1:]
compiled = [l.split()[1] for l in open(log) if l.strip().startswith("Compiling ")]
slowest = []
for html in glob.glob(f"{d}/target/cargo-timings/cargo-timing*.html")[:1]:
    m = re.search(r"const UNIT_DATA = (\[.*?\]);\s*$", open(html).read(), re.S | re.M)
    if m:
        units = json.loads(m.group(1))
        by = {}
        for u in units:
            key = u["name"] + (" (build script)" if u.get("target", "").strip().startswith("build-script") or "build script" in u.get("target", "") else "")
            by[key] = by.get(key, 0) + u["duration"]
        slowest = sorted(by.items(), key=lambda kv: -kv[1])[:5]
row = {"mode": "build", "variant": variant, "crates_compiled": len(compiled), "wall_s": float(wall),
       "cpu_s": round(float(user) + float(sys_), 1), "slowest_units": [[k, round(v, 1)] for k, v in slowest],
       "crypto": c_crypto}
if rebuild:
    row["touch_fragment_rebuild_s"] = float(rebuild)
    row["noop_s"] = float(noop)
print(json.dumps(row))
PY
done

# The build script's own dependencies that the library and its normal dependencies do not need
# (cargo tree prints the crate's `[build-dependencies]` as an unindented section of its tree).
(cd "$work/rustls" && cargo tree -p openrouter-credits -e normal,build --format '{p}' 2>/dev/null) | python3 -c '
import json, re, sys
lines = sys.stdin.read().splitlines()
cut = next(i for i, l in enumerate(lines) if l.strip() == "[build-dependencies]" and not l.startswith((" ", "│", "├", "└")))
name = lambda l: re.sub(r"^[\s│├└─]*", "", l).split(" ")[0]
normal = {name(l) for l in lines[:cut] if not l.strip().startswith("[")}
build = {name(l) for l in lines[cut + 1:] if l.strip() and not l.strip().startswith("[")}
extra = sorted(build - normal)
print(json.dumps({"mode": "build-script", "build_dependency_crates": len(build), "only_for_the_build_script": len(extra), "crates": extra}))
' >> "$out/build.jsonl"
