"""Amazon Bedrock's image models through ``InvokeModel`` (``POST /model/{modelId}/invoke``): the
``bedrock`` shape.

Two body families: Amazon's (Nova Canvas, Titan Image Generator: ``taskType`` with its parameters and
``imageGenerationConfig``; the reply ``{"images": [<base64>], "error": null}``) and Stability AI's on
Bedrock (``prompt``, ``aspect_ratio``, ``output_format``; the reply ``{"seeds", "finish_reasons",
"images"}``). The model is the URL's ``modelId``.

- ``validate_bedrock_request(model_id, body)`` -> ``BedrockRequest``;
- ``check_bedrock_reply(request, reply)``: the reply's schema, and against the request: as many images
  as asked, each a real image of the size (Amazon's) or format (Stability's) asked.

Pure: no pytest, no I/O beyond reading the bytes it is handed.
"""

from pytest_imagegen.contract.bedrock.models import AmazonImageReply, StabilityImageReply
from pytest_imagegen.contract.bedrock.replies import check_bedrock_reply
from pytest_imagegen.contract.bedrock.validate import (
    BedrockRequest,
    model_id_of,
    validate_bedrock_request,
)

__all__ = [
    "AmazonImageReply",
    "BedrockRequest",
    "StabilityImageReply",
    "check_bedrock_reply",
    "model_id_of",
    "validate_bedrock_request",
]
