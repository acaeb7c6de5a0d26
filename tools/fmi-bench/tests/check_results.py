#!/usr/bin/python3
"""Checks an fmi-bench JSON document (format fmi-bench/1) for a smoke test.

    check_results.py FILE --peers N --ops a,b --sizes 3,1000 [--system fmi --transport direct]

Fails (exit 1, naming what is wrong) unless the document parses, has the
expected header, and holds exactly one result per (operation, size) asked
for, each measured (not skipped), checked correct, with as many positive
samples as batches and ordered percentiles. Reductions round sizes down to
whole float32 (at least one); the barrier has no size and appears once.
"""

import argparse
import json
import sys

REDUCTIONS = {"reduce", "allreduce", "scan"}


def expected_records(ops, sizes):
    wanted = set()
    for op in ops:
        if op == "barrier":
            wanted.add((op, 0))
            continue
        for size in sizes:
            wanted.add((op, max(1, size // 4) * 4 if op in REDUCTIONS else size))
    return wanted


def problems(doc, args):
    if doc.get("format") != "fmi-bench/1":
        yield f"format is {doc.get('format')!r}, expected 'fmi-bench/1'"
    for key in ("program", "started_utc", "host", "settings", "results"):
        if key not in doc:
            yield f"the header has no '{key}'"
    seen = {}
    for r in doc.get("results", []):
        key = (r.get("op"), r.get("bytes"))
        where = f"{key[0]} of {key[1]} bytes"
        if key in seen:
            yield f"{where}: measured twice"
        seen[key] = r
        if (r.get("system"), r.get("transport"), r.get("num_peers")) != (args.system, args.transport, args.peers):
            yield (f"{where}: system {r.get('system')}/{r.get('transport')} at {r.get('num_peers')} peers, "
                   f"expected {args.system}/{args.transport} at {args.peers}")
        if "skipped" in r:
            yield f"{where}: skipped ({r['skipped']})"
            continue
        if r.get("checked") is not True:
            yield f"{where}: result check is {r.get('checked')!r}, expected true"
        samples = r.get("samples_us", [])
        if len(samples) != r.get("batches") or not all(s > 0 for s in samples):
            yield f"{where}: {len(samples)} samples for {r.get('batches')} batches, or a sample <= 0: {samples}"
        t = r.get("time_us", {})
        if not (0 < t.get("min", 0) <= t.get("p10", 0) <= t.get("median", 0) <= t.get("p90", 0) <= t.get("max", 0)):
            yield f"{where}: time_us is not ordered min <= p10 <= median <= p90 <= max: {t}"
    wanted = expected_records(args.ops, args.sizes)
    for missing in sorted(wanted - seen.keys()):
        yield f"no result for {missing[0]} of {missing[1]} bytes"
    for extra in sorted(seen.keys() - wanted, key=str):
        yield f"an unexpected result: {extra[0]} of {extra[1]} bytes"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    parser.add_argument("--peers", type=int, required=True)
    parser.add_argument("--ops", required=True, help="comma-separated operations")
    parser.add_argument("--sizes", required=True, help="comma-separated sizes in bytes")
    parser.add_argument("--system", default="fmi")
    parser.add_argument("--transport", default="direct")
    args = parser.parse_args()
    args.ops = args.ops.split(",")
    args.sizes = [int(s) for s in args.sizes.split(",")]
    try:
        with open(args.file) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"check_results.py: cannot read {args.file}: {e}")
    found = list(problems(doc, args))
    for p in found:
        print(f"check_results.py: {args.file}: {p}", file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"check_results.py: {args.file}: {len(doc['results'])} results, all as expected")


if __name__ == "__main__":
    main()
