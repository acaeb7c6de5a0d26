"""Deterministic test data shared by the Python tests."""

import numpy as np

# Every kind of numpy element type: bool, signed and unsigned integers of each
# size, every float and complex size, dates and durations, bytes and unicode
# strings, raw void, a structured type and non-native byte order.
ALL_DTYPES = [
    np.dtype(np.bool_),
    np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64),
    np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64),
    np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.longdouble),
    np.dtype(np.complex64), np.dtype(np.complex128), np.dtype(np.clongdouble),
    np.dtype("M8[s]"), np.dtype("m8[ms]"),
    np.dtype("S5"), np.dtype("U3"), np.dtype("V4"),
    np.dtype([("a", "<i4"), ("b", "<f8")]),
    np.dtype(">i4"), np.dtype(">f8"),
]

# The numeric ones, for reductions.
NUMERIC_DTYPES = [d for d in ALL_DTYPES if d.kind in "biufc" and d.names is None]

SHAPES = [(0,), (1,), (7,), (3, 5), (2, 3, 4)]


def dtype_id(dtype):
    return dtype.str if dtype.names is None else "struct"


def pattern(dtype, shape, seed):
    """An array of `dtype` and `shape` whose bytes depend on `seed` (any
    dtype: built from raw bytes; compare with same_bytes)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = ((np.arange(nbytes, dtype=np.int64) * 31 + seed * 17 + 5) % 251).astype(np.uint8)
    return raw.view(dtype).reshape(shape) if nbytes else np.zeros(shape, dtype)


def same_bytes(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def root_of(choice, n):
    """Roots to test at world size n: the first, the last, the middle peer."""
    return {"first": 0, "last": n - 1, "middle": n // 2}[choice]


ROOTS = ["first", "last", "middle"]


def values(dtype, shape, peer):
    """Small integer-valued data of `dtype` for peer `peer`: sums, products,
    minima and maxima of it are exact in every numeric type."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    base = (np.arange(count) % 5 + peer + 1)
    if dtype.kind == "b":
        return ((np.arange(count) + peer) % 3 == 0).reshape(shape)
    if dtype.kind == "c":
        return (base + 1j * ((np.arange(count) + peer) % 3)).astype(dtype).reshape(shape)
    return base.astype(dtype).reshape(shape)


def small_values(dtype, shape, peer):
    """Values 1 or 2 (products stay small at 7 peers in every type)."""
    count = int(np.prod(shape, dtype=np.int64))
    return ((np.arange(count) + peer) % 2 + 1).astype(dtype).reshape(shape)
