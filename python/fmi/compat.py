"""The original FMI's Python names, so programs written for it run unchanged.

The original (spcl/FMI, Boost.Python) moves typed values described by a
``types`` descriptor::

    comm = fmi.Communicator(peer_id, num_peers, "fmi.json", "job", 512)
    comm.hint(fmi.hints.fast)
    comm.send([1, 2], 1, fmi.types(fmi.datatypes.int_list, 2))
    total = comm.allreduce(peer_id, fmi.func(fmi.op.sum), fmi.types(fmi.datatypes.int))
    ordered = comm.allreduce(peer_id, fmi.func(fmi.op.custom, lambda a, b: 3 * a + b, False, False),
                             fmi.types(fmi.datatypes.int))

``fmi.Communicator``'s lowercase methods take that descriptor as their last
argument; given one, they follow the original's semantics and return values:

* ``int`` is a C int (32-bit), ``double`` a C double; ``*_list`` are Python
  lists of them. Results are Python ``int``/``float``/``list``.
* ``recv`` and ``bcast`` return the value on every peer (the root included).
* ``gather`` returns the flat list of all peers' values at the root and ``[]``
  elsewhere; for list types ``num_objects`` is the count per peer.
* ``scatter`` takes the root's whole list, ``num_objects`` being its total
  length, which must divide by the number of peers; it returns this peer's part.
  Scalar types cannot be scattered.
* ``reduce`` returns the result at the root and, elsewhere, the zero of the type
  (``0``, ``0.0``, or a list of zeros) — the original returned the untouched
  receive buffer there.
* ``fmi.func(fmi.op.custom, f, commutative, associative)`` applies ``f`` element
  by element with Python scalars (as the original does for lists) and, unlike
  the original, honours the flags for lists too.

The typed values travel as numpy arrays through the buffer methods, so they
take the same channels and algorithms as ``Allreduce`` and friends.
"""

import enum

import numpy as np

from . import ops as _ops
from .errors import UsageError

__all__ = ["datatypes", "types", "op", "func", "hints"]


class datatypes(enum.Enum):
    """The original's value types."""

    int = 0
    double = 1
    int_list = 2
    double_list = 3


class op(enum.Enum):
    """The original's reduction selectors (see :func:`func`)."""

    sum = 0
    prod = 1
    max = 2
    min = 3
    custom = 4


class hints(enum.Enum):
    """Channel-selection objectives: ``comm.hint(fmi.hints.fast)``."""

    fast = "fast"
    cheap = "cheap"


_DTYPES = {
    datatypes.int: np.dtype(np.int32),
    datatypes.double: np.dtype(np.float64),
    datatypes.int_list: np.dtype(np.int32),
    datatypes.double_list: np.dtype(np.float64),
}


class types:
    """A value descriptor: ``fmi.types(fmi.datatypes.int_list, n)``.

    Args:
        datatype: a member of :class:`datatypes`.
        num_objects: the list length (list types); what it counts depends on
            the operation, as in the original (see the module documentation).
    """

    __slots__ = ("type", "num_objects")

    def __init__(self, datatype, num_objects=None):
        if not isinstance(datatype, datatypes):
            raise UsageError(f"fmi.types: expected a member of fmi.datatypes, got {datatype!r}")
        if num_objects is not None and (not isinstance(num_objects, (int, np.integer)) or num_objects < 0):
            raise UsageError(f"fmi.types: num_objects must be a non-negative int, got {num_objects!r}")
        self.type = datatype
        self.num_objects = None if num_objects is None else int(num_objects)

    def __repr__(self):
        if self.num_objects is None:
            return f"fmi.types(fmi.datatypes.{self.type.name})"
        return f"fmi.types(fmi.datatypes.{self.type.name}, {self.num_objects})"

    @property
    def dtype(self):
        return _DTYPES[self.type]

    @property
    def is_list(self):
        return self.type in (datatypes.int_list, datatypes.double_list)

    def count(self, operation):
        """Elements per value: 1 for scalars, num_objects for lists."""
        if not self.is_list:
            return 1
        if self.num_objects is None:
            raise UsageError(f"{operation}: {self!r} needs num_objects (the list length) for this operation")
        return self.num_objects

    def to_array(self, value, operation):
        """The value as a 1-D array of this type."""
        if value is None:
            raise UsageError(f"{operation}: no value given for {self!r}")
        try:
            if self.is_list:
                return np.ascontiguousarray(np.asarray(value, dtype=self.dtype).reshape(-1))
            return np.array([value], dtype=self.dtype)
        except (TypeError, ValueError, OverflowError) as exc:
            raise UsageError(f"{operation}: cannot convert {type(value).__name__} to {self!r}: {exc}") from exc

    def empty(self, operation, count=None):
        return np.zeros(self.count(operation) if count is None else count, dtype=self.dtype)

    def to_python(self, array):
        if self.is_list:
            return array.tolist()
        return array[0].item()



def func(operation, function=None, commutative=False, associative=False):
    """The original's reduction descriptor, returned as an :class:`fmi.Op`.

    ``fmi.func(fmi.op.sum)`` is ``fmi.SUM`` (likewise prod, max, min);
    ``fmi.func(fmi.op.custom, f, commutative, associative)`` wraps ``f``,
    applied element by element to Python scalars.
    """
    builtin = {op.sum: _ops.SUM, op.prod: _ops.PROD, op.max: _ops.MAX, op.min: _ops.MIN}
    if operation in builtin:
        return builtin[operation]
    if operation is op.custom:
        if function is None:
            raise UsageError("fmi.func(fmi.op.custom, ...) needs a function")
        return _ops.Op.create(function, commutative, associative)
    raise UsageError(f"fmi.func: expected a member of fmi.op, got {operation!r}")


# ---- the typed operations, called by Communicator's lowercase methods ------

def send(comm, value, dest, t):
    comm.Send(t.to_array(value, "send"), dest)


def recv(comm, source, t):
    array = t.empty("recv")
    comm.Recv(array, source)
    return t.to_python(array)


def bcast(comm, value, root, t):
    array = t.to_array(value, "bcast") if comm.peer_id == root else t.empty("bcast")
    comm.Bcast(array, root)
    return t.to_python(array)


def gather(comm, value, root, t):
    mine = t.to_array(value, "gather")
    if comm.peer_id != root:
        comm.Gather(mine, None, root)
        return []
    out = np.zeros(mine.size * comm.num_peers, dtype=t.dtype)
    comm.Gather(mine, out, root)
    return out.tolist()


def scatter(comm, values, root, t):
    if not t.is_list:
        raise UsageError(f"scatter: cannot scatter scalar type {t!r}; use a list type")
    total = t.count("scatter")
    if total % comm.num_peers != 0:
        raise UsageError(f"scatter: list length {total} is not divisible by the number of peers ({comm.num_peers})")
    out = t.empty("scatter", total // comm.num_peers)
    source = t.to_array(values, "scatter") if comm.peer_id == root else None
    comm.Scatter(source, out, root)
    return out.tolist()


def reduce(comm, value, root, function, t):
    mine = t.to_array(value, "reduce")
    if comm.peer_id != root:
        comm.Reduce(mine, None, function, root)
        return t.to_python(np.zeros_like(mine))
    out = np.zeros_like(mine)
    comm.Reduce(mine, out, function, root)
    return t.to_python(out)


def allreduce(comm, value, function, t):
    mine = t.to_array(value, "allreduce")
    out = np.zeros_like(mine)
    comm.Allreduce(mine, out, function)
    return t.to_python(out)


def scan(comm, value, function, t):
    mine = t.to_array(value, "scan")
    out = np.zeros_like(mine)
    comm.Scan(mine, out, function)
    return t.to_python(out)
