"""Where a test's cassette lives: ``<cassette dir>/<test module path>/<test name>.json``.

Cassettes written by earlier versions are ``.yaml`` files: where one exists and no ``.json`` does, it is
used (and rewritten in place when re-recorded; the JSON text it then holds is YAML too).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath

__all__ = ["cassette_location", "cassette_path", "check_cassette_dir", "project_root", "safe_name"]

SUFFIX = ".json"
_KNOWN_SUFFIXES = frozenset({".json", ".yaml", ".yml"})

_MAX_NAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "tox.ini", "pytest.ini", ".git")


def project_root(start: Path, *, default: Path | None = None, cache: bool = False) -> Path:
    """The nearest folder at or above ``start`` holding a project file (``pyproject.toml``, ``setup.py``,
    ``setup.cfg``, ``tox.ini``, ``pytest.ini``, ``.git``) or, with ``cache``, a pytest cache
    (``.pytest_cache``, where the tools look for the plugin's records); else ``default`` (else ``start``)."""
    for folder in (start, *start.parents):
        if any((folder / name).exists() for name in _PROJECT_FILES):
            return folder
        if cache and (folder / ".pytest_cache").is_dir():
            return folder
    return start if default is None else default


def cassette_location(test_id: str, module: Path, project: Path, rootdir: Path) -> str:
    """A test's id as cassettes are named by: its module path from the ``project`` folder (pytest's
    ``test_id`` counts from ``rootdir``, which may be the working directory) and the rest of the id."""
    if project == rootdir or not module.is_relative_to(project):
        return test_id
    _, sep, rest = test_id.partition("::")
    return module.relative_to(project).as_posix() + sep + rest


def check_cassette_dir(folder: Path) -> None:
    """``ConfigError`` when ``folder`` cannot hold cassettes: it, or a folder above it, is a file."""
    from pytest_imagegen.config import ConfigError

    for place in (folder, *folder.parents):
        if place.exists():
            if not place.is_dir():
                what = "is a file" if place == folder else f"is inside {place}, which is a file"
                raise ConfigError(f"the cassette folder {folder} {what}, not a folder")
            return


def safe_name(name: str) -> str:
    """A file-name-safe form of a test name: parametrize ids kept readable, long names shortened."""
    safe = _UNSAFE.sub("_", name.replace("[", "-").replace("]", "")).strip("._") or "cassette"
    if len(safe) > _MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        safe = f"{safe[: _MAX_NAME - 13]}-{digest}"
    return safe


def cassette_path(cassette_dir: Path, nodeid: str, override: str | None = None) -> Path:
    """The cassette file for the test ``nodeid`` (``tests/test_x.py::TestA::test_b[1]``).

    ``override`` (the marker's ``cassette=``) names a file in the module's folder, a path relative to
    the cassette directory when it has a slash, or an absolute path; ``.json`` is added when it has no
    cassette suffix (``.yaml`` where such an older cassette exists).
    """
    module, _, rest = nodeid.partition("::")
    module_dir = cassette_dir / PurePosixPath(module).with_suffix("")
    if override:
        target = Path(override)
        if target.suffix in _KNOWN_SUFFIXES:
            return (
                target if target.is_absolute() else (cassette_dir if "/" in override else module_dir) / target
            )
        base = target if target.is_absolute() else (cassette_dir if "/" in override else module_dir) / target
        return _with_suffix(base)
    return _with_suffix(module_dir / safe_name(rest.replace("::", ".") or module))


def _with_suffix(stem: Path) -> Path:
    path = stem.with_name(stem.name + SUFFIX)
    if not path.exists():
        legacy = stem.with_name(stem.name + ".yaml")
        if legacy.exists():
            return legacy
    return path
