"""02_python: fmi from Python, mpi4py-style. Run it as 4 local peers with

    fmirun -n 4 -- python3 examples/02_python/hello.py

(with PYTHONPATH=<build>/python if fmi is not pip-installed). Every peer
averages a gradient-like numpy array with Allreduce (buffers: in place, no
copies), receives a settings dict from peer 0 with bcast (any picklable
object), and peer 0 gathers one summary per peer. The same `step` runs in an
AWS Lambda handler: see `handler` below and docs/python.md.
"""

import os
import sys

import numpy as np

import fmi


def step(comm, weights):
    """One data-parallel step: the average of every peer's gradient."""
    me, n = comm.peer_id, comm.num_peers

    # Buffer mode: numpy arrays, reduced in place by the C++ core.
    gradient = np.full_like(weights, me + 1)          # this peer's "gradient"
    total = np.empty_like(gradient)
    comm.Allreduce(gradient, total, fmi.SUM)
    weights -= 0.1 * total / n

    # Object mode: any picklable object (arrays inside travel out of band).
    settings = comm.bcast({"lr": 0.1, "epoch": 1} if me == 0 else None, root=0)

    # A Python reduction, strictly left to right over peer ids.
    order = comm.allreduce(str(me), fmi.Op.create(lambda a, b: a + "," + b))

    summaries = comm.gather({"peer": me, "norm": float(np.linalg.norm(weights))}, root=0)
    return settings, order, summaries


def main():
    with fmi.Communicator() as comm:                  # FMI_PEER_ID, FMI_NUM_PEERS, ... from fmirun
        n = comm.num_peers
        weights = np.ones(1_000_000, np.float32)
        settings, order, summaries = step(comm, weights)

        expected = 1.0 - 0.1 * (n + 1) / 2           # the average gradient is (1 + ... + n) / n
        ok = np.allclose(weights, expected) and order == ",".join(map(str, range(n)))
        print(f"peer {comm.peer_id} of {n}: weights[0] = {weights[0]:.4f} "
              f"(expected {expected:.4f}), settings {settings}, order {order}")
        if comm.peer_id == 0:
            print(f"summaries gathered at peer 0: {summaries}")
        return 0 if ok else 1


def handler(event, context):
    """The same step in an AWS Lambda function: the invoker passes each
    function its peer id, the peer count and a job name; the configuration
    (e.g. a Redis channel, or the rendezvous server for direct TCP) travels
    in the event or in FMI_* environment variables of the function."""
    with fmi.Communicator(event["peer_id"], event["num_peers"], event.get("config", os.environ.get("FMI_CONFIG")),
                          event["job"], int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))) as comm:
        comm.hint(fmi.hints.fast)
        _, order, summaries = step(comm, np.ones(1000, np.float32))
        return {"peer": comm.peer_id, "order": order, "summaries": summaries}


if __name__ == "__main__":
    sys.exit(main())
