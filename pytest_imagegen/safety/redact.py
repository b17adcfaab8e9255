"""Secrets out of interactions: headers, URLs (request and inside bodies), bodies, user-supplied values.

Every secret is replaced by a fixed marker (``REDACTED``, ``sk-REDACTED``, ``org-REDACTED``,
``proj_REDACTED``, ``user-REDACTED``, ``REDACTED-SIG``), and redaction is idempotent: redacting a
redacted interaction changes nothing.

Markers carry nothing of what they replace, not even a short digest: a digest of a secret is a test an
attacker runs offline against a dictionary (a low-entropy password, a ``user`` id, a configured value
falls in seconds), and no salt helps when whoever replays must compute the same digest. So two requests
that differ only in a secret are stored alike. Within one cassette the recorder sees both and refuses
to store them (``cassette/identity.py``); a replay cannot tell them apart, and a request whose bytes
carried a secret gets no raw key in the index, for the same reason.

A request is redacted by one function, ``redact_request``, when it is recorded and when it is replayed,
so the stored form and the form a replay computes are the same by construction.

What counts as a secret, and why:

- Request headers ``authorization``, ``proxy-authorization``, ``api-key``, ``x-api-key``, ``cookie``,
  ``openai-organization``, ``openai-project``, any header named in the one list of credential names
  (``redact_rules.CREDENTIAL_NAMES``) and any header whose name says key, token, secret, auth,
  password, credential, session, cookie, signature or hmac (headers are never matched, so the wider
  rule costs nothing); response headers ``openai-organization``, ``openai-project``, ``set-cookie`` and
  the same name rules, except names known to hold no secret (``www-authenticate``,
  ``x-ratelimit-*-tokens``, ``access-control-*``, ``signature-input``). ``Authorization`` keeps its
  scheme word (``Bearer sk-REDACTED``); a Basic credential's user name and password are secrets too.
- ``set-cookie`` keeps the cookie name and attributes and loses only the value: a replayed client still
  receives the cookie it got live (cookie-jar behaviour stays the same), a reader sees which cookies the
  service set, and the value is the only part that identifies a client. Several cookies folded into
  one value (``a=1; Path=/, session=...``) are each treated so. ``cookie`` does the same.
- Query parameters named in the one list (whole names: ``key``, ``token``, ``sig``, ``api_key``,
  ``x_amz_signature``, the SAS signer ids ``skoid``/``sktid``/``skdutid``/``sduoid``; ``code``, Azure
  Functions' key, in a query only), in URLs with or without a scheme, with a broken port, HTML-escaped
  (``&amp;``, ``&#38;``), JSON-escaped (``\u0026``), after ``;``, and inside a percent-encoded URL in
  another URL's query. ``max_tokens`` and ``pageToken`` are not credentials. The remaining SAS
  parameters (``st``, ``se``, ``sp``, ``sv``, ``sr``, ...) are the policy the signature covers (times,
  permissions, versions): they grant nothing without ``sig`` and stay.
- URL paths: ``org-…`` and ``user-…`` segments that look like ids (dall-e blob paths); userinfo.
- Fields named in the one list anywhere in JSON, SSE data and multipart fields: every string under them.
- Free text (``redact_text.py``): credential shapes (``credentials.py``), the run's own secrets in any
  encoding (``literals.py``), and in replies what the service's own messages name (``Incorrect API key
  provided: …``, ``organization org-…``). Words that share a prefix (``sk-learn``, ``org-2024``) or a
  name (``key=Cmaj7`` in a prompt) are not secrets and stay.
- Literal values: every value taken out of a header, query parameter or credential-named field above,
  and the user's own ``RedactionRules.values``, are also replaced wherever else they appear, when at
  least ``MIN_LITERAL_LENGTH`` long (shorter ones would hit ordinary text).
- Image metadata: text blocks inside images (PNG text chunks, EXIF, XMP, comments) that hold anything
  the rules above would remove are dropped from the image (see ``_redact_image``).

Image payloads (``b64_json`` values, any other base64 image or image data URL such as a Responses
``result`` or ``input_image.image_url``, base64 file parts and bodies) are not searched as text: they
are binary (only the text blocks inside them are, see above), and the leak scan (``leaks.py``) decodes
every image slot that holds no image and every other base64 before anything is written.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_imagegen.safety import image_text
from pytest_imagegen.safety.credentials import MIN_LITERAL_LENGTH
from pytest_imagegen.safety.literals import literals_for
from pytest_imagegen.safety.redact_rules import (
    DEFAULT_RULES,
    REDACTED,
    USER_FIELDS,
    RedactionRules,
    is_marker_text,
    is_secret_field_name,
    is_secret_header,
    may_change,
)
from pytest_imagegen.safety.redact_text import URL_IN_TEXT, Redactor, redact_header_value, redact_url
from pytest_imagegen.wire.bodies import Body
from pytest_imagegen.wire.json_text import Number, Pairs, dumps_pairs, loads_pairs
from pytest_imagegen.wire.payloads import decoded_image_payload, image_payload, is_placeholder

__all__ = ["redact_interaction", "redact_request"]


@dataclass(frozen=True)
class _Walk:
    """How one side of an interaction is redacted: its text function, and whether it is a reply."""

    redactor: Redactor
    reply: bool
    redact_user: bool

    def text(self, value: str) -> str:
        return self.redactor.text(value, reply=self.reply)

    def secret(self, value: Any) -> Any:
        """Everything under a credential-named field: each string replaced, structure kept."""
        if isinstance(value, str):
            if is_marker_text(value):
                return self.text(value)  # a marker: only the digest of an earlier version goes
            return value if not value else REDACTED
        if isinstance(value, Pairs):
            return Pairs((key, self.secret(item)) for key, item in value)
        if isinstance(value, list):
            return [self.secret(item) for item in value]
        if isinstance(value, dict) and not is_placeholder(value):
            return {key: self.secret(item) for key, item in value.items()}
        return value  # numbers, booleans, null: not text a secret could be written in

    def image(self, b64: str) -> str:
        return _redact_image(b64, lambda text: self.text(text) != text)


def _is_image(text: str) -> bool:
    """A base64 image or image data URL, in any API shape's place for one (``result``,
    ``partial_image_b64``, ``input_image.image_url``, ...): a head check, so a 3 MB image costs nothing."""
    return image_payload(text) is not None


def _redact_image(text: str, holds_secret: Callable[[str], bool]) -> str:
    """An image's base64 (or data URL) without the metadata blocks (PNG text chunks, EXIF, XMP,
    comments) that hold a secret; the same string when none does, or when it is no image at all.

    ``payloads="keep"`` promises the image as the service sent it: same format, same pixels, same
    bytes. A secret inside its metadata is the one exception, as it is everywhere else in a cassette:
    the block that holds it is dropped (not rewritten, so no offsets inside EXIF can break), and the
    image then differs from the original only by that block. Nothing is dropped from an image whose
    metadata holds no secret.
    """
    found = decoded_image_payload(text)
    if found is None:
        return text
    prefix, raw = found
    kept = image_text.drop_segments(raw, holds_secret)
    return text if kept is raw else prefix + base64.b64encode(kept).decode("ascii")


def _walk_json(value: Any, walk: _Walk) -> Any:
    if isinstance(value, Number):  # a number of JSON text read as written (json_text.loads_pairs)
        return value
    if isinstance(value, str):
        return walk.image(value) if _is_image(value) else walk.text(value)
    if isinstance(value, Pairs):
        return Pairs(_walk_members(value, walk))
    if isinstance(value, list):
        return [_walk_json(item, walk) for item in value]
    if isinstance(value, dict):
        if is_placeholder(value):
            return value
        return dict(_walk_members(value.items(), walk))
    return value


def _walk_members(members: Iterable[tuple[Any, Any]], walk: _Walk) -> list[tuple[Any, Any]]:
    out = []
    for key, item in members:
        if isinstance(item, str) and (key == "b64_json" or _is_image(item)):
            out.append((key, walk.image(item)))  # an image payload: binary, not text
        elif walk.redact_user and key in USER_FIELDS and isinstance(item, str):
            out.append((key, item if is_marker_text(item) else REDACTED))
        elif isinstance(key, str) and is_secret_field_name(key):
            out.append((key, walk.secret(item)))
        else:
            out.append((key, _walk_json(item, walk)))
    return out


def _json_text(text: str) -> Any:
    """The JSON a text body holds, every member kept (``json_text.Pairs``), or None when it holds none."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return loads_pairs(text)
    except (ValueError, RecursionError):
        return None


def _walk_string(text: str, walk: _Walk) -> str:
    """A text body: JSON that is no plain value (a repeated key: ``json_text.py``) is walked member by
    member, as a JSON body is; any other text is free text."""
    document = _json_text(text)
    if document is None:
        return walk.text(text)
    walked = _walk_json(document, walk)
    return text if walked == document else dumps_pairs(walked)


def _walk_file(file: Any, walk: _Walk) -> Any:
    if isinstance(file, dict) and isinstance(file.get("base64"), str) and not is_placeholder(file):
        return {**file, "base64": walk.image(file["base64"])}
    return dict(file) if isinstance(file, dict) else file


def _walk_body(body: Body, walk: _Walk) -> Body:
    if "json" in body:
        return {"json": _walk_json(body["json"], walk)}
    if "sse" in body:
        events = []
        for ev in body["sse"]:
            new = dict(ev)
            new["data"] = _walk_json(ev.get("data"), walk)
            for key in ("event", "id"):
                if isinstance(new.get(key), str):
                    new[key] = walk.text(new[key])
            events.append(new)
        return {"sse": events}
    if "multipart" in body:
        parts = []
        for part in body["multipart"]:
            new = dict(part)
            if "value" in part:
                name, value = str(part.get("name")), str(part["value"])
                if walk.redact_user and name in USER_FIELDS:
                    new["value"] = value if is_marker_text(value) else REDACTED
                elif is_secret_field_name(name):
                    new["value"] = walk.secret(value)
                else:
                    new["value"] = walk.text(value)
            if isinstance(part.get("filename"), str):
                new["filename"] = walk.text(part["filename"])
            if "file" in part:
                new["file"] = _walk_file(part["file"], walk)
            parts.append(new)
        return {"multipart": parts}
    if "string" in body:
        return {"string": _walk_string(str(body["string"]), walk)}
    if "image" in body:
        return {"image": _walk_file(body["image"], walk)}
    return {key: (dict(value) if isinstance(value, dict) else value) for key, value in body.items()}


def _headers(
    headers: Mapping[str, list[str]],
    *,
    response: bool,
    rules: RedactionRules,
    found: set[str],
    fn: Callable[[str], str],
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, raw_values in headers.items():
        values = [raw_values] if isinstance(raw_values, str) else list(raw_values)
        lower = name.lower()
        if is_secret_header(lower, response=response, rules=rules):
            out[name] = [redact_header_value(lower, str(v), found) for v in values]
        else:
            out[name] = [fn(str(v)) for v in values]
    return out


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Pairs):
        for _, item in value:
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        if is_placeholder(value):
            return
        for key, item in value.items():
            if isinstance(item, str) and (key in ("b64_json", "base64") or _is_image(item)):
                continue
            yield from _strings(item)


def _field_values(value: Any, *, users: bool) -> Iterable[str]:
    """Values of credential-named fields (and of user-id fields when ``users``) in a JSON document."""
    if isinstance(value, list) and not isinstance(value, Pairs):
        for item in value:
            yield from _field_values(item, users=users)
    elif isinstance(value, (dict, Pairs)):
        for key, item in value.items():
            if isinstance(item, str) and users and key in USER_FIELDS:
                yield item
            elif isinstance(key, str) and is_secret_field_name(key):
                yield from (s for s in _strings(item) if s)
            elif key != "b64_json":
                yield from _field_values(item, users=users)


def _collect(
    sides: Iterable[tuple[Mapping[str, Any], bool]], rules: RedactionRules
) -> tuple[set[str], set[str]]:
    """Every literal the structured rules remove anywhere in the interaction (first pass), so a value
    taken from one place is also removed from all others, whatever their order: the run's secrets
    (headers, URLs) and the values of credential-named and user fields."""
    found: set[str] = set()
    fields: set[str] = set()
    for side, response in sides:
        for name, values in (side.get("headers") or {}).items():
            if is_secret_header(name, response=response, rules=rules):
                for value in [values] if isinstance(values, str) else values:
                    redact_header_value(name.lower(), str(value), found)
        for text in _strings({k: v for k, v in side.items() if k != "headers"}):
            if "://" in text:
                for m in URL_IN_TEXT.finditer(text):
                    found |= redact_url(m.group(0), rules)[1]
        for text in _strings(side.get("headers") or {}):
            if "://" in text:
                for m in URL_IN_TEXT.finditer(text):
                    found |= redact_url(m.group(0), rules)[1]
        body = side.get("body") or {}
        users = rules.redact_user
        documents = [body["json"]] if "json" in body else [ev.get("data") for ev in body.get("sse", [])]
        if isinstance(body.get("string"), str):
            documents.append(_json_text(body["string"]))
        for document in documents:
            fields.update(v for v in _field_values(document, users=users) if not is_marker_text(v))
        for part in body.get("multipart", []):
            if "value" in part and not is_marker_text(str(part["value"])):
                name, value = str(part.get("name")), str(part["value"])
                if (users and name in USER_FIELDS) or is_secret_field_name(name):
                    fields.add(value)
    return found, fields


def _redact_side(
    side: Mapping[str, Any], *, response: bool, rules: RedactionRules, redactor: Redactor
) -> dict[str, Any]:
    out = dict(side)
    unused: set[str] = set()
    walk = _Walk(redactor, response, rules.redact_user)
    if "headers" in side:
        # Headers are never matched: their free text is redacted as a reply's is.
        out["headers"] = _headers(
            side["headers"],
            response=response,
            rules=rules,
            found=unused,
            fn=functools.partial(redactor.text, reply=True),
        )
    if isinstance(side.get("uri"), str):
        out["uri"] = walk.text(side["uri"])
    if isinstance(side.get("status"), dict):
        out["status"] = dict(side["status"])
    if isinstance(side.get("body"), dict):
        out["body"] = _walk_body(side["body"], walk)
    return out


def redact_interaction(
    interaction: Mapping[str, Any], rules: RedactionRules = DEFAULT_RULES, *, literals: Iterable[str] = ()
) -> tuple[dict[str, Any], set[str]]:
    """A redacted copy of ``{"request": ..., "response": ...}`` (either may be missing) and the literal
    secret values it took out (plus ``rules.values``), for the leak scan. The input is not changed.

    ``literals`` are more values to remove wherever they appear: pass the ones an earlier call found
    (say, when the request was redacted alone) so their echoes in the response go too. They count as
    the run's secrets (fixed markers).
    """
    sides = [
        (interaction[k], k == "response")
        for k in ("request", "response")
        if isinstance(interaction.get(k), dict)
    ]
    found, fields = _collect(sides, rules)
    redactor = Redactor(rules, fields, [*found, *rules.values, *literals])
    out = dict(interaction)
    for key in ("request", "response"):
        if isinstance(interaction.get(key), dict):
            out[key] = _redact_side(
                interaction[key], response=key == "response", rules=rules, redactor=redactor
            )
    return out, found | fields | set(rules.values)


def credential_values(headers: Iterable[tuple[str, str]], rules: RedactionRules = DEFAULT_RULES) -> set[str]:
    """The run's secrets a request carries in its headers (its key, organization, project, cookies)."""
    found: set[str] = set()
    for name, value in headers:
        lower = name.lower()
        if is_secret_header(lower, rules=rules):
            redact_header_value(lower, value, found)
    return found


def redact_request(
    request: Mapping[str, Any],
    rules: RedactionRules = DEFAULT_RULES,
    *,
    credentials: Iterable[tuple[str, str]] = (),
    literals: Iterable[str] = (),
) -> tuple[dict[str, Any], set[str]]:
    """A live request's method, URI and body as they are stored and matched: the one function both the
    recorder and a replay use, so what a replay computes is what was stored.

    ``credentials``: the live request's headers (name, value). They are not redacted here (headers are
    never matched), but the run's secrets in them (its key, organization, ...) are removed from the URI
    and body with the markers of their kind, so a key pasted into a prompt matches on replay, where the
    key is another (a dummy) one. ``literals``: more of the run's secrets (what the cassette learnt from
    earlier requests of the same run), removed the same way.
    """
    own = credential_values(credentials, rules)
    known = own | set(literals)
    body = request.get("body")
    uploads = isinstance(body, dict) and ("multipart" in body or "image" in body)
    if rules.gate is not None and "headers" not in request and not uploads:
        # Replay's hot path: one search over the URI and body; most requests have nothing to redact.
        # (Uploads always go through: metadata inside an image is not visible in the JSON text.)
        text = json.dumps([request.get("uri"), body], ensure_ascii=False)
        if not may_change(text, rules.gate) and not _holds_any(text, known.union(rules.values)):
            return dict(request), set(rules.values) | own
    out, found = redact_interaction({"request": request}, rules, literals=known)
    return out["request"], found | own


def _holds_any(text: str, values: Iterable[str]) -> bool:
    """Whether ``text`` (JSON of a URI and body) may hold one of ``values`` in a form redaction replaces
    (a superset: any text that JSON escapes, or that may encode a character, goes the full way)."""
    usable = [v for v in values if len(v) >= MIN_LITERAL_LENGTH and not is_marker_text(v)]
    if not usable:
        return False
    if "\\" in text or any(map(_json_escapes, usable)):
        return True
    return literals_for(usable).search(text)


@functools.lru_cache(maxsize=4096)
def _json_escapes(value: str) -> bool:
    """Whether JSON writes ``value`` otherwise than as it is (a quote, a backslash, a control character):
    asked of every secret of the run for every request, so remembered per value."""
    return any(c in value for c in '"\\') or any(ord(c) < 0x20 for c in value)
