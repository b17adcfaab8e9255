"""Plain vcrpy / pytest-recording cassettes -> this plugin's stored form (not yet redacted or trimmed).

vcrpy stores a request body as text, bytes (``!!binary``) or null, a response body as ``{"string": raw}``
with the wire's ``content-encoding`` still applied, and headers as name -> list of values in whatever case
the client used. Converting decodes the content
(``bodies.decode_content``), parses it by content type (``bodies.parse_body``), and keeps headers the way
the recorder keeps live ones, so a converted cassette replays and matches exactly like a recorded one.
Redaction and trimming are the caller's next step (``imagegen-cassettes scrub`` does both).

Pure: dicts in, dicts out; ``load_raw`` is the only function that reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette import fileformat
from pytest_imagegen.cassette.schema import check_interaction
from pytest_imagegen.cassette.storage import Interaction, parse_cassette, read_text
from pytest_imagegen.errors import CassetteError
from pytest_imagegen.wire import bodies

__all__ = ["convert_interaction", "is_vcrpy_cassette", "is_vcrpy_interaction", "load_any"]

# vcrpy's own cassette format version (its serializers write ``version: 1``).
_VCRPY_VERSION = 1


def is_vcrpy_interaction(interaction: Mapping[str, Any]) -> bool:
    """Whether an interaction is in vcrpy's raw form (see ``storage.parse_cassette`` for the same test)."""
    request, response = interaction.get("request"), interaction.get("response")
    if not isinstance(request, Mapping) or not isinstance(response, Mapping):
        return False
    if not isinstance(request.get("body"), dict):
        return True
    body = response.get("body")
    if isinstance(body, dict) and "string" in body and not isinstance(body["string"], str):
        return True
    headers = response.get("headers")
    return isinstance(headers, Mapping) and any(str(k).lower() == "content-encoding" for k in headers)


def is_vcrpy_cassette(document: Any) -> bool:
    """Whether a loaded YAML document is a vcrpy cassette holding at least one raw interaction."""
    if not isinstance(document, dict) or not isinstance(document.get("interactions"), list):
        return False
    return any(isinstance(i, Mapping) and is_vcrpy_interaction(i) for i in document["interactions"])


def _raw_bytes(value: Any) -> bytes:
    """A vcrpy body value as bytes: str (yaml text, utf-8 on the wire), bytes (``!!binary``) or None."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise ValueError(f"body of type {type(value).__name__} is neither text nor bytes")


def _header_items(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if not isinstance(headers, Mapping):
        raise ValueError(f"headers must be a mapping, got {type(headers).__name__}")
    items: list[tuple[str, str]] = []
    for name, values in headers.items():
        for value in [values] if isinstance(values, str | int) else list(values or []):
            items.append((str(name).lower(), str(value)))
    return items


def _lower(items: Sequence[tuple[str, str]]) -> bodies.Headers:
    out: bodies.Headers = {}
    for name, value in items:
        out.setdefault(name, []).append(value)
    return out


def convert_interaction(interaction: Mapping[str, Any]) -> Interaction:
    """One vcrpy interaction in this plugin's stored form (bodies decoded and parsed; not redacted).

    Raises ValueError when a body is not encoded as its headers claim, or a part is malformed.
    """
    request, response = interaction["request"], interaction["response"]
    req_headers = _lower(_header_items(request.get("headers")))
    content, req_headers = bodies.decode_content(req_headers, _raw_bytes(request.get("body")))
    req_body = bodies.parse_body(req_headers, content)
    kept = bodies.stored_headers(req_headers, "request")

    resp_headers = _lower(_header_items(response.get("headers")))
    raw_body = response.get("body")
    raw = raw_body.get("string") if isinstance(raw_body, Mapping) else raw_body
    content, resp_headers = bodies.decode_content(resp_headers, _raw_bytes(raw))
    status = response.get("status") or {}
    code = status.get("code") if isinstance(status, Mapping) else status
    message = status.get("message") if isinstance(status, Mapping) else None
    if not isinstance(code, int):
        raise ValueError(f"response status code {code!r} is not a number")
    return {
        "request": {
            "method": str(request.get("method", "GET")).upper(),
            "uri": str(request["uri"]),
            "headers": kept,
            "body": req_body,
        },
        "response": {
            "status": {"code": code, "message": "" if message is None else str(message)},
            "headers": bodies.stored_headers(resp_headers, "response"),
            "body": bodies.parse_body(resp_headers, content),
        },
    }


def load_any(path: Path) -> tuple[list[Interaction], str]:
    """The interactions of a cassette of either kind, as stored form, and which kind it was.

    Returns ``(interactions, "imagegen")`` or ``(converted, "vcrpy")`` (``([], "empty")`` for an empty
    file). A file that is neither raises ``CassetteError`` naming it (and the interaction at fault).
    """
    text = read_text(path)
    if text is None:
        raise CassetteError(str(path), "does not exist")
    if not text.strip():
        return [], "empty"
    document = fileformat.load_raw(text, str(path))
    if not is_vcrpy_cassette(document):
        return parse_cassette(text, str(path)), "imagegen"
    if document.get("version") not in (None, _VCRPY_VERSION):
        raise CassetteError(
            str(path), f"vcrpy cassette format version {document.get('version')!r} is unknown"
        )
    converted: list[Interaction] = []
    for index, interaction in enumerate(document["interactions"]):
        if not (
            isinstance(interaction, Mapping)
            and isinstance(interaction.get("request"), Mapping)
            and isinstance(interaction.get("response"), Mapping)
            and "uri" in interaction["request"]
        ):
            raise CassetteError(str(path), f"interaction {index} is not a request/response pair")
        try:
            converted.append(
                convert_interaction(interaction) if is_vcrpy_interaction(interaction) else dict(interaction)
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CassetteError(
                str(path), f"interaction {index} cannot be converted from vcrpy form: {exc}"
            ) from None
        # What conversion made (or kept) is held to the same shape as a cassette read from disk.
        check_interaction(converted[-1], index, str(path))
    return converted, "vcrpy"
