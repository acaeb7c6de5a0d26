"""The exceptions fmi raises: one hierarchy mirroring the C++ one (docs/errors.md).

Every class derives from :class:`Error`. Where Python has a matching builtin
the class derives from it too, so idiomatic handlers work: ``fmi.TimeoutError``
is a builtin ``TimeoutError``, ``fmi.IoError`` an ``OSError``,
``fmi.PeerLostError`` a ``ConnectionError`` and ``fmi.UsageError`` a
``ValueError``.

What a failure does to the communicator: a :class:`UsageError` is local
(nothing was sent; the communicator stays usable). Any other error aborts every
channel of the communicator, so partners blocked on this peer fail fast with
:class:`PeerLostError`; later operations raise :class:`IoError` repeating the
first failure. An exception raised by a Python reduction function propagates
unchanged and, like a communication error, leaves the communicator unusable
(its partners were waiting for the result).
"""

import builtins

__all__ = [
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
]


class Error(RuntimeError):
    """Root of every exception fmi raises."""


class ConfigError(Error):
    """A configuration file, field or ``FMI_*`` environment variable is missing or invalid.

    Attributes:
        field: dotted path of the offending field (``"redis.port"``) or the
            variable name (``"FMI_NUM_PEERS"``).
    """

    field: str = ""


class UsageError(Error, ValueError):
    """The API was used wrongly on this peer: a peer id or root outside
    ``[0, n)``, buffers whose sizes or types disagree locally, a bitwise op on
    a floating type, a non-contiguous or read-only receive buffer, an
    operation on a finalized communicator. Local: the communicator stays usable.
    """


class SizeMismatchError(Error):
    """Two peers disagree on the size of a message; never truncated, never padded.

    Attributes:
        peer: the partner whose message had the wrong size.
        expected_bytes: the size this peer expected.
        actual_bytes: the size the partner sent.
    """

    peer: int = -1
    expected_bytes: int = 0
    actual_bytes: int = 0


class MismatchError(Error):
    """Peers called different operations at the same point of their sequence."""


class TimeoutError(Error, builtins.TimeoutError):
    """An operation or the connection set-up passed its deadline.

    Attributes:
        elapsed: seconds waited.
        allowed: the deadline in seconds.
    """

    elapsed: float = 0.0
    allowed: float = 0.0


class IoError(Error, OSError):
    """A socket or server failed, or the communicator is unusable after an earlier error."""


class PeerLostError(IoError, ConnectionError):
    """A partner's connection closed or was reset in the middle of the job.

    Attributes:
        peer: the peer that went away.
    """

    peer: int = -1


class ServerError(IoError):
    """The rendezvous server, Redis or S3 answered with an error."""


class AuthError(ServerError):
    """A server refused the credentials (Redis password, S3 signature, rendezvous secret)."""
