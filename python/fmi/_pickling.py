"""How object mode puts Python objects on the wire: pickle protocol 5 with
out-of-band buffers, so a numpy array inside an object is sent straight from
its own memory and received straight into the memory the new array uses.

Two layouts, one per kind of operation:

* Streamed (send/recv, bcast): a fixed-size first message of ``FIRST_BLOCK``
  bytes carries the length of the metadata (pickle stream plus buffer
  lengths) and, when it fits, the metadata itself; then the metadata if it did
  not fit; then one message per out-of-band buffer. A small object costs one
  message; a dict holding a large array costs two, and the array bytes are
  copied by nobody.

      first block: u64 meta_len | meta (if 8 + meta_len <= FIRST_BLOCK) | padding
      meta:        u64 header_len | u64 nbuffers | u64 length * nbuffers | pickle stream

* Packed (gather, scatter, allgather and the object reductions, whose C++
  collectives move equal-sized blocks): each object becomes one block
  ``u64 block_len | meta | buffers``, buffers 16-byte aligned; blocks are
  padded to the largest one. Each buffer is copied once, into the block.

A peer that cannot pickle its object still takes part, sending a failure
marker, so its partners raise instead of waiting for data that never comes.
"""

import pickle
import struct

import numpy as np

FIRST_BLOCK = 1024
FAILED = 0xFFFFFFFFFFFFFFFF
# Buffers smaller than this travel inside the pickle stream: one more copy of
# a few KiB is cheaper than one more message.
INLINE_BUFFER_LIMIT = 64 * 1024
ALIGN = 16

_U64 = struct.Struct("<Q")
_META_HEAD = struct.Struct("<QQ")


class RemoteFailure(Exception):
    """A partner could not serialise its object; carries its message."""


def _align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


class Encoded:
    """One object pickled with protocol 5: metadata bytes plus raw buffers."""

    __slots__ = ("meta", "buffers")

    def __init__(self, obj):
        out_of_band = []

        def keep_large_out_of_band(buffer):
            # A true return value means "serialise in-band" (pickle's rule).
            raw = buffer.raw()
            if raw.nbytes < INLINE_BUFFER_LIMIT:
                return True
            out_of_band.append(raw)
            return False

        header = pickle.dumps(obj, protocol=5, buffer_callback=keep_large_out_of_band)
        lengths = [b.nbytes for b in out_of_band]
        self.meta = b"".join([_META_HEAD.pack(len(header), len(lengths)),
                              struct.pack(f"<{len(lengths)}Q", *lengths), header])
        self.buffers = out_of_band

    # ---- streamed layout ------------------------------------------------
    def first_block(self):
        block = bytearray(FIRST_BLOCK)
        _U64.pack_into(block, 0, len(self.meta))
        if self.meta_inline:
            block[8:8 + len(self.meta)] = self.meta
        return block

    @property
    def meta_inline(self):
        return 8 + len(self.meta) <= FIRST_BLOCK

    # ---- packed layout --------------------------------------------------
    def packed_size(self):
        size = _align(8 + len(self.meta))
        for b in self.buffers:
            size += _align(b.nbytes)
        return size

    def pack_into(self, block):
        """Writes the packed layout into ``block`` (a writable uint8 array of
        at least packed_size() bytes)."""
        _U64.pack_into(block, 0, self.packed_size())
        end = 8 + len(self.meta)
        block[8:end] = np.frombuffer(self.meta, np.uint8)
        offset = _align(end)
        for b in self.buffers:
            block[offset:offset + b.nbytes] = np.frombuffer(b, np.uint8)
            offset += _align(b.nbytes)


def failure_block(message):
    """A first block (streamed layout) telling partners that pickling failed."""
    block = bytearray(FIRST_BLOCK)
    _U64.pack_into(block, 0, FAILED)
    text = message.encode("utf-8", "replace")[:FIRST_BLOCK - 16]
    _U64.pack_into(block, 8, len(text))
    block[16:16 + len(text)] = text
    return block


def parse_first_block(block):
    """Returns (meta_len, meta or None if it follows separately); raises
    RemoteFailure for a failure block."""
    (meta_len,) = _U64.unpack_from(block, 0)
    if meta_len == FAILED:
        (n,) = _U64.unpack_from(block, 8)
        raise RemoteFailure(bytes(block[16:16 + n]).decode("utf-8", "replace"))
    if 8 + meta_len <= FIRST_BLOCK:
        return meta_len, memoryview(block)[8:8 + meta_len]
    return meta_len, None


def parse_meta(meta):
    """Returns (pickle stream, buffer lengths) of a metadata block."""
    meta = memoryview(meta)
    header_len, count = _META_HEAD.unpack_from(meta, 0)
    lengths = list(struct.unpack_from(f"<{count}Q", meta, _META_HEAD.size))
    start = _META_HEAD.size + 8 * count
    return meta[start:start + header_len], lengths


def decode(header, buffers):
    return pickle.loads(header, buffers=buffers)


def new_buffer(nbytes):
    """Receive memory for an out-of-band buffer; numpy arrays unpickled from
    it use it directly (writable, malloc-aligned)."""
    return np.empty(nbytes, np.uint8)


def unpack(block):
    """The object of one packed block (a uint8 array); its buffers are views
    of ``block`` (no copy)."""
    view = memoryview(block)
    header, lengths = parse_meta(view[8:])
    offset = _align(8 + _META_HEAD.size + 8 * len(lengths) + len(header))
    buffers = []
    for n in lengths:
        buffers.append(block[offset:offset + n])
        offset += _align(n)
    return decode(header, buffers)
