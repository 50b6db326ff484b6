#!/usr/bin/env python3
"""Turns bench/run.sh's raw runs (wrk outputs + proxy CPU ticks) into Markdown tables.

    compare.py --one WRK_OUTPUT CPU_TICKS CLK_TCK [SYSCALLS]
        one line about one run (run.sh prints it as it goes)
    compare.py --runs runs.tsv --clk-tck N [--header F] [--sanity F] [--lognotes F] [--record RESULTS.md]
        the medians per case and proxy, the weir/peer ratios, every run, and the errors seen
"""

import argparse
import csv
import os
import re
import statistics
import sys

PROXY_LABEL = {"weir": "weir", "haproxy": "HAProxy", "nginx": "nginx"}
PEERS = ("haproxy", "nginx")
# Cases that add one feature to another case: their cost is shown against that baseline.
BASELINE = {"small-c50-checks": "small-c50", "small-c50-rules": "small-c50"}
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def parse_wrk(text):
    """The figures of one wrk --latency output; missing ones are None."""
    r = {"requests": None, "seconds": None, "rps": None, "p99_ms": None, "non2xx": 0,
         "socket": None, "notes": []}
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", text, re.M)
    if m:
        r["requests"] = int(m.group(1))
        r["seconds"] = float(m.group(2)) * UNIT_MS[m.group(3)] / 1000.0
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        r["rps"] = float(m.group(1))
    dist = text.split("Latency Distribution", 1)
    if len(dist) == 2:
        m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$", dist[1], re.M)
        if m:
            r["p99_ms"] = float(m.group(1)) * UNIT_MS[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["socket"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    for line in text.splitlines():
        if line.startswith("(") or "unable to connect" in line.lower() or "error" in line.lower():
            if "Socket errors" not in line:
                r["notes"].append(line.strip())
    return r


def error_text(r):
    """'' when the run was clean, else what went wrong, in wrk's own words where possible."""
    parts = []
    if r["non2xx"]:
        parts.append(f"Non-2xx or 3xx responses: {r['non2xx']}")
    if r["socket"] and any(r["socket"].values()):
        s = r["socket"]
        parts.append(f"Socket errors: connect {s['connect']}, read {s['read']}, "
                     f"write {s['write']}, timeout {s['timeout']}")
    if not r["requests"]:
        parts.append("no requests completed")
    parts.extend(r["notes"])
    return "; ".join(parts)


def cpu_us_per_request(ticks, clk_tck, requests):
    if not requests:
        return None
    return ticks / clk_tck * 1e6 / requests


def busy_percent(ticks, clk_tck, seconds):
    """How much of its core the proxy used during the run."""
    if not seconds:
        return None
    return ticks / clk_tck / seconds * 100.0


def fmt(v, digits=1, thousands=False, suffix=""):
    if v is None:
        return "n/a"
    if thousands:
        return f"{v:,.0f}{suffix}"
    return f"{v:.{digits}f}{suffix}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}×"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def per_request(count, requests):
    """count / requests; None when either is unknown (a count of -1: not measured)."""
    if count is None or count < 0 or not requests:
        return None
    return count / requests


def one(args):
    path, ticks, clk_tck = args.one[:3]
    syscalls = int(args.one[3]) if len(args.one) > 3 else -1
    with open(path, errors="replace") as f:
        r = parse_wrk(f.read())
    # Negative: the proxy was gone when run.sh sampled it after the run; its CPU time is unknown.
    cpu = cpu_us_per_request(int(ticks), int(clk_tck), r["requests"]) if int(ticks) >= 0 else None
    busy = busy_percent(int(ticks), int(clk_tck), r["seconds"]) if int(ticks) >= 0 else None
    err = error_text(r)
    print(f"{fmt(r['rps'], thousands=True)} req/s, p99 {fmt(r['p99_ms'], 2)} ms, "
          f"CPU {fmt(cpu)} µs/req, {fmt(per_request(syscalls, r['requests']), 2)} syscalls/req "
          f"({int(ticks)} ticks, {r['requests'] or 0} requests, "
          f"proxy core {fmt(busy, 0, suffix='%')} busy)"
          + (f"  ERRORS: {err}" if err else ""))


def load_runs(path, clk_tck):
    runs = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            try:
                with open(row["wrk_output"], errors="replace") as w:
                    text = w.read()
            except OSError as e:
                text = f"({e})"
            r = parse_wrk(text)
            r.update(case=row["case"], connections=int(row["connections"]), round=int(row["round"]),
                     proxy=row["proxy"], ticks=int(row["cpu_ticks"]), alive=row["alive"] == "1",
                     user_ticks=int(row.get("user_ticks") or -1), syscalls=int(row.get("syscalls") or -1))
            # A proxy that exited during the run could not be sampled after it: no CPU figure.
            cpu_known = r["alive"] and r["ticks"] >= 0
            r["cpu_us"] = cpu_us_per_request(r["ticks"], clk_tck, r["requests"]) if cpu_known else None
            r["busy"] = busy_percent(r["ticks"], clk_tck, r["seconds"]) if cpu_known else None
            r["user_us"] = (cpu_us_per_request(r["user_ticks"], clk_tck, r["requests"])
                            if cpu_known and r["user_ticks"] >= 0 else None)
            r["syscalls_per_req"] = per_request(r["syscalls"], r["requests"])
            r["error"] = error_text(r)
            if not r["alive"] and not r["requests"]:
                r["error"] = "skipped: the proxy had exited before this run"
            elif not r["alive"]:
                r["error"] = "; ".join(filter(None, [r["error"], "the proxy exited during this run"]))
            runs.append(r)
    return runs


def report(runs):
    cases = list(dict.fromkeys(r["case"] for r in runs))
    proxies = [p for p in PROXY_LABEL if any(r["proxy"] == p for r in runs)]
    med = {}
    out = []
    out.append("Medians over the rounds. CPU µs/req = the proxy's user+sys time over the run / "
               "requests completed, and the user-space part of it; syscalls/req = the proxy's "
               "system calls (perf raw_syscalls:sys_enter) / requests; proxy core busy = that CPU "
               "time / the run's duration (near 100%: the proxy was the bottleneck); p99 = wrk's "
               "99th percentile latency.")
    out.append("")
    out.append("| case | proxy | req/s | p99 (ms) | CPU µs/req | user µs/req | syscalls/req | proxy core busy | runs with errors |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for c in cases:
        for p in proxies:
            rs = [r for r in runs if r["case"] == c and r["proxy"] == p]
            ok = [r for r in rs if r["requests"]]
            m = {"rps": median(r["rps"] for r in ok), "p99": median(r["p99_ms"] for r in ok),
                 "cpu": median(r["cpu_us"] for r in ok), "busy": median(r["busy"] for r in ok),
                 "user": median(r["user_us"] for r in ok), "sys": median(r["syscalls_per_req"] for r in ok)}
            med[c, p] = m
            bad = sum(1 for r in rs if r["error"])
            out.append(f"| {c} | {PROXY_LABEL[p]} | {fmt(m['rps'], thousands=True)} | "
                       f"{fmt(m['p99'], 2)} | {fmt(m['cpu'])} | {fmt(m['user'])} | {fmt(m['sys'], 2)} | "
                       f"{fmt(m['busy'], 0, suffix='%')} | {bad}/{len(rs)} |")
    out.append("")
    out.append("Ratios of the medians. req/s: above 1 = weir serves more. CPU/req, syscalls/req "
               "and p99: below 1 = weir spends less per request, answers sooner.")
    out.append("")
    heads = [f"req/s weir/{PROXY_LABEL[p]}" for p in PEERS] + \
            [f"CPU/req weir/{PROXY_LABEL[p]}" for p in PEERS] + \
            [f"syscalls/req weir/{PROXY_LABEL[p]}" for p in PEERS] + \
            [f"p99 weir/{PROXY_LABEL[p]}" for p in PEERS]
    out.append("| case | " + " | ".join(heads) + " |")
    out.append("|---|" + "---:|" * len(heads))
    for c in cases:
        w = med.get((c, "weir"), {})
        cells = [ratio(w.get(k), med.get((c, p), {}).get(k)) for k in ("rps", "cpu", "sys", "p99") for p in PEERS]
        out.append(f"| {c} | " + " | ".join(cells) + " |")
    out.extend(feature_costs(cases, proxies, med))
    return "\n".join(out)


def feature_costs(cases, proxies, med):
    """What a feature case costs each proxy against its baseline case, in the same run. A proxy
    configured identically in both cases (nginx: no checks, no rules) shows the machine's drift
    between the two cases; the last column corrects weir's figure by it."""
    pairs = [(c, BASELINE[c]) for c in cases if c in BASELINE and BASELINE[c] in cases]
    if not pairs:
        return []
    out = ["", "Feature cost: CPU/req of the case / CPU/req of its baseline (1.00 = free). "
           "nginx runs the same config in both (it has neither feature): its ratio is drift.", ""]
    heads = [PROXY_LABEL[p] for p in proxies] + ["weir / nginx drift"]
    out.append("| case | baseline | " + " | ".join(heads) + " |")
    out.append("|---|---|" + "---:|" * len(heads))
    for c, b in pairs:
        costs = {p: (med.get((c, p), {}).get("cpu"), med.get((b, p), {}).get("cpu")) for p in proxies}
        cells = [ratio(*costs[p]) for p in proxies]
        w, n = costs.get("weir"), costs.get("nginx")
        corrected = "-"
        if w and n and all(w) and all(n):
            corrected = f"{(w[0] / w[1]) / (n[0] / n[1]):.2f}×"
        out.append(f"| {c} | {b} | " + " | ".join(cells) + f" | {corrected} |")
    return out


def per_run(runs):
    out = ["| case | round | proxy | requests | req/s | p99 (ms) | CPU µs/req | user µs/req | syscalls/req | proxy core busy | errors |",
           "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        out.append(f"| {r['case']} | {r['round']} | {PROXY_LABEL[r['proxy']]} | "
                   f"{r['requests'] or 0} | {fmt(r['rps'], thousands=True)} | "
                   f"{fmt(r['p99_ms'], 2)} | {fmt(r['cpu_us'])} | {fmt(r['user_us'])} | "
                   f"{fmt(r['syscalls_per_req'], 2)} | {fmt(r['busy'], 0, suffix='%')} | {r['error'] or '-'} |")
    return "\n".join(out)


def read_optional(path):
    if not path or not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read().strip("\n").rstrip()  # keep the first line's indentation


def full(args):
    runs = load_runs(args.runs, args.clk_tck)
    if not runs:
        sys.exit("compare.py: no runs")
    header = read_optional(args.header)
    sanity = read_optional(args.sanity)
    lognotes = read_optional(args.lognotes)
    summary = report(runs)
    runs_table = per_run(runs)
    errors = [r for r in runs if r["error"]]

    print(summary)
    print()
    print("Every run:")
    print()
    print(runs_table)
    print()
    if errors:
        print(f"ERRORS in {len(errors)} of {len(runs)} runs (see the table above).")
    else:
        print(f"No errors in {len(runs)} runs (no non-2xx responses, no socket errors).")

    if args.record:
        new = not os.path.exists(args.record)
        with open(args.record, "a") as f:
            if new:
                f.write("# weir benchmark results\n\nAppended by `bench/run.sh --record`; "
                        "see bench/README.md for what the figures mean. Compare figures only "
                        "within one run.\n")
            f.write("\n## Run of " + next((l.split(": ", 1)[1] for l in header.splitlines()
                                           if l.startswith("- date: ")), "?") + "\n\n")
            if header:
                f.write(header + "\n\n")
            f.write(summary + "\n\n")
            f.write(f"Errors: {len(errors)} of {len(runs)} runs." if errors
                    else f"Errors: none in {len(runs)} runs.")
            f.write("\n\n<details><summary>Every run, sanity checks, proxy logs</summary>\n\n")
            f.write(runs_table + "\n\n")
            if sanity:
                f.write("Sanity checks before the load:\n\n```\n" + sanity + "\n```\n\n")
            if lognotes:
                f.write("Proxy logs:\n\n```\n" + lognotes + "\n```\n\n")
            f.write("</details>\n")
        print(f"Recorded in {args.record}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--one", nargs="+", metavar="WRK_OUTPUT CPU_TICKS CLK_TCK [SYSCALLS]")
    ap.add_argument("--runs")
    ap.add_argument("--clk-tck", type=int, default=os.sysconf("SC_CLK_TCK"))
    ap.add_argument("--header")
    ap.add_argument("--sanity")
    ap.add_argument("--lognotes")
    ap.add_argument("--record")
    args = ap.parse_args()
    if args.one:
        if len(args.one) not in (3, 4):
            ap.error("--one takes WRK_OUTPUT CPU_TICKS CLK_TCK [SYSCALLS]")
        one(args)
    elif args.runs:
        full(args)
    else:
        ap.error("give --one or --runs")


if __name__ == "__main__":
    main()
