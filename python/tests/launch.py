#!/usr/bin/env python3
"""Runs the Python test suite as N peers under fmirun (CTest label `python`).

    launch.py --fmirun PATH --peers N --pythonpath DIR [--redis-server PATH] -- TESTS [pytest args]

Every peer runs the same pytest session over the channels in
FMI_TEST_CHANNELS. With --redis-server, a private redis-server is started on
a free loopback port first (and stopped afterwards), and "redis" is added to
the channels. The exit status is fmirun's.
"""

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_ping(port, deadline):
    """Waits until a Redis server answers PING on `port`; False at the deadline."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def redis_server(executable):
    """A private redis-server on a free port: no persistence, its own
    directory, stopped (and the directory removed) on exit."""
    workdir = tempfile.mkdtemp(prefix="fmi-py-redis-")
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir, "--logfile", os.path.join(workdir, "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not redis_ping(port, time.monotonic() + 15.0):
            raise RuntimeError(f"redis-server did not answer on port {port} within 15 s "
                               f"(log: {os.path.join(workdir, 'redis.log')})")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fmirun", required=True)
    parser.add_argument("--peers", type=int, required=True)
    parser.add_argument("--pythonpath", required=True, help="directory holding the fmi package")
    parser.add_argument("--redis-server", help="redis-server executable: also test over Redis")
    parser.add_argument("--timeout", type=int, default=600, help="fmirun's job timeout in seconds")
    parser.add_argument("pytest_args", nargs="+", help="test directory and pytest arguments (after --)")
    args = parser.parse_args()

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (args.pythonpath, env.get("PYTHONPATH")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # N peers would race on __pycache__
    channels = ["direct"]
    command = [args.fmirun, "-n", str(args.peers), "--timeout", str(args.timeout), "--",
               sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.pytest_args]

    with contextlib.ExitStack() as stack:
        if args.redis_server:
            env["FMI_TEST_REDIS_PORT"] = str(stack.enter_context(redis_server(args.redis_server)))
            channels.append("redis")
        env["FMI_TEST_CHANNELS"] = ",".join(channels)
        print(f"launch.py: {args.peers} peers, channels {channels}: {' '.join(command)}", flush=True)
        return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main())
