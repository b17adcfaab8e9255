"""fal.ai replies checked: the queued request names its URLs; a status read has a status the service
sends, and a ``COMPLETED`` one a ``response_url``; a result has images, each at an http(s) URL."""

from __future__ import annotations

from typing import Any

from pytest_imagegen.contract.fal.models import FalQueued, FalResult, FalStatus
from pytest_imagegen.contract.fal.validate import CANCEL, RESULT, STATUS, FalRequest
from pytest_imagegen.contract.polling import url_problem
from pytest_imagegen.contract.problems import Problems, schema_problems

__all__ = ["check_fal_reply"]


def _operation(document: Any) -> str:
    if not isinstance(document, dict):
        return RESULT
    return "fal" if "request_id" in document else STATUS if "status" in document else RESULT


def check_fal_reply(request: FalRequest | None, document: Any, *, strict: bool = False) -> Problems:
    """Every problem of a 2xx reply as ``(json path, message)`` (``request`` None: by its fields)."""
    operation = request.endpoint if request is not None else _operation(document)
    if operation == CANCEL:
        return []
    if operation == STATUS:
        status, problems = schema_problems(FalStatus, document, "$", strict)
        if status is not None and status.status == "COMPLETED" and not status.response_url:
            problems.append(("$.response_url", "a COMPLETED job names no response_url: its output is lost"))
        return problems
    if operation == RESULT:
        result, problems = schema_problems(FalResult, document, "$", strict)
        if result is None:
            return problems
        if not result.images:
            return [*problems, ("$.images", "a COMPLETED job has no images")]
        for i, image in enumerate(result.images):
            problems += url_problem(f"$.images[{i}].url", image.url, "an image")
        return problems
    queued, problems = schema_problems(FalQueued, document, "$", strict)
    if queued is not None:
        for name in ("status_url", "response_url", "cancel_url"):
            problems += url_problem(f"$.{name}", getattr(queued, name), "the job")
    return problems
