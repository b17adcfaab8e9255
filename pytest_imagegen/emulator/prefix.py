"""Every operation the emulator knows, under any path prefix: a gateway's ``/openai/v1``, an ``/api/v1``
proxy, a base URL without ``/v1``, Cloudflare's ``/v1/{account}/{gateway}/google-ai-studio/v1beta``.

The real services sit behind such prefixes and the plugin matches requests on the operation path alone
(``cassette/match.py``), so the emulator answers ``POST /openai/v1/chat/completions`` as it answers
``POST /v1/chat/completions``. ``PathPrefix`` is an ASGI middleware that rewrites the path of a request
whose path ends with a known operation to that operation's own route, and keeps the path as asked in the
scope (``ASKED_PATH``) for the request log. A path that names no operation is left as it is: the routes
answer it with the service's 404 (``Invalid URL``), marked as one the emulator cannot answer
(``error_replies.invalid_url``).
"""

from __future__ import annotations

import re
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ASKED_PATH", "PathPrefix", "operation_route"]

#: The scope key holding the path as the client asked it, when the middleware rewrote it.
ASKED_PATH: Final = "imagegen.asked_path"

# (what the path ends with, the route it is served by); the first that matches wins (Azure before the
# plain Images API, whose operation ends its path too).
_ROUTES: Final = (
    (
        re.compile(r"/openai/deployments/(?P<deployment>[^/]+)/images/(?P<op>[^/]+)/?$"),
        "/openai/deployments/{deployment}/images/{op}",
    ),
    (re.compile(r"/images/(?P<op>generations|edits|variations)/?$"), "/v1/images/{op}"),
    (re.compile(r"/responses/?$"), "/v1/responses"),
    (re.compile(r"/chat/completions/?$"), "/v1/chat/completions"),
    (
        re.compile(r"/(?P<version>v1beta|v1|v1alpha)/models/(?P<target>[^/]+:[A-Za-z]+)/?$"),
        "/{version}/models/{target}",
    ),
)


def operation_route(path: str) -> str | None:
    """The route that serves ``path`` (``/openai/v1/chat/completions`` -> ``/v1/chat/completions``), or None
    when the path names no operation the emulator knows."""
    for pattern, route in _ROUTES:
        found = pattern.search(path)
        if found is not None:
            return route.format(**found.groupdict())
    return None


class PathPrefix:
    """Serves a known operation whatever precedes it in the path (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            asked = scope["path"]
            route = operation_route(asked)
            if route is not None and route != asked:
                scope = {**scope, "path": route, "raw_path": route.encode(), ASKED_PATH: asked}
        await self.app(scope, receive, send)
