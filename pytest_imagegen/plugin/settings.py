"""pytest's configuration read into ``ImagegenConfig`` layers, and the places a test's cassette is found by.

The command line, the environment, the ini file and a test's markers each give a layer of plain values;
``config.resolve_config`` merges them (CLI > environment > marker > fixture > ini > default). Also here:
the project folder cassettes are found from, a test's id as cassettes are named by, the plugin's folder
in pytest's cache, and the cassette a test would open. Only public pytest API is used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pytest_imagegen.config import RECORD_MODES, ConfigError, config_from_ini, resolve_config

__all__ = [
    "MARKER_KEYS",
    "cache_dir",
    "cli_layer",
    "env_layer",
    "ini_layer",
    "location",
    "location_of",
    "marker_layer",
    "predicted_cassette",
    "project_dir",
    "project_dir_of",
    "session_layer",
    "strict_unused",
    "unopened",
]

MARKER_KEYS = (
    "cassette",
    "record_mode",
    "match_on",
    "payloads",
    "replay_timing",
    "polling",
    "max_age",
    "on_expiry",
    "record_on_error",
)


def env_layer() -> dict[str, Any]:
    layer = {
        "record_mode": os.environ.get("IMAGEGEN_RECORD_MODE") or None,
        "base_url": os.environ.get("OPENAI_BASE_URL") or None,
    }
    mode = layer["record_mode"]
    if mode is not None and mode not in RECORD_MODES:
        raise ConfigError(
            f"IMAGEGEN_RECORD_MODE={mode!r} is not a record mode; valid values are: {', '.join(RECORD_MODES)}"
        )
    return layer


def cli_layer(config: pytest.Config) -> dict[str, Any]:
    return {
        "record_mode": config.getoption("imagegen_record_mode"),
        "cassette_dir": config.getoption("imagegen_cassette_dir"),
        "base_url": config.getoption("imagegen_base_url"),
    }


def ini_layer(config: pytest.Config) -> dict[str, Any]:
    return {
        "record_mode": config.getini("imagegen_record_mode"),
        "cassette_dir": config.getini("imagegen_cassette_dir"),
        "base_url": config.getini("imagegen_base_url"),
        "payloads": config.getini("imagegen_payloads"),
        "polling": config.getini("imagegen_polling"),
        "match_on": config.getini("imagegen_match_on") or None,
        "max_age": config.getini("imagegen_max_age"),
        "on_expiry": config.getini("imagegen_on_expiry"),
        "record_on_error": config.getini("imagegen_record_on_error"),
        "allowed_hosts": config.getini("imagegen_allowed_hosts") or None,
    }


def session_layer(config: pytest.Config) -> dict[str, Any]:
    """The session's record mode, base URL and allowed hosts (command line > environment > ini), read
    as early as ``pytest_load_initial_conftests``, before the command line is fully parsed."""
    early = getattr(config, "known_args_namespace", config.option)
    env, ini = env_layer(), ini_layer(config)
    cli = {name: getattr(early, f"imagegen_{name}", None) for name in ("record_mode", "base_url")}
    layer = {name: cli[name] or env[name] or ini[name] or None for name in ("record_mode", "base_url")}
    layer["allowed_hosts"] = ini["allowed_hosts"] or ()
    layer["drift"] = getattr(early, "imagegen_drift", None)
    return layer


def strict_unused(config: pytest.Config) -> bool:
    """--imagegen-strict-unused, else the ini option (true/false)."""
    if config.getoption("imagegen_strict_unused"):
        return True
    value = config.getini("imagegen_strict_unused")
    if value in (None, ""):
        return False
    lowered = str(value).strip().lower()
    if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
        raise ConfigError(f"ini: imagegen_strict_unused must be true or false, got {value!r}")
    return lowered in {"1", "true", "yes", "on"}


def marker_layer(item: pytest.Item) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for marker in reversed(list(item.iter_markers("imagegen"))):  # closest marker wins
        if marker.args:
            raise ConfigError(
                f"@pytest.mark.imagegen takes keyword arguments only ({', '.join(MARKER_KEYS)})"
            )
        unknown = sorted(set(marker.kwargs) - set(MARKER_KEYS))
        if unknown:
            raise ConfigError(
                f"@pytest.mark.imagegen got unknown argument(s) {', '.join(unknown)}; "
                f"valid: {', '.join(MARKER_KEYS)}"
            )
        layer.update(marker.kwargs)
    return layer


_ROOTS = pytest.StashKey[dict[Path, Path]]()


def project_dir(request: pytest.FixtureRequest) -> Path:
    """Where cassettes are found from, whatever the working directory: the rootdir when an ini file
    fixes it; otherwise (pytest's rootdir is then the working directory) the nearest folder above the
    test that holds a project file, or the rootdir when there is none."""
    return project_dir_of(request.config, Path(request.node.path).parent)


def project_dir_of(config: pytest.Config, folder: Path) -> Path:
    if config.inipath is not None:
        return config.rootpath
    roots = config.stash.setdefault(_ROOTS, {})
    found = roots.get(folder)
    if found is None:
        from pytest_imagegen.cassette.paths import project_root

        found = roots[folder] = project_root(folder, default=config.rootpath)
    return found


def location(request: pytest.FixtureRequest) -> str:
    """The test's id as cassettes are named by: its module path from the project dir."""
    return location_of(request.config, request.node)


def location_of(config: pytest.Config, node: pytest.Item) -> str:
    nodeid: str = node.nodeid
    root = project_dir_of(config, Path(node.path).parent)
    if root == config.rootpath:
        return nodeid
    try:
        module = Path(node.path).relative_to(root).as_posix()
    except ValueError:
        return nodeid
    _, sep, rest = nodeid.partition("::")
    return module + sep + rest


_CACHE_DIR = pytest.StashKey[Path]()


def cache_dir(config: pytest.Config) -> Path:
    """This plugin's folder in pytest's cache (lock files, replay records), made once per session."""
    found = config.stash.get(_CACHE_DIR, None)
    if found is None:
        from pytest_imagegen.cassette.cachefiles import private_dir

        try:
            name = str(config.getini("cache_dir"))
        except ValueError:  # -p no:cacheprovider: pytest's default place
            name = ".pytest_cache"
        pytest_cache = Path(os.path.expandvars(os.path.expanduser(name)))
        # Made (owner-only) if it can be: a replay writes nothing there, so a read-only one is no error.
        found = config.stash[_CACHE_DIR] = private_dir(config.rootpath / pytest_cache / "d" / "imagegen")
    return found


def predicted_cassette(item: pytest.Item) -> str | None:
    """The cassette a test would open, from ini, marker and command line (a conftest's override of
    ``imagegen_config`` is not seen: that needs the fixture to run)."""
    from pytest_imagegen.cassette.paths import cassette_path

    config = item.config
    try:
        project = project_dir_of(config, Path(item.path).parent)
        resolved = resolve_config(
            config_from_ini(ini_layer(config), rootdir=project),
            marker=marker_layer(item),
            cli=cli_layer(config),
            rootdir=project,
        )
    except ConfigError:
        return None
    return str(cassette_path(resolved.cassette_dir, location_of(config, item), resolved.cassette))


def unopened(item: pytest.Item) -> bool:
    """Whether ``item`` uses a cassette (its marker or the fixture) but has not opened it."""
    uses = item.get_closest_marker("imagegen") is not None or "imagegen_cassette" in getattr(
        item, "fixturenames", ()
    )
    return uses and not any(name == "imagegen" for name, _ in item.user_properties)
