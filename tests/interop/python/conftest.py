"""The running suite, as the Rust harness (tests/interop.rs) describes it in CREDIT_INTEROP_SUITE,
and stubs generated from proto/ with grpcio-tools, as a Python team would generate them."""
import importlib
import json
import os
import pathlib
import sys
import tempfile

import grpc
import pytest
from grpc_tools import protoc

SUITE = json.loads(pathlib.Path(os.environ["CREDIT_INTEROP_SUITE"]).read_text())


def _generate_stubs() -> None:
    out = tempfile.mkdtemp(prefix="credit-interop-stubs-")
    proto_dir = pathlib.Path(SUITE["proto_dir"])
    # google/ holds vendored common types; Python has them from googleapis-common-protos.
    files = sorted(
        str(p.relative_to(proto_dir))
        for p in proto_dir.rglob("*.proto")
        if p.relative_to(proto_dir).parts[0] != "google"
    )
    include = str(pathlib.Path(protoc.__file__).parent / "_proto")
    code = protoc.main(
        ["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *files]
    )
    assert code == 0, f"protoc failed ({code}) on {files}"
    sys.path.insert(0, out)


_generate_stubs()


def module(name: str):
    """A generated module, for example module("credit.limits.v1.limits_pb2")."""
    return importlib.import_module(name)


def address(package: str, via: str) -> str:
    """Where a call to `package` goes: through the gateway or straight to its service."""
    if via == "gateway":
        return SUITE["gateway"]["address"]
    return SUITE["services"][package]["address"]


_channels: dict = {}


def channel(target: str, compression=None) -> grpc.Channel:
    key = (target, compression)
    if key not in _channels:
        _channels[key] = grpc.insecure_channel(
            target,
            compression=compression,
            options=[
                ("grpc.max_send_message_length", -1),
                ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ],
        )
    return _channels[key]


def auth(role: str = "admin") -> list:
    return [("authorization", "Bearer " + SUITE["tokens"][role])]


@pytest.fixture(scope="session", autouse=True)
def close_channels():
    yield
    for ch in _channels.values():
        ch.close()
