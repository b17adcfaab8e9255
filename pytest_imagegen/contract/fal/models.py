"""fal.ai's queue replies as pydantic models: the queued request, a status read, the result, an error."""

from __future__ import annotations

from typing import Any, Literal

from pytest_imagegen.contract.base_model import ContractModel

__all__ = ["FalError", "FalImage", "FalQueued", "FalResult", "FalStatus", "FalStatusName"]

FalStatusName = Literal["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]


class FalQueued(ContractModel):
    """``{"request_id", "status_url", "response_url", "cancel_url", "queue_position"}``."""

    request_id: str
    status_url: str
    response_url: str
    cancel_url: str
    status: FalStatusName | None = None
    queue_position: int | None = None


class FalStatus(ContractModel):
    """``GET status_url``: ``{"status", "queue_position"?, "logs"?, "response_url"?, "metrics"?}``."""

    status: FalStatusName
    queue_position: int | None = None
    logs: list[dict[str, Any]] | None = None
    response_url: str | None = None
    metrics: dict[str, Any] | None = None


class FalImage(ContractModel):
    """One image of a result: a URL on fal's CDN and what it is."""

    url: str
    width: int | None = None
    height: int | None = None
    content_type: str | None = None


class FalResult(ContractModel):
    """``GET response_url`` of an image app: ``{"images", "seed", "has_nsfw_concepts", "timings",
    "prompt"}``."""

    images: list[FalImage]
    seed: int | None = None
    has_nsfw_concepts: list[bool] | None = None
    timings: dict[str, Any] | None = None
    prompt: str | None = None


class FalError(ContractModel):
    """``{"detail": "..."}`` or FastAPI's ``{"detail": [{"loc", "msg", "type"}, ...]}``."""

    detail: str | list[dict[str, Any]] | dict[str, Any]
