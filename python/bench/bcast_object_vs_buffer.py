"""Object-mode versus buffer-mode broadcast of a 16 MiB float32 array.

Buffer mode: ``comm.Bcast(array, root)`` into an array every peer allocated
once. Object mode: ``comm.bcast({"weights": array, "step": i}, root)``, a new
dict (and a new array) on every receiver every time, as a program would use
it. Rounds alternate between the two (same processes, same run); a round's
time per operation is the slowest peer's. Peer 0 prints one JSON line with
both series and the ratio of their medians.

    fmirun -n 4 -- python3 bcast_object_vs_buffer.py --bytes 16777216
"""

import argparse
import json
import statistics
import time

import numpy as np

import fmi


def timed(comm, iters, body):
    comm.Barrier()
    start = time.perf_counter()
    for i in range(iters):
        body(i)
    return comm.allreduce(time.perf_counter() - start, fmi.MAX) / iters


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bytes", type=int, default=16 << 20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--root", type=int, default=0)
    args = parser.parse_args()

    comm = fmi.Communicator()
    me, root = comm.peer_id, args.root
    weights = np.arange(args.bytes // 4, dtype=np.float32)
    buffer = weights.copy() if me == root else np.zeros_like(weights)
    received = {}

    def buffer_mode(i):
        comm.Bcast(buffer, root)

    def object_mode(i):
        # Keep the result alive until the next call, as a program would.
        received["last"] = comm.bcast({"weights": weights, "step": i} if me == root else None, root)

    for i in range(args.warmup):
        buffer_mode(i)
        object_mode(i)
    buffer_times, object_times = [], []
    for _ in range(args.rounds):
        buffer_times.append(timed(comm, args.iters, buffer_mode))
        object_times.append(timed(comm, args.iters, object_mode))

    got = received["last"]
    if not (np.array_equal(buffer, weights) and np.array_equal(got["weights"], weights)):
        raise SystemExit("broadcast delivered wrong data")
    if me == 0:
        ratio = statistics.median(object_times) / statistics.median(buffer_times)
        print(json.dumps({"bench": "bcast_object_vs_buffer", "bytes": args.bytes, "peers": comm.num_peers,
                          "buffer_seconds": buffer_times, "object_seconds": object_times,
                          "ratio": ratio}), flush=True)
    comm.finalize()


if __name__ == "__main__":
    main()
