"""Volatile values out of stored interactions, so that recording unchanged calls twice gives the same file.

A reviewer reading a re-recorded cassette's diff should see what the service changed, not what changes on
every call. Each rule keeps what replay needs (the status, the content type, the reply's meaning, values a
client parses still shaped as it expects) and fixes what differs between two recordings of the same call:

- the port of a loopback host in the request URI and in every URL of a reply and of headers: the
  emulator listens on a random port; a real service's port is kept;
- request headers that name the client build (``user-agent``), ``x-stainless-retry-count: 0`` (kept
  when it is not 0: it marks a retry), and reply headers that count or time
  (``openai-processing-ms`` and Google's ``server-timing`` dropped, ``x-ratelimit-remaining-*`` set to
  their limit, ``x-ratelimit-reset-*`` to ``0s``, ``x-request-id`` to an id derived from the request it
  answers);
- cookie expiry dates (``expires=`` in ``set-cookie``; the cookie's name and other attributes stay), and
  the CDN's own cookies (Cloudflare's ``__cf_bm``, ``_cfuvid``, ...: bot-management tokens that mean
  nothing to a client under test, like the ``cf-ray`` header that is not stored either);
- the ids a reply gives its objects (``resp_…``, ``ig_…``, ``msg_…``, ``chatcmpl-…``: values of ``id``,
  ``*_id`` and ``*Id`` fields shaped like ids), replaced by ids derived from the request they answer,
  the same replacement wherever the id appears later in the cassette (``previous_response_id`` in the
  next request of a conversation);
- ``created`` and ``created_at`` (integers in Images and Responses replies): one fixed time,
  ``FIXED_TIME``, still an integer;
- the start and expiry times (``st``, ``se``) of signed URLs (their signature is redacted anyway), in
  a reply and in the URI of the request that fetches such a URL (a polled job's signed download);
- stream timing (``offset_ms`` of each SSE event), unless the recording asked to keep it
  (``replay_timing="recorded"``, which replays with the recorded pacing).

A request body is matched on, so it keeps its meaning: ``"created": 1`` and ``2``, ``http://localhost:8001``
and ``:9002`` in a prompt stay apart. Only what the service itself handed out and the client sends back
is replaced in it, exactly as the reply that handed it out was (a conversation's ``previous_response_id``,
a loopback URL or signed-URL time of an earlier reply, the service's own loopback address): a replayed
client receives the replaced value and sends it back, so the recording must hold the same. The maps
(``ids``, ``urls``) live in memory for one recording; nothing else of a request body changes.

Pure: a stored interaction in, a new one out. The input is not changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pytest_imagegen.safety.volatile import StandIns, fixed_field, fixed_time_text, is_token, replace_known

__all__ = ["FIXED_TIME", "normalize_interaction", "normalize_request", "normalize_uri"]

#: What every ``created`` / ``created_at`` becomes: 2025-01-01T00:00:00Z.
FIXED_TIME = 1735689600
_FIXED_SAS_TIME = "2025-01-01T00:00:00Z"

_LOOPBACK = frozenset({"localhost", "::1", "[::1]"})
_TIME_KEYS = frozenset({"created", "created_at"})
_DROPPED_REQUEST = frozenset({"user-agent"})
# Timings, and a CDN's per-request ids and cache state (S3, CloudFront, Fastly): nothing a client needs.
_DROPPED_RESPONSE = frozenset(
    {
        "openai-processing-ms",
        "server-timing",
        "x-amz-id-2",
        "x-amz-cf-id",
        "x-amz-cf-pop",
        "age",
        "x-cache",
        "x-served-by",
        "x-timer",
        "last-modified",
    }
)
# All of 127/8 is loopback: a test may serve submission, status and downloads on 127.0.0.1, .2 and .3.
_LOOPBACK_URL = re.compile(r"(https?://(?:127(?:\.[0-9]{1,3}){3}|localhost|\[::1\])):\d+")
_SAS_TIME = re.compile(
    r"([?&](?:st|se|skt|ske)=)[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}(?:%3A|:)[0-9]{2}(?:%3A|:)[0-9]{2}Z"
)
_EXPIRES = re.compile(r";\s*expires=[^;]*", re.IGNORECASE)


def normalize_uri(uri: str) -> str:
    """``uri`` without the port of a loopback host (which is random for a local emulator)."""
    parts = urlsplit(uri)
    if parts.port is None or not _is_loopback(parts.hostname):
        return uri
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else str(parts.hostname)
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _is_loopback(host: str | None) -> bool:
    return host is not None and (
        host in _LOOPBACK or re.fullmatch(r"127(?:\.[0-9]{1,3}){3}", host) is not None
    )


def _text(value: str, seen: dict[str, str] | None = None, stand: StandIns | None = None) -> str:
    """``value`` without loopback ports and signed-URL times; each piece replaced is noted in ``seen``
    (original -> replacement), so a request that sends it back can be given the same replacement. With
    ``stand`` (a reply's text), made-up ids and signing times in its URLs too (``volatile.py``)."""
    if "://" in value:
        value = _LOOPBACK_URL.sub(lambda m: _noted(m.group(0), m.group(1), seen), value)
    if "=" in value and ("st=" in value or "se=" in value or "skt=" in value or "ske=" in value):
        value = _SAS_TIME.sub(lambda m: _noted(m.group(0), m.group(1) + _FIXED_SAS_TIME, seen), value)
    if stand is not None:
        value = stand.text(value)
    return value


def _noted(original: str, replacement: str, seen: dict[str, str] | None) -> str:
    if seen is not None and original != replacement:
        seen[original] = replacement
    return replacement


def _mapped(value: Any, urls: Mapping[str, str]) -> Any:
    """``value`` (request JSON) with every piece of text a reply had replaced (``urls``) replaced alike."""
    if isinstance(value, str):
        for original, replacement in urls.items():
            if original in value:
                value = value.replace(original, replacement)
        return value
    if isinstance(value, list):
        return [_mapped(item, urls) for item in value]
    if isinstance(value, dict):
        if "placeholder" in value and len(value) == 1:
            return value
        return {key: _mapped(item, urls) for key, item in value.items()}
    return value


def _request_uri(uri: str, ids: Mapping[str, str] | None, urls: Mapping[str, str] | None) -> str:
    """A request URI that sends back what a reply handed out (a job's status URL, a signed download URL,
    an id in a path) holds the replacements that reply was given: a replayed client sends those."""
    uri = normalize_uri(uri)
    for mapping in (urls, ids):
        if mapping:
            uri = replace_known(uri, dict(mapping))
    return uri


def _request_body(body: Mapping[str, Any], urls: Mapping[str, str]) -> dict[str, Any]:
    if not urls:
        return dict(body)
    if "json" in body:
        return {"json": _mapped(body["json"], urls)}
    if "string" in body:
        return {"string": _mapped(str(body["string"]), urls)}
    if "multipart" in body:
        return {
            "multipart": [
                {**part, "value": _mapped(part["value"], urls)}
                if isinstance(part.get("value"), str)
                else part
                for part in body["multipart"]
            ]
        }
    return dict(body)


def _json(value: Any, seen: dict[str, str] | None, stand: StandIns | None = None, *, top: bool = True) -> Any:
    if isinstance(value, str):
        return _text(value, seen, stand)
    if isinstance(value, list):
        return [_json(item, seen, stand, top=False) for item in value]
    if isinstance(value, dict):
        if "placeholder" in value and len(value) == 1:
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _TIME_KEYS and type(item) is int:
                out[key] = FIXED_TIME
            elif stand is not None and isinstance(item, str) and key.endswith(("_at", "At")):
                fixed = fixed_time_text(item)  # a job's created_at, started_at, completed_at
                out[key] = fixed if fixed is not None else _json(item, seen, stand, top=False)
            elif (
                top
                and stand is not None
                and isinstance(item, str)
                and _is_id_key(key)
                and is_token(item, mixed_case=False)
            ):
                # The reply's own id (a job's): top level only, since a nested id (a model version's)
                # may be one the client also knows by heart and sends as it is.
                out[key] = stand.token(item)
            else:
                out[key] = _json(item, seen, stand, top=False)
        return out
    return value


def _body(
    body: Mapping[str, Any],
    *,
    keep_offsets: bool,
    seen: dict[str, str] | None = None,
    stand: StandIns | None = None,
) -> dict[str, Any]:
    """A reply's body without its volatile values (never a request's: see the module docstring)."""
    if "json" in body:
        return {"json": _json(body["json"], seen, stand)}
    if "sse" in body:
        events = []
        for event in body["sse"]:
            new = dict(event)
            new["data"] = _json(event.get("data"), seen, stand)
            if not keep_offsets:
                new.pop("offset_ms", None)
            events.append(new)
        return {"sse": events}
    if "string" in body:
        return {"string": _text(str(body["string"]), seen, stand)}
    return dict(body)


def _request_id(seed: str) -> str:
    return "req_" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def _response_headers(
    headers: Mapping[str, list[str]],
    seed: str,
    seen: dict[str, str] | None = None,
    stand: StandIns | None = None,
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    limits = {
        name.removeprefix("x-ratelimit-limit-"): values
        for name, values in headers.items()
        if name.startswith("x-ratelimit-limit-")
    }
    for name, values in headers.items():
        if name in _DROPPED_RESPONSE:
            continue
        if name == "x-request-id":
            values = [_request_id(seed)]
        elif name == "etag":  # of a made-up object (a generated image): what it tags is in the body
            values = [f'"{_request_id(seed)[4:]}"']
        elif stand is not None and name.endswith("request-id"):  # x-ms-, x-amz-, a queue's own
            values = [stand.tokens_in(v) for v in values]
        elif name.startswith("x-ratelimit-remaining-"):
            values = limits.get(name.removeprefix("x-ratelimit-remaining-"), values)
        elif name.startswith("x-ratelimit-reset-"):
            values = ["0s"]
        elif name == "set-cookie":
            values = _cookies(values)
            if not values:
                continue
        else:
            values = [_text(v, seen, stand) for v in values]
        out[name] = list(values)
    return out


_ID_VALUE = re.compile(r"^([a-z][a-z0-9]*)([_-])([A-Za-z0-9]{16,})$")
_ID_LENGTH = 24
_CDN_COOKIES = frozenset({"__cf_bm", "_cfuvid", "cf_clearance", "__cflb", "__cfruid", "__cfseq"})


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith(("_id", "Id"))


def _replace_ids(value: Any, ids: dict[str, str], seed: str | None) -> Any:
    """``value`` with the ids in ``ids`` replaced; with a ``seed``, ids not seen yet get a replacement
    derived from it (in the order they appear) and are added to ``ids``."""
    if isinstance(value, list):
        return [_replace_ids(item, ids, seed) for item in value]
    if not isinstance(value, dict) or ("placeholder" in value and len(value) == 1):
        return value
    out = {}
    for key, item in value.items():
        if isinstance(item, str) and _is_id_key(key):
            known = ids.get(item)
            found = _ID_VALUE.match(item) if known is None and seed is not None else None
            if found is not None and len(found.group(3)) != _ID_LENGTH:
                digest = hashlib.sha256(f"{seed}:{len(ids)}".encode()).hexdigest()[:_ID_LENGTH]
                known = ids[item] = f"{found.group(1)}{found.group(2)}{digest}"
            out[key] = item if known is None else known
        else:
            out[key] = _replace_ids(item, ids, seed)
    return out


def _body_ids(body: Mapping[str, Any], ids: dict[str, str], seed: str | None) -> dict[str, Any]:
    if "json" in body:
        return {**body, "json": _replace_ids(body["json"], ids, seed)}
    if "sse" in body:
        return {**body, "sse": [{**e, "data": _replace_ids(e.get("data"), ids, seed)} for e in body["sse"]]}
    return dict(body)


def _cookies(values: list[str]) -> list[str]:
    kept = [v for v in values if v.split("=", 1)[0].strip() not in _CDN_COOKIES]
    return [_EXPIRES.sub("", v) for v in kept]


def normalize_request(
    request: Mapping[str, Any], ids: Mapping[str, str] | None = None, urls: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A stored (or live, cleaned) request without volatile values: replay normalizes each live request
    the same way before matching it, so the two compare equal. The body keeps its meaning (see the
    module docstring): only ``ids`` (reply ids seen while recording -> their replacements) and ``urls``
    (pieces of reply text replaced while recording -> their replacements) are applied to it."""
    out = dict(request)
    out["uri"] = _request_uri(str(request["uri"]), ids, urls)
    if "headers" in request:
        headers = request.get("headers") or {}
        out["headers"] = {
            n: [_text(v) for v in vs]
            for n, vs in headers.items()
            if n not in _DROPPED_REQUEST and not (n == "x-stainless-retry-count" and vs == ["0"])
        }
    if isinstance(request.get("body"), dict):
        body = _request_body(request["body"], urls or {})
        out["body"] = _body_ids(body, dict(ids), None) if ids else body
    return out


def _fixed_fields(document: Any, fields: Sequence[tuple[str, ...]], stand: StandIns) -> Any:
    """``document`` with the value at each of ``fields`` (JSON paths as steps, ``"*"`` for every element
    of an array: what an API shape declares in ``volatile_fields``) fixed by ``volatile.fixed_field``."""

    def fix(node: Any, steps: tuple[str, ...]) -> Any:
        if not steps:
            return fixed_field(node, stand)
        step, rest = steps[0], steps[1:]
        if step == "*" and isinstance(node, list):
            return [fix(item, rest) for item in node]
        if isinstance(node, dict) and step in node:
            return {**node, step: fix(node[step], rest)}
        return node

    for field in fields:
        document = fix(document, tuple(field))
    return document


def _own_origin(uri: str, urls: dict[str, str]) -> None:
    """Note the loopback origin a request was sent to (the service's own address, a random port)."""
    found = _LOOPBACK_URL.match(uri)
    if found is not None:
        urls[found.group(0)] = found.group(1)


def normalize_interaction(
    interaction: Mapping[str, Any],
    *,
    seed: str | Callable[[dict[str, Any]], str],
    keep_offsets: bool = False,
    ids: dict[str, str] | None = None,
    urls: dict[str, str] | None = None,
    fields: Sequence[tuple[str, ...]] = (),
) -> dict[str, Any]:
    """``interaction`` (stored form) without its volatile values; replacement ids are derived from
    ``seed`` (or what it returns for the normalized request), which the caller makes the same in every
    recording of the same call. ``ids`` is the cassette's map of reply ids to their replacements: ids in
    the request are looked up in it, ids in the reply are added to it. ``urls`` is the same for pieces of
    text (loopback origins, signed-URL times): those of the request's own URI and of the reply are added,
    and the request is given the replacements of earlier replies. ``fields``: where the reply's JSON holds
    values its API shape says are made up afresh (``ApiShape.volatile_fields``, ``volatile.fixed_field``)."""
    ids = {} if ids is None else ids
    urls = {} if urls is None else urls
    _own_origin(str(interaction["request"]["uri"]), urls)
    request = normalize_request(interaction["request"], ids, urls)
    response = dict(interaction["response"])
    if callable(seed):
        seed = seed(request)
    stand = StandIns(urls, seed)
    response["headers"] = _response_headers(response.get("headers") or {}, seed, urls, stand)
    if isinstance(response.get("body"), dict):
        body = _body(response["body"], keep_offsets=keep_offsets, seen=urls, stand=stand)
        if fields and isinstance(body.get("json"), (dict, list)):
            body["json"] = _fixed_fields(body["json"], fields, stand)
        response["body"] = _body_ids(body, ids, seed)
    return {**interaction, "request": request, "response": response}
