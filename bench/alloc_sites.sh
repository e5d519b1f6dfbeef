#!/usr/bin/env bash
# Where a contender's allocations per call come from: `valgrind --tool=dhat` on 1000 and 2000
# calls, the difference over 1000 per allocation site (the first two named frames above the
# allocator). Not part of run_all.sh; for finding what to cut.
#
#   bash bench/alloc_sites.sh [NAME [OP [PEERS_BINARY]]]    # default: openrouter-credits credits
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-openrouter-credits}
op=${2:-credits}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
source bench/lib.sh
peers=${3:-$(peers_binary)}
work=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
start_server "$peers" "$work/url"
url=$server_url
for n in 1000 2000; do
    valgrind --tool=dhat --dhat-out-file="$work/$n.json" "$peers" client "$name" "$op" "$n" "$url" >/dev/null 2>&1
done
python3 - "$work" "$name" "$op" <<'PY'
import collections, json, re, sys
work, name, op = sys.argv[1:]
# Allocator, collection and formatting internals: the site is the first frame past these.
SKIP = re.compile(r"(__rust_|__rdl_|__rg_|alloc::|core::ptr::|core::fmt::|<core::|std::alloc|peers::Counting|hashbrown::raw|<T as alloc|<\[T\]|serde_json::ser::|<&mut serde_json::ser|bytes::bytes_mut)")
def site(fs, ftbl):
    names = []
    for i in fs:
        m = re.match(r"0x[0-9A-Fa-f]+: (.*?) \(", ftbl[i])
        n = re.sub(r"::h[0-9a-f]{16}$", "", m.group(1) if m else ftbl[i])
        if "::" not in n or SKIP.search(n):
            continue
        names.append(n)
        if len(names) == 2:
            break
    return " <- ".join(names)
def blocks(path):
    d = json.load(open(path))
    c = collections.Counter()
    for pp in d["pps"]:
        c[site(pp["fs"], d["ftbl"])] += pp["tbk"]
    return c
a, b = blocks(f"{work}/1000.json"), blocks(f"{work}/2000.json")
per = {k: (b[k] - a.get(k, 0)) / 1000 for k in b}
per = {k: v for k, v in per.items() if v >= 0.5}
print(f"{name} {op}: {sum(per.values()):.1f} allocations per call, by site")
for k, v in sorted(per.items(), key=lambda kv: -kv[1]):
    print(f"{v:5.1f}  {k[:300]}")
PY
