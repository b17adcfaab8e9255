"""``ApiShape``: one API shape as a plug-in, the one object each shape package exports.

An API shape is one wire format that carries images: the Images API, the Responses API's image tool, chat
completions with image output, the Gemini API (``contract/images``, ``contract/responses``,
``contract/chat``, ``contract/gemini``). Each package exports one ``ApiShape`` instance from its
``shape.py``, registered in ``contract/registry.py``. Every part of the plugin that treats shapes apart asks
the registry which shape it has, then asks the shape, never its name:

=============================  ====================================================================
who                            what it asks the shape
=============================  ====================================================================
the registry                   ``name``, ``path`` (a request's shape), ``endpoints``
matching (``cassette/match``)  ``operations`` (the operation path under any base URL),
                               ``volatile_query_keys`` and ``credential_query_keys`` (ignored)
the verdict                    ``methods``, ``recorded_call``, ``validate``, ``check_recorded_reply``,
(``cassette/checks``)          ``check_error_reply``, ``keeps_done``, ``image_replies``, ``api``
metadata, ``show``             ``model_of``, ``event_label``
re-recording (``core``)        ``volatile_fields``
redaction, dummy keys          ``credential_headers``, ``credential_query_keys``, ``key_variables``,
                               ``key_alternatives``
``validate_request``,          ``endpoints``, ``takes_files``, ``validate``, ``is_reply``,
``check_reply``                ``check_reply``
``assert_valid_reply``         ``claims_params``, ``operation_for``, ``file_params``, ``validate_call``
replay of polled jobs          ``job_state`` (a reply is a job's pending or final state)
(``cassette/polling``)
snapshots                      ``is_reply``, ``reply_heading``, ``stream_heading``, ``volatile_value``,
                               ``image_fields``
the emulator                   ``emulator``: the module whose ``routes(handler)`` serves the shape
=============================  ====================================================================

Most members have a default here; a shape sets the data it has (class attributes) and overrides
``validate`` and ``check_reply``, plus whatever it does differently.

Declaration light, behaviour on first use: matching, redaction and the dummy keys read a shape's data on
every request, and the engine must not pay for the contract's pydantic models until a verdict is needed
(start-up is part of the product). So a shape's module imports only ``re`` and light helpers at its top,
and its methods import the shape's validation and reply checks when first called.

Pure: no I/O; nothing here changes after the object is built.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

from pytest_imagegen.contract.uploads import FilesInput

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["SSE_DONE", "ApiShape", "Call", "ShapeRequest", "declared_images"]

#: A JSON path as steps: a key, or ``"*"`` for every element of an array.
FieldPath = tuple[str, ...]

#: The data of the SSE event that closes an OpenAI-style stream (``data: [DONE]``).
SSE_DONE: Final = "[DONE]"


class ShapeRequest(Protocol):
    """What every shape's validated request has: the operation it was validated for, and ``strict``."""

    @property
    def endpoint(self) -> str: ...

    @property
    def strict(self) -> bool: ...


RequestT = TypeVar("RequestT", bound=ShapeRequest)


@dataclass(frozen=True)
class Call:
    """One request to validate: the operation it calls (one of its shape's ``endpoints``), its body's
    parameters (JSON, or multipart text fields) and files, and the URL path, for shapes whose URL says
    more than the body (the Gemini API's model and method)."""

    operation: str
    params: Mapping[str, Any]
    files: FilesInput | None = None
    strict: bool = False
    path: str | None = None


class ApiShape(ABC, Generic[RequestT]):
    """One API shape: how its requests are recognised, checked and stored, and where its images and secrets
    sit. See the module docstring for who asks what."""

    # --- recognition and matching ---------------------------------------------------------------------

    #: The shape's name: ``validate_request``'s name for it (for a shape of one operation), its heading.
    name: str
    #: How messages name the API (``SchemaAssertionError``: "reply breaks the Gemini API contract").
    api: str
    #: The URL path of a request in it, matched with ``search`` so any base URL prefix passes.
    path: re.Pattern[str]
    #: The operation path under any base URL, in group 1 (matched with ``search``): what request
    #: matching compares, so a cassette recorded at ``https://api.openai.com/v1`` replays under a gateway's
    #: ``/openai/v1``. May be broader than ``path`` (sub-resources, methods the contract does not check).
    operations: re.Pattern[str]
    #: The HTTP methods its operations take (another method is a problem in the verdict).
    methods: tuple[str, ...] = ("POST",)
    #: Whether its requests carry files (multipart uploads); a JSON-only shape rejects ``files``.
    takes_files: bool = False
    #: Whether a 2xx reply may be the image itself (Stability's ``accept: image/*``): the verdict hands
    #: its checks the image's bytes instead of a JSON document.
    image_replies: bool = False

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The names ``validate_request`` and ``assert_valid_reply(endpoint=)`` take for it."""
        return (self.name,)

    def matches(self, uri: str) -> bool:
        """Whether a request to ``uri`` is in this shape."""
        return self.path.search(urlsplit(uri).path) is not None

    # --- the contract ---------------------------------------------------------------------------------

    @abstractmethod
    def validate(self, call: Call) -> RequestT:
        """Check one request (``validate_request``); raise ``RequestValidationError`` for the first problem.
        The request returned names its operation (``endpoint``): ``check_reply`` finds its shape by it."""

    @abstractmethod
    def check_reply(self, request: RequestT | None, reply: Any, *, strict: bool = False) -> None:
        """Check a reply (a JSON document, or a stream's events) against the contract and, given
        ``request``, against it; raise one ``SchemaAssertionError`` listing every problem."""

    def is_reply(self, reply: Any) -> bool:
        """Whether a reply (JSON, a model, or a list of events) is in this shape, told from itself alone."""
        return False

    #: How a problem in one of its error replies names it.
    error_context: str = "error reply"

    @property
    def error_model(self) -> type[BaseModel] | None:
        """The error envelope of its non-2xx replies (None: any body passes)."""
        return None

    def check_error_reply(self, body: Any, *, strict: bool = False) -> None:
        """Check a non-2xx reply's body against the shape's error envelope."""
        __tracebackhide__ = True
        if self.error_model is not None:
            from pytest_imagegen.contract.problems import check_envelope

            check_envelope(self.error_model, body, strict, context=self.error_context, api=self.api)

    # --- a stored interaction (the verdict, metadata, ``show``) ----------------------------------------

    #: Whether its checks read a stream as sent, its closing ``data: [DONE]`` included (so that a cut
    #: stream shows); the other shapes' checks never see that event.
    keeps_done: bool = False

    def recorded_call(
        self, uri: str, params: Mapping[str, Any], files: FilesInput | None, *, strict: bool = False
    ) -> Call:
        """The ``Call`` of a request as a cassette stored it: its URI, its body's params and files."""
        files = files if self.takes_files else None
        return Call(self.endpoints[0], params, files, strict, urlsplit(uri).path)

    def check_recorded_reply(self, request: RequestT | None, reply: Any, *, strict: bool = False) -> None:
        """``check_reply`` for a 2xx reply as a cassette stored it (``request`` None: the contract rejected
        the request, and the reply is checked by the shape it shows, as ``contract.check_reply`` does)."""
        if request is not None:
            self.check_reply(request, reply, strict=strict)
            return
        from pytest_imagegen.contract.replies import check_reply  # it asks the registry, which imports us

        check_reply(None, reply, strict=strict)

    def model_of(self, uri: str, params: Mapping[str, Any]) -> str:
        """The model a stored request asked for, as metadata and ``show`` name it (``-``: none)."""
        return str(params.get("model") or "-")

    def event_label(self, data: Mapping[str, Any]) -> str | None:
        """How ``show`` names one stream event's data (None: not one of this shape's events)."""
        kind = data.get("type")
        return str(kind) if kind else None

    # --- secrets and volatile values ------------------------------------------------------------------

    #: Request headers and query keys that carry its credentials: redacted (the built-in rules catch the
    #: usual names; these make sure), and the query keys are left out of matching.
    credential_headers: frozenset[str] = frozenset()
    credential_query_keys: frozenset[str] = frozenset()
    #: Other query keys that differ between runs without changing what is asked (left out of matching).
    volatile_query_keys: frozenset[str] = frozenset()
    #: Environment variables its clients read a key from: a missing one holds a dummy while a cassette is
    #: open; of each group in ``key_alternatives``, only while none holds a key.
    key_variables: tuple[str, ...] = ()
    key_alternatives: tuple[frozenset[str], ...] = ()

    def volatile_value(self, key: str, value: Any) -> str | None:
        """How a snapshot shows a reply value that changes on every call (an id), or None."""
        return None

    #: Where its JSON replies hold values that change on every call and mean nothing to a client
    #: (timings, progress, logs): recorded as stable stand-ins (numbers 0, ISO times the fixed time, ids
    #: stand-ins, other text emptied: ``safety/volatile.py``), so re-recording gives the same bytes. Ids,
    #: signed URLs and ``*_at`` times need no declaration: they are found by their shape.
    volatile_fields: tuple[FieldPath, ...] = ()

    # --- services that make you wait ------------------------------------------------------------------

    def job_state(self, method: str, uri: str, status: int, body: Any) -> Literal["pending", "final"] | None:
        """Whether a reply is a polled job's not-yet-final state ("pending"), its final state ("final"), or
        None: not a status read of this shape (the generic rule decides)."""
        return None

    # --- images, snapshots, assert_valid_reply ----------------------------------------------------------

    #: Where its base64 images (bare or as ``data:`` URLs) sit in requests, replies and stream events.
    #: Trimming finds images by content; this is what tests and tools check against.
    image_fields: tuple[FieldPath, ...] = ()

    @property
    def reply_heading(self) -> str:
        return f"{self.name} reply"

    @property
    def stream_heading(self) -> str:
        return f"{self.name} stream"

    #: Parameters only its requests have: a dict of SDK keyword arguments with one is in this shape.
    request_markers: tuple[str, ...] = ()

    def claims_params(self, params: Mapping[str, Any]) -> bool:
        """Whether a request given as SDK keyword arguments looks like one of this shape's."""
        return any(name in params for name in self.request_markers)

    def operation_for(self, params: Mapping[str, Any]) -> str:
        """Which of ``endpoints`` a request given as SDK keyword arguments calls."""
        return self.endpoints[0]

    def file_params(self, operation: str, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The SDK keyword arguments this call sends as files (the first one required: a stand-in image
        takes its place when it is left out)."""
        return ()

    def validate_call(self, call: Call, *, stream: bool) -> RequestT:
        """``validate`` for the keyword arguments a test passed to the SDK (``assert_valid_reply``); a
        reply that is a stream of events implies the request asked for one."""
        if stream and "stream" not in call.params:
            call = replace(call, params={**call.params, "stream": True})
        return self.validate(call)

    # --- the emulator -----------------------------------------------------------------------------------

    #: The module (dotted name) whose ``routes(handler)`` returns the emulator's routes for this shape, or
    #: None. A name rather than an import: the contract is pure and sits below the emulator, which imports
    #: it when it builds its app; a shape defined elsewhere (a test's) names its own module.
    emulator: str | None = None

    def __repr__(self) -> str:
        return f"<API shape {getattr(self, 'name', '?')!r}>"


def declared_images(shape: ApiShape[Any], document: Any, base: str = "$") -> Iterator[tuple[str, Any]]:
    """``(json path, value)`` for every place in ``document`` where ``shape`` puts an image, that exists."""
    for field in shape.image_fields:
        yield from _follow(document, field, base)


def _follow(node: Any, steps: FieldPath, path: str) -> Iterator[tuple[str, Any]]:
    if not steps:
        yield path, node
        return
    step, rest = steps[0], steps[1:]
    if step == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _follow(item, rest, f"{path}[{i}]")
    elif isinstance(node, dict) and step in node:
        yield from _follow(node[step], rest, f"{path}.{step}")
