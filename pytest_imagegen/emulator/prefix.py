"""Every operation the emulator knows, under any path prefix: a gateway's ``/openai/v1``, an ``/api/v1``
proxy, a base URL without ``/v1``, Cloudflare's ``/v1/{account}/{gateway}/google-ai-studio/v1beta``.

The real services sit behind such prefixes and the plugin matches requests on the operation path alone
(``cassette/match.py``), so the emulator answers ``POST /openai/v1/chat/completions`` as it answers
``POST /v1/chat/completions``. ``PathPrefix`` is an ASGI middleware that, for a path no route serves as it
is, tries the path's suffixes, longest first (each also under ``/v1``, for a base URL without it), against
the app's own routes: the routes each shape's emulator module declares (``routes(handler)``), so there is
no second table of operations here. It keeps the path as asked in the scope (``ASKED_PATH``) for the
request log. A path whose no suffix is served is left as it is: the routes answer it with the service's
404 (``Invalid URL``), marked as one the emulator cannot answer (``error_replies.invalid_url``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ASKED_PATH", "PathPrefix", "operation_route"]

#: The scope key holding the path as the client asked it, when the middleware rewrote it.
ASKED_PATH: Final = "imagegen.asked_path"


def _served(routes: Sequence[BaseRoute], scope: Scope, path: str) -> bool:
    probe: dict[str, Any] = {**scope, "path": path}
    return any(route.matches(probe)[0] is not Match.NONE for route in routes)


def operation_route(routes: Sequence[BaseRoute], scope: Scope) -> str | None:
    """The path among ``scope``'s path and its suffixes that one of ``routes`` serves, longest first
    (``/openai/v1/chat/completions`` -> ``/v1/chat/completions``), or None when none is served."""
    segments = scope["path"].split("/")[1:]
    for start in range(len(segments)):
        suffix = "/" + "/".join(segments[start:])
        for candidate in (suffix, "/v1" + suffix):
            if _served(routes, scope, candidate):
                return candidate
    return None


class PathPrefix:
    """Serves a known operation whatever precedes it in the path (see the module docstring)."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app, self.routes = app, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            asked = scope["path"]
            route = operation_route(self.routes, scope)
            if route is not None and route != asked:
                scope = {**scope, "path": route, "raw_path": route.encode(), ASKED_PATH: asked}
        await self.app(scope, receive, send)
