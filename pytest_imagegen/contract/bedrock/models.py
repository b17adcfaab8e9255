"""Bedrock's image replies as pydantic models: Amazon's (Nova Canvas, Titan Image) and Stability's."""

from __future__ import annotations

from pytest_imagegen.contract.base_model import ContractModel

__all__ = ["AmazonImageReply", "StabilityImageReply"]


class AmazonImageReply(ContractModel):
    """``{"images": [<base64 PNG>...], "error": null}``; ``error`` names a content filter's refusal."""

    images: list[str]
    error: str | None = None


class StabilityImageReply(ContractModel):
    """``{"seeds": [...], "finish_reasons": [null | "Filter reason: ..."], "images": [<base64>...]}``."""

    seeds: list[int]
    finish_reasons: list[str | None]
    images: list[str]
