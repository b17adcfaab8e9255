"""``BFL``: Black Forest Labs' FLUX API as an API shape (a service one polls).

``POST /v1/{model}`` (``flux-2-pro``, ``flux-pro-1.1``, ``flux-dev``, ``flux-kontext-pro``...; the key in
``x-key``) answers ``{"id", "polling_url", "cost"}``; ``GET polling_url`` (``/v1/get_result?id=...``, on
another host than the submit at times, ``api.eu4.bfl.ai``) answers ``{"id", "status", "result",
"progress"}`` until the status is final; a ``Ready`` job's ``result.sample`` is a signed URL on
``delivery-*.bfl.ai`` that expires in minutes, fetched with a plain GET (no shape of its own: the engine
trims the image it returns). Validation is ``validate.py``, reply checks ``replies.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from pytest_imagegen.contract.polling import PollingShape
from pytest_imagegen.contract.shape import Call

if TYPE_CHECKING:
    from pytest_imagegen.contract.bfl.validate import BflRequest

__all__ = ["BFL", "BflShape"]

_RESULT_PATH = re.compile(r"/v1/get_result/?$")
_PENDING = frozenset({"Pending"})
_FINAL = frozenset({"Ready", "Error", "Content Moderated", "Request Moderated", "Task not found"})


class BflShape(PollingShape["BflRequest"]):
    name = "bfl"
    api = "Black Forest Labs API"
    path = re.compile(r"/v1/(?:flux[\w.-]*|get_result)/?$")
    operations = re.compile(r"(/v1/(?:flux[\w.-]*|get_result))/?$")
    request_markers = ("safety_tolerance", "prompt_upsampling")
    credential_headers = frozenset({"x-key"})
    key_variables = ("BFL_API_KEY",)
    error_context = "error reply of Black Forest Labs"
    emulator = "pytest_imagegen.emulator.bfl"

    @property
    def endpoints(self) -> tuple[str, ...]:
        return ("bfl", "bfl-result")

    def operation_of(self, path: str) -> str:
        return "bfl-result" if _RESULT_PATH.search(path) else "bfl"

    def validate(self, call: Call) -> BflRequest:
        from pytest_imagegen.contract.bfl.validate import validate_bfl_request

        return validate_bfl_request(call.operation, call.path or "", call.params, strict=call.strict)

    def reply_problems(
        self, request: BflRequest | None, reply: Any, *, strict: bool
    ) -> list[tuple[str, str]]:
        from pytest_imagegen.contract.bfl.replies import check_bfl_reply

        return check_bfl_reply(request, reply, strict=strict)

    @property
    def error_model(self) -> Any:
        from pytest_imagegen.contract.bfl.models import BflError

        return BflError

    def is_reply(self, reply: Any) -> bool:
        if not isinstance(reply, Mapping):
            return False
        return "polling_url" in reply or (reply.get("status") in _PENDING | _FINAL and "id" in reply)

    def model_of(self, uri: str, params: Mapping[str, Any]) -> str:
        from pytest_imagegen.contract.bfl.validate import model_of_path

        return model_of_path(urlsplit(uri).path) or "-"

    def volatile_value(self, key: str, value: Any) -> str | None:
        # Snapshots ask every shape about every key: only names no other shape's replies use.
        names = {"polling_url": "<polling_url>", "sample": "<signed sample URL>"}
        return names.get(key) if isinstance(value, str) else None

    def job_state(self, method: str, uri: str, status: int, body: Any) -> Literal["pending", "final"] | None:
        if method.upper() != "GET" or not _RESULT_PATH.search(urlsplit(uri).path):
            return None
        state = body.get("status") if isinstance(body, Mapping) else None
        return "pending" if state in _PENDING else "final" if state in _FINAL else None


BFL: Final = BflShape()
