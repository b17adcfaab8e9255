"""fal.ai's queue (``POST /{owner}/{app}``, ``GET .../requests/{id}/status``, ``GET .../requests/{id}``):
the ``fal`` shape.

Its API shape is ``FAL`` (``shape.py``). A request is queued, its status read until ``COMPLETED``, its
result read, and the result's images fetched from fal's CDN.

- ``validate_request("fal", body, path="/fal-ai/flux/dev")`` (or ``validate_fal_request``) ->
  ``FalRequest``; ``"fal-status"``, ``"fal-result"``, ``"fal-cancel"`` for the reads and the cancel;
- ``check_reply(request, reply)`` (or ``check_fal_reply``, which returns the problems).

Pure: no pytest, no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_imagegen.contract import lazy
from pytest_imagegen.contract.fal.shape import FAL as FAL

if TYPE_CHECKING:
    from pytest_imagegen.contract.fal.models import FalResult as FalResult
    from pytest_imagegen.contract.fal.models import FalStatus as FalStatus
    from pytest_imagegen.contract.fal.replies import check_fal_reply as check_fal_reply
    from pytest_imagegen.contract.fal.validate import FalRequest as FalRequest
    from pytest_imagegen.contract.fal.validate import validate_fal_request as validate_fal_request

__getattr__, _LAZY = lazy.exports(
    __name__,
    {
        "pytest_imagegen.contract.fal.models": "FalResult FalStatus",
        "pytest_imagegen.contract.fal.replies": "check_fal_reply",
        "pytest_imagegen.contract.fal.validate": "FalRequest validate_fal_request",
    },
)
__all__ = ["FAL", *_LAZY]
