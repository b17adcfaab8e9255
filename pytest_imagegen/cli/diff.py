"""A review diff of cassettes: what a re-recording really changed, in lines a reviewer reads.

``imagegen-cassettes diff OLD NEW`` (two files, or two folders whose cassettes pair up by relative path)
and ``diff --git REV`` (each cassette against its version committed at REV) print, per cassette that
changed, the interactions that were added, removed or changed:

    cassettes/test_app/test_generate.json
      #0 POST /v1/images/generations  changed
        request   body.prompt: 'a red fox' → 'a blue fox'
        breaking  body.data[0].b64_json: image png 1024x1024 RGB → webp 1024x1024 RGBA

Interactions pair up by their request (the same request, in order), then by method and API path in
order (a request with a new prompt is the same call, changed), and what is left over was added or
removed. Requests show every field that changed (header values never: names only); replies show their
changes by JSON path, graded as the drift check grades them (``compare.py``); volatile reply changes
(ids, counts, an image's pixels with the same facts) and metadata dates are counted, not listed, unless
asked. Images appear as facts, never as base64; secret-shaped values are hidden.

Pure: documents in, lines out. Reading files and git is the caller's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pytest_imagegen.cassette.compare import Change, compare_replies, compare_requests

__all__ = ["CassetteDiff", "diff_cassettes"]


@dataclass
class CassetteDiff:
    """What changed in one cassette."""

    name: str
    status: str  # "changed", "added", "removed", "same"
    lines: list[str] = field(default_factory=list)
    volatile: int = 0  # volatile reply changes not listed

    @property
    def changed(self) -> bool:
        return self.status != "same"


def _request_key(request: Mapping[str, Any]) -> str:
    from pytest_imagegen.cassette.match import fingerprint
    from pytest_imagegen.config import DEFAULT_MATCH_ON

    try:
        return repr(fingerprint(dict(request), DEFAULT_MATCH_ON))
    except (KeyError, TypeError, ValueError):
        return repr(sorted(map(str, request.items())))


def _operation(request: Mapping[str, Any]) -> tuple[str, str]:
    from pytest_imagegen.cassette.match import operation_path

    return str(request.get("method", "?")), operation_path(urlsplit(str(request.get("uri", ""))).path)


def _heading(index: int, request: Mapping[str, Any]) -> str:
    method, path = str(request.get("method", "?")), urlsplit(str(request.get("uri", ""))).path
    return f"#{index} {method} {path}"


def pair_interactions(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(pairs of old and new indexes, removed old indexes, added new indexes)."""
    pairs: list[tuple[int, int]] = []
    free_old = list(range(len(old)))
    free_new = list(range(len(new)))
    for key in (lambda i: _request_key(i["request"]), lambda i: _operation(i["request"])):
        for o in list(free_old):
            wanted = key(old[o])
            match = next((n for n in free_new if key(new[n]) == wanted), None)
            if match is not None:
                pairs.append((o, match))
                free_old.remove(o)
                free_new.remove(match)
    return sorted(pairs, key=lambda p: p[1]), free_old, free_new


def _interaction_lines(changes: Sequence[Change], volatile: bool) -> tuple[list[str], int]:
    lines, hidden = [], 0
    for change in changes:
        if change.grade == "volatile" and not volatile:
            hidden += 1
            continue
        lines.append(f"    {change.grade:<9} {change.line()}")
    return lines, hidden


def _services(meta: Mapping[str, Any] | None) -> list[str]:
    listed = meta.get("interactions") if isinstance(meta, Mapping) else None
    if not isinstance(listed, list):
        return []
    return [str(e.get("service")) if isinstance(e, Mapping) and e.get("service") else "" for e in listed]


def diff_cassettes(
    name: str,
    old: Sequence[Mapping[str, Any]] | None,
    new: Sequence[Mapping[str, Any]] | None,
    *,
    old_meta: Mapping[str, Any] | None = None,
    new_meta: Mapping[str, Any] | None = None,
    volatile: bool = False,
) -> CassetteDiff:
    """The review diff of one cassette (``old`` None: it is new; ``new`` None: it was deleted)."""
    if old is None and new is None:
        return CassetteDiff(name, "same")
    if old is None:
        assert new is not None
        lines = [f"  new cassette: {len(new)} interaction(s)"]
        lines += [f"  + {_heading(i, x['request'])}" for i, x in enumerate(new)]
        return CassetteDiff(name, "added", lines)
    if new is None:
        return CassetteDiff(name, "removed", [f"  deleted: it held {len(old)} interaction(s)"])
    pairs, removed, added = pair_interactions(old, new)
    result = CassetteDiff(name, "same")
    old_services, new_services = _services(old_meta), _services(new_meta)
    for o, n in pairs:
        changes = compare_requests(old[o]["request"], new[n]["request"])
        changes += compare_replies(old[o]["response"], new[n]["response"])
        listed, hidden = _interaction_lines(changes, volatile)
        result.volatile += hidden
        was = old_services[o] if o < len(old_services) else ""
        now = new_services[n] if n < len(new_services) else ""
        if was and now and was != now:
            listed.append(f"    recorded  from {was} → from {now}")
        if listed:
            where = f" (was #{o})" if o != n else ""
            result.lines.append(f"  {_heading(n, new[n]['request'])}{where}  changed")
            result.lines += listed
    result.lines += [f"  - {_heading(i, old[i]['request'])}  removed" for i in removed]
    result.lines += [f"  + {_heading(i, new[i]['request'])}  added" for i in added]
    if result.lines:
        result.status = "changed"
    return result


def summary_line(diffs: Sequence[CassetteDiff], *, volatile: bool = False) -> str:
    """``1 cassette(s) changed, 0 added, 0 removed, 18 unchanged``, with the hidden volatile count."""
    counts = {
        status: sum(1 for d in diffs if d.status == status)
        for status in ("changed", "added", "removed", "same")
    }
    line = (
        f"{counts['changed']} cassette(s) changed, {counts['added']} added, {counts['removed']} removed, "
        f"{counts['same']} unchanged"
    )
    hidden = sum(d.volatile for d in diffs)
    if hidden and not volatile:
        line += f"; {hidden} volatile reply change(s) not shown (--volatile shows them)"
    return line


def report(diffs: Sequence[CassetteDiff], *, volatile: bool = False) -> Iterator[str]:
    """Every changed cassette's lines, then the summary line."""
    for diff in diffs:
        if diff.changed:
            yield diff.name
            yield from diff.lines
    yield summary_line(diffs, volatile=volatile)
