"""fmi: the FaaS Message Interface for Python.

MPI-style message passing for serverless functions, in mpi4py's style::

    import fmi, numpy as np

    comm = fmi.Communicator()            # from the environment fmirun sets
    x = np.full(4, comm.peer_id, np.float32)
    total = np.empty_like(x)
    comm.Allreduce(x, total, fmi.SUM)    # buffers: in place, no copies
    info = comm.bcast({"epoch": 3} if comm.peer_id == 0 else None, root=0)  # any object

Capitalised methods move numpy arrays and other buffer-protocol objects;
lowercase ones move picklable objects. Programs written for the original FMI
(``fmi.types``, ``fmi.func``, ``fmi.hints``, ``fmi.datatypes``, ``fmi.op``) run
unchanged. See docs/python.md.
"""

from . import _fmi
from ._comm import IN_PLACE, Communicator
from .compat import datatypes, func, hints, op, types
from .errors import (
    AuthError,
    ConfigError,
    Error,
    IoError,
    MismatchError,
    PeerLostError,
    ServerError,
    SizeMismatchError,
    TimeoutError,
    UsageError,
)
from .ops import BAND, BOR, BXOR, LAND, LOR, LXOR, MAX, MIN, PROD, SUM, Op

__version__ = _fmi.version


def channels_built():
    """The channels compiled into this build: a list of "direct", "redis", "s3"."""
    return list(_fmi.channels_built())


__all__ = [
    "Communicator",
    "IN_PLACE",
    "Op",
    "SUM",
    "PROD",
    "MIN",
    "MAX",
    "LAND",
    "LOR",
    "LXOR",
    "BAND",
    "BOR",
    "BXOR",
    "Error",
    "ConfigError",
    "UsageError",
    "SizeMismatchError",
    "MismatchError",
    "TimeoutError",
    "IoError",
    "PeerLostError",
    "ServerError",
    "AuthError",
    "channels_built",
    # the original FMI's names
    "types",
    "datatypes",
    "func",
    "op",
    "hints",
]
