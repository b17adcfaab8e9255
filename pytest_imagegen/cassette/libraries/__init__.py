"""Interception of the HTTP libraries other than httpx: urllib3 (and so requests and botocore/boto3) and
aiohttp, with the httpx path's semantics, patched only when the application has imported them.

Every request, whichever library sends it, reaches the same cassette through the same calls as the
httpx/httpx2 stubs (``common.py``): one cassette per test and file format, the same matching,
redaction, trimming, leak scan, contract checks, record modes (``modes.py``), ``CassetteMiss`` and
miss messages; in mode ``none`` nothing leaves the machine.

Why the plugin's own small stubs and not vcrpy's (``vcr/stubs/``, ``vcr.patch.CassettePatcherBuilder``),
which speak a cassette protocol this plugin could implement:

- streams: vcrpy's urllib3 and aiohttp stubs read the whole reply before the caller sees a byte
  (``response.data`` / ``await response.read()``) and replay it as one buffer. Here a recording passes
  each chunk on as it arrives (an SSE stream's first event reaches the caller at once), and a replay
  hands the caller the recorded chunks one by one (``requests``' ``iter_content``/``iter_lines``,
  aiohttp's ``iter_chunks``/``async for line``), paced like the recording with
  ``replay_timing="recorded"``;
- import cost: importing any vcrpy module runs ``vcr/__init__``, which imports ``vcr.patch``, which
  imports every HTTP library installed (aiohttp, botocore, requests, tornado, httplib2: 280 ms measured
  here). These stubs import nothing: each is loaded when its library already is;
- one patch point per library, installed once and serving whichever cassette is active (as the httpx
  stubs do), instead of vcrpy's per-test patching of a dozen connection classes whose originals it
  captures when ``vcr.patch`` is first imported;
- ``CassetteMiss`` and the plugin's miss message come straight from the cassette, not from vcrpy's
  ``CannotOverwriteExistingCassetteException``.

What is patched: ``urllib3.HTTPConnectionPool.urlopen`` (``urllib3_stub.py``), which ``requests``'
adapter, botocore's session and urllib3's own ``PoolManager`` all call, and
``aiohttp.ClientSession._request`` (``aiohttp_stub.py``), which ``session.get/post/request`` call; and
botocore's ``URLLib3Session.send`` (``botocore_stub.py``), so that its retry handler neither wraps nor
retries a ``CassetteMiss``.

The import hook: ``activate()`` runs each time a cassette is activated. It patches the libraries already
in ``sys.modules`` and, once, puts a finder on ``sys.meta_path`` that patches each module of ``STUBS``
right after it is imported later (an application that imports ``requests``
inside the function under test). The finder answers every other import with one dict lookup; it never
imports a library itself.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["STUBS", "activate"]

#: The module a library is patched in -> the stub module that patches it.
STUBS = {
    "urllib3.connectionpool": "pytest_imagegen.cassette.libraries.urllib3_stub",
    "aiohttp.client": "pytest_imagegen.cassette.libraries.aiohttp_stub",
    # botocore sends through urllib3; this one only lets the plugin's errors out unwrapped, unretried.
    "botocore.httpsession": "pytest_imagegen.cassette.libraries.botocore_stub",
    # httpx and httpx2 have the plugin's transport stubs (``stubs.py``), put in place at each activation;
    # one imported while a cassette is active gets them right after its import.
    "httpx": "pytest_imagegen.cassette.stubs",
    "httpx2": "pytest_imagegen.cassette.stubs",
}


def _patch(name: str) -> None:
    importlib.import_module(STUBS[name]).install(sys.modules[name])


class _ImportHook:
    """Patches a library's module right after it is executed (see the module docstring)."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name not in STUBS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: ModuleSpec | None = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader: Any = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            _patch(name)

        loader.exec_module = exec_module
        return spec


_HOOK = _ImportHook()
_OWN = frozenset({"httpx", "httpx2"})


def activate() -> None:
    """Patch every library already imported, and watch for the others (cheap: two dict lookups)."""
    for name in STUBS:
        if name in sys.modules and name not in _OWN:  # httpx's and httpx2's: ``stubs.activate``
            _patch(name)
    if _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)
