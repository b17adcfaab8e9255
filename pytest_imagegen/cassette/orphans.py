"""Cassette files no test uses any more: found at the end of a whole-suite session, pruned on request.

A session that collected the whole suite (or the whole of the test paths it was given) knows every
cassette its tests opened. The files under the matching part of the cassette folder that none of them
used are orphans: ``tests/test_x.py`` maps to ``<cassette dir>/tests/test_x/``, the folder ``tests`` to
``<cassette dir>/tests/``, the project's root to the whole cassette folder (``orphan_scopes``); files
elsewhere are not judged, so running one test folder never calls another folder's cassettes orphans.

The session writes what it found to this plugin's folder of the pytest cache (``orphans.json``: paths
and digests, nothing from the files), and ``imagegen-cassettes prune --orphans`` deletes the listed files
that are still what the session saw (``--dry-run`` lists them first). A file changed since is kept.

Only files that are cassettes count: ``*.json`` / ``*.yaml`` / ``*.yml`` whose text says so (a fixture
file that happens to live there is never an orphan).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_imagegen.cassette.cachefiles import read_entries, write_entries

__all__ = [
    "ORPHAN_FILE",
    "find_cassettes",
    "find_orphans",
    "is_cassette_file",
    "orphan_scopes",
    "prune_orphans",
    "read_orphans",
    "write_orphans",
]

ORPHAN_FILE = "orphans.json"
_VERSION = 1
SUFFIXES = (".json", ".yaml", ".yml")
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})
_HEAD = 4096


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in _SKIPPED_DIRS


def find_cassettes(paths: Sequence[Path]) -> list[Path]:
    """Files named in ``paths``, and ``*.json``/``*.yaml``/``*.yml`` files under folders, each once, in
    a stable order (hidden folders and ``__pycache__`` skipped)."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not _skipped(d))
                for name in sorted(files):
                    if name.endswith(SUFFIXES) and not name.startswith("."):
                        found.setdefault(Path(root) / name, None)
        else:
            found.setdefault(path, None)
    return list(found)


def is_cassette_file(path: Path) -> bool:
    """Whether ``path`` holds a cassette of this plugin (format 2 JSON, or format 1 YAML), judged by its
    first few kilobytes."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device is never opened
            return False
        with open(path, "rb", opener=_nonblocking) as handle:
            head = handle.read(_HEAD).decode("utf-8", "replace")
    except OSError:
        return False
    if head.lstrip().startswith("{"):
        return '"pytest-imagegen cassette"' in head
    return "interactions:" in head


def orphan_scopes(args: Iterable[Path], project_dir: Path, cassette_dirs: Iterable[Path]) -> list[Path]:
    """The folders of each cassette folder whose cassettes belong to the test paths ``args`` (files or
    folders, absolute): a test module's cassettes live in ``<cassette dir>/<module path without .py>/``."""
    scopes: dict[Path, None] = {}
    for arg in args:
        try:
            relative = arg.resolve().relative_to(project_dir.resolve())
        except ValueError:
            continue  # tests outside the project: their cassettes' place is unknown
        if arg.suffix == ".py":
            relative = relative.with_suffix("")
        for folder in cassette_dirs:
            scopes.setdefault(folder / relative if relative.parts else folder, None)
    return list(scopes)


def find_orphans(scopes: Iterable[Path], used: Iterable[Path]) -> list[Path]:
    """Cassette files under ``scopes`` that are not in ``used``, sorted."""
    opened = {p.resolve() for p in used}
    found: set[Path] = set()
    for scope in scopes:
        if not scope.is_dir():
            continue
        for path in find_cassettes([scope]):
            if path.resolve() not in opened and is_cassette_file(path):
                found.add(path)
    return sorted(found)


def _nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK)


def _digest(path: Path) -> str | None:
    from pytest_imagegen.cassette.storage import read_file
    from pytest_imagegen.errors import CassetteError

    try:
        data = read_file(path)
    except CassetteError:
        return None
    return None if data is None else hashlib.sha256(data).hexdigest()


def write_orphans(cache_dir: Path, orphans: Sequence[Path], scopes: Sequence[Path]) -> None:
    """Record this session's orphans (path and digest) for ``prune --orphans``; records of earlier
    sessions for the same scopes are replaced, others kept. Owner-only, written atomically."""
    resolved_scopes = [s.resolve() for s in scopes]

    def in_scope(path: str) -> bool:
        return any(Path(path).is_relative_to(scope) for scope in resolved_scopes)

    kept = {p: d for p, d in read_orphans(cache_dir).items() if not in_scope(p)}
    for path in orphans:
        digest = _digest(path)
        if digest is not None:
            kept[str(path.resolve())] = digest
    write_entries(cache_dir, ORPHAN_FILE, "orphans", _VERSION, kept)


def read_orphans(cache_dir: Path) -> dict[str, str]:
    """Orphan path -> digest as the last whole-suite sessions found them; {} when there is no record."""
    orphans = read_entries(cache_dir, ORPHAN_FILE, "orphans", _VERSION)
    return {str(p): d for p, d in orphans.items() if isinstance(d, str)}


@dataclass(frozen=True)
class OrphanPrune:
    """What ``prune --orphans`` did (or would do) with one recorded orphan."""

    path: Path
    removed: bool
    reason: str | None = None  # why it was kept


def prune_orphans(records: Mapping[str, str], within: Sequence[Path], *, write: bool) -> list[OrphanPrune]:
    """Delete (``write``) the recorded orphans under ``within`` that are unchanged since they were found."""
    roots = [p.resolve() for p in within]
    results: list[OrphanPrune] = []
    for text, digest in sorted(records.items()):
        path = Path(text)
        if not any(path == root or path.is_relative_to(root) for root in roots):
            continue
        current = _digest(path)
        if current is None:
            continue  # already gone
        if current != digest:
            results.append(
                OrphanPrune(path, False, "changed since the session that found it: run the suite again")
            )
            continue
        if write:
            path.unlink()
        results.append(OrphanPrune(path, True))
    return results
