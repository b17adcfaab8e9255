"""Which library a refused connection came through, read from the call stack (for the error message).

The socket guard (``cassette/network.py``) refuses every connection in record mode ``none``. A request
that reached a socket went around the cassette: through a library the plugin does not intercept
(``urllib.request``, ``http.client``, ``websockets``, an SDK with its own transport), or below the level
it intercepts. Naming the library turns a network error into the fix: use an intercepted library there,
allow the host, or record the test another way.
"""

from __future__ import annotations

import sys
import sysconfig
from types import FrameType

__all__ = ["INTERCEPTED", "calling_library"]

#: What the plugin records, as the README lists it.
INTERCEPTED = "httpx, httpx2, requests, urllib3, botocore (boto3) and aiohttp"
#: Packages whose intercepted entry points are above the socket: seeing them here means a lower door.
_INTERCEPTED_TOPS = frozenset({"httpx", "httpx2", "httpcore", "requests", "urllib3", "botocore", "aiohttp"})
# Frames between the library and the socket: the machinery of sockets, event loops and this plugin.
_PLUMBING = frozenset(
    {
        "socket",
        "ssl",
        "selectors",
        "asyncio",
        "threading",
        "concurrent",
        "contextlib",
        "anyio",
        "pytest_imagegen",
    }
)
# The standard library's HTTP modules, one family: urllib.request sends through http.client.
_STDLIB_HTTP = frozenset({"http", "urllib", "xmlrpc", "ftplib", "smtplib", "poplib", "imaplib", "nntplib"})


# Where installed libraries live: a frame elsewhere is the application's (or the test's) own code.
_LIBRARY_DIRS = tuple(
    {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    | {"site-packages", "dist-packages"}
)


def _family(name: str) -> str:
    top = name.split(".", 1)[0]
    return "stdlib-http" if top in _STDLIB_HTTP else top


def calling_library(frame: FrameType | None = None) -> tuple[str, bool] | None:
    """``(module, intercepted)``: the outermost module of the library that opened the connection (the one
    the application called, ``urllib.request`` rather than ``http.client``), and whether it is one the
    plugin intercepts; None when no library is on the stack (a raw socket)."""
    frame = frame or sys._getframe(1)
    names: list[str] = []
    while frame is not None:
        name = frame.f_globals.get("__name__") or ""
        if name.split(".", 1)[0] not in _PLUMBING and (not names or names[-1] != name):
            if not names and not any(part in frame.f_code.co_filename for part in _LIBRARY_DIRS):
                return None  # the application opened the socket itself
            names.append(name)
        frame = frame.f_back
    if not names:
        return None
    family, outer = _family(names[0]), names[0]
    for name in names[1:]:
        if _family(name) != family:
            break
        outer = name
    return outer, family in _INTERCEPTED_TOPS
