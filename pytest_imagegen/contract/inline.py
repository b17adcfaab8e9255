"""Images carried inline in a JSON body next to the MIME type they declare: the multimodal shapes' way.

Chat completions put an image in a data URL (``data:image/png;base64,...``: the declared type is the URL's
media type); the Gemini API puts it in ``inlineData {mimeType, data}`` and Imagen in ``{mimeType,
bytesBase64Encoded}``. Both sides are checked the same way here:

- the base64 decodes (standard alphabet; URL-safe too: the Gemini REST API is proto3 JSON, whose
  parsers accept either alphabet, padded or not; lenient, both pass);
- the bytes are an image (header read only);
- the declared type is the bytes' real format (``image/jpg`` is read as ``image/jpeg``, the common
  misspelling browsers and SDKs accept: lenient);
- optionally, the image has the aspect ratio the request asked (``W:H``, within ``ASPECT_TOLERANCE``:
  the models draw sizes that are multiples of 16 or 32, so 16:9 is 1344x768, 1.75 not 1.78).

Also the request side of the same facts: ``check_aspect_ratio`` and ``check_image_size`` read a model's
row of the capability table (its ``aspect_sizes`` and ``image_sizes``), for every shape that asks them.

Pure: bytes and strings in, ``(json path, message)`` problems (or a ``RequestValidationError``) out.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final

from pytest_imagegen.contract import messages
from pytest_imagegen.contract.capabilities import MIME_TYPES, ModelCapability
from pytest_imagegen.contract.uploads import decode_image_header
from pytest_imagegen.errors import RequestValidationError

__all__ = [
    "InlineInput",
    "check_aspect_ratio",
    "check_image_size",
    "image_facts",
    "inline_image",
    "inline_image_problems",
    "normal_mime",
    "split_data_url",
]

Problems = list[tuple[str, str]]

#: How far (relative) an image's width/height may be from the asked ratio: 21:9 is drawn 1536x672 (2.29
#: against 2.33), the largest gap in the published size tables.
ASPECT_TOLERANCE: Final = 0.03

_DATA_URL: Final = re.compile(r"data:([^;,]*)((?:;[^;,]*)*),", re.IGNORECASE)
_RATIO: Final = re.compile(r"([1-9][0-9]*):([1-9][0-9]*)")
_ALIASES: Final = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}


@dataclass(frozen=True)
class InlineImage:
    """What an inline image declares and what its bytes are (``format`` None: not an image)."""

    declared: str | None
    format: str | None
    width: int | None
    height: int | None
    mode: str | None
    bytes: int


@dataclass(frozen=True)
class InlineInput:
    """An image a request sends inline: where it sits in the request, and what it declares and is."""

    path: str
    image: InlineImage


def normal_mime(mime: str | None) -> str | None:
    """A MIME type in lower case without parameters, common aliases resolved."""
    if mime is None:
        return None
    base = mime.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def split_data_url(url: str) -> tuple[str, str] | None:
    """``(media type, base64 payload)`` of a ``data:<type>[;params];base64,<payload>`` URL, else None."""
    match = _DATA_URL.match(url)
    if match is None or ";base64" not in match.group(2).lower():
        return None
    return match.group(1), url[match.end() :]


def decode_base64(text: str) -> bytes | None:
    """Standard or URL-safe base64, padded or not; None when it is neither."""
    if not text:
        return None
    padded = text + "=" * (-len(text) % 4) if "=" not in text else text
    for altchars in (None, b"-_"):
        try:
            return base64.b64decode(padded, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
    return None


def inline_image(b64: str, declared: str | None) -> InlineImage | None:
    """The facts of an inline image, or None when ``b64`` is not base64 at all."""
    raw = decode_base64(b64)
    return image_facts(raw, declared) if raw is not None else None


def image_facts(raw: bytes, declared: str | None) -> InlineImage:
    """The facts of an image's bytes (header read only) next to the MIME type it was declared with."""
    header = decode_image_header(raw)
    if header is None:
        return InlineImage(normal_mime(declared), None, None, None, None, len(raw))
    fmt, (width, height), mode = header
    return InlineImage(normal_mime(declared), fmt, width, height, mode, len(raw))


def _short(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def aspect_problem(
    path: str, width: int, height: int, aspect_ratio: str | None, drawn: tuple[int, int] | None = None
) -> tuple[str, str] | None:
    """A problem when a ``width`` x ``height`` image is not in the ``W:H`` ratio asked (None: it is, or
    nothing concrete was asked). ``drawn`` is the size the model's row says it draws for that ratio: an
    image in exactly its proportions passes too (Imagen draws 4:3 as 1280x896, 1.43:1)."""
    match = _RATIO.fullmatch(aspect_ratio or "")
    if match is None:
        return None
    if drawn is not None and width * drawn[1] == height * drawn[0]:
        return None
    wanted = int(match.group(1)) / int(match.group(2))
    got = width / height
    if abs(got - wanted) <= ASPECT_TOLERANCE * wanted:
        return None
    model = f" (the model draws {drawn[0]}x{drawn[1]} for it)" if drawn is not None else ""
    return (
        path,
        f"image is {width}x{height} ({got:.2f}:1), but the request asked aspect ratio {aspect_ratio}{model}",
    )


def inline_image_problems(
    path: str,
    b64: str,
    declared: str | None,
    *,
    aspect_ratio: str | None = None,
    drawn: tuple[int, int] | None = None,
) -> Problems:
    """Problems of one inline image: base64, an image, the declared type its real one, the ratio asked
    (``drawn``: the size the model's row draws for it, see ``aspect_problem``).

    ``declared`` of None (a field left out) is not compared; a declared type that is not ``image/*`` is
    not an image place (audio, a PDF) and only its base64 is checked.
    """
    facts = inline_image(b64, declared)
    if facts is None:
        return [(path, f"not valid base64 ({_short(b64)})")]
    mime = facts.declared
    if mime is not None and not mime.startswith("image/"):
        return []
    if facts.format is None:
        said = f"declares {mime}, but its" if mime else "its"
        return [(path, f"{said} {facts.bytes} bytes are not an image")]
    problems: Problems = []
    real = MIME_TYPES.get(facts.format, f"image/{facts.format}")
    if mime is not None and mime != real:
        problems.append((path, f"declares {mime}, but the bytes are a {facts.format} image ({real})"))
    if facts.width and facts.height:
        problem = aspect_problem(path, facts.width, facts.height, aspect_ratio, drawn)
        if problem is not None:
            problems.append(problem)
    return problems


# --- what a request may ask ---------------------------------------------------------------------------


def check_aspect_ratio(cap: ModelCapability, label: str, value: str) -> None:
    """``value`` must be one of the row's aspect ratios (any ``W:H`` for a row without a list)."""
    if cap.aspect_sizes is None:
        if _is_ratio(value):
            return
        raise RequestValidationError(
            f"Invalid value: '{value}'. An aspect ratio is written W:H, such as '16:9'.", field=label
        )
    names = [name for name, _, _ in cap.aspect_sizes]
    if not names:
        raise messages.unknown_parameter(label)
    if value not in names:
        raise messages.invalid_value(label, value, names)


def check_image_size(cap: ModelCapability, label: str, value: str) -> None:
    """``value`` must be one of the row's image sizes (``1K``, ``2K``, ``4K`` for a row without a list)."""
    allowed = cap.image_sizes if cap.image_sizes is not None else ("1K", "2K", "4K")
    if not allowed:
        raise messages.unknown_parameter(label)
    if value not in allowed:
        raise messages.invalid_value(label, value, allowed)


def _is_ratio(value: str) -> bool:
    width, sep, height = value.partition(":")
    return bool(sep) and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0
