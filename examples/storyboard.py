"""More code under test of the example suite: a storyboard drawn by multimodal models.

Two ways a project gets images from a model that answers in text and pictures:

- through a gateway's chat completions (OpenRouter-, LiteLLM- or Vercel-style): the openai SDK's
  ``client.chat.completions`` is injected, ``modalities`` goes in ``extra_body`` (the SDK has no typed field
  for it), and each image comes back as a data URL in the message's ``images``;
- straight from the Gemini API with plain httpx: ``POST .../models/{model}:generateContent`` (or
  ``:streamGenerateContent?alt=sse``), the key from ``GEMINI_API_KEY`` in the ``x-goog-api-key`` header, each
  image an ``inlineData`` part.

Either way a panel is saved as a PNG thumbnail.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

__all__ = [
    "GATEWAY_MODEL",
    "GEMINI_MODEL",
    "GEMINI_ROOT",
    "draw_panel",
    "gemini_panel",
    "gemini_panel_streamed",
]

GATEWAY_MODEL = "google/gemini-2.5-flash-image"
GEMINI_MODEL = "gemini-2.5-flash-image"
GEMINI_ROOT = "https://generativelanguage.googleapis.com"
THUMBNAIL_SIZE = (48, 48)


def _save(b64: str, path: Path) -> Path:
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        image.save(path, format="PNG")
    return path


def draw_panel(chat: Any, scene: str, path: Path, *, aspect_ratio: str = "16:9") -> Path:
    """Ask a gateway's image model for one panel of ``scene`` and save its thumbnail at ``path``."""
    completion = chat.create(
        model=GATEWAY_MODEL,
        messages=[{"role": "user", "content": f"Draw a storyboard panel: {scene}"}],
        extra_body={"modalities": ["image", "text"], "image_config": {"aspect_ratio": aspect_ratio}},
    )
    images = getattr(completion.choices[0].message, "images", None) or []
    if not images:
        raise RuntimeError(f"the model drew nothing for {scene!r}: {completion.choices[0].message.content!r}")
    url = images[0]["image_url"]["url"]
    return _save(url.split(",", 1)[1], path)


def _gemini_body(scene: str, aspect_ratio: str) -> dict[str, Any]:
    return {
        "contents": [{"role": "user", "parts": [{"text": f"Draw a storyboard panel: {scene}"}]}],
        "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": aspect_ratio}},
    }


def _gemini_client() -> httpx.Client:
    return httpx.Client(
        base_url=GEMINI_ROOT, headers={"x-goog-api-key": os.environ["GEMINI_API_KEY"]}, timeout=120
    )


def _images(parts: Iterable[Any]) -> list[str]:
    return [part["inlineData"]["data"] for part in parts if "inlineData" in part]


def gemini_panel(scene: str, path: Path, *, aspect_ratio: str = "4:3") -> Path:
    """The same panel straight from the Gemini API."""
    with _gemini_client() as client:
        reply = client.post(
            f"/v1beta/models/{GEMINI_MODEL}:generateContent", json=_gemini_body(scene, aspect_ratio)
        )
    reply.raise_for_status()
    (image, *_) = _images(reply.json()["candidates"][0]["content"]["parts"])
    return _save(image, path)


def gemini_panel_streamed(scene: str, path: Path, *, aspect_ratio: str = "4:3") -> list[dict[str, Any]]:
    """The panel from the Gemini API's stream (SSE), saved as soon as its image arrives; the chunks read."""
    chunks: list[dict[str, Any]] = []
    with (
        _gemini_client() as client,
        client.stream(
            "POST",
            f"/v1beta/models/{GEMINI_MODEL}:streamGenerateContent",
            params={"alt": "sse"},
            json=_gemini_body(scene, aspect_ratio),
        ) as reply,
    ):
        for line in reply.iter_lines():
            if not line.startswith("data: "):
                continue
            chunk = json.loads(line.removeprefix("data: "))
            chunks.append(chunk)
            for candidate in chunk.get("candidates", []):
                for image in _images(candidate.get("content", {}).get("parts", [])):
                    _save(image, path)
    return chunks
