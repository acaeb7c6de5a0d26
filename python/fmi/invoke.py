"""fmi.invoke: start an fmi job as N concurrent invocations of a serverless
function, through the AWS Lambda Invoke API (boto3), and gather what they return.

As a command (``fmi-invoke`` or ``python3 -m fmi.invoke``)::

    fmi-invoke my-function -n 8 --params '{"elements": 1000}' \\
        --config '{"channel": "direct", "direct": {"rendezvous": "10.0.0.5:10000"}}'

From Python::

    report = fmi.invoke.invoke_job("my-function", 8, params={"elements": 1000}, config={...})
    if not report.ok:
        print(report.cause)            # which function failed first, and why
    print(report.summary())            # per-function durations and the modeled cost

Each invocation gets the event fmi.faas reads (``peer_id``, ``num_peers``,
``comm``, ``config``, ``timeout_ms``, ``connect_timeout_ms``, ``params``,
``invoked_at``). All N are invoked at once from N threads (RequestResponse,
so each thread holds one HTTP request open until its function answers); the
invoker waits for all within ``deadline_s``.

The endpoint, region and credentials follow AWS conventions (boto3's chain:
``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``..., profiles,
instance roles); ``endpoint_url`` (or ``AWS_ENDPOINT_URL_LAMBDA`` /
``AWS_ENDPOINT_URL``) points at a local emulator.

Invocations are never retried: a retried invocation would be a second copy of
the same peer, which the rendezvous server refuses (``duplicate_peer``) and
store channels cannot tell apart.

Failures: a function's answer says why it failed (fmi.faas catches every
exception); a function that answered nothing (crashed, killed at its timeout,
throttled, not found) is reported with what the API said. ``cause`` picks the
failure that explains the others: an invocation that got no answer first, then
an error raised by the job itself (or a configuration or usage error), then
communication errors (lost peers, timeouts, a partner that left the
collective: usually consequences), earliest first. After the first failure
the invoker waits at most ``after_failure_s`` for the others: their
communicators see the failed peer go (fmi.faas tears a failed peer's
communicator down) and they end promptly, so normally all answers arrive.

Cost: a simple model of AWS Lambda's price (x86, us-east-1):
GB-seconds of every function's billed duration (rounded up to 1 ms) at
``gb_second_price`` plus ``request_price`` per invocation.
"""

import argparse
import concurrent.futures
import json
import math
import os
import sys
import threading
import time
import uuid

__all__ = ["Price", "FunctionOutcome", "JobReport", "invoke_job", "lambda_client", "main"]

# fmi errors a peer gets because another one failed (a lost peer, a deadline,
# a partner that left the collective): consequences rather than causes.
CONSEQUENTIAL_ERRORS = {"PeerLostError", "TimeoutError", "IoError", "ServerError", "MismatchError",
                        "SizeMismatchError"}


class Price:
    """AWS Lambda's price list, as used by the modeled cost."""

    def __init__(self, gb_second=0.0000166667, per_request=0.20 / 1e6):
        self.gb_second = gb_second
        self.per_request = per_request


class FunctionOutcome:
    """What one invocation (one peer) did.

    ok / result / error: the answer of fmi.faas (``error`` is a dict with
    type, message, phase, traceback; phase ``invoke`` when the function gave
    no answer). invoked_at / answered_at: the invoker's clock around the Invoke
    call; timing: the function's own timestamps (start, connected, your marks,
    end). memory_mib: the function's memory, when it said.
    """

    def __init__(self, peer_id):
        self.peer_id = peer_id
        self.ok = False
        self.result = None
        self.error = None
        self.timing = {}
        self.memory_mib = None
        self.invoked_at = None
        self.answered_at = None

    @property
    def round_trip_s(self):
        """Invoke call to answer, as the invoker saw it."""
        if self.invoked_at is None or self.answered_at is None:
            return None
        return self.answered_at - self.invoked_at

    @property
    def handler_s(self):
        """Time inside the handler (what Lambda bills), as the function measured it."""
        start, end = self.timing.get("start"), self.timing.get("end")
        return None if start is None or end is None else end - start

    @property
    def ended_at(self):
        return self.timing.get("end") or self.answered_at

    def to_dict(self):
        return {"peer_id": self.peer_id, "ok": self.ok, "result": self.result, "error": self.error,
                "timing": self.timing, "memory_mib": self.memory_mib, "invoked_at": self.invoked_at,
                "answered_at": self.answered_at, "round_trip_s": self.round_trip_s, "handler_s": self.handler_s}


class JobReport:
    """The outcome of a job: one FunctionOutcome per peer, the wall time, the
    modeled cost, and on failure which function failed first and why."""

    def __init__(self, function, comm, outcomes, started_at, ended_at, price, default_memory_mib):
        self.function = function
        self.comm = comm
        self.outcomes = outcomes
        self.started_at = started_at
        self.ended_at = ended_at
        self.price = price
        self.default_memory_mib = default_memory_mib

    @property
    def num_peers(self):
        return len(self.outcomes)

    @property
    def ok(self):
        return all(o.ok for o in self.outcomes)

    @property
    def results(self):
        """The peers' results, in peer order (None for failed peers)."""
        return [o.result for o in self.outcomes]

    @property
    def failed(self):
        return [o for o in self.outcomes if not o.ok]

    @property
    def wall_s(self):
        return self.ended_at - self.started_at

    @property
    def cause(self):
        """The failure that explains the job's failure (None when it succeeded)."""
        def rank(o):
            error = o.error or {}
            if error.get("phase") == "invoke":
                kind = 0
            elif error.get("fmi_error") and error.get("type") in CONSEQUENTIAL_ERRORS:
                kind = 2
            else:
                kind = 1
            return (kind, o.ended_at if o.ended_at is not None else math.inf, o.peer_id)
        failed = self.failed
        return min(failed, key=rank) if failed else None

    def first_collective_s(self, mark="first_collective"):
        """Invoke to the end of the job's first collective: from the first
        Invoke call to the latest ``mark`` of any peer (a collective is over
        when its slowest peer is through). None when a peer did not mark."""
        marks = [o.timing.get(mark) for o in self.outcomes]
        if not marks or any(m is None for m in marks):
            return None
        return max(marks) - self.started_at

    def cost(self):
        """Modeled cost: {requests, gb_seconds, dollars, estimated}. Billed
        duration per function: its handler time rounded up to 1 ms (the
        round trip, an upper bound, for functions that did not say)."""
        gb_seconds = 0.0
        estimated = False
        for o in self.outcomes:
            seconds = o.handler_s
            if seconds is None:
                seconds = o.round_trip_s or 0.0
                estimated = True
            billed = math.ceil(seconds * 1000.0) / 1000.0
            memory = o.memory_mib or self.default_memory_mib
            gb_seconds += billed * memory / 1024.0
        requests = len(self.outcomes)
        dollars = gb_seconds * self.price.gb_second + requests * self.price.per_request
        return {"requests": requests, "gb_seconds": gb_seconds, "dollars": dollars, "estimated": estimated,
                "gb_second_price": self.price.gb_second, "request_price": self.price.per_request}

    def to_dict(self):
        cause = self.cause
        return {"function": self.function, "comm": self.comm, "num_peers": self.num_peers, "ok": self.ok,
                "wall_s": self.wall_s, "first_collective_s": self.first_collective_s(), "cost": self.cost(),
                "cause": None if cause is None else {"peer_id": cause.peer_id, "error": cause.error},
                "functions": [o.to_dict() for o in self.outcomes]}

    def summary(self):
        """A human-readable report: one line per function, then the job."""
        lines = [f"fmi-invoke: {self.function} x {self.num_peers} (communicator {self.comm}): "
                 f"{'ok' if self.ok else 'FAILED'}, {self.num_peers - len(self.failed)}/{self.num_peers} "
                 f"succeeded in {self.wall_s:.3f} s"]
        lines.append(f"{'peer':>4}  {'status':<6}  {'round trip':>10}  {'in handler':>10}  {'started':>8}  "
                     f"{'connected':>9}  detail")
        for o in self.outcomes:
            start = _offset(o.timing.get("start"), self.started_at)
            connected = _offset(o.timing.get("connected"), self.started_at)
            if o.ok:
                detail = _short(json.dumps(o.result), 60)
            else:
                detail = f"{o.error.get('type')} in {o.error.get('phase')}: {_short(o.error.get('message', ''), 100)}"
            lines.append(f"{o.peer_id:>4}  {'ok' if o.ok else 'FAILED':<6}  {_seconds(o.round_trip_s):>10}  "
                         f"{_seconds(o.handler_s):>10}  {start:>8}  {connected:>9}  {detail}")
        first = self.first_collective_s()
        if first is not None:
            lines.append(f"invoke to first collective: {first:.3f} s (first Invoke call to the slowest peer's mark)")
        cost = self.cost()
        lines.append(f"modeled cost: ${cost['dollars']:.9f} = {cost['gb_seconds']:.3f} GB-s x "
                     f"${cost['gb_second_price']}/GB-s + {cost['requests']} requests x "
                     f"${cost['request_price'] * 1e6:.2f}/1M" + (" (some durations estimated)" if cost["estimated"] else ""))
        cause = self.cause
        if cause is not None:
            others = [o for o in self.failed if o is not cause]
            lines.append(f"cause: peer {cause.peer_id} failed with {cause.error.get('type')} in "
                         f"{cause.error.get('phase')}: {cause.error.get('message')}")
            if others and cause.ended_at is not None:
                lag = max((o.ended_at or cause.ended_at) - cause.ended_at for o in others)
                lines.append(f"then {len(others)} other peer(s) failed, the last {lag:.3f} s later")
        return "\n".join(lines)


def lambda_client(endpoint_url=None, region_name=None, max_connections=10, read_timeout_s=900.0):
    """A boto3 Lambda client for a job: no retries (see the module docstring),
    a connection pool as large as the job, and a read timeout covering the
    longest function. Endpoint, region and credentials by AWS conventions;
    ``endpoint_url`` defaults to AWS_ENDPOINT_URL_LAMBDA or AWS_ENDPOINT_URL."""
    import boto3  # imported here so that fmi.faas users in functions never need it
    import botocore.config

    endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_LAMBDA") or os.environ.get("AWS_ENDPOINT_URL")
    config = botocore.config.Config(max_pool_connections=max(10, max_connections), connect_timeout=10,
                                    read_timeout=read_timeout_s, retries={"total_max_attempts": 1})
    return boto3.client("lambda", endpoint_url=endpoint_url or None, region_name=region_name, config=config)


def invoke_job(function, num_peers, params=None, *, config=None, comm=None, timeout_ms=60_000,
               connect_timeout_ms=None, deadline_s=None, after_failure_s=30.0, client=None, endpoint_url=None,
               region_name=None, qualifier=None, memory_mib=128, price=None):
    """Invokes ``function`` ``num_peers`` times at once and waits for all.

    Args:
        function: the function's name or ARN.
        num_peers: N, the number of functions (peers) of the job.
        params: the job's parameters (JSON), passed to every function's body.
        config: channel configuration for the functions (a dict in our format,
            or a path inside the function); None: the function's FMI_CONFIG /
            FMI_* environment.
        comm: the communicator name; default a fresh ``fmi-<function>-<random>``
            (names must be unique per job: a rendezvous server and a Redis keep
            state per name).
        timeout_ms: deadline of every fmi operation inside the functions.
        connect_timeout_ms: how long functions wait for all N to connect
            (cold starts); default ``timeout_ms``.
        deadline_s: how long the invoker waits for all answers; default the
            connect timeout plus ten operation timeouts plus 30 s.
        after_failure_s: after the first failure, how much longer to wait for
            the others.
        client: a boto3 Lambda client (default :func:`lambda_client`).
        qualifier: version or alias to invoke.
        memory_mib: memory assumed for the cost of functions that do not report it.
        price: a :class:`Price` (default AWS x86 us-east-1).

    Returns a :class:`JobReport`; never raises for a failed function (only for
    bad arguments).
    """
    if not isinstance(num_peers, int) or num_peers < 1:
        raise ValueError(f"invoke_job: num_peers must be a positive integer, got {num_peers!r}")
    connect_timeout_ms = connect_timeout_ms or timeout_ms
    if deadline_s is None:
        deadline_s = connect_timeout_ms / 1000.0 + 10 * timeout_ms / 1000.0 + 30.0
    comm = comm or f"fmi-{_safe(function)}-{uuid.uuid4().hex[:12]}"
    if client is None:
        client = lambda_client(endpoint_url, region_name, max_connections=num_peers, read_timeout_s=deadline_s + 5)
    outcomes = [FunctionOutcome(peer) for peer in range(num_peers)]
    first_failure = threading.Event()

    def invoke_one(outcome):
        event = {"peer_id": outcome.peer_id, "num_peers": num_peers, "comm": comm, "params": params or {},
                 "timeout_ms": timeout_ms, "connect_timeout_ms": connect_timeout_ms}
        if config is not None:
            event["config"] = config
        request = {"FunctionName": function, "InvocationType": "RequestResponse"}
        if qualifier:
            request["Qualifier"] = qualifier
        outcome.invoked_at = event["invoked_at"] = time.time()
        try:
            response = client.invoke(Payload=json.dumps(event).encode(), **request)
            payload = response["Payload"].read()
            outcome.answered_at = time.time()
            _read_answer(outcome, response, payload)
        except Exception as exc:  # noqa: BLE001 - the API's failure is this peer's outcome
            outcome.answered_at = outcome.answered_at or time.time()
            outcome.error = {"type": type(exc).__name__, "message": str(exc), "phase": "invoke", "fmi_error": False}
        if not outcome.ok:
            first_failure.set()

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=num_peers, thread_name_prefix="fmi-invoke")
    started_at = time.time()
    deadline = time.monotonic() + deadline_s
    futures = [pool.submit(invoke_one, o) for o in outcomes]
    pending = set(futures)
    failure_deadline = None
    while pending:
        now = time.monotonic()
        if first_failure.is_set() and failure_deadline is None:
            failure_deadline = now + after_failure_s
        limit = min(deadline, failure_deadline or deadline)
        if now >= limit:
            break
        _, pending = concurrent.futures.wait(pending, timeout=min(limit - now, 0.2),
                                             return_when=concurrent.futures.FIRST_COMPLETED)
    ended_at = time.time()
    pool.shutdown(wait=False, cancel_futures=True)
    for outcome, future in zip(outcomes, futures):
        if future in pending:
            why = (f"no answer within {after_failure_s:g} s of the first failure" if failure_deadline is not None
                   else f"no answer within the deadline of {deadline_s:g} s")
            outcome.error = {"type": "DeadlineExceeded", "message": why, "phase": "invoke", "fmi_error": False}
            outcome.ok = False
    return JobReport(function, comm, outcomes, started_at, ended_at, price or Price(), memory_mib)


def _read_answer(outcome, response, payload):
    """Fills an outcome from an Invoke response: fmi.faas's answer, or the
    platform's error (unhandled exception, timeout, not an fmi.faas handler)."""
    try:
        answer = json.loads(payload) if payload else None
    except ValueError:
        answer = None
    status = response.get("StatusCode")
    function_error = response.get("FunctionError")
    if function_error or not isinstance(answer, dict) or "ok" not in answer:
        if isinstance(answer, dict) and "errorMessage" in answer:
            message = f"{answer.get('errorType', 'Error')}: {answer['errorMessage']}"
        else:
            message = f"answer is not from an fmi.faas handler: {_short(payload.decode(errors='replace'), 300)}"
        outcome.error = {"type": function_error or "BadAnswer", "message": f"status {status}: {message}",
                         "phase": "invoke", "fmi_error": False}
        return
    outcome.ok = bool(answer["ok"])
    outcome.result = answer.get("result")
    outcome.error = answer.get("error")
    outcome.timing = answer.get("timing") or {}
    outcome.memory_mib = answer.get("memory_mib")
    if not outcome.ok and not isinstance(outcome.error, dict):
        outcome.error = {"type": "BadAnswer", "message": "failed without an error description", "phase": "invoke",
                         "fmi_error": False}


def _safe(function):
    """The function name as a piece of a communicator name (an ARN has ':')."""
    name = function.rsplit(":", 1)[-1] if function.startswith("arn:") else function
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:64]


def _offset(t, origin):
    return "" if t is None else f"+{t - origin:.3f}"


def _seconds(value):
    return "" if value is None else f"{value:.3f} s"


def _short(text, limit):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_argument(text, what):
    """A JSON argument given inline or as @file."""
    try:
        if text.startswith("@"):
            with open(text[1:], encoding="utf-8") as f:
                return json.load(f)
        return json.loads(text)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"fmi-invoke: {what}: {exc}") from None


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="fmi-invoke",
        description="Run an fmi job as N concurrent invocations of an AWS Lambda function (Invoke API, boto3) "
                    "and report every function's result or error, durations and the modeled cost.")
    parser.add_argument("function", help="function name or ARN")
    parser.add_argument("-n", "--num-peers", type=int, required=True, help="number of functions (peers)")
    parser.add_argument("--params", default="{}", help="job parameters, JSON or @file (default {})")
    parser.add_argument("--config", help="fmi configuration for the functions, JSON or @file "
                                         "(default: the functions' FMI_CONFIG / FMI_* environment)")
    parser.add_argument("--comm", help="communicator name (default: fmi-<function>-<random>)")
    parser.add_argument("--timeout-ms", type=int, default=60_000, help="deadline of every fmi operation (ms)")
    parser.add_argument("--connect-timeout-ms", type=int, help="wait for all functions to connect (ms; "
                                                               "default --timeout-ms)")
    parser.add_argument("--deadline", type=float, help="how long to wait for all answers (s)")
    parser.add_argument("--after-failure", type=float, default=30.0,
                        help="after the first failure, how much longer to wait for the others (s, default 30)")
    parser.add_argument("--endpoint-url", help="Lambda API endpoint (default AWS_ENDPOINT_URL_LAMBDA, "
                                               "AWS_ENDPOINT_URL, else AWS)")
    parser.add_argument("--region", help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION / profile)")
    parser.add_argument("--qualifier", help="function version or alias")
    parser.add_argument("--memory-mib", type=int, default=128,
                        help="memory assumed for the cost when a function does not report it (default 128)")
    parser.add_argument("--json", metavar="FILE", help="also write the whole report as JSON ('-': stdout)")
    args = parser.parse_args(argv)
    if args.num_peers < 1:
        parser.error("--num-peers must be at least 1")

    params = _json_argument(args.params, "--params")
    config = _json_argument(args.config, "--config") if args.config else None
    try:
        connect_s = (args.connect_timeout_ms or args.timeout_ms) / 1000
        read_timeout = args.deadline if args.deadline is not None else connect_s + 10 * args.timeout_ms / 1000 + 30
        client = lambda_client(args.endpoint_url, args.region, args.num_peers, read_timeout + 5)
        report = invoke_job(args.function, args.num_peers, params, config=config, comm=args.comm,
                            timeout_ms=args.timeout_ms, connect_timeout_ms=args.connect_timeout_ms,
                            deadline_s=args.deadline, after_failure_s=args.after_failure, client=client,
                            qualifier=args.qualifier, memory_mib=args.memory_mib)
    except Exception as exc:  # noqa: BLE001 - no client (region, credentials, boto3 missing): say why
        print(f"fmi-invoke: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if args.json == "-":
        print(json.dumps(report.to_dict(), indent=1))
    else:
        print(report.summary())
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(report.to_dict(), f, indent=1)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
