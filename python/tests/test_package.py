"""The package itself: public names, type hints in step with the code,
docstrings, pickling of ops."""

import ast
import inspect
import os
import pickle

import fmi


def stub_names():
    """Top-level names and Communicator members declared in __init__.pyi."""
    path = os.path.join(os.path.dirname(fmi.__file__), "__init__.pyi")
    with open(path) as f:
        tree = ast.parse(f.read())
    top, members = set(), set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            top.add(node.name)
            if isinstance(node, ast.ClassDef) and node.name == "Communicator":
                members = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        elif isinstance(node, ast.AnnAssign):
            top.add(node.target.id)
        elif isinstance(node, ast.Assign):
            top.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return top, members


def public_methods(cls):
    return {name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}


def test_type_hints_cover_the_public_api():
    top, members = stub_names()
    assert set(fmi.__all__) <= top, set(fmi.__all__) - top
    assert public_methods(fmi.Communicator) <= members | {"rank", "size", "peer_id", "num_peers", "name", "timeout"}


def test_public_api_is_documented():
    for name in fmi.__all__:
        obj = getattr(fmi, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, name
    for name in public_methods(fmi.Communicator):
        assert getattr(fmi.Communicator, name).__doc__, name


def test_ops_pickle():
    assert pickle.loads(pickle.dumps(fmi.SUM)) is fmi.SUM
    op = pickle.loads(pickle.dumps(fmi.Op.create(max, True, False, vectorized=True)))
    assert (op.commutative, op.associative, op.vectorized, op(3, 4)) == (True, False, True, 4)
    assert pickle.loads(pickle.dumps(fmi.IN_PLACE)) is fmi.IN_PLACE


def test_version():
    assert fmi.__version__.count(".") == 2
    assert set(fmi.channels_built()) <= {"direct", "redis", "s3"}
