"""``multipart/form-data`` as stored: a form parsed into text fields and file parts, and rendered back.

Parsed with the stdlib ``email`` parser because python-multipart ships only in the emulator
extra and ``email`` already handles quoted and RFC 2231 parameters; bodies are in memory anyway, so its
non-streaming design costs nothing. Rendering is a few lines of framing with a fresh boundary derived
from the content (deterministic, and checked not to occur in any part).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_imagegen.wire.payloads import is_placeholder

if TYPE_CHECKING:  # the email package is loaded when a multipart body is parsed, not with the engine
    from email.message import Message

__all__ = ["parse_multipart", "render_multipart"]


def _part_param(part: Message, name: str) -> str | None:
    value = part.get_param(name, header="content-disposition")
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231 (name*=utf-8''...): decoded with its declared charset
        import email.utils

        return email.utils.collapse_rfc2231_value(value)
    # The body was read as latin-1 (one char per byte); RFC 7578 names are raw UTF-8.
    return value.encode("latin-1", errors="replace").decode("utf-8", errors="replace")


def _part_bytes(part: Message) -> bytes:
    if str(part.get("content-transfer-encoding", "")).lower() in ("base64", "quoted-printable"):
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else b""
    text = part.get_payload()
    return text.encode("latin-1") if isinstance(text, str) else b""


def parse_multipart(raw: bytes, boundary: str) -> dict[str, Any] | None:
    """The parts, or None when the bytes are not well-formed multipart (the caller keeps them raw)."""
    if not boundary or f"--{boundary}".encode("latin-1", errors="replace") not in raw:
        return None
    # Parsed as latin-1 text: every byte maps to one character and back, so binary parts survive intact.
    import email.parser
    import email.policy
    from email.message import Message

    head = f'Content-Type: multipart/form-data; boundary="{boundary}"\r\n\r\n'
    msg = email.parser.Parser(policy=email.policy.compat32).parsestr(head + raw.decode("latin-1"))
    if msg.defects or not msg.is_multipart():
        return None
    parts: list[dict[str, Any]] = []
    for part in msg.get_payload():
        if not isinstance(part, Message) or part.defects:
            return None
        name = _part_param(part, "name")
        if name is None:
            return None
        filename = _part_param(part, "filename")
        content_type = part.get("content-type")
        data = _part_bytes(part)
        # A text field has neither filename nor content-type (as httpx and browsers send them); anything
        # else keeps its bytes and headers so rendering reproduces it.
        if filename is None and content_type is None:
            try:
                parts.append({"name": name, "value": data.decode("utf-8")})
                continue
            except UnicodeDecodeError:
                pass
        if content_type is not None:
            content_type = (
                str(content_type).encode("latin-1", errors="replace").decode("utf-8", errors="replace")
            )
        parts.append(
            {
                "name": name,
                "filename": filename,
                "content_type": content_type,
                "file": {"base64": base64.b64encode(data).decode("ascii")},
            }
        )
    return {"multipart": parts}


def _quote_param(value: str) -> str:
    # The WHATWG form-data escaping that httpx and browsers use.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def render_multipart(parts: Sequence[Mapping[str, Any]]) -> tuple[bytes, str]:
    """The form's bytes and its boundary: fresh, derived from the content (deterministic), and checked not
    to occur in any part."""
    chunks: list[tuple[bytes, bytes]] = []
    for part in parts:
        head = f'Content-Disposition: form-data; name="{_quote_param(part["name"])}"'
        if "value" in part:
            chunks.append((head.encode("utf-8"), str(part["value"]).encode("utf-8")))
            continue
        file = part["file"]
        if is_placeholder(file):
            raise ValueError(
                f"multipart part {part['name']!r} still holds an image placeholder: "
                "call trim.expand_body first"
            )
        if part.get("filename") is not None:
            head += f'; filename="{_quote_param(part["filename"])}"'
        if part.get("content_type") is not None:
            head += f"\r\nContent-Type: {part['content_type']}"
        chunks.append((head.encode("utf-8"), base64.b64decode(file["base64"])))
    digest = hashlib.sha256()
    for head_bytes, data in chunks:
        digest.update(head_bytes)
        digest.update(hashlib.sha256(data).digest())
    seed = digest.hexdigest()
    boundary = f"imagegen-{seed[:32]}"
    n = 0
    while any(boundary.encode() in h or boundary.encode() in d for h, d in chunks):
        n += 1  # vanishingly rare; derive another until none of the parts contains it
        boundary = f"imagegen-{hashlib.sha256(f'{seed}{n}'.encode()).hexdigest()[:32]}"
    delim = b"--" + boundary.encode("ascii")
    out = bytearray()
    for head_bytes, data in chunks:
        out += delim + b"\r\n" + head_bytes + b"\r\n\r\n" + data + b"\r\n"
    out += delim + b"--\r\n"
    return bytes(out), boundary
