#!/usr/bin/env bash
# Instructions per get_credits call, SDK against bare reqwest, counted by callgrind (repeatable,
# unlike wall time), and where the SDK's extra instructions go. Each side runs 1000 and 2000
# calls against the bench's in-process server; the difference over 1000 is the cost of one call
# (client and server), free of start-up costs. Needs valgrind.   bash bench/callgrind.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed: skipped"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source bench/lib.sh
bench=$(bench_binary)
for side in sdk bare; do
    for n in 1000 2000; do
        valgrind --tool=callgrind --callgrind-out-file="$work/$side.$n" "$bench" profile "$side" "$n" >/dev/null 2>&1
    done
done
python3 - "$work" <<'PY'
import re, subprocess, sys
work = sys.argv[1]

def inclusive(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True).stdout
    costs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\S*?:(.*?)(?: \[.*\])?$", line)
        if m:
            costs.setdefault(m.group(2), int(m.group(1).replace(",", "")))
    return costs

def total(path):
    out = subprocess.run(["callgrind_annotate", path], capture_output=True, text=True).stdout
    return int(re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", out).group(1).replace(",", ""))

per_call = {s: (total(f"{work}/{s}.2000") - total(f"{work}/{s}.1000")) / 1000 for s in ("sdk", "bare")}
client = {}
for side, root in (("sdk", "overhead::sdk_get::{{closure}}"), ("bare", "overhead::bare_get::{{closure}}")):
    a, b = inclusive(f"{work}/{side}.2000"), inclusive(f"{work}/{side}.1000")
    client[side] = (a.get(root, 0) - b.get(root, 0)) / 1000
print("| instructions per get_credits call | SDK | bare reqwest | SDK extra |")
print("|---|---|---|---|")
print(f"| whole process (client and server) | {per_call['sdk']:,.0f} | {per_call['bare']:,.0f} | {per_call['sdk'] - per_call['bare']:+,.0f} ({(per_call['sdk'] / per_call['bare'] - 1) * 100:+.1f} %) |")
print(f"| client side (the call's future) | {client['sdk']:,.0f} | {client['bare']:,.0f} | {client['sdk'] - client['bare']:+,.0f} ({(client['sdk'] / client['bare'] - 1) * 100:+.1f} %) |")
print()
print("| SDK-only work per call (inclusive) | instructions |")
print("|---|---|")
a, b = inclusive(f"{work}/sdk.2000"), inclusive(f"{work}/sdk.1000")
parts = [
    ("boxing the call's future (`IntoFuture`) and building its context", "<openrouter_credits::requests::GetCreditsBuilder as core::future::into_future::IntoFuture>::into_future"),
    ("rebuilding the buffered response for the generated code (`transport::rebuild`)", "openrouter_credits::transport::rebuild"),
    ("`pre` hook: drop `api-version`, set `Authorization`", "openrouter_credits::hooks::<impl progenitor_client::progenitor_client::ClientHooks<openrouter_credits::call::CallContext> for openrouter_credits::generated::Client>::pre::{{closure}}"),
    ("progenitor merging its `api-version` header map into the request", "reqwest::async_impl::request::RequestBuilder::headers"),
    ("progenitor copying the response headers into `ResponseValue`", "<http::header::map::HeaderMap<T> as core::clone::Clone>::clone"),
]
for label, name in parts:
    if name in a:
        print(f"| {label} | {(a[name] - b.get(name, 0)) / 1000:,.0f} |")
PY
