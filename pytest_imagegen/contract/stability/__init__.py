"""Stability AI's v2beta Stable Image API (``POST /v2beta/stable-image/...``, ``GET
/v2beta/results/{id}``): the ``stability`` shape.

Its API shape is ``STABILITY`` (``shape.py``). Synchronous endpoints answer the image (bytes or JSON);
asynchronous ones a job id, whose result is read until it is done.

- ``validate_request("stability", params, files, path=...)`` (or ``validate_stability_request``) ->
  ``StabilityRequest``; ``"stability-result"`` for a read of a result;
- ``check_reply(request, reply)`` (or ``check_stability_reply``, which returns the problems); a reply
  that is the image itself is given as its bytes.

Pure: no pytest, no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_imagegen.contract import lazy
from pytest_imagegen.contract.stability.shape import STABILITY as STABILITY

if TYPE_CHECKING:
    from pytest_imagegen.contract.stability.models import StabilityImage as StabilityImage
    from pytest_imagegen.contract.stability.replies import check_stability_reply as check_stability_reply
    from pytest_imagegen.contract.stability.validate import StabilityRequest as StabilityRequest
    from pytest_imagegen.contract.stability.validate import (
        validate_stability_request as validate_stability_request,
    )

__getattr__, _LAZY = lazy.exports(
    __name__,
    {
        "pytest_imagegen.contract.stability.models": "StabilityImage",
        "pytest_imagegen.contract.stability.replies": "check_stability_reply",
        "pytest_imagegen.contract.stability.validate": "StabilityRequest validate_stability_request",
    },
)
__all__ = ["STABILITY", *_LAZY]
