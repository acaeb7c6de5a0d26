"""Buffer mode (Send, Recv, Bcast, Gather, Scatter, Allgather): arrays of
every numpy dtype and several shapes move bit-exactly, in place."""

import array

import numpy as np
import pytest

import fmi
from helpers import ALL_DTYPES, ROOTS, SHAPES, dtype_id, pattern, root_of, same_bytes

dtypes = pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
shapes = pytest.mark.parametrize("shape", SHAPES, ids=str)
roots = pytest.mark.parametrize("root_choice", ROOTS)


def ring_exchange(comm, send, recv):
    """Every peer sends to its successor and receives from its predecessor;
    even peers send first, so nothing waits on a full socket forever."""
    n, me = comm.num_peers, comm.peer_id
    succ, pred = (me + 1) % n, (me - 1) % n
    if me % 2 == 0:
        comm.Send(send, succ)
        comm.Recv(recv, pred)
    else:
        comm.Recv(recv, pred)
        comm.Send(send, succ)


@dtypes
@shapes
def test_send_recv_ring(comm, dtype, shape):
    n, me = comm.num_peers, comm.peer_id
    if n == 1:
        pytest.skip("needs a partner")
    out = np.zeros(shape, dtype)
    ring_exchange(comm, pattern(dtype, shape, me), out)
    assert same_bytes(out, pattern(dtype, shape, (me - 1) % n))


@dtypes
@shapes
@roots
def test_bcast(comm, dtype, shape, root_choice):
    root = root_of(root_choice, comm.num_peers)
    buf = pattern(dtype, shape, 7) if comm.peer_id == root else np.zeros(shape, dtype)
    comm.Bcast(buf, root)
    assert same_bytes(buf, pattern(dtype, shape, 7))


@dtypes
@pytest.mark.parametrize("shape", [(0,), (3,), (2, 3)], ids=str)
@roots
def test_gather(comm, dtype, shape, root_choice):
    n, me = comm.num_peers, comm.peer_id
    root = root_of(root_choice, n)
    out = np.zeros((n,) + shape, dtype) if me == root else None
    comm.Gather(pattern(dtype, shape, me), out, root)
    if me == root:
        for p in range(n):
            assert same_bytes(out[p], pattern(dtype, shape, p))


@dtypes
@pytest.mark.parametrize("shape", [(0,), (3,), (2, 3)], ids=str)
@roots
def test_scatter(comm, dtype, shape, root_choice):
    n, me = comm.num_peers, comm.peer_id
    root = root_of(root_choice, n)
    whole = None
    if me == root:
        whole = np.zeros((n,) + shape, dtype)  # np.stack would convert the byte order
        for p in range(n):
            whole[p] = pattern(dtype, shape, p)
    mine = np.zeros(shape, dtype)
    comm.Scatter(whole, mine, root)
    assert same_bytes(mine, pattern(dtype, shape, me))


@dtypes
@pytest.mark.parametrize("shape", [(0,), (4,), (2, 3)], ids=str)
def test_allgather(comm, dtype, shape):
    n, me = comm.num_peers, comm.peer_id
    out = np.zeros((n,) + shape, dtype)
    comm.Allgather(pattern(dtype, shape, me), out)
    for p in range(n):
        assert same_bytes(out[p], pattern(dtype, shape, p))


def test_multi_chunk_messages(comm):
    """Several MiB with an odd size: crosses every segment/chunk boundary."""
    n, me = comm.num_peers, comm.peer_id
    size = (3 << 20) + 5
    buf = pattern(np.uint8, (size,), 11) if me == n - 1 else np.zeros(size, np.uint8)
    comm.Bcast(buf, n - 1)
    assert same_bytes(buf, pattern(np.uint8, (size,), 11))
    out = np.zeros((n, 1 << 18), np.float64) if me == 0 else None
    comm.Gather(pattern(np.float64, (1 << 18,), me), out, 0)
    if me == 0:
        assert all(same_bytes(out[p], pattern(np.float64, (1 << 18,), p)) for p in range(n))


# ---- layouts: non-contiguous and Fortran-ordered arrays ------------------

def test_noncontiguous_send_is_copied(comm):
    """A non-contiguous send buffer is copied to contiguous memory first."""
    root = comm.num_peers - 1
    base = np.arange(40, dtype=np.int64).reshape(5, 8)
    view = base[::2, 1::3]
    assert not view.flags.c_contiguous and not view.flags.f_contiguous
    out = np.zeros(view.shape, np.int64)
    comm.Bcast(view if comm.peer_id == root else out, root)
    if comm.peer_id != root:
        assert np.array_equal(out, view)
    comm.Allgather(view, np.zeros((comm.num_peers,) + view.shape, np.int64))


def test_noncontiguous_receive_is_rejected_and_comm_stays_usable(comm):
    n, me = comm.num_peers, comm.peer_id
    strided = np.zeros((4, 6), np.float64)[:, ::2]
    with pytest.raises(fmi.UsageError, match="not contiguous"):
        comm.Bcast(strided, 0) if me != 0 else comm.Allreduce(np.zeros(strided.shape), strided)
    # Nothing was sent: the next operation works on every peer.
    ok = np.zeros(3, np.float64)
    comm.Allreduce(np.full(3, me, np.float64), ok)
    assert np.array_equal(ok, np.full(3, n * (n - 1) / 2))


def test_fortran_order_moves_as_raw_memory(comm):
    """Contiguous buffers move as raw memory in their own order."""
    root = 0
    f = np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4))
    out = np.asfortranarray(np.zeros((3, 4), np.int32))
    comm.Bcast(f if comm.peer_id == root else out, root)
    if comm.peer_id != root:
        assert np.array_equal(out, f)


# ---- other buffer-protocol objects ---------------------------------------

def test_bytearray_array_and_memoryview(comm):
    n, me = comm.num_peers, comm.peer_id
    raw = bytearray(b"hello fmi!") if me == 0 else bytearray(10)
    comm.Bcast(raw, 0)
    assert raw == bytearray(b"hello fmi!")

    doubles = array.array("d", [me + 0.5] * 3)
    total = array.array("d", [0.0] * 3)
    comm.Allreduce(doubles, total, fmi.SUM)
    assert list(total) == [sum(p + 0.5 for p in range(n))] * 3

    backing = bytearray(4 * n)
    comm.Allgather(memoryview(bytes([me] * 4)), memoryview(backing))
    assert backing == bytes(b for p in range(n) for b in [p] * 4)


def test_read_only_buffers(comm):
    """Read-only objects may be sent, never received into."""
    frozen = np.arange(6, dtype=np.int16)
    frozen.setflags(write=False)
    out = np.zeros(6, np.int16)
    comm.Bcast(frozen if comm.peer_id == 0 else out, 0)
    with pytest.raises(fmi.UsageError, match="read-only"):
        comm.Allreduce(frozen, frozen)
    with pytest.raises(fmi.UsageError, match="buffer protocol"):
        comm.Bcast([1, 2, 3], 0)
    if comm.peer_id != 0:
        assert np.array_equal(out, frozen)


# ---- IN_PLACE for the data-movement collectives --------------------------

@roots
def test_gather_scatter_allgather_in_place(comm, root_choice):
    n, me = comm.num_peers, comm.peer_id
    root = root_of(root_choice, n)

    out = np.full((n, 3), -1, np.int32)
    if me == root:
        out[me] = [me, me, me]
        comm.Gather(fmi.IN_PLACE, out, root)
        assert np.array_equal(out, np.repeat(np.arange(n), 3).reshape(n, 3))
    else:
        comm.Gather(np.full(3, me, np.int32), None, root)

    whole = np.arange(2 * n, dtype=np.int64).reshape(n, 2)
    if me == root:
        comm.Scatter(whole, fmi.IN_PLACE, root)
        assert np.array_equal(whole, np.arange(2 * n).reshape(n, 2))  # untouched
    else:
        mine = np.zeros(2, np.int64)
        comm.Scatter(None, mine, root)
        assert np.array_equal(mine, [2 * me, 2 * me + 1])

    everyone = np.zeros((n, 2), np.float32)
    everyone[me] = [me, -me]
    comm.Allgather(fmi.IN_PLACE, everyone)
    assert np.array_equal(everyone, np.stack([[p, -p] for p in range(n)]).astype(np.float32))
