"""More code under test of the example suite: posters from the SDKs of Amazon Bedrock and Google.

Two services an image application calls through their own SDKs rather than plain HTTP:

- Amazon Bedrock through boto3 (``bedrock-runtime`` ``invoke_model``; boto3 sends through botocore and
  urllib3, signing every request with SigV4): Nova Canvas, and Stability's models on Bedrock;
- the Gemini API and Imagen through google-genai (``Client.models``; httpx2 for sync calls, aiohttp for
  async ones when it is installed).

The clients are built as production code builds them, from the environment: AWS credentials and region,
``GEMINI_API_KEY``. Either way a poster is saved as a PNG thumbnail.
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any

import boto3
from google import genai
from google.genai import types
from PIL import Image

__all__ = ["bedrock_poster", "gemini_poster", "gemini_poster_async", "imagen_posters", "stability_poster"]

THUMBNAIL_SIZE = (64, 64)


def _save(data: bytes, path: Path) -> Path:
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        image.save(path, format="PNG")
    return path


def _bedrock() -> Any:
    return boto3.session.Session().client("bedrock-runtime")


def bedrock_poster(prompt: str, path: Path, *, width: int = 1024, height: int = 576) -> Path:
    """A Nova Canvas poster of ``prompt`` (a fixed seed, so the same ask draws the same poster)."""
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": prompt},
        "imageGenerationConfig": {"numberOfImages": 1, "width": width, "height": height, "seed": 42},
    }
    reply = _bedrock().invoke_model(modelId="amazon.nova-canvas-v1:0", body=json.dumps(body))
    document = json.loads(reply["body"].read())
    if document.get("error"):
        raise RuntimeError(f"Nova Canvas refused {prompt!r}: {document['error']}")
    return _save(base64.b64decode(document["images"][0]), path)


def stability_poster(prompt: str, path: Path) -> tuple[Path, int]:
    """A poster from Stability's model on Bedrock, and the seed it drew it with."""
    body = {"prompt": prompt, "aspect_ratio": "1:1", "output_format": "png"}
    reply = _bedrock().invoke_model(modelId="stability.stable-image-core-v1:1", body=json.dumps(body))
    document = json.loads(reply["body"].read())
    return _save(base64.b64decode(document["images"][0]), path), int(document["seeds"][0])


def _gemini() -> genai.Client:
    return genai.Client(api_key=os.environ["GEMINI_API_KEY"])


def _poster_from(reply: types.GenerateContentResponse, path: Path) -> Path:
    for candidate in reply.candidates or []:
        for part in (candidate.content.parts if candidate.content else None) or []:
            if part.inline_data is not None and part.inline_data.data:
                return _save(part.inline_data.data, path)
    raise RuntimeError("the model drew nothing")


def gemini_poster(prompt: str, path: Path, *, aspect_ratio: str = "16:9") -> Path:
    """A poster from Gemini's image model."""
    config = types.GenerateContentConfig(
        response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio=aspect_ratio)
    )
    client = _gemini()
    return _poster_from(
        client.models.generate_content(model="gemini-2.5-flash-image", contents=prompt, config=config), path
    )


async def gemini_poster_async(prompt: str, path: Path) -> Path:
    """The same, through the SDK's async client."""
    client = _gemini()
    config = types.GenerateContentConfig(response_modalities=["IMAGE"])
    reply = await client.aio.models.generate_content(
        model="gemini-2.5-flash-image", contents=prompt, config=config
    )
    return _poster_from(reply, path)


def imagen_posters(prompt: str, folder: Path, *, count: int = 2) -> list[Path]:
    """``count`` posters from Imagen (which google-genai sends through Vertex AI's express mode)."""
    client = genai.Client(vertexai=True, api_key=os.environ["GEMINI_API_KEY"])
    reply = client.models.generate_images(
        model="imagen-4.0-generate-001",
        prompt=prompt,
        config=types.GenerateImagesConfig(number_of_images=count),
    )
    return [
        _save(generated.image.image_bytes, folder / f"imagen-{i}.png")
        for i, generated in enumerate(reply.generated_images or [])
        if generated.image is not None and generated.image.image_bytes
    ]
