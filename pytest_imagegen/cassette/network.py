"""Network blocking for replay-only tests.

In record mode ``none`` the httpx/httpx2 stubs answer from the cassette and raise ``CassetteMiss`` for
anything else; this module refuses every other connection attempt (another HTTP library, a raw socket)
so that nothing leaves the machine unnoticed. It patches ``socket.socket.connect``/``connect_ex`` for
the duration of a test, like pytest-recording's ``network.py``; Unix sockets and ``allowed_hosts``
pass.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable, Iterator
from typing import Any

from pytest_imagegen.errors import ImagegenError

__all__ = ["NetworkBlockedError", "blocked_network"]


class NetworkBlockedError(ImagegenError):
    """A connection was attempted while the network is blocked (record mode ``none``)."""


def _through() -> str:
    """Which library the connection came through, and what that means (``libraries/callers.py``)."""
    from pytest_imagegen.cassette.libraries.callers import INTERCEPTED, calling_library

    found = calling_library()
    if found is None:
        return "A raw socket connected; pytest-imagegen records only HTTP libraries. "
    module, intercepted = found
    if intercepted:
        return f"The request went through {module} below the level pytest-imagegen records. "
    return (
        f"This request went through {module}, which pytest-imagegen does not record "
        f"(it records {INTERCEPTED}). "
    )


def _host_of(address: Any) -> str:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return str(address)


@contextlib.contextmanager
def blocked_network(allowed_hosts: Iterable[str] = (), *, test_id: str | None = None) -> Iterator[None]:
    """Refuse outgoing connections (other than to ``allowed_hosts``) inside the block."""
    allowed = frozenset(allowed_hosts)
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family == getattr(socket, "AF_UNIX", None):
            return
        host = _host_of(address)
        if host in allowed:
            return
        where = f" in {test_id}" if test_id else ""
        port = address[1] if isinstance(address, tuple) and len(address) > 1 else "?"
        raise NetworkBlockedError(
            f"network access to {host}:{port} "
            f"refused{where}: pytest-imagegen blocks the network in record mode 'none'. "
            f"{_through()}"
            "Record with --imagegen-record=once (or new_episodes), or list the host in imagegen_config "
            "allowed_hosts if the test really needs it."
        )

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    setattr(socket.socket, "connect", connect)  # noqa: B010 - a method swap that mypy would refuse
    setattr(socket.socket, "connect_ex", connect_ex)  # noqa: B010
    try:
        yield
    finally:
        setattr(socket.socket, "connect", real_connect)  # noqa: B010
        setattr(socket.socket, "connect_ex", real_connect_ex)  # noqa: B010
