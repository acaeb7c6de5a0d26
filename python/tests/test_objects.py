"""Object mode (send, recv, bcast, gather, scatter, allgather, reduce,
allreduce, scan): any picklable object, arrays inside travelling out of band."""

import fractions

import numpy as np
import pytest

import fmi
from helpers import ROOTS, root_of


def sample(peer):
    """Objects of many kinds, including arrays large enough to go out of
    band (>= 64 KiB) and small ones that stay in the pickle stream."""
    return {
        "peer": peer,
        "text": "é" * (peer + 1),
        "none": None,
        "nested": [(peer, peer + 0.5), {"set": {peer, -peer}}, b"\x00\xff" * peer],
        "fraction": fractions.Fraction(peer + 1, 3),
        "small": np.arange(peer + 3, dtype=np.int16),
        "large": np.full(100_000, peer, np.float64),       # 800 KB, out of band
        "fortran": np.asfortranarray(np.arange(200_000, dtype=np.int32).reshape(400, 500) + peer),
        "empty": np.zeros((0, 3)),
    }


def check_sample(obj, peer):
    expected = sample(peer)
    assert obj.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, np.ndarray):
            assert isinstance(obj[key], np.ndarray) and obj[key].dtype == value.dtype
            assert np.array_equal(obj[key], value) and obj[key].shape == value.shape
        else:
            assert obj[key] == value
    assert obj["fortran"].flags.f_contiguous
    assert obj["large"].flags.writeable  # received arrays are ordinary, writable arrays


def test_send_recv_objects(comm):
    n, me = comm.num_peers, comm.peer_id
    if n == 1:
        pytest.skip("needs a partner")
    succ, pred = (me + 1) % n, (me - 1) % n
    if me % 2 == 0:
        comm.send(sample(me), succ)
        got = comm.recv(pred)
    else:
        got = comm.recv(pred)
        comm.send(sample(me), succ)
    check_sample(got, pred)


@pytest.mark.parametrize("obj", [None, 0, -2**70, 3.25, "", "x" * 5000, b"", list(range(1000)),
                                 {"k": (1, 2)}, np.float32(1.5), np.zeros(0)],
                         ids=lambda o: type(o).__name__)
def test_bcast_small_and_edge_objects(comm, obj):
    root = comm.num_peers // 2
    got = comm.bcast(obj if comm.peer_id == root else None, root)
    if isinstance(obj, np.ndarray):
        assert np.array_equal(got, obj) and got.dtype == obj.dtype
    else:
        assert got == obj and type(got) is type(obj)


@pytest.mark.parametrize("root_choice", ROOTS)
def test_bcast_sample(comm, root_choice):
    root = root_of(root_choice, comm.num_peers)
    got = comm.bcast(sample(root) if comm.peer_id == root else None, root=root)
    check_sample(got, root)


def test_bcast_large_pickle_stream(comm):
    """Metadata too large for the first block (a long in-band pickle stream)."""
    obj = {i: str(i) * 3 for i in range(2000)}
    got = comm.bcast(obj if comm.peer_id == 0 else None, 0)
    assert got == obj


@pytest.mark.parametrize("root_choice", ROOTS)
def test_gather_scatter_objects(comm, root_choice):
    n, me = comm.num_peers, comm.peer_id
    root = root_of(root_choice, n)
    gathered = comm.gather(sample(me), root=root)
    if me == root:
        assert len(gathered) == n
        for p, obj in enumerate(gathered):
            check_sample(obj, p)
    else:
        assert gathered is None

    # Objects of very different sizes (the blocks are padded to the largest).
    objs = [("peer", p, "z" * (p * 50_000)) for p in range(n)] if me == root else None
    assert comm.scatter(objs, root=root) == ("peer", me, "z" * (me * 50_000))


def test_allgather_objects(comm):
    n, me = comm.num_peers, comm.peer_id
    everyone = comm.allgather({"id": me, "data": np.arange(me * 20_000)})
    assert [o["id"] for o in everyone] == list(range(n))
    for p, o in enumerate(everyone):
        assert np.array_equal(o["data"], np.arange(p * 20_000))


@pytest.mark.parametrize("root_choice", ROOTS)
def test_object_reductions(comm, root_choice):
    n, me = comm.num_peers, comm.peer_id
    root = root_of(root_choice, n)
    assert comm.allreduce(me + 1) == n * (n + 1) // 2
    assert comm.allreduce(me, fmi.MAX) == n - 1
    assert comm.allreduce(me + 1, fmi.PROD) == int(np.prod(np.arange(1, n + 1)))
    assert comm.allreduce(me % 2 == 0, fmi.LAND) == (n == 1)
    assert comm.allreduce(1 << me, fmi.BOR) == (1 << n) - 1
    # Strings concatenate in peer order (non-commutative, via SUM's +).
    assert comm.allreduce(str(me)) == "".join(str(p) for p in range(n))
    assert comm.scan([me]) == list(range(me + 1))
    result = comm.reduce(np.full(3, me), fmi.SUM, root)
    if me == root:
        assert np.array_equal(result, np.full(3, n * (n - 1) // 2))
    else:
        assert result is None
    # Arrays with MIN use numpy's element-wise minimum.
    assert np.array_equal(comm.allreduce(np.array([me, -me]), fmi.MIN), [0, -(n - 1)])


def test_object_custom_op_is_left_to_right(comm):
    n, me = comm.num_peers, comm.peer_id
    concat = fmi.Op.create(lambda a, b: f"({a}{b})")
    expected = "0"
    for p in range(1, n):
        expected = f"({expected}{p})"
    assert comm.allreduce(str(me), concat) == expected
    assert comm.reduce(str(me), concat, root=n - 1) == (expected if me == n - 1 else None)


class Unpicklable:
    def __reduce__(self):
        raise TypeError("this object refuses to be pickled")


def test_unpicklable_object_raises_on_every_peer(comm):
    """The peer that cannot pickle tells the others, so nobody waits."""
    n, me = comm.num_peers, comm.peer_id
    bad = n - 1
    with pytest.raises(fmi.UsageError, match="pickle|could not"):
        comm.bcast(Unpicklable() if me == bad else None, root=bad)
    with pytest.raises(fmi.UsageError, match="pickle"):
        comm.gather(Unpicklable() if me == bad else me, root=0)
    with pytest.raises(fmi.UsageError, match="pickle"):
        comm.allreduce(Unpicklable() if me == bad else me)
    with pytest.raises(fmi.UsageError):
        comm.scatter([Unpicklable()] * n if me == 0 else None, root=0)
    with pytest.raises(fmi.UsageError, match="sequence of" if me == 0 else "root .* could not"):
        comm.scatter([1] * (n + 1) if me == 0 else None, root=0)
    if n > 1:
        if me == 0:
            with pytest.raises(fmi.UsageError, match="pickle"):
                comm.send(Unpicklable(), 1)
        elif me == 1:
            with pytest.raises(fmi.UsageError, match="peer 0 could not"):
                comm.recv(0)
    # The communicator is still in step on every peer.
    assert comm.allreduce(1) == n


def test_rebroadcast_keeps_memory_bounded(comm):
    """Repeated object broadcasts of a large array: results stay correct
    while earlier ones are still alive (receive memory is never reused
    underneath a live array)."""
    kept = []
    for i in range(4):
        obj = {"i": i, "a": np.full(1 << 17, i, np.float32)} if comm.peer_id == 0 else None
        kept.append(comm.bcast(obj, 0))
    for i, got in enumerate(kept):
        assert got["i"] == i and np.all(got["a"] == i)
