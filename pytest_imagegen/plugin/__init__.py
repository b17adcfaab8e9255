"""pytest wiring only: options, markers, fixtures, terminal summary.

Everything here reads pytest's configuration and hands an ``ImagegenConfig`` to the core
(``pytest_imagegen.cassette.session``); no record/replay logic lives here. Only public pytest API is used.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from pytest_imagegen.config import (
    DRIFT_MODES,
    DURATION_HELP,
    MATCHERS,
    ON_EXPIRY,
    PAYLOAD_MODES,
    RECORD_MODES,
    REPLAY_TIMINGS,
    ConfigError,
    ImagegenConfig,
    check_base_url,
    config_from_ini,
    resolve_config,
)

if TYPE_CHECKING:
    import openai
    from syrupy.assertion import SnapshotAssertion

    from pytest_imagegen.cassette.core import ImagegenCassette
    from pytest_imagegen.client import AsyncImagegenClient, ImagegenClient
    from pytest_imagegen.emulator import Emulator

_MARKER_KEYS = (
    "cassette",
    "record_mode",
    "match_on",
    "payloads",
    "replay_timing",
    "max_age",
    "on_expiry",
    "record_on_error",
)
_MARKER_HELP = (
    "imagegen(cassette=None, record_mode=None, match_on=None, payloads=None, replay_timing=None, "
    "max_age=None, on_expiry=None, record_on_error=None): "
    "record/replay this test's Images API calls through a cassette. "
    f"record_mode: {'|'.join(RECORD_MODES)}; payloads: {'|'.join(PAYLOAD_MODES)}; "
    f"replay_timing: {'|'.join(REPLAY_TIMINGS)}; match_on: a list of {', '.join(MATCHERS)}; "
    f"max_age: {DURATION_HELP}; on_expiry: {'|'.join(ON_EXPIRY)}; record_on_error: True|False."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("imagegen", "record and replay Images API calls (pytest-imagegen)")
    group.addoption(
        "--imagegen-record",
        dest="imagegen_record_mode",
        choices=RECORD_MODES,
        default=None,
        help="record mode: none (default: replay only, network blocked), once, new_episodes, all. "
        "Environment: IMAGEGEN_RECORD_MODE.",
    )
    group.addoption(
        "--imagegen-cassette-dir",
        dest="imagegen_cassette_dir",
        default=None,
        help="where cassettes live (default: cassettes/ at the rootdir).",
    )
    group.addoption(
        "--imagegen-base-url",
        dest="imagegen_base_url",
        default=None,
        help="service to record from; 'emulator' starts the bundled emulator. Environment: OPENAI_BASE_URL.",
    )
    group.addoption(
        "--imagegen-drift",
        dest="imagegen_drift",
        nargs="?",
        const="report",
        choices=DRIFT_MODES,
        default=None,
        help="replay nothing: send each recorded request to the live service (or --imagegen-base-url) "
        "and report how its replies drifted from the cassettes; exit status 1 on breaking drift. "
        "--imagegen-drift=update also re-records the interactions that drifted.",
    )
    group.addoption(
        "--imagegen-strict-unused",
        dest="imagegen_strict_unused",
        action="store_true",
        default=None,
        help="fail the run when a session that collected the whole suite leaves orphan cassettes or "
        "never-played interactions. ini: imagegen_strict_unused.",
    )
    parser.addini("imagegen_record_mode", "default record mode (none, once, new_episodes, all)", default=None)
    parser.addini("imagegen_cassette_dir", "where cassettes live, relative to the rootdir", default=None)
    parser.addini(
        "imagegen_base_url", "service to record from ('emulator' for the bundled one)", default=None
    )
    parser.addini("imagegen_payloads", "placeholder (default) or keep", default=None)
    parser.addini("imagegen_match_on", "what requests are matched on", type="args", default=None)
    parser.addini("imagegen_max_age", f"cassettes older than this are expired: {DURATION_HELP}", default=None)
    parser.addini(
        "imagegen_on_expiry", f"what an expired cassette does: {', '.join(ON_EXPIRY)}", default=None
    )
    parser.addini(
        "imagegen_record_on_error",
        "false: a test that fails while recording leaves its cassette",
        default=None,
    )
    parser.addini(
        "imagegen_strict_unused",
        "true: orphan cassettes and never-played interactions fail the run",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER_HELP)
    config.pluginmanager.register(_Summary(config), "imagegen-summary")
    try:
        for layer in (_ini_layer(config), _env_layer(), _cli_layer(config)):
            check_base_url(layer.get("base_url"))
        _strict_unused(config)
        if config.getoption("imagegen_drift") and config.getoption("imagegen_record_mode"):
            raise ConfigError(
                "--imagegen-drift sends every request live and records nothing (=update re-records what "
                "drifted): leave out --imagegen-record"
            )
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-imagegen: {exc}") from None
    # Bad ini values stop the run here (exit 4, before any test), not at every test's setup.
    try:
        config_from_ini(_ini_layer(config), rootdir=config.rootpath)
    except ConfigError as exc:
        where = f" in {config.inipath}" if config.inipath else ""
        raise pytest.UsageError(f"pytest-imagegen: invalid imagegen_* setting{where}: {exc}") from None


def _env_layer() -> dict[str, Any]:
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


def _cli_layer(config: pytest.Config) -> dict[str, Any]:
    return {
        "record_mode": config.getoption("imagegen_record_mode"),
        "cassette_dir": config.getoption("imagegen_cassette_dir"),
        "base_url": config.getoption("imagegen_base_url"),
    }


def _ini_layer(config: pytest.Config) -> dict[str, Any]:
    return {
        "record_mode": config.getini("imagegen_record_mode"),
        "cassette_dir": config.getini("imagegen_cassette_dir"),
        "base_url": config.getini("imagegen_base_url"),
        "payloads": config.getini("imagegen_payloads"),
        "match_on": config.getini("imagegen_match_on") or None,
        "max_age": config.getini("imagegen_max_age"),
        "on_expiry": config.getini("imagegen_on_expiry"),
        "record_on_error": config.getini("imagegen_record_on_error"),
    }


def _strict_unused(config: pytest.Config) -> bool:
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


def _marker_layer(item: pytest.Item) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for marker in reversed(list(item.iter_markers("imagegen"))):  # closest marker wins
        if marker.args:
            raise ConfigError(
                f"@pytest.mark.imagegen takes keyword arguments only ({', '.join(_MARKER_KEYS)})"
            )
        unknown = sorted(set(marker.kwargs) - set(_MARKER_KEYS))
        if unknown:
            raise ConfigError(
                f"@pytest.mark.imagegen got unknown argument(s) {', '.join(unknown)}; "
                f"valid: {', '.join(_MARKER_KEYS)}"
            )
        layer.update(marker.kwargs)
    return layer


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check marker arguments up front, so a typo fails the run before any test starts, and give marked
    tests their cassette. (Adding the fixture here, not in an autouse fixture, costs unmarked tests
    nothing at run time.)"""
    for item in items:
        if item.get_closest_marker("imagegen") is None:
            continue
        try:
            resolve_config(ImagegenConfig(), marker=_marker_layer(item))
        except ConfigError as exc:
            raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
        fixturenames = getattr(item, "fixturenames", None)
        if isinstance(fixturenames, list) and "imagegen_cassette" not in fixturenames:
            fixturenames.append("imagegen_cassette")


_INI_CONFIGS = pytest.StashKey[dict[Path, ImagegenConfig]]()
_RESOLVED = pytest.StashKey[dict[tuple[ImagegenConfig, str, Path], ImagegenConfig]]()


@pytest.fixture
def imagegen_config(request: pytest.FixtureRequest) -> ImagegenConfig:
    """Defaults for this scope (ini + built-in). Override in a conftest to change them."""
    # The ini does not change during a session: made once per project folder (the config is frozen).
    made = request.config.stash.setdefault(_INI_CONFIGS, {})
    root = _project_dir(request)
    config = made.get(root)
    if config is None:
        try:
            config = made[root] = config_from_ini(_ini_layer(request.config), rootdir=root)
        except ConfigError as exc:
            raise pytest.UsageError(f"pytest-imagegen: {exc}") from None
    return config


@pytest.fixture
def imagegen_cassette(
    request: pytest.FixtureRequest, imagegen_config: ImagegenConfig
) -> Iterator[ImagegenCassette]:
    """The active cassette: all httpx and httpx2 traffic of the test is recorded or replayed through it."""
    from pytest_imagegen.cassette.session import open_cassette

    layers = (_marker_layer(request.node), _env_layer(), _cli_layer(request.config))
    resolved = request.config.stash.setdefault(_RESOLVED, {})
    key = (imagegen_config, repr(layers), _project_dir(request))  # the merge is pure: made once per input
    config = resolved.get(key)
    if config is None:
        try:
            config = resolved[key] = resolve_config(
                imagegen_config, marker=layers[0], env=layers[1], cli=layers[2], rootdir=key[2]
            )
        except ConfigError as exc:
            raise pytest.UsageError(f"{request.node.nodeid}: {exc}") from None

    def emulator_url() -> str:
        emulator: Emulator = request.getfixturevalue("imagegen_emulator")
        return emulator.base_url

    from pytest_imagegen.errors import CassetteExpired

    opened: list[ImagegenCassette] = []
    try:
        with open_cassette(
            config,
            request.node.nodeid,
            cache_dir=_cache_dir(request.config),
            emulator_url=emulator_url,
            location=_location(request),
            drift=request.config.getoption("imagegen_drift"),
        ) as cassette:
            opened.append(cassette)
            yield cassette
            if not cassette.config.record_on_error and request.node.stash.get(_FAILED, False):
                cassette.abandon()
    except CassetteExpired as exc:  # on_expiry="fail": the summary lists it too
        request.node.user_properties.append(("imagegen", exc.outcome))
        raise
    finally:  # after the save, which may have been refused: the summary says what reached disk
        if opened:
            request.node.user_properties.append(("imagegen", opened[0].outcome()))


_FAILED = pytest.StashKey[bool]()


_ROOTS = pytest.StashKey[dict[Path, Path]]()


def _project_dir(request: pytest.FixtureRequest) -> Path:
    """Where cassettes are found from, whatever the working directory: the rootdir when an ini file
    fixes it; otherwise (pytest's rootdir is then the working directory) the nearest folder above the
    test that holds a project file, or the rootdir when there is none."""
    return _project_dir_of(request.config, Path(request.node.path).parent)


def _project_dir_of(config: pytest.Config, folder: Path) -> Path:
    if config.inipath is not None:
        return config.rootpath
    roots = config.stash.setdefault(_ROOTS, {})
    found = roots.get(folder)
    if found is None:
        from pytest_imagegen.cassette.paths import project_root

        found = roots[folder] = project_root(folder, default=config.rootpath)
    return found


def _location(request: pytest.FixtureRequest) -> str:
    """The test's id as cassettes are named by: its module path from the project dir."""
    return _location_of(request.config, request.node)


def _location_of(config: pytest.Config, node: pytest.Item) -> str:
    nodeid: str = node.nodeid
    root = _project_dir_of(config, Path(node.path).parent)
    if root == config.rootpath:
        return nodeid
    try:
        module = Path(node.path).relative_to(root).as_posix()
    except ValueError:
        return nodeid
    _, sep, rest = nodeid.partition("::")
    return module + sep + rest


_CACHE_DIR = pytest.StashKey[Path]()


def _cache_dir(config: pytest.Config) -> Path:
    """This plugin's folder in pytest's cache (lock files, replay records), made once per session."""
    found = config.stash.get(_CACHE_DIR, None)
    if found is None:
        cache = getattr(config, "cache", None)  # absent with -p no:cacheprovider
        base = cache.mkdir("imagegen") if cache is not None else config.rootpath / ".pytest_cache/d/imagegen"
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        base.chmod(0o700)  # owner-only, whatever the umask made of it
        found = config.stash[_CACHE_DIR] = base
    return found


def _service(request: pytest.FixtureRequest, cassette: ImagegenCassette) -> tuple[str, str]:
    from pytest_imagegen.cassette.session import service_for

    def emulator_url() -> str:
        emulator: Emulator = request.getfixturevalue("imagegen_emulator")
        return emulator.base_url

    return service_for(cassette, emulator_url=emulator_url)


@pytest.fixture
def imagegen_client(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> Iterator[ImagegenClient]:
    """An ``ImagegenClient`` whose calls go through this test's cassette."""
    from pytest_imagegen.client import ImagegenClient

    base_url, api_key = _service(request, imagegen_cassette)
    with ImagegenClient(base_url=base_url, api_key=api_key, strict=imagegen_cassette.config.strict) as client:
        yield client


@pytest.fixture
async def async_imagegen_client(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> AsyncIterator[AsyncImagegenClient]:
    """An ``AsyncImagegenClient`` whose calls go through this test's cassette."""
    from pytest_imagegen.client import AsyncImagegenClient

    base_url, api_key = _service(request, imagegen_cassette)
    async with AsyncImagegenClient(
        base_url=base_url, api_key=api_key, strict=imagegen_cassette.config.strict
    ) as client:
        yield client


def _openai_module() -> Any:
    return pytest.importorskip(
        "openai", reason="the openai SDK is not installed: pip install 'pytest-imagegen[openai]'"
    )


@pytest.fixture
def imagegen_openai(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> Iterator[openai.OpenAI]:
    """An official ``openai.OpenAI`` client bound to this test's cassette (``max_retries=0``)."""
    openai_module = _openai_module()
    base_url, api_key = _service(request, imagegen_cassette)
    with openai_module.OpenAI(base_url=base_url, api_key=api_key, max_retries=0) as client:
        yield client


@pytest.fixture
async def async_imagegen_openai(
    request: pytest.FixtureRequest, imagegen_cassette: ImagegenCassette
) -> AsyncIterator[openai.AsyncOpenAI]:
    """An official ``openai.AsyncOpenAI`` client bound to this test's cassette (``max_retries=0``)."""
    openai_module = _openai_module()
    base_url, api_key = _service(request, imagegen_cassette)
    async with openai_module.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0) as client:
        yield client


@pytest.fixture(scope="session")
def imagegen_emulator() -> Iterator[Emulator]:
    """A running emulator of the Images API on 127.0.0.1 (started once per session)."""
    try:
        from pytest_imagegen.emulator import Emulator
    except ImportError as exc:
        pytest.fail(
            f"the bundled emulator needs the 'emulator' extra ({exc.name} is not installed): "
            "pip install 'pytest-imagegen[emulator]'",
            pytrace=False,
        )

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def imagegen_snapshot(
    request: pytest.FixtureRequest, snapshot: SnapshotAssertion, imagegen_config: ImagegenConfig
) -> Iterator[SnapshotAssertion]:
    """syrupy's ``snapshot`` with the imagegen extension: a reply becomes a stable, readable snapshot,
    redacted like a cassette (this scope's rules, and the secrets the test's recording found)."""
    from pytest_imagegen.snapshot import ImagegenSnapshotExtension, redaction_for

    def secrets() -> Iterable[str]:
        if "imagegen_cassette" in request.fixturenames:
            cassette: ImagegenCassette = request.getfixturevalue("imagegen_cassette")
            return cassette.secrets
        return ()

    with redaction_for(imagegen_config, secrets):
        yield snapshot.use_extension(ImagegenSnapshotExtension)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failure caused by one of the plugin's errors is reported short: the user's frames, then the
    plugin's message (``plugin/failures.py``), unless ``--tb`` asks for a style."""
    report = yield
    if report.failed:
        item.stash[_FAILED] = True  # read by the cassette fixture's teardown (record_on_error)
    if call.when == "teardown" and _unopened(item):
        # A test that never opened its cassette (skipped, or failed in an earlier fixture) still uses it:
        # the orphan report must not call it unused.
        report.user_properties.append(("imagegen-unopened", _predicted_cassette(item)))
    if call.excinfo is not None and report.failed and item.config.getoption("tbstyle") == "auto":
        from pytest_imagegen.plugin.failures import short_report

        short = short_report(call.excinfo)
        if short is not None:
            report.longrepr = cast(
                Any, short
            )  # a TerminalRepr in all but name (pytest keeps that class private)
    return report


def _unopened(item: pytest.Item) -> bool:
    uses = item.get_closest_marker("imagegen") is not None or "imagegen_cassette" in getattr(
        item, "fixturenames", ()
    )
    return uses and not any(name == "imagegen" for name, _ in item.user_properties)


def _predicted_cassette(item: pytest.Item) -> str | None:
    """The cassette a test would open, from ini, marker and command line (a conftest's override of
    ``imagegen_config`` is not seen: that needs the fixture to run)."""
    from pytest_imagegen.cassette.paths import cassette_path

    config = item.config
    try:
        project = _project_dir_of(config, Path(item.path).parent)
        resolved = resolve_config(
            config_from_ini(_ini_layer(config), rootdir=project),
            marker=_marker_layer(item),
            cli=_cli_layer(config),
            rootdir=project,
        )
    except ConfigError:
        return None
    return str(cassette_path(resolved.cassette_dir, _location_of(config, item), resolved.cassette))


class _Summary:
    """Collects cassette outcomes (also from xdist workers, as report properties) for the session's end:
    the summary, the replay records ``prune`` reads, orphans, and the exit status (``plugin/lifecycle.py``)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: list[dict[str, Any]] = []
        self.unopened: list[Path] = []
        self.incomplete: set[str] = set()
        self.partial: list[str] = []
        self.verdict: Any = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed or report.skipped:
            self.incomplete.add(report.nodeid)
        if report.when != "teardown":
            return
        for name, value in report.user_properties:
            if name == "imagegen" and isinstance(value, Mapping):
                self.outcomes.append({**value, "test": report.nodeid})
            elif name == "imagegen-unopened" and isinstance(value, str):
                self.unopened.append(Path(value))

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        if items:
            self.partial.append(f"{len(items)} test(s) deselected")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.partial.append("collection errors")

    def _partial_reason(self, session: pytest.Session, exitstatus: int) -> str | None:
        """Why this session did not collect (and run) the whole suite, or None when it did."""
        config = self.config
        options = (
            ("keyword", "-k"),
            ("markexpr", "-m"),
            ("lf", "--lf"),
            ("stepwise", "--sw"),
            ("deselect", "--deselect"),
            ("collectonly", "--collect-only"),
        )
        for name, flag in options:
            if getattr(config.option, name, None):
                return f"the session selected tests with {flag}"
        if any("::" in str(arg) for arg in config.args):
            return "the session was given test ids"
        if self.partial:
            return f"the session had {self.partial[0]}"
        if session.shouldfail or session.shouldstop or exitstatus == pytest.ExitCode.INTERRUPTED:
            return "the session stopped early"
        return None

    def _scopes(self) -> list[Path]:
        from pytest_imagegen.cassette.orphans import orphan_scopes

        config = self.config
        args = [Path(str(a)).resolve() for a in config.args] or [config.rootpath]
        scopes: list[Path] = []
        for arg in args:
            project = _project_dir_of(config, arg if arg.is_dir() else arg.parent)
            try:
                default = config_from_ini(_ini_layer(config), rootdir=project)
                folders = [resolve_config(default, cli=_cli_layer(config), rootdir=project).cassette_dir]
            except ConfigError:
                folders = []
            folders += [Path(str(o["cassette_dir"])) for o in self.outcomes if o.get("cassette_dir")]
            scopes += orphan_scopes([arg], project, dict.fromkeys(folders))
        return scopes

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Which interactions were played, per cassette, for ``imagegen-cassettes prune``, and the
        session's verdict (written once, by the xdist controller or the only process)."""
        if hasattr(self.config, "workerinput"):
            return
        drift = self.config.getoption("imagegen_drift") is not None
        partial = "it was a drift check" if drift else self._partial_reason(session, exitstatus)
        scopes = self._scopes() if partial is None else []
        if not (self.outcomes or self.unopened or any(scope.is_dir() for scope in scopes)):
            return  # no test used a cassette and there are none to judge: nothing to say or keep
        from pytest_imagegen.plugin.lifecycle import session_verdict

        self.verdict = verdict = session_verdict(
            self.outcomes,
            partial=partial,
            scopes=scopes,
            used=[p for p in self.unopened if p is not None],
            incomplete=self.incomplete,
            strict_unused=_strict_unused(self.config),
            drift=drift,
            verbose=self.config.get_verbosity() > 0,
            rootdir=self.config.rootpath,
        )
        if verdict.failure is not None and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if drift:
            return
        if verdict.unused_judged:
            from pytest_imagegen.cassette.orphans import ORPHAN_FILE, write_orphans

            cache = _cache_dir(self.config)
            if verdict.orphans or (cache / ORPHAN_FILE).exists():  # found, or earlier ones to forget
                write_orphans(cache, verdict.orphans, scopes)
        if self.outcomes:
            from pytest_imagegen.cassette.replays import merge_outcomes, write_records

            records = merge_outcomes(self.outcomes)
            if records:
                write_records(_cache_dir(self.config), records)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        verdict = self.verdict
        if verdict is None:
            return
        for title, lines in (
            ("imagegen drift", verdict.drift_lines),
            ("imagegen cassettes", verdict.cassette_lines),
        ):
            if lines:
                terminalreporter.section(title)
                for line in lines:
                    terminalreporter.write_line(line)
