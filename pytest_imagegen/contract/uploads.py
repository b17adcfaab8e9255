"""Uploaded image files as the contract sees them: the real bytes, their real format and size.

The format comes from the magic number, not from the file name or the declared content type (a JPEG
named ``.png`` is a JPEG); width, height and mode come from Pillow, which reads only the image header
here (``Image.open`` without ``load()``), so checking a 50 MB upload stays cheap.
"""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["FileInput", "FilesInput", "UploadedFile", "read_uploads", "sniff_format"]

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"GIF87a", 0, "gif"),
    (b"GIF89a", 0, "gif"),
    (b"WEBP", 8, "webp"),  # "RIFF" + 4-byte length + "WEBP"
)


def sniff_format(data: bytes) -> str | None:
    """``png``, ``jpeg``, ``webp`` or ``gif`` from the magic number, else ``None``."""
    for magic, offset, name in _MAGIC:
        if data[offset : offset + len(magic)] == magic and (offset == 0 or data.startswith(b"RIFF")):
            return name
    return None


@dataclass(frozen=True)
class UploadedFile:
    """One multipart file part, with what its bytes really are.

    ``format`` is ``png``/``jpeg``/``webp``/``gif`` from the magic number, another lower-case Pillow
    format name for other images, or ``None`` when the bytes are not an image; ``width``/``height``/
    ``mode`` are ``None`` when Pillow cannot read the header.
    """

    part: str
    filename: str | None
    content_type: str | None
    data: bytes
    format: str | None
    width: int | None
    height: int | None
    mode: str | None

    @property
    def size(self) -> tuple[int, int] | None:
        """``(width, height)``, or ``None`` when the bytes are not a readable image."""
        if self.width is None or self.height is None:
            return None
        return (self.width, self.height)

    def __repr__(self) -> str:
        # The default repr would print every byte of the upload.
        return (
            f"UploadedFile(part={self.part!r}, filename={self.filename!r}, "
            f"content_type={self.content_type!r}, {len(self.data)} bytes, format={self.format!r}, "
            f"size={self.width}x{self.height}, mode={self.mode!r})"
        )


#: One file: raw bytes, ``(filename, bytes)``, ``(filename, bytes, content_type)`` or an ``UploadedFile``.
FileInput: TypeAlias = (
    bytes
    | bytearray
    | memoryview
    | tuple[str | None, bytes]
    | tuple[str | None, bytes, str | None]
    | UploadedFile
)
#: Part name (``image``, ``image[]``, ``mask``) -> one file or a list of them.
FilesInput: TypeAlias = Mapping[str, FileInput | list[FileInput]]


def read_upload(part: str, value: FileInput) -> UploadedFile:
    """Describe one file; never raises for bad image data (the validators decide what is wrong)."""
    if isinstance(value, UploadedFile):
        return (
            value if value.part == part else _describe(part, value.filename, value.data, value.content_type)
        )
    if isinstance(value, bytes | bytearray | memoryview):
        # No copy for bytes: uploads may be 50 MB.
        return _describe(part, None, value if isinstance(value, bytes) else bytes(value), None)
    if isinstance(value, tuple) and len(value) in (2, 3):
        filename = value[0]
        content_type = value[2] if len(value) == 3 else None
        if content_type is None and filename:
            # What httpx and the openai SDK would send for this name.
            content_type = mimetypes.guess_type(filename)[0]
        data = value[1]
        return _describe(part, filename, data if isinstance(data, bytes) else bytes(data), content_type)
    raise TypeError(
        f"file part {part!r}: expected bytes, (filename, bytes[, content_type]) or UploadedFile, "
        f"got {type(value).__name__}"
    )


def read_uploads(files: FilesInput | None) -> tuple[UploadedFile, ...]:
    """Every file of a ``files`` mapping, in part order, lists flattened."""
    if not files:
        return ()
    out: list[UploadedFile] = []
    for part, value in files.items():
        if isinstance(value, list):
            out.extend(read_upload(part, item) for item in value)
        else:
            out.append(read_upload(part, value))
    return tuple(out)


def _describe(part: str, filename: str | None, data: bytes, content_type: str | None) -> UploadedFile:
    fmt = sniff_format(data)
    width = height = None
    mode = None
    try:
        from PIL import Image, UnidentifiedImageError  # loaded when an upload is checked

        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            mode = img.mode
            if fmt is None and img.format:
                fmt = img.format.lower()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # Pillow raises SyntaxError for some truncated headers; all of these mean "not readable".
        pass
    return UploadedFile(part, filename, content_type, data, fmt, width, height, mode)


def decode_image_header(data: bytes) -> tuple[str | None, tuple[int, int], str] | None:
    """``(format, (width, height), mode)`` of an encoded image, or ``None`` when it is not one."""
    try:
        from PIL import Image, UnidentifiedImageError  # loaded when an upload is checked

        with Image.open(io.BytesIO(data)) as img:
            fmt = sniff_format(data) or (img.format.lower() if img.format else None)
            return fmt, img.size, img.mode
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
