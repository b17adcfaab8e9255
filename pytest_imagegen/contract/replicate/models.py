"""Replicate's replies as pydantic models: a prediction (what the submit, the status read and the cancel
answer) and the problem document of an error."""

from __future__ import annotations

from typing import Any, Literal

from pytest_imagegen.contract.base_model import ContractModel

__all__ = ["Prediction", "PredictionUrls", "ReplicateError", "ReplicateStatus"]

ReplicateStatus = Literal["starting", "processing", "succeeded", "failed", "canceled"]


class PredictionUrls(ContractModel):
    """Where to read (``get``), cancel and stream the prediction."""

    get: str
    cancel: str | None = None
    stream: str | None = None
    web: str | None = None


class Prediction(ContractModel):
    """``{"id", "model", "version", "input", "status", "urls", "output", "error", "logs", "metrics",
    "created_at", ...}``; ``output`` is null until it succeeds, then a URL or a list of URLs."""

    id: str
    model: str | None = None
    version: str | None = None
    input: dict[str, Any]
    status: ReplicateStatus
    urls: PredictionUrls
    output: Any = None
    error: Any = None
    logs: str | None = None
    metrics: dict[str, Any] | None = None
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None


class ReplicateError(ContractModel):
    """An HTTP problem document: ``{"title", "detail", "status", "invalid_fields"?}``."""

    detail: str
    title: str | None = None
    status: int | None = None
