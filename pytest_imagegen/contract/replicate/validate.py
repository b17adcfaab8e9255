"""Replicate requests: a prediction created for a model (``POST /v1/models/{owner}/{name}/predictions``,
a deployment's, or ``POST /v1/predictions`` with a ``version``), read (``GET /v1/predictions/{id}``) or
canceled (``POST .../cancel``).

What a model takes is its own schema (the catalogue is open-ended): the body must hold an ``input``
object, and the inputs every image model shares are checked where present (``num_outputs``,
``output_format``, ``seed``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_imagegen.contract.polling import int_param, invalid

__all__ = ["CREATE", "READ", "ReplicateRequest", "model_of_path", "validate_replicate_request"]

CREATE = "replicate"
READ = "replicate-prediction"
_MODEL = re.compile(r"/v1/(?:models|deployments)/([\w.-]+/[\w.-]+)/predictions/?$")
_FORMATS = ("webp", "jpg", "png")


@dataclass(frozen=True)
class ReplicateRequest:
    """A validated request: the operation, the model, and how many outputs it asked (None: unsaid)."""

    endpoint: str
    model: str = "-"
    count: int | None = None
    strict: bool = False


def model_of_path(path: str) -> str | None:
    """``black-forest-labs/flux-schnell`` from its predictions path; None for another path."""
    match = _MODEL.search(path)
    return match.group(1) if match else None


def validate_replicate_request(
    operation: str, path: str, body: Any, *, strict: bool = False
) -> ReplicateRequest:
    """The request checked as the service checks it (``RequestValidationError`` naming the field)."""
    if operation == READ:
        return ReplicateRequest(READ, strict=strict)
    if not isinstance(body, Mapping):
        raise invalid("the body must be a JSON object", "body")
    model = model_of_path(path)
    if model is None and not isinstance(body.get("version"), str):
        raise invalid("version is required to create a prediction without a model in the URL", "version")
    inputs = body.get("input")
    if not isinstance(inputs, Mapping):
        raise invalid("input is required and must be an object", "input")
    count = int_param(inputs, "num_outputs", 1, 16)
    if inputs.get("output_format", "webp") not in _FORMATS:
        raise invalid(f"output_format must be one of {', '.join(_FORMATS)}", "output_format")
    int_param(inputs, "seed", -(1 << 63), (1 << 63) - 1)
    if "webhook" in body and not isinstance(body["webhook"], str):
        raise invalid("webhook must be a URL", "webhook")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise invalid("stream must be a boolean", "stream")
    return ReplicateRequest(CREATE, model or str(body.get("version")), count, strict)
