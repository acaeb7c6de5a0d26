"""fmi jobs as functions behind the local Lambda emulator (serverless-offline):
fmi-invoke (fmi.invoke) fans a job out over N invocations of the example
function (examples/03_lambda), over the direct channel with the rendezvous
server and over Redis; results are checked against closed forms and against
the same job under fmirun; a job in which one function raises reports that
function and its error, and the other functions end promptly."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fmi.invoke
import servers

MODULUS = 1_000_003  # as in examples/03_lambda/handler.py
TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_MS = 90_000  # cold starts of 16 workers on 2 cores take several seconds


def reference(num_peers, elements, rounds):
    """The example's result in closed form: round 1 sums x_i[k] = (i+1)k + i,
    later rounds sum x_i = total mod M + i."""
    n = num_peers
    total = np.arange(elements, dtype=np.int64) * (n * (n + 1) // 2) + n * (n - 1) // 2
    for _ in range(1, rounds):
        total = n * (total % MODULUS) + n * (n - 1) // 2
    return {"first": int(total[0]) if elements else None, "last": int(total[-1]) if elements else None,
            "checksum": int(total.sum() % MODULUS), "order": ",".join(map(str, range(n))), "rounds": rounds}


def run_job(emulator, num_peers, params, config, **kwargs):
    kwargs.setdefault("timeout_ms", TIMEOUT_MS)
    kwargs.setdefault("connect_timeout_ms", CONNECT_TIMEOUT_MS)
    report = fmi.invoke.invoke_job(servers.FUNCTION, num_peers, params, config=config, endpoint_url=emulator,
                                   region_name="us-east-1", **kwargs)
    print(report.summary())
    return report


def assert_job_ok(report, expected):
    failures = {o.peer_id: o.error for o in report.failed}
    assert report.ok, f"failed functions: {failures}"
    assert report.results == [expected] * report.num_peers
    for o in report.outcomes:
        # Every function reported its timeline, in order, and its memory.
        t = o.timing
        assert t["start"] <= t["connected"] <= t["first_collective"] <= t["end"]
        assert o.memory_mib == 1024  # serverless.yml's memorySize
    assert report.first_collective_s() is not None
    cost = report.cost()
    assert cost["requests"] == report.num_peers and not cost["estimated"]
    assert cost["dollars"] > report.num_peers * 0.20e-6


# Multi-chunk over Redis (100003 int64 = 781 KiB > the 512 KiB chunk), odd size.
BIG = {"elements": 100_003, "rounds": 3}


@pytest.mark.parametrize("num_peers", [8, 16])
def test_allreduce_direct_with_rendezvous(emulator, direct_config, fmirun_results, num_peers):
    report = run_job(emulator, num_peers, BIG, direct_config)
    expected = reference(num_peers, **BIG)
    assert_job_ok(report, expected)
    assert report.results == fmirun_results(num_peers, BIG)


@pytest.mark.parametrize("num_peers", [8, 16])
def test_allreduce_redis(emulator, redis_config, redis_port, fmirun_results, num_peers):
    report = run_job(emulator, num_peers, BIG, redis_config)
    assert_job_ok(report, reference(num_peers, **BIG))
    assert report.results == fmirun_results(num_peers, BIG)
    # Nothing of the job is left in Redis.
    keys = servers.redis_command(redis_port, "KEYS", f"fmi-faas/{report.comm}/*")
    assert keys == "*0\r\n", keys


@pytest.mark.parametrize("num_peers, params", [
    (1, {"elements": 5, "rounds": 2}),
    (3, {"elements": 0, "rounds": 2}),      # zero-length messages
    (5, {"elements": 7, "rounds": 1}),
])
def test_small_jobs_direct(emulator, direct_config, fmirun_results, num_peers, params):
    report = run_job(emulator, num_peers, params, direct_config)
    assert_job_ok(report, reference(num_peers, **params))
    assert report.results == fmirun_results(num_peers, params)


@pytest.mark.parametrize("channel", ["direct", "redis"])
def test_one_function_raises(emulator, direct_config, redis_config, channel):
    """Peer 5 of 8 raises after the first collective, while the others wait
    for it in the second. The report names peer 5 and its ValueError; the
    others end with communication errors soon after it, long before their
    60 s operation deadline."""
    config = direct_config if channel == "direct" else redis_config
    failing = 5
    report = run_job(emulator, 8, {"elements": 1000, "rounds": 3, "fail_peer": failing}, config, timeout_ms=60_000)
    assert not report.ok
    cause = report.cause
    assert cause.peer_id == failing
    assert cause.error["type"] == "ValueError" and cause.error["phase"] == "body"
    assert "fails on purpose" in cause.error["message"] and "ValueError" in cause.error["traceback"]
    assert f"cause: peer {failing} failed with ValueError" in report.summary()
    others = [o for o in report.outcomes if o.peer_id != failing]
    for o in others:
        assert not o.ok, f"peer {o.peer_id} succeeded although peer {failing} left the job"
        assert o.error["fmi_error"] and o.error["phase"] == "body", o.error
        assert o.error["type"] in fmi.invoke.CONSEQUENTIAL_ERRORS, o.error
        # Fails fast: generous bound, far below the 60 s deadline it would otherwise wait out.
        assert o.timing["end"] - cause.timing["end"] < 15.0, (o.peer_id, o.timing, cause.timing)


def test_unknown_function_is_reported(emulator):
    report = fmi.invoke.invoke_job("fmi-no-such-function", 2, endpoint_url=emulator, region_name="us-east-1",
                                   deadline_s=60)
    assert not report.ok and len(report.failed) == 2
    for o in report.outcomes:
        assert o.error["phase"] == "invoke", o.error
        assert "fmi-no-such-function" in o.error["message"] or "ResourceNotFound" in o.error["type"], o.error


def invoke_command():
    tool = os.environ.get("FMI_FAAS_INVOKE_TOOL")
    return [tool] if tool else [sys.executable, "-m", "fmi.invoke"]


def test_command_line(emulator, direct_config):
    """fmi-invoke: exit status 0 and a JSON report for a good job, 1 and the
    cause for a failing one."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.environ["FMI_FAAS_PYTHONPATH"], env.get("PYTHONPATH")) if p)
    common = [servers.FUNCTION, "-n", "3", "--endpoint-url", emulator, "--timeout-ms", str(TIMEOUT_MS),
              "--connect-timeout-ms", str(CONNECT_TIMEOUT_MS), "--config", json.dumps(direct_config)]
    good = subprocess.run(invoke_command() + common + ["--params", '{"elements": 4, "rounds": 2}', "--json", "-"],
                          env=env, capture_output=True, text=True, timeout=180)
    assert good.returncode == 0, good.stdout + good.stderr
    report = json.loads(good.stdout)
    assert report["ok"] and report["num_peers"] == 3
    assert [f["result"] for f in report["functions"]] == [reference(3, 4, 2)] * 3
    assert report["cost"]["requests"] == 3 and report["first_collective_s"] > 0

    bad = subprocess.run(invoke_command() + common + ["--params", '{"elements": 4, "fail_peer": 1}'],
                         env=env, capture_output=True, text=True, timeout=180)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "cause: peer 1 failed with ValueError" in bad.stdout, bad.stdout
