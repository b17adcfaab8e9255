"""Black Forest Labs' FLUX API (``POST /v1/{model}``, ``GET /v1/get_result``): the ``bfl`` shape.

Its API shape is ``BFL`` (``shape.py``). A job is submitted, its status read until final, and a ``Ready``
job's image fetched from the signed ``result.sample`` URL.

- ``validate_request("bfl", body, path="/v1/flux-2-pro")`` (or ``validate_bfl_request``) ->
  ``BflRequest``; ``"bfl-result"`` for a status read;
- ``check_reply(request, reply)`` (or ``check_bfl_reply``, which returns the problems).

Pure: no pytest, no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_imagegen.contract import lazy
from pytest_imagegen.contract.bfl.shape import BFL as BFL

if TYPE_CHECKING:
    from pytest_imagegen.contract.bfl.models import BflJob as BflJob
    from pytest_imagegen.contract.bfl.models import BflResult as BflResult
    from pytest_imagegen.contract.bfl.replies import check_bfl_reply as check_bfl_reply
    from pytest_imagegen.contract.bfl.validate import BflRequest as BflRequest
    from pytest_imagegen.contract.bfl.validate import validate_bfl_request as validate_bfl_request

__getattr__, _LAZY = lazy.exports(
    __name__,
    {
        "pytest_imagegen.contract.bfl.models": "BflJob BflResult",
        "pytest_imagegen.contract.bfl.replies": "check_bfl_reply",
        "pytest_imagegen.contract.bfl.validate": "BflRequest validate_bfl_request",
    },
)
__all__ = ["BFL", *_LAZY]
