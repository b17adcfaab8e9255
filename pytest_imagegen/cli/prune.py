"""``imagegen-cassettes prune``: remove the interactions the last passing replay did not play, or (with
``--orphans``) delete the cassette files the last whole-suite run found no test using.

The records both read are written by the plugin at the end of a session into the project's pytest cache
(``cassette/replays.py``, ``cassette/orphans.py``). They are looked for in the project each cassette
belongs to, whatever the working directory (``--cache-dir`` names pytest's cache folder instead).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pytest_imagegen.errors import CassetteError

__all__ = ["cache_dir_of", "prune_command"]

Out = Callable[[str], None]


def _explicit(args: argparse.Namespace) -> Path | None:
    from pytest_imagegen.cassette.cachefiles import plugin_folder

    return plugin_folder(Path(args.cache_dir)) if getattr(args, "cache_dir", None) else None


def cache_dir_of(args: argparse.Namespace) -> Path:
    """This plugin's folder in pytest's cache for a command over ``args.paths``, as prune finds it:
    ``--cache-dir``, else that of the project the first PATH belongs to (``report`` reads it too)."""
    from pytest_imagegen.cassette.cachefiles import plugin_folder

    explicit = _explicit(args)
    if explicit is not None:
        return explicit
    first = Path(args.paths[0]) if getattr(args, "paths", None) else Path.cwd()
    return plugin_folder(project=first)


class _Records:
    """Replay records per cache folder, each folder read once."""

    def __init__(self, explicit: Path | None) -> None:
        self.explicit = explicit
        self._read: dict[Path, dict[str, dict[str, Any]]] = {}

    def for_file(self, path: Path) -> tuple[dict[str, dict[str, Any]], Path]:
        """The records that know ``path`` (else those of its own project), and their cache folder."""
        from pytest_imagegen.cassette.replays import read_records, record_dirs

        folders = record_dirs(path, self.explicit)
        key = str(path.resolve())
        for folder in folders:
            records = self._read.get(folder)
            if records is None:
                records = self._read[folder] = read_records(folder)
            if key in records:
                return records, folder
        return self._read[folders[0]], folders[0]


def _prune_orphans(args: argparse.Namespace, out: Out) -> int:
    from pytest_imagegen.cassette.orphans import prune_orphans, read_orphans
    from pytest_imagegen.cassette.replays import record_dirs

    explicit = _explicit(args)
    records: dict[str, str] = {}
    for folder in dict.fromkeys(f for p in args.paths for f in record_dirs(p, explicit)):
        records.update(read_orphans(folder))
    if not records:
        out(
            "no orphans recorded: run the whole suite first (pytest with no -k, -m or test ids); its summary "
            "lists the cassettes no test used, and this command deletes them"
        )
        return 0
    results = prune_orphans(records, args.paths, write=not args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for result in results:
        out(
            f"{result.path}: {verb} (no test used it)"
            if result.removed
            else f"{result.path}: kept: {result.reason}"
        )
    deleted = sum(1 for r in results if r.removed)
    out(
        f"{verb} {deleted} orphan cassette(s)"
        + (" (run without --dry-run to delete them)" if args.dry_run and deleted else "")
    )
    return 0


def prune_command(
    args: argparse.Namespace, files: list[Path], out: Out, each: Callable[..., Iterable[Path]]
) -> int:
    """Run ``prune`` over ``files`` (``each`` wraps them in the progress bar); the exit status."""
    from pytest_imagegen.cassette.replays import prune_file

    if args.orphans:
        return _prune_orphans(args, out)
    records = _Records(_explicit(args))
    failed = pruned = 0
    verb = "would remove" if args.dry_run else "removed"
    for path in each(files):
        try:
            found, cache_dir = records.for_file(path)
            result = prune_file(path, found, write=not args.dry_run, cache_dir=cache_dir, force=args.force)
        except (CassetteError, OSError) as exc:
            failed += 1
            out(f"{path}: not pruned: {str(exc).splitlines()[0]}")
            continue
        if result.reason:
            out(f"{path}: not pruned: {result.reason}")
        elif result.removed:
            pruned += len(result.removed)
            listed = ", ".join(f"#{i}" for i in result.removed)
            out(
                f"{path}: {verb} {len(result.removed)} unplayed interaction(s) ({listed}); {result.kept} kept"
            )
    out(
        f"{verb} {pruned} interaction(s) from {len(files)} cassette(s)"
        + (f"; {failed} failed" if failed else "")
    )
    return 1 if failed else 0
