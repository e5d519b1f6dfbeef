#!/usr/bin/env python3
"""The "A dependent's build" section of BENCHMARKS.md (to stdout), from OUT_DIR/build.jsonl
(`bench/build_cost.sh OUT_DIR`, once per revision of the crate; each run has its own peers' rows).

    python3 bench/build_report.py OUT_DIR
"""
import json
import os
import sys

out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "build.jsonl")) if l.strip().startswith("{")]
builds = [r for r in rows if r["mode"] == "build"]

LINES = {
    "crate-rustls": "`openrouter-credits` (default features: `rustls`, on aws-lc-rs)",
    "crate-ring": "`openrouter-credits`, `default-features = false, features = [\"rustls-ring\"]`",
    "crate-native-tls": "`openrouter-credits`, `default-features = false, features = [\"native-tls\"]`",
    "reqwest": "bare `reqwest` 0.13 (`json`, `rustls`) + `serde` + `serde_json`",
    "openrouter-rs": "`openrouter-rs = \"=0.23.0\"`",
    "openrouter_api": "`openrouter_api = \"=0.7.1\"` (reqwest 0.12)",
    "build-deps": "the crate's `[build-dependencies]` alone (as a binary's dependencies)",
    "build-deps-no-progenitor": "the same without `progenitor` (and `openapiv3`, `schemars`, there for its API)",
}


def w(s=""):
    print(s)


w("## A dependent's build")
w()
w("`BEFORE=a668379 bash bench/build_cost.sh OUT` (`BEFORE` adds that commit's crate rows to the run, interleaved;")
w("`ROWS=\"build-deps build-deps-no-progenitor\"` builds the build script's dependencies alone): for each row a new binary crate with that")
w("one dependency, built from scratch (`cargo build`, debug, empty target directory; downloads fetched first, the")
w("registry shared). The crate's rows use its `Cargo.lock`, the peers' `bench/peers/Cargo.lock`. **CPU s** is user +")
w("system time of the whole build: the machine is shared with other builds, which stretches wall time (so wall time")
w("is not shown) but not the CPU a build needs. Each run builds bare reqwest and both peers beside the crate, so a")
w("ratio compares rows of one run.")
w()
runs = []
for r in builds:
    if r.get("run") not in runs:
        runs.append(r.get("run"))
for run in runs:
    these = [r for r in builds if r.get("run") == run]
    base = next((r for r in these if r["variant"] == "reqwest"), None)
    revs = list(dict.fromkeys(r["rev"] for r in these if r.get("rev")))
    alone = all(r["variant"].startswith("build-deps") for r in these)
    w(f"Run of {run}, the crate at " + " and ".join(f"`{v}`" for v in revs) + (": what its build script's dependencies cost by themselves" if alone else "") + ":")
    w()
    w("| dependency | C crypto compiled | crates compiled | CPU s | × bare reqwest (aws-lc) |")
    w("|---|---|---|---|---|")
    for r in these:
        ratio = f"{r['cpu_s'] / base['cpu_s']:.2f}×" if base else "–"
        at = f" at `{r['rev']}`" if r["variant"].startswith("crate-") and len(revs) > 1 else ""
        w(f"| {LINES.get(r['variant'], r['variant'])}{at} | {r.get('crypto') or 'none'} | {r['crates_compiled']} | {r['cpu_s']:.1f} | {ratio} |")
    w()
    full = next((r for r in these if r["variant"] == "build-deps"), None)
    bare = next((r for r in these if r["variant"] == "build-deps-no-progenitor"), None)
    if full and bare:
        w(f"progenitor's own graph: {full['cpu_s'] - bare['cpu_s']:.1f} CPU s ({full['crates_compiled'] - bare['crates_compiled']} crates) of the "
          f"build script's {full['cpu_s']:.1f}.")
        w()
    t = next((r for r in these if "touch_fragment_rebuild_s" in r), None)
    if t:
        w(f"Then the fragment `build.rs` reads touched and the dependent rebuilt: {t['touch_fragment_rebuild_s']:.1f} s; a no-op `cargo build`: "
          f"{t['noop_s']:.1f} s (wall time, on the shared machine).")
        w()
    for rev in revs:
        s = next((r for r in rows if r["mode"] == "build-script" and r.get("rev") == rev), None)
        if s:
            w(f"At `{rev}` the build script needs {s['build_dependency_crates']} crates, {s['only_for_the_build_script']} of them for nothing else: "
              f"{', '.join(s['crates'])}.")
            w()
