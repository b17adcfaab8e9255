"""pytest wiring only: hooks, the marker, the session's reporter (options and configuration:
``settings.py``; fixtures: ``fixtures.py``). The engine (``cassette/``) records and replays, ``run/``
decides a session's end. Only public pytest API; nothing heavy is imported (pytest imports this at start).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from pytest_imagegen.config import MARKER_HELP, ConfigError
from pytest_imagegen.plugin import settings
from pytest_imagegen.plugin.fixtures import FAILED

if TYPE_CHECKING:
    from pytest_imagegen.run.verdict import Verdict

pytest_plugins = ["pytest_imagegen.plugin.fixtures"]  # the fixtures, registered with this plugin
pytest_addoption = settings.pytest_addoption

_SESSION = pytest.StashKey[Callable[[], None]]()


def _begin_session(config: pytest.Config) -> None:
    """Dummy keys and the network block for the whole session (``cassette/environment.py``), once."""
    if _SESSION not in config.stash:
        config.stash[_SESSION] = lambda: None
        with contextlib.suppress(ConfigError, ValueError):  # pytest_configure reports it
            from pytest_imagegen.cassette.environment import begin_session

            session = settings.resolve(config, config.rootpath, early=True)
            drift = getattr(getattr(config, "known_args_namespace", config.option), "imagegen_drift", None)
            config.stash[_SESSION] = begin_session(
                session.record_mode, session.base_url, session.allowed_hosts, drift=drift
            )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before the first conftest is imported (it may import an application that builds its client)."""
    _begin_session(early_config)


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash.get(_SESSION, lambda: None)()


def pytest_configure(config: pytest.Config) -> None:
    _begin_session(config)  # a plugin loaded by a conftest's pytest_plugins starts the session here
    config.addinivalue_line("markers", MARKER_HELP)
    config.pluginmanager.register(CassetteReporter(config), "imagegen-summary")
    try:  # bad values stop the run here (exit 4, before any test), not at every test's setup
        from pytest_imagegen.cassette.paths import check_cassette_dir

        check_cassette_dir(settings.resolve(config, config.rootpath).cassette_dir)  # an empty one, or a file
        if config.getoption("imagegen_drift") and config.getoption("imagegen_record_mode"):
            raise ConfigError(
                "--imagegen-drift sends every request live and records nothing (=update re-records what "
                "drifted): leave out --imagegen-record"
            )
    except ConfigError as exc:
        where = f"invalid imagegen_* setting{f' in {config.inipath}' if config.inipath else ''}: "
        raise pytest.UsageError(f"pytest-imagegen: {where if exc.source == 'ini' else ''}{exc}") from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marker arguments checked before any test runs; marked tests given their cassette (unlike an autouse
    fixture, at no cost to unmarked tests, and opened after the test's own fixtures, as asked for)."""
    for item in items:
        if item.get_closest_marker("imagegen") is None:
            continue
        try:
            settings.resolve(config, Path(item.path).parent, item)
        except ConfigError as exc:
            if not hasattr(config, "workerinput"):
                raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
            # An xdist worker's usage error is lost to an INTERNALERROR: the test's own setup says it.
        fixturenames = getattr(item, "fixturenames", None)
        if isinstance(fixturenames, list) and "imagegen_cassette" not in fixturenames:
            fixturenames.append("imagegen_cassette")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failure the plugin's errors caused is reported short (``run/failures.py``) unless ``--tb`` is set."""
    report = yield
    if report.failed:
        item.stash[FAILED] = True  # read by the cassette fixture's teardown (record_on_error)
    if call.when == "teardown" and (unopened := settings.unopened_cassette(item)) is not None:
        report.user_properties.append(("imagegen-unopened", unopened))  # skipped, or failed before: used
    if call.excinfo is not None and report.failed and item.config.getoption("tbstyle") == "auto":
        from pytest_imagegen.run.failures import short_report

        short = short_report(call.excinfo.value, call.excinfo.traceback)
        if short is not None:
            report.longrepr = cast(Any, short)  # a TerminalRepr in all but name (pytest keeps it private)
    return report


def _folders(config: pytest.Config) -> list[tuple[Path, Path, Path | None]]:
    """The test paths the session was given, each with its project folder and cassette folder."""
    found: list[tuple[Path, Path, Path | None]] = []
    for arg in [Path(str(a)).resolve() for a in config.args] or [config.rootpath]:
        folder = arg if arg.is_dir() else arg.parent
        try:
            cassettes: Path | None = settings.resolve(config, folder).cassette_dir
        except ConfigError:  # unknown: the folders tests opened cassettes from still count
            cassettes = None
        found.append((arg, settings.project_root(config, folder), cassettes))
    return found


#: Options (name, then flag) that select part of the suite: orphans and unplayed interactions are not judged.
_SELECTING = "keyword -k markexpr -m lf --lf stepwise --sw deselect --deselect collectonly --collect-only"


class CassetteReporter:
    """Collects cassette outcomes (from xdist workers too, as report properties) for the session's end
    (``run.finish.finish_session``), and prints what it says."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: list[dict[str, Any]] = []
        self.unopened: list[Path] = []
        self.incomplete: set[str] = set()
        self.partial: list[str] = []
        self.verdict: Verdict | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed or report.skipped or hasattr(report, "wasxfail"):  # an xpass did not pass either
            self.incomplete.add(report.nodeid)
        if report.when != "teardown":
            return
        for name, value in report.user_properties:
            if name == "imagegen" and isinstance(value, Mapping):
                self.outcomes.append({**value, "test": report.nodeid})
            elif name == "imagegen-unopened" and isinstance(value, str):
                self.unopened.append(Path(value))

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.partial += [f"{len(items)} test(s) deselected"] if items else []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.partial += ["collection errors"] if report.failed else []

    def _partial_reason(self, session: pytest.Session, exitstatus: int) -> str | None:
        """Why this session did not collect (and run) the whole suite, or None when it did."""
        if self.config.getoption("imagegen_drift") is not None:
            return "it was a drift check"
        names = _SELECTING.split()
        for name, flag in zip(names[::2], names[1::2], strict=True):
            if getattr(self.config.option, name, None):
                return f"the session selected tests with {flag}"
        if any("::" in str(arg) for arg in self.config.args):
            return "the session was given test ids"
        if self.partial:
            return f"the session had {self.partial[0]}"
        if session.shouldfail or session.shouldstop or exitstatus == pytest.ExitCode.INTERRUPTED:
            return "the session stopped early"
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """The session's verdict, written once, by the xdist controller or the only process."""
        if hasattr(self.config, "workerinput"):
            return
        from pytest_imagegen.run.finish import finish_session

        config, partial = self.config, self._partial_reason(session, exitstatus)
        target = config.getoption("imagegen_report")
        self.verdict = verdict = finish_session(
            self.outcomes,
            partial=partial,
            folders=_folders(config) if partial is None else (),
            unopened=self.unopened,
            incomplete=self.incomplete,
            cache_dir=settings.cache_dir(config),
            rootdir=config.rootpath,
            strict_unused=settings.resolve(config, config.rootpath).strict_unused,
            drift=config.getoption("imagegen_drift") is not None,
            verbose=config.get_verbosity() > 0,
            report=config.invocation_params.dir / str(target) if target else None,
        )
        if verdict.failure is not None and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for title, lines in self.verdict.sections() if self.verdict is not None else ():
            terminalreporter.section(title)
            terminalreporter.write_line("\n".join(lines))
