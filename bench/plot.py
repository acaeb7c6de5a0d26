#!/usr/bin/python3
"""Plots fmi-bench JSON results as PNG files, one per operation.

    bench/plot.py --out DIR RESULTS...     (files or directories of *.json)

Each plot has one panel per peer count and one line per series (system and
transport): the median over rounds, with the rounds' min..max as error bars.
Latency-like operations plot time per operation against message size;
bandwidth plots MB/s; the barrier (no size) is a bar chart over peer counts.
Needs matplotlib (Debian: python3-matplotlib).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchresults as br  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

OP_ORDER = ["pingpong", "bandwidth", "barrier", "bcast", "gather", "scatter", "allgather", "reduce", "allreduce",
            "scan"]
TITLES = {
    "pingpong": "Ping-pong latency (half a round trip)",
    "bandwidth": "Streaming bandwidth (window of sends + 1 B ack)",
    "barrier": "Barrier",
}


def size_ticks(sizes):
    ticks = [s for s in sizes if s & (s - 1) == 0 and s != 0]
    return ticks, [br.format_bytes(s).replace(" ", "") for s in ticks]


def plot_sized(op, by_series, out_dir):
    """by_series: {series: {peers: {bytes: Point}}}"""
    peer_counts = sorted({p for per in by_series.values() for p in per})
    fig, axes = plt.subplots(1, len(peer_counts), figsize=(5.2 * len(peer_counts), 4.2), squeeze=False)
    all_sizes = set()
    for ax, peers in zip(axes[0], peer_counts):
        for series in sorted(by_series, key=br.series_order):
            points = by_series[series].get(peers)
            if not points:
                continue
            sizes = sorted(points)
            all_sizes.update(sizes)
            if op == "bandwidth":
                y = [points[s].megabytes_per_second() for s in sizes]
                low = [y[i] - points[s].megabytes_per_second(points[s].high) for i, s in enumerate(sizes)]
                high = [points[s].megabytes_per_second(points[s].low) - y[i] for i, s in enumerate(sizes)]
            else:
                y = [points[s].median for s in sizes]
                low = [y[i] - points[s].low for i, s in enumerate(sizes)]
                high = [points[s].high - y[i] for i, s in enumerate(sizes)]
            ax.errorbar(sizes, y, yerr=[low, high], marker="o", markersize=3, capsize=2, label=br.series_name(series))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(f"{peers} peers" + (" (oversubscribed: 2 cores)" if peers > 2 else ""), fontsize=10)
        ax.set_xlabel("message size (per peer)")
        ax.set_ylabel("MB/s" if op == "bandwidth" else "time per operation (us)")
        ax.grid(True, which="both", alpha=0.3)
        ticks, labels = size_ticks(sorted(all_sizes))
        ax.set_xticks(ticks[::2] if len(ticks) > 8 else ticks)
        ax.set_xticklabels(labels[::2] if len(ticks) > 8 else labels, rotation=45, fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(TITLES.get(op, op) + " — median over rounds, bars: min..max of round medians", fontsize=11)
    fig.tight_layout()
    path = os.path.join(out_dir, f"{op}.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_barrier(by_series, out_dir):
    series_list = sorted(by_series, key=br.series_order)
    peer_counts = sorted({p for per in by_series.values() for p in per})
    fig, ax = plt.subplots(figsize=(7, 4.2))
    width = 0.8 / max(1, len(series_list))
    for i, series in enumerate(series_list):
        xs, ys, lows, highs = [], [], [], []
        for j, peers in enumerate(peer_counts):
            point = by_series[series].get(peers, {}).get(0)
            if point is None:
                continue
            xs.append(j + i * width)
            ys.append(point.median)
            lows.append(point.median - point.low)
            highs.append(point.high - point.median)
        ax.bar(xs, ys, width, yerr=[lows, highs], capsize=2, label=br.series_name(series))
    ax.set_xticks([j + width * (len(series_list) - 1) / 2 for j in range(len(peer_counts))])
    ax.set_xticklabels([f"{p} peers" for p in peer_counts])
    ax.set_yscale("log")
    ax.set_ylabel("time per barrier (us)")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(TITLES["barrier"] + " — median over rounds, bars: min..max", fontsize=11)
    fig.tight_layout()
    path = os.path.join(out_dir, "barrier.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_all(points, out_dir, ops=None):
    """Writes one PNG per operation; returns {op: path}."""
    os.makedirs(out_dir, exist_ok=True)
    idx = br.index(points)
    written = {}
    for op in OP_ORDER:
        if ops and op not in ops:
            continue
        by_series = {}
        for series, per_peers in idx.items():
            for peers, per_op in per_peers.items():
                if op in per_op:
                    by_series.setdefault(series, {})[peers] = per_op[op]
        if not by_series:
            continue
        written[op] = plot_barrier(by_series, out_dir) if op == "barrier" else plot_sized(op, by_series, out_dir)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory for the PNG files")
    parser.add_argument("--op", action="append", help="only this operation (repeatable)")
    parser.add_argument("results", nargs="+", help="fmi-bench JSON files or directories of them")
    args = parser.parse_args()
    _, points = br.load_documents(args.results)
    if not points:
        sys.exit("plot.py: no fmi-bench results found in " + " ".join(args.results))
    for op, path in plot_all(points, args.out, args.op).items():
        print(f"plot.py: {op}: {path}")


if __name__ == "__main__":
    main()
