"""Reading and aggregating fmi-bench JSON documents (format "fmi-bench/1").

fmi-bench and the comparison programs of bench/compare write one document per
run; bench/run-all.sh runs every system several times ("rounds"). A series is
one (system, transport) pair; a point is one (series, peers, op, bytes). Each
round gives a point its median; the aggregate is the median of those medians,
the spread is their min..max, and p10/p90 come from all samples pooled.

Used by bench/report.py (markdown) and bench/plot.py (PNG plots).
"""

import glob
import json
import os
import statistics
from dataclasses import dataclass, field

FORMAT = "fmi-bench/1"

# Display names and order of the series; unknown ones are shown as "system transport".
SERIES_NAMES = {
    ("fmi", "direct"): "fmi direct",
    ("fmi", "auto"): "fmi (auto)",
    ("fmi", "redis"): "fmi Redis",
    ("fmi", "s3"): "fmi S3",
    ("openmpi", "tcp"): "Open MPI TCP",
    ("openmpi", "vader"): "Open MPI shm",
    ("gloo", "tcp"): "Gloo TCP",
    ("tcp", "blocking"): "raw TCP blocking",
    ("tcp", "busy-poll"): "raw TCP busy-poll",
    ("memcpy", "memory"): "memcpy",
    ("redis-floor", "resp"): "Redis floor",
    ("s3-floor", "http"): "S3 floor",
}


def series_name(series):
    return SERIES_NAMES.get(series, f"{series[0]} {series[1]}")


def series_order(series):
    keys = list(SERIES_NAMES)
    return (keys.index(series) if series in keys else len(keys), series)


@dataclass
class Point:
    """One (series, peers, op, bytes) over all rounds; times in microseconds."""
    series: tuple
    num_peers: int
    op: str
    bytes: int
    round_medians: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    checked: bool = True
    skipped: str = ""

    @property
    def median(self):
        return statistics.median(self.round_medians) if self.round_medians else None

    @property
    def low(self):
        return min(self.round_medians) if self.round_medians else None

    @property
    def high(self):
        return max(self.round_medians) if self.round_medians else None

    def quantile(self, q):
        if not self.samples:
            return None
        s = sorted(self.samples)
        pos = q * (len(s) - 1)
        below = int(pos)
        above = min(below + 1, len(s) - 1)
        return s[below] + (s[above] - s[below]) * (pos - below)

    def megabytes_per_second(self, time_us=None):
        t = self.median if time_us is None else time_us
        return self.bytes / t if t else None  # bytes per us = MB/s


@dataclass
class Run:
    """Header of one document, for the report's conditions section."""
    path: str
    program: str
    started_utc: str
    load_before: list
    load_after: list
    cpus: int
    label: str


def load_documents(paths):
    """Returns (runs, points) from JSON files or directories of them."""
    files = []
    for p in paths:
        files.extend(sorted(glob.glob(os.path.join(p, "**", "*.json"), recursive=True)) if os.path.isdir(p) else [p])
    runs, points = [], {}
    for path in files:
        with open(path) as f:
            doc = json.load(f)
        if doc.get("format") != FORMAT:
            continue  # not ours (e.g. another benchmark's output in the same directory)
        host = doc.get("host", {})
        runs.append(Run(path, doc.get("program", ""), doc.get("started_utc", ""), host.get("load_before", []),
                        host.get("load_after", []), host.get("cpus", 0), doc.get("label", "")))
        for r in doc.get("results", []):
            key = ((r["system"], r["transport"]), r["num_peers"], r["op"], r["bytes"])
            point = points.setdefault(key, Point(key[0], key[1], key[2], key[3]))
            if "skipped" in r:
                point.skipped = r["skipped"]
                continue
            point.round_medians.append(r["time_us"]["median"])
            point.samples.extend(r.get("samples_us", []))
            if r.get("checked") is False:
                point.checked = False
    return runs, points


def index(points):
    """{series: {peers: {op: {bytes: Point}}}} of the measured points."""
    out = {}
    for (series, peers, op, size), point in points.items():
        if point.median is None:
            continue
        out.setdefault(series, {}).setdefault(peers, {}).setdefault(op, {})[size] = point
    return out


def lookup(idx, series, peers, op, size):
    return idx.get(series, {}).get(peers, {}).get(op, {}).get(size)


def format_bytes(n):
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} B"


def format_time_us(us):
    if us is None:
        return "—"
    if us < 10:
        return f"{us:.2f} us"
    if us < 1000:
        return f"{us:.1f} us"
    if us < 1e6:
        ms = us / 1000
        return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"
    return f"{us / 1e6:.3g} s"


def format_rate(mbps):
    if mbps is None:
        return "—"
    if mbps >= 1000:
        return f"{mbps / 1000:.2f} GB/s"
    if mbps >= 1:
        return f"{mbps:.0f} MB/s"
    return f"{mbps * 1000:.0f} kB/s"
