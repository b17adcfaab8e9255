"""When, by what and from where the interactions of a cassette were recorded: the cassette's ``meta``.

Each interaction has an entry, made when it was recorded: the date (UTC), this plugin's version, the SDK
that sent it (the product in its ``user-agent``, when that is not the HTTP library's own), the HTTP
library and its version, the model asked for, and the service that answered (its host, or ``emulator``
for the bundled one). The file says once what all entries share, and per interaction only what differs::

    "meta": {"recorded": "2025-06-01", "plugin": "0.1.0", "client": "OpenAI/Python 3.57.0", "http": "httpx2 2.16.2", "model": "gpt-image-2", "service": "api.openai.com"}

    "meta": {
     "plugin": "0.1.0", "client": "OpenAI/Python 3.57.0", "http": "httpx2 2.16.2", "service": "api.openai.com",
     "interactions": [{"recorded": "2025-06-01", "model": "gpt-image-2"}, {"recorded": "2025-09-14", "model": "dall-e-3"}]
    }

An interaction with no entry (recorded before metadata existed) is ``{}`` in the list; nothing is then
shared. A cassette's age counts from its oldest entry (``recorded_at``; ``cassette/age.py``), and
is unknown when an interaction has no date.

Byte-stable re-recording: an interaction recorded again with the same stored form as a loaded one keeps
the loaded entry, date included, so recording unchanged calls twice gives identical files. The one
exception is an entry already older than ``max_age``: recording it again is what re-verifies an expired
cassette, so it gets a fresh entry (and date) even when nothing else changed.

No secrets: every value is built from a short, checked vocabulary (product tokens, versions, a model
name, a host name), never copied whole from a header, and the caller's leak check may refuse any.

Pure, except for the clock and the installed version, both read by the caller and passed in.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "compose",
    "content_key",
    "entries_of",
    "format_time",
    "http_library",
    "new_entry",
    "outlived",
    "plugin_version",
    "product_of",
    "recorded_at",
    "service_of",
]

_DATE_FORMAT = "%Y-%m-%d"
# What each interaction's entry may hold, in the order it is written.
ENTRY_KEYS = ("recorded", "plugin", "client", "http", "model", "service")
# A product token as user-agents write it: ``OpenAI/Python 3.57.0``, ``python-httpx/0.28.1``, ``MyApp/1.2``.
_PRODUCT = re.compile(
    r"([A-Za-z][A-Za-z0-9._-]{0,39}/[A-Za-z0-9][A-Za-z0-9._+-]{0,39}(?: [0-9][0-9A-Za-z.+-]{0,19})?)"
)
# The HTTP libraries' default user-agents name the library, which ``http`` already says.
_LIBRARY_AGENTS = re.compile(r"python-httpx2?/", re.IGNORECASE)
# A model as ``imagegen-cassettes show`` names it: ``gpt-image-2``, ``gpt-5 + gpt-image-1.5 (default)``.
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/() +-]{0,99}")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def format_time(moment: datetime) -> str:
    """``2025-06-01``: the UTC date (a day is fine enough for an age in days, and changes less)."""
    return moment.astimezone(UTC).strftime(_DATE_FORMAT)


def parse_time(text: object) -> datetime | None:
    """The moment a ``recorded`` value stands for (midnight UTC of its date); None when it is not one."""
    if not isinstance(text, str):
        return None
    for form in (_DATE_FORMAT, "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, form).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


@functools.cache
def plugin_version() -> str:
    """The installed version of pytest-imagegen (``unknown`` when it is not installed as a package)."""
    from importlib import metadata

    try:
        return metadata.version("pytest-imagegen")
    except metadata.PackageNotFoundError:
        return "unknown"


def product_of(headers: Iterable[tuple[str, str]]) -> str | None:
    """The SDK named by a request's ``user-agent``: its first product token (``OpenAI/Python 3.57.0``);
    None when there is none, or it is only the HTTP library's default."""
    for name, value in headers:
        if name.lower() != "user-agent":
            continue
        found = _PRODUCT.match(value.strip())
        if found is None or _LIBRARY_AGENTS.match(found.group(1)):
            return None
        return found.group(1)
    return None


def http_library(headers: object) -> str | None:
    """``httpx2 2.16.2``: the HTTP library whose ``Headers`` object ``headers`` is, and its version (the
    stubs of other libraries hand over headers that name it: ``requests 2.32.3``)."""
    named = getattr(headers, "library", None)
    if isinstance(named, str):
        return named
    top = type(headers).__module__.split(".", 1)[0]
    if top not in ("httpx", "httpx2"):
        return None
    import sys

    version = getattr(sys.modules.get(top), "__version__", None)
    return f"{top} {version}" if isinstance(version, str) else top


def service_of(uri: str, *, emulator: bool) -> str | None:
    """Where a reply came from: ``emulator`` for the bundled one, else the request's host (with its port,
    unless it is a loopback host, whose port is random)."""
    if emulator:
        return "emulator"
    parts = urlsplit(uri)
    host = parts.hostname
    if not host:
        return None
    shown = f"[{host}]" if ":" in host else host
    if parts.port is not None and host not in _LOOPBACK:
        shown += f":{parts.port}"
    return shown if _HOST.fullmatch(shown) else None


def new_entry(
    *,
    now: datetime,
    plugin: str,
    client: str | None,
    http: str | None,
    model: object,
    service: str | None,
    safe: Callable[[str], bool] = lambda _text: True,
) -> dict[str, Any]:
    """One interaction's entry. Keys with no value are left out, and so is any value ``safe`` refuses
    (the caller's leak check: a user-agent may be anything, ``Bearer/sk-...`` included)."""
    entry: dict[str, Any] = {"recorded": format_time(now), "plugin": plugin}
    if isinstance(model, str) and not _MODEL.fullmatch(model):
        model = None
    for key, value in (("client", client), ("http", http), ("model", model), ("service", service)):
        if isinstance(value, str) and value and safe(value):
            entry[key] = value
    return entry


def content_key(interaction: Mapping[str, Any]) -> str:
    """A digest of an interaction's stored form: equal for the same call recorded twice unchanged."""
    text = json.dumps(
        {"request": interaction.get("request"), "response": interaction.get("response")},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entries_of(meta: Mapping[str, Any] | None, count: int) -> list[dict[str, Any] | None]:
    """The entries of ``count`` interactions in a loaded ``meta`` (shared values filled in); all None
    when the file has none, or lists a number of entries that does not match (a hand edit)."""
    if not isinstance(meta, Mapping):
        return [None] * count
    shared = {k: meta[k] for k in ENTRY_KEYS if k in meta}
    listed = meta.get("interactions")
    if listed is None:
        return [dict(shared) if shared else None for _ in range(count)]
    if not isinstance(listed, list) or len(listed) != count:
        return [None] * count
    return [{**shared, **entry} or None if isinstance(entry, Mapping) else None for entry in listed]


def compose(meta: Mapping[str, Any] | None, entries: Sequence[Mapping[str, Any] | None]) -> dict[str, Any]:
    """The ``meta`` to write for interactions whose entries are ``entries`` (in order): what they all
    share once, then what differs per interaction.

    Keys of ``meta`` this module does not own are kept (a newer writer's). When no entry is known, the
    entries ``meta`` itself gives the interactions are kept (a rewrite that keeps them, such as ``scrub``).
    """
    base = {k: v for k, v in (meta or {}).items() if k not in ENTRY_KEYS and k != "interactions"}
    listed: Sequence[Mapping[str, Any] | None] = entries
    if all(entry is None for entry in entries):
        listed = entries_of(meta, len(entries))
        if all(entry is None for entry in listed):
            return base
    shared: dict[str, Any] = {}
    if all(listed):
        for key in ENTRY_KEYS:
            values = [entry.get(key) if entry else None for entry in listed]
            if values[0] is not None and all(v == values[0] for v in values):
                shared[key] = values[0]
    out = {**shared, **base}
    rest = [{k: v for k, v in (entry or {}).items() if k not in shared} for entry in listed]
    if any(rest):
        out["interactions"] = rest
    return out


def recorded_at(meta: Mapping[str, Any] | None) -> datetime | None:
    """When the cassette's oldest interaction was recorded; None when that is not known."""
    if not isinstance(meta, Mapping):
        return None
    listed = meta.get("interactions")
    entries = entries_of(meta, len(listed) if isinstance(listed, list) else 1)
    dates = [parse_time(entry.get("recorded")) if entry else None for entry in entries]
    if not dates or any(d is None for d in dates):
        return None
    return min(d for d in dates if d is not None)


def outlived(entry: Mapping[str, Any] | None, max_age: timedelta | None, now: datetime) -> bool:
    """Whether ``entry`` was recorded longer than ``max_age`` before ``now`` (never, without a limit)."""
    if max_age is None or not entry:
        return False
    when = parse_time(entry.get("recorded"))
    return when is not None and now - when > max_age
