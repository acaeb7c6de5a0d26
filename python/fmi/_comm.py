"""fmi.Communicator: the mpi4py-style API over the C++ core.

Capitalised methods (``Send``, ``Allreduce``, ...) move buffer-protocol
objects — numpy arrays, bytearray, memoryview, array.array — in place, without
copies. Lowercase methods (``send``, ``allreduce``, ...) move any picklable
object (pickle protocol 5, arrays inside objects travel out of band). Given the
original FMI's ``fmi.types(...)`` descriptor as their last argument, the
lowercase methods behave as the original's did (see fmi.compat).
"""

import json
import os

import numpy as np

from . import _fmi
from . import _pickling
from . import compat as _compat
from .errors import ConfigError, UsageError
from .ops import MAX, SUM, Op, as_op

__all__ = ["Communicator", "IN_PLACE"]


class _InPlace:
    """The ``fmi.IN_PLACE`` marker: the receive buffer also holds this peer's input."""

    __slots__ = ()

    def __repr__(self):
        return "fmi.IN_PLACE"

    def __reduce__(self):
        return "IN_PLACE"


IN_PLACE = _InPlace()


# ---- buffers -----------------------------------------------------------------

_EXPORTS_FORMAT = {}


def _exportable(buf):
    """``buf`` as the buffer protocol can export it. numpy cannot export some
    element types (datetime64, timedelta64 and structures holding them); those
    arrays move as raw void elements of the same size (a view, no copy).
    Arrays holding Python objects are refused: their memory is pointers."""
    if not isinstance(buf, np.ndarray):
        return buf
    dtype = buf.dtype
    if dtype.hasobject:
        raise UsageError(f"dtype {dtype} holds Python object references, which cannot be sent as memory; "
                         f"use the lowercase (pickle-based) methods")
    exports = _EXPORTS_FORMAT.get(dtype)
    if exports is None:
        try:
            memoryview(np.empty(1, dtype)).release()
            exports = True
        except (ValueError, TypeError, BufferError):
            exports = False
        _EXPORTS_FORMAT[dtype] = exports
    return buf if exports else buf.view(np.dtype((np.void, dtype.itemsize)))


def _contiguous(buf):
    """A buffer that is only read, as contiguous memory: a non-contiguous
    numpy array or memoryview is copied into a contiguous array (documented
    cost); anything else is passed through and checked by the C++ layer."""
    if isinstance(buf, np.ndarray):
        if buf.flags.c_contiguous or buf.flags.f_contiguous or buf.dtype.hasobject:
            return buf
        return np.ascontiguousarray(buf)
    if isinstance(buf, memoryview) and not buf.contiguous:
        return np.ascontiguousarray(buf)
    return buf


def _send_side(buf):
    """A buffer that is only read, ready for the C++ layer."""
    return _exportable(_contiguous(buf))


def _recv_side(buf):
    """A buffer that is written, ready for the C++ layer (never copied: a
    non-contiguous one is refused there)."""
    return _exportable(buf)


def _as_array(buf, operation, role):
    """A numpy view (never a copy) of a buffer-protocol object, for the
    reductions, which need the element type."""
    if isinstance(buf, np.ndarray):
        return buf
    try:
        memoryview(buf).release()
    except TypeError:
        raise UsageError(f"{operation}: {role} must support the buffer protocol (numpy array, bytearray, "
                         f"memoryview, array.array), got {type(buf).__name__}; use the lowercase methods "
                         f"for arbitrary Python objects") from None
    return np.asarray(buf)


def _check_same_dtype(operation, send, recv):
    if recv is not None and recv.dtype != send.dtype:
        raise UsageError(f"{operation}: sendbuf has dtype {send.dtype} but recvbuf has dtype {recv.dtype}; "
                         f"reductions need the same element type on both")


def _reduction_operands(operation, sendbuf, recvbuf, op):
    """(sendbuf, recvbuf, ReduceFn) of a reduction, ready for the C++ layer:
    the element type comes from sendbuf (recvbuf for IN_PLACE), and both
    must have the same one. recvbuf None: ignored on this peer."""
    op = as_op(op, operation)
    recv = None if recvbuf is None else _as_array(recvbuf, operation, "recvbuf")
    if sendbuf is IN_PLACE:
        if recv is None:
            raise UsageError(f"{operation}: IN_PLACE needs a recvbuf")
        send = recv
    else:
        send = _contiguous(_as_array(sendbuf, operation, "sendbuf"))
        _check_same_dtype(operation, send, recv)
    fn = op.reduce_fn(send.dtype, operation)
    return _exportable(send), None if recv is None else _exportable(recv), fn


def _slot_copy(buf, num_peers, index, operation, role):
    """A copy of block `index` of `num_peers` equal blocks of `buf`'s bytes
    (this peer's block, for IN_PLACE)."""
    try:
        raw = memoryview(_exportable(buf)).cast("B")
    except TypeError as exc:
        raise UsageError(f"{operation}: with IN_PLACE, {role} must be a C-contiguous buffer ({exc})") from None
    if raw.nbytes % num_peers != 0:
        raise UsageError(f"{operation}: {role} has {raw.nbytes} bytes, not a multiple of the {num_peers} peers")
    width = raw.nbytes // num_peers
    return bytearray(raw[index * width:(index + 1) * width])


# ---- the environment ---------------------------------------------------------

def _env_int(name):
    text = os.environ.get(name)
    if text is None:
        error = ConfigError(f"configuration: {name}: not set (fmirun sets it; or pass it to fmi.Communicator)")
        error.field = name
        raise error
    try:
        return int(text)
    except ValueError:
        error = ConfigError(f"configuration: {name}: '{text}' is not an integer")
        error.field = name
        raise error from None


def _hint_name(hint):
    if isinstance(hint, _compat.hints):
        return hint.value
    if isinstance(hint, str):
        return hint
    raise UsageError(f"hint: expected fmi.hints.fast, fmi.hints.cheap, 'fast' or 'cheap', got {hint!r}")


class Communicator:
    """N peers exchanging data with point-to-point and collective operations.

    ``fmi.Communicator()`` takes everything from the environment that
    ``fmirun`` (or your FaaS launcher) sets: ``FMI_PEER_ID``,
    ``FMI_NUM_PEERS``, ``FMI_COMM`` (the name) and ``FMI_CONFIG`` (a config
    file). Any argument given overrides the environment.

    Args:
        peer_id: this peer, in ``[0, num_peers)``.
        num_peers: the number of peers.
        config: a configuration file path (ours or the original FMI's JSON,
            see docs/configuration.md) or a dict in our format. ``FMI_*``
            variables override it.
        name: the communicator's name; communicators with different names
            never interfere. Default ``FMI_COMM``, else ``"fmi"``.
        faas_memory: memory of each function in MiB (for the cost model).

    The positional order is the original FMI's
    ``Communicator(peer_id, num_peers, config_path, comm_name, faas_memory)``.
    Creating a communicator blocks until its channels are connected.

    Operations on one communicator are serialised (a mutex); the GIL is
    released while an operation runs, so other Python threads keep running.
    Use it as a context manager, or call :meth:`finalize`, to remove what it
    left in Redis or S3 promptly.
    """

    def __init__(self, peer_id=None, num_peers=None, config=None, name=None, faas_memory=None):
        if peer_id is None and num_peers is None and config is None and name is None and faas_memory is None:
            self._core = _fmi.Communicator.from_environment()
            return
        peer_id = _env_int("FMI_PEER_ID") if peer_id is None else peer_id
        num_peers = _env_int("FMI_NUM_PEERS") if num_peers is None else num_peers
        if name is None:
            name = os.environ.get("FMI_COMM", "fmi")
        config_path = config_json = None
        if config is None:
            config_path = os.environ.get("FMI_CONFIG") or None
        elif isinstance(config, dict):
            config_json = json.dumps(config)
        elif isinstance(config, (str, os.PathLike)):
            config_path = os.fspath(config)
        else:
            raise UsageError(f"Communicator: config must be a file path or a dict, got {type(config).__name__}")
        self._core = _fmi.Communicator(int(peer_id), int(num_peers), str(name), config_path, config_json,
                                       None if faas_memory is None else int(faas_memory))

    # ---- identity -------------------------------------------------------
    @property
    def peer_id(self):
        """This peer's id, in ``[0, num_peers)``."""
        return self._core.peer_id

    @property
    def num_peers(self):
        """The number of peers."""
        return self._core.num_peers

    rank = peer_id
    size = num_peers

    def Get_rank(self):
        """mpi4py spelling of :attr:`peer_id`."""
        return self._core.peer_id

    def Get_size(self):
        """mpi4py spelling of :attr:`num_peers`."""
        return self._core.num_peers

    @property
    def name(self):
        """The communicator's name."""
        return self._core.name

    @property
    def timeout(self):
        """The deadline of every operation, in seconds."""
        return self._core.timeout

    def __repr__(self):
        return f"fmi.Communicator(peer_id={self.peer_id}, num_peers={self.num_peers}, name={self.name!r})"

    def hint(self, hint=None):
        """Sets the channel-selection objective (``fmi.hints.fast`` or
        ``fmi.hints.cheap``, or the strings) for the following operations;
        without an argument, returns the current one."""
        if hint is None:
            return _compat.hints(self._core.hint)
        self._core.hint = _hint_name(hint)
        return None

    def statistics(self):
        """Per (channel, operation) counters of this peer: a list of dicts
        with channel, operation, count, bytes, seconds, requests (this
        peer's store requests: S3 requests, Redis commands) and the model's
        predicted_seconds, predicted_requests (all peers) and
        predicted_dollars."""
        return self._core.statistics()

    def budget(self, max_seconds=None, max_dollars=None):
        """Limits the quantity the hint does not minimise: with hint fast,
        the fastest channel within ``max_dollars`` per operation; with hint
        cheap, the cheapest within ``max_seconds`` (0 or None: no limit).
        Without arguments, returns the current budget as a dict."""
        if max_seconds is None and max_dollars is None:
            return self._core.budget()
        self._core.set_budget(float(max_seconds or 0.0), float(max_dollars or 0.0))
        return None

    def pin(self, channel, operation=None):
        """Pins ``channel`` ('direct', 'redis', 's3'; None unpins) for one
        operation ('allreduce', ...) or, without ``operation``, for all."""
        self._core.pin(channel, operation)

    def pin_algorithm(self, algorithm, operation):
        """Pins the algorithm of ``operation`` ('allreduce', ...) by the name
        explain() reports ('ring', 'exchange', ...; None: each channel's
        automatic choice again). Only the channels that run it are
        candidates. Reductions that are not commutative and associative keep
        their ordered algorithm on the direct channel whatever the pin. A
        name no enabled channel runs for the operation raises UsageError.
        Every peer must pin alike."""
        self._core.pin_algorithm(algorithm, operation)

    def explain(self, operation, nbytes):
        """How the channel of ``operation`` on ``nbytes`` bytes per peer is
        chosen: a dict with the chosen channel, the reason, the pinned
        algorithm (None if none), every candidate's algorithm, predicted time
        (s) and price (USD), and the channels left out by the pinned
        algorithm ("excluded": channel and reason)."""
        return self._core.explain(operation, int(nbytes))

    def summary(self):
        """A table per channel and operation: count, measured time, bytes,
        requests and predicted cost."""
        return self._core.summary()

    def finalize(self):
        """Releases the channels and removes what the communicator left in
        Redis or S3. Idempotent; later operations raise UsageError."""
        self._core.finalize()

    Free = finalize

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.finalize()
        return False

    # ---- buffer mode: point to point ------------------------------------
    def Send(self, buf, dest):
        """Sends the bytes of ``buf`` to peer ``dest``."""
        self._core.send(_send_side(buf), dest)

    def Recv(self, buf, source):
        """Receives into ``buf`` (writable, contiguous) from peer ``source``;
        the message must have exactly ``buf``'s size."""
        self._core.recv(_recv_side(buf), source)

    # ---- buffer mode: collectives ---------------------------------------
    def Bcast(self, buf, root=0):
        """Copies the root's ``buf`` into every peer's ``buf`` (same size everywhere)."""
        self._core.bcast(_send_side(buf) if self._core.peer_id == root else _recv_side(buf), root)

    def Barrier(self):
        """Returns once every peer has entered the barrier."""
        self._core.barrier()

    def Gather(self, sendbuf, recvbuf, root=0):
        """The root's ``recvbuf`` (num_peers times ``sendbuf``'s size)
        receives every peer's ``sendbuf``, in peer order. ``recvbuf`` may be
        None elsewhere. At the root, ``sendbuf=IN_PLACE`` takes the root's
        block from ``recvbuf``."""
        me, n = self._core.peer_id, self._core.num_peers
        if sendbuf is IN_PLACE:
            if me != root:
                raise UsageError("Gather: IN_PLACE is only valid at the root")
            sendbuf = _slot_copy(recvbuf, n, me, "Gather", "recvbuf")
        self._core.gather(_send_side(sendbuf), _recv_side(recvbuf) if me == root else None, root)

    def Scatter(self, sendbuf, recvbuf, root=0):
        """The root's ``sendbuf`` (num_peers times ``recvbuf``'s size) is split
        in peer order into every peer's ``recvbuf``. ``sendbuf`` may be None
        elsewhere. At the root, ``recvbuf=IN_PLACE`` leaves the root's block
        where it is."""
        me, n = self._core.peer_id, self._core.num_peers
        if recvbuf is IN_PLACE:
            if me != root:
                raise UsageError("Scatter: IN_PLACE is only valid at the root")
            recvbuf = _slot_copy(sendbuf, n, me, "Scatter", "sendbuf")
        self._core.scatter(_send_side(sendbuf) if me == root else None, _recv_side(recvbuf), root)

    def Allgather(self, sendbuf, recvbuf):
        """Every peer's ``recvbuf`` (num_peers times ``sendbuf``'s size)
        receives every ``sendbuf`` in peer order; ``sendbuf=IN_PLACE`` takes
        this peer's block from ``recvbuf``."""
        if sendbuf is IN_PLACE:
            sendbuf = _slot_copy(recvbuf, self._core.num_peers, self._core.peer_id, "Allgather", "recvbuf")
        self._core.allgather(_send_side(sendbuf), _recv_side(recvbuf))

    def Reduce(self, sendbuf, recvbuf, op=SUM, root=0):
        """The root's ``recvbuf`` receives ``x0 op x1 op ...`` element-wise
        over every peer's ``sendbuf``; ``recvbuf`` may be None elsewhere. At
        the root, ``sendbuf=IN_PLACE`` reduces ``recvbuf`` in place. The
        caller's ``sendbuf`` is never modified."""
        is_root = self._core.peer_id == root
        if sendbuf is IN_PLACE and not is_root:
            raise UsageError("Reduce: IN_PLACE is only valid at the root")
        send, recv, fn = _reduction_operands("Reduce", sendbuf, recvbuf if is_root else None, op)
        self._core.reduce(send, recv, fn, root)

    def Allreduce(self, sendbuf, recvbuf, op=SUM):
        """Every peer's ``recvbuf`` receives ``x0 op x1 op ...`` element-wise;
        ``sendbuf=IN_PLACE`` reduces ``recvbuf`` in place."""
        send, recv, fn = _reduction_operands("Allreduce", sendbuf, recvbuf, op)
        self._core.allreduce(send, recv, fn)

    def Scan(self, sendbuf, recvbuf, op=SUM):
        """Inclusive prefix reduction: peer i's ``recvbuf`` receives
        ``x0 op ... op xi``; ``sendbuf=IN_PLACE`` works in place."""
        send, recv, fn = _reduction_operands("Scan", sendbuf, recvbuf, op)
        self._core.scan(send, recv, fn)

    # ---- object mode: point to point ------------------------------------
    def send(self, obj, dest, types=None):
        """Sends any picklable object to peer ``dest``."""
        if types is not None:
            return _compat.send(self, obj, dest, types)
        encoded = self._encode_or_notify("send", obj, lambda block: self._core.send(block, dest))
        self._core.send(encoded.first_block(), dest)
        if not encoded.meta_inline:
            self._core.send(encoded.meta, dest)
        for buffer in encoded.buffers:
            self._core.send(buffer, dest)
        return None

    def recv(self, source, types=None):
        """Receives and returns the object peer ``source`` sent."""
        if types is not None:
            return _compat.recv(self, source, types)
        return self._receive_object(lambda buffer: self._core.recv(buffer, source),
                                    "recv", f"peer {source}")

    # ---- object mode: collectives ---------------------------------------
    def barrier(self):
        """Returns once every peer has entered the barrier."""
        self._core.barrier()

    def bcast(self, obj=None, root=0, types=None):
        """Returns the root's ``obj`` on every peer (the root gets ``obj`` itself)."""
        if types is not None:
            return _compat.bcast(self, obj, root, types)
        if self._core.peer_id == root:
            encoded = self._encode_or_notify("bcast", obj, lambda block: self._core.bcast(block, root))
            self._core.bcast(encoded.first_block(), root)
            if not encoded.meta_inline:
                self._core.bcast(encoded.meta, root)
            for buffer in encoded.buffers:
                self._core.bcast(buffer, root)
            return obj
        return self._receive_object(lambda buffer: self._core.bcast(buffer, root),
                                    "bcast", f"the root (peer {root})")

    def gather(self, obj, root=0, types=None):
        """Returns the list of every peer's ``obj`` (in peer order) at the
        root, None elsewhere."""
        if types is not None:
            return _compat.gather(self, obj, root, types)
        block = self._packed_block("gather", obj)
        if self._core.peer_id != root:
            self._core.gather(block, None, root)
            return None
        width = block.nbytes
        out = np.empty(width * self._core.num_peers, np.uint8)
        self._core.gather(block, out, root)
        return [_pickling.unpack(out[i * width:(i + 1) * width]) for i in range(self._core.num_peers)]

    def scatter(self, objs=None, root=0, types=None):
        """The root's sequence of num_peers objects is dealt out in peer
        order; returns this peer's one."""
        if types is not None:
            return _compat.scatter(self, objs, root, types)
        n, me = self._core.num_peers, self._core.peer_id
        width = np.zeros(1, np.uint64)
        encoded, failure = None, None
        if me == root:
            try:
                items = list(objs)
                if len(items) != n:
                    raise UsageError(f"scatter: the root needs a sequence of {n} objects, got {len(items)}")
                encoded = [_pickling.Encoded(item) for item in items]
                width[0] = _pickling._align(max(e.packed_size() for e in encoded))
            except Exception as exc:
                failure, width[0] = exc, _pickling.FAILED
        self._core.bcast(width, root)
        if int(width[0]) == _pickling.FAILED:
            if failure is not None:
                raise UsageError(f"scatter: cannot send the objects: {failure}") from failure
            raise UsageError(f"scatter: the root (peer {root}) could not send its objects (see its error)")
        w = int(width[0])
        send = None
        if me == root:
            send = np.empty(w * n, np.uint8)
            for i, e in enumerate(encoded):
                e.pack_into(send[i * w:(i + 1) * w])
        mine = np.empty(w, np.uint8)
        self._core.scatter(send, mine, root)
        return _pickling.unpack(mine)

    def allgather(self, obj):
        """Returns the list of every peer's ``obj``, in peer order, on every peer."""
        block = self._packed_block("allgather", obj)
        width = block.nbytes
        out = np.empty(width * self._core.num_peers, np.uint8)
        self._core.allgather(block, out)
        return [_pickling.unpack(out[i * width:(i + 1) * width]) for i in range(self._core.num_peers)]

    def reduce(self, obj, op=SUM, root=0, types=None):
        """Returns ``x0 op x1 op ...`` over every peer's ``obj`` at the root
        (folded strictly left to right over peer ids), None elsewhere.

        The original FMI's order ``reduce(value, root, fmi.func(...), types)``
        is accepted too."""
        if isinstance(root, Op) and isinstance(op, (int, np.integer)) and not isinstance(op, bool):
            op, root = root, int(op)  # the original FMI's argument order
        op = as_op(op, "reduce")
        if types is not None:
            return _compat.reduce(self, obj, root, op, types)
        values = self.gather(obj, root)
        return None if values is None else _fold(op, values)

    def allreduce(self, obj, op=SUM, types=None):
        """Returns ``x0 op x1 op ...`` over every peer's ``obj`` on every peer,
        folded strictly left to right over peer ids."""
        op = as_op(op, "allreduce")
        if types is not None:
            return _compat.allreduce(self, obj, op, types)
        return _fold(op, self.allgather(obj))

    def scan(self, obj, op=SUM, types=None):
        """Inclusive prefix reduction: peer i gets ``x0 op ... op xi``."""
        op = as_op(op, "scan")
        if types is not None:
            return _compat.scan(self, obj, op, types)
        values = self.allgather(obj)
        return _fold(op, values[:self._core.peer_id + 1])

    # ---- object mode helpers ---------------------------------------------
    def _encode_or_notify(self, operation, obj, send_first_block):
        """Pickles ``obj``; if that fails, sends a failure block (so the
        partners raise instead of waiting) and raises UsageError."""
        try:
            return _pickling.Encoded(obj)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            send_first_block(_pickling.failure_block(message))
            raise UsageError(f"{operation}: cannot pickle {type(obj).__name__}: {message}") from exc

    def _receive_object(self, receive_into, operation, sender):
        """The receiving side of send and bcast: the first block (which may
        carry the metadata inline or a sender's failure), then the metadata,
        then each out-of-band buffer straight into fresh memory, all through
        ``receive_into(buffer)``."""
        block = bytearray(_pickling.FIRST_BLOCK)
        receive_into(block)
        meta_len, meta = self._parse_first(block, operation, sender)
        if meta is None:
            meta = bytearray(meta_len)
            receive_into(meta)
        header, lengths = _pickling.parse_meta(meta)
        buffers = [_pickling.new_buffer(n) for n in lengths]
        for buffer in buffers:
            receive_into(buffer)
        return _pickling.decode(header, buffers)

    @staticmethod
    def _parse_first(block, operation, sender):
        try:
            return _pickling.parse_first_block(block)
        except _pickling.RemoteFailure as failure:
            raise UsageError(f"{operation}: {sender} could not send its object: {failure}") from None

    def _packed_block(self, operation, obj):
        """This peer's packed block for an equal-block collective: the peers
        agree on the block size (an allreduce of the largest), and a peer
        that cannot pickle makes every peer raise."""
        encoded, failure = None, None
        size = np.zeros(1, np.uint64)
        try:
            encoded = _pickling.Encoded(obj)
            size[0] = _pickling._align(encoded.packed_size())
        except Exception as exc:
            failure, size[0] = exc, _pickling.FAILED
        width = np.zeros(1, np.uint64)
        self.Allreduce(size, width, MAX)
        if int(width[0]) == _pickling.FAILED:
            if failure is not None:
                raise UsageError(f"{operation}: cannot pickle {type(obj).__name__}: {failure}") from failure
            raise UsageError(f"{operation}: a peer could not pickle its object (see its error)")
        block = np.empty(int(width[0]), np.uint8)
        encoded.pack_into(block)
        return block


def _fold(op, values):
    result = values[0]
    for value in values[1:]:
        result = op(result, value)
    return result

