"""Replicate's predictions (``POST /v1/models/{owner}/{name}/predictions``, ``GET /v1/predictions/{id}``):
the ``replicate`` shape.

Its API shape is ``REPLICATE`` (``shape.py``). A prediction is created, read until its status is final,
and a succeeded one's output URLs fetched.

- ``validate_request("replicate", body, path=...)`` (or ``validate_replicate_request``) ->
  ``ReplicateRequest``; ``"replicate-prediction"`` for a read;
- ``check_reply(request, reply)`` (or ``check_replicate_reply``, which returns the problems).

Pure: no pytest, no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_imagegen.contract import lazy
from pytest_imagegen.contract.replicate.shape import REPLICATE as REPLICATE

if TYPE_CHECKING:
    from pytest_imagegen.contract.replicate.models import Prediction as Prediction
    from pytest_imagegen.contract.replicate.replies import check_replicate_reply as check_replicate_reply
    from pytest_imagegen.contract.replicate.validate import ReplicateRequest as ReplicateRequest
    from pytest_imagegen.contract.replicate.validate import (
        validate_replicate_request as validate_replicate_request,
    )

__getattr__, _LAZY = lazy.exports(
    __name__,
    {
        "pytest_imagegen.contract.replicate.models": "Prediction",
        "pytest_imagegen.contract.replicate.replies": "check_replicate_reply",
        "pytest_imagegen.contract.replicate.validate": "ReplicateRequest validate_replicate_request",
    },
)
__all__ = ["REPLICATE", *_LAZY]
