"""fmi.faas: run one peer of an fmi job as a serverless function.

A job is N invocations of one function. Whoever fans them out (``fmi.invoke``,
the ``fmi-invoke`` command) sends each invocation an event naming its place in
the job; this module turns that event into a communicator, runs the user's
body, and returns a JSON-serialisable answer, never an exception::

    import fmi.faas

    @fmi.faas.handler
    def handler(comm, params, job):          # the Lambda handler is `module.handler`
        x = np.full(params["n"], comm.peer_id, np.float64)
        comm.Allreduce(fmi.IN_PLACE, x)
        job.mark("first_collective")         # optional timestamps for the invoker
        return float(x[0])                   # any JSON-serialisable value

The event (all fields but ``peer_id`` and ``num_peers`` are optional)::

    {"peer_id": 3, "num_peers": 8,           # this function's place in the job
     "comm": "job-1f2e",                     # the communicator name (unique per job)
     "config": {...} | "path.json",          # channel configuration (docs/configuration.md);
                                             #   absent: FMI_CONFIG / FMI_* of the function
     "timeout_ms": 30000,                    # deadline of every operation
     "connect_timeout_ms": 60000,            # how long to wait for all N functions to connect
     "params": {...},                        # the job's own parameters, passed to the body
     "invoked_at": 1764350000.123}           # the invoker's clock at the Invoke call (timing)

The answer::

    {"ok": true,  "peer_id": 3, "result": ..., "timing": {...}, "memory_mib": 1024}
    {"ok": false, "peer_id": 3, "error": {"type": "ValueError", "message": ..., "traceback": ...,
                                          "fmi_error": false, "phase": "body"}, "timing": {...}}

Why the handler never raises: a Lambda handler that raises is reported as an
unhandled function error (and the local emulator kills its worker and answers
only at the function timeout), so the invoker could not tell *why* a peer
failed. Catching here gives every failure a type, a message and a phase.

Fail fast: when this peer fails, its communicator is finalized at once, which
closes its direct connections and ends its part of the store channels, so its
partners get an error within milliseconds (3 ms over direct, 12 ms over Redis,
tests/faas/measure.py) instead of waiting out their deadlines; they in turn end theirs, and the failure
spreads through the job. Every deadline is also capped by the invocation's
remaining time, so a function always answers before the platform kills it.

Under ``fmirun`` the same body runs with :func:`main` (peer id, count, name
and config from the FMI_* variables fmirun sets), which is how the tests check
that a job gives the same result as functions and as local processes.
"""

import contextlib
import functools
import json
import os
import sys
import time
import traceback

from . import errors as _errors
from ._comm import Communicator

__all__ = ["Job", "JobEventError", "handler", "run", "main", "DEFAULT_TIMEOUT_MS", "DEFAULT_CONNECT_TIMEOUT_MS"]

DEFAULT_TIMEOUT_MS = 60_000
DEFAULT_CONNECT_TIMEOUT_MS = 60_000
# Kept back from the invocation's remaining time, so the handler can still
# tear down and answer after an operation times out.
_ANSWER_MARGIN_MS = 2_000
_MIN_TIMEOUT_MS = 1_000


class JobEventError(_errors.UsageError):
    """The invocation event does not describe a peer of a job (a field is
    missing or has the wrong type); ``field`` names it."""

    def __init__(self, field, message):
        super().__init__(f"invocation event: {field}: {message}")
        self.field = field


class Job:
    """This invocation's place in the job, parsed from the event, plus the
    timestamps the invoker reports (``time.time()`` seconds)."""

    def __init__(self, event, context=None):
        if not isinstance(event, dict):
            raise JobEventError("event", f"must be a JSON object, got {type(event).__name__}")
        self.peer_id = _int_field(event, "peer_id", minimum=0)
        self.num_peers = _int_field(event, "num_peers", minimum=1)
        if self.peer_id >= self.num_peers:
            raise JobEventError("peer_id", f"{self.peer_id} is not below num_peers {self.num_peers}")
        self.comm_name = event.get("comm", event.get("job")) or os.environ.get("FMI_COMM") or "fmi"
        if not isinstance(self.comm_name, str):
            raise JobEventError("comm", f"must be a string, got {type(self.comm_name).__name__}")
        self.config = event.get("config")
        if self.config is not None and not isinstance(self.config, (dict, str)):
            raise JobEventError("config", f"must be an object or a file path, got {type(self.config).__name__}")
        self.params = event.get("params", {})
        remaining_ms = _remaining_ms(context)
        self.timeout_ms = _capped(_int_field(event, "timeout_ms", minimum=1, default=None), remaining_ms,
                                  DEFAULT_TIMEOUT_MS)
        self.connect_timeout_ms = _capped(_int_field(event, "connect_timeout_ms", minimum=1, default=None),
                                          remaining_ms, DEFAULT_CONNECT_TIMEOUT_MS)
        self.invoked_at = event.get("invoked_at")
        self.memory_mib = _memory_mib(context)
        self.timing = {"invoked_at": self.invoked_at, "start": time.time()}

    def mark(self, label):
        """Records the current time under ``label`` (first one wins), e.g.
        ``job.mark("first_collective")`` after the first collective."""
        self.timing.setdefault(label, time.time())

    def communicator(self):
        """A communicator for this peer (blocks until the channels connect).
        The event's deadlines apply through FMI_TIMEOUT_MS and
        FMI_DIRECT_CONNECT_TIMEOUT_MS, which override the configuration file
        or dict field by field, only while it is being created."""
        overrides = {"FMI_TIMEOUT_MS": str(self.timeout_ms),
                     "FMI_DIRECT_CONNECT_TIMEOUT_MS": str(self.connect_timeout_ms)}
        with _environment(overrides):
            return Communicator(self.peer_id, self.num_peers, self.config, self.comm_name, self.memory_mib)


def run(body, event, context=None):
    """Runs ``body(comm, params, job)`` as the peer the event names and returns
    the answer dict (see the module docstring). Never raises."""
    phase = "event"
    job = None
    comm = None
    try:
        job = Job(event, context)
        phase = "connect"
        comm = job.communicator()
        job.mark("connected")
        phase = "body"
        result = body(comm, job.params, job)
        phase = "finalize"
        comm.finalize()
        phase = "result"
        json.dumps(result)  # an unserialisable result is this peer's error, not the platform's
        job.mark("end")
        return {"ok": True, "peer_id": job.peer_id, "result": result, "timing": job.timing,
                "memory_mib": job.memory_mib}
    except BaseException as exc:  # noqa: B902 - every failure becomes an answer (see module docstring)
        if comm is not None:
            _tear_down(comm)
        answer = {"ok": False, "peer_id": getattr(job, "peer_id", _peek_peer(event)),
                  "error": describe_error(exc, phase)}
        if job is not None:
            job.mark("end")
            answer["timing"] = job.timing
            answer["memory_mib"] = job.memory_mib
        return answer


def handler(body):
    """Decorator: turns ``body(comm, params, job)`` into a Lambda handler
    ``handler(event, context)`` (see :func:`run`)."""

    @functools.wraps(body)
    def lambda_handler(event, context=None):
        return run(body, event, context)

    lambda_handler.body = body
    return lambda_handler


def describe_error(exc, phase):
    """A JSON description of an exception: its type, message, traceback, the
    phase it happened in, and for fmi errors their attributes (the lost peer,
    elapsed and allowed seconds, the configuration field)."""
    error = {"type": type(exc).__name__, "message": str(exc) or repr(exc), "phase": phase,
             "fmi_error": isinstance(exc, _errors.Error),
             "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:]}
    for attribute in ("peer", "elapsed", "allowed", "field"):
        value = getattr(exc, attribute, None)
        if isinstance(value, (int, float, str)):
            error[attribute] = value
    return error


def main(body, argv=None):
    """Runs ``body`` as one peer under fmirun: peer id, count, name and config
    from FMI_PEER_ID, FMI_NUM_PEERS, FMI_COMM, FMI_CONFIG; the job parameters
    from ``--params JSON`` (default ``{}``). Prints the answer as one JSON line
    on stdout and returns the exit status (0 when the body succeeded)."""
    argv = sys.argv[1:] if argv is None else argv
    params = {}
    if argv[:1] == ["--params"] and len(argv) == 2:
        params = json.loads(argv[1])
    elif argv:
        print("usage: program [--params JSON]", file=sys.stderr)
        return 2
    event = {"peer_id": _env_int("FMI_PEER_ID"), "num_peers": _env_int("FMI_NUM_PEERS"),
             "comm": os.environ.get("FMI_COMM", "fmi"), "params": params}
    if os.environ.get("FMI_TIMEOUT_MS"):
        event["timeout_ms"] = _env_int("FMI_TIMEOUT_MS")
    answer = run(body, event)
    print(json.dumps(answer), flush=True)
    return 0 if answer["ok"] else 1


# ---- helpers -------------------------------------------------------------------

def _tear_down(comm):
    """Ends a communicator after a failure so its partners notice at once:
    finalize closes the direct connections, which partners see as a lost peer."""
    try:
        comm.finalize()
    except Exception:  # noqa: BLE001 - already failing; the first error is the one reported
        pass


@contextlib.contextmanager
def _environment(overrides):
    """Sets environment variables for the duration of the block and restores
    them after (warm Lambda containers run many invocations in one process)."""
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _int_field(event, field, minimum, default=...):
    value = event.get(field, default)
    if value is ...:
        raise JobEventError(field, "missing")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise JobEventError(field, f"must be an integer, got {value!r}")
    if value < minimum:
        raise JobEventError(field, f"must be at least {minimum}, got {value}")
    return value


def _remaining_ms(context):
    """The invocation's remaining time, None when unknown. serverless-offline
    (IS_OFFLINE=true) hands Python a context whose clock always assumes a 6 s
    function timeout, whatever the function's is: not a usable cap there."""
    if os.environ.get("IS_OFFLINE") == "true":
        return None
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    try:
        return int(remaining()) if remaining is not None else None
    except Exception:  # noqa: BLE001 - a context without a usable clock: no cap
        return None


def _capped(requested, remaining_ms, default):
    """The requested deadline (or the default), capped so that the handler
    still has _ANSWER_MARGIN_MS left to answer when it expires."""
    value = default if requested is None else requested
    if remaining_ms is not None:
        value = min(value, max(_MIN_TIMEOUT_MS, remaining_ms - _ANSWER_MARGIN_MS))
    return value


def _memory_mib(context):
    # The environment first: serverless-offline's context always says 1024.
    value = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or getattr(context, "memory_limit_in_mb", None)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _peek_peer(event):
    return event.get("peer_id") if isinstance(event, dict) else None


def _env_int(name):
    value = os.environ.get(name)
    if value is None:
        error = _errors.ConfigError(f"{name} is not set (run under fmirun)")
        error.field = name
        raise error
    return int(value)
