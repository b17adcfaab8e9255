"""Image inputs and multipart form fields, encoded the way the openai SDK encodes them.

An image argument may be a path (``str`` or ``os.PathLike``), ``bytes``, a binary file object, a
``(filename, content[, content_type])`` tuple, or a ``list`` of those (a tuple is always one file, as
in httpx and the SDK; only a list means several). Each becomes ``(filename, bytes, content_type)``.
One file goes in the part named after the parameter (``image``), a list in repeated ``image[]``
parts (as the openai SDK sends images.edit). Scalars become text parts (booleans ``true``/``false``, ``None`` left out),
mappings become bracketed names (``svg[model]``) and lists ``name[]`` parts, as the SDK's
``_qs`` "brackets" format does.

The content type is guessed from the filename like httpx does; where that says nothing useful the
format is sniffed from the first bytes, so raw ``bytes`` of a PNG go out as ``image/png`` rather than
the ``application/octet-stream`` the API rejects (``unsupported_file_mimetype``); the sniffing is
the contract's own (magic numbers), so the client and the validator agree on what a file is.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypeAlias

from pytest_imagegen.contract.capabilities import MIME_TYPES
from pytest_imagegen.contract.uploads import sniff_format

__all__ = ["ImageFile", "ImageInput", "UploadFile", "form_fields", "to_upload_files"]

FileContent: TypeAlias = "bytes | IO[bytes] | os.PathLike[str]"
ImageFile: TypeAlias = (
    "str | os.PathLike[str] | bytes | IO[bytes] | tuple[str | None, FileContent]"
    " | tuple[str | None, FileContent, str | None]"
)
#: What ``edit(image=...)``, ``mask=`` and ``create_variation(image=...)`` accept.
ImageInput: TypeAlias = "ImageFile | list[ImageFile]"
#: One multipart file part: (filename, content, content type).
UploadFile: TypeAlias = tuple[str, bytes, str]

_OCTET_STREAM = "application/octet-stream"
_EXTENSION = {"png": ".png", "jpeg": ".jpg", "gif": ".gif", "webp": ".webp"}


def sniff_image_type(content: bytes) -> str | None:
    """The image content type the magic number says (``image/png``...), or ``None``."""
    fmt = sniff_format(content)
    return MIME_TYPES.get(fmt) if fmt else None


def to_upload_files(value: object, *, name: str) -> tuple[str, list[UploadFile]]:
    """``(part name, files)`` for one image parameter: ``name`` for one file, ``name[]`` for a list."""
    if isinstance(value, list):
        if not value:
            # An empty list would send no part at all; say so instead of letting the server guess.
            raise ValueError(f"{name}: the list of images is empty; pass at least one image")
        return f"{name}[]", [
            _to_upload(item, where=f"{name}[{i}]", stem=name) for i, item in enumerate(value)
        ]
    return name, [_to_upload(value, where=name, stem=name)]


def _to_upload(value: object, *, where: str, stem: str) -> UploadFile:
    filename: str | None
    content_type: str | None = None
    if isinstance(value, tuple):
        if len(value) not in (2, 3) or not (value[0] is None or isinstance(value[0], str)):
            raise TypeError(
                f"{where}: a file tuple is (filename, content) or (filename, content, content_type)"
            )
        if isinstance(value[1], str):  # a str here could be a path or text; the SDK refuses it too
            raise TypeError(
                f"{where}: a file tuple's content is bytes, a binary file or an os.PathLike, not str"
            )
        filename = value[0]
        content, _ = _read_content(value[1], where=where)
        if len(value) == 3:
            if not (value[2] is None or isinstance(value[2], str)):
                raise TypeError(f"{where}: a file tuple's content type is a str or None")
            content_type = value[2]
    else:
        content, filename = _read_content(value, where=where)
    if not filename:
        fmt = sniff_format(content)
        filename = stem + _EXTENSION[fmt] if fmt in _EXTENSION else "upload"
    return filename, content, content_type or _guess_content_type(filename, content)


def _read_content(value: object, *, where: str) -> tuple[bytes, str | None]:
    """The bytes of one file input and the filename it carries, if any."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value), None
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        return path.read_bytes(), path.name
    read = getattr(value, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, bytes):
            raise TypeError(
                f"{where}: the file object gave {type(data).__name__}; open it in binary mode ('rb')"
            )
        name = getattr(value, "name", None)
        return data, os.path.basename(name) if isinstance(name, str) else None
    raise TypeError(
        f"{where}: expected a path, bytes, a binary file object or a (filename, content[, content_type]) "
        f"tuple, got {type(value).__name__}"
    )


def _guess_content_type(filename: str, content: bytes) -> str:
    guessed, _ = mimetypes.guess_type(filename)
    if guessed and guessed != _OCTET_STREAM:
        return guessed
    return sniff_image_type(content) or _OCTET_STREAM


def form_fields(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Text parts for a multipart body, in the SDK's encoding; ``None`` values are left out."""
    fields: list[tuple[str, str]] = []
    for key, value in params.items():
        _flatten(key, value, fields)
    return fields


def _flatten(key: str, value: object, out: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for sub, item in value.items():
            _flatten(f"{key}[{sub}]", item, out)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for item in value:
            _flatten(f"{key}[]", item, out)
    elif isinstance(value, bool):  # before int: bool is an int, and the API wants true/false
        out.append((key, "true" if value else "false"))
    else:
        out.append((key, str(value)))
