"""Where ``imagegen-cassettes diff`` finds the two sides of each cassette: two files, two folders, or a
git revision and the working tree. The comparison itself is ``cli/diff.py``'s.

Every side is read as stored form, whatever wrote it: a cassette of this plugin, or a plain vcrpy one (an
old commit, before a migration), converted. Both sides are then redacted with the default rules and
their images trimmed to facts before they are compared, so a secret an old commit still holds is neither
shown nor reported as a change.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette.orphans import SUFFIXES, find_cassettes, is_cassette_file
from pytest_imagegen.errors import CassetteError

__all__ = ["GitError", "folder_pairs", "git_pairs", "load_side"]


class GitError(Exception):
    """git could not answer (not a repository, an unknown revision): the message says which."""


@dataclass(frozen=True)
class Side:
    """One side of a cassette's diff: its interactions (None: the file does not exist there) and meta."""

    interactions: list[dict[str, Any]] | None
    meta: dict[str, Any]


def load_side(text: str | None, name: str) -> Side:
    """The stored form of a cassette's text, redacted and trimmed for review (``CassetteError`` if the
    text is not a cassette)."""
    if text is None:
        return Side(None, {})
    from pytest_imagegen.cassette import fileformat, migrate, storage
    from pytest_imagegen.safety import redact, trim

    if text == _TOO_BIG:
        raise CassetteError(name, f"is over the {storage.MAX_CASSETTE_BYTES:,} bytes a cassette may have")

    if not text.strip():
        return Side([], {})
    raw = fileformat.load_raw(text, name)
    if migrate.is_vcrpy_cassette(raw):
        try:
            interactions = [migrate.convert_interaction(i) for i in raw["interactions"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(name, f"cannot be converted from vcrpy form: {exc}") from None
        meta: dict[str, Any] = {}
    else:
        document = storage.parse_document(text, name)
        interactions = [] if document is None else document.interactions
        meta = {} if document is None else document.meta
    cleaned = [trim.trim_interaction(redact.redact_interaction(i)[0]) for i in interactions]
    return Side(cleaned, meta)


def _read(path: Path | None) -> str | None:
    """The text of a file (undecodable bytes shown as such: parsing then names the problem); None when
    there is no file. A file over the size any cassette may have is not read."""
    from pytest_imagegen.cassette.storage import MAX_CASSETTE_BYTES

    if path is None or not path.is_file():
        return None
    if path.stat().st_size > MAX_CASSETTE_BYTES:
        return _TOO_BIG
    return path.read_bytes().decode("utf-8", "replace")


# Stands for a file too big to read; load_side turns it into a CassetteError.
_TOO_BIG = "\0too big\0"


def folder_pairs(old: Path, new: Path) -> Iterator[tuple[str, str | None, str | None]]:
    """(name, old text, new text) for two cassette files, or for the cassettes of two folders paired by
    their path inside each folder (named as in ``new``)."""
    if old.is_file() and new.is_file():
        yield str(new), _read(old), _read(new)
        return
    names: dict[Path, None] = {}
    for root in (old, new):
        for path in find_cassettes([root]):
            if is_cassette_file(path):
                names.setdefault(path.relative_to(root), None)
    for relative in sorted(names):
        yield str(new / relative), _read(old / relative), _read(new / relative)


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if done.returncode != 0:
        message = (
            done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit status {done.returncode}"
        )
        raise GitError(f"git {' '.join(args[:2])} failed: {message}")
    return done.stdout


def git_pairs(rev: str, paths: Sequence[Path], cwd: Path) -> Iterator[tuple[str, str | None, str | None]]:
    """(name, text at ``rev``, text in the working tree) of each cassette under ``paths`` that differs
    from ``rev`` (committed, staged, changed or new), named relative to the current directory."""
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd)
    except GitError:
        raise GitError(f"{rev!r} is not a commit of the repository at {top}") from None
    specs = ["--", *(str(p) for p in paths)]
    changed = _git(["diff", "--name-only", "--no-renames", rev, *specs], cwd).splitlines()
    untracked = _git(["ls-files", "--others", "--exclude-standard", "--full-name", *specs], cwd).splitlines()
    for name in sorted(set(changed) | set(untracked)):
        if not name.endswith(SUFFIXES):
            continue
        path = top / name
        old = _show(rev, name, top)
        new = _read(path)
        if not any(_looks_like_cassette(text) for text in (old, new) if text is not None):
            continue  # some other JSON or YAML file
        yield os.path.relpath(path, cwd.resolve()), old, new


def git_unchanged(rev: str, paths: Sequence[Path], cwd: Path) -> list[str]:
    """The cassettes under ``paths`` that are the same at ``rev`` and in the working tree (``git_pairs``
    leaves them out), named as ``git_pairs`` names the others: so the summary counts them as unchanged,
    as the folder mode does."""
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    specs = ["--", *(str(p) for p in paths)]
    changed = set(_git(["diff", "--name-only", "--no-renames", rev, *specs], cwd).splitlines())
    committed = _git(["ls-tree", "-r", "--name-only", "--full-name", rev, *specs], cwd).splitlines()
    found = []
    for name in sorted(set(committed) - changed):
        if not name.endswith(SUFFIXES):
            continue
        text = _read(top / name)
        if text is not None and _looks_like_cassette(text):
            found.append(os.path.relpath(top / name, cwd.resolve()))
    return found


def _show(rev: str, name: str, top: Path) -> str | None:
    done = subprocess.run(["git", "show", f"{rev}:{name}"], cwd=top, capture_output=True, check=False)
    if done.returncode != 0:
        return None  # not in that revision: the cassette is new
    return done.stdout.decode("utf-8", "replace")


def _looks_like_cassette(text: str) -> bool:
    head = text[:4096]
    if head.lstrip().startswith("{"):
        return '"pytest-imagegen cassette"' in head
    return "interactions:" in head
