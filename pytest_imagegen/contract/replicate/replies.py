"""Replicate replies checked: a prediction with a status the service sends and a ``urls.get`` to read it
at; a succeeded prediction has output (a URL or a list of them, as many as ``num_outputs`` asked)."""

from __future__ import annotations

from typing import Any

from pytest_imagegen.contract.polling import url_problem
from pytest_imagegen.contract.problems import Problems, schema_problems
from pytest_imagegen.contract.replicate.models import Prediction
from pytest_imagegen.contract.replicate.validate import ReplicateRequest

__all__ = ["check_replicate_reply"]


def _output_problems(output: Any, count: int | None) -> Problems:
    urls = output if isinstance(output, list) else [output]
    if output is None or output == "" or not urls:
        return [("$.output", "a succeeded prediction has no output")]
    problems: Problems = []
    if isinstance(output, list) and count is not None and len(urls) != count:
        problems.append(("$.output", f"{len(urls)} output(s), {count} asked (num_outputs)"))
    for i, url in enumerate(urls):
        if not (isinstance(url, str) and url.startswith("data:")):
            where = f"$.output[{i}]" if isinstance(output, list) else "$.output"
            problems += url_problem(where, url, "an output")
    return problems


def check_replicate_reply(
    request: ReplicateRequest | None, document: Any, *, strict: bool = False
) -> Problems:
    """Every problem of a 2xx reply as ``(json path, message)``."""
    prediction, problems = schema_problems(Prediction, document, "$", strict)
    if prediction is None:
        return problems
    problems += url_problem("$.urls.get", prediction.urls.get, "the prediction")
    if prediction.status == "succeeded":
        problems += _output_problems(prediction.output, request.count if request is not None else None)
    return problems
