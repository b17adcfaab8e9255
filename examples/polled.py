"""More code under test of the example suite: images from services one polls.

A job is submitted, its status read until it is final, then its image fetched, each step maybe on
another host (the status URL and the image URL come from the service):

- Black Forest Labs' FLUX API through httpx (``x-key`` from ``BFL_API_KEY``; ``polling_url``, then the
  signed ``result.sample``);
- Replicate's predictions through requests (``Authorization: Bearer`` from ``REPLICATE_API_TOKEN``;
  ``urls.get``, then the output URLs).

Between two status reads the code waits as long as the service advised (``Retry-After``), through the
``sleep`` it is handed: ``time.sleep`` in production, something that only counts in a test.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import requests
from PIL import Image

__all__ = ["JobFailed", "flux_poster", "replicate_sticker"]

THUMBNAIL_SIZE = (64, 64)
MAX_READS = 120
Sleep = Callable[[float], None]


class JobFailed(RuntimeError):
    """The service ended the job without an image."""


def _save(data: bytes, path: Path) -> Path:
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        image.save(path, format="PNG")
    return path


def _interval(headers: Any, default: float = 1.0) -> float:
    try:
        return float(headers.get("retry-after", default))
    except ValueError:
        return default


def flux_poster(prompt: str, path: Path, *, sleep: Sleep = time.sleep, model: str = "flux-2-pro") -> Path:
    """A FLUX poster of ``prompt`` saved as a PNG thumbnail at ``path``."""
    with httpx.Client(headers={"x-key": os.environ["BFL_API_KEY"]}, timeout=60) as client:
        body = {"prompt": prompt, "width": 512, "height": 320, "output_format": "png", "seed": 42}
        job = client.post(f"https://api.bfl.ai/v1/{model}", json=body).raise_for_status().json()
        for _ in range(MAX_READS):
            read = client.get(job["polling_url"]).raise_for_status()
            status = read.json()
            if status["status"] == "Ready":
                sample = client.get(status["result"]["sample"]).raise_for_status()
                return _save(sample.content, path)
            if status["status"] != "Pending":
                raise JobFailed(f"FLUX job {job['id']} ended {status['status']}")
            sleep(_interval(read.headers))
    raise TimeoutError(f"FLUX job {job['id']} still pending after {MAX_READS} reads")


def replicate_sticker(prompt: str, path: Path, *, sleep: Sleep = time.sleep) -> Path:
    """A sticker of ``prompt`` from FLUX schnell on Replicate, saved as a PNG thumbnail at ``path``."""
    url = "https://api.replicate.com/v1/models/black-forest-labs/flux-schnell/predictions"
    inputs = {"prompt": prompt, "aspect_ratio": "1:1", "megapixels": "0.25", "output_format": "webp"}
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {os.environ['REPLICATE_API_TOKEN']}"
        created = session.post(url, json={"input": inputs}, timeout=60)
        created.raise_for_status()
        prediction = created.json()
        for _ in range(MAX_READS):
            if prediction["status"] == "succeeded":
                output = session.get(prediction["output"][0], timeout=60)
                output.raise_for_status()
                return _save(output.content, path)
            if prediction["status"] in ("failed", "canceled"):
                raise JobFailed(
                    f"prediction {prediction['id']} {prediction['status']}: {prediction['error']}"
                )
            read = session.get(prediction["urls"]["get"], timeout=60)
            read.raise_for_status()
            prediction = read.json()
            if prediction["status"] not in ("succeeded", "failed", "canceled"):
                sleep(_interval(read.headers))
    raise TimeoutError(f"prediction {prediction['id']} still running after {MAX_READS} reads")
