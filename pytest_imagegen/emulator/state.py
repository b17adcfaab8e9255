"""What an emulator knows and remembers: its identity, pending faults, the request log, minted URLs.

``EmulatorState`` is shared between the server thread (the app reads and appends) and the test thread
(which injects faults and reads the log), so every mutation goes through one lock.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_imagegen.emulator.drawing import ImageSpec
from pytest_imagegen.emulator.identity import organization_id, project_id, random_token
from pytest_imagegen.emulator.signed_urls import UrlSigner

__all__ = [
    "EmulatorState",
    "Fault",
    "FaultKind",
    "FileDigest",
    "LoggedRequest",
    "ReplyPart",
    "ReplyTransform",
]

FaultKind = Literal["rate_limit", "server_error", "disconnect"]
FAULT_KINDS: tuple[FaultKind, ...] = ("rate_limit", "server_error", "disconnect")

# The number of minted dall-e URLs whose image recipe is remembered (oldest forgotten first).
_MAX_REMEMBERED_URLS = 1024
# The number of Responses API replies remembered for ``previous_response_id`` (oldest forgotten first).
_MAX_REMEMBERED_RESPONSES = 1024


@dataclass(frozen=True)
class Fault:
    """One injected failure, consumed by one API request."""

    kind: FaultKind
    retry_after_ms: int = 1000


@dataclass(frozen=True)
class FileDigest:
    """An uploaded file as the log keeps it: names and a digest, not the bytes."""

    part: str
    filename: str | None
    content_type: str | None
    size: int
    sha256: str


@dataclass(frozen=True)
class LoggedRequest:
    """One request the emulator received and the status it answered with."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    params: Mapping[str, Any]
    files: tuple[FileDigest, ...]
    status: int
    request_id: str
    fault: FaultKind | None = None


@dataclass(frozen=True)
class ReplyPart:
    """One piece of a reply about to be sent, as a reply transform sees it.

    ``document`` is the parsed JSON body of a reply (``event`` is None), or the data of one stream event
    (``event`` is its position in the stream, counted as the emulator made them). ``params`` are the
    request's parameters (its JSON body, or a multipart body's text fields).
    """

    path: str
    status: int
    document: dict[str, Any]
    event: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


#: Changes what the emulator sends, to play a service whose API moved (drift tests): called with each
#: JSON reply and each stream event, it returns the document to send instead, None to send it as it is,
#: or, for a stream event, a list of events to send in its place (``[]`` drops it, two add one).
ReplyTransform = Callable[[ReplyPart], "dict[str, Any] | list[dict[str, Any]] | None"]


@dataclass
class EmulatorState:
    """Configuration and shared mutable state of one emulator instance.

    ``api_key=None`` accepts any non-empty key starting with ``sk-``. ``organization``, ``project``
    and ``cookie_secret`` appear verbatim in reply headers, cookies, dall-e URLs and the 429 message,
    so a test can set them to canary strings and prove none reach a cassette. ``clock`` gives the
    current Unix time (``created``, URL expiry), replaceable so tests can move time without sleeping.
    ``reply_transform`` (see ``ReplyTransform``) rewrites replies before they are sent.
    """

    api_key: str | None = None
    #: The Gemini API's key (``x-goog-api-key`` or ``?key=``); None accepts any ``AIza...`` key and the
    #: plugin's dummy key (what a recording from the emulator sends).
    google_api_key: str | None = None
    organization: str = field(default_factory=organization_id)
    project: str = field(default_factory=project_id)
    cookie_secret: str = field(default_factory=lambda: random_token(32))
    user: str = field(default_factory=lambda: "user-" + random_token(24))
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    clock: Callable[[], float] = time.time
    reply_transform: ReplyTransform | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._log: list[LoggedRequest] = []
        self._urls: dict[str, ImageSpec] = {}
        self._responses: dict[str, ImageSpec | None] = {}
        self._served = 0
        self.signer = UrlSigner(self.signing_key, self.organization, self.user)

    # -- faults ---------------------------------------------------------------------------------
    def add_faults(self, fault: Fault, count: int) -> None:
        with self._lock:
            self._faults.extend([fault] * count)

    def take_fault(self) -> Fault | None:
        """The fault the current request must suffer, if any (each pending fault is used once)."""
        with self._lock:
            return self._faults.popleft() if self._faults else None

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    # -- request log -----------------------------------------------------------------------------
    def log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)
            self._served += 1

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def next_request_number(self) -> int:
        """How many requests were answered before this one (drives the rate-limit counters)."""
        with self._lock:
            return self._served

    # -- minted URLs -----------------------------------------------------------------------------
    def remember_url(self, image_name: str, spec: ImageSpec) -> None:
        with self._lock:
            self._urls[image_name] = spec
            while len(self._urls) > _MAX_REMEMBERED_URLS:
                del self._urls[next(iter(self._urls))]

    def url_image(self, image_name: str) -> ImageSpec | None:
        with self._lock:
            return self._urls.get(image_name)

    # -- Responses API conversations ---------------------------------------------------------------
    def remember_response(self, response_id: str, image: ImageSpec | None) -> None:
        """A response a later request may continue (``previous_response_id``), with the image it made."""
        with self._lock:
            self._responses[response_id] = image
            while len(self._responses) > _MAX_REMEMBERED_RESPONSES:
                del self._responses[next(iter(self._responses))]

    def previous_response(self, response_id: str) -> tuple[bool, ImageSpec | None]:
        """Whether ``response_id`` is a response this emulator made, and the image it made (if any)."""
        with self._lock:
            return response_id in self._responses, self._responses.get(response_id)

    def reset(self) -> None:
        """Forget pending faults and the request log (minted URLs stay valid until they expire)."""
        with self._lock:
            self._faults.clear()
            self._log.clear()
