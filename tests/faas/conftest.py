"""Fixtures of the faas tests (CTest label `faas`, tests/faas/CMakeLists.txt).

The paths come from the environment CTest sets: FMI_FAAS_NODE_MODULES (the
emulator installed by install-emulator.sh), FMI_FAAS_PYTHONPATH (the build
tree's python/ directory), FMI_FAAS_EXAMPLE (examples/03_lambda),
FMI_FAAS_FMIRUN, FMI_FAAS_RENDEZVOUS and FMI_FAAS_REDIS_SERVER (executables).
One emulator, one rendezvous server and one redis-server serve the whole
session; every job has its own communicator name, so jobs never interfere.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import servers  # noqa: E402


def _path(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through CTest (ctest -L faas)")
    return value


@pytest.fixture(scope="session")
def example_dir():
    return _path("FMI_FAAS_EXAMPLE")


@pytest.fixture(scope="session")
def fmi_pythonpath():
    return _path("FMI_FAAS_PYTHONPATH")


@pytest.fixture(scope="session", autouse=True)
def aws_environment():
    """boto3 talks to the emulator with a region and dummy credentials; no
    real AWS account is ever contacted (the endpoint is always given)."""
    saved = {k: os.environ.get(k) for k in servers.lambda_environment()}
    os.environ.update(servers.lambda_environment())
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def emulator(example_dir, fmi_pythonpath):
    """The Lambda Invoke API endpoint of the emulator serving examples/03_lambda."""
    with servers.lambda_emulator(_path("FMI_FAAS_NODE_MODULES"), example_dir, fmi_pythonpath) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def rendezvous():
    with servers.rendezvous_server(_path("FMI_FAAS_RENDEZVOUS")) as address:
        yield address


@pytest.fixture(scope="session")
def redis_port():
    with servers.redis_server(_path("FMI_FAAS_REDIS_SERVER")) as port:
        yield port


@pytest.fixture(scope="session")
def direct_config(rendezvous):
    return {"channel": "direct", "direct": {"rendezvous": rendezvous}}


@pytest.fixture(scope="session")
def redis_config(redis_port):
    return {"channel": "redis", "direct": {"enabled": False},
            "redis": {"enabled": True, "host": "127.0.0.1", "port": redis_port, "key_prefix": "fmi-faas"}}


@pytest.fixture(scope="session")
def fmirun_results(example_dir, fmi_pythonpath):
    """fmirun_results(n, params) -> the example's results under fmirun (direct
    channel, fmirun's embedded rendezvous server), cached per (n, params)."""
    cache = {}

    def run(num_peers, params):
        key = (num_peers, repr(sorted(params.items())))
        if key not in cache:
            answers, _ = servers.fmirun_job(_path("FMI_FAAS_FMIRUN"), example_dir, fmi_pythonpath, num_peers, params)
            assert all(a["ok"] for a in answers), answers
            cache[key] = [a["result"] for a in answers]
        return cache[key]

    return run
