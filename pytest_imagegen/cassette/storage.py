"""Reading and writing cassette files: atomic, lock-guarded writes that never lose what is on disk.

A cassette is written to a temporary file next to it and renamed over the old one under a file lock, so
an interrupted run or two xdist workers never leave a half-written or mixed cassette; under that lock the
file is re-read and interactions another process added meanwhile are kept. A file that cannot be parsed
raises ``CassetteError`` with its path and line, and is never overwritten. A temporary file left by a
writer that was killed (``kill -9``) is removed by the next write into that folder.

Lock files live in the project's pytest cache folder (``.pytest_cache/d/imagegen/locks``, which pytest
keeps out of git), never in a shared system folder and never beside the cassettes.

The text format is ``fileformat.py``'s; the index at the end of each file is ``index.py``'s.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_imagegen.cassette import fileformat, packing
from pytest_imagegen.cassette.fileformat import FORMAT_VERSION, Document
from pytest_imagegen.cassette.schema import check_interaction
from pytest_imagegen.errors import CassetteError

if TYPE_CHECKING:
    from filelock import BaseFileLock

__all__ = [
    "FORMAT_VERSION",
    "Interaction",
    "Stored",
    "dump_cassette",
    "load_cassette",
    "parse_cassette",
    "project_cache_dir",
    "read_document",
    "read_file",
    "read_text",
    "save_cassette",
]

Interaction = dict[str, Any]

# The most a cassette file may hold, read or written: a cassette with full-size images kept
# (payloads="keep") is a few MB per image; one of placeholders is a few KB per call. Reading, decoding
# and parsing one costs about three times this in memory, and well under a second.
MAX_CASSETTE_BYTES = 64 * 1024 * 1024

# pytest writes these two files into a new cache folder; a folder this module creates gets them too, so
# git ignores it whichever tool made it first.
_CACHE_GITIGNORE = "# Created by pytest automatically.\n*\n"
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")


@dataclass
class Stored:
    """One interaction as stored, with its index entry when known (see ``index.py``)."""

    interaction: Interaction
    raw_key: str | None = None
    match_key: str | None = None
    problems: list[tuple[str, str]] | None = None
    # When and by what it was recorded: its entry in the file's meta (``metadata.py``), when known.
    meta: dict[str, Any] | None = None


# --------------------------------------------------------------------------------------------- the format


def _covered(interactions: Sequence[Mapping[str, Any]], meta: Mapping[str, Any] | None = None) -> str:
    return fileformat.dump_covered([packing.pack(i) for i in interactions], meta=meta)


def dump_cassette(interactions: Sequence[Mapping[str, Any]]) -> str:
    """The text of a cassette file holding ``interactions`` (without an index)."""
    return fileformat.finish(_covered(interactions))


def _check_interactions(
    interactions: list[Any], path: str, *, shared: bool, written_here: bool
) -> list[Interaction]:
    # migrate.py holds the one rule for telling vcrpy's raw form apart (and imports this module).
    from pytest_imagegen.cassette.migrate import is_vcrpy_interaction

    for index, interaction in enumerate(interactions):
        if not written_here and isinstance(interaction, dict) and is_vcrpy_interaction(interaction):
            raise CassetteError(
                path,
                f"a plain vcrpy / pytest-recording cassette (interaction {index} stores raw bodies, "
                "not parsed ones); this plugin reads only its own format",
                hint=f"Convert it with `imagegen-cassettes scrub {path}`, which also redacts and trims it.",
            )
    # In memory every interaction is whole (every header a list, every SSE event named, nothing shared).
    unpacked = []
    for index, interaction in enumerate(interactions):
        if not isinstance(interaction, dict):
            check_interaction(interaction, index, path)  # says what it is instead
        try:
            full = packing.unpack(interaction, shared=shared)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise CassetteError(path, f"interaction {index}: {exc}") from None
        if not written_here:
            check_interaction(full, index, path)  # every field of what replay uses: a CassetteError naming it
        unpacked.append(full)
    return unpacked


def parse_document(text: str, path: str, *, trust_index: bool = False) -> Document | None:
    """The document in a cassette's text, its interactions checked; None for an empty file.

    Each interaction's structure is checked field by field (``schema.py``), except, with ``trust_index``,
    in a file whose index digest shows it is exactly what this plugin's writer wrote: the writer only
    writes checked data, and checking each field again cost replay more than the call it replaces (a
    forged digest does not get a bad value past replay, which turns what it cannot use into a
    ``CassetteError`` too). Commands that inspect files (``verify``) always check every field.
    """
    document = fileformat.parse_document(text, path)
    if document is not None:
        from pytest_imagegen.cassette import index

        shared = packing.REF_KEY in text
        written_here = trust_index and index.digest_matches(document.index, document.indexed_text)
        document.interactions = _check_interactions(
            document.interactions, path, shared=shared, written_here=written_here
        )
    return document


def parse_cassette(text: str, path: str) -> list[Interaction]:
    """Interactions of a cassette's text; ``CassetteError`` (path and line) if it is not one."""
    document = parse_document(text, path)
    return [] if document is None else document.interactions


def _too_big(path: Path, size: int) -> CassetteError:
    return CassetteError(
        str(path),
        f"is {size:,} bytes, over the {MAX_CASSETTE_BYTES:,} a cassette may have",
        hint="A cassette this large keeps full-size images (payloads='keep'): record with placeholders, "
        "or split the test's calls over several cassettes.",
    )


def _not_a_file(path: Path, mode: int) -> CassetteError:
    if stat.S_ISDIR(mode):
        return CassetteError(str(path), "is a directory, not a cassette file")
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return CassetteError(str(path), f"is {kind}, not a regular file: a cassette is never read from one")


def read_file(path: Path) -> bytes | None:
    """The bytes of the cassette file at ``path``; None when there is none. Bounded whatever is there:
    a FIFO, a device (``/dev/zero``, whose size says 0), a directory or a file over
    ``MAX_CASSETTE_BYTES`` is a ``CassetteError`` before a byte is read, and so is a file that cannot be
    opened (no permission, a file where a folder of its path should be)."""
    try:
        mode = os.stat(path).st_mode  # before opening: opening a device or a FIFO may block or act
        if not stat.S_ISREG(mode):
            raise _not_a_file(path, mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CassetteError(str(path), f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        found = os.fstat(fd)  # what was opened, should the path have changed since the stat
        if not stat.S_ISREG(found.st_mode):
            raise _not_a_file(path, found.st_mode)
        if found.st_size > MAX_CASSETTE_BYTES:
            raise _too_big(path, found.st_size)
        try:
            data = handle.read(MAX_CASSETTE_BYTES + 1)
        except OSError as exc:
            raise CassetteError(str(path), f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_CASSETTE_BYTES:  # it grew while being read
        raise _too_big(path, len(data))
    return data


def read_text(path: Path) -> str | None:
    """The text of the cassette file at ``path`` (``read_file``, decoded); None when there is none."""
    raw = read_file(path)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_document(path: Path, *, trust_index: bool = False) -> Document | None:
    """The cassette at ``path``, or None when there is none (no file, or an empty one); ``trust_index``
    as for ``parse_document``."""
    raw = read_file(path)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    document = parse_document(text, str(path), trust_index=trust_index)
    if document is not None:
        document.digest = hashlib.sha256(raw).hexdigest()
    return document


def load_cassette(path: Path) -> list[Interaction] | None:
    """The interactions stored at ``path``, or None when there is no cassette (missing or empty file)."""
    document = read_document(path)
    return None if document is None else document.interactions


# --------------------------------------------------------------------------------------------- the project


def project_cache_dir(start: Path, *, pytest_cache: Path | None = None) -> Path:
    """This plugin's folder in the project's pytest cache (``pytest_cache``: pytest's cache folder, when
    known; else the one of the project around ``start``), created owner-only, with the ``.gitignore``
    pytest puts in its cache folder."""
    from pytest_imagegen.cassette.cachefiles import plugin_folder, private_dir

    folder = plugin_folder(pytest_cache, project=start)
    base = folder.parent.parent  # the pytest cache folder
    if not folder.is_dir():
        private_dir(folder)
        ignore = base / ".gitignore"
        if not ignore.exists():
            with contextlib.suppress(OSError):
                ignore.write_text(_CACHE_GITIGNORE, encoding="utf-8")
    return private_dir(folder)


def lock_for(path: Path, cache_dir: Path | None = None) -> BaseFileLock:
    """A lock for the cassette ``path``, kept in this plugin's cache folder (``cache_dir``, or the one of
    the project around the current directory), outside git."""
    from filelock import FileLock  # imported on the first write only

    resolved = path.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:24]
    from pytest_imagegen.cassette.cachefiles import private_dir

    locks = private_dir((cache_dir if cache_dir is not None else project_cache_dir(Path.cwd())) / "locks")
    return FileLock(locks / f"{digest}.lock", mode=0o600)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is another user's: leave its file alone
        return True
    return True


def remove_orphan_temp_files(path: Path) -> list[Path]:
    """Remove temporary files of ``path`` whose writer is gone (killed mid-write); return them."""
    removed = []
    with contextlib.suppress(OSError):
        for candidate in path.parent.iterdir():
            found = _TEMP_NAME.match(candidate.name)
            if found and found.group("name") == path.name and not _alive(int(found.group("pid"))):
                with contextlib.suppress(OSError):
                    candidate.unlink()
                    removed.append(candidate)
    return removed


def _write_atomically(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    if len(data) > MAX_CASSETTE_BYTES:  # it could not be read back: refused before anything is written
        raise _too_big(path, len(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    # The writer's pid is in the name, so a later write can tell a dead writer's leftover from a live one.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        old_mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        old_mode = None
    try:
        # A new cassette is a file for the repository like any other: 0666 less the umask, as the
        # kernel applies it; a rewritten one keeps its mode. O_EXCL: never through a planted link.
        flags = (
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        )
        fd = os.open(tmp, flags, 0o666 if old_mode is None else 0o600)
        with os.fdopen(fd, "wb") as handle:
            if old_mode is not None:
                os.fchmod(fd, old_mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        # An interrupted write leaves the old cassette as it was and no temporary file behind.
        tmp.unlink(missing_ok=True)
        raise


def _stored(item: Stored | Mapping[str, Any]) -> Stored:
    return item if isinstance(item, Stored) else Stored(dict(item))


def _complete(entries: Sequence[Stored], match_on: Sequence[str]) -> None:
    """Fill in the match key and contract verdict of entries that have none (say, merged from disk)."""
    from pytest_imagegen.cassette import checks, index, match

    for entry in entries:
        if entry.match_key is None:
            entry.match_key = index.match_key(match.fingerprint(entry.interaction["request"], match_on))
        if entry.problems is None:
            entry.problems = checks.contract_problems(entry.interaction)


def stored_from_document(document: Document, match_on: Sequence[str]) -> list[Stored]:
    """The document's interactions with the index entries that can be trusted for ``match_on``."""
    from pytest_imagegen.cassette import index, metadata

    entries = metadata.entries_of(document.meta, len(document.interactions))
    trusted = index.read_index(document.index, document.indexed_text, len(document.interactions), match_on)
    if trusted is None:
        return [Stored(i, meta=entry) for i, entry in zip(document.interactions, entries, strict=True)]
    keys: Sequence[str | None] = trusted.match_keys or [None] * len(document.interactions)
    return [
        Stored(i, raw, key, problems, entry)
        for i, raw, key, problems, entry in zip(
            document.interactions, trusted.raw_keys, keys, trusted.problems, entries, strict=True
        )
    ]


def save_cassette(
    path: Path,
    interactions: Sequence[Stored | Mapping[str, Any]],
    *,
    match_on: Sequence[str] = ("method", "path", "query", "body"),
    meta: Mapping[str, Any] | None = None,
    merge: Callable[[list[Stored], list[Stored]], list[Stored]] | None = None,
    check: Callable[[list[Interaction]], None] | None = None,
    cache_dir: Path | None = None,
) -> list[Interaction]:
    """Write ``interactions`` and their index to ``path`` atomically under a lock; return what was written.

    ``merge(ours, on_disk)`` combines ours with what another process wrote since we loaded (called under
    the lock with the file's current interactions, their match keys filled in). ``check`` runs on the
    final list before anything is written and may raise (the leak scan) to stop the write. The lock
    file is kept in ``cache_dir`` (this plugin's folder in the pytest cache; see ``lock_for``).
    ``meta`` is written with the per-interaction entries of the final list (``metadata.compose``).
    """
    from pytest_imagegen.cassette import index, metadata

    with lock_for(path, cache_dir):
        remove_orphan_temp_files(path)
        final = [_stored(i) for i in interactions]
        if merge is not None:
            on_disk = read_document(path)
            if on_disk is not None and on_disk.interactions:
                theirs = stored_from_document(on_disk, match_on)
                _complete(theirs, match_on)
                final = merge(final, theirs)
        written = [entry.interaction for entry in final]
        if check is not None:
            check(written)
        _complete(final, match_on)
        covered = _covered(written, metadata.compose(meta, [entry.meta for entry in final]) or None)
        entries = [(e.raw_key, str(e.match_key), e.problems or []) for e in final]
        _write_atomically(path, fileformat.finish(covered, index.build_index(covered, entries, match_on)))
    return written
