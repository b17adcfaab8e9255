"""YAML read safely: no aliases, bounded size and node count, every failure a ``CassetteError``.

PyYAML's safe loader refuses Python tags, but not the other ways a small file can be made to cost a
lot: an alias bomb ("billion laughs": nine kilobytes that expand into billions of nodes), or a file of
millions of tiny nodes. A cassette never needs aliases (the plugin never writes them), so any anchor or
alias is refused before libyaml builds a single object. libyaml itself stops at 1000 levels of nesting;
``schema.check_document`` then holds a document to ``schema.MAX_DEPTH``.

A key twice in one mapping (which PyYAML, like a JSON reader, resolves silently by keeping the last)
and a merge key (``<<``) are refused too, as is an integer too long for Python to read.

Only YAML (format version 1) needs this; the checks on the parsed document (``schema.py``) are the
same for every format.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from pytest_imagegen.errors import CassetteError

__all__ = ["MAX_NODES", "MAX_YAML_BYTES", "load_yaml"]

MAX_YAML_BYTES = 64 * 1024 * 1024  # as storage.MAX_CASSETTE_BYTES
MAX_NODES = 500_000  # a cassette of 500 recorded calls holds about 100,000
# Files this small cannot hold enough nodes to matter (libyaml builds ~100 bytes per byte at worst), so
# only their aliases need a look: a quick text test, then the event scan only if the test is unsure.
_SMALL = 1024 * 1024
# An anchor (&a) or alias (*a) starts a node: at the start, after a space, a flow indicator or the ':'
# of a quoted flow key ({"a":*x}). Text without one of these holds neither (a '*' or '&' inside a word
# or a URL's query is no node), so it skips the event scan.
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,:])[&*][^\s,\[\]{}]")

# libyaml makes loading several times faster; fall back to pure Python where PyYAML was built without it.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(_BaseLoader):  # type: ignore[misc]  # a class of PyYAML's, typed Any
    """The safe loader, refusing a key twice in one mapping and merge keys."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if any(key.tag == _MERGE_TAG for key, _ in node.value):
            raise yaml.constructor.ConstructorError(
                None, None, "uses a merge key (<<), which a cassette never needs", node.start_mark
            )
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"holds the key {key!r} twice in one mapping; a reader would keep one of them "
                        "silently, so the file is not read at all",
                        key_node.start_mark,
                    )
                seen.add(key)
        return mapping


_STARTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.ScalarEvent)


def _refuse(path: str, problem: str, line: int | None = None) -> CassetteError:
    return CassetteError(path, problem, line=line)


def _scan(text: str, path: str) -> None:
    """Refuse anchors, aliases and more than MAX_NODES nodes, reading events only (nothing is built)."""
    nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or (isinstance(event, _STARTS) and event.anchor is not None):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            raise _refuse(
                path,
                "uses a YAML anchor or alias, which a cassette never needs (it can make a small file "
                "expand without limit)",
                line,
            )
        if isinstance(event, _STARTS):
            nodes += 1
            if nodes > MAX_NODES:
                raise _refuse(path, f"holds more than {MAX_NODES:,} YAML nodes")


def load_yaml(text: str, path: str) -> Any:
    """The document in ``text``, read with the safe loader; ``CassetteError`` (path and line) for text
    that is not YAML, is too large, or uses anchors or aliases."""
    size = len(text)
    if size > MAX_YAML_BYTES:
        raise _refuse(path, f"is {size:,} characters long; a cassette may be at most {MAX_YAML_BYTES:,}")
    try:
        if size > _SMALL or (("&" in text or "*" in text) and _MAYBE_ALIAS.search(text)):
            _scan(text, path)
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise _refuse(path, f"not valid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise _refuse(path, f"not valid YAML: {exc}") from None
    except RecursionError:
        raise _refuse(path, "is nested too deeply to be a cassette") from None
    except ValueError as exc:  # an integer of thousands of digits (int() refuses to read it)
        raise _refuse(path, f"holds a number Python will not read: {exc}") from None
