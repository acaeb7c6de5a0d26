#!/usr/bin/env python3
"""The Python package's two benchmark ratios, measured in one run:

1. Allreduce of a 16 MiB float32 array from Python (allreduce_py.py) against
   the same from C++ (fmi_bench_allreduce_cpp): target at most 1.10x.
   Runs alternate C++, Python, C++, Python, ... under identical fmirun
   settings. Each adjacent pair gives a ratio (median Python round over median
   C++ round), so load that drifts on a shared machine cancels; the reported
   ratio is the median of the pairs' ratios.
2. Object-mode bcast of a dict holding a 16 MiB array against buffer-mode
   Bcast of the array (bcast_object_vs_buffer.py): target at most 1.5x.

    python3 python/bench/run_benchmarks.py --build /work/build-python [--peers 2 4] [--json out.json]

Needs the targets fmirun, fmi_python_module and fmi_bench_allreduce_cpp
(`cmake --build <build> --target fmi_bench_allreduce_cpp`). Exits 1 if a
ratio misses its target and --check is given.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ALLREDUCE_TARGET = 1.10
BCAST_TARGET = 1.5


def run_json(command, env):
    """Runs a benchmark under fmirun; returns peer 0's JSON line."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    for line in result.stdout.splitlines():
        text = line.split("] ", 1)[-1]  # fmirun prefixes "[0] "
        if text.startswith("{"):
            return json.loads(text)
    raise RuntimeError(f"no JSON line in the output of {' '.join(command)}:\n{result.stdout}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="the CMake build directory")
    parser.add_argument("--peers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--bytes", type=int, default=16 << 20)
    parser.add_argument("--pairs", type=int, default=9, help="C++/Python run pairs per world size")
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write all results to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 if a ratio misses its target")
    args = parser.parse_args()

    fmirun = os.path.join(args.build, "tools", "fmirun", "fmirun")
    cpp_program = os.path.join(args.build, "python", "fmi_bench_allreduce_cpp")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.join(args.build, "python"), env.get("PYTHONPATH")) if p)
    common = ["--bytes", str(args.bytes), "--iters", str(args.iters), "--rounds", str(args.rounds)]

    results, ok = [], True
    for n in args.peers:
        launcher = [fmirun, "-n", str(n), "--timeout", "600", "--"]
        cpp_times, py_times, pair_ratios = [], [], []
        for _ in range(args.pairs):
            cpp = run_json(launcher + [cpp_program] + common, env)["seconds_per_op"]
            py = run_json(launcher + [sys.executable, os.path.join(HERE, "allreduce_py.py")] + common,
                          env)["seconds_per_op"]
            cpp_times += cpp
            py_times += py
            pair_ratios.append(statistics.median(py) / statistics.median(cpp))
        ratio = statistics.median(pair_ratios)
        ok &= ratio <= ALLREDUCE_TARGET
        best_ratio = min(py_times) / min(cpp_times)
        results.append({"bench": "allreduce_py_vs_cpp", "peers": n, "bytes": args.bytes, "cpp_seconds": cpp_times,
                        "python_seconds": py_times, "pair_ratios": pair_ratios, "ratio": ratio,
                        "best_ratio": best_ratio})
        print(f"allreduce {args.bytes} B float32, {n} peers: C++ median {statistics.median(cpp_times) * 1e3:.2f} ms, "
              f"Python median {statistics.median(py_times) * 1e3:.2f} ms, median pair ratio {ratio:.3f} "
              f"(target <= {ALLREDUCE_TARGET}); best C++ {min(cpp_times) * 1e3:.2f} ms, "
              f"best Python {min(py_times) * 1e3:.2f} ms, ratio {best_ratio:.3f}", flush=True)

        bcast = run_json(launcher + [sys.executable, os.path.join(HERE, "bcast_object_vs_buffer.py"),
                                     "--bytes", str(args.bytes)], env)
        ok &= bcast["ratio"] <= BCAST_TARGET
        results.append(bcast)
        buffer_ms = statistics.median(bcast["buffer_seconds"]) * 1e3
        object_ms = statistics.median(bcast["object_seconds"]) * 1e3
        print(f"bcast {args.bytes} B, {n} peers: buffer median {buffer_ms:.2f} ms, "
              f"object median {object_ms:.2f} ms, ratio {bcast['ratio']:.3f} "
              f"(target <= {BCAST_TARGET})", flush=True)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.check and not ok:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
