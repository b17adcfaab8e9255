"""Black Forest Labs replies checked: the submitted job names an http(s) ``polling_url``; a status read
has a status the service sends, and a ``Ready`` job has a ``result.sample`` URL to fetch its image from."""

from __future__ import annotations

from typing import Any

from pytest_imagegen.contract.bfl.models import BflJob, BflResult
from pytest_imagegen.contract.bfl.validate import RESULT, BflRequest
from pytest_imagegen.contract.polling import url_problem
from pytest_imagegen.contract.problems import Problems, schema_problems

__all__ = ["check_bfl_reply"]


def check_bfl_reply(request: BflRequest | None, document: Any, *, strict: bool = False) -> Problems:
    """Every problem of a 2xx reply as ``(json path, message)`` (``request`` None: by its fields)."""
    is_status = request.endpoint == RESULT if request is not None else "status" in document
    if not is_status:
        job, problems = schema_problems(BflJob, document, "$", strict)
        return problems + (url_problem("$.polling_url", job.polling_url, "the status") if job else [])
    result, problems = schema_problems(BflResult, document, "$", strict)
    if result is None or result.status != "Ready":
        return problems
    if result.result is None or "sample" not in result.result:
        return [*problems, ("$.result.sample", "a Ready job has no sample: its image cannot be fetched")]
    return problems + url_problem("$.result.sample", result.result["sample"], "the sample")
