"""Reading and writing cassette files: YAML serializer and an atomic, lock-guarded persister.

The serializer writes the parsed interaction dicts as readable YAML (block scalars for multi-line text,
never ``!!binary``) and loads with libyaml's safe loader where present. The persister writes a
temporary file next to the cassette and renames it over the old one under a file lock, so an
interrupted run or two xdist workers never leave a half-written or mixed cassette; it re-reads the
file under that lock and keeps interactions another process added meanwhile. A file that cannot be
parsed raises ``CassetteError`` with its path and line, and is never overwritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock

from pytest_imagegen.errors import CassetteError

__all__ = ["FORMAT_VERSION", "Interaction", "dump_cassette", "load_cassette", "lock_for", "save_cassette"]

FORMAT_VERSION = 1
HEADER = "# pytest-imagegen cassette (secrets redacted, images as placeholders): imagegen-cassettes verify\n"

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


def _with_headers(interaction: Mapping[str, Any], change: Any) -> dict[str, Any]:
    out = dict(interaction)
    for side in ("request", "response"):
        if isinstance(out.get(side), dict) and isinstance(out[side].get("headers"), dict):
            out[side] = {**out[side], "headers": {k: change(v) for k, v in out[side]["headers"].items()}}
    return out


def _compact(values: Any) -> Any:
    """One header value is written as a string, several as a list: half the lines of a cassette."""
    return values[0] if isinstance(values, list) and len(values) == 1 else values


def _as_list(values: Any) -> list[str]:
    return [values] if isinstance(values, str) else list(values)


def dump_cassette(interactions: Sequence[Mapping[str, Any]]) -> str:
    """The text of a cassette file holding ``interactions``."""
    document = {"version": FORMAT_VERSION, "interactions": [_with_headers(i, _compact) for i in interactions]}
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
    # migrate.py holds the one rule for telling vcrpy's raw form apart (and imports this module).
    from pytest_imagegen.cassette.migrate import is_vcrpy_interaction

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
        if is_vcrpy_interaction(interaction):
            raise CassetteError(
                path,
                f"a plain vcrpy / pytest-recording cassette (interaction {index} stores raw bodies, "
                "not parsed ones); this plugin reads only its own format",
                hint=f"Convert it with `imagegen-cassettes scrub {path}`, which also redacts and trims it.",
            )
    # In memory every header holds a list of values, whatever the file says.
    return [_with_headers(i, _as_list) for i in interactions]


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
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    cached = _parsed_cache_get(digest)
    if cached is not None:
        interactions: list[Interaction] = json.loads(cached)
        return interactions
    interactions = parse_cassette(text, str(path))
    _parsed_cache_put(digest, interactions)
    return interactions


# Parsing YAML costs about a millisecond for a small cassette even with libyaml (PyYAML builds the objects
# in Python); JSON takes a fiftieth of that. A cassette's parsed form is therefore kept as JSON, keyed by
# the sha256 of its text (so an edited file is never served stale), in memory and in a folder under the
# system's temporary directory, outside the repository.
_MEMORY: dict[str, str] = {}
_MEMORY_LIMIT = 256


def _cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "pytest-imagegen-cache"


def _parsed_cache_get(digest: str) -> str | None:
    found = _MEMORY.get(digest)
    if found is None:
        try:
            found = (_cache_dir() / f"{digest}.json").read_text(encoding="utf-8")
        except OSError:
            return None
        _remember(digest, found)
    return found


def _parsed_cache_put(digest: str, interactions: list[Interaction]) -> None:
    try:
        blob = json.dumps(interactions, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return  # a hand-edited cassette with YAML-only types (dates, sets): parse it every time
    if json.loads(blob) != interactions:
        return  # JSON would change it (non-string keys): not cacheable
    _remember(digest, blob)
    with contextlib.suppress(OSError):  # a cache: failing to write it only costs speed
        directory = _cache_dir()
        directory.mkdir(exist_ok=True)
        _write_atomically(directory / f"{digest}.json", blob)


def _remember(digest: str, blob: str) -> None:
    if len(_MEMORY) >= _MEMORY_LIMIT:
        _MEMORY.pop(next(iter(_MEMORY)))
    _MEMORY[digest] = blob


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
        # mkstemp makes the file private (0600); a cassette is a file for the repository like any other.
        os.chmod(tmp_name, stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644)
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
