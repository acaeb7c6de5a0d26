#!/usr/bin/env python3
"""Measures what running an fmi job as functions costs in time, against the
same job as local processes under fmirun (examples/03_lambda, direct channel).

    tests/faas/measure.py --build BUILD [--peers 8 16] [--repeats 5] [--json FILE] [--node-modules DIR]

(after `ctest -L faas` has installed the emulator into BUILD/tests/faas/emulator).
For each N it starts a fresh emulator (so the first job meets cold workers),
then runs one cold job and `repeats` warm jobs with fmi-invoke, and `repeats`
jobs under fmirun. Figures, medians over the repeats:

* launch to first collective: from the first Invoke call (fmirun: from
  starting fmirun) to the slowest peer's end of its first Allreduce;
* job wall time: first Invoke call to the last answer (fmirun: its run time);
* per-function overhead: an invocation's round trip minus the time its
  handler ran (the platform's share: request, dispatch to a worker, answer);
* in handler: the handler's own time (fmirun: the same body's time inside
  the process, from fmi.faas.main).
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
PARAMS = {"elements": 1000, "rounds": 3}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def lambda_job(fmi_invoke, endpoint, num_peers, config):
    report = fmi_invoke.invoke_job(servers.FUNCTION, num_peers, PARAMS, config=config, endpoint_url=endpoint,
                                   region_name="us-east-1", timeout_ms=30_000, connect_timeout_ms=120_000)
    if not report.ok:
        raise RuntimeError(report.summary())
    return {"first_collective_s": report.first_collective_s(), "wall_s": report.wall_s,
            "overhead_s": median([o.round_trip_s - o.handler_s for o in report.outcomes]),
            "overhead_max_s": max(o.round_trip_s - o.handler_s for o in report.outcomes),
            "handler_s": median([o.handler_s for o in report.outcomes]),
            "start_spread_s": max(o.timing["start"] for o in report.outcomes) - report.started_at,
            "cost_usd": report.cost()["dollars"]}


def fmirun_job(build, num_peers):
    launched = time.time()
    answers, wall = servers.fmirun_job(os.path.join(build, "tools", "fmirun", "fmirun"),
                                       os.path.join(SOURCE, "examples", "03_lambda"), os.path.join(build, "python"),
                                       num_peers, PARAMS)
    return {"first_collective_s": max(a["timing"]["first_collective"] for a in answers) - launched, "wall_s": wall,
            "handler_s": median([a["timing"]["end"] - a["timing"]["start"] for a in answers]),
            "start_spread_s": max(a["timing"]["start"] for a in answers) - launched}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="the build directory")
    parser.add_argument("--peers", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--node-modules", help="the installed emulator (default BUILD/tests/faas/emulator/node_modules)")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    sys.path.insert(0, os.path.join(build, "python"))
    import fmi.invoke  # noqa: E402 - from the build tree

    os.environ.update(servers.lambda_environment())
    node_modules = args.node_modules or os.path.join(build, "tests", "faas", "emulator", "node_modules")
    results = {"params": PARAMS, "loadavg_start": os.getloadavg(), "runs": {}}
    with servers.rendezvous_server(os.path.join(build, "tools", "fmi-rendezvous", "fmi-rendezvous")) as rendezvous:
        config = {"channel": "direct", "direct": {"rendezvous": rendezvous}}
        for n in args.peers:
            with servers.lambda_emulator(node_modules, os.path.join(SOURCE, "examples", "03_lambda"),
                                         os.path.join(build, "python")) as endpoint:
                cold = lambda_job(fmi.invoke, endpoint, n, config)
                warm = [lambda_job(fmi.invoke, endpoint, n, config) for _ in range(args.repeats)]
            local = [fmirun_job(build, n) for _ in range(args.repeats)]
            row = {"cold": cold,
                   "warm": {k: median([w[k] for w in warm]) for k in warm[0]},
                   "fmirun": {k: median([r[k] for r in local]) for k in local[0]}}
            results["runs"][n] = row
            w, f = row["warm"], row["fmirun"]
            print(f"N={n}: launch to first collective: lambda cold {cold['first_collective_s']:.3f} s, "
                  f"warm {w['first_collective_s']:.3f} s, fmirun {f['first_collective_s']:.3f} s", flush=True)
            print(f"N={n}: job wall: lambda cold {cold['wall_s']:.3f} s, warm {w['wall_s']:.3f} s, "
                  f"fmirun {f['wall_s']:.3f} s; in handler: warm {w['handler_s'] * 1e3:.1f} ms, "
                  f"fmirun {f['handler_s'] * 1e3:.1f} ms", flush=True)
            print(f"N={n}: per-function overhead (round trip - handler): warm median "
                  f"{w['overhead_s'] * 1e3:.1f} ms (max {w['overhead_max_s'] * 1e3:.1f} ms), cold median "
                  f"{cold['overhead_s'] * 1e3:.1f} ms; last handler start after invoke: warm "
                  f"{w['start_spread_s'] * 1e3:.1f} ms, cold {cold['start_spread_s']:.3f} s, fmirun "
                  f"{f['start_spread_s'] * 1e3:.1f} ms; modeled cost warm ${w['cost_usd']:.9f}", flush=True)
    results["loadavg_end"] = os.getloadavg()
    print(f"load average: start {results['loadavg_start']}, end {results['loadavg_end']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
