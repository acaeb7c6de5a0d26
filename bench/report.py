#!/usr/bin/python3
"""Writes docs/performance.md from fmi-bench JSON results (bench/run-all.sh).

    bench/report.py --out docs/performance.md --plots docs/performance RESULTS...

The report has: the conditions of the run (rounds, load), the issue's targets
with their status, the headline measures side by side with ratios, every
measured operation by peer count, the store channels against their floors,
and the plots (made with bench/plot.py). A hand-written analysis, if
bench/analysis.md exists, is appended (it explains misses with profiles).
"""

import argparse
import datetime
import os
import platform
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchresults as br  # noqa: E402

FMI = ("fmi", "direct")
OMPI_TCP = ("openmpi", "tcp")
OMPI_SHM = ("openmpi", "vader")
GLOO = ("gloo", "tcp")
RAW_BLOCKING = ("tcp", "blocking")
RAW_POLL = ("tcp", "busy-poll")
MEMCPY = ("memcpy", "memory")
MiB = 1 << 20

# The targets: (title, op, bytes, peers, reference series, limit on
# fmi time / reference time). Bandwidth targets are limits on time too:
# "at least 90% of Gloo's bandwidth" = fmi time <= Gloo time / 0.9.
TARGETS = (
    [("direct 8 B ping-pong no slower than Open MPI TCP", "pingpong", 8, 2, OMPI_TCP, 1.0),
     ("direct 64 MiB bandwidth at least Open MPI TCP's", "bandwidth", 64 * MiB, 2, OMPI_TCP, 1.0),
     ("direct 64 MiB bandwidth at least 90% of Gloo's", "bandwidth", 64 * MiB, 2, GLOO, 1 / 0.9)]
    + [(f"{op}{'' if op == 'barrier' else ' 8 B'} vs Open MPI TCP (at most {'1.0' if n == 2 else '1.2'}x)", op, 0 if op == "barrier" else 8, n,
        OMPI_TCP, 1.0 if n == 2 else 1.2)
       for op in ("allreduce", "bcast", "barrier") for n in (2, 4, 8)]
    + [("allreduce 1 MiB no slower than Open MPI TCP", "allreduce", MiB, n, OMPI_TCP, 1.0) for n in (2, 4, 8)]
    + [("allreduce 64 MiB no slower than Gloo", "allreduce", 64 * MiB, n, GLOO, 1.0) for n in (2, 4, 8)]
)

# The headline rows: (label, op, bytes, peer counts).
HEADLINES = (
    [("ping-pong 8 B (one way)", "pingpong", 8, (2,)),
     ("bandwidth 64 MiB", "bandwidth", 64 * MiB, (2,))]
    + [(f"allreduce {br.format_bytes(b)}", "allreduce", b, (2, 4, 8)) for b in (8, MiB, 16 * MiB, 64 * MiB)]
    + [("bcast 8 B", "bcast", 8, (2, 4, 8)), ("barrier", "barrier", 0, (2, 4, 8))]
)

COMPARED = [FMI, RAW_BLOCKING, RAW_POLL, OMPI_TCP, OMPI_SHM, GLOO]


def value_text(point, op):
    """Median with the rounds' spread: '12.1 us (11.8–12.6)'."""
    if point is None:
        return "—"
    if op == "bandwidth":
        med = br.format_rate(point.megabytes_per_second())
        lo, hi = point.megabytes_per_second(point.high), point.megabytes_per_second(point.low)
        spread = f" ({br.format_rate(lo)}–{br.format_rate(hi)})" if len(point.round_medians) > 1 else ""
    else:
        med = br.format_time_us(point.median)
        spread = (f" ({br.format_time_us(point.low)}–{br.format_time_us(point.high)})"
                  if len(point.round_medians) > 1 else "")
    flag = " **wrong result**" if not point.checked else ""
    return med + spread + flag


def ratio(a, b):
    if a is None or b is None or not b.median:
        return None
    return a.median / b.median


def ratio_text(r):
    return "—" if r is None else f"{r:.2f}"


def best_raw(idx, peers, op, size):
    """The faster raw TCP mode at this size: the floor."""
    candidates = [p for p in (br.lookup(idx, RAW_BLOCKING, peers, op, size), br.lookup(idx, RAW_POLL, peers, op, size))
                  if p is not None]
    return min(candidates, key=lambda p: p.median) if candidates else None


def conditions_section(runs, rounds):
    loads = [r.load_before[0] for r in runs if r.load_before] + [r.load_after[0] for r in runs if r.load_after]
    starts = sorted(r.started_utc for r in runs if r.started_utc)
    cpus = max((r.cpus for r in runs), default=0)
    lines = ["## Conditions", ""]
    lines.append(f"- Machine: {platform.node()}, {cpus} CPUs, Linux {platform.release()}, loopback only.")
    if starts:
        lines.append(f"- Runs: {len(runs)} program runs from {starts[0]} to {starts[-1]} (UTC), "
                     f"{rounds} round(s); the systems alternate in a rotated order each round.")
    if loads:
        lines.append(f"- Load average (1 min) sampled before and after each run: min {min(loads):.2f}, "
                     f"median {statistics.median(loads):.2f}, max {max(loads):.2f} "
                     f"(2 cores: a load above ~2 means other work competed with the benchmark).")
    lines += [
        "- Peers: point-to-point with 2; collectives with 2, 4 and 8. **4 and 8 peers oversubscribe the 2 "
        "cores**: processes take turns on a core, so latencies include scheduling and systems that spin "
        "(Open MPI, raw TCP busy-poll) suffer most.",
        "- Every process runs unpinned (`mpirun --bind-to none`), default malloc, the project's default "
        "build (RelWithDebInfo, -O2); Open MPI 4.1 and Gloo are Debian's packages.",
        "",
    ]
    return lines


def methodology_section():
    return [
        "## Methodology",
        "",
        "One harness (`tools/fmi-bench/harness`) measures every system, so the numbers compare one to one:",
        "",
        "- **ping-pong**: peer 0 sends, peer 1 echoes; a sample is half the mean round trip of a batch.",
        "- **bandwidth**: peer 0 sends a window of messages back to back (64, at most 16 MiB per window; "
        "64 MiB is sent alone), peer 1 answers with 1 byte; a sample is the window's time per message.",
        "- **collectives**: every peer runs a barrier, then a batch of back-to-back operations; a sample is "
        "the mean per operation of the **slowest** peer. Reductions sum float32; gather/allgather sizes are "
        "per peer.",
        "- Iterations: 1000 for small messages, fewer for large ones (about 128 MiB moved per size, at least "
        "5); a tenth as warm-up; the first warm-up runs on known data and every peer checks the result.",
        "- Buffers are allocated once and touched before timing (a first-touch page fault costs ~14 us here); "
        "what a library allocates inside an operation is its own cost.",
        "- Each cell is the **median over rounds** of each round's median, with the rounds' min–max in "
        "parentheses. Ratios divide fmi's time by the other system's: below 1 fmi is faster (for bandwidth, "
        "the inverse ratio of bandwidths).",
        "",
    ]


def targets_section(idx):
    lines = ["## Targets", "",
             "| target | peers | fmi direct | reference | fmi / reference | limit | status |",
             "|---|---|---|---|---|---|---|"]
    met = missed = unknown = 0
    for title, op, size, peers, ref_series, limit in TARGETS:
        fmi = br.lookup(idx, FMI, peers, op, size)
        ref = br.lookup(idx, ref_series, peers, op, size)
        r = ratio(fmi, ref)
        if r is None:
            status = "not measured"
            unknown += 1
        elif r <= limit:
            status = "met"
            met += 1
        else:
            # A miss whose spread overlaps the limit is reported as such: noise may decide it.
            overlap = fmi.low <= limit * ref.high
            status = "**missed**" + (" (spreads overlap)" if overlap else "")
            missed += 1
        lines.append(f"| {title} | {peers} | {value_text(fmi, op)} | {br.series_name(ref_series)}: "
                     f"{value_text(ref, op)} | {ratio_text(r)} | {limit:.2f} | {status} |")
    lines += ["", f"{met} met, {missed} missed, {unknown} not measured.", ""]
    return lines


def headline_section(idx):
    names = [br.series_name(s) for s in COMPARED]
    lines = ["## The issue's measures side by side", "",
             "| measure | peers | " + " | ".join(names) + " | fmi / raw | fmi / Open MPI TCP | fmi / Gloo |",
             "|---|---|" + "---|" * (len(names) + 3)]
    for label, op, size, peer_counts in HEADLINES:
        for peers in peer_counts:
            cells = [value_text(br.lookup(idx, s, peers, op, size), op) for s in COMPARED]
            fmi = br.lookup(idx, FMI, peers, op, size)
            raw = best_raw(idx, peers, op, size)
            ratios = [ratio(fmi, raw), ratio(fmi, br.lookup(idx, OMPI_TCP, peers, op, size)),
                      ratio(fmi, br.lookup(idx, GLOO, peers, op, size))]
            lines.append(f"| {label} | {peers} | " + " | ".join(cells) + " | " +
                         " | ".join(ratio_text(r) for r in ratios) + " |")
    lines += ["", "fmi / raw compares with the faster raw TCP mode (the floor of the loopback); collectives "
              "have no raw counterpart.", ""]
    return lines


def all_measurements_section(idx, plots, plot_rel):
    lines = ["## All measurements", ""]
    ops = ["pingpong", "bandwidth", "barrier", "bcast", "gather", "scatter", "allgather", "reduce", "allreduce", "scan"]
    for op in ops:
        series = sorted((s for s in idx if any(op in per for per in idx[s].values()) and s[1] not in ("redis", "s3")
                         and not s[0].endswith("-floor")), key=br.series_order)
        if not series:
            continue
        lines += [f"### {op}", ""]
        if op in plots:
            lines += [f"![{op}]({plot_rel}/{os.path.basename(plots[op])})", ""]
        peer_counts = sorted({p for s in series for p in idx[s] if op in idx[s][p]})
        for peers in peer_counts:
            present = [s for s in series if op in idx[s].get(peers, {})]
            sizes = sorted({b for s in present for b in idx[s][peers][op]})
            ratio_cols = [(OMPI_TCP, "fmi / Open MPI TCP"), (GLOO, "fmi / Gloo")]
            ratio_cols = [(s, t) for s, t in ratio_cols if s in present and FMI in present]
            lines.append(f"{peers} peers" + (" (oversubscribed)" if peers > 2 else "") + ":")
            lines.append("")
            lines.append("| size | " + " | ".join(br.series_name(s) for s in present) +
                         "".join(f" | {t}" for _, t in ratio_cols) + " |")
            lines.append("|---|" + "---|" * (len(present) + len(ratio_cols)))
            for size in sizes:
                cells = [value_text(idx[s][peers][op].get(size), op) for s in present]
                fmi = idx.get(FMI, {}).get(peers, {}).get(op, {}).get(size)
                rs = [ratio_text(ratio(fmi, idx[s][peers][op].get(size))) for s, _ in ratio_cols]
                label = "—" if op == "barrier" else br.format_bytes(size)
                lines.append(f"| {label} | " + " | ".join(cells) + "".join(f" | {r}" for r in rs) + " |")
            lines.append("")
    return lines


def stores_section(idx):
    stores = [s for s in idx if s[1] in ("redis", "s3") or s[0].endswith("-floor")]
    if not stores:
        return []
    lines = ["## Store channels", "",
             "fmi over Redis and S3 against their floor, measured on the same server: one Redis round trip "
             "(GET) or one S3 PUT+GET of the same size, from one client.", ""]
    for op in ("pingpong", "bandwidth", "barrier", "bcast", "allreduce"):
        rows = []
        for s in sorted(stores, key=br.series_order):
            for peers, per_op in sorted(idx[s].items()):
                for size, point in sorted(per_op.get(op, {}).items()):
                    rows.append(f"| {br.series_name(s)} | {peers} | "
                                f"{'—' if op == 'barrier' else br.format_bytes(size)} | {value_text(point, op)} |")
        if rows:
            lines += [f"{op}:", "", "| series | peers | size | median (rounds' min–max) |", "|---|---|---|---|"]
            lines += rows + [""]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="the markdown file to write (docs/performance.md)")
    parser.add_argument("--plots", help="directory for the PNG plots (made with plot.py)")
    parser.add_argument("--rounds", type=int, default=0, help="rounds run (for the conditions section)")
    parser.add_argument("--command", default="bench/run-all.sh", help="the command that produced the results")
    parser.add_argument("--analysis", help="markdown appended as the analysis section")
    parser.add_argument("results", nargs="+", help="fmi-bench JSON files or directories of them")
    args = parser.parse_args()

    runs, points = br.load_documents(args.results)
    if not points:
        sys.exit("report.py: no fmi-bench results in " + " ".join(args.results))
    idx = br.index(points)
    plots = {}
    if args.plots:
        import plot  # matplotlib is needed only for the plots
        plots = plot.plot_all(points, args.plots)
    plot_rel = os.path.relpath(args.plots, os.path.dirname(os.path.abspath(args.out))) if args.plots else "."

    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Performance", "",
             f"Generated by `{args.command}` on {today}; regenerate it with the same command "
             "(about 15 minutes on this 2-core machine). Raw results are JSON in the fmi-bench/1 format "
             "(see [fmi-bench's output](#output-format)).", ""]
    lines += conditions_section(runs, args.rounds)
    lines += targets_section(idx)
    lines += headline_section(idx)
    lines += methodology_section()
    lines += all_measurements_section(idx, plots, plot_rel)
    lines += stores_section(idx)
    if args.analysis and os.path.exists(args.analysis):
        with open(args.analysis) as f:
            lines += [f.read().rstrip(), ""]
    lines += output_format_section()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"report.py: wrote {args.out} ({len(points)} points from {len(runs)} runs)")


def output_format_section():
    return [
        "## Running the benchmarks", "",
        "- Everything, side by side: `bench/run-all.sh` (installs the bench packages, builds in `build-bench/`, "
        "runs the rounds, writes this file and `docs/performance/*.png`; `--help` for options).",
        "- fmi alone: `fmirun -n 4 -- fmi-bench --op allreduce --sizes 8,1M,64M --json out.json` "
        "(`fmi-bench --help`; `--channel direct,redis,s3` measures channels one after another).",
        "- The comparisons: `mpirun -n 4 --mca pml ob1 --mca btl tcp,self bench-openmpi ...`, "
        "`fmirun -n 4 -- bench-gloo --store DIR ...`, `bench-tcp --mode blocking|busy-poll`, `bench-memcpy`; "
        "they take fmi-bench's options.",
        "- Plots of any results: `bench/plot.py --out DIR results/*.json`.", "",
        "### Output format", "",
        "Each program writes one JSON document (`--json FILE`, by peer 0):", "",
        "```",
        '{"format": "fmi-bench/1", "program": "fmi-bench", "command_line": "...", "label": "...",',
        ' "started_utc": "...", "host": {"name", "cpus", "load_before": [1, 5, 15 min], "load_after": [...]},',
        ' "settings": {"iterations", "min_iterations", "budget_bytes", "batches", "window", "window_bytes", ...},',
        ' "results": [{"system": "fmi", "transport": "direct", "num_peers": 4, "op": "allreduce", "bytes": 8,',
        '              "iterations", "warmup", "batches", "window",',
        '              "time_us": {"median", "p10", "p90", "min", "max", "mean"},',
        '              "bandwidth_MBps": {"median", "p10", "p90"}, "checked": true, "samples_us": [...]},',
        '             {"system": ..., "op": "scan", "bytes": 8, "skipped": "not implemented by gloo"}]}',
        "```", "",
        "`time_us` is per operation (ping-pong: one way), over the samples (one per batch; bandwidth: one per "
        "window); `bandwidth_MBps` is bytes / time (MB = 10^6 bytes).", "",
    ]


if __name__ == "__main__":
    main()
