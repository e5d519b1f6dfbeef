#!/usr/bin/env bash
# What depending on this crate costs a user's build, beside what its alternatives cost, in one
# run: for each row a new binary crate (an empty target directory, `cargo build`, debug) whose
# only dependency is
#   crate-rustls     this crate, default features (reqwest's rustls on aws-lc-rs: aws-lc-sys compiles C)
#   crate-ring       this crate, `default-features = false, features = ["rustls-ring"]` (no aws-lc-sys)
#   crate-native-tls this crate, `default-features = false, features = ["native-tls"]` (only if asked)
#   reqwest          bare reqwest with the crate's own reqwest line and TLS (rustls), serde, serde_json:
#                    what a hand-written client starts from
#   openrouter-rs    the crates.io peer openrouter-rs =0.23.0 (rustls on aws-lc-rs)
#   openrouter_api   the crates.io peer openrouter_api =0.7.1 (reqwest 0.12, rustls on ring)
# and, only when asked (ROWS), what the build script's dependencies cost by themselves:
#   build-deps               the crate's [build-dependencies] as a binary's dependencies
#   build-deps-no-progenitor the same without progenitor (and openapiv3, schemars, which are
#                            there for progenitor's API): the difference is progenitor's graph
# The crate's rows use its Cargo.lock, the peers' bench/peers/Cargo.lock, so the versions are the
# ones tested. CARGO_HOME is shared and every dependent is fetched before any build starts, so
# downloads are never timed.
#
# The figure is CPU seconds (user + system of the whole `cargo build`, from /usr/bin/time): the
# machine may be shared with other builds, which stretches wall time but not the CPU a build needs.
#
#   bash bench/build_cost.sh OUT_DIR
#   REV=a668379 bash bench/build_cost.sh OUT_DIR   # the crate as of a commit (`git archive`), same peers
#   BEFORE=a668379 bash bench/build_cost.sh OUT_DIR   # that commit's crate rows too, interleaved in
#                                                     # the same run (the machine's load drifts)
#   ROWS="crate-rustls reqwest" bash bench/build_cost.sh OUT_DIR
#   ROWS=" " bash bench/build_cost.sh OUT_DIR      # only the list of the build script's own crates
#
# Appends to OUT_DIR/build.jsonl one line per row (plus one listing the build script's own
# crates), each with the crate's revision, so before and after can share a file and a table.
# Not run by CI (a clean build of each row takes minutes).
set -euo pipefail
cd "${ROOT:-$(dirname "$0")/..}"
root=$(pwd)
out=${1:?usage: bash bench/build_cost.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${BEFORE:-}" ]; then
    rows=${ROWS:-crate-rustls@before crate-rustls reqwest openrouter-rs crate-ring@before crate-ring openrouter_api}
else
    rows=${ROWS:-crate-rustls crate-ring reqwest openrouter-rs openrouter_api}
fi
run=$(date -u "+%Y-%m-%d %H:%M UTC")

# The crate's source: the working tree (its sources copied, so that the timing does not touch the
# checkout's fragment) or a commit.
src=$work/openrouter-credits
mkdir -p "$src"
if [ -n "${REV:-}" ]; then
    git archive "$REV" | tar -x -C "$src"
    rev=$(git rev-parse --short "$REV")
else
    git ls-files -z --cached --others --exclude-standard | tar --null -T - -c | tar -x -C "$src"
    rev="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo +changes)"
fi
if [ -n "${BEFORE:-}" ]; then
    mkdir -p "$work/before-src"
    git archive "$BEFORE" | tar -x -C "$work/before-src"
    before_rev=$(git rev-parse --short "$BEFORE")
fi

dependent() { # ROW LOCKFILE DEPENDENCY-LINES MAIN
    mkdir -p "$work/$1/src"
    printf '[package]\nname = "dependent-%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n[workspace]\n\n[dependencies]\n%s\n' \
        "${1//[_@]/-}" "$3" > "$work/$1/Cargo.toml"
    printf '%s\n' "$4" > "$work/$1/src/main.rs"
    cp "$2" "$work/$1/Cargo.lock"
}
crate_main='fn main() {
    let client = openrouter_credits::Client::builder().api_key("sk-or-v1-x").base_url("http://127.0.0.1:9/api/v1").build();
    println!("{}", client.is_ok());
}'
# The crate's [build-dependencies] lines, without the crates named in $1 (a regex).
build_deps() {
    python3 - "$src/Cargo.toml" "$1" <<'PY'
import re, sys, tomllib
deps = tomllib.load(open(sys.argv[1], "rb"))["build-dependencies"]
for name, spec in deps.items():
    if sys.argv[2] and re.fullmatch(sys.argv[2], name):
        continue
    if isinstance(spec, str):
        spec = {"version": spec}
    print(f"{name} = {{ " + ", ".join(f"{k} = {v!r}".replace("'", '"').replace("True", "true").replace("False", "false") for k, v in spec.items()) + " }")
PY
}
for row in $rows; do
    case $row in
    crate-rustls@before) dependent "$row" "$work/before-src/Cargo.lock" "openrouter-credits = { path = \"$work/before-src\" }" "$crate_main" ;;
    crate-ring@before) dependent "$row" "$work/before-src/Cargo.lock" "openrouter-credits = { path = \"$work/before-src\", default-features = false, features = [\"rustls-ring\"] }" "$crate_main" ;;
    build-deps) dependent "$row" "$src/Cargo.lock" "$(build_deps '')" 'fn main() {}' ;;
    build-deps-no-progenitor) dependent "$row" "$src/Cargo.lock" "$(build_deps 'progenitor|openapiv3|schemars')" 'fn main() {}' ;;
    crate-rustls) dependent "$row" "$src/Cargo.lock" "openrouter-credits = { path = \"$src\" }" "$crate_main" ;;
    crate-ring) dependent "$row" "$src/Cargo.lock" "openrouter-credits = { path = \"$src\", default-features = false, features = [\"rustls-ring\"] }" "$crate_main" ;;
    crate-native-tls) dependent "$row" "$src/Cargo.lock" "openrouter-credits = { path = \"$src\", default-features = false, features = [\"native-tls\"] }" "$crate_main" ;;
    reqwest) dependent "$row" "$src/Cargo.lock" 'reqwest = { version = "0.13.5", default-features = false, features = ["json", "rustls"] }
serde = { version = "1.0.228", features = ["derive"] }
serde_json = "1.0.145"' 'fn main() {
    let client = reqwest::Client::builder().build();
    println!("{}", client.is_ok());
}' ;;
    openrouter-rs) dependent "$row" bench/peers/Cargo.lock 'openrouter-rs = "=0.23.0"' 'use openrouter_rs as _;
fn main() {}' ;;
    openrouter_api) dependent "$row" bench/peers/Cargo.lock 'openrouter_api = "=0.7.1"' 'use openrouter_api as _;
fn main() {}' ;;
    *) echo "unknown row $row" >&2; exit 2 ;;
    esac
    (cd "$work/$row" && cargo fetch --quiet)
done

for row in $rows; do
    dir=$work/$row
    log=$dir/build.log
    row_rev=$rev
    [ "${row%@before}" = "$row" ] || row_rev=$before_rev
    echo "$(date -u +%H:%M:%S) $row ($row_rev)" >&2
    CARGO_TARGET_DIR=$dir/target /usr/bin/time -f "%e %U %S" -o "$dir/time" \
        cargo build --manifest-path "$dir/Cargo.toml" --timings 2> "$log" >/dev/null
    read -r wall user sys < "$dir/time"
    rebuild= noop=
    if [ "$row" = crate-rustls ]; then
        # After a change to the fragment, only the build script reruns and the crate recompiles.
        touch "$src/openapi/credits.json"
        CARGO_TARGET_DIR=$dir/target /usr/bin/time -f "%e" -o "$dir/time.touch" cargo build --manifest-path "$dir/Cargo.toml" 2>/dev/null >/dev/null
        rebuild=$(cat "$dir/time.touch")
        CARGO_TARGET_DIR=$dir/target /usr/bin/time -f "%e" -o "$dir/time.noop" cargo build --manifest-path "$dir/Cargo.toml" 2>/dev/null >/dev/null
        noop=$(cat "$dir/time.noop")
    fi
    c_crypto=$( (cd "$dir" && cargo tree -e normal,build --prefix none --format '{p}' 2>/dev/null) | grep -oE '^(aws-lc-sys|aws-lc-rs|ring|openssl-sys) ' | sort -u | tr -d ' ' | paste -sd, - || true)
    python3 - "${row%@before}" "$row_rev" "$log" "$dir" "$wall" "$user" "$sys" "$rebuild" "$noop" "$c_crypto" "$run" >> "$out/build.jsonl" <<'PY'
import glob, json, re, sys, time
row, rev, log, d, wall, user, sys_, rebuild, noop, c_crypto, run = sys.argv[1:]
compiled = [l.split()[1] for l in open(log) if l.strip().startswith("Compiling ")]
units = []
for html in glob.glob(f"{d}/target/cargo-timings/cargo-timing*.html")[:1]:
    m = re.search(r"const UNIT_DATA = (\[.*?\]);\s*$", open(html).read(), re.S | re.M)
    if m:
        by = {}
        for u in json.loads(m.group(1)):
            key = u["name"] + (" (build script)" if "build-script" in u.get("target", "") or "build script" in u.get("target", "") else "")
            by[key] = by.get(key, 0) + u["duration"]
        units = sorted(by.items(), key=lambda kv: -kv[1])
row_ = {"mode": "build", "run": run, "variant": row, "rev": rev if row.startswith(("crate-", "build-deps")) else None,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "crates_compiled": len(compiled),
        "wall_s": float(wall), "cpu_s": round(float(user) + float(sys_), 1),
        "slowest_units": [[k, round(v, 1)] for k, v in units[:5]],
        "units": {k: round(v, 2) for k, v in units}, "crypto": c_crypto}
if rebuild:
    row_["touch_fragment_rebuild_s"] = float(rebuild)
    row_["noop_s"] = float(noop)
print(json.dumps(row_))
PY
done

# The build script's own dependencies that the library and its normal dependencies do not need
# (cargo tree prints the crate's `[build-dependencies]` as an unindented section of its tree).
build_script_crates() { # DEPENDENT-DIR REV
    (cd "$1" && cargo tree -p openrouter-credits -e normal,build --format '{p}' 2>/dev/null) | python3 -c '
import json, re, sys
rev = sys.argv[1]
lines = sys.stdin.read().splitlines()
cut = next(i for i, l in enumerate(lines) if l.strip() == "[build-dependencies]" and not l.startswith((" ", "│", "├", "└")))
name = lambda l: re.sub(r"^[\s│├└─]*", "", l).split(" ")[0]
normal = {name(l) for l in lines[:cut] if not l.strip().startswith("[")}
build = {name(l) for l in lines[cut + 1:] if l.strip() and not l.strip().startswith("[")}
extra = sorted(build - normal)
print(json.dumps({"mode": "build-script", "rev": rev, "build_dependency_crates": len(build), "only_for_the_build_script": len(extra), "crates": extra}))
' "$2" >> "$out/build.jsonl"
}
[ -d "$work/crate-rustls" ] || dependent crate-rustls "$src/Cargo.lock" "openrouter-credits = { path = \"$src\" }" "$crate_main"
build_script_crates "$work/crate-rustls" "$rev"
if [ -n "${BEFORE:-}" ]; then
    [ -d "$work/crate-rustls@before" ] || dependent crate-rustls@before "$work/before-src/Cargo.lock" "openrouter-credits = { path = \"$work/before-src\" }" "$crate_main"
    build_script_crates "$work/crate-rustls@before" "$before_rev"
fi
