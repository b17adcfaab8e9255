"""Request matching: fingerprints for an indexed lookup, and the diff a ``CassetteMiss`` shows.

Pure functions over the stored request form (``{"method", "uri", "headers", "body"}`` with a parsed
body, see ``wire/bodies.py``). vcrpy's matchers compare two requests at a time and its ``play_response`` scans
every interaction with every matcher; a fingerprint (a hashable tuple of the matched parts) lets the
cassette find candidates in one dict lookup whatever its size, so it is computed here instead.

What the fingerprint leaves out, and why:
- headers: user agent, ``x-stainless-*``, retry counters and idempotency keys change between runs;
- host, port and scheme unless ``match_on`` names them, and the base URL's own path: ``path`` is the
  operation path (``operation_path``), so a cassette recorded at ``https://api.openai.com/v1`` replays
  under a gateway's ``/openai/v1``, an ``/api/v1`` proxy or an Azure deployment path;
- credential query keys: they are redacted to fixed markers before matching anyway; and ``api-version``,
  which picks the wire version of an Azure deployment, not what is asked;
- multipart boundaries: parts are compared by name and value, files by their name, file name, content
  type and a digest of the original bytes (kept in the cassette even when the upload itself is trimmed
  to a placeholder): the same bytes sent as ``mask.png`` or as ``image/jpeg`` are another request;
- an image placeholder's ``preview`` (``safety/preview.py``): the sha256 beside it already tells images
  apart, and a cassette recorded before previews, or with another Pillow, still matches.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from pytest_imagegen.contract import registry
from pytest_imagegen.safety.trim import file_digest

__all__ = [
    "VOLATILE_QUERY_KEYS",
    "canonical_query",
    "describe_differences",
    "fingerprint",
    "nearest",
    "operation_path",
    "summarize",
]

# Query keys whose values differ between runs without changing what is asked (credentials and SAS
# timestamps). They are redacted before matching as well; ignoring them keeps old cassettes matching.
# Each API shape adds its own (``volatile_query_keys``: its credential and volatile query keys, such as
# the Gemini API's ``key`` and Azure's ``api-version``).
VOLATILE_QUERY_KEYS = frozenset(
    {"api_key", "token", "access_token", "sig", "signature", "se", "st", "skt", "ske"}
)

# Otherwise: what follows an Azure deployment, or the last version segment (v1, v1beta, v2alpha1).
_BASE_PREFIX = re.compile(r"^(?:.*/openai/deployments/[^/]+|.*/v\d+(?:alpha|beta)?\d*(?=/))")

Request = Mapping[str, Any]


def _canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# A placeholder's preview in canonical JSON: its keys are sorted, so ``sha256`` always follows it.
_PREVIEW = re.compile(r'"preview":"[A-Za-z0-9+/]*",(?="sha256":"[0-9a-f]{64}")')


def _without_previews(text: str) -> str:
    return _PREVIEW.sub("", text) if '"preview":"' in text else text


def body_key(body: Mapping[str, Any]) -> Hashable:
    """A hashable form of a parsed body that ignores key order, whitespace and multipart boundaries."""
    if not body:
        return ()
    if "json" in body:
        return ("json", _without_previews(_canonical_json(body["json"])))
    if "multipart" in body:
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, str, str, str]] = []
        for part in body["multipart"]:
            if "file" in part:
                kind = (str(part.get("filename") or ""), str(part.get("content_type") or ""))
                files.append((part["name"], *kind, file_digest(part)))
            else:
                fields.append((part["name"], part.get("value", "")))
        # Field order carries no meaning; file order does (the mask applies to the first image).
        return ("multipart", tuple(sorted(fields)), tuple(files))
    if "string" in body:
        return ("string", body["string"])
    if "base64" in body:
        return ("bytes", hashlib.sha256(base64.b64decode(body["base64"])).hexdigest())
    if "image" in body:
        return ("image", file_digest({"file": body["image"]}))
    if "sse" in body:
        return ("sse", _canonical_json(body["sse"]))
    return ("other", _canonical_json(body))


def operation_path(path: str) -> str:
    """The API operation a URL path names, without the base URL's own path.

    ``/v1/images/generations``, ``/openai/v1/images/generations`` and
    ``/openai/deployments/NAME/images/generations`` are all ``/images/generations``; an unknown path loses
    what precedes its last version segment (``/api/v1/files/x`` is ``/files/x``), or stays as it is.
    """
    known = registry.operation_path(path)  # the operations of every API shape (``ApiShape.operations``)
    if known is not None:
        return known
    return _BASE_PREFIX.sub("", path, count=1) or path


def _query(query: str) -> tuple[tuple[str, str], ...]:
    if not query:
        return ()
    pairs = parse_qsl(query, keep_blank_values=True)
    volatile = VOLATILE_QUERY_KEYS | registry.volatile_query_keys()
    return tuple(sorted((k, v) for k, v in pairs if k.lower() not in volatile))


def canonical_query(query: str) -> str:
    """The query as matched: sorted, without credentials and volatile keys (for raw keys)."""
    return repr(_query(query)) if query else ""


def _port(parts: SplitResult) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _part(request: Request, matcher: str, url: SplitResult) -> Hashable:
    if matcher == "method":
        return str(request["method"]).upper()
    if matcher == "path":
        return operation_path(url.path)
    if matcher == "query":
        return _query(url.query)
    if matcher == "body":
        return body_key(request.get("body") or {})
    if matcher == "host":
        return url.hostname
    if matcher == "port":
        return _port(url)
    if matcher == "scheme":
        return url.scheme
    raise ValueError(f"unknown matcher {matcher!r}")


def fingerprint(request: Request, match_on: Sequence[str]) -> tuple[Hashable, ...]:
    """The parts of ``request`` named by ``match_on``, as one hashable tuple."""
    url = urlsplit(request["uri"])
    return tuple(_part(request, m, url) for m in match_on)


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else _canonical_json(value)
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_diff(path: str, sent: Any, recorded: Any, out: list[str]) -> None:
    if isinstance(sent, dict) and isinstance(recorded, dict):
        for key in sorted(set(sent) | set(recorded), key=str):
            sub = f"{path}.{key}"
            if key not in recorded:
                out.append(f"{sub}: sent {_short(sent[key])}, not in the recording")
            elif key not in sent:
                out.append(f"{sub}: recorded {_short(recorded[key])}, not sent")
            else:
                _json_diff(sub, sent[key], recorded[key], out)
    elif isinstance(sent, list) and isinstance(recorded, list) and len(sent) == len(recorded):
        for i, (a, b) in enumerate(zip(sent, recorded, strict=True)):
            _json_diff(f"{path}[{i}]", a, b, out)
    elif sent != recorded:
        out.append(f"{path}: sent {_short(sent)}, recorded {_short(recorded)}")


def _multipart_view(
    parts: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, str], list[tuple[str, str, str, str]]]:
    fields: dict[str, str] = {}
    files: list[tuple[str, str, str, str]] = []
    for part in parts:
        if "file" in part:
            kind = str(part.get("content_type") or "")
            files.append((part["name"], part.get("filename") or "", file_digest(part), kind))
        else:
            fields[part["name"]] = part.get("value", "")
    return fields, files


def _multipart_diff(
    sent: Sequence[Mapping[str, Any]], recorded: Sequence[Mapping[str, Any]], out: list[str]
) -> None:
    sent_fields, sent_files = _multipart_view(sent)
    rec_fields, rec_files = _multipart_view(recorded)
    _json_diff("body", sent_fields, rec_fields, out)
    for i in range(max(len(sent_files), len(rec_files))):
        a = sent_files[i] if i < len(sent_files) else None
        b = rec_files[i] if i < len(rec_files) else None
        if a is None and b is not None:
            out.append(f"file #{i} ({b[0]}): recorded {b[1]!r} sha256 {b[2][:12]}, not sent")
        elif b is None and a is not None:
            out.append(f"file #{i} ({a[0]}): sent {a[1]!r} sha256 {a[2][:12]}, not in the recording")
        elif a is not None and b is not None and a != b:
            out.append(
                f"file #{i}: sent {a[0]} {a[1]!r} {a[3] or '(no type)'} sha256 {a[2][:12]}, "
                f"recorded {b[0]} {b[1]!r} {b[3] or '(no type)'} sha256 {b[2][:12]}"
            )


def describe_differences(sent: Request, recorded: Request, match_on: Sequence[str]) -> list[str]:
    """Field by field, what keeps ``sent`` from matching ``recorded`` (empty when they match)."""
    out: list[str] = []
    for matcher in match_on:
        a, b = (
            _part(sent, matcher, urlsplit(sent["uri"])),
            _part(recorded, matcher, urlsplit(recorded["uri"])),
        )
        if a == b:
            continue
        if matcher == "body":
            sent_body, rec_body = sent.get("body") or {}, recorded.get("body") or {}
            if "json" in sent_body and "json" in rec_body:
                _json_diff("body", sent_body["json"], rec_body["json"], out)
            elif "multipart" in sent_body and "multipart" in rec_body:
                _multipart_diff(sent_body["multipart"], rec_body["multipart"], out)
            else:
                out.append(f"body: sent {_body_kind(sent_body)}, recorded {_body_kind(rec_body)}")
        elif matcher == "query":
            sent_query, recorded_query = urlsplit(sent["uri"]).query, urlsplit(recorded["uri"]).query
            _json_diff("query", dict(_query(sent_query)), dict(_query(recorded_query)), out)
        else:
            out.append(f"{matcher}: sent {_short(a)}, recorded {_short(b)}")
    return out


def _body_kind(body: Mapping[str, Any]) -> str:
    if not body:
        return "no body"
    kind = next(iter(body))
    return f"a {kind} body"


def nearest(sent: Request, recorded: Sequence[Request], match_on: Sequence[str]) -> int | None:
    """Index of the recorded request closest to ``sent``: most matched parts, then fewest differences.

    Linear in the cassette size, but it runs only on a miss, to build the error message.
    """
    best: tuple[int, int] | None = None
    best_index: int | None = None
    for index, candidate in enumerate(recorded):
        same = sum(
            a == b for a, b in zip(fingerprint(sent, match_on), fingerprint(candidate, match_on), strict=True)
        )
        score = (same, -len(describe_differences(sent, candidate, match_on)))
        if best is None or score > best:
            best, best_index = score, index
    return best_index


def summarize(request: Request, limit: int = 300) -> str:
    """One readable line for a request: method, URI and a short body."""
    body = request.get("body") or {}
    if "json" in body:
        shown = _canonical_json(body["json"])
    elif "multipart" in body:
        fields, files = _multipart_view(body["multipart"])
        shown = _canonical_json(fields) + "".join(f" +{n}={f or '?'}[{d[:8]}]" for n, f, d, _ in files)
    elif "string" in body:
        shown = repr(body["string"])
    else:
        shown = _body_kind(body)
    if len(shown) > limit:
        shown = shown[: limit - 3] + "..."
    return f"{str(request['method']).upper()} {request['uri']}  {shown}"
