"""fmi.faas (the handler side) and fmi.invoke's report, without the emulator:
events are parsed or refused with the field named, every failure becomes an
answer, deadlines stay inside the invocation's remaining time, and the
report's cause and modeled cost follow their definitions."""

import os

import pytest

import fmi
import fmi.faas
import fmi.invoke


class Context:
    """The parts of a Lambda context fmi.faas reads."""

    def __init__(self, remaining_ms, memory="2048"):
        self.remaining_ms = remaining_ms
        self.memory_limit_in_mb = memory

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def test_missing_and_bad_fields_are_named():
    for event, field in [({"num_peers": 2}, "peer_id"), ({"peer_id": 0}, "num_peers"),
                         ({"peer_id": 2, "num_peers": 2}, "peer_id"), ({"peer_id": "0", "num_peers": 2}, "peer_id"),
                         ({"peer_id": 0, "num_peers": 2, "timeout_ms": 0}, "timeout_ms"),
                         ({"peer_id": 0, "num_peers": 1, "config": 7}, "config")]:
        answer = fmi.faas.run(lambda comm, params, job: None, event)
        assert answer["ok"] is False and answer["error"]["type"] == "JobEventError", answer
        assert answer["error"]["phase"] == "event" and answer["error"]["field"] == field, answer
    answer = fmi.faas.run(lambda comm, params, job: None, ["not", "an", "object"])
    assert answer["error"]["field"] == "event" and answer["peer_id"] is None


def test_deadlines_are_capped_by_the_remaining_time():
    event = {"peer_id": 0, "num_peers": 1, "timeout_ms": 60_000}
    job = fmi.faas.Job(event, Context(remaining_ms=10_000))
    assert job.timeout_ms == 8_000 and job.connect_timeout_ms == 8_000   # 2 s kept to answer
    assert job.memory_mib == 2048
    job = fmi.faas.Job(dict(event, timeout_ms=3_000), Context(remaining_ms=600_000))
    assert job.timeout_ms == 3_000 and job.connect_timeout_ms == fmi.faas.DEFAULT_CONNECT_TIMEOUT_MS
    job = fmi.faas.Job(event, None)
    assert job.timeout_ms == 60_000 and job.memory_mib is None


def single_peer_event(direct_config, **extra):
    event = {"peer_id": 0, "num_peers": 1, "comm": f"unit-{os.getpid()}-{len(extra)}-{sorted(extra)}",
             "config": direct_config, "timeout_ms": 7_000}
    event.update(extra)
    return event


def test_result_and_timing(direct_config):
    seen = {}

    def body(comm, params, job):
        seen["timeout"] = comm.timeout
        seen["environment"] = os.environ.get("FMI_TIMEOUT_MS")
        buf = bytearray(b"abc")
        comm.Bcast(buf, 0)
        job.mark("first_collective")
        return {"n": comm.num_peers, "params": params, "buf": buf.decode()}

    before = os.environ.get("FMI_TIMEOUT_MS")
    answer = fmi.faas.run(body, single_peer_event(direct_config, params={"x": [1, 2]}), Context(600_000, "512"))
    assert answer["ok"], answer
    assert answer["result"] == {"n": 1, "params": {"x": [1, 2]}, "buf": "abc"}
    assert answer["memory_mib"] == 512
    assert seen["timeout"] == pytest.approx(7.0)  # the event's timeout_ms reached the communicator
    assert seen["environment"] == before  # and the override was gone by the time the body ran
    t = answer["timing"]
    assert t["start"] <= t["connected"] <= t["first_collective"] <= t["end"]


def test_exceptions_become_answers(direct_config):
    def raises(comm, params, job):
        raise KeyError("missing-thing")

    answer = fmi.faas.run(raises, single_peer_event(direct_config))
    assert answer["ok"] is False and answer["peer_id"] == 0
    error = answer["error"]
    assert error["type"] == "KeyError" and error["phase"] == "body" and not error["fmi_error"]
    assert "missing-thing" in error["message"] and "raises" in error["traceback"]

    answer = fmi.faas.run(lambda comm, params, job: {1, 2}, single_peer_event(direct_config, params={}))
    assert answer["error"]["type"] == "TypeError" and answer["error"]["phase"] == "result"

    # A configuration error happens while connecting, and says which field.
    bad = dict(single_peer_event(direct_config), config={"channel": "redis"})
    answer = fmi.faas.run(lambda comm, params, job: None, bad)
    assert answer["error"]["type"] == "ConfigError" and answer["error"]["phase"] == "connect"
    assert answer["error"]["fmi_error"] and answer["error"]["field"] == "channel", answer


def test_decorator_keeps_the_body():
    def body(comm, params, job):
        return 1

    handler = fmi.faas.handler(body)
    assert handler.body is body and handler.__name__ == "body"
    assert handler({"num_peers": 1})["error"]["field"] == "peer_id"


def outcome(peer, ok, error_type=None, phase="body", fmi_error=True, start=100.0, end=101.0, memory=1024):
    o = fmi.invoke.FunctionOutcome(peer)
    o.ok = ok
    o.error = None if ok else {"type": error_type, "phase": phase, "fmi_error": fmi_error, "message": "m"}
    o.timing = {"start": start, "end": end} if start is not None else {}
    o.memory_mib = memory
    o.invoked_at, o.answered_at = 99.5, end + 0.25
    return o


def test_cause_prefers_no_answer_then_job_errors_then_consequences():
    report = lambda outcomes: fmi.invoke.JobReport("f", "c", outcomes, 99.0, 110.0, fmi.invoke.Price(), 128)
    lost_early = outcome(0, False, "PeerLostError", end=100.5)
    raised_late = outcome(1, False, "ValueError", fmi_error=False, end=101.0)
    assert report([lost_early, raised_late, outcome(2, True)]).cause is raised_late
    no_answer = outcome(2, False, "DeadlineExceeded", phase="invoke", fmi_error=False, start=None, end=105.0)
    assert report([lost_early, raised_late, no_answer]).cause is no_answer
    mismatch = outcome(1, False, "MismatchError", end=100.7)
    assert report([lost_early, mismatch]).cause is lost_early  # only consequences: the earliest
    assert report([outcome(0, True), outcome(1, True)]).cause is None


def test_modeled_cost():
    price = fmi.invoke.Price()
    outcomes = [outcome(0, True, start=100.0, end=101.2344, memory=1024),  # billed 1.235 s
                outcome(1, True, start=100.0, end=100.5, memory=2048),     # billed 0.5 s
                outcome(2, False, "X", phase="invoke", start=None, end=101.0, memory=None)]  # round trip 1.75 s
    report = fmi.invoke.JobReport("f", "c", outcomes, 99.0, 102.0, price, 512)
    cost = report.cost()
    gb_s = 1.235 * 1.0 + 0.5 * 2.0 + 1.75 * 0.5
    assert cost["gb_seconds"] == pytest.approx(gb_s)
    assert cost["dollars"] == pytest.approx(gb_s * 0.0000166667 + 3 * 0.2e-6)
    assert cost["estimated"] and cost["requests"] == 3
