"""The report's two front ends: ``imagegen-cassettes report [PATH...] -o report.html`` and the pytest
session's ``--imagegen-report=report.html`` (``write_session_report``, called by the plugin at the end of
the session, with the tests' outcomes). Both build the page with ``report.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_report_parser", "write_session_report"]


def _run(args: argparse.Namespace, files: list[Path]) -> int:
    from pytest_imagegen.cli.listing import human_bytes
    from pytest_imagegen.cli.report import build_report, write_report
    from pytest_imagegen.errors import SecretLeakError

    report = build_report(files, rootdir=Path.cwd(), cache_dir=args.cache_dir_of(args), title=args.title)
    key = os.environ.get("OPENAI_API_KEY", "")
    try:
        written = write_report(report, args.output, secrets=[key] if key else [])
    except SecretLeakError as exc:
        print(f"imagegen-cassettes report: {exc}", file=sys.stderr)
        return 1
    entries = sum(len(s.entries) for s in report.shelves)
    print(f"wrote {args.output}: {len(files)} cassette(s), {entries} interaction(s), {human_bytes(written)}")
    return 1 if any(s.problem for s in report.shelves) else 0


def add_report_parser(commands: Any, cache_dir_of: Callable[[argparse.Namespace], Path]) -> None:
    """The ``report`` sub-command; ``cache_dir_of(args)`` finds pytest's cache folder as ``prune`` does."""
    report = commands.add_parser(
        "report",
        help="One self-contained HTML page of the cassettes, with their images.",
        description="Write one self-contained HTML file (no script, nothing loaded from elsewhere) showing "
        "the cassettes under PATH (default: cassettes/): per interaction the prompt, parameters, status "
        "and images (previews), sizes, recording date, the last run's outcome and drift check. Exit "
        "status 1 when a file could not be read or the page would hold a secret (nothing is written).",
    )
    report.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="cassette files or directories")
    report.add_argument("-o", "--output", type=Path, default=Path("imagegen-report.html"), help="the page")
    report.add_argument("--title", default="pytest-imagegen cassettes", help="the page's title")
    report.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="pytest's cache folder with the last run's replay and drift records (default: .pytest_cache "
        "of the project around the current directory)",
    )
    report.set_defaults(run=_run, parser=report, default_paths=[Path("cassettes")], cache_dir_of=cache_dir_of)


def write_session_report(
    target: Path,
    outcomes: Sequence[Mapping[str, Any]],
    *,
    unused: Iterable[Path] = (),
    rootdir: Path | None = None,
    cache_dir: Path | None = None,
) -> str:
    """``--imagegen-report``: the report on the cassettes a session used, with its outcome per cassette;
    returns the terminal summary's line about it (written, or why not)."""
    from pytest_imagegen.cli.report import build_report, write_report
    from pytest_imagegen.contract.registry import key_variables
    from pytest_imagegen.errors import SecretLeakError

    paths = [Path(p) for p in dict.fromkeys(str(o["path"]) for o in outcomes if o.get("path"))]
    report = build_report(
        [p for p in paths if p.is_file()],
        rootdir=rootdir,
        outcomes=outcomes,
        unused=unused,
        cache_dir=cache_dir,
        title="pytest-imagegen session report",
    )
    try:
        written = write_report(report, target, secrets=[os.environ.get(n, "") for n in key_variables()])
    except SecretLeakError as exc:
        return f"imagegen: {exc}"
    except OSError as exc:
        return f"imagegen report NOT written to {target}: {exc.strerror or exc}"
    from pytest_imagegen.cli.listing import human_bytes

    entries = sum(len(s.entries) for s in report.shelves)
    return (
        f"imagegen report: {target} ({len(report.shelves)} cassette(s), {entries} interaction(s), "
        f"{human_bytes(written)})"
    )
