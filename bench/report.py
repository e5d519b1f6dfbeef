#!/usr/bin/env python3
"""Writes BENCHMARKS.md (to stdout) from the JSON lines `bench/run_all.sh` collected.

    python3 bench/report.py OUT_DIR [PYTHON_TABLE_FILE]
"""
import json
import os
import platform
import subprocess
import sys

out = sys.argv[1]
python_table = open(sys.argv[2]).read().strip() if len(sys.argv) > 2 and os.path.exists(sys.argv[2]) else ""


def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip().startswith("{")]


rows = load("alloc.jsonl") + load("latency.jsonl") + load("throughput.jsonl") + load("callgrind.jsonl")
build = load("build.jsonl")
meta = json.load(open(os.path.join(out, "meta.json")))


def get(mode, contender, op):
    for r in rows:
        if r["mode"] == mode and r["contender"] == contender and r["op"] == op:
            return r
    return None


CONTENDERS = [
    ("openrouter-credits", "openrouter-credits (this crate)"),
    ("openrouter-credits-fresh", "openrouter-credits, `fresh_connections_for_non_idempotent(true)`"),
    ("reqwest", "reqwest 0.13 (bare, the overhead bench's `bare_get`)"),
    ("openrouter-rs", "openrouter-rs 0.23.0"),
    ("openrouter_api", "openrouter_api 0.7.1"),
    ("hyper-util", "hyper-util legacy client (the floor)"),
]
OPS = [("credits", "get_credits (`GET /credits`)"), ("charge", "create_coinbase_charge (`POST /credits/coinbase`)")]


def num(v, fmt="{:,.0f}"):
    return "–" if v is None else fmt.format(v)


def pct(v):
    return "0" if abs(v) < 0.005 else f"{v:+.1f} %"


def spread(r, key, full=False):
    """median [p25, p75] of a paired per-round ratio, in per cent; with full, also (min, max)."""
    if r is None or key + "_median" not in r:
        return "–"
    if r["contender"] == "reqwest":
        return "0 (the baseline)"
    text = f"{pct(r[key + '_median'])}"
    if key + "_p25" in r:
        text += f" [{r[key + '_p25']:+.1f}, {r[key + '_p75']:+.1f}]"
    if full or key + "_p25" not in r:
        text += f" (min {r[key + '_min']:+.1f}, max {r[key + '_max']:+.1f})"
    return text


p = []
w = p.append
w("# Benchmarks")
w("")
w(f"Written by `bash bench/run_all.sh` on {meta['date']}: {meta['cpus']} vCPUs ({meta['cpu']}), {meta['mem_gib']} GiB, "
  f"{meta['rustc']}; load average {meta['load_before']} before the run, {meta['load_after']} after "
  "(the machine is shared). Every figure below comes from that run; rerun the script to reproduce it.")
w("")
w("Five clients call the same loopback hyper server (`bench/peers`: one binary, the server in its own")
w("process): this crate, a bare `reqwest::Client` with the crate's settings, the two published Rust")
w("OpenRouter SDKs, and hyper-util's pooled client with the request written by hand (the floor: no")
w("client can do less). Each one sends `Authorization` and `Accept`, checks the status and decodes the")
w("body (the SDKs into their own types; bare reqwest and hyper-util into this crate's types). The bench")
w("crate is a workspace of its own with its own `Cargo.lock`: none of the peers reaches this crate's")
w("dependency graph.")
w("")
w("The headline figures are **instructions per call** (callgrind, client process) and **allocations per")
w("call**: both are deterministic, so they hold on a busy machine. Wall-clock figures are measured with")
w("client and server pinned to one CPU (`taskset -c 0`), in paired rounds with the order of the clients")
w("rotating each round; the ratio to bare reqwest is taken within each round, and its spread over the")
w("rounds is shown. (Unpinned, loopback calls on this 2-vCPU VM run in two regimes, ~17 µs when client")
w("and server share a CPU and 70–100 µs when every hand-off is a cross-CPU wake-up; the slow regime")
w("dilutes every ratio towards zero, which is how an earlier version of this file came to report +0.6 %.)")
w("")
lat_meta = next((r for r in rows if r["mode"] == "latency"), None)
thr_meta = next((r for r in rows if r["mode"] == "throughput"), None)
for op, title in OPS:
    w(f"## {title}")
    w("")
    w("| client | instructions per call (decoding the body alone) | allocations per call (decoding alone) | p50 vs bare reqwest | 64 in flight: calls/s vs bare reqwest | 64 in flight: client CPU per call vs bare reqwest |")
    w("|---|---|---|---|---|---|")
    for c, label in CONTENDERS:
        cg, al, la, th = get("callgrind", c, op), get("alloc", c, op), get("latency", c, op), get("throughput", c, op)
        if cg is None and al is None and la is None:
            why = "same as the default: the option changes only calls that are not idempotent" if c.endswith("-fresh") else "has no Coinbase charge"
            w(f"| {label} | {why} | | | | |")
            continue
        cgs = num(cg and cg['instructions_per_call']) + (f" ({cg['decode_instructions']:,})" if cg and 'decode_instructions' in cg else "")
        als = num(al and al['allocs_per_call'], '{:.0f}') + (f" ({al['decode_allocs']:.0f})" if al and 'decode_allocs' in al else "")
        w(f"| {label} | {cgs} | {als} | "
          f"{spread(la, 'vs_reqwest_pct')} | {spread(th, 'vs_reqwest_pct')} | {spread(th, 'cpu_vs_reqwest_pct')} |")
    w("")
    # The goals of issue 16, checked.
    me_cg, me_al = get("callgrind", "openrouter-credits", op), get("alloc", "openrouter-credits", op)
    peers = [c for c in ("openrouter-rs", "openrouter_api") if get("callgrind", c, op)]
    if me_cg and me_al and peers:
        best_cg = min(get("callgrind", c, op)["instructions_per_call"] for c in peers)
        best_al = min(get("alloc", c, op)["allocs_per_call"] for c in peers)
        bare_cg = get("callgrind", "reqwest", op)["instructions_per_call"]
        checks = [
            f"instructions {me_cg['instructions_per_call']:,} vs best peer {best_cg:,} "
            f"({'met' if me_cg['instructions_per_call'] <= best_cg else 'not met'}) and bare reqwest {bare_cg:,} "
            f"({'below' if me_cg['instructions_per_call'] < bare_cg else 'not below'})",
            f"allocations {me_al['allocs_per_call']:.0f} vs best peer {best_al:.0f} ({'met' if me_al['allocs_per_call'] <= best_al else 'not met'})",
        ]
        th = get("throughput", "openrouter-credits", op)
        if th:
            verdict = "met" if th["vs_reqwest_pct_median"] >= 0 else "not met"
            if "vs_reqwest_pct_p25" in th and th["vs_reqwest_pct_p25"] < 0 <= th["vs_reqwest_pct_p75"]:
                verdict += ", within the rounds' spread"
            text = f"64-in-flight throughput vs bare reqwest {spread(th, 'vs_reqwest_pct')} ({verdict})"
            if "cpu_vs_reqwest_pct_median" in th:
                text += f", client CPU per call {pct(th['cpu_vs_reqwest_pct_median'])}"
            checks.append(text)
        if all('decode_instructions' in get("callgrind", c, op) for c in peers + ["openrouter-credits"]):
            net = lambda c: get("callgrind", c, op)["instructions_per_call"] - get("callgrind", c, op)["decode_instructions"]
            neta = lambda c: get("alloc", c, op)["allocs_per_call"] - get("alloc", c, op)["decode_allocs"]
            bc = min(peers, key=net)
            ba = min(peers, key=neta)
            checks.append(f"without decoding the body: instructions {net('openrouter-credits'):,} vs {bc} {net(bc):,}, "
                          f"allocations {neta('openrouter-credits'):.0f} vs {ba} {neta(ba):.0f}")
        w("Issue 16's targets for this crate: " + "; ".join(checks) + ".")
        w("")
    w("Ratios are medians over the paired rounds, [interquartile range] in brackets. Details, with the")
    w("extremes of the rounds:")
    w("")
    w("| client | bytes allocated per call | p50 µs | p99 µs | p50 vs bare reqwest | client CPU µs per call, sequential (vs bare) | 64 in flight: calls/s | 64 in flight: client CPU µs per call (vs bare) |")
    w("|---|---|---|---|---|---|---|---|")
    for c, label in CONTENDERS:
        al, la, th = get("alloc", c, op), get("latency", c, op), get("throughput", c, op)
        if al is None and la is None:
            continue
        thr = (f"{th['calls_per_s_median']:,.0f} [{th['calls_per_s_p25']:,.0f}, {th['calls_per_s_p75']:,.0f}] "
               f"(min {th['calls_per_s_min']:,.0f}, max {th['calls_per_s_max']:,.0f})") if th and "calls_per_s_p25" in th else "–"
        cpu = f"{th['client_cpu_us_per_call']:.2f}; {spread(th, 'cpu_vs_reqwest_pct', True)}" if th and "client_cpu_us_per_call" in th else "–"
        seq_cpu = f"{la['client_cpu_us_per_call']:.2f}; {spread(la, 'cpu_vs_reqwest_pct', True)}" if la and "client_cpu_us_per_call" in la else "–"
        w(f"| {label} | {num(al and al['bytes_per_call'])} | {num(la and la['p50_us'], '{:.1f}')} | {num(la and la['p99_us'], '{:.1f}')} | "
          f"{spread(la, 'vs_reqwest_pct', True)} | {seq_cpu} | {thr} | {cpu} |")
    w("")

w("Client CPU time per call is the client thread's own CPU time (`/proc/thread-self/schedstat`) over the calls")
w("of a round; every client runs on one current-thread runtime, so that thread is the whole client. It leaves")
w("out the time other processes hold the CPU, so it is steadier than wall time when the machine is busy, but")
w("not exact: on a VM it still includes time the hypervisor takes, and others' work evicts the client's caches.")
w("Where the wall-clock and CPU figures disagree, the instruction counts above decide.")
w("")
w("## How they were measured")
w("")
w("`bash bench/run_all.sh` builds `bench/peers` (release, `--locked`) and runs:")
w("")
w("| figure | command | what it counts |")
w("|---|---|---|")
w("| instructions per call | `bash bench/callgrind.sh OUT peers`: `valgrind --tool=callgrind peers client NAME OP N URL` with N = 1000 and N = 2000 | (total at 2000 − total at 1000) / 1000: one call of the client process, every thread, start-up and the first connection cancelled out; the server is another process, not counted |")
w("| allocations per call | `peers alloc URL` | a counting global allocator, every thread of the client process, 2000 calls after 200 warm-up calls |")
if lat_meta:
    w(f"| p50, p99, spread | `taskset -c 0 peers serve` and `taskset -c 0 peers latency URL OP {lat_meta['rounds']} {lat_meta['per_round']}` (charge: `{meta.get('charge_rounds', '')}`) | sequential calls on one connection; {lat_meta['rounds']} rounds of {lat_meta['per_round']} calls per client, the order rotating each round; a round's p50 over bare reqwest's p50 of the same round |")
if thr_meta:
    w(f"| 64 in flight | `taskset -c 0 peers throughput URL OP {thr_meta['rounds']} {thr_meta['calls']}` (charge: half the calls) | {thr_meta['calls']} calls per client per round by 64 tasks on one current-thread runtime (64 pooled connections opened beforehand), {thr_meta['rounds']} rounds, the order rotating; calls/s over bare reqwest's of the same round |")
w("")
w("openrouter-rs is called as `client.management().get_credits()` and `create_coinbase_charge(&CoinbaseChargeRequest::new(..))`,")
w("openrouter_api as its documentation shows, `client.credits()?.get_balance()` (it has no Coinbase charge), this crate as")
w("`client.credits().get_credits().send()` and `create_coinbase_charge(..).amount(..).sender(..).chain_id(..).send()`.")
w("The charge body served is the spec's, plus the four fields openrouter-rs decodes its charge into, so one body")
w("serves every client. The clients' types keep different amounts of it: this crate's `CoinbaseChargeResponse` (which")
w("bare reqwest and hyper-util decode into too) keeps every field of the spec's charge, 15 strings, 6 of them addresses")
w("held inline as `EvmAddress` (9 allocations); openrouter-rs' `CoinbaseChargeData` keeps the sender and the id and two")
w("empty maps. The figures in parentheses (decoding the body alone into each client's")
w("types: `peers decode NAME OP N` under callgrind, and the counting allocator) show how much of a call that is.")
w("")

bd = os.path.join(out, "breakdown.md")
if os.path.exists(bd):
    w("## Where this crate's instructions go")
    w("")
    w("From the same callgrind runs (`callgrind_annotate --inclusive=yes` on the 2000-call and 1000-call files, the")
    w("difference over 1000):")
    w("")
    w(open(bd).read().strip())
    w("")
    w("Where the allocations come from, site by site: `bash bench/alloc_sites.sh NAME OP` (valgrind's DHAT on 1000")
    w("and 2000 calls; not part of this run).")
    w("")

if build:
    # One renderer for the section: bench/build_report.py (also run on its own after build_cost.sh).
    here = os.path.dirname(os.path.abspath(__file__))
    section = subprocess.run([sys.executable, os.path.join(here, "build_report.py"), out], capture_output=True, text=True, check=True)
    w(section.stdout.rstrip("\n"))
    w("")

w("## Against the official Python SDK")
w("")
if python_table:
    w("`bash bench/compare_python.sh`: `openrouter==0.6.0` in a throw-away venv against the same server (`peers serve`),")
    w("sequential `get_credits`, each client on one connection after warm-up; this crate and bare reqwest in")
    w("interleaved rounds; server and clients pinned to CPU 0. The Rust rates here are means over 10 rounds of")
    w("200 calls, tail included, one pass: a rough scale against Python, not the paired comparison above.")
    w("")
    w(python_table)
else:
    w("Skipped in this run (`bash bench/compare_python.sh` needs PyPI for `openrouter==0.6.0`).")
w("")
w("## The smoke bench")
w("")
w("`cargo bench --bench overhead` (CI runs it as `cargo test --locked --bench overhead -- --quick`) is the in-process")
w("SDK-versus-bare-reqwest bench with the server on a thread of the same process. It keeps the code paths")
w("working; its timings are unpinned and not reported here.")
print("\n".join(p))
