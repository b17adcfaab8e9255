"""The plugin's own files in pytest's cache folder (replay records, orphans): a versioned JSON document,
owner-only, written atomically, and read as empty when it is missing, foreign or from another version.

They hold nothing a cassette does not (paths and digests of cassette files, interaction numbers).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["read_entries", "write_entries"]


def read_entries(cache_dir: Path, name: str, key: str, version: int) -> dict[Any, Any]:
    """The mapping under ``key`` in the cache file ``name``; {} when there is no file, or it is not a
    document of this ``version`` with such a mapping."""
    try:
        document = json.loads((cache_dir / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("version") != version:
        return {}
    entries = document.get(key)
    return entries if isinstance(entries, dict) else {}


def write_entries(cache_dir: Path, name: str, key: str, version: int, entries: Mapping[str, Any]) -> None:
    """Replace the cache file ``name`` with ``entries`` under ``key``: owner-only, written atomically."""
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = cache_dir / name
    tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
    text = json.dumps({"version": version, key: dict(entries)}, indent=1, sort_keys=True)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
