"""What the emulator's services one polls share (``bfl.py``, ``fal.py``, ``replicate.py``,
``stability.py``): a book of submitted jobs, how many status reads stay pending, the host a client is sent
to for the next step, signed download URLs, the request log and raw replies.

How many status reads answer "not yet" before the final one: the request header ``x-emulator-pending``
(0-50), else ``DEFAULT_PENDING``; each pending read advertises the poll interval the services do,
``Retry-After: 1``. Hosts: the real services send the status read and the download to other hosts than
the submit (``api.eu4.bfl.ai``, ``replicate.delivery``); the emulator sends them to ``other_root``, the
same port under the other loopback name (``127.0.0.1`` and ``localhost``), or to the host the request
header ``x-emulator-poll-host`` names.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import math
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from pytest_imagegen.emulator.drawing import ImageSpec, render_encoded, seed_of
from pytest_imagegen.emulator.state import EmulatorState, LoggedRequest
from pytest_imagegen.emulator.transport import RawResponse

__all__ = [
    "DEFAULT_PENDING",
    "MEDIA_TYPES",
    "RETRY_AFTER",
    "Job",
    "JobBook",
    "aspect_size",
    "download",
    "drawn",
    "image_response",
    "json_response",
    "log",
    "new_id",
    "other_root",
    "pending_polls",
    "root",
    "sign",
    "signature_problem",
]

#: Status reads answered "pending" before the final one, unless the request says otherwise.
DEFAULT_PENDING: Final = 3
_MAX_PENDING: Final = 50
#: The poll interval advertised on a pending status read, in seconds.
RETRY_AFTER: Final = ("Retry-After", "1")
MEDIA_TYPES: Final = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_MAX_JOBS: Final = 1024


@dataclass
class Job:
    """One submitted job: what it draws and how many status reads stay pending."""

    id: str
    pending: int
    specs: list[ImageSpec]
    data: dict[str, Any] = field(default_factory=dict)
    reads: int = 0


class JobBook:
    """The jobs of one service, shared between the server's requests (one lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._made: dict[bytes, int] = {}

    def new_id(self, *parts: bytes | str) -> str:
        """A job id derived from what identifies the request and how many such requests came before: the
        same calls made again in a fresh emulator get the same ids, so re-recording them changes no
        cassette byte, and two equal requests still get two jobs."""
        key = seed_of(*parts)
        with self._lock:
            count = self._made[key] = self._made.get(key, 0) + 1
            while len(self._made) > _MAX_JOBS:
                del self._made[next(iter(self._made))]
        return str(uuid.UUID(bytes=seed_of(key, str(count))[:16], version=4))

    def add(self, job: Job) -> Job:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > _MAX_JOBS:
                del self._jobs[next(iter(self._jobs))]
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def read(self, job_id: str) -> tuple[Job | None, bool]:
        """The job and whether this status read finds it still pending (one pending read used)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None, False
            job.reads += 1
            if job.pending > 0:
                job.pending -= 1
                return job, True
            return job, False


def new_id() -> str:
    """An id for something no recording keeps (an error reply, a log entry)."""
    return str(uuid.uuid4())


def pending_polls(headers: Mapping[str, str]) -> int:
    """How many status reads of a job submitted with ``headers`` answer pending."""
    text = headers.get("x-emulator-pending", "")
    return min(int(text), _MAX_PENDING) if text.isdigit() else DEFAULT_PENDING


def root(request: Request) -> str:
    """``http://127.0.0.1:PORT``: where the request came in."""
    return str(request.base_url).rstrip("/")


def other_root(request: Request) -> str:
    """Where the client is sent for the next step: ``x-emulator-poll-host``, else the other loopback name
    of the same port (all of 127/8 is loopback, and ``localhost`` is 127.0.0.1)."""
    url = urlsplit(root(request))
    asked = request.headers.get("x-emulator-poll-host", "")
    host = asked or ("localhost" if url.hostname != "localhost" else "127.0.0.1")
    return f"{url.scheme}://{host}:{url.port}" if url.port else f"{url.scheme}://{host}"


def aspect_size(ratio: str | None, default: tuple[int, int] = (1024, 1024)) -> tuple[int, int]:
    """About one megapixel at ``ratio`` (``16:9``), each edge a multiple of 32."""
    try:
        wide, high = (float(part) for part in (ratio or "").split(":"))
    except ValueError:
        return default
    if wide <= 0 or high <= 0:
        return default
    width = round(math.sqrt(wide / high * 1024 * 1024) / 32) * 32
    height = round(math.sqrt(high / wide * 1024 * 1024) / 32) * 32
    return max(width, 32), max(height, 32)


async def drawn(spec: ImageSpec) -> bytes:
    return await anyio.to_thread.run_sync(render_encoded, spec)


def _mac(key: bytes, path: str, expiry: str) -> str:
    digest = hmac.new(key, f"{path}\n{expiry}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


_SAS_TIME: Final = "%Y-%m-%dT%H:%M:%SZ"


def sign(state: EmulatorState, url_root: str, path: str, lifetime: float) -> str:
    """A download URL of ``path`` under ``url_root`` signed with the emulator's key, valid ``lifetime``
    seconds: a storage SAS as the services' delivery URLs are (``se``: the expiry, ``sig``: the
    signature; the plugin stores neither as sent)."""
    expiry = time.strftime(_SAS_TIME, time.gmtime(state.clock() + lifetime))
    signature = _mac(state.signing_key, path, expiry)
    return f"{url_root}{path}?se={expiry.replace(':', '%3A')}&sp=r&sr=b&sig={signature}"


def signature_problem(state: EmulatorState, request: Request) -> str | None:
    """Why a signed download URL may not be served now, or None."""
    expiry = request.query_params.get("se", "")
    signature = request.query_params.get("sig", "")
    if not hmac.compare_digest(_mac(state.signing_key, request.url.path, expiry), signature):
        return "Signature did not match"
    try:
        expires_at = calendar.timegm(time.strptime(expiry, _SAS_TIME))
    except ValueError:
        return "Signed expiry time is not a time"
    return "Signed expiry time has passed" if state.clock() > expires_at else None


def log(state: EmulatorState, request: Request, status: int, params: Mapping[str, Any], rid: str) -> None:
    """The request in the emulator's log, with the status it was answered with."""
    state.log(
        LoggedRequest(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers=dict(request.headers),
            params=dict(params),
            files=(),
            status=status,
            fault=None,
            request_id=rid,
        )
    )


def json_response(status: int, document: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    return RawResponse(status, json.dumps(document).encode(), headers or [], "application/json")


async def image_response(spec: ImageSpec) -> Response:
    """The image ``spec`` asks for, as a CDN serves it: its bytes, with its media type."""
    return RawResponse(200, await drawn(spec), [], MEDIA_TYPES[spec.output_format])


async def download(state: EmulatorState, request: Request, job: Job | None, index: str, rid: str) -> Response:
    """Output ``index`` (digits) of ``job`` as a CDN serves it, logged under ``rid``; 404 when there is no
    such job or output."""
    found = job is not None and index.isdigit() and int(index) < len(job.specs)
    log(state, request, 200 if found else 404, {}, rid)
    if job is None or not found:
        return RawResponse(404, b"Not Found", [], "text/plain")
    return await image_response(job.specs[int(index)])
