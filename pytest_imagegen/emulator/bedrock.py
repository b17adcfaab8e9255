"""Amazon Bedrock's ``InvokeModel`` for image models: Nova Canvas and Titan Image Generator (Amazon's
bodies), and Stability's models on Bedrock.

A request needs SigV4's ``Authorization: AWS4-HMAC-SHA256 Credential=...`` header (the signature is not
verified: the emulator has no secret to check it with), a JSON body Bedrock accepts
(``contract.bedrock.validate_bedrock_request``) and a known model id; the reply is Bedrock's: Amazon's
``{"images": [...], "error": null}`` or Stability's ``{"seeds", "finish_reasons", "images"}``, real
Pillow-made images of the size asked (Amazon's) or 1024x1024 (Stability's), with Bedrock's headers.
Errors are Bedrock's: ``{"message": ...}`` with the type in ``x-amzn-ErrorType``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pytest_imagegen.contract.bedrock.validate import BedrockRequest, validate_bedrock_request
from pytest_imagegen.emulator.drawing import ImageSpec, render_encoded, seed_of
from pytest_imagegen.emulator.state import LoggedRequest
from pytest_imagegen.emulator.transport import RawResponse
from pytest_imagegen.errors import RequestValidationError

__all__ = ["invoke", "routes"]

#: Model ids the emulator answers (the rest are Bedrock's 404, as for a model not enabled).
MODELS = frozenset(
    {
        "amazon.nova-canvas-v1:0",
        "amazon.titan-image-generator-v1",
        "amazon.titan-image-generator-v2:0",
        "stability.sd3-5-large-v1:0",
        "stability.stable-image-core-v1:1",
        "stability.stable-image-ultra-v1:1",
    }
)
_DEFAULT_SIZE = 1024

Answer = tuple[int, bytes, list[tuple[str, str]]]


def _error(status: int, kind: str, message: str) -> Answer:
    headers = [("x-amzn-ErrorType", f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/")]
    return status, json.dumps({"message": message}).encode(), headers


async def _images(request: BedrockRequest, identity: bytes, fmt: str) -> list[str]:
    width = request.width or _DEFAULT_SIZE
    height = request.height or _DEFAULT_SIZE
    found = []
    for index in range(request.count):
        spec = ImageSpec(seed=seed_of(identity, str(index)), width=width, height=height, output_format=fmt)  # type: ignore[arg-type]
        data = await anyio.to_thread.run_sync(render_encoded, spec)
        found.append(base64.b64encode(data).decode())
    return found


async def invoke(model_id: str, headers: Mapping[str, str], body: bytes) -> Answer:
    """Bedrock's answer to ``POST /model/{model_id}/invoke``: (status, body, headers)."""
    if not headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 Credential="):
        return _error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    if model_id not in MODELS:
        return _error(404, "ResourceNotFoundException", "The provided model identifier is invalid.")
    try:
        params: Any = json.loads(body)
        request = validate_bedrock_request(model_id, params)
    except ValueError:
        return _error(400, "ValidationException", "Malformed input request, please reformat your input.")
    except RequestValidationError as exc:
        return _error(400, "ValidationException", f"Malformed input request: {exc.message}")
    identity = model_id.encode() + b"\0" + body
    if request.family == "stability":
        fmt = request.output_format or "png"
        images = await _images(request, identity, fmt)
        seed = int.from_bytes(seed_of(identity)[:4], "big") % 4294967294
        reply: dict[str, Any] = {"seeds": [seed], "finish_reasons": [None], "images": images}
    else:
        reply = {"images": await _images(request, identity, "png"), "error": None}
    reply_headers = [
        ("x-amzn-RequestId", str(uuid.UUID(bytes=seed_of(identity, "request-id")[:16]))),
        ("X-Amzn-Bedrock-Invocation-Latency", "2950"),
    ]
    return 200, json.dumps(reply).encode(), reply_headers


def routes(handler: Any) -> list[BaseRoute]:
    """``POST /model/{model_id}/invoke`` (the module ``contract/bedrock/shape.py`` names), logged in the
    handler's request log like every other route."""

    async def invoke_route(request: Request) -> Response:
        body = await request.body()
        try:
            params = json.loads(body)
        except ValueError:
            params = {}
        status, content, headers = await invoke(request.path_params["model_id"], request.headers, body)
        handler.state.log(
            LoggedRequest(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                headers=dict(request.headers),
                params=params if isinstance(params, dict) else {},
                files=(),
                status=status,
                fault=None,
                request_id=headers[0][1],
            )
        )
        return RawResponse(status, content, headers, "application/json")

    return [Route("/model/{model_id}/invoke", invoke_route, methods=["POST"])]
