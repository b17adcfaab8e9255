"""A service on 127.0.0.1 that answers whatever a test says: for replies the emulator never sends.

``Loopback(reply)`` serves every request with ``reply(request) -> Reply``; the default numbers its replies
(``{"n": 1}``, ``{"n": 2}``, ...) so a replay shows whose reply it returned. Real HTTP over a real socket:
the plugin's stubs record it as they record any service. Stop it (leave the ``with``) before replaying.
"""

from __future__ import annotations

import http.server
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

__all__ = ["Loopback", "Reply", "Seen", "numbered"]


@dataclass(frozen=True)
class Seen:
    """A request as the service received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})


def numbered() -> Callable[[Seen], Reply]:
    """Replies ``{"n": 1}``, ``{"n": 2}``, ... in the order requests arrive."""
    counter = itertools.count(1)
    return lambda _seen: Reply(body=json.dumps({"n": next(counter)}).encode())


class Loopback:
    """The service; ``base_url`` while it runs, ``seen`` the requests it received."""

    def __init__(self, reply: Callable[[Seen], Reply] | None = None) -> None:
        self.reply = reply or numbered()
        self.seen: list[Seen] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                seen = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                owner.seen.append(seen)
                answer = owner.reply(seen)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: shutting down waits for the loop to notice (half a second by default).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
