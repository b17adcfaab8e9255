"""``imagegen-cassettes``: verify, scrub, summarize and list cassettes from the command line.

    imagegen-cassettes verify PATH...   contract, reply-vs-request and leak checks; exit 1 on any problem
    imagegen-cassettes scrub PATH...    today's redaction and trimming, in place (converts vcrpy cassettes)
    imagegen-cassettes stats PATH...    sizes and savings by endpoint and model
    imagegen-cassettes show PATH...     the interactions, one readable block each
    imagegen-cassettes prune PATH...    remove interactions the last replay did not play (--dry-run lists them)
    imagegen-cassettes prune --orphans PATH...   delete cassette files no test used (--dry-run lists them)
    imagegen-cassettes diff OLD NEW     what changed between two cassettes (or folders), for a reviewer
    imagegen-cassettes diff --git REV [PATH...]  the same, against the cassettes committed at REV
    imagegen-cassettes report [PATH...] -o report.html   one self-contained HTML page with the pictures

PATH is a cassette file or a directory searched recursively for ``*.json`` / ``*.yaml`` / ``*.yml`` (hidden
directories and ``__pycache__`` skipped). Exit status: 0 clean, 1 a problem was found (or a file could not
be read or written), 2 a usage error. Also runs as ``python -m pytest_imagegen``.

The progress bar on stderr (only on a terminal, and only for more than ``PROGRESS_MIN_FILES`` files) is a
few lines of ``\\r`` writes rather than a dependency such as tqdm: the plugin is installed into every test
environment of its users, and one status line does not justify another package there.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from pytest_imagegen.cassette.migrate import load_any
from pytest_imagegen.cassette.orphans import find_cassettes
from pytest_imagegen.cli.listing import Stats, describe_interaction, human_bytes, path_of
from pytest_imagegen.cli.scrub import ScrubResult, scrub_file
from pytest_imagegen.cli.verify import verify_file
from pytest_imagegen.contract import registry
from pytest_imagegen.errors import CassetteError
from pytest_imagegen.safety.credentials import mask_text
from pytest_imagegen.safety.redact import redact_interaction
from pytest_imagegen.safety.redact_rules import RedactionRules

__all__ = ["PROGRESS_MIN_FILES", "find_cassettes", "main"]

PROGRESS_MIN_FILES = 20
_LISTED_CHANGES = 8


_Command = Callable[[argparse.Namespace, list[Path]], int]


class _Progress:
    """``[#####.....] 12/40 name`` rewritten in place on stderr; cleared before any other output."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.enabled = total > PROGRESS_MIN_FILES and stream.isatty()
        self.shown = False

    def update(self, done: int, name: str) -> None:
        if not self.enabled:
            return
        width = shutil.get_terminal_size((80, 20)).columns
        filled = 20 * done // self.total
        line = f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{self.total} {name}"
        self.stream.write("\r" + line[: width - 1].ljust(width - 1))
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            width = shutil.get_terminal_size((80, 20)).columns
            self.stream.write("\r" + " " * (width - 1) + "\r")
            self.stream.flush()
            self.shown = False


class _Output:
    """stdout for results, stderr for the progress bar, never mixed on one line."""

    def __init__(self, total: int) -> None:
        self.progress = _Progress(total, sys.stderr)

    def __call__(self, text: str = "") -> None:
        self.progress.clear()
        print(text)

    def each(self, paths: Sequence[Path]) -> Iterator[Path]:
        for done, path in enumerate(paths):
            self.progress.update(done, path.name)
            yield path
        self.progress.clear()


def _why(exc: Exception, path: object = None) -> str:
    """Why a file could not be handled, in one line: a cassette's own error (without the path it repeats),
    an OS error's reason, or an error no cassette should cause, said as a bug (masked, never a traceback)."""
    if isinstance(exc, CassetteError):
        return str(exc).splitlines()[0].removeprefix(f"cassette {path}: ")
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return mask_text(
        f"could not be processed ({type(exc).__name__}: {exc}); this is a bug in imagegen-cassettes, "
        "please report it with the file"
    )


def _literal_secrets() -> tuple[str, ...]:
    """The key a recording would use: it must never be on disk, whatever shape it has."""
    key = os.environ.get("OPENAI_API_KEY", "")
    return (key,) if key else ()


# ------------------------------------------------------------------------------------------ commands


def _verify(args: argparse.Namespace, files: list[Path]) -> int:
    out = _Output(len(files))
    bad_files = total_problems = interactions = 0
    secrets = _literal_secrets()
    for path in out.each(files):
        try:
            report = verify_file(path, strict=args.strict, secrets=secrets)
        except Exception as exc:  # one bad file must not hide the report on the others
            bad_files += 1
            total_problems += 1
            out(f"{path}: file: {_why(exc)}")
            continue
        interactions += len(report.interactions)
        if not report.problems:
            continue
        bad_files += 1
        total_problems += len(report.problems)
        for problem in report.problems:
            label = ""
            if problem.index is not None and problem.index < len(report.interactions):
                request = report.interactions[problem.index].get("request")
                if isinstance(request, dict):
                    label = f" ({request.get('method')} {path_of(request)})"
            out(problem.describe(str(path), label))
    summary = f"checked {len(files)} cassette(s), {interactions} interaction(s): "
    if total_problems:
        out(summary + f"{total_problems} problem(s) in {bad_files} file(s)")
        return 1
    out(summary + "all clean")
    return 0


def _scrub_report(result: ScrubResult, dry_run: bool, out: Callable[[str], None]) -> None:
    verb = "would scrub" if dry_run else "scrubbed"
    what = []
    if result.source == "vcrpy":
        what.append("converted from plain vcrpy")
    if result.restamped:
        what.append("index re-stamped for this plugin version")
    if result.redacted:
        what.append(f"{len(result.redacted)} value(s) redacted")
    if result.trimmed:
        what.append(f"{len(result.trimmed)} image(s) trimmed")
    size = f"{human_bytes(result.bytes_before)} -> {human_bytes(result.bytes_after)}"
    out(f"{verb} {result.path}: {', '.join(what) or 'reformatted'}; {size}")
    if dry_run:
        changes = [(i, p, "redacted") for i, p in result.redacted]
        changes += [(i, p, "trimmed") for i, p in result.trimmed]
        for index, where, kind in changes[:_LISTED_CHANGES]:
            out(f"  interaction {index}: {where} ({kind})")
        if len(changes) > _LISTED_CHANGES:
            out(f"  ... and {len(changes) - _LISTED_CHANGES} more")


def _scrub(args: argparse.Namespace, files: list[Path]) -> int:
    out = _Output(len(files))
    try:
        rules = RedactionRules(
            headers=(*args.redact_header, *registry.credential_headers()),
            query_keys=(*args.redact_query, *registry.credential_query_keys()),
            patterns=tuple(args.redact_pattern),
            values=_literal_secrets() + tuple(os.environ.get(name, "") for name in args.secret_env),
            redact_user=args.redact_user,
        )
    except re.error as exc:
        args.parser.error(f"--redact-pattern {exc.pattern!r} is not a valid regular expression: {exc}")
    failed = changed = 0
    before = after = 0
    for path in out.each(files):
        try:
            result = scrub_file(path, rules=rules, keep_payloads=args.keep_payloads, write=not args.dry_run)
        except Exception as exc:  # one bad file must not stop the others
            failed += 1
            out(f"{path}: not scrubbed: {_why(exc, path)}")
            continue
        before += result.bytes_before
        after += result.bytes_after
        if result.leaks:
            failed += 1
            out(f"{path}: not scrubbed: a secret would remain after redaction (nothing written):")
            for index, where, what in result.leaks:
                out(f"  interaction {index}, {where}: {what}")
            continue
        if result.changed:
            changed += 1
            _scrub_report(result, args.dry_run, out)
    verb = "would change" if args.dry_run else "changed"
    out(
        f"{verb} {changed} of {len(files)} cassette(s) ({len(files) - changed - failed} already clean"
        + (f", {failed} failed" if failed else "")
        + f"); {human_bytes(before)} -> {human_bytes(after)}"
    )
    return 1 if failed else 0


def _stats(args: argparse.Namespace, files: list[Path]) -> int:
    out = _Output(len(files))
    stats = Stats()
    failed = 0
    for path in out.each(files):
        try:
            interactions, source = load_any(path)
            stats.add_file(path.stat().st_size, interactions, vcrpy=source == "vcrpy")
        except Exception as exc:  # one bad file must not stop the others
            failed += 1
            out(f"{path}: skipped: {_why(exc, path)}")
    for line in stats.lines():
        out(line)
    return 1 if failed else 0


def _show(args: argparse.Namespace, files: list[Path]) -> int:
    out = _Output(0)  # no progress bar: the listing itself is the output
    failed = 0
    for number, path in enumerate(files):
        if number:
            out()
        try:
            interactions, source = load_any(path)
        except Exception as exc:  # one bad file must not stop the others
            failed += 1
            out(f"{path}: cannot be read: {_why(exc, path)}")
            continue
        kind = " (plain vcrpy: run `imagegen-cassettes scrub` to convert)" if source == "vcrpy" else ""
        out(f"{path}: {len(interactions)} interaction(s), {human_bytes(path.stat().st_size)}{kind}")
        for index, interaction in enumerate(interactions):
            try:
                # A cassette not scrubbed yet may hold a key: shown as diff shows it, redacted and masked.
                cleaned = redact_interaction(interaction)[0]
                for line in describe_interaction(index, cleaned):
                    out("  " + mask_text(line))
            except Exception as exc:  # one bad interaction must not stop the listing
                failed += 1
                out(f"  #{index}  {_why(exc)}")
    return 1 if failed else 0


def _prune_cache_dir(args: argparse.Namespace) -> Path:
    from pytest_imagegen.cassette.storage import project_cache_dir

    return Path(args.cache_dir / "d" / "imagegen") if args.cache_dir else project_cache_dir(Path.cwd())


def _prune_orphans(args: argparse.Namespace) -> int:
    from pytest_imagegen.cassette.orphans import prune_orphans, read_orphans

    records = read_orphans(_prune_cache_dir(args))
    out = _Output(0)
    if not records:
        out(
            "no orphans recorded: run the whole suite first (pytest with no -k, -m or test ids); its summary "
            "lists the cassettes no test used, and this command deletes them"
        )
        return 0
    results = prune_orphans(records, args.paths, write=not args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for result in results:
        out(
            f"{result.path}: {verb} (no test used it)"
            if result.removed
            else f"{result.path}: kept: {result.reason}"
        )
    deleted = sum(1 for r in results if r.removed)
    out(
        f"{verb} {deleted} orphan cassette(s)"
        + (" (run without --dry-run to delete them)" if args.dry_run and deleted else "")
    )
    return 0


def _prune(args: argparse.Namespace, files: list[Path]) -> int:
    from pytest_imagegen.cassette.replays import prune_file, read_records

    if args.orphans:
        return _prune_orphans(args)
    cache_dir = _prune_cache_dir(args)
    records = read_records(cache_dir)
    out = _Output(len(files))
    failed = pruned = 0
    verb = "would remove" if args.dry_run else "removed"
    for path in out.each(files):
        try:
            result = prune_file(path, records, write=not args.dry_run, cache_dir=cache_dir)
        except (CassetteError, OSError) as exc:
            failed += 1
            out(f"{path}: not pruned: {str(exc).splitlines()[0]}")
            continue
        if result.reason:
            out(f"{path}: not pruned: {result.reason}")
        elif result.removed:
            pruned += len(result.removed)
            listed = ", ".join(f"#{i}" for i in result.removed)
            out(
                f"{path}: {verb} {len(result.removed)} unplayed interaction(s) ({listed}); {result.kept} kept"
            )
    out(
        f"{verb} {pruned} interaction(s) from {len(files)} cassette(s)"
        + (f"; {failed} failed" if failed else "")
    )
    return 1 if failed else 0


def _diff(args: argparse.Namespace, files: list[Path]) -> int:
    """Exit status as diff(1)'s: 0 nothing changed (beyond volatile values), 1 changes, 2 trouble."""
    from pytest_imagegen.cli.diff import CassetteDiff, diff_cassettes, report
    from pytest_imagegen.cli.review import GitError, folder_pairs, git_pairs, git_unchanged, load_side

    out = _Output(0)
    same: list[CassetteDiff] = []  # cassettes git says did not change: counted as the folder mode does
    try:
        if args.git is not None:
            pairs = list(git_pairs(args.git, args.paths or [Path(".")], Path.cwd()))
            same = [
                CassetteDiff(n, "same")
                for n in git_unchanged(args.git, args.paths or [Path(".")], Path.cwd())
            ]
        else:
            if len(args.paths) != 2:
                args.parser.error("give two cassettes or folders (OLD NEW), or --git REV [PATH...]")
            old, new = args.paths
            missing = [str(p) for p in (old, new) if not p.exists()]
            if missing:
                args.parser.error(f"no such file or directory: {', '.join(missing)}")
            if old.is_dir() != new.is_dir():
                args.parser.error(
                    f"compare a file with a file or a folder with a folder, not {old} with {new}"
                )
            pairs = list(folder_pairs(old, new))
    except GitError as exc:
        print(f"imagegen-cassettes diff: {exc}", file=sys.stderr)
        return 2
    diffs, failed = [], 0
    for name, old_text, new_text in pairs:
        try:
            before, after = load_side(old_text, f"{name} (old)"), load_side(new_text, name)
            diffs.append(
                diff_cassettes(
                    name,
                    before.interactions,
                    after.interactions,
                    old_meta=before.meta,
                    new_meta=after.meta,
                    volatile=args.volatile,
                )
            )
        except Exception as exc:  # no cassette may make the command print a traceback
            failed += 1
            out(f"{name}: not compared: {_why(exc)}")
    for line in report([*diffs, *same], volatile=args.volatile):
        out(line)
    if failed:
        return 2
    return 1 if any(d.changed for d in diffs) else 0


# -------------------------------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imagegen-cassettes",
        description="Check, clean and inspect pytest-imagegen cassettes.",
        epilog="Exit status: 0 clean, 1 problems found, 2 usage error.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, run: _Command, dry_run: str = "") -> argparse.ArgumentParser:
        """A sub-command over cassette paths; ``dry_run``: what its ``--dry-run`` does, if it has one."""
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="cassette files or directories")
        if dry_run:
            sub.add_argument("--dry-run", action="store_true", help=dry_run)
        sub.set_defaults(run=run, parser=sub)
        return sub

    verify = command(
        "verify",
        "Validate every interaction against the Images API contract and scan for secrets.",
        _verify,
    )
    verify.add_argument(
        "--strict", action="store_true", help="unknown models and unknown fields are problems too"
    )
    scrub = command(
        "scrub",
        "Redact secrets and trim base64 images in place; converts plain vcrpy cassettes.",
        _scrub,
        dry_run="show what would change; write nothing",
    )
    scrub.add_argument(
        "--keep-payloads", action="store_true", help="redact only; keep base64 images as they are"
    )
    # The same extra rules imagegen_config takes (redact_headers, redact_query, redact_patterns,
    # secret_values, redact_user), for cassettes recorded before they were configured.
    extra = scrub.add_argument_group("extra redaction rules (as in imagegen_config)")
    for flag, metavar, meaning in (
        ("--redact-header", "NAME", "a header to redact"),
        ("--redact-query", "KEY", "a query key to redact"),
        ("--redact-pattern", "REGEX", "text to redact (group 1 if any)"),
        (
            "--secret-env",
            "VAR",
            "an environment variable holding a secret value to remove wherever it appears",
        ),
    ):
        extra.add_argument(flag, action="append", default=[], metavar=metavar, help=meaning)
    extra.add_argument("--redact-user", action="store_true", help="redact user / safety_identifier values")
    command("stats", "Sizes, and bytes saved by placeholders, by endpoint and model.", _stats)
    command("show", "List the interactions of cassettes in readable form.", _show)
    prune = command(
        "prune",
        "Remove the interactions that the last replay of each cassette did not play (run the tests first).",
        _prune,
        dry_run="list what would be removed; write nothing",
    )
    prune.add_argument(
        "--orphans",
        action="store_true",
        help="delete the cassette files under PATH that the last whole-suite run found no test using, "
        "instead of pruning interactions",
    )
    prune.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="pytest's cache folder holding the replay records (default: .pytest_cache of the project "
        "around the current directory)",
    )
    diff = commands.add_parser(
        "diff",
        help="What changed between two cassettes, two folders of them, or a revision and the working tree.",
        description="A semantic diff for review: requests by field, replies by JSON path (graded as the "
        "drift check grades them), images as facts, stream events by type and index; secrets never shown. "
        "Exit status 0: no change, 1: changes, 2: trouble.",
    )
    diff.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="OLD NEW, or with --git the paths to look in"
    )
    diff.add_argument(
        "--git", metavar="REV", default=None, help="compare each cassette with its version at REV"
    )
    diff.add_argument(
        "--volatile", action="store_true", help="also list volatile changes (ids, counts, pixels)"
    )
    diff.set_defaults(run=_diff, parser=diff, own_files=True)
    from pytest_imagegen.cli.report_command import add_report_parser

    add_report_parser(commands, _prune_cache_dir)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    sub: argparse.ArgumentParser = args.parser
    if getattr(args, "own_files", False):  # diff pairs files itself
        return int(args.run(args, []))
    if not args.paths:  # only report has a default
        args.paths = list(args.default_paths)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        sub.error(f"no such file or directory: {', '.join(missing)}")
    files = find_cassettes(args.paths)
    if not files:
        sub.error(f"no *.json, *.yaml or *.yml cassettes found under {', '.join(map(str, args.paths))}")
    try:
        return int(args.run(args, files))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
