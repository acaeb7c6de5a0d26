#!/usr/bin/env python3
"""Combines repeated runs of the model's calibration and validation
(scripts/validate-model.sh): on shared cores a job's figures move between
jobs (the same 8-byte send took 4.2 us in one job and 7.5 us in the next),
so the model is calibrated and checked several times, and the medians compared.

  model-runs.py model OUT RUN.json...   element-wise median of fmi-calibrate
                                        outputs (every number at the same place)
  model-runs.py verify OUT RUN.md...    median of fmi-calibrate --verify tables
                                        (each run against its own calibration):
                                        predicted and measured time per case,
                                        the spread over runs, the error, the
                                        measured fastest channel, each hint's
                                        commonest choice
  model-runs.py score VERIFY.md...      cases within 35%, per channel
"""
import json
import statistics
import sys

WITHIN = 0.35


def median_json(docs, path="model"):
    """The element-wise median of JSON values of the same shape."""
    first = docs[0]
    if isinstance(first, bool) or first is None:
        return first
    if isinstance(first, (int, float)):
        if not all(isinstance(d, (int, float)) for d in docs):
            sys.exit(f"model-runs.py: {path}: a number in one run, not in another")
        return statistics.median(docs)
    if isinstance(first, dict):
        keys = set().union(*(d.keys() for d in docs))
        out = {}
        for key in sorted(keys, key=lambda k: (len(k), k)):
            present = [d[key] for d in docs if key in d]
            # A table entry some runs lack (an aggregate the model did not
            # use) takes the median of the runs that have it.
            out[key] = median_json(present, f"{path}.{key}")
        return out
    if isinstance(first, str):
        return "; ".join(dict.fromkeys(docs)) if path.endswith("source") else first
    return first


def rows(path):
    """The verify tables of one run: cases and hint choices, by key."""
    cases, choices = {}, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("[0] "):
                line = line[4:]
            if not line.startswith("|") or line.startswith("|---"):
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 8 and cells[0] in ("direct", "redis", "s3"):
                channel, op, peers, size, algorithm, predicted, measured, _ = cells
                cases[(channel, op, int(peers), int(size))] = (algorithm, float(predicted), float(measured))
            elif len(cells) == 7 and cells[0] != "operation":
                op, peers, size, _, fast, cheap, prices = cells
                choices[(op, int(peers), int(size))] = (fast, cheap, prices)
    return cases, choices


def most_common(values):
    """The value most often in `values`; the earliest of those on a tie."""
    return max(values, key=values.count)


def combine_verify(out_path, paths):
    runs = [rows(p) for p in paths]
    out = [f"Median of {len(runs)} --verify runs, each against its own calibration: predicted and measured "
           "times are the runs' medians; spread: the fastest and slowest run's measured time.\n",
           "| channel | operation | peers | bytes | algorithm | predicted ms | measured ms (median) | runs ms | error |",
           "|---|---|---|---|---|---|---|---|---|"]
    measured_median = {}
    for key in runs[0][0]:
        algorithm = runs[0][0][key][0]
        predicted = statistics.median(r[0][key][1] for r in runs if key in r[0])
        times = [r[0][key][2] for r in runs if key in r[0]]
        m = statistics.median(times)
        measured_median[key] = m
        error = (predicted - m) / m * 100
        channel, op, peers, size = key
        out.append(f"| {channel} | {op} | {peers} | {size} | {algorithm} | {predicted:.4g} | {m:.4g} | "
                   f"{min(times):.4g}-{max(times):.4g} | {error:+.0f}% |")
    out += ["", "| operation | peers | bytes | measured fastest | hint fast chooses | hint cheap chooses | predicted price per channel |",
            "|---|---|---|---|---|---|---|"]
    for key, (_, _, prices) in runs[0][1].items():
        # Each run's model chooses: the choice most runs made (the first
        # run's on a tie), and the first run's prices.
        fast = most_common([r[1][key][0] for r in runs if key in r[1]])
        cheap = most_common([r[1][key][1] for r in runs if key in r[1]])
        op, peers, size = key
        timed = {c: t for (c, o, p, s), t in measured_median.items() if (o, p, s) == key}
        fastest = min(timed, key=timed.get) if timed else "?"
        out.append(f"| {op} | {peers} | {size} | {fastest} | {fast} | {cheap} | {prices} |")
    with open(out_path, "w") as f:
        f.write("\n".join(out) + "\n")


def score(paths):
    total = within = 0
    per_channel = {}
    fast_right = fast_total = 0
    for path in paths:
        with open(path) as f:
            for line in f:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if cells and cells[0] in ("direct", "redis", "s3") and cells[-1].endswith("%"):
                    ok = abs(float(cells[-1].rstrip("%"))) <= WITHIN * 100
                    total += 1
                    within += ok
                    c = per_channel.setdefault(cells[0], [0, 0])
                    c[0] += ok
                    c[1] += 1
                elif len(cells) == 7 and cells[0] in ("send", "allreduce") and cells[3] in ("direct", "redis", "s3"):
                    fast_total += 1
                    fast_right += cells[3] == cells[4]
    detail = ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in per_channel.items())
    print(f"{within} of {total} cases within {WITHIN:.0%} ({detail}); "
          f"hint fast chose the measured fastest in {fast_right} of {fast_total}")


def main(argv):
    if len(argv) >= 3 and argv[0] == "model":
        docs = []
        for p in argv[2:]:
            with open(p) as f:
                docs.append(json.load(f))
        with open(argv[1], "w") as f:
            json.dump(median_json(docs, ""), f, indent=2)
            f.write("\n")
    elif len(argv) >= 3 and argv[0] == "verify":
        combine_verify(argv[1], argv[2:])
    elif len(argv) >= 2 and argv[0] == "score":
        score(argv[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
