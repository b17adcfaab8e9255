"""Stability AI's v2beta replies as pydantic models: an image as JSON, an asynchronous job, a job still
running, and the error envelope."""

from __future__ import annotations

from typing import Literal

from pytest_imagegen.contract.base_model import ContractModel

__all__ = ["StabilityError", "StabilityImage", "StabilityInProgress", "StabilityJob"]


class StabilityImage(ContractModel):
    """``accept: application/json``: ``{"image": <base64>, "finish_reason", "seed"}``. The provider
    documentation names the image ``result`` in a fetched asynchronous result: either passes."""

    image: str | None = None
    result: str | None = None
    finish_reason: Literal["SUCCESS", "CONTENT_FILTERED"]
    seed: int | None = None


class StabilityJob(ContractModel):
    """An asynchronous endpoint's answer: ``{"id"}``, to read at ``/v2beta/results/{id}``."""

    id: str


class StabilityInProgress(ContractModel):
    """``GET /v2beta/results/{id}`` while the job runs (HTTP 202)."""

    id: str
    status: Literal["in-progress"]


class StabilityError(ContractModel):
    """``{"id", "name", "errors": [...]}``."""

    name: str
    errors: list[str]
    id: str | None = None
