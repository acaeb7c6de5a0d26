"""Reduction operations: the built-ins (``fmi.SUM``, ...) and Python functions.

An :class:`Op` serves both API families:

* buffer mode (``Allreduce``, ``Reduce``, ``Scan``): the op is applied element
  by element to numpy arrays. Built-in ops on native integer, bool and
  floating types run as C++ loops without the GIL; on other element types
  (``float16``, complex, non-native byte order, ``timedelta64``) they run as
  the matching numpy ufunc. A Python function runs under the GIL, either once
  per element (the default: ``f(a, b)`` receives Python scalars) or, with
  ``vectorized=True``, once per chunk on numpy arrays (``f(a, b)`` receives two
  1-D arrays of equal length and returns the element-wise result).
* object mode (``allreduce``, ``reduce``, ``scan``): the op combines whole
  Python objects, ``op(a, b)``.

When an op is not both commutative and associative, fmi evaluates it strictly
left to right over peer ids: ``((x0 op x1) op x2) ...``, the same on every run.
"""

import builtins
import operator

import numpy as np

from . import _fmi
from .errors import UsageError

__all__ = ["Op", "SUM", "PROD", "MIN", "MAX", "LAND", "LOR", "LXOR", "BAND", "BOR", "BXOR"]


def _is_array(x):
    return isinstance(x, (np.ndarray, np.generic))


def _either_array(a, b):
    return _is_array(a) or _is_array(b)


def _obj_min(a, b):
    return np.minimum(a, b) if _either_array(a, b) else builtins.min(a, b)


def _obj_max(a, b):
    return np.maximum(a, b) if _either_array(a, b) else builtins.max(a, b)


def _obj_land(a, b):
    return np.logical_and(a, b) if _either_array(a, b) else (bool(a) and bool(b))


def _obj_lor(a, b):
    return np.logical_or(a, b) if _either_array(a, b) else (bool(a) or bool(b))


def _obj_lxor(a, b):
    return np.logical_xor(a, b) if _either_array(a, b) else (bool(a) != bool(b))


class Op:
    """A reduction operation with its algebraic flags.

    Use the built-ins (``fmi.SUM``, ``fmi.PROD``, ``fmi.MIN``, ``fmi.MAX``,
    ``fmi.LAND``, ``fmi.LOR``, ``fmi.LXOR``, ``fmi.BAND``, ``fmi.BOR``,
    ``fmi.BXOR``) or :meth:`Op.create` for a Python function. An op is
    callable: ``op(a, b)`` combines two objects as object mode does.
    """

    __slots__ = ("name", "commutative", "associative", "vectorized", "_builtin", "_object_fn", "_ufunc",
                 "_function", "_cache")

    def __init__(self, name, commutative, associative, *, builtin=None, object_fn=None, ufunc=None,
                 function=None, vectorized=False):
        self.name = name
        self.commutative = bool(commutative)
        self.associative = bool(associative)
        self.vectorized = bool(vectorized)
        self._builtin = builtin
        self._object_fn = object_fn
        self._ufunc = ufunc
        self._function = function
        self._cache = {}

    @classmethod
    def create(cls, function, commutative=False, associative=False, *, vectorized=False, name=None):
        """Wraps ``function(a, b) -> result`` as a reduction.

        Args:
            function: the binary function. In object mode it combines two
                objects. In buffer mode it is called per element with Python
                scalars, or, if ``vectorized``, per chunk with two read-only
                1-D numpy arrays, returning an array of the same length.
            commutative, associative: the algebraic flags. Unless both are
                true the reduction is evaluated strictly left to right over
                peer ids (the safe default).
            vectorized: see ``function``.
            name: shown in errors and ``repr``; defaults to the function's name.
        """
        if not callable(function):
            raise UsageError(f"Op.create: function must be callable, got {type(function).__name__}")
        label = name or getattr(function, "__name__", "custom")
        return cls(label, commutative, associative, function=function, vectorized=vectorized)

    # mpi4py spelling.
    Create = create

    @property
    def is_builtin(self):
        """True for fmi.SUM and the other built-in ops."""
        return self._builtin is not None

    def __call__(self, a, b):
        """Combines two objects (object mode): ``a op b``."""
        if self._function is not None:
            return self._function(a, b)
        return self._object_fn(a, b)

    def __repr__(self):
        if self.is_builtin:
            return f"fmi.{self.name}"
        return (f"fmi.Op.create({self.name}, commutative={self.commutative}, "
                f"associative={self.associative}, vectorized={self.vectorized})")

    def __reduce__(self):
        # Built-ins pickle by name, so an Op inside an object stays a singleton.
        if self.is_builtin:
            return (_builtin_by_name, (self.name,))
        return (Op.create, (self._function, self.commutative, self.associative),
                {"vectorized": self.vectorized, "name": self.name})

    def __setstate__(self, state):
        for key, value in state.items():
            setattr(self, key, value)

    # ---- buffer mode ----------------------------------------------------
    def reduce_fn(self, dtype, operation="reduction"):
        """The C++ ReduceFn of this op for numpy element type ``dtype`` (cached)."""
        dtype = np.dtype(dtype)
        fn = self._cache.get(dtype)
        if fn is None:
            fn = self._make_reduce_fn(dtype, operation)
            self._cache[dtype] = fn
        return fn

    def _make_reduce_fn(self, dtype, operation):
        if dtype.hasobject:
            raise UsageError(f"{operation}: dtype {dtype} holds Python objects; use the lowercase methods")
        if dtype.itemsize == 0:
            raise UsageError(f"{operation}: dtype {dtype} has no size")
        if self._function is not None:
            return _fmi.python_reduce(self._python_kernel(), dtype, self.commutative, self.associative, self.name)
        if self._builtin.startswith("bit_") and dtype.kind not in "biu":
            raise UsageError(f"{operation}: {self.name} needs an integer or bool element type, got {dtype}")
        if dtype.isnative and dtype.names is None and dtype.subdtype is None and dtype.kind in "biuf":
            fn = _fmi.native_reduce(self._builtin, dtype.kind, dtype.itemsize)
            if fn is not None:
                return fn
        return _fmi.python_reduce(self._ufunc_kernel(dtype, operation), dtype, True, True, self._builtin)

    def _ufunc_kernel(self, dtype, operation):
        ufunc = self._ufunc
        # Try the ufunc once here, so an unsupported element type is a local
        # UsageError before anything is sent, not a failure mid-collective.
        probe = np.zeros(1, dtype)
        try:
            ufunc(probe, probe, out=probe.copy())
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{operation}: {self.name} is not defined for dtype {dtype} ({exc})") from exc

        def kernel(left, right, out):
            ufunc(left, right, out=out)
        return kernel

    def _python_kernel(self):
        function = self._function
        if self.vectorized:
            def kernel(left, right, out):
                result = np.asarray(function(left, right))
                if result.shape != left.shape:
                    raise UsageError(f"reduction {self.name}: a vectorized function must return an array of "
                                     f"shape {left.shape}, got {result.shape}")
                out[...] = result
        else:
            def kernel(left, right, out):
                out[...] = [function(a, b) for a, b in zip(left.tolist(), right.tolist())]
        return kernel


def _builtin(name, cpp_name, object_fn, ufunc):
    return Op(name, True, True, builtin=cpp_name, object_fn=object_fn, ufunc=ufunc)


SUM = _builtin("SUM", "sum", operator.add, np.add)
PROD = _builtin("PROD", "prod", operator.mul, np.multiply)
MIN = _builtin("MIN", "min", _obj_min, np.minimum)
MAX = _builtin("MAX", "max", _obj_max, np.maximum)
LAND = _builtin("LAND", "logical_and", _obj_land, np.logical_and)
LOR = _builtin("LOR", "logical_or", _obj_lor, np.logical_or)
LXOR = _builtin("LXOR", "logical_xor", _obj_lxor, np.logical_xor)
BAND = _builtin("BAND", "bit_and", operator.and_, np.bitwise_and)
BOR = _builtin("BOR", "bit_or", operator.or_, np.bitwise_or)
BXOR = _builtin("BXOR", "bit_xor", operator.xor, np.bitwise_xor)

_BUILTINS = {op.name: op for op in (SUM, PROD, MIN, MAX, LAND, LOR, LXOR, BAND, BOR, BXOR)}


def _builtin_by_name(name):
    return _BUILTINS[name]


def as_op(op, operation):
    """An Op from an Op or a plain callable (taken as Op.create(callable):
    element-wise in buffer mode, strictly ordered)."""
    if isinstance(op, Op):
        return op
    if callable(op):
        return Op.create(op)
    raise UsageError(f"{operation}: op must be an fmi.Op (fmi.SUM, Op.create(f), ...) or a callable, "
                     f"got {type(op).__name__}")
