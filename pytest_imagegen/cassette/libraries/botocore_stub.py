"""botocore's stub: the plugin's own errors leave ``URLLib3Session.send`` as they are.

botocore sends through urllib3 (``urllib3_stub.py`` serves it), but its session turns every exception it
does not know into ``HTTPClientError``, which its retry handler retries as a connection problem. So a
``CassetteMiss``, a ``SchemaAssertionError`` or a refused connection (``NetworkBlockedError``) would come
out after three attempts, wrapped. Here the error the plugin raised is raised again, unwrapped, before
the retry handler sees it: it retries none of them, and the user meets the plugin's own message, as with
httpx and the openai SDK.

Loaded only when ``botocore.httpsession`` already is (see the package docstring).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["install"]


def _ours(error: object) -> bool:
    return isinstance(error, BaseException) and type(error).__module__.startswith("pytest_imagegen.")


def _stub(real: Callable[..., Any]) -> Callable[..., Any]:
    def send(session: Any, request: Any) -> Any:
        __tracebackhide__ = True
        try:
            return real(session, request)
        except Exception as exc:
            wrapped = getattr(exc, "kwargs", {}).get("error")
            if isinstance(wrapped, BaseException) and _ours(wrapped):
                raise wrapped from None
            raise

    send.imagegen_stub = True  # type: ignore[attr-defined]
    return send


def install(module: ModuleType) -> None:
    """Put the stub on ``URLLib3Session.send`` unless it is there (see ``urllib3_stub.install``)."""
    session_class = module.URLLib3Session
    current = session_class.send
    if getattr(current, "imagegen_stub", False):
        return
    session_class.send = _stub(current)
