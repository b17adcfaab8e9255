"""``REPLICATE``: Replicate's predictions as an API shape (a service one polls).

``POST /v1/models/{owner}/{name}/predictions`` (``Authorization: Bearer``; ``Prefer: wait`` may answer the
finished prediction at once) with ``{"input": {...}}`` answers a prediction; ``GET urls.get``
(``/v1/predictions/{id}``) reads it until its status is ``succeeded``, ``failed`` or ``canceled``; its
output URLs are on ``replicate.delivery``, fetched with a plain GET (no shape of their own: the engine
trims the images they return). The Python client reads ``REPLICATE_API_TOKEN``. Validation is
``validate.py``, reply checks ``replies.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from pytest_imagegen.contract.polling import PollingShape
from pytest_imagegen.contract.shape import Call

if TYPE_CHECKING:
    from pytest_imagegen.contract.replicate.validate import ReplicateRequest

__all__ = ["REPLICATE", "ReplicateShape"]

_READ = re.compile(r"/v1/predictions/[\w-]+(?:/cancel)?/?$")
_PENDING = frozenset({"starting", "processing"})
_FINAL = frozenset({"succeeded", "failed", "canceled"})
_TIMES = frozenset({"created_at", "started_at", "completed_at"})


class ReplicateShape(PollingShape["ReplicateRequest"]):
    name = "replicate"
    api = "Replicate API"
    path = re.compile(
        r"/v1/(?:(?:models|deployments)/[\w.-]+/[\w.-]+/predictions|predictions(?:/[\w-]+(?:/cancel)?)?)/?$"
    )
    operations = re.compile(
        r"(/v1/(?:(?:models|deployments)/[\w.-]+/[\w.-]+/predictions|predictions(?:/[\w-]+(?:/cancel)?)?))/?$"
    )
    credential_headers = frozenset({"authorization"})
    key_variables = ("REPLICATE_API_TOKEN",)
    error_context = "error reply of Replicate"
    emulator = "pytest_imagegen.emulator.replicate"

    @property
    def endpoints(self) -> tuple[str, ...]:
        return ("replicate", "replicate-prediction")

    def operation_of(self, path: str) -> str:
        return "replicate-prediction" if _READ.search(path) else "replicate"

    def validate(self, call: Call) -> ReplicateRequest:
        from pytest_imagegen.contract.replicate.validate import validate_replicate_request

        return validate_replicate_request(call.operation, call.path or "", call.params, strict=call.strict)

    def reply_problems(
        self, request: ReplicateRequest | None, reply: Any, *, strict: bool
    ) -> list[tuple[str, str]]:
        from pytest_imagegen.contract.replicate.replies import check_replicate_reply

        return check_replicate_reply(request, reply, strict=strict)

    @property
    def error_model(self) -> Any:
        from pytest_imagegen.contract.replicate.models import ReplicateError

        return ReplicateError

    def is_reply(self, reply: Any) -> bool:
        return (
            isinstance(reply, Mapping)
            and reply.get("status") in _PENDING | _FINAL
            and isinstance(reply.get("urls"), Mapping)
        )

    def model_of(self, uri: str, params: Mapping[str, Any]) -> str:
        from pytest_imagegen.contract.replicate.validate import model_of_path

        return model_of_path(urlsplit(uri).path) or str(params.get("version") or "-")

    def volatile_value(self, key: str, value: Any) -> str | None:
        # Snapshots ask every shape about every key: a time as text (an integer one is every shape's rule).
        return "<time>" if key in _TIMES and isinstance(value, str) else None

    def job_state(self, method: str, uri: str, status: int, body: Any) -> Literal["pending", "final"] | None:
        if method.upper() != "GET" or not _READ.search(urlsplit(uri).path):
            return None
        state = body.get("status") if isinstance(body, Mapping) else None
        return "pending" if state in _PENDING else "final" if state in _FINAL else None


REPLICATE: Final = ReplicateShape()
