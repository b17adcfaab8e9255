"""Reading and writing cassette files: YAML serializer and an atomic, lock-guarded persister.

The serializer writes the parsed interaction dicts as readable YAML (block scalars for multi-line text,
never ``!!binary``) and loads with libyaml's safe loader where present. The persister writes a
temporary file next to the cassette and renames it over the old one under a file lock, so an
interrupted run or two xdist workers never leave a half-written or mixed cassette; it re-reads the
file under that lock and keeps interactions another process added meanwhile. A file that cannot be
parsed raises ``CassetteError`` with its path and line, and is never overwritten.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock

from pytest_imagegen.errors import CassetteError

__all__ = ["FORMAT_VERSION", "Interaction", "dump_cassette", "load_cassette", "lock_for", "save_cassette"]

FORMAT_VERSION = 1
HEADER = (
    "# pytest-imagegen cassette: secrets redacted, images replaced by placeholders.\n"
    "# Check it with `imagegen-cassettes verify`; re-record with --imagegen-record.\n"
)

Interaction = dict[str, Any]

# libyaml makes loading several times faster; fall back to pure Python where PyYAML was built without it.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Multi-line strings are written as ``|`` blocks, so prompts and SSE text stay readable and diffable.
_CassetteDumper: Any = type("_CassetteDumper", (getattr(yaml, "CSafeDumper", yaml.SafeDumper),), {})


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not value.endswith((" ", "\t")) and "\r" not in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_CassetteDumper.add_representer(str, _represent_str)


def dump_cassette(interactions: Sequence[Mapping[str, Any]]) -> str:
    """The text of a cassette file holding ``interactions``."""
    document = {"version": FORMAT_VERSION, "interactions": list(interactions)}
    body = yaml.dump(document, Dumper=_CassetteDumper, sort_keys=False, allow_unicode=True, width=120)
    return HEADER + body


def parse_cassette(text: str, path: str) -> list[Interaction]:
    """Interactions of a cassette's text; ``CassetteError`` (path and line) if it is not one."""
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise CassetteError(path, f"not valid YAML: {exc.problem or exc}", line=line) from None
    except yaml.YAMLError as exc:
        raise CassetteError(path, f"not valid YAML: {exc}") from None
    if document is None:
        return []
    if not isinstance(document, dict) or not isinstance(document.get("interactions"), list):
        raise CassetteError(path, "not a cassette: expected a mapping with an 'interactions' list")
    version = document.get("version")
    if version != FORMAT_VERSION:
        raise CassetteError(
            path,
            f"cassette format version {version!r} is not supported (this plugin reads {FORMAT_VERSION})",
            hint="A plain vcrpy / pytest-recording cassette converts with `imagegen-cassettes scrub`.",
        )
    interactions: list[Interaction] = document["interactions"]
    for index, interaction in enumerate(interactions):
        if not (
            isinstance(interaction, dict)
            and isinstance(interaction.get("request"), dict)
            and isinstance(interaction.get("response"), dict)
            and "uri" in interaction["request"]
            and "status" in interaction["response"]
        ):
            raise CassetteError(path, f"interaction {index} is not a request/response pair")
    return interactions


def load_cassette(path: Path) -> list[Interaction] | None:
    """The interactions stored at ``path``, or None when there is no cassette (missing or empty file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise CassetteError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        return None
    return parse_cassette(text, str(path))


def lock_for(path: Path) -> FileLock:
    """A lock for ``path`` kept outside the cassette directory, so no lock files litter the repo."""
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
    lock_dir = Path(tempfile.gettempdir()) / "pytest-imagegen-locks"
    lock_dir.mkdir(exist_ok=True)
    return FileLock(lock_dir / f"{digest}.lock")


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        # An interrupted write leaves the old cassette as it was and no temporary file behind.
        Path(tmp_name).unlink(missing_ok=True)
        raise


def save_cassette(
    path: Path,
    interactions: Sequence[Interaction],
    *,
    merge: Callable[[list[Interaction], list[Interaction]], list[Interaction]] | None = None,
    check: Callable[[list[Interaction]], None] | None = None,
) -> list[Interaction]:
    """Write ``interactions`` to ``path`` atomically under a lock; return what was written.

    ``merge(ours, on_disk)`` combines ours with what another process wrote since we loaded (called
    under the lock with the file's current interactions). ``check`` runs on the final list before
    anything is written and may raise (the leak scan) to stop the write.
    """
    with lock_for(path):
        final = list(interactions)
        if merge is not None:
            on_disk = load_cassette(path)
            if on_disk:
                final = merge(final, on_disk)
        if check is not None:
            check(final)
        _write_atomically(path, dump_cassette(final))
    return final
