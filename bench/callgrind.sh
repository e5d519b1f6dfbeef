#!/usr/bin/env bash
# Instructions per call of every contender's client process, counted by callgrind (deterministic,
# unlike wall time), and where this crate's instructions go beyond bare reqwest's.
#
#   bash bench/callgrind.sh OUT_DIR [PEERS_BINARY]
#
# The server (`peers serve`) runs in its own process, not under valgrind. Each contender and
# operation runs `peers client NAME OP N URL` under `valgrind --tool=callgrind` with N=1000 and
# N=2000; (instructions at 2000 - instructions at 1000) / 1000 is one call of the client process
# (its start-up, the client's construction and the first connection cancel out). All threads of
# the client process are counted. Writes:
#   OUT_DIR/callgrind.jsonl    one line per contender and operation
#   OUT_DIR/breakdown.md       the SDK-only costs (inclusive instructions per call), top 15
# It also counts decoding the body alone (`peers decode NAME OP N`, N = 10000 and 20000) into the
# types each contender decodes into, since the SDKs' types keep different amounts of the body.
#   OUT_DIR/NAME.OP.N          the raw callgrind files (`callgrind_annotate --inclusive=yes FILE`)
# Needs valgrind (callgrind_annotate comes with it).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bash bench/callgrind.sh OUT_DIR [PEERS_BINARY]}
mkdir -p "$out"
if ! command -v valgrind >/dev/null; then
    echo "valgrind is not installed: callgrind figures skipped" >&2
    exit 0
fi
source bench/lib.sh
peers=${2:-$(peers_binary)}

server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true' EXIT
start_server "$peers" "$out/server.url"
url=$server_url

for name in openrouter-credits openrouter-credits-fresh reqwest openrouter-rs openrouter_api hyper-util; do
    for op in credits charge; do
        [ "$name/$op" = openrouter_api/charge ] && continue # it has no Coinbase charge
        [ "$name/$op" = openrouter-credits-fresh/credits ] && continue # the option changes only the charge
        for n in 1000 2000; do
            valgrind --tool=callgrind --callgrind-out-file="$out/$name.$op.$n" \
                "$peers" client "$name" "$op" "$n" "$url" >/dev/null 2>"$out/$name.$op.$n.log"
        done
        # Decoding the body alone into the types this contender decodes into.
        for n in 10000 20000; do
            valgrind --tool=callgrind --callgrind-out-file="$out/decode.$name.$op.$n" \
                "$peers" decode "$name" "$op" "$n" >/dev/null 2>"$out/decode.$name.$op.$n.log"
        done
    done
done

python3 - "$out" <<'PY'
import json, re, subprocess, sys
out = sys.argv[1]
# `1,234 (12.3%)  file:function [object]`; the `[object]` suffix is missing on some lines, and the
# same function shows once per source file its inlined code comes from: the largest count is the
# function's own. callgrind_annotate runs in / so that it finds no source files (where it finds
# them, it splits the lines differently).
LINE = re.compile(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+[^\s:]*:(.*?)(?: \[[^\]]*\])?$")

def totals(path):
    text = subprocess.run(["callgrind_annotate", path], capture_output=True, text=True, cwd="/").stdout
    return int(re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", text).group(1).replace(",", ""))

def inclusive(path):
    """Inclusive instructions per function (callgrind_annotate's function-level lines)."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--auto=no", "--threshold=100", path],
                          capture_output=True, text=True, cwd="/").stdout
    costs = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            name = m.group(2)
            costs[name] = max(costs.get(name, 0), int(m.group(1).replace(",", "")))
    return costs

def per_call(name, op):
    a, b = f"{out}/{name}.{op}.1000", f"{out}/{name}.{op}.2000"
    return (totals(b) - totals(a)) / 1000

rows = []
for name in ["openrouter-credits", "openrouter-credits-fresh", "reqwest", "openrouter-rs", "openrouter_api", "hyper-util"]:
    for op in ["credits", "charge"]:
        if (name, op) in (("openrouter_api", "charge"), ("openrouter-credits-fresh", "credits")):
            continue
        decode = (totals(f"{out}/decode.{name}.{op}.20000") - totals(f"{out}/decode.{name}.{op}.10000")) / 10000
        rows.append({"mode": "callgrind", "contender": name, "op": op,
                     "instructions_per_call": round(per_call(name, op)), "decode_instructions": round(decode)})
with open(f"{out}/callgrind.jsonl", "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")

def delta(name, op):
    a, b = inclusive(f"{out}/{name}.{op}.1000"), inclusive(f"{out}/{name}.{op}.2000")
    return {k: (b[k] - a.get(k, 0)) / 1000 for k in b}

lines = []
for op in ["credits", "charge"]:
    sdk, bare = delta("openrouter-credits", op), delta("reqwest", op)
    total_sdk = per_call("openrouter-credits", op)
    total_bare = per_call("reqwest", op)
    call = "get_credits" if op == "credits" else "create_coinbase_charge"
    lines.append(f"#### {call}: client process {total_sdk:,.0f} instructions per call (bare reqwest {total_bare:,.0f}, {total_sdk - total_bare:+,.0f})")
    lines.append("")
    # Functions of the call path, not the program's frame (main, the runtime, the call's own future).
    frame = max(v for k, v in sdk.items() if "Contender::call" in k)
    def shown(k, v):
        return v < 0.9 * frame and v >= 20
    lines.append("This crate's own functions, inclusive instructions per call (they nest: a caller includes its callees):")
    lines.append("")
    lines.append("| function | inclusive instructions per call |")
    lines.append("|---|---|")
    own = sorted(((v, k) for k, v in sdk.items() if "openrouter_credits::" in k and v >= 20), reverse=True)[:15]
    for v, k in own:
        lines.append(f"| `{k}` | {v:,.0f} |")
    lines.append("")
    lines.append("Functions both processes run, where the SDK's spends more per call (inclusive):")
    lines.append("")
    lines.append("| function | SDK | bare reqwest | SDK extra |")
    lines.append("|---|---|---|---|")
    diffs = sorted(((sdk[k] - bare[k], k) for k in sdk if k in bare and bare[k] > 0 and shown(k, sdk[k])), reverse=True)[:10]
    for d, k in diffs:
        lines.append(f"| `{k}` | {sdk[k]:,.0f} | {bare[k]:,.0f} | {d:+,.0f} |")
    lines.append("")
    lines.append("Functions outside this crate that only the SDK's process runs (reqwest's own entry points left out:")
    lines.append("the SDK calls `Client::execute` where bare reqwest calls `RequestBuilder::send`):")
    lines.append("")
    lines.append("| function | SDK inclusive per call |")
    lines.append("|---|---|")
    only = sorted(((sdk[k], k) for k in sdk if k not in bare and "openrouter_credits::" not in k
                   and not k.startswith("reqwest::") and shown(k, sdk[k])), reverse=True)[:10]
    for v, k in only:
        lines.append(f"| `{k}` | {v:,.0f} |")
    lines.append("")
    lines.append("And where bare reqwest does more (the SDK skips or replaces the work):")
    lines.append("")
    lines.append("| function | SDK | bare reqwest | SDK extra |")
    lines.append("|---|---|---|---|")
    diffs = sorted(((sdk.get(k, 0) - bare[k], k) for k in bare if shown(k, bare[k])))[:8]
    for d, k in diffs:
        lines.append(f"| `{k}` | {sdk.get(k, 0):,.0f} | {bare[k]:,.0f} | {d:+,.0f} |")
    lines.append("")
with open(f"{out}/breakdown.md", "w") as f:
    f.write("\n".join(lines) + "\n")
PY
