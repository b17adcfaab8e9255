"""Amazon Bedrock's image models through ``InvokeModel`` (``POST /model/{modelId}/invoke``): the
``bedrock`` shape.

Its API shape is ``BEDROCK`` (``shape.py``). Two body families: Amazon's (Nova Canvas, Titan Image
Generator: ``taskType`` with its parameters and ``imageGenerationConfig``; the reply ``{"images":
[<base64>], "error": null}``) and Stability AI's on Bedrock (``prompt``, ``aspect_ratio``,
``output_format``; the reply ``{"seeds", "finish_reasons", "images"}``). The model is the URL's
``modelId``.

- ``validate_request("bedrock", body, path=...)`` (or ``validate_bedrock_request(model_id, body)``) ->
  ``BedrockRequest``;
- ``check_reply(request, reply)`` (or ``check_bedrock_reply``, which returns the problems): the reply's
  schema, and against the request: as many images as asked, each a real image of the size (Amazon's) or
  format (Stability's) asked.

Pure: no pytest, no I/O beyond reading the bytes it is handed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_imagegen.contract import lazy
from pytest_imagegen.contract.bedrock.shape import BEDROCK as BEDROCK

if TYPE_CHECKING:
    from pytest_imagegen.contract.bedrock.models import AmazonImageReply as AmazonImageReply
    from pytest_imagegen.contract.bedrock.models import StabilityImageReply as StabilityImageReply
    from pytest_imagegen.contract.bedrock.replies import check_bedrock_reply as check_bedrock_reply
    from pytest_imagegen.contract.bedrock.validate import BedrockRequest as BedrockRequest
    from pytest_imagegen.contract.bedrock.validate import model_id_of as model_id_of
    from pytest_imagegen.contract.bedrock.validate import validate_bedrock_request as validate_bedrock_request

__getattr__, _LAZY = lazy.exports(
    __name__,
    {
        "pytest_imagegen.contract.bedrock.models": "AmazonImageReply StabilityImageReply",
        "pytest_imagegen.contract.bedrock.replies": "check_bedrock_reply",
        "pytest_imagegen.contract.bedrock.validate": "BedrockRequest model_id_of validate_bedrock_request",
    },
)
__all__ = ["BEDROCK", *_LAZY]
