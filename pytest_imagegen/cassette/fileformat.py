"""The text of a cassette file: JSON (format 2) written, JSON or YAML (format 1) read.

Why JSON: a cassette is read at the start of every test that uses it, on every CI run, from a fresh
checkout. PyYAML (even with libyaml) builds its objects in Python and took ~0.33 ms for a 2 KB cassette;
``json.loads`` takes ~0.01 ms. JSON is also YAML, so a cassette named ``*.yaml`` still opens in any YAML
tool, and it has no aliases, tags or other constructs a hostile file could abuse.

Why a writer of its own (a few lines over ``json.dumps``): ``json.dumps(indent=...)`` puts every scalar on
a line of its own, which doubles a cassette's lines and splits small records a reader takes in at once
(``{"code": 200, "message": "OK"}``, an image placeholder's facts). Here a container whose one-line form is
short and holds no container of more than a few items is written on one line; everything else is indented.
The output is deterministic, so re-recording unchanged calls gives identical bytes.

A document is ``{"format": ..., "version": 2, "meta": {...}, "interactions": [...], "index": {...}}``; the
``index`` (see ``index.py``) comes last so that the text before it can be hashed without re-serializing.

Reading is bounded and exact, whatever the file holds:

- a key twice in one object is a ``CassetteError`` (JSON readers keep the last one silently, so text
  appended after the index could replace the interactions the index describes);
- the text the index covers (``Document.indexed_text``) is set only when the index is the document's
  last member and nothing but the closing brace follows it: the index vouches for exactly the bytes
  that were parsed, or for nothing;
- at most ``MAX_NODES`` values, counted in the text before it is parsed (a file of millions of tiny
  values costs seconds and gigabytes to build; the YAML reader has the same limit), and no integer too
  long for Python to read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_imagegen.cassette.schema import check_document
from pytest_imagegen.errors import CassetteError

__all__ = [
    "FORMAT_VERSION",
    "INDEX_SEPARATOR",
    "MAX_NODES",
    "Document",
    "dump_covered",
    "finish",
    "load_raw",
    "parse_document",
]

FORMAT_NAME = "pytest-imagegen cassette"
FORMAT_VERSION = 2
LEGACY_VERSION = 1
# What precedes the index in every file this module writes: the hash covers the text before it.
INDEX_SEPARATOR = ',\n "index": '

#: At most this many values (objects, lists, scalars) in one cassette file; a cassette of 500 recorded
#: calls holds about 100,000. The same limit as for YAML (``safe_yaml.py``).
MAX_NODES = 500_000

# One space per level: a cassette nests six levels deep, and two spaces made a third of a small file.
_INDENT = " "
# A one-line form up to this long, nested at most three deep (a placeholder with its facts and preview, a
# data URL's prefix included), reads at a glance.
_INLINE_WIDTH = 256


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@dataclass
class Document:
    """A parsed cassette file: its interactions, its metadata, its index and where it came from."""

    interactions: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    index: dict[str, Any] | None = None
    # The text the index's hash covers (the file up to the index), None when there is no index to check.
    indexed_text: str | None = None
    version: int = FORMAT_VERSION
    # sha256 of the file's bytes, when it was read from a file.
    digest: str | None = None


def _inline(value: Any) -> str | None:
    """The one-line form of ``value`` when it reads well on one line, else None."""
    if _depth(value) > 3:
        return None
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= _INLINE_WIDTH else None


def _write(value: Any, depth: int, out: list[str]) -> None:
    inline = _inline(value)
    if inline is not None:
        out.append(inline)
        return
    pad = _INDENT * (depth + 1)
    if isinstance(value, dict):
        out.append("{")
        for n, (key, item) in enumerate(value.items()):
            out.append(("\n" if n == 0 else ",\n") + pad + json.dumps(str(key), ensure_ascii=False) + ": ")
            _write(item, depth + 1, out)
        out.append("\n" + _INDENT * depth + "}")
    elif isinstance(value, list):
        out.append("[")
        for n, item in enumerate(value):
            out.append(("\n" if n == 0 else ",\n") + pad)
            _write(item, depth + 1, out)
        out.append("\n" + _INDENT * depth + "]")
    else:  # a scalar too long for the inline width (a long prompt): still one line
        out.append(json.dumps(value, ensure_ascii=False))


def _to_text(value: Any) -> str:
    out: list[str] = []
    _write(value, 1, out)
    return "".join(out)


def dump_covered(interactions: Sequence[Mapping[str, Any]], *, meta: Mapping[str, Any] | None = None) -> str:
    """The text of a cassette file up to its index: what the index's hash covers (see ``finish``)."""
    head = ['{\n "format": ', json.dumps(FORMAT_NAME), ',\n "version": ', str(FORMAT_VERSION)]
    if meta:
        head += [',\n "meta": ', _to_text(dict(meta))]
    head += [',\n "interactions": ', _to_text([dict(i) for i in interactions])]
    return "".join(head)


def finish(covered: str, index: Mapping[str, Any] | None = None) -> str:
    """The whole file text: ``covered`` (from ``dump_covered``), then the index when there is one."""
    if index is None:
        return covered + "\n}\n"
    return covered + INDEX_SEPARATOR + _to_text(dict(index)) + "\n}\n"


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members as a dict; ``_DuplicateKey`` when a key appears twice."""
    built = dict(pairs)
    if len(built) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return built


_DECODER = json.JSONDecoder(object_pairs_hook=_unique)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def _too_many_values(text: str) -> bool:
    """Whether ``text`` holds more than ``MAX_NODES`` JSON values, counted without parsing it: every value
    but the first follows a comma or opens a container (commas and brackets inside strings count only
    when the quick count is over the limit, and then strings are taken out and counted again)."""
    if len(text) <= 2 * MAX_NODES:  # each value takes at least two characters with its separator
        return False

    def count(source: str) -> int:
        return source.count(",") + source.count("[") + source.count("{") + 1

    return count(text) > MAX_NODES and count(_STRING.sub('""', text)) > MAX_NODES


def _parse_json(text: str, path: str) -> Any:
    if _too_many_values(text):
        raise CassetteError(path, f"holds more than {MAX_NODES:,} JSON values; no cassette needs that many")
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise CassetteError(
            path, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
    except _DuplicateKey as exc:
        raise CassetteError(
            path,
            f"holds the key {exc.key!r} twice in one object; a reader would keep one of them silently, "
            "so the file is not read at all",
        ) from None
    except RecursionError:
        raise CassetteError(path, "not a cassette: nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits (int() refuses to read it)
        raise CassetteError(path, f"holds a number Python will not read: {exc}") from None


def _parse_yaml(text: str, path: str) -> Any:
    """Format 1 (YAML) cassettes, written by earlier versions of this plugin: read without aliases and
    within size and node bounds (``safe_yaml.py``)."""
    from pytest_imagegen.cassette.safe_yaml import load_yaml  # imports yaml: JSON files never pay for it

    return load_yaml(text, path)


def load_raw(text: str, path: str) -> Any:
    """The data in a file's text, JSON or YAML (told apart by the first character), not yet checked to
    be a cassette; None for an empty file."""
    stripped = text.lstrip()
    if not stripped:
        return None
    if stripped.startswith("{"):
        return _parse_json(text, path)
    return _parse_yaml(text, path)


def parse_document(text: str, path: str) -> Document | None:
    """The document in a cassette file's text; None for an empty file. ``CassetteError`` if it is not one."""
    document = load_raw(text, path)
    if document is None:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("interactions"), list):
        raise CassetteError(path, "not a cassette: expected a mapping with an 'interactions' list")
    version = document.get("version")
    if version not in (FORMAT_VERSION, LEGACY_VERSION) or isinstance(version, bool):
        raise CassetteError(
            path,
            f"cassette format version {version!r} is not supported "
            f"(this plugin reads {LEGACY_VERSION} and {FORMAT_VERSION})",
            hint="A plain vcrpy / pytest-recording cassette converts with `imagegen-cassettes scrub`.",
        )
    # meta and index: mappings or absent, plain data all through (each interaction is storage's to check).
    check_document(document, path, interactions=False)
    meta = document.get("meta")
    index = document.get("index")
    return Document(
        interactions=document["interactions"],
        meta=meta if isinstance(meta, dict) else {},
        index=index if isinstance(index, dict) else None,
        indexed_text=_covered_text(text, index),
        version=int(version),
    )


def _covered_text(text: str, index: Any) -> str | None:
    """The text before the index, when the index is exactly the document's last member (as ``finish``
    writes it): the separator, the index, then only the closing brace. Anything else (text appended
    after the index, an index moved or repeated, a YAML file) leaves the index covering nothing."""
    if not isinstance(index, dict) or not text.lstrip().startswith("{"):
        return None
    cut = text.rfind(INDEX_SEPARATOR)
    if cut <= 0:
        return None
    try:
        found, end = _DECODER.raw_decode(text, cut + len(INDEX_SEPARATOR))
    except (ValueError, _DuplicateKey, RecursionError):
        return None
    if found != index or text[end:].strip() != "}":
        return None
    return text[:cut]
