"""``FAL``: fal.ai's queue as an API shape (a service one polls).

``POST /{owner}/{app}[/{path}]`` on ``queue.fal.run`` (``Authorization: Key ...``; the app ``fal-ai/...``,
the namespace of fal's hosted models) answers ``{"request_id", "status_url", "response_url",
"cancel_url", "queue_position"}``; ``GET status_url`` (``.../requests/{id}/status``) answers ``IN_QUEUE``,
``IN_PROGRESS``, then ``COMPLETED``; ``GET response_url`` (``.../requests/{id}``) answers the app's
output, for image apps ``{"images": [{"url", "width", "height", "content_type"}], "seed", ...}`` with the
images on fal's CDN (``v3.fal.media``), fetched with a plain GET. The Python client reads ``FAL_KEY``.
Validation is ``validate.py``, reply checks ``replies.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from pytest_imagegen.contract.polling import PollingShape
from pytest_imagegen.contract.shape import Call

if TYPE_CHECKING:
    from pytest_imagegen.contract.fal.validate import FalRequest

__all__ = ["FAL", "FalShape"]

_STATUS = re.compile(r"/requests/[\w-]+/status/?$")
_CANCEL = re.compile(r"/requests/[\w-]+/cancel/?$")
_RESULT = re.compile(r"/requests/[\w-]+/?$")
_PENDING = frozenset({"IN_QUEUE", "IN_PROGRESS"})
_FINAL = frozenset({"COMPLETED"})


class FalShape(PollingShape["FalRequest"]):
    name = "fal"
    api = "fal.ai queue API"
    path = re.compile(r"/fal-ai/[\w.-]+(?:/[\w.-]+)*/?$")
    operations = re.compile(r"(/fal-ai/[\w.-]+(?:/[\w.-]+)*?)/?$")
    methods = ("POST", "GET", "PUT")
    request_markers = ("num_images", "image_size", "enable_safety_checker")
    credential_headers = frozenset({"authorization"})
    key_variables = ("FAL_KEY",)
    error_context = "error reply of fal.ai"
    emulator = "pytest_imagegen.emulator.fal"

    @property
    def endpoints(self) -> tuple[str, ...]:
        return ("fal", "fal-status", "fal-result", "fal-cancel")

    def operation_of(self, path: str) -> str:
        if _STATUS.search(path):
            return "fal-status"
        if _CANCEL.search(path):
            return "fal-cancel"
        return "fal-result" if _RESULT.search(path) else "fal"

    def validate(self, call: Call) -> FalRequest:
        from pytest_imagegen.contract.fal.validate import validate_fal_request

        return validate_fal_request(call.operation, call.path or "", call.params, strict=call.strict)

    def reply_problems(
        self, request: FalRequest | None, reply: Any, *, strict: bool
    ) -> list[tuple[str, str]]:
        from pytest_imagegen.contract.fal.replies import check_fal_reply

        return check_fal_reply(request, reply, strict=strict)

    @property
    def error_model(self) -> Any:
        from pytest_imagegen.contract.fal.models import FalError

        return FalError

    def is_reply(self, reply: Any) -> bool:
        if not isinstance(reply, Mapping):
            return False
        return "request_id" in reply and "status_url" in reply

    def model_of(self, uri: str, params: Mapping[str, Any]) -> str:
        from pytest_imagegen.contract.fal.validate import app_of_path

        return app_of_path(urlsplit(uri).path) or "-"

    def volatile_value(self, key: str, value: Any) -> str | None:
        # Snapshots ask every shape about every key: only names no other shape's replies use.
        names = ("status_url", "response_url", "cancel_url")
        return f"<{key}>" if key in names and isinstance(value, str) else None

    def job_state(self, method: str, uri: str, status: int, body: Any) -> Literal["pending", "final"] | None:
        if method.upper() != "GET" or not _STATUS.search(urlsplit(uri).path):
            return None
        state = body.get("status") if isinstance(body, Mapping) else None
        return "pending" if state in _PENDING else "final" if state in _FINAL else None


FAL: Final = FalShape()
