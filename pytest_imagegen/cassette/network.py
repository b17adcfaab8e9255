"""Network blocking in record mode ``none``: for the whole session, and stricter while a replay-only
cassette is open.

In record mode ``none`` the httpx/httpx2 stubs answer from the cassette and raise ``CassetteMiss`` for
anything else; this module refuses the connections that get past them (another HTTP library, a raw
socket, a transport someone patched over the stubs, a thread still sending after its test ended), like
pytest-recording's ``network.py``. One patch of ``socket.socket.connect`` / ``connect_ex`` / ``sendto``
and ``socket.getaddrinfo`` serves a stack of policies; it is in place while any policy is:

- **session** (``block_session``), from the start to the end of a session whose record mode (command
  line, environment, ini or default) is ``none``: a connection to anything but this machine (the
  loopback range, ``localhost``) and a name lookup for any name but ``localhost`` are refused (a lookup
  is itself a packet to a resolver), unless the host is in ``allowed_hosts``. Loopback stays open:
  tests talk to local servers (a database, pytester sessions that record from the bundled emulator),
  and nothing sent there leaves the machine. The one exception is the service the cassettes stand for
  (``--imagegen-base-url`` / ``OPENAI_BASE_URL`` / ini, when it is on loopback, such as a local
  gateway): a replay-only session never talks to it, on any loopback address.
- **test** (``blocked_network``), while a cassette in mode ``none`` is open: every connection but a
  Unix socket or one to ``allowed_hosts`` is refused, loopback included.
- **open** (``network_open``), while a cassette in a recording mode is open (a marker or a conftest
  may set one in a session whose default is ``none``): nothing is refused, the session policy
  included; recording is what the network is for.

The topmost test or open policy decides; without one, every session policy must allow the connection.
Importing this module is cheap (the plugin does it at the start of every replay-only session); the
error class is loaded when something is refused.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["block_session", "blocked_network", "is_loopback", "network_open"]  # and NetworkBlockedError

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def __getattr__(name: str) -> Any:
    if name == "NetworkBlockedError":  # defined with the other errors; loaded only when asked for
        from pytest_imagegen.errors import NetworkBlockedError

        return NetworkBlockedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine: ``localhost`` or the loopback range."""
    name = host.strip("[]").lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    address = _address(name)
    if address is None:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


@dataclass(eq=False)
class _Policy:
    kind: str  # "session", "test" or "open"
    allowed: frozenset[str]
    denied_ports: frozenset[int] = frozenset()  # session: the loopback service the cassettes stand for
    test_id: str | None = None


_POLICIES: list[_Policy] = []
_LOCK = threading.Lock()
_RESOLVED: dict[str, frozenset[str]] = {}  # allowed host names -> the addresses they were looked up as
_REAL: dict[str, Any] = {}  # the functions the patch replaced
_PATCHED: dict[str, Any] = {}


def _allowed(host: str, policy: _Policy) -> bool:
    return host in policy.allowed or any(host in _RESOLVED.get(name, ()) for name in policy.allowed)


def _refusing(host: str, port: Any, *, lookup: bool) -> _Policy | None:
    """The policy that refuses a connection to (or, ``lookup``, a name lookup of) ``host``; None: allowed."""
    policies = list(_POLICIES)
    for policy in reversed(policies):
        if policy.kind == "open":
            return None
        if policy.kind == "test":
            passes = _allowed(host, policy) or (lookup and (is_loopback(host) or _address(host) is not None))
            return None if passes else policy
    for policy in policies:
        if _allowed(host, policy):
            continue
        if lookup:
            if not (is_loopback(host) or _address(host) is not None):
                return policy
        elif not is_loopback(host) or (isinstance(port, int) and port in policy.denied_ports):
            return policy
    return None


def _refuse(policy: _Policy, host: str, port: Any, *, lookup: bool) -> BaseException:
    from pytest_imagegen.errors import NetworkBlockedError

    what = f"name lookup of {host}" if lookup else f"network access to {host}:{port}"
    if policy.kind == "test":
        where = f" in {policy.test_id}" if policy.test_id else ""
        return NetworkBlockedError(
            f"{what} refused{where}: pytest-imagegen blocks the network in record mode 'none'. "
            f"{_through()}"
            "Record with --imagegen-record=once (or new_episodes), or list the host in imagegen_config "
            "allowed_hosts if the test really needs it. (An httpx or httpx2 request gets here only if "
            "something replaced the plugin's transport stubs during the test.)"
        )
    service = (
        "the service the cassettes were recorded from"
        if not lookup and is_loopback(host) and isinstance(port, int) and port in policy.denied_ports
        else "anything but this machine"
    )
    return NetworkBlockedError(
        f"{what} refused: the session runs in record mode 'none', so pytest-imagegen lets nothing reach "
        f"{service}, whether or not a cassette is open (a thread a test started may still be sending "
        f"after its test ended). {_through()}Record with --imagegen-record=once, or list the host in the ini option "
        "imagegen_allowed_hosts if a test really needs it."
    )


def _check(sock: Any, address: Any) -> None:
    if not _POLICIES or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets and the like never leave the machine
    if not (isinstance(address, tuple) and address):
        return
    host, port = str(address[0]), address[1] if len(address) > 1 else "?"
    policy = _refusing(host, port, lookup=False)
    if policy is not None:
        raise _refuse(policy, host, port, lookup=False)


def _connect(sock: Any, address: Any) -> Any:
    _check(sock, address)
    return _REAL["connect"](sock, address)


def _connect_ex(sock: Any, address: Any) -> Any:
    _check(sock, address)
    return _REAL["connect_ex"](sock, address)


def _sendto(sock: Any, data: Any, *args: Any) -> Any:
    if args:
        _check(sock, args[-1])
    return _REAL["sendto"](sock, data, *args)


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode("idna") if isinstance(host, bytes) else host
    if _POLICIES and isinstance(name, str) and name:
        policy = _refusing(name, None, lookup=True)
        if policy is not None:
            raise _refuse(policy, name, None, lookup=True)
    found = _REAL["getaddrinfo"](host, *args, **kwargs)
    if isinstance(name, str) and any(name in policy.allowed for policy in _POLICIES):
        _RESOLVED[name] = _RESOLVED.get(name, frozenset()) | {str(info[4][0]) for info in found}
    return found


def _install() -> None:
    if _PATCHED:
        return
    for name, target, wrapper in (
        ("connect", socket.socket, _connect),
        ("connect_ex", socket.socket, _connect_ex),
        ("sendto", socket.socket, _sendto),
        ("getaddrinfo", socket, _getaddrinfo),
    ):
        _REAL[name] = getattr(target, name)
        setattr(target, name, wrapper)
        _PATCHED[name] = wrapper


def _uninstall() -> None:
    for name, target in (
        ("connect", socket.socket),
        ("connect_ex", socket.socket),
        ("sendto", socket.socket),
        ("getaddrinfo", socket),
    ):
        wrapper = _PATCHED.pop(name, None)
        if wrapper is not None and getattr(target, name) is wrapper:  # nobody patched over it since
            setattr(target, name, _REAL[name])


def _push(policy: _Policy) -> Callable[[], None]:
    with _LOCK:
        _POLICIES.append(policy)
        _install()

    def pop() -> None:
        with _LOCK:
            if policy in _POLICIES:
                _POLICIES.remove(policy)
            if not _POLICIES:
                _uninstall()

    return pop


def block_session(allowed_hosts: Iterable[str] = (), *, service: str | None = None) -> Callable[[], None]:
    """Block the network for a replay-only session (see the module docstring); returns what ends it.

    ``service`` is the base URL the cassettes were recorded from, if one is configured: on loopback,
    its port is refused too."""
    denied: set[int] = set()
    if service and "://" in service:
        with contextlib.suppress(ValueError):
            parts = urlsplit(service)
            if parts.hostname and is_loopback(parts.hostname):
                denied.add(parts.port or (443 if parts.scheme == "https" else 80))
    return _push(_Policy("session", frozenset(allowed_hosts), frozenset(denied)))


@contextlib.contextmanager
def blocked_network(allowed_hosts: Iterable[str] = (), *, test_id: str | None = None) -> Iterator[None]:
    """Refuse outgoing connections (other than to ``allowed_hosts``) inside the block."""
    pop = _push(_Policy("test", frozenset(allowed_hosts), test_id=test_id))
    try:
        yield
    finally:
        pop()


@contextlib.contextmanager
def network_open() -> Iterator[None]:
    """Lift every policy inside the block (a cassette that records)."""
    pop = _push(_Policy("open", frozenset()))
    try:
        yield
    finally:
        pop()
