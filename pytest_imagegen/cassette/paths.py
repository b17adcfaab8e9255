"""Where a test's cassette lives: ``<cassette dir>/<test module path>/<test name>.yaml``."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath

__all__ = ["cassette_path", "safe_name"]

_MAX_NAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


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
    the cassette directory when it has a slash, or an absolute path; ``.yaml`` is added when missing.
    """
    module, _, rest = nodeid.partition("::")
    module_dir = cassette_dir / PurePosixPath(module).with_suffix("")
    if override:
        target = Path(override)
        if target.suffix not in {".yaml", ".yml"}:
            target = target.with_name(target.name + ".yaml")
        if target.is_absolute():
            return target
        return (cassette_dir if "/" in override else module_dir) / target
    return module_dir / f"{safe_name(rest.replace('::', '.') or module)}.yaml"
