"""Pydantic models of the image-bearing parts of the Gemini API's replies (and Imagen's ``predict``).

Sources: Google's REST reference for ``GenerateContentResponse`` (``candidates[].content.parts[]``,
``finishReason``, ``usageMetadata``, ``modelVersion``, ``responseId``) and the google-genai SDK's types
(``Candidate``, ``Part``, ``Blob``, ``FinishReason``; ``GeneratedImage`` read from ``predictions[]``:
``bytesBase64Encoded``, ``mimeType``, ``raiFilteredReason``). The REST API answers in camelCase; the field
names here are the wire's. Parts that carry no image (``text``, ``thought``, ``functionCall``, ...) pass as
they are. Unknown fields pass (``extra="allow"``); strict mode reports them, and a ``finishReason`` outside
``FINISH_REASONS``.
"""

from __future__ import annotations

from typing import Any, Final

from pytest_imagegen.contract.base_model import ContractModel

#: The SDK's ``FinishReason`` values (google-genai ``types.FinishReason``).
FINISH_REASONS: Final = frozenset(
    {
        "FINISH_REASON_UNSPECIFIED",
        "STOP",
        "MAX_TOKENS",
        "SAFETY",
        "RECITATION",
        "LANGUAGE",
        "OTHER",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "MALFORMED_FUNCTION_CALL",
        "IMAGE_SAFETY",
        "UNEXPECTED_TOOL_CALL",
        "TOO_MANY_TOOL_CALLS",
        "IMAGE_PROHIBITED_CONTENT",
        "NO_IMAGE",
        "IMAGE_RECITATION",
        "IMAGE_OTHER",
    }
)


class Blob(ContractModel):
    """``inlineData``: the base64 bytes and their MIME type (both "Required" in the reference)."""

    mimeType: str
    data: str


class Part(ContractModel):
    text: str | None = None
    inlineData: Blob | None = None
    thought: bool | None = None
    thoughtSignature: str | None = None
    fileData: Any = None
    functionCall: Any = None
    functionResponse: Any = None
    executableCode: Any = None
    codeExecutionResult: Any = None
    videoMetadata: Any = None


class Content(ContractModel):
    parts: list[Part] | None = None
    role: str | None = None


class Candidate(ContractModel):
    content: Content | None = None
    finishReason: str | None = None
    finishMessage: str | None = None
    index: int | None = None
    safetyRatings: Any = None
    citationMetadata: Any = None
    groundingMetadata: Any = None
    tokenCount: Any = None
    avgLogprobs: Any = None
    logprobsResult: Any = None
    urlContextMetadata: Any = None


class UsageMetadata(ContractModel):
    """Token counts; every field is optional in the reference (a stream's early chunks carry few)."""

    promptTokenCount: int | None = None
    candidatesTokenCount: int | None = None
    totalTokenCount: int | None = None
    thoughtsTokenCount: int | None = None
    cachedContentTokenCount: int | None = None
    toolUsePromptTokenCount: int | None = None
    promptTokensDetails: list[Any] | None = None
    candidatesTokensDetails: list[Any] | None = None
    cacheTokensDetails: list[Any] | None = None
    toolUsePromptTokensDetails: list[Any] | None = None
    trafficType: Any = None


class GenerateContentResponse(ContractModel):
    """A ``generateContent`` reply, and each chunk of ``streamGenerateContent``. ``candidates`` is left
    out when the prompt was blocked (``promptFeedback`` says why)."""

    candidates: list[Candidate] | None = None
    promptFeedback: Any = None
    usageMetadata: UsageMetadata | None = None
    modelVersion: str | None = None
    responseId: str | None = None
    createTime: Any = None
    modelStatus: Any = None


class Prediction(ContractModel):
    """One Imagen image: its base64 bytes and MIME type, or why it was filtered out."""

    bytesBase64Encoded: str | None = None
    mimeType: str | None = None
    raiFilteredReason: str | None = None
    safetyAttributes: Any = None
    prompt: str | None = None
    gcsUri: str | None = None


class PredictResponse(ContractModel):
    predictions: list[Prediction] | None = None
    positivePromptSafetyAttributes: Any = None


class GoogleError(ContractModel):
    """Google's error: ``{"code": 400, "message": ..., "status": "INVALID_ARGUMENT", "details": [...]}``."""

    code: int
    message: str
    status: str | None = None
    details: list[Any] | None = None


class GoogleErrorResponse(ContractModel):
    error: GoogleError
