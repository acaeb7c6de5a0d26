"""The original FMI's Python usage, written from its documented API (its
README and its own binding test): fmi.Communicator(peer_id, num_peers,
config_path, comm_name, faas_memory), fmi.types/datatypes, fmi.func/op,
fmi.hints, with values returned as the original returns them."""

import json
import os
import shutil
import tempfile

import pytest

import fmi


# The original's configuration format, as its users wrote it (the Direct
# section's host/port named its hole-punching server; fmirun's rendezvous
# server takes that role here).
ORIGINAL_CONFIG = {
    "backends": {
        "S3": {"enabled": False, "bucket_name": "unused", "s3_region": "eu-central-1",
               "timeout": 100, "max_timeout": 1000},
        "Redis": {"enabled": False, "host": "127.0.0.1", "port": 6379, "timeout": 1, "max_timeout": 1000},
        "Direct": {"enabled": True, "host": "127.0.0.1", "port": 10000, "max_timeout": 1000},
    },
    "model": {
        "FaaS": {"gib_second_price": 0.0000166667},
        "Direct": {"bandwidth": 400.0, "overhead": 0.34, "transfer_price": 0.0, "vm_price": 0.0134,
                   "requests_per_hour": 1000, "include_infrastructure_costs": True},
    },
}


@pytest.fixture
def original_config(channel):
    """The original-format configuration file, accepted as it is. (Each peer
    writes its own copy: pytest's tmp_path is not safe for several processes.)"""
    if channel != "direct":
        pytest.skip("the original format is exercised over the direct channel")
    directory = tempfile.mkdtemp(prefix="fmi-original-config-")
    path = os.path.join(directory, "fmi.json")
    with open(path, "w") as f:
        json.dump(ORIGINAL_CONFIG, f)
    yield path
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def original_comm(request, original_config):
    # Ids as the launcher gives them; an original program got them from its event.
    peer_id, num_peers = int(os.environ["FMI_PEER_ID"]), int(os.environ["FMI_NUM_PEERS"])
    name = f"{os.environ.get('FMI_COMM', 'pytest')}.original.{request.node.name}"
    comm = fmi.Communicator(peer_id, num_peers, original_config, name, 512)
    yield comm
    comm.finalize()


def test_readme_example(original_comm):
    """The original README's Python example, generalised from 3 peers to n."""
    comm = original_comm
    peer_id, n = comm.peer_id, comm.num_peers
    comm.hint(fmi.hints.fast)
    if peer_id == 0:
        comm.bcast(42, 0, fmi.types(fmi.datatypes.int))
    else:
        bc_res = comm.bcast(None, 0, fmi.types(fmi.datatypes.int))
        assert bc_res == 42
    sc_res = comm.scatter(list(range(n)), 0, fmi.types(fmi.datatypes.int_list, n))
    assert sc_res[0] == peer_id
    id_sum = comm.allreduce(peer_id, fmi.func(fmi.op.sum), fmi.types(fmi.datatypes.int))
    assert id_sum == n * (n - 1) // 2
    id_custom = comm.allreduce(peer_id, fmi.func(fmi.op.custom, lambda a, b: 3 * a + b, False, False),
                               fmi.types(fmi.datatypes.int))
    expected = 0
    for p in range(1, n):
        expected = 3 * expected + p  # left to right over peer ids
    assert id_custom == expected
    if n == 3:
        assert id_custom == 5  # the README's own number


def test_every_operation_and_type(original_comm):
    """The operations of the original's binding test, with closed-form results."""
    comm = original_comm
    me, n = comm.peer_id, comm.num_peers
    comm.barrier()
    t_int, t_double = fmi.types(fmi.datatypes.int), fmi.types(fmi.datatypes.double)
    t_ints, t_doubles = fmi.types(fmi.datatypes.int_list, 2), fmi.types(fmi.datatypes.double_list, 2)

    if n > 1:
        if me == 0:
            comm.send(42, 1, t_int)
            comm.send(14.2, 1, t_double)
            comm.send([1, 2], 1, t_ints)
            comm.send([1.32, 2.34], 1, t_doubles)
        elif me == 1:
            assert comm.recv(0, t_int) == 42 and isinstance(comm.recv(0, t_double), float)
            assert comm.recv(0, t_ints) == [1, 2]
            assert comm.recv(0, t_doubles) == [1.32, 2.34]

    root = n - 1
    assert comm.bcast(42 if me == root else None, root, t_int) == 42
    assert comm.bcast(14.2 if me == root else None, root, t_double) == 14.2
    assert comm.bcast([1, 2] if me == root else None, root, t_ints) == [1, 2]
    assert comm.bcast([1.5, 2.5] if me == root else None, root, t_doubles) == [1.5, 2.5]

    got = comm.gather(me, 0, t_int)
    assert got == (list(range(n)) if me == 0 else [])
    got = comm.gather([me, 10 * me], 0, t_ints)
    assert got == ([x for p in range(n) for x in (p, 10 * p)] if me == 0 else [])
    got = comm.gather(me + 0.5, 0, t_double)
    assert got == ([p + 0.5 for p in range(n)] if me == 0 else [])

    assert comm.scatter([p * 1.5 for p in range(2 * n)] if me == 0 else None, 0,
                        fmi.types(fmi.datatypes.double_list, 2 * n)) == [2 * me * 1.5, (2 * me + 1) * 1.5]

    # reduce: the result at the root, the zero of the type elsewhere.
    assert comm.reduce(me + 1, root, fmi.func(fmi.op.sum), t_int) == (n * (n + 1) // 2 if me == root else 0)
    assert comm.reduce(2.0, root, fmi.func(fmi.op.prod), t_double) == (2.0 ** n if me == root else 0.0)
    assert comm.reduce([me, -me], root, fmi.func(fmi.op.max), t_ints) == ([n - 1, 0] if me == root else [0, 0])
    assert comm.reduce([me + 0.5, 1.0], root, fmi.func(fmi.op.min), t_doubles) == (
        [0.5, 1.0] if me == root else [0.0, 0.0])
    add = fmi.func(fmi.op.custom, lambda a, b: a + b, True, True)
    assert comm.reduce(me, root, add, t_int) == (n * (n - 1) // 2 if me == root else 0)
    assert comm.reduce([me, 2], root, add, t_ints) == ([n * (n - 1) // 2, 2 * n] if me == root else [0, 0])

    # allreduce and scan return the value on every peer.
    assert comm.allreduce(me + 1, fmi.func(fmi.op.sum), t_int) == n * (n + 1) // 2
    assert comm.allreduce(2.0, fmi.func(fmi.op.prod), t_double) == 2.0 ** n
    assert comm.allreduce(me, fmi.func(fmi.op.max), t_int) == n - 1
    assert comm.allreduce(float(me), fmi.func(fmi.op.min), t_double) == 0.0
    assert comm.allreduce([me, 1], fmi.func(fmi.op.sum), t_ints) == [n * (n - 1) // 2, n]
    assert comm.scan(me + 1, fmi.func(fmi.op.sum), t_int) == (me + 1) * (me + 2) // 2
    assert comm.scan(2.0, fmi.func(fmi.op.prod), t_double) == 2.0 ** (me + 1)
    assert comm.scan([me, 1], fmi.func(fmi.op.max), t_ints) == [me, 1]


def test_custom_list_ops_honour_the_flags(original_comm):
    """Custom functions on lists apply element-wise and, unlike the original,
    keep the user's flags: a non-commutative one is folded left to right."""
    comm = original_comm
    me, n = comm.peer_id, comm.num_peers
    f = fmi.func(fmi.op.custom, lambda a, b: 10 * a + b, False, False)
    got = comm.allreduce([me + 1, 1], f, fmi.types(fmi.datatypes.int_list, 2))
    first = 0
    for p in range(n):
        first = 10 * first + (p + 1)
    assert got == [first, int("1" * n)]
    prefix = int("".join(str(p + 1) for p in range(me + 1)))
    assert comm.scan([me + 1], f, fmi.types(fmi.datatypes.int_list, 1)) == [prefix]


def test_original_errors(original_comm):
    comm = original_comm
    n = comm.num_peers
    with pytest.raises(fmi.UsageError, match="scalar"):
        comm.scatter(1, 0, fmi.types(fmi.datatypes.int))
    if n > 1:
        with pytest.raises(fmi.UsageError, match="divisible"):
            comm.scatter([1] * (n + 1), 0, fmi.types(fmi.datatypes.int_list, n + 1))
    with pytest.raises(fmi.UsageError, match="num_objects"):
        comm.recv(0, fmi.types(fmi.datatypes.int_list))
    with pytest.raises(fmi.UsageError):
        fmi.types("int")
    comm.barrier()


def test_faas_memory_and_names():
    assert [d.name for d in fmi.datatypes] == ["int", "double", "int_list", "double_list"]
    assert [o.name for o in fmi.op] == ["sum", "prod", "max", "min", "custom"]
    assert {h.name for h in fmi.hints} == {"fast", "cheap"}
    assert fmi.func(fmi.op.sum) is fmi.SUM and fmi.func(fmi.op.min) is fmi.MIN
    custom = fmi.func(fmi.op.custom, max, True, False)
    assert custom.commutative and not custom.associative
