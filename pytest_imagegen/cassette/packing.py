"""A stored interaction as it is written to a file, more compactly, and read back exactly.

Every other part of the plugin sees interactions in their full stored form; only the file holds them
packed, so nothing but ``storage`` needs to know these rules:

- a header with one value is written as a string, several as a list (half the lines of a cassette);
- a status whose message is the standard reason phrase is written as its code alone (``"status": 200``);
- a request's ``content-type: application/json`` is left out when its body is stored as JSON, which says
  the same;
- the rate-limit counters a recording normalizes (``safety/normalize.py``: each ``x-ratelimit-remaining-*``
  equal to its limit, each ``x-ratelimit-reset-*`` ``0s``) are written as one line,
  ``"x-ratelimit-remaining-* / reset-*": "= limit / 0s"``, where they followed the limits in the order
  the service sends them; the file says what they hold without four lines a reader can learn nothing
  from;
- an SSE event whose ``event`` name is its data's ``type`` (every event of OpenAI's streams) is written
  without the name; one whose name differs, or that had none (``"event": null``), keeps it;
- within one SSE body, an object that repeats an earlier one exactly (a Responses stream sends the whole
  response in ``response.created`` and again in ``response.in_progress``, and the finished item once in
  ``response.output_item.done`` and again inside ``response.completed``) is written as
  ``{"$same_as": [event index, key, ...]}``, the path of its first occurrence. Only objects whose JSON
  is at least ``MIN_SHARED`` characters are shared, so small records stay where a reader expects them.

Pure: dicts in, dicts out. ``unpack`` raises ``ValueError`` for a reference that points nowhere, and
for references that would copy more than ``MAX_COPIED_NODES`` nodes: each reference is a copy, so a
chain of events that each refer to the one before twice doubles at every step (a few kilobytes of file
would expand past any memory, as a YAML alias bomb does).
"""

from __future__ import annotations

import copy
import http
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["REF_KEY", "pack", "unpack"]

REF_KEY = "$same_as"
MIN_SHARED = 160
# A real stream copies a few thousand nodes (a Responses stream repeats its response object twice).
MAX_COPIED_NODES = 200_000

Path = list[str | int]


def _headers(side: Mapping[str, Any], change: Any) -> dict[str, Any]:
    out = dict(side)
    if isinstance(out.get("headers"), dict):
        out["headers"] = {k: change(v) for k, v in out["headers"].items()}
    return out


RATE_LIMITS_KEY = "x-ratelimit-remaining-* / reset-*"  # not a header name: it cannot clash with one
RATE_LIMITS_VALUE = "= limit / 0s"
_LIMIT, _REMAINING, _RESET = "x-ratelimit-limit-", "x-ratelimit-remaining-", "x-ratelimit-reset-"


def _counters(limits: list[str]) -> list[str]:
    return [_REMAINING + x for x in limits] + [_RESET + x for x in limits]


def _pack_rate_limits(headers: dict[str, Any]) -> dict[str, Any]:
    names = list(headers)
    limits = [n.removeprefix(_LIMIT) for n in names if n.startswith(_LIMIT)]
    if not limits:
        return headers
    block = [_LIMIT + x for x in limits] + _counters(limits)
    start = names.index(block[0])
    if names[start : start + len(block)] != block or any(
        headers[_REMAINING + x] != headers[_LIMIT + x] or headers[_RESET + x] != ["0s"] for x in limits
    ):
        return headers  # not the normalized block: written as it is
    counters = set(_counters(limits))
    out: dict[str, Any] = {}
    for name, values in headers.items():
        if name not in counters:
            out[name] = values
        elif name == _REMAINING + limits[0]:
            out[RATE_LIMITS_KEY] = [RATE_LIMITS_VALUE]
    return out


def _unpack_rate_limits(headers: dict[str, Any]) -> dict[str, Any]:
    if RATE_LIMITS_KEY not in headers:
        return headers
    if headers[RATE_LIMITS_KEY] != [RATE_LIMITS_VALUE]:
        raise ValueError(f"{RATE_LIMITS_KEY!r} holds {headers[RATE_LIMITS_KEY]!r}, not {RATE_LIMITS_VALUE!r}")
    limits = [n.removeprefix(_LIMIT) for n in headers if n.startswith(_LIMIT)]
    out: dict[str, Any] = {}
    for name, values in headers.items():
        if name != RATE_LIMITS_KEY:
            out[name] = values
            continue
        for x in limits:
            out[_REMAINING + x] = list(headers[_LIMIT + x])
        for x in limits:
            out[_RESET + x] = ["0s"]
    return out


def _phrase(code: Any) -> str | None:
    try:
        return http.HTTPStatus(code).phrase if isinstance(code, int) else None
    except ValueError:
        return None


def _pack_status(response: dict[str, Any]) -> dict[str, Any]:
    status = response.get("status")
    if (
        isinstance(status, dict)
        and set(status) == {"code", "message"}
        and _phrase(status["code"]) == status["message"]
    ):
        return {**response, "status": status["code"]}
    return response


def _unpack_status(response: dict[str, Any]) -> dict[str, Any]:
    status = response.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        phrase = _phrase(status)
        if phrase is None:
            raise ValueError(f"status {status} has no standard reason phrase: write it as {{code, message}}")
        return {**response, "status": {"code": status, "message": phrase}}
    return response


_JSON_TYPE = "application/json"


def _pack_request(request: dict[str, Any]) -> dict[str, Any]:
    headers, body = request.get("headers"), request.get("body")
    if (
        isinstance(headers, dict)
        and headers.get("content-type") == [_JSON_TYPE]
        and isinstance(body, dict)
        and "json" in body
    ):
        return {**request, "headers": {k: v for k, v in headers.items() if k != "content-type"}}
    return request


def _unpack_request(request: dict[str, Any]) -> dict[str, Any]:
    headers, body = request.get("headers"), request.get("body")
    if (
        isinstance(headers, dict)
        and "content-type" not in headers
        and isinstance(body, dict)
        and "json" in body
    ):
        return {**request, "headers": {**headers, "content-type": [_JSON_TYPE]}}
    return request


def _one_value(values: Any) -> Any:
    return values[0] if isinstance(values, list) and len(values) == 1 else values


def _share(value: Any, path: Path, seen: dict[str, Path]) -> Any:
    """``value`` with objects already ``seen`` (by their canonical JSON) replaced by references."""
    if isinstance(value, dict):
        # Key order is kept in the comparison: a shared object is replayed in its first occurrence's order.
        text = json.dumps(value, separators=(",", ":"))
        if len(text) >= MIN_SHARED:
            first = seen.get(text)
            if first is not None:
                return {REF_KEY: first}
            seen[text] = path
        return {k: _share(v, [*path, k], seen) for k, v in value.items()}
    if isinstance(value, list):
        return [_share(v, [*path, i], seen) for i, v in enumerate(value)]
    return value


def _pack_sse(events: list[Any]) -> list[Any]:
    seen: dict[str, Path] = {}
    out = []
    for number, event in enumerate(events):
        if not isinstance(event, dict):
            out.append(event)
            continue
        packed = dict(event)
        data = event.get("data")
        if isinstance(data, dict) and "event" in event and event["event"] == data.get("type") is not None:
            del packed["event"]
        packed["data"] = _share(data, [number], seen)
        out.append(packed)
    return out


def pack(interaction: Mapping[str, Any]) -> dict[str, Any]:
    """The form of ``interaction`` written to a file."""
    out = dict(interaction)
    response = out.get("response")
    if isinstance(response, dict):
        response = out["response"] = _pack_status(response)
        if isinstance(response.get("headers"), dict):
            out["response"] = {**response, "headers": _pack_rate_limits(response["headers"])}
    if isinstance(out.get("request"), dict):
        out["request"] = _pack_request(out["request"])
    for side in ("request", "response"):
        if isinstance(out.get(side), dict):
            out[side] = _headers(out[side], _one_value)
    body = (out.get("response") or {}).get("body") if isinstance(out.get("response"), dict) else None
    if isinstance(body, dict) and isinstance(body.get("sse"), list):
        out["response"] = {**out["response"], "body": {**body, "sse": _pack_sse(body["sse"])}}
    return out


def _lookup(events: list[Any], path: Any) -> Any:
    if not isinstance(path, list) or not path or not isinstance(path[0], int):
        raise ValueError(f"{REF_KEY} {path!r} is not a path of an earlier event")
    node: Any = events[path[0]]["data"] if 0 <= path[0] < len(events) else None
    for step in path[1:]:
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            node = node[step]
            continue
        if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            continue
        raise ValueError(f"{REF_KEY} {path!r} points at nothing")
    return node


def _nodes(value: Any, limit: int) -> int:
    """How many nodes ``value`` holds, counting no further than ``limit + 1``."""
    count, stack = 0, [value]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _resolve(value: Any, events: list[Any], budget: list[int]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and REF_KEY in value:
            target = _lookup(events, value[REF_KEY])
            budget[0] -= _nodes(target, budget[0])
            if budget[0] < 0:
                raise ValueError(
                    f"its {REF_KEY} references would copy more than {MAX_COPIED_NODES:,} nodes "
                    "(no recorder writes that many: a reference bomb)"
                )
            return copy.deepcopy(target)
        return {k: _resolve(v, events, budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, events, budget) for v in value]
    return value


def _unpack_sse(events: list[Any], shared: bool) -> list[Any]:
    out: list[Any] = []
    budget = [MAX_COPIED_NODES]
    for event in events:
        if not isinstance(event, dict):
            out.append(event)
            continue
        full = dict(event)
        data = event.get("data")
        if shared:
            data = full["data"] = _resolve(data, out, budget)
        if "event" not in full:
            full = {"event": data.get("type") if isinstance(data, dict) else None, **full}
        out.append(full)
    return out


def _listed(headers: dict[str, Any]) -> dict[str, Any]:
    return {name: [value] if type(value) is str else value for name, value in headers.items()}


def unpack(interaction: Mapping[str, Any], *, shared: bool = True) -> dict[str, Any]:
    """The full stored form of an ``interaction`` read from a file (``shared=False``: the file holds no
    references, so none are looked for).

    Written for speed, one copy per side: replay unpacks every interaction of a cassette as it loads.
    """
    out = dict(interaction)
    request = out.get("request")
    if isinstance(request, dict):
        request = out["request"] = dict(request)
        if isinstance(request.get("headers"), dict):
            request["headers"] = _listed(request["headers"])
        out["request"] = _unpack_request(request)
    response = out.get("response")
    if isinstance(response, dict):
        response = out["response"] = _unpack_status(dict(response))
        headers = response.get("headers")
        if isinstance(headers, dict):
            headers = _listed(headers)
            response["headers"] = _unpack_rate_limits(headers) if RATE_LIMITS_KEY in headers else headers
        body = response.get("body")
        if isinstance(body, dict) and isinstance(body.get("sse"), list):
            response["body"] = {**body, "sse": _unpack_sse(body["sse"], shared)}
    return out
