"""The plugin's own files in pytest's cache folder (replay records, orphans, rendered replies): owner-only,
written atomically, and read as empty when they are missing, foreign or from another version. Records are
a versioned JSON document (``read_entries``, ``write_entries``); the rendered replies of a cassette are
bytes that ``rendercache.py`` frames and verifies (``read_bytes``, ``write_bytes``).

They hold nothing a cassette does not (paths and digests of cassette files, interaction numbers, and
replies rendered from the cassette's own bytes).

The folder is made owner-only when this module makes it, and an existing one of this user is narrowed
to owner-only through a descriptor opened without following links: a folder planted as a symlink is
never chmod-ed through, and a read-only one is no error (a replay writes nothing there). A file is written
through a temporary file of a random name, created exclusively and never through a link (a link planted
at a predictable temporary name would otherwise have the writer truncate its target).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "plugin_dir",
    "plugin_folder",
    "private_dir",
    "read_bytes",
    "read_entries",
    "write_bytes",
    "write_entries",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def private_dir(folder: Path) -> Path:
    """``folder``, made owner-only if it can be (see the module docstring); never an error."""
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW)
    except OSError:  # missing (read-only parent), or a link: left as it is
        return folder
    try:
        info = os.fstat(fd)
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, stat.S_IMODE(info.st_mode) & 0o700)
    except OSError:  # a read-only or immutable folder
        pass
    finally:
        os.close(fd)
    return folder


def plugin_folder(pytest_cache: Path | None = None, *, project: Path | None = None) -> Path:
    """This plugin's folder in a pytest cache folder (``<pytest_cache>/d/imagegen``, where pytest's
    ``cache.mkdir("imagegen")`` would put it), or, given none, in that of the project around ``project``
    (``paths.project_root``: where the command-line tools look). Made by nobody here."""
    if pytest_cache is None:
        from pytest_imagegen.cassette.paths import project_root

        pytest_cache = project_root((project or Path.cwd()).resolve(), cache=True) / ".pytest_cache"
    return pytest_cache / "d" / "imagegen"


def plugin_dir(rootdir: Path, pytest_cache: str) -> Path:
    """This plugin's folder in a pytest cache (``pytest_cache``, its ``cache_dir`` setting, relative to
    ``rootdir``), made owner-only if it can be: a replay writes nothing there, so a read-only one is no
    error."""
    cache = Path(os.path.expandvars(os.path.expanduser(pytest_cache)))
    return private_dir(plugin_folder(rootdir / cache))


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
    text = json.dumps({"version": version, key: dict(entries)}, indent=1, sort_keys=True)
    write_bytes(cache_dir, name, text.encode("utf-8"))


def write_bytes(cache_dir: Path, name: str, data: bytes) -> None:
    """Replace the cache file ``name`` with ``data``: owner-only, written atomically (see the module
    docstring), in ``cache_dir`` made owner-only."""
    private_dir(cache_dir)
    target = cache_dir / name
    tmp = target.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def read_bytes(cache_dir: Path, name: str, limit: int) -> bytes | None:
    """The bytes of the cache file ``name``; None when there is none, or it is not a regular file of this
    user (never read through a link), or it is over ``limit`` bytes."""
    try:
        fd = os.open(cache_dir / name, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_size > limit:
                return None
            data = handle.read(limit + 1)
        except OSError:
            return None
    return data if len(data) <= limit else None
