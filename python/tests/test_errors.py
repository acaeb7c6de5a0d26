"""The Python exception hierarchy and the errors the package raises: local
usage errors (communicator stays usable), failures shared by the peers
(size mismatch, operation mismatch, timeout) and configuration errors."""

import builtins

import numpy as np
import pytest

import fmi

# Error tests break their communicator on purpose; a short deadline keeps a
# peer that is not told of the failure from waiting long.
SHORT = {"timeout_ms": 4000}


def test_hierarchy_mirrors_the_cpp_one():
    assert issubclass(fmi.Error, RuntimeError)
    for cls in (fmi.ConfigError, fmi.UsageError, fmi.SizeMismatchError, fmi.MismatchError, fmi.TimeoutError,
                fmi.IoError):
        assert issubclass(cls, fmi.Error)
    assert issubclass(fmi.PeerLostError, fmi.IoError)
    assert issubclass(fmi.ServerError, fmi.IoError)
    assert issubclass(fmi.AuthError, fmi.ServerError)
    # ... and the matching builtins.
    assert issubclass(fmi.TimeoutError, builtins.TimeoutError)
    assert issubclass(fmi.IoError, OSError)
    assert issubclass(fmi.PeerLostError, ConnectionError)
    assert issubclass(fmi.UsageError, ValueError)


def test_usage_errors_are_local(comm):
    n, me = comm.num_peers, comm.peer_id
    buf = np.zeros(4, np.int32)
    with pytest.raises(fmi.UsageError, match="root"):
        comm.Bcast(buf, n)
    with pytest.raises(fmi.UsageError, match="root"):
        comm.bcast("x", root=-1)
    with pytest.raises(fmi.UsageError, match="this peer itself"):
        comm.Send(buf, me)
    with pytest.raises(fmi.UsageError, match="destination"):
        comm.send("x", n + 3)
    with pytest.raises(fmi.UsageError, match="expected"):
        comm.Allgather(buf, np.zeros(4 * n + 1, np.int32))
    if n > 1:
        with pytest.raises(fmi.UsageError, match="IN_PLACE"):
            comm.Reduce(fmi.IN_PLACE, buf, fmi.SUM, root=(me + 1) % n)
    with pytest.raises(fmi.UsageError, match="hint"):
        comm.hint("slow")
    # None of that sent anything:
    assert comm.allreduce(me) == n * (n - 1) // 2


def test_hint(comm):
    original = comm.hint()
    comm.hint(fmi.hints.fast)
    assert comm.hint() is fmi.hints.fast
    comm.hint("cheap")
    assert comm.hint() is fmi.hints.cheap
    comm.hint(original)
    comm.Barrier()


def outcome(fn):
    """Runs fn; returns the name of the exception it raised (or "ok")."""
    try:
        fn()
    except fmi.Error as exc:
        return type(exc).__name__
    return "ok"


def test_size_mismatch(make_comm):
    """Peer 0 sends 8 bytes, peer 1 expects 16: peer 1 raises
    SizeMismatchError naming the peer and both sizes; nobody hangs."""
    broken = make_comm(**SHORT)
    n, me = broken.num_peers, broken.peer_id
    if n == 1:
        pytest.skip("needs a partner")
    if me == 0:
        broken.Send(np.zeros(1, np.float64), 1)
    elif me == 1:
        with pytest.raises(fmi.SizeMismatchError) as info:
            broken.Recv(np.zeros(2, np.float64), 0)
        assert (info.value.peer, info.value.expected_bytes, info.value.actual_bytes) == (0, 16, 8)
        assert "8 bytes" in str(info.value) and "16 bytes" in str(info.value)
    # The failure aborted peer 1's channels: everyone's next collective fails
    # (peer 1 with IoError, its partners with PeerLostError or a timeout).
    assert outcome(broken.Barrier) != "ok"


def test_operation_mismatch(comm, make_comm, channel):
    """Peers that call different collectives get an error, not garbage or a
    hang (over the direct channel a MismatchError naming both operations)."""
    broken = make_comm(**SHORT)
    n, me = broken.num_peers, broken.peer_id
    if n == 1:
        pytest.skip("needs a partner")
    buf = np.zeros(2, np.int64)
    result = outcome(lambda: broken.Bcast(buf, 0) if me == 0 else broken.Allreduce(np.ones(2, np.int64), buf))
    results = comm.allgather(result)  # over the healthy communicator
    assert all(r != "ok" for r in results[1:]), results  # the root's sends may complete
    if channel == "direct":
        assert "MismatchError" in results, results


def test_timeout(comm, make_comm):
    """A receive nobody answers fails with TimeoutError within its deadline.
    The partners keep their end open (waiting on the healthy communicator)
    until it has, so the failure is the deadline, not a closed connection."""
    lonely = make_comm(timeout_ms=1500)
    n, me = lonely.num_peers, lonely.peer_id
    if n == 1:
        pytest.skip("needs a partner")
    if me == 0:
        with pytest.raises(fmi.TimeoutError) as info:
            lonely.Recv(np.zeros(1), 1)
        assert isinstance(info.value, builtins.TimeoutError)
        assert info.value.allowed == pytest.approx(1.5)
        assert 1.0 <= info.value.elapsed < 30.0  # generous bound: it does end
    comm.Barrier()


def test_finalized_communicator(make_comm):
    done = make_comm()
    done.Barrier()
    done.finalize()
    done.finalize()  # idempotent
    with pytest.raises(fmi.UsageError, match="finalized"):
        done.Barrier()


def test_context_manager_finalizes(make_comm):
    with make_comm() as c:
        assert c.allreduce(1) == c.num_peers
    with pytest.raises(fmi.UsageError, match="finalized"):
        c.allreduce(1)


def test_config_errors_name_the_field():
    with pytest.raises(fmi.ConfigError) as info:
        fmi.Communicator(0, 1, {"redis": {"port": "not a port"}}, "config-error-test")
    assert "redis.port" in info.value.field
    with pytest.raises(fmi.ConfigError, match="nonsense"):
        fmi.Communicator(0, 1, {"nonsense": True}, "config-error-test")
    with pytest.raises(fmi.ConfigError):
        fmi.Communicator(0, 1, "/nonexistent/fmi.json", "config-error-test")
    with pytest.raises(fmi.UsageError, match="config"):
        fmi.Communicator(0, 1, 42, "config-error-test")


def test_missing_environment_is_a_config_error(monkeypatch):
    monkeypatch.delenv("FMI_PEER_ID", raising=False)
    with pytest.raises(fmi.ConfigError) as info:
        fmi.Communicator(num_peers=1)
    assert info.value.field == "FMI_PEER_ID"
    monkeypatch.setenv("FMI_PEER_ID", "zero")
    with pytest.raises(fmi.ConfigError, match="not an integer"):
        fmi.Communicator(num_peers=1)


def test_invalid_ids_are_usage_errors():
    with pytest.raises(fmi.UsageError, match="peer id"):
        fmi.Communicator(3, 2, {}, "bad-ids")
