"""A session's end, in one call: the verdict and summary (``verdict.py``), the drift records a drift check
leaves, the HTML report (``--imagegen-report``), and the replay records ``imagegen-cassettes prune`` reads.

The plugin gathers what only pytest knows (the outcomes its tests reported, whether the whole suite was
collected, the test paths it was given and their cassette folders) and calls ``finish_session`` once,
in the xdist controller or the only process; nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_imagegen.run.verdict import Verdict, session_verdict

__all__ = ["finish_session"]


def _scopes(
    folders: Iterable[tuple[Path, Path, Path | None]], outcomes: Sequence[Mapping[str, Any]]
) -> list[Path]:
    """The folders orphans are looked for in: per test path given, its cassettes' place in its project's
    cassette folder and in every folder a test's cassette was opened from."""
    from pytest_imagegen.cassette.orphans import orphan_scopes

    opened = [Path(str(o["cassette_dir"])) for o in outcomes if o.get("cassette_dir")]
    scopes: list[Path] = []
    for arg, project, cassette_dir in folders:
        found = [cassette_dir] if cassette_dir is not None else []
        scopes += orphan_scopes([arg], project, dict.fromkeys([*found, *opened]))
    return scopes


def finish_session(
    outcomes: Sequence[Mapping[str, Any]],
    *,
    partial: str | None,
    folders: Iterable[tuple[Path, Path, Path | None]] = (),
    unopened: Iterable[Path] = (),
    incomplete: Iterable[str] = (),
    cache_dir: Path,
    rootdir: Path,
    strict_unused: bool = False,
    drift: bool = False,
    verbose: bool = False,
    report: Path | None = None,
) -> Verdict:
    """Everything a session's end does but print: returns the ``Verdict`` (summary lines, the line about
    the report, and why the run fails, if it does).

    ``partial`` says why the session did not collect the whole suite (or is None); ``folders`` are the
    test paths it was given, each with its project folder and cassette folder (None: unknown), where
    orphans are looked for; ``unopened`` the cassettes of tests that never opened theirs (skipped, or
    failed in an earlier fixture), which are used all the same; ``incomplete`` the ids of tests that did
    not pass; ``report`` where ``--imagegen-report`` writes.
    """
    incomplete = set(incomplete)
    scopes = _scopes(folders, outcomes) if partial is None else []
    unopened = list(unopened)
    if not (outcomes or unopened or any(scope.is_dir() for scope in scopes)):
        verdict = Verdict()  # no test used a cassette and there are none to judge: nothing to say or keep
        verdict.report_line = _write_report(report, outcomes, [], rootdir, cache_dir)
        return verdict
    verdict = session_verdict(
        outcomes,
        partial=partial,
        scopes=scopes,
        used=unopened,
        incomplete=incomplete,
        strict_unused=strict_unused,
        drift=drift,
        verbose=verbose,
        rootdir=rootdir,
    )
    if drift:
        from pytest_imagegen.cassette.driftrecords import write_drift_records

        write_drift_records(cache_dir, outcomes, datetime.now(UTC))
    verdict.report_line = _write_report(report, outcomes, verdict.orphans, rootdir, cache_dir)
    if drift:
        return verdict
    from pytest_imagegen.cassette.replays import save_session

    orphans = verdict.orphans if verdict.unused_judged else None
    trouble = save_session(cache_dir, outcomes, incomplete, orphans, scopes)
    if trouble is not None:  # a read-only cache: the run stands, prune just cannot use it
        verdict.cassette_lines.append(f"  {trouble}")
    return verdict


def _write_report(
    target: Path | None,
    outcomes: Sequence[Mapping[str, Any]],
    orphans: Sequence[Path],
    rootdir: Path,
    cache_dir: Path,
) -> str | None:
    """``--imagegen-report``: the session's HTML report (``cli/report.py``), with its line for the summary."""
    if target is None:
        return None
    from pytest_imagegen.cli.report_command import write_session_report

    return write_session_report(target, outcomes, unused=orphans, rootdir=rootdir, cache_dir=cache_dir)
