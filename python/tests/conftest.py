"""Fixtures for the Python tests, which run as N peers under fmirun
(python/tests/launch.py). Every peer runs the same tests in the same order, so
collectives line up; a test must take the same decisions (skips included) on
every peer.

* ``comm``: the communicator of the current channel, shared by the session
  and parametrised over FMI_TEST_CHANNELS ("direct", "redis").
* ``make_comm``: makes further communicators with names unique to the test,
  for tests that break theirs on purpose (error paths) or need a second one.
"""

import itertools
import os

import pytest

import fmi

CHANNELS = [c for c in os.environ.get("FMI_TEST_CHANNELS", "direct").split(",") if c]


def channel_config(channel, **overrides):
    """Our config format, pinning every operation to `channel`."""
    if channel == "direct":
        config = {"channel": "direct"}
    elif channel == "redis":
        config = {
            "channel": "redis",
            "direct": {"enabled": False},
            "redis": {"enabled": True, "host": "127.0.0.1", "port": int(os.environ["FMI_TEST_REDIS_PORT"]),
                      "key_prefix": "fmi-pytest"},
        }
    else:
        raise ValueError(f"unknown test channel {channel!r}")
    config.update(overrides)
    return config


def base_name():
    return os.environ.get("FMI_COMM", "pytest")


@pytest.fixture(scope="session", params=CHANNELS)
def channel(request):
    if request.param not in fmi.channels_built():
        pytest.skip(f"this build has no {request.param} channel")
    return request.param


@pytest.fixture(scope="session")
def comm(channel):
    communicator = fmi.Communicator(config=channel_config(channel), name=f"{base_name()}.{channel}")
    yield communicator
    communicator.finalize()


@pytest.fixture
def make_comm(request, channel):
    """make_comm(**config_overrides) -> a new communicator over the test's
    channel, named after the test (the same name on every peer)."""
    counter = itertools.count()
    made = []

    def make(**overrides):
        name = f"{base_name()}.{channel}.{request.node.name}.{next(counter)}"
        communicator = fmi.Communicator(config=channel_config(channel, **overrides), name=name)
        made.append(communicator)
        return communicator

    yield make
    for communicator in made:
        try:
            communicator.finalize()
        except fmi.Error:
            pass  # a communicator broken on purpose may fail to clean up
