"""``BEDROCK``: Amazon Bedrock's image models through ``InvokeModel`` as an API shape.

``POST /model/{modelId}/invoke`` (the id URL-encoded, ``%3A`` for ``:``): Nova Canvas and Titan Image
Generator take Amazon's bodies (``taskType``, ``imageGenerationConfig``) and answer ``{"images",
"error"}``; Stability's models on Bedrock take ``prompt`` / ``output_format`` and answer ``{"seeds",
"finish_reasons", "images"}``. The model is in the URL. SigV4 signs every request: the access key id and
the signature travel in ``Authorization``, a session token in ``X-Amz-Security-Token``. boto3 reads its
credentials from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (or a profile), which get the dummy key
while a cassette is open so that botocore can sign a replayed request. Validation is ``validate.py``,
reply checks ``replies.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from pytest_imagegen.contract.shape import ApiShape, Call

if TYPE_CHECKING:
    from pytest_imagegen.contract.bedrock.validate import BedrockRequest

__all__ = ["BEDROCK"]


class BedrockShape(ApiShape["BedrockRequest"]):
    name = "bedrock"
    api = "Amazon Bedrock API"
    path = re.compile(r"/model/[^/]+/invoke/?$")
    operations = re.compile(r"(/model/[^/]+/(?:invoke|invoke-with-response-stream|converse))/?$")
    request_markers = ("taskType", "textToImageParams", "imageGenerationConfig")
    credential_headers = frozenset({"authorization", "x-amz-security-token"})
    credential_query_keys = frozenset({"x-amz-signature", "x-amz-credential", "x-amz-security-token"})
    # boto3's own variables: a pair, or a named profile, stand in for each other.
    key_variables = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    key_alternatives = (frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"}),)
    image_fields = (
        # Reply: Nova Canvas, Titan Image and Stability on Bedrock all answer ``images``.
        ("images", "*"),
        # Request: the input images of Amazon's edit tasks, and Stability's image-to-image.
        ("inPaintingParams", "image"),
        ("inPaintingParams", "maskImage"),
        ("outPaintingParams", "image"),
        ("outPaintingParams", "maskImage"),
        ("imageVariationParams", "images", "*"),
        ("colorGuidedGenerationParams", "referenceImage"),
        ("backgroundRemovalParams", "image"),
        ("image",),
    )
    error_context = "error reply of Amazon Bedrock"
    emulator = "pytest_imagegen.emulator.bedrock"

    def validate(self, call: Call) -> BedrockRequest:
        from pytest_imagegen.contract.bedrock.validate import model_id_of, validate_bedrock_request

        return validate_bedrock_request(model_id_of(call.path or "") or "", call.params, strict=call.strict)

    def check_reply(self, request: BedrockRequest | None, reply: Any, *, strict: bool = False) -> None:
        __tracebackhide__ = True
        from pytest_imagegen.contract.bedrock.replies import check_bedrock_reply
        from pytest_imagegen.errors import SchemaAssertionError

        if request is None:
            return
        problems = check_bedrock_reply(request, reply, strict=strict)
        if problems:
            raise SchemaAssertionError(problems, context=f"reply to {request.model_id}", api=self.api)

    def is_reply(self, reply: Any) -> bool:
        return (
            isinstance(reply, Mapping)
            and isinstance(reply.get("images"), list)
            and ("error" in reply or "seeds" in reply)
        )

    def model_of(self, uri: str, params: Mapping[str, Any]) -> str:
        """The model of the URL (``amazon.nova-canvas-v1:0``)."""
        from pytest_imagegen.contract.bedrock.validate import model_id_of

        return model_id_of(urlsplit(uri).path) or "-"


BEDROCK: Final = BedrockShape()
