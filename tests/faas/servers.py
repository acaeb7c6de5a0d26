"""The servers of the faas tests, each a context manager that owns its process
(started in its own session, stopped by its process-group id on exit):

* ``lambda_emulator``: serverless-offline (the Serverless Framework v3 plugin
  that serves the AWS Lambda Invoke API locally, each invocation in a Python
  worker process) running examples/03_lambda as function
  ``fmi-example-allreduce``;
* ``rendezvous_server``: fmi-rendezvous on a free loopback port;
* ``redis_server``: a private redis-server on a free loopback port.

Also ``fmirun_job``, which runs the same example under fmirun, and
``lambda_environment``, the AWS variables boto3 needs to talk to the emulator.
Used by the tests (conftest.py) and by measure.py.
"""

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

FUNCTION = "fmi-example-allreduce"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """preexec_fn: the server gets SIGTERM when the test process dies (killed
    by a CTest timeout, say), so no server outlives its test."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def stop_group(process, grace_s=10.0):
    """SIGTERM to the process group the process leads (it was started with
    start_new_session), SIGKILL after grace_s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # Workers the emulator started lead no group of their own: clean up what is left.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def wait_for_line(path, pattern, process, timeout_s, what):
    """Waits until the log file at `path` has a line matching `pattern`;
    returns the match. Raises (with the log) when the process exits or the
    time is up."""
    deadline = time.monotonic() + timeout_s
    regex = re.compile(pattern)
    while True:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        match = regex.search(text)
        if match:
            return match
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} before it was ready:\n{text[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready within {timeout_s:g} s:\n{text[-3000:]}")
        time.sleep(0.1)


@contextlib.contextmanager
def rendezvous_server(executable):
    """fmi-rendezvous on a free loopback port; yields "127.0.0.1:<port>"."""
    workdir = tempfile.mkdtemp(prefix="fmi-faas-rendezvous-")
    log = os.path.join(workdir, "rendezvous.log")
    with open(log, "w") as out:
        process = subprocess.Popen([executable, "--host", "127.0.0.1", "--port", "0"], stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
    try:
        match = wait_for_line(log, r"listening on \S+:(\d+)", process, 30, "fmi-rendezvous")
        yield f"127.0.0.1:{match.group(1)}"
    finally:
        stop_group(process)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def redis_server(executable):
    """A private redis-server (no persistence) on a free port; yields the port."""
    workdir = tempfile.mkdtemp(prefix="fmi-faas-redis-")
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir, "--logfile", os.path.join(workdir, "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
    try:
        deadline = time.monotonic() + 15
        while not redis_command(port, "PING").startswith("+PONG"):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"redis-server did not answer on port {port} within 15 s")
            time.sleep(0.05)
        yield port
    finally:
        stop_group(process)
        shutil.rmtree(workdir, ignore_errors=True)


def redis_command(port, *words):
    """One Redis command (inline words, RESP-encoded), its raw reply text; ''
    when the server cannot be reached."""
    request = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(request.encode())
            s.shutdown(socket.SHUT_WR)
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


@contextlib.contextmanager
def lambda_emulator(node_modules, example_dir, fmi_pythonpath, startup_timeout_s=120):
    """serverless-offline serving examples/03_lambda on a free loopback port;
    yields the endpoint URL. The service runs from a temporary copy of the
    example (the emulator imports the handler relative to its working
    directory) with the installed node_modules linked in. Its workers run
    `python3` from PATH, so a directory whose python3 is /usr/bin/python3
    goes first (the one Debian's numpy and boto3 belong to)."""
    workdir = tempfile.mkdtemp(prefix="fmi-faas-emulator-")
    for name in ("handler.py", "serverless.yml"):
        shutil.copy(os.path.join(example_dir, name), workdir)
    os.symlink(node_modules, os.path.join(workdir, "node_modules"))
    bindir = os.path.join(workdir, "bin")
    os.mkdir(bindir)
    os.symlink("/usr/bin/python3", os.path.join(bindir, "python3"))
    port = free_port()
    env = dict(os.environ)
    env.update({
        "PATH": bindir + os.pathsep + env.get("PATH", ""),
        "FMI_PYTHONPATH": fmi_pythonpath,
        "FMI_LAMBDA_PORT": str(port),
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.pop("VIRTUAL_ENV", None)  # the emulator would put the venv's python first
    log = os.path.join(workdir, "emulator.log")
    serverless = os.path.join(node_modules, "serverless", "bin", "serverless.js")
    with open(log, "w") as out:
        process = subprocess.Popen([shutil.which("node") or "node", serverless, "offline", "start"], cwd=workdir,
                                   env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, preexec_fn=_die_with_parent)
    try:
        wait_for_line(log, r"Function names exposed", process, startup_timeout_s, "serverless offline")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(process)
        if os.environ.get("FMI_FAAS_KEEP_LOGS"):
            print(f"emulator log kept in {log}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def lambda_environment():
    """What boto3 needs for the emulator: a region and (any) credentials."""
    return {"AWS_ACCESS_KEY_ID": "fmi-faas-test", "AWS_SECRET_ACCESS_KEY": "fmi-faas-test",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


def fmirun_job(fmirun, example_dir, fmi_pythonpath, num_peers, params, config=None, timeout_s=120):
    """Runs examples/03_lambda under fmirun (the same body as the functions)
    and returns (answers in peer order, wall seconds of the whole run)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (fmi_pythonpath, env.get("PYTHONPATH")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [fmirun, "-n", str(num_peers), "--timeout", str(timeout_s)]
    with tempfile.TemporaryDirectory(prefix="fmi-faas-fmirun-") as tmp:
        if config is not None:
            path = os.path.join(tmp, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            command += ["--config", path]
        command += ["--", "/usr/bin/python3", os.path.join(example_dir, "handler.py"), "--params", json.dumps(params)]
        start = time.monotonic()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s + 30)
        wall = time.monotonic() - start
    answers = {}
    for line in done.stdout.splitlines():
        match = re.match(r"\[(\d+)\] (\{.*\})$", line)
        if match:
            answers[int(match.group(1))] = json.loads(match.group(2))
    if sorted(answers) != list(range(num_peers)):
        raise RuntimeError(f"fmirun exited with {done.returncode}; answers from peers {sorted(answers)}:\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return [answers[i] for i in range(num_peers)], wall
