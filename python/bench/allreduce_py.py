"""The Python half of the Python-versus-C++ allreduce benchmark; the same
protocol as allreduce_cpp.cpp: float32 buffers allocated and touched once,
`warmup` untimed allreduces, then `rounds` rounds of a barrier followed by
`iters` back-to-back ``comm.Allreduce(x, out, fmi.SUM)``; a round's time per
operation is the slowest peer's. Peer 0 prints one JSON line.

    fmirun -n 2 -- python3 allreduce_py.py --bytes 16777216 --iters 10 --rounds 5
"""

import argparse
import json
import time

import numpy as np

import fmi


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bytes", type=int, default=16 << 20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    comm = fmi.Communicator()
    n, me = comm.num_peers, comm.peer_id
    x = np.full(args.bytes // 4, 1.0 + me, np.float32)
    out = np.zeros_like(x)
    for _ in range(args.warmup):
        comm.Allreduce(x, out, fmi.SUM)

    per_op = []
    for _ in range(args.rounds):
        comm.Barrier()
        start = time.perf_counter()
        for _ in range(args.iters):
            comm.Allreduce(x, out, fmi.SUM)
        seconds = time.perf_counter() - start
        per_op.append(comm.allreduce(seconds, fmi.MAX) / args.iters)

    expected = n * (n + 1) / 2
    if out.size and not (out[0] == expected and out[-1] == expected):
        raise SystemExit(f"allreduce result {out[0]}, expected {expected}")
    if me == 0:
        print(json.dumps({"impl": "python", "bytes": args.bytes, "peers": n, "iters": args.iters,
                          "seconds_per_op": per_op}), flush=True)
    comm.finalize()


if __name__ == "__main__":
    main()
