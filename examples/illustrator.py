"""More code under test of the example suite: an assistant that draws through the Responses API.

``client.responses`` (the openai SDK's) is injected: a mainline model is asked to answer with the
``image_generation`` tool, and the image it draws is saved as a PNG thumbnail. A drawing can be refined
in a later turn (``previous_response_id``), start from the user's own photo (an ``input_image`` data URL),
and be watched while it is drawn (a stream's partial images).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

__all__ = ["Drawing", "draw", "draw_streaming", "photo_url", "refine"]

MODEL = "gpt-5"
TOOL = {"type": "image_generation", "size": "64x64", "quality": "low"}
THUMBNAIL_SIZE = (32, 32)


@dataclass(frozen=True)
class Drawing:
    """A drawing the assistant made: the response that holds it (to continue from) and its file."""

    response_id: str
    path: Path


def _save(b64: str, path: Path) -> Path:
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        image.save(path, format="PNG")
    return path


def _image_of(response: Any) -> str:
    calls = [item for item in response.output if item.type == "image_generation_call"]
    if not calls or not calls[0].result:
        raise RuntimeError(f"response {response.id} holds no image")
    return str(calls[0].result)


def photo_url(path: Path) -> str:
    """A local photo as the data URL an ``input_image`` takes."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def draw(responses: Any, prompt: str, path: Path, *, photo: Path | None = None) -> Drawing:
    """Ask for a drawing (of the user's ``photo``, when given) and save its thumbnail at ``path``."""
    content: list[dict[str, Any]] = [{"type": "input_text", "text": prompt}]
    if photo is not None:
        content.append({"type": "input_image", "image_url": photo_url(photo)})
    response = responses.create(
        model=MODEL,
        input=[{"role": "user", "content": content}],
        tools=[TOOL],
        tool_choice={"type": "image_generation"},
    )
    return Drawing(response.id, _save(_image_of(response), path))


def refine(responses: Any, drawing: Drawing, prompt: str, path: Path) -> Drawing:
    """Change an earlier drawing in a new turn of the same conversation."""
    response = responses.create(
        model=MODEL, previous_response_id=drawing.response_id, input=prompt, tools=[TOOL]
    )
    return Drawing(response.id, _save(_image_of(response), path))


def draw_streaming(events: Iterable[Any], directory: Path) -> list[Path]:
    """Save each partial image of a streamed drawing as it arrives, then the finished one."""
    written: list[Path] = []
    for event in events:
        if event.type == "response.image_generation_call.partial_image":
            written.append(
                _save(event.partial_image_b64, directory / f"partial-{event.partial_image_index}.png")
            )
        elif event.type == "response.output_item.done" and event.item.type == "image_generation_call":
            written.append(_save(event.item.result, directory / "final.png"))
    return written
