"""Reductions in buffer mode (Reduce, Allreduce, Scan): every built-in op on
every numeric dtype against numpy's reference, Python functions (element-wise
and vectorized) and the strict left-to-right order of non-commutative ones."""

import functools

import numpy as np
import pytest

import fmi
from helpers import NUMERIC_DTYPES, ROOTS, dtype_id, root_of, small_values, values

BUILTINS = {
    "SUM": (fmi.SUM, np.add),
    "PROD": (fmi.PROD, np.multiply),
    "MIN": (fmi.MIN, np.minimum),
    "MAX": (fmi.MAX, np.maximum),
    "LAND": (fmi.LAND, np.logical_and),
    "LOR": (fmi.LOR, np.logical_or),
    "LXOR": (fmi.LXOR, np.logical_xor),
    "BAND": (fmi.BAND, np.bitwise_and),
    "BOR": (fmi.BOR, np.bitwise_or),
    "BXOR": (fmi.BXOR, np.bitwise_xor),
}
BITWISE = {"BAND", "BOR", "BXOR"}


def contribution(name, dtype, shape, peer):
    return small_values(dtype, shape, peer) if name == "PROD" else values(dtype, shape, peer)


def reference(name, dtype, shape, peers):
    """numpy's fold of the contributions of `peers`, in the element type."""
    ufunc = BUILTINS[name][1]
    result = contribution(name, dtype, shape, peers[0]).copy()
    for p in peers[1:]:
        result[...] = ufunc(result, contribution(name, dtype, shape, p))
    return result


def applicable(name, dtype):
    return name not in BITWISE or dtype.kind in "biu"


@pytest.mark.parametrize("name", list(BUILTINS))
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES, ids=dtype_id)
def test_allreduce_builtin(comm, name, dtype):
    if not applicable(name, dtype):
        pytest.skip("bitwise ops need integers (tested in test_bitwise_on_floats_is_a_usage_error)")
    n, me = comm.num_peers, comm.peer_id
    shape = (3, 7)
    out = np.zeros(shape, dtype)
    mine = contribution(name, dtype, shape, me)
    before = mine.copy()
    comm.Allreduce(mine, out, BUILTINS[name][0])
    np.testing.assert_array_equal(out, reference(name, dtype, shape, list(range(n))))
    np.testing.assert_array_equal(mine, before)  # the send buffer is never modified


@pytest.mark.parametrize("name", ["SUM", "MAX", "BXOR"])
@pytest.mark.parametrize("dtype", [np.dtype(np.int64), np.dtype(np.float32), np.dtype(np.uint8)], ids=dtype_id)
@pytest.mark.parametrize("root_choice", ROOTS)
def test_reduce_builtin(comm, name, dtype, root_choice):
    if not applicable(name, dtype):
        pytest.skip("integers only")
    n, me = comm.num_peers, comm.peer_id
    root = root_of(root_choice, n)
    shape = (11,)
    out = np.zeros(shape, dtype) if me == root else None
    comm.Reduce(contribution(name, dtype, shape, me), out, BUILTINS[name][0], root)
    if me == root:
        np.testing.assert_array_equal(out, reference(name, dtype, shape, list(range(n))))


@pytest.mark.parametrize("name", ["SUM", "PROD", "MIN", "LOR"])
@pytest.mark.parametrize("dtype", [np.dtype(np.int32), np.dtype(np.float64), np.dtype(np.float16),
                                   np.dtype(np.complex64)], ids=dtype_id)
def test_scan_builtin(comm, name, dtype):
    me = comm.peer_id
    shape = (5,)
    out = np.zeros(shape, dtype)
    comm.Scan(contribution(name, dtype, shape, me), out, BUILTINS[name][0])
    np.testing.assert_array_equal(out, reference(name, dtype, shape, list(range(me + 1))))


@pytest.mark.parametrize("count", [0, 1, 1000, (1 << 20) + 3], ids=["empty", "one", "1000", "multi-chunk"])
def test_allreduce_sizes(comm, count):
    """Zero-length, tiny and multi-chunk (4 MiB + 12 bytes) float32 allreduces."""
    n, me = comm.num_peers, comm.peer_id
    mine = (np.arange(count) % 13 + me).astype(np.float32)
    out = np.full(count, -1, np.float32)
    comm.Allreduce(mine, out)
    np.testing.assert_array_equal(out, (n * (np.arange(count) % 13) + n * (n - 1) / 2).astype(np.float32))


def test_in_place_reductions(comm):
    n, me = comm.num_peers, comm.peer_id
    buf = np.full(4, me + 1, np.int64)
    comm.Allreduce(fmi.IN_PLACE, buf)
    assert np.array_equal(buf, np.full(4, n * (n + 1) // 2))

    buf = np.full(4, me + 1, np.int64)
    comm.Scan(fmi.IN_PLACE, buf, fmi.MAX)
    assert np.array_equal(buf, np.full(4, me + 1))

    root = n - 1
    buf = np.full(3, me + 2, np.float64)
    if me == root:
        comm.Reduce(fmi.IN_PLACE, buf, fmi.PROD, root)
        assert np.array_equal(buf, np.full(3, float(np.prod(np.arange(2, n + 2)))))
    else:
        comm.Reduce(buf, None, fmi.PROD, root)


# ---- Python functions ------------------------------------------------------

K = 10


def ordered_pair(a, b):
    """Non-commutative, non-associative: a*K + b. Folding peers 0..n-1 left
    to right yields the base-K number with digits x0 x1 ... (closed form)."""
    return a * K + b


def digits_value(digits):
    return functools.reduce(lambda acc, d: acc * K + d, digits, 0)


@pytest.mark.parametrize("vectorized", [False, True], ids=["per-element", "vectorized"])
@pytest.mark.parametrize("root_choice", ROOTS)
def test_non_commutative_function_is_strictly_left_to_right(comm, vectorized, root_choice):
    n, me = comm.num_peers, comm.peer_id
    root = root_of(root_choice, n)
    op = fmi.Op.create(ordered_pair, commutative=False, associative=False, vectorized=vectorized)
    # Element i of peer p holds digit (p + i) % 9 + 1 (no zeros: every digit counts).
    count = 6
    mine = ((me + np.arange(count)) % 9 + 1).astype(np.int64)
    digits = [[(p + i) % 9 + 1 for p in range(n)] for i in range(count)]

    out = np.zeros(count, np.int64)
    comm.Allreduce(mine, out, op)
    assert out.tolist() == [digits_value(d) for d in digits]

    out = np.zeros(count, np.int64)
    comm.Scan(mine, out, op)
    assert out.tolist() == [digits_value(d[:me + 1]) for d in digits]

    out = np.zeros(count, np.int64) if me == root else None
    comm.Reduce(mine, out, op, root)
    if me == root:
        assert out.tolist() == [digits_value(d) for d in digits]


def test_function_flags_are_kept(comm):
    both = fmi.Op.create(lambda a, b: a + b, commutative=True, associative=True)
    assert both.commutative and both.associative
    fn = both.reduce_fn(np.int32)
    assert fn.commutative and fn.associative and fn.element_size == 4
    plain = fmi.Op.create(lambda a, b: a + b)
    assert not plain.commutative and not plain.associative
    out = np.zeros(2, np.int32)
    comm.Allreduce(np.array([comm.peer_id, 1], np.int32), out, both)
    n = comm.num_peers
    assert out.tolist() == [n * (n - 1) // 2, n]


MATRIX = np.dtype([("m", np.int64, (2, 2))])


def matmul(a, b):
    out = np.empty_like(a)
    out["m"] = a["m"] @ b["m"]
    return out


def test_matrix_product_over_a_structured_dtype(comm):
    """A 2x2 integer matrix product (non-commutative) with one matrix per
    element: the result is M0 @ M1 @ ... @ M(n-1) in peer order."""
    n, me = comm.num_peers, comm.peer_id
    op = fmi.Op.create(matmul, commutative=False, associative=True, vectorized=True)

    def matrix(p, i):
        return np.array([[1, p + i + 1], [p % 3, 1]], np.int64)

    count = 3
    mine = np.zeros(count, MATRIX)
    for i in range(count):
        mine[i]["m"] = matrix(me, i)
    out = np.zeros(count, MATRIX)
    comm.Allreduce(mine, out, op)
    for i in range(count):
        expected = functools.reduce(np.matmul, [matrix(p, i) for p in range(n)])
        assert np.array_equal(out[i]["m"], expected)


def test_plain_callable_is_an_ordered_op(comm):
    n, me = comm.num_peers, comm.peer_id
    out = np.zeros(1, np.int64)
    comm.Allreduce(np.array([me + 1], np.int64), out, ordered_pair)
    assert out[0] == digits_value([p + 1 for p in range(n)])


# ---- local errors: raised before anything is sent ------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.float16], ids=str)
def test_bitwise_on_floats_is_a_usage_error(comm, dtype):
    with pytest.raises(fmi.UsageError, match="integer"):
        comm.Allreduce(np.zeros(3, dtype), np.zeros(3, dtype), fmi.BXOR)


def test_unsupported_element_types_are_usage_errors(comm):
    with pytest.raises(fmi.UsageError, match="not defined for dtype"):
        comm.Allreduce(np.zeros(2, "M8[s]"), np.zeros(2, "M8[s]"), fmi.SUM)
    with pytest.raises(fmi.UsageError, match="Python objects"):
        comm.Allreduce(np.zeros(2, object), np.zeros(2, object))
    with pytest.raises(fmi.UsageError, match="same element type"):
        comm.Allreduce(np.zeros(2, np.int32), np.zeros(2, np.int64))
    with pytest.raises(fmi.UsageError, match="op must be"):
        comm.Allreduce(np.zeros(2), np.zeros(2), "sum")
    # Still usable:
    out = np.zeros(1, "M8[s]")
    comm.Allreduce(np.array([comm.peer_id], "M8[s]"), out, fmi.MAX)
    assert out[0] == np.datetime64(comm.num_peers - 1, "s")


def test_failing_function_raises_its_exception(make_comm):
    """An exception in a Python reduction propagates unchanged where it was
    raised; the communicator is then broken on every peer, which fails fast
    instead of waiting."""
    comm = make_comm()
    n, me = comm.num_peers, comm.peer_id
    if n == 1:
        pytest.skip("a single peer never combines anything")

    def explode(a, b):
        raise ZeroDivisionError("boom")

    with pytest.raises((ZeroDivisionError, fmi.Error)) as info:
        comm.Allreduce(np.ones(4, np.int32), np.zeros(4, np.int32), fmi.Op.create(explode))
    if isinstance(info.value, ZeroDivisionError):
        assert "boom" in str(info.value)
    with pytest.raises(fmi.Error):
        comm.Barrier()
