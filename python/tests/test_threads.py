"""The GIL is released while an operation blocks: other Python threads of
the same process keep running (and may use other communicators)."""

import threading
import time

import numpy as np
import pytest

import fmi


def test_blocked_receive_lets_other_threads_run(make_comm):
    """Peer 0's main thread blocks in Recv from peer 1; peer 1 sends only
    after a helper thread of peer 0 has sent it a "go" over a second
    communicator. If Recv held the GIL, the helper could never run and the
    Recv would time out; no timing is asserted."""
    data = make_comm()
    control = make_comm()
    n, me = data.num_peers, data.peer_id
    if n == 1:
        pytest.skip("needs a partner")
    if me == 0:
        def helper():
            time.sleep(0.3)  # give the main thread time to block in Recv first
            control.send("go", 1)
        thread = threading.Thread(target=helper)
        thread.start()
        received = np.zeros(4, np.int64)
        data.Recv(received, 1)
        thread.join()
        assert received.tolist() == [1, 2, 3, 4]
    elif me == 1:
        assert control.recv(0) == "go"
        data.Send(np.array([1, 2, 3, 4], np.int64), 0)
    data.Barrier()


def test_python_reduction_in_a_thread(make_comm):
    """A Python reduction function (which takes the GIL inside the
    operation) works from a non-main thread while the main thread waits."""
    comm = make_comm()
    n, me = comm.num_peers, comm.peer_id
    out = np.zeros(3, np.int64)
    op = fmi.Op.create(lambda a, b: a * 10 + b)
    errors = []

    def run():
        try:
            comm.Allreduce(np.full(3, me + 1, np.int64), out, op)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not errors, errors
    assert out.tolist() == [int("".join(str(p + 1) for p in range(n)))] * 3
