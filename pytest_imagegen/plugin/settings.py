"""The plugin's options, and ``resolve``: the one place a configuration is gathered from pytest (command
line, a test's markers, ini; and the environment) for ``config.resolve_config`` to merge. Also: where
cassettes are found from and named by, the plugin's folder in pytest's cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_imagegen import config as cfg

#: The command-line options, each with its ``parser.addoption`` arguments.
OPTIONS: dict[str, dict[str, Any]] = {
    "--imagegen-record": {
        "dest": "imagegen_record_mode",
        "choices": cfg.RECORD_MODES,
        "help": "record mode: none (default: replay only, network blocked), once, new_episodes, all, "
        "rewrite. Environment: IMAGEGEN_RECORD_MODE.",
    },
    "--imagegen-cassette-dir": {"help": "where cassettes live (default: cassettes/ at the rootdir)."},
    "--imagegen-base-url": {"help": "service to record from ('emulator' starts one). Env: OPENAI_BASE_URL."},
    "--imagegen-drift": {
        "nargs": "?",
        "const": "report",
        "choices": cfg.DRIFT_MODES,
        "help": "replay nothing: send each recorded request to the live service (or --imagegen-base-url) and "
        "report how its replies drifted; exit status 1 on breaking drift. =update re-records what drifted.",
    },
    "--imagegen-strict-unused": {
        "action": "store_true",
        "default": None,
        "help": "fail the run when a session that collected the whole suite leaves orphan cassettes or "
        "never-played interactions. ini: imagegen_strict_unused.",
    },
    "--imagegen-report": {
        "metavar": "PATH",
        "help": "write one self-contained HTML page showing the cassettes this session used: per interaction "
        "the prompt, parameters, status and images (previews), and what the session did with each cassette.",
    },
}
#: The ``ImagegenConfig`` fields the command line sets (``--imagegen-record`` sets ``record_mode``).
CLI = ("record_mode", "cassette_dir", "base_url", "strict_unused")
#: The ini options, each with its help and pytest type; the name without ``imagegen_`` is the
#: ``ImagegenConfig`` field it sets, so a new ini option is one line here.
INI: dict[str, tuple[str, Literal["args"] | None]] = {
    "imagegen_record_mode": (f"default record mode ({', '.join(cfg.RECORD_MODES)})", None),
    "imagegen_cassette_dir": ("where cassettes live, relative to the rootdir", None),
    "imagegen_base_url": ("service to record from ('emulator' for the bundled one)", None),
    "imagegen_payloads": ("placeholder (default) or keep", None),
    "imagegen_polling": ("polled jobs on replay: collapse (default) or faithful", None),
    "imagegen_match_on": ("what requests are matched on", "args"),
    "imagegen_max_age": (f"cassettes older than this are expired: {cfg.DURATION_HELP}", None),
    "imagegen_on_expiry": (f"what an expired cassette does: {', '.join(cfg.ON_EXPIRY)}", None),
    "imagegen_record_on_error": ("false: a test that fails while recording leaves its cassette", None),
    "imagegen_strict_unused": ("true: orphan cassettes and never-played interactions fail the run", None),
    "imagegen_allowed_hosts": ("hosts a session in record mode none may still connect to", "args"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("imagegen", "record and replay Images API calls (pytest-imagegen)")
    for flag, arguments in OPTIONS.items():
        group.addoption(flag, **arguments)
    for name, (help_text, kind) in INI.items():
        parser.addini(name, help_text, type=kind, default=None)


def resolve(
    config: pytest.Config,
    folder: Path,
    item: pytest.Item | None = None,
    fixture: cfg.ImagegenConfig | None = None,
    *,
    only_ini: bool = False,
    early: bool = False,
) -> cfg.ImagegenConfig:
    """The configuration of a test (``item``; ``fixture``: its ``imagegen_config``), or of the session for
    the tests in ``folder``. ``only_ini``: the ini and default layers (the default ``imagegen_config``);
    ``early``: before the command line is fully parsed (``pytest_load_initial_conftests``)."""
    options = getattr(config, "known_args_namespace", config.option) if early else config.option
    markers = [(m.args, m.kwargs) for m in item.iter_markers("imagegen")] if item is not None else []
    return cfg.resolve_config(
        fixture,
        ini={name.removeprefix("imagegen_"): _ini(config, name) for name in INI},
        marker=None if only_ini else cfg.marker_layer(markers),
        env=None if only_ini else cfg.env_layer(),
        cli=None if only_ini else {name: getattr(options, f"imagegen_{name}", None) for name in CLI},
        rootdir=project_root(config, folder),
    )


def _ini(config: pytest.Config, name: str) -> Any:
    value = config.getini(name)
    return None if value == [] else value  # an "args" option left unset


_ROOTS = pytest.StashKey[dict[Path, Path]]()


def project_root(config: pytest.Config, folder: Path) -> Path:
    """Where cassettes are found from, whatever the working directory: the rootdir an ini file fixes,
    else the project around ``folder`` (``cassette.paths.project_root``), else the rootdir."""
    if config.inipath is not None:
        return config.rootpath
    roots = config.stash.setdefault(_ROOTS, {})
    if folder not in roots:
        from pytest_imagegen.cassette import paths

        roots[folder] = paths.project_root(folder, default=config.rootpath)
    return roots[folder]


def cassette_location(config: pytest.Config, item: pytest.Item) -> str:
    """The test's id as cassettes are named by (``cassette.paths.cassette_location``)."""
    from pytest_imagegen.cassette import paths

    path = Path(item.path)
    return paths.cassette_location(item.nodeid, path, project_root(config, path.parent), config.rootpath)


_CACHE_DIR = pytest.StashKey[Path]()


def cache_dir(config: pytest.Config) -> Path:
    """This plugin's folder in pytest's cache (lock files, replay records), made once per session."""
    if _CACHE_DIR not in config.stash:
        from pytest_imagegen.cassette.cachefiles import plugin_dir

        try:
            name = str(config.getini("cache_dir"))
        except ValueError:  # -p no:cacheprovider: pytest's default place
            name = ".pytest_cache"
        config.stash[_CACHE_DIR] = plugin_dir(config.rootpath, name)
    return config.stash[_CACHE_DIR]


def unopened_cassette(item: pytest.Item) -> str | None:
    """The cassette of a test that uses one but did not open it (a conftest's ``imagegen_config``, which
    needs the fixture to run, is not seen)."""
    uses = item.get_closest_marker("imagegen") or "imagegen_cassette" in getattr(item, "fixturenames", ())
    if not uses or any(name == "imagegen" for name, _ in item.user_properties):
        return None
    from pytest_imagegen.cassette.paths import cassette_path

    try:
        resolved = resolve(item.config, Path(item.path).parent, item)
    except cfg.ConfigError:
        return None
    return str(cassette_path(resolved.cassette_dir, cassette_location(item.config, item), resolved.cassette))
