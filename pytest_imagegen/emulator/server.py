"""``Emulator``: the app served by uvicorn on a loopback socket, in a background thread or the foreground.

The socket is bound here, before uvicorn starts, so the port (even ``port=0``) is known at once and a
bind error is raised in the caller's thread. ``start()`` returns when uvicorn's startup has finished
(signalled through a ``threading.Event``, not by polling).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from pytest_imagegen.emulator.app import create_app
from pytest_imagegen.emulator.identity import organization_id, project_id, random_token
from pytest_imagegen.emulator.state import (
    FAULT_KINDS,
    EmulatorState,
    Fault,
    FaultKind,
    LoggedRequest,
    ReplyTransform,
)
from pytest_imagegen.emulator.transport import is_abort

__all__ = ["Emulator"]

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


class _QuietAbort(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" record for a deliberate ``ConnectionAbort``."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return error is None or not is_abort(error)


def _install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietAbort) for f in logger.filters):
        logger.addFilter(_QuietAbort())


class _Server(uvicorn.Server):
    """uvicorn's server, telling a waiting thread when startup is over (whether it worked or not)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self._on_started()


class Emulator:
    """An emulator of the Images API on ``host:port`` (``port=0``: a free port).

    ``api_key=None`` accepts any key starting with ``sk-``; a string accepts exactly that key.
    ``google_api_key`` is the same for the Gemini API routes (None: any ``AIza...`` key, or the plugin's
    dummy key).
    ``organization``, ``project`` and ``cookie_secret`` default to random values in the real shapes;
    set them to canary strings to prove they never reach a cassette. ``clock`` replaces ``time.time``
    for ``created`` and signed-URL expiry.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        google_api_key: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        cookie_secret: str | None = None,
        user: str | None = None,
        clock: Callable[[], float] = time.time,
        log_level: str = "warning",
        access_log: bool = False,
    ) -> None:
        self.state = EmulatorState(
            api_key=api_key,
            google_api_key=google_api_key,
            organization=organization or organization_id(),
            project=project or project_id(),
            cookie_secret=cookie_secret or random_token(32),
            user=user or "user-" + random_token(24),
            clock=clock,
        )
        self.host = host
        self._requested_port = port
        self._log_level = log_level
        self._access_log = access_log
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    # -- addresses -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port (known once started)."""
        if self._port is None:
            raise RuntimeError("the emulator was never started: call start() or use it as a context manager")
        return self._port

    @property
    def root_url(self) -> str:
        """``http://HOST:PORT`` (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1``: what an OpenAI client takes as ``base_url``."""
        return f"{self.root_url}/v1"

    # -- introspection and faults ------------------------------------------------------------------
    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request received (API calls, image downloads, unknown URLs) since creation or the last
        ``reset()``, oldest first."""
        return self.state.requests

    @property
    def organization(self) -> str:
        return self.state.organization

    @property
    def project(self) -> str:
        return self.state.project

    @property
    def cookie_secret(self) -> str:
        """The prefix of every ``__cf_bm`` / ``_cfuvid`` cookie value this emulator sets."""
        return self.state.cookie_secret

    def inject_fault(
        self,
        kind: FaultKind,
        count: int = 1,
        *,
        retry_after: float = 1,
        retry_after_ms: int | None = None,
    ) -> None:
        """Make the next ``count`` API requests fail with ``kind``, then serve normally again.

        ``rate_limit``: 429 with ``retry-after`` (whole seconds, at least 1), ``retry-after-ms`` (given,
        or ``retry_after`` in ms) and ``x-should-retry: true``. ``server_error``: 500. ``disconnect``:
        the connection drops mid-reply (after the first event of a stream, or half of a plain body).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose one of {', '.join(FAULT_KINDS)}")
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        ms = retry_after_ms if retry_after_ms is not None else round(retry_after * 1000)
        self.state.add_faults(Fault(kind, retry_after_ms=ms), count)

    def reset(self) -> None:
        """Clear pending faults and the request log."""
        self.state.reset()

    def transform_replies(self, transform: ReplyTransform | None) -> None:
        """Rewrite every reply from now on with ``transform`` (None: send replies as they are again).

        It is called with a ``ReplyPart`` for each JSON reply body and each stream event, and returns
        the document to send instead (None: unchanged; for an event, a list of events to send in its
        place). This plays a service whose API moved: a field renamed or added, an image of another
        size, one stream event more::

            def renamed(part):
                if part.event is None and "output_format" in part.document:
                    document = dict(part.document)
                    document["format"] = document.pop("output_format")
                    return document
                return None

            emulator.transform_replies(renamed)
        """
        self.state.reply_transform = transform

    # -- lifecycle -----------------------------------------------------------------------------
    def _prepare(self, on_started: Callable[[], None]) -> _Server:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        _install_log_filter()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._socket = socket.create_server((self.host, self._requested_port), family=family)
        self._port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.state),
            # uvicorn's own log config would reconfigure logging process-wide (and pytest's capture).
            log_config=None,
            log_level=self._log_level,
            access_log=self._access_log,
            server_header=False,  # "server: cloudflare" is sent instead
            lifespan="off",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=2,
        )
        self._server = _Server(config, on_started=on_started)
        return self._server

    def start(self) -> Emulator:
        """Serve in a background thread; returns once the server accepts connections."""
        self._started.clear()
        server = self._prepare(on_started=self._started.set)
        sock = self._socket
        assert sock is not None

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # SystemExit from a failed startup included
                self._error = exc
            finally:
                self._started.set()

        self._thread = threading.Thread(target=run, name=f"imagegen-emulator-{self.port}", daemon=True)
        self._thread.start()
        if not self._started.wait(_START_TIMEOUT) or not server.started:
            self.stop()
            raise RuntimeError(f"the emulator did not start on {self.root_url}: {self._error!r}")
        return self

    def serve_forever(self, on_ready: Callable[[Emulator], None] | None = None) -> None:
        """Serve in this thread until SIGINT / SIGTERM; ``on_ready`` runs once connections are accepted."""
        server = self._prepare(on_started=lambda: on_ready(self) if on_ready is not None else None)
        sock = self._socket
        assert sock is not None
        try:
            server.run(sockets=[sock])
        finally:
            self._cleanup()

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(_STOP_TIMEOUT)
            if thread.is_alive():
                # Streams still open after the graceful timeout: cut them.
                assert server is not None
                server.force_exit = True
                thread.join(_STOP_TIMEOUT)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"<Emulator {where}>"
