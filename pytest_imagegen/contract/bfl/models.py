"""Black Forest Labs' replies as pydantic models: the submitted job, a status read, an error."""

from __future__ import annotations

from typing import Any, Literal

from pytest_imagegen.contract.base_model import ContractModel

__all__ = ["BflError", "BflJob", "BflResult", "BflStatus"]

BflStatus = Literal["Pending", "Ready", "Error", "Content Moderated", "Request Moderated", "Task not found"]


class BflJob(ContractModel):
    """``{"id", "polling_url", "cost", ...}``: a submitted job and where to read its status."""

    id: str
    polling_url: str
    cost: float | None = None


class BflResult(ContractModel):
    """``GET polling_url``: ``{"id", "status", "result": {"sample": <signed URL>, "seed", ...} | null,
    "progress"}``."""

    id: str
    status: BflStatus
    result: dict[str, Any] | None = None
    progress: float | None = None


class BflError(ContractModel):
    """FastAPI's envelope: ``{"detail": "..."}`` or ``{"detail": [{"loc", "msg", "type"}, ...]}``."""

    detail: str | list[dict[str, Any]] | dict[str, Any]
