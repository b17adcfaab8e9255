"""The session's side of the plugin: cassette outcomes collected from every test (also from xdist
workers, as report properties), then at the session's end the summary, the replay records ``prune``
reads, the orphans found, and the exit status (``lifecycle.py`` decides; nothing there imports pytest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_imagegen.config import ConfigError, config_from_ini, resolve_config
from pytest_imagegen.plugin.settings import cache_dir, cli_layer, ini_layer, project_dir_of, strict_unused

__all__ = ["CassetteReporter"]


class CassetteReporter:
    """Collects cassette outcomes (also from xdist workers, as report properties) for the session's end:
    the summary, the replay records ``prune`` reads, orphans, and the exit status (``lifecycle.py``)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: list[dict[str, Any]] = []
        self.unopened: list[Path] = []
        self.incomplete: set[str] = set()
        self.partial: list[str] = []
        self.verdict: Any = None
        self.report_line: str | None = None

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
            project = project_dir_of(config, arg if arg.is_dir() else arg.parent)
            try:
                default = config_from_ini(ini_layer(config), rootdir=project)
                folders = [resolve_config(default, cli=cli_layer(config), rootdir=project).cassette_dir]
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
            self._write_report([])
            return  # no test used a cassette and there are none to judge: nothing to say or keep
        from pytest_imagegen.plugin.lifecycle import session_verdict

        self.verdict = verdict = session_verdict(
            self.outcomes,
            partial=partial,
            scopes=scopes,
            used=[p for p in self.unopened if p is not None],
            incomplete=self.incomplete,
            strict_unused=strict_unused(self.config),
            drift=drift,
            verbose=self.config.get_verbosity() > 0,
            rootdir=self.config.rootpath,
        )
        if verdict.failure is not None and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if drift:
            from pytest_imagegen.cassette.driftrecords import write_drift_records

            write_drift_records(cache_dir(self.config), self.outcomes, datetime.now(UTC))
        self._write_report(verdict.orphans)
        if drift:
            return
        if verdict.unused_judged:
            from pytest_imagegen.cassette.orphans import ORPHAN_FILE, write_orphans

            cache = cache_dir(self.config)
            if verdict.orphans or (cache / ORPHAN_FILE).exists():  # found, or earlier ones to forget
                write_orphans(cache, verdict.orphans, scopes)
        if self.outcomes:
            from pytest_imagegen.cassette.replays import merge_outcomes, write_records

            records = merge_outcomes(self.outcomes)
            if records:
                write_records(cache_dir(self.config), records)

    def _write_report(self, orphans: Sequence[Path]) -> None:
        """``--imagegen-report``: the session's HTML report (``cli/report.py``), with its line for the summary."""
        target = self.config.getoption("imagegen_report")
        if target:
            from pytest_imagegen.cli.report_command import write_session_report

            self.report_line = write_session_report(
                self.config.invocation_params.dir / str(target),
                self.outcomes,
                unused=orphans,
                rootdir=self.config.rootpath,
                cache_dir=cache_dir(self.config),
            )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        verdict = self.verdict
        report = [self.report_line] if self.report_line else []
        if verdict is None:
            if report:
                terminalreporter.section("imagegen cassettes")
                terminalreporter.write_line(report[0])
            return
        for title, lines in (
            ("imagegen drift", verdict.drift_lines),
            ("imagegen cassettes", [*verdict.cassette_lines, *report]),
        ):
            if lines:
                terminalreporter.section(title)
                for line in lines:
                    terminalreporter.write_line(line)
