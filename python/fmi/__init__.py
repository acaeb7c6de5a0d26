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
from . import errors as _errors
from .errors import *  # noqa: F401,F403  (the exception hierarchy: errors.__all__)
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
    *_errors.__all__,
    "channels_built",
    # the original FMI's names
    "types",
    "datatypes",
    "func",
    "op",
    "hints",
]
