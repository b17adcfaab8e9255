"""``STABILITY``: Stability AI's v2beta Stable Image API as an API shape.

``POST /v2beta/stable-image/generate/{ultra|core|sd3}`` takes multipart form data (even text only;
``authorization: Bearer``) and answers at once: the image's bytes with ``finish-reason`` and ``seed``
headers (``accept: image/*``), or ``{"image", "finish_reason", "seed"}`` (``accept: application/json``).
The asynchronous endpoints (``upscale/creative``, some edits) answer ``{"id"}``, and ``GET
/v2beta/results/{id}`` answers 202 ``{"id", "status": "in-progress"}`` until 200 with the image (bytes
or JSON, as accepted). A reply that is the image itself is checked as one (``image_replies``). Clients
read ``STABILITY_API_KEY``. Validation is ``validate.py``, reply checks ``replies.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from pytest_imagegen.contract.polling import PollingShape
from pytest_imagegen.contract.shape import Call

if TYPE_CHECKING:
    from pytest_imagegen.contract.stability.validate import StabilityRequest

__all__ = ["STABILITY", "StabilityShape"]

_RESULT = re.compile(r"/v2beta/results/[\w-]+/?$")


class StabilityShape(PollingShape["StabilityRequest"]):
    name = "stability"
    api = "Stability AI API"
    path = re.compile(r"/v2beta/(?:stable-image/(?:generate|upscale|edit|control)/[\w-]+|results/[\w-]+)/?$")
    operations = re.compile(
        r"(/v2beta/(?:stable-image/(?:generate|upscale|edit|control)/[\w-]+|results/[\w-]+))/?$"
    )
    takes_files = True
    image_replies = True
    request_markers = ("style_preset", "creativity")
    credential_headers = frozenset({"authorization"})
    key_variables = ("STABILITY_API_KEY",)
    image_fields = (("image",), ("result",))
    error_context = "error reply of Stability AI"
    emulator = "pytest_imagegen.emulator.stability"

    @property
    def endpoints(self) -> tuple[str, ...]:
        return ("stability", "stability-result")

    def operation_of(self, path: str) -> str:
        return "stability-result" if _RESULT.search(path) else "stability"

    def validate(self, call: Call) -> StabilityRequest:
        from pytest_imagegen.contract.stability.validate import validate_stability_request

        return validate_stability_request(
            call.operation, call.path or "", call.params, call.files, strict=call.strict
        )

    def reply_problems(
        self, request: StabilityRequest | None, reply: Any, *, strict: bool
    ) -> list[tuple[str, str]]:
        from pytest_imagegen.contract.stability.replies import check_stability_reply

        return check_stability_reply(request, reply, strict=strict)

    @property
    def error_model(self) -> Any:
        from pytest_imagegen.contract.stability.models import StabilityError

        return StabilityError

    def is_reply(self, reply: Any) -> bool:
        return (
            isinstance(reply, Mapping)
            and "finish_reason" in reply
            and ("image" in reply or "result" in reply)
        )

    def model_of(self, uri: str, params: Mapping[str, Any]) -> str:
        from pytest_imagegen.contract.stability.validate import operation_of_path

        operation = operation_of_path(urlsplit(uri).path)
        model = params.get("model")
        return f"{operation} {model}" if operation and isinstance(model, str) else operation or "-"

    def job_state(self, method: str, uri: str, status: int, body: Any) -> Literal["pending", "final"] | None:
        if method.upper() != "GET" or not _RESULT.search(urlsplit(uri).path):
            return None
        return "pending" if status == 202 else "final" if status == 200 else None


STABILITY: Final = StabilityShape()
