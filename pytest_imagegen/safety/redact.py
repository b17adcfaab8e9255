"""Secrets out of interactions: headers, URLs (request and inside bodies), bodies, user-supplied values.

Every secret is replaced by a marker (``REDACTED``, ``sk-REDACTED``, ``org-REDACTED``, ``proj_REDACTED``,
``user-REDACTED``, ``REDACTED-SIG``), and redaction is idempotent: redacting a redacted interaction
changes nothing.

Markers are fixed (so a re-recorded cassette diffs only where the service really changed), except in
what a request is matched on. There a secret that belongs to the request (a credential-shaped value the
test pasted into a prompt, a credential-named field) becomes its marker plus a short digest of the value
(``sk-REDACTED-1a2b3c4d``): two requests that differed only there must not match each other's replies,
and the same request still redacts to the same text on every run. Secrets that belong to the run keep
fixed markers everywhere: its key, organization, project and cookies (a replay has a dummy key, or
none), the user's configured values, and what comes back from the service (URLs of images, their
signatures, the ``org-``/``user-`` ids in their paths: a replayed client sends back the redacted URL it
was given, and must find it).

What counts as a secret, and why:

- Request headers ``authorization``, ``proxy-authorization``, ``api-key``, ``x-api-key``, ``cookie``,
  ``openai-organization``, ``openai-project`` and any header whose name says key, token, secret, auth,
  password, credential, session, cookie, signature or hmac; response headers ``openai-organization``,
  ``openai-project``, ``set-cookie`` and the same name rule, except names known to hold no secret
  (``www-authenticate``, ``x-ratelimit-*-tokens``, ``access-control-*``, ``signature-input``).
  ``Authorization`` keeps its scheme word (``Bearer sk-REDACTED``).
- ``set-cookie`` keeps the cookie name and attributes and loses only the value: a replayed client still
  receives the cookie it got live (cookie-jar behaviour stays the same), a reader sees which cookies the
  service set, and the value is the only part that identifies a client. Several cookies folded into
  one value (``a=1; Path=/, session=...``) are each treated so. ``cookie`` does the same.
- Query parameters, in URLs with or without a scheme, with a broken port, or HTML-escaped (``&amp;``):
  credentials (``api-key``, ``api_key``, ``key``, ``code`` (Azure Functions), ``token``,
  ``access_token``, ``sig``, ``signature``, AWS/GCS signature and credential parameters, and any key that
  says token, secret, password, signature or credential) and the SAS identity parameters
  ``skoid``/``sktid``/``skdutid``/``sduoid`` (the object and tenant GUIDs of the signing account). The
  remaining SAS parameters (``st``, ``se``, ``sp``, ``sv``, ``sr``, ...) are the policy the signature
  covers (times, permissions, versions): they grant nothing without ``sig`` and tell a reader what kind
  of URL it was and when it expired, so they stay.
- URL paths: ``org-…`` and ``user-…`` segments that look like ids (dall-e blob paths); userinfo.
- Fields named like credentials (``api_key``, ``apiKey``, ``token``, ``secret``, ``password``,
  ``signature``, ``hmac``, ...) anywhere in JSON, SSE data and multipart fields: every string under
  them. Counts named like ``max_tokens`` are not credentials and stay.
- Body text: credential shapes (``credentials.py``: ``sk-…`` keys, masked key echoes, ``org-…``/``proj_…`` ids
  of real length, bearer tokens, JWTs, cloud keys such as ``AIza…``, ``sig=`` values), and what the
  service's own messages name (``Incorrect API key provided: …``, ``organization org-…``). Ordinary words
  that share a prefix (``sk-learn``, ``org-2024``) are not secrets and stay.
- Literal values: every value taken out of a header or query parameter above, and the user's own
  ``RedactionRules.values``, are also replaced wherever else they appear (a key echoed in a body, an
  organization name in a message), when at least ``MIN_LITERAL_LENGTH`` long (shorter ones would hit
  ordinary text).
- Image metadata: text blocks inside images (PNG text chunks, EXIF, XMP, comments) that hold anything
  the rules above would remove are dropped from the image (see ``_redact_image``).

Image payloads (``b64_json`` values, any other base64 image or image data URL such as a Responses
``result`` or ``input_image.image_url``, base64 file parts and bodies) are not searched as text: they
are binary (only the text blocks inside them are, see above), and the leak scan (``leaks.py``) checks
non-image base64 for literal secrets before anything is written.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_imagegen.safety import image_text
from pytest_imagegen.safety.credentials import MIN_LITERAL_LENGTH
from pytest_imagegen.safety.redact_rules import (
    DEFAULT_RULES,
    REDACTED,
    USER_FIELDS,
    Mark,
    RedactionRules,
    distinct_marker,
    fixed_marker,
    is_marker_text,
    is_secret_field_name,
    is_secret_header,
    may_change,
)
from pytest_imagegen.safety.redact_text import URL_IN_TEXT, Redactor, redact_header_value, redact_url
from pytest_imagegen.wire.bodies import Body
from pytest_imagegen.wire.payloads import decoded_image_payload, image_payload, is_placeholder

__all__ = ["credential_values", "redact_interaction", "redact_request"]


@dataclass(frozen=True)
class _Walk:
    """How one side of an interaction is redacted: its text function and the marker it uses."""

    redactor: Redactor
    mark: Mark
    redact_user: bool

    def text(self, value: str) -> str:
        return self.redactor.text(value, self.mark)

    def secret(self, value: Any) -> Any:
        """Everything under a credential-named field: each string replaced, structure kept."""
        if isinstance(value, str):
            return value if (not value or is_marker_text(value)) else self.mark(REDACTED, value)
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
    if isinstance(value, str):
        return walk.image(value) if _is_image(value) else walk.text(value)
    if isinstance(value, list):
        return [_walk_json(item, walk) for item in value]
    if isinstance(value, dict):
        if is_placeholder(value):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, str) and (key == "b64_json" or _is_image(item)):
                out[key] = walk.image(item)  # an image payload: binary, not text
            elif walk.redact_user and key in USER_FIELDS and isinstance(item, str):
                out[key] = item if is_marker_text(item) else REDACTED
            elif isinstance(key, str) and is_secret_field_name(key):
                out[key] = walk.secret(item)
            else:
                out[key] = _walk_json(item, walk)
        return out
    return value


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
        return {"string": walk.text(str(body["string"]))}
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
    if isinstance(value, list):
        for item in value:
            yield from _field_values(item, users=users)
    elif isinstance(value, dict):
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
    # A request's URI and body are what it is matched on: a secret there keeps a digest (see the module
    # docstring). Headers are never matched and replies never looked up, so they keep fixed markers.
    walk = _Walk(redactor, fixed_marker if response else distinct_marker, rules.redact_user)
    if "headers" in side:
        out["headers"] = _headers(
            side["headers"], response=response, rules=rules, found=unused, fn=redactor.text
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
) -> tuple[dict[str, Any], set[str]]:
    """``redact_interaction`` for a request alone: redact a live request the same way before matching it
    against recorded (redacted) ones.

    ``credentials``: the live request's headers (name, value). They are not redacted here (headers are
    never matched), but the run's secrets in them (its key, organization, ...) are removed from the URI
    and body with the fixed markers the recording used, so a key pasted into a prompt matches on replay,
    where the key is another (a dummy) one.
    """
    own = credential_values(credentials, rules)
    body = request.get("body")
    uploads = isinstance(body, dict) and ("multipart" in body or "image" in body)
    if rules.gate is not None and "headers" not in request and not uploads:
        # Replay's hot path: one search over the URI and body; most requests have nothing to redact.
        # (Uploads always go through: metadata inside an image is not visible in the JSON text.)
        text = json.dumps([request.get("uri"), body], ensure_ascii=False)
        if not may_change(text, rules.gate) and not _holds_any(text, own):
            return dict(request), set(rules.values) | own
    out, found = redact_interaction({"request": request}, rules, literals=own)
    return out["request"], found | own


def _holds_any(text: str, values: Iterable[str]) -> bool:
    """Whether ``text`` (JSON of a URI and body) holds one of ``values`` in a form redaction replaces."""
    for value in values:
        if len(value) < MIN_LITERAL_LENGTH:
            continue
        for form in (value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)):
            if form in text or json.dumps(form, ensure_ascii=False)[1:-1] in text:
                return True
    return False
