# Type hints of the fmi package (the implementation is python/fmi/*.py and
# the extension fmi._fmi). See docs/python.md.
import builtins
import enum
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

__version__: str

Buffer = Any  # any object supporting the buffer protocol (numpy arrays, bytearray, memoryview, ...)


class _InPlace: ...


IN_PLACE: _InPlace


# ---- reductions ---------------------------------------------------------------
class Op:
    name: str
    commutative: bool
    associative: bool
    vectorized: bool

    @classmethod
    def create(cls, function: Callable[[Any, Any], Any], commutative: bool = ..., associative: bool = ...,
               *, vectorized: bool = ..., name: Optional[str] = ...) -> "Op": ...
    Create = create
    @property
    def is_builtin(self) -> bool: ...
    def __call__(self, a: Any, b: Any) -> Any: ...


SUM: Op
PROD: Op
MIN: Op
MAX: Op
LAND: Op
LOR: Op
LXOR: Op
BAND: Op
BOR: Op
BXOR: Op

_OpLike = Union[Op, Callable[[Any, Any], Any]]


# ---- the original FMI's names ---------------------------------------------------
class datatypes(enum.Enum):
    int = 0
    double = 1
    int_list = 2
    double_list = 3


class op(enum.Enum):
    sum = 0
    prod = 1
    max = 2
    min = 3
    custom = 4


class hints(enum.Enum):
    fast = "fast"
    cheap = "cheap"


class types:
    type: datatypes
    num_objects: Optional[builtins.int]

    def __init__(self, datatype: datatypes, num_objects: Optional[builtins.int] = ...) -> None: ...


def func(operation: op, function: Optional[Callable[[Any, Any], Any]] = ..., commutative: bool = ...,
         associative: bool = ...) -> Op: ...


# ---- errors ------------------------------------------------------------------
class Error(RuntimeError): ...


class ConfigError(Error):
    field: str


class UsageError(Error, ValueError): ...


class SizeMismatchError(Error):
    peer: builtins.int
    expected_bytes: builtins.int
    actual_bytes: builtins.int


class MismatchError(Error): ...


class TimeoutError(Error, builtins.TimeoutError):
    elapsed: float
    allowed: float


class IoError(Error, OSError): ...


class PeerLostError(IoError, ConnectionError):
    peer: builtins.int


class ServerError(IoError): ...


class AuthError(ServerError): ...


def channels_built() -> List[str]: ...


# ---- the communicator ----------------------------------------------------------
class Communicator:
    def __init__(self, peer_id: Optional[builtins.int] = ..., num_peers: Optional[builtins.int] = ...,
                 config: Union[None, str, os.PathLike, Dict[str, Any]] = ..., name: Optional[str] = ...,
                 faas_memory: Optional[builtins.int] = ...) -> None: ...

    @property
    def peer_id(self) -> builtins.int: ...
    @property
    def num_peers(self) -> builtins.int: ...
    @property
    def rank(self) -> builtins.int: ...
    @property
    def size(self) -> builtins.int: ...
    def Get_rank(self) -> builtins.int: ...
    def Get_size(self) -> builtins.int: ...
    @property
    def name(self) -> str: ...
    @property
    def timeout(self) -> float: ...

    def hint(self, hint: Union[None, hints, str] = ...) -> Optional[hints]: ...
    def statistics(self) -> List[Dict[str, Any]]: ...
    def budget(self, max_seconds: Optional[float] = ..., max_dollars: Optional[float] = ...) -> Optional[Dict[str, float]]: ...
    def pin(self, channel: Optional[str], operation: Optional[str] = ...) -> None: ...
    def pin_algorithm(self, algorithm: Optional[str], operation: str) -> None: ...
    def explain(self, operation: str, nbytes: int) -> Dict[str, Any]: ...
    def summary(self) -> str: ...
    def finalize(self) -> None: ...
    def Free(self) -> None: ...
    def __enter__(self) -> "Communicator": ...
    def __exit__(self, *exc: Any) -> bool: ...

    # buffer mode
    def Send(self, buf: Buffer, dest: builtins.int) -> None: ...
    def Recv(self, buf: Buffer, source: builtins.int) -> None: ...
    def Bcast(self, buf: Buffer, root: builtins.int = ...) -> None: ...
    def Barrier(self) -> None: ...
    def Gather(self, sendbuf: Union[Buffer, _InPlace], recvbuf: Optional[Buffer],
               root: builtins.int = ...) -> None: ...
    def Scatter(self, sendbuf: Optional[Buffer], recvbuf: Union[Buffer, _InPlace],
                root: builtins.int = ...) -> None: ...
    def Allgather(self, sendbuf: Union[Buffer, _InPlace], recvbuf: Buffer) -> None: ...
    def Reduce(self, sendbuf: Union[Buffer, _InPlace], recvbuf: Optional[Buffer], op: _OpLike = ...,
               root: builtins.int = ...) -> None: ...
    def Allreduce(self, sendbuf: Union[Buffer, _InPlace], recvbuf: Buffer, op: _OpLike = ...) -> None: ...
    def Scan(self, sendbuf: Union[Buffer, _InPlace], recvbuf: Buffer, op: _OpLike = ...) -> None: ...

    # object mode (types: the original FMI's typed calls)
    def send(self, obj: Any, dest: builtins.int, types: Optional[types] = ...) -> None: ...
    def recv(self, source: builtins.int, types: Optional[types] = ...) -> Any: ...
    def barrier(self) -> None: ...
    def bcast(self, obj: Any = ..., root: builtins.int = ..., types: Optional[types] = ...) -> Any: ...
    def gather(self, obj: Any, root: builtins.int = ..., types: Optional[types] = ...) -> Optional[List[Any]]: ...
    def scatter(self, objs: Optional[Sequence[Any]] = ..., root: builtins.int = ...,
                types: Optional[types] = ...) -> Any: ...
    def allgather(self, obj: Any) -> List[Any]: ...
    def reduce(self, obj: Any, op: Union[_OpLike, builtins.int] = ..., root: Union[builtins.int, Op] = ...,
               types: Optional[types] = ...) -> Any: ...
    def allreduce(self, obj: Any, op: _OpLike = ..., types: Optional[types] = ...) -> Any: ...
    def scan(self, obj: Any, op: _OpLike = ..., types: Optional[types] = ...) -> Any: ...
