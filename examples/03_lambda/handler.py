"""03_lambda: an fmi job as AWS Lambda functions.

Every function of the job is one peer. `handler` is the Lambda entry point
(`handler.handler` in serverless.yml); fmi.faas reads the peer id, the peer
count, the communicator name and the channel configuration from the event that
`fmi-invoke` sends, runs `allreduce_job`, and answers with its result or a
structured error (it never raises). Start a job of 8 functions with

    fmi-invoke fmi-example-allreduce -n 8 --params '{"elements": 100000, "rounds": 5}' \
        --config '{"channel": "direct", "direct": {"rendezvous": "<rendezvous VM>:10000"}}'

The same body runs as local processes under fmirun, which prints one JSON
answer per peer:

    fmirun -n 8 -- python3 examples/03_lambda/handler.py --params '{"elements": 100000, "rounds": 5}'

Parameters (all optional): elements (per peer, default 1024), rounds of
allreduce (default 3), fail_peer (this peer raises after the first collective,
to show how a failure is reported and how the other functions end promptly).
"""

import sys

import numpy as np

import fmi
import fmi.faas

MODULUS = 1_000_003  # keeps the values of later rounds small and exactly representable


def allreduce_job(comm, params, job):
    """Element-wise sums of int64 vectors over all peers, `rounds` times, and
    one non-commutative reduction of the peer ids in object mode."""
    me, n = comm.peer_id, comm.num_peers
    elements = int(params.get("elements", 1024))
    rounds = int(params.get("rounds", 3))

    # Round 1: x_i[k] = (i + 1) * k + i, so the sum is k * n(n+1)/2 + n(n-1)/2.
    k = np.arange(elements, dtype=np.int64)
    x = (me + 1) * k + me
    total = np.empty_like(x)
    comm.Allreduce(x, total, fmi.SUM)
    job.mark("first_collective")

    if params.get("fail_peer") == me:
        raise ValueError(f"peer {me} fails on purpose after the first collective (fail_peer)")

    # Later rounds feed each result back, so every round depends on all peers.
    for _ in range(1, rounds):
        x = total % MODULUS + me
        comm.Allreduce(x, total, fmi.SUM)

    # A non-commutative reduction, evaluated strictly left to right over peer
    # ids: every peer gets "0,1,...,n-1".
    order = comm.allreduce(str(me), fmi.Op.create(lambda a, b: a + "," + b))
    return {"first": int(total[0]) if elements else None, "last": int(total[-1]) if elements else None,
            "checksum": int(total.sum() % MODULUS), "order": order, "rounds": rounds}


handler = fmi.faas.handler(allreduce_job)

if __name__ == "__main__":
    sys.exit(fmi.faas.main(allreduce_job))
