"""The end of a session: what was replayed and recorded, expired cassettes, drift found against the live
service, orphan cassettes and never-played interactions, turned into summary lines and a verdict on the
run's exit status.

The plugin collects one outcome per test that opened a cassette (``ImagegenCassette.outcome()``, plain
data that travels from xdist workers in the test's report, with the test's id and whether it completed),
and hands them to ``finish.py`` with what it knows about the session; nothing here imports pytest.

- **Tally** (``summary_lines``): cassettes replayed, recorded, left with unplayed interactions, not
  written; tests that share a cassette are merged, so an interaction counts as played if any test did.

- **Expired**: cassettes older than ``max_age`` (``cassette/age.py``), each with what
  ``on_expiry`` did; cassettes whose age is unknown are counted as undated.
- **Drift** (``--imagegen-drift``): per cassette and interaction, the changes found, graded; volatile
  changes only when verbose. Breaking drift fails the run.
- **Unused**: in a session that collected the whole suite (``partial`` is None), the orphan cassette
  files (``cassette/orphans.py``) and the interactions of replayed cassettes that no test played. A
  cassette used by a test that did not complete (failed, skipped, errored) is not judged for unplayed
  interactions: the test may have stopped before it asked for them. With ``strict_unused`` either fails
  the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Verdict", "session_verdict", "summary_lines"]

_LISTED = 20  # at most this many orphans or unplayed interactions are listed one per line


@dataclass
class Verdict:
    """What the session's end reports: summary lines per section, and whether the run fails."""

    cassette_lines: list[str] = field(default_factory=list)
    drift_lines: list[str] = field(default_factory=list)
    failure: str | None = None  # why the run fails (breaking drift, strict unused), if it does
    orphans: list[Path] = field(default_factory=list)
    unused_judged: bool = False
    report_line: str | None = None  # where --imagegen-report wrote the session's report, or why not

    def sections(self) -> list[tuple[str, list[str]]]:
        """The terminal summary's sections that have something to say: (title, lines)."""
        cassettes = [*self.cassette_lines, *([self.report_line] if self.report_line else [])]
        found = [("imagegen drift", self.drift_lines), ("imagegen cassettes", cassettes)]
        return [(title, lines) for title, lines in found if lines]


def _display(path: str | Path, rootdir: Path | None) -> str:
    if rootdir is None:
        return str(path)
    try:
        return Path(path).resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------------------- tally


def summary_lines(outcomes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The terminal summary: cassettes replayed, recorded, and left with unplayed interactions.

    ``outcomes`` come one per test (``ImagegenCassette.outcome()``), possibly from several xdist workers;
    tests that share a cassette are merged, so an interaction counts as played if any test played it.
    """
    if not outcomes:
        return []
    loaded: dict[str, int] = {}
    played: dict[str, set[int]] = {}
    recorded: dict[str, int] = {}
    for outcome in outcomes:
        path = str(outcome["path"])
        loaded[path] = max(loaded.get(path, 0), int(outcome.get("loaded", 0)))
        played.setdefault(path, set()).update(int(i) for i in outcome.get("played", ()))
        recorded[path] = recorded.get(path, 0) + int(outcome.get("recorded", 0))
    recorded_paths = sorted(p for p, n in recorded.items() if n)
    replayed_paths = sorted(p for p in loaded if played[p] and not recorded[p])
    # Only where nothing was recorded: a recording run rewrites the file, and its indexes move.
    unplayed = sorted(
        (p, loaded[p] - len(played[p])) for p in loaded if not recorded[p] and loaded[p] > len(played[p])
    )
    lines = [
        f"{len(loaded)} cassette(s): {len(replayed_paths)} replayed, {len(recorded_paths)} recorded, "
        f"{len(unplayed)} with unplayed interactions"
    ]
    lines += [f"  recorded: {p}" for p in recorded_paths]
    refused = sorted({str(o["path"]) for o in outcomes if o.get("refused")})
    lines += [f"  not written (see the error at its test's teardown): {p}" for p in refused]
    discarded = sorted({str(o["path"]) for o in outcomes if o.get("discarded")})
    lines += [f"  not written (its test failed; record_on_error is off): {p}" for p in discarded]
    lines += [f"  unplayed: {p} ({n} interaction(s) never played)" for p, n in unplayed]
    from pytest_imagegen.cassette.polling import summary_line  # the session is over: the engine is loaded

    return [*lines, *filter(None, [summary_line(outcomes)])]


# ------------------------------------------------------------------------------------------------ expiry


def expiry_lines(outcomes: Sequence[Mapping[str, Any]], rootdir: Path | None = None) -> list[str]:
    """``expired: PATH (recorded 2024-01-02, 400 days ago; imagegen_max_age is 180d): re-recorded``."""
    expired: dict[str, Mapping[str, Any]] = {}
    rerecorded: dict[str, bool] = {}
    undated: set[str] = set()
    for outcome in outcomes:
        info = outcome.get("expired")
        if isinstance(info, Mapping):
            expired.setdefault(str(outcome["path"]), info)
            rerecorded[str(outcome["path"])] = rerecorded.get(str(outcome["path"]), False) or bool(
                outcome.get("recorded")
            )
        if outcome.get("undated"):
            undated.add(str(outcome["path"]))
    actions = {"warn": "still replayed", "fail": "its tests failed", "rerecord": "re-recorded"}
    lines = []
    for path, info in sorted(expired.items()):
        action = actions.get(str(info.get("on_expiry")), "listed")
        if info.get("on_expiry") == "rerecord" and not rerecorded.get(path):
            action = "not re-recorded: its test failed before it recorded anything"
        lines.append(
            f"  expired: {_display(path, rootdir)} (recorded {info.get('recorded')}, {info.get('days')} days "
            f"ago; imagegen_max_age is {info.get('max_age')}): {action}"
        )
    if undated:
        lines.append(
            f"  undated: {len(undated)} cassette(s) have no recording date (recorded before this plugin "
            "wrote metadata): record them again to start counting their age"
        )
    return lines


# ------------------------------------------------------------------------------------------------- drift


def drift_lines(
    outcomes: Sequence[Mapping[str, Any]], *, verbose: bool = False, rootdir: Path | None = None
) -> tuple[list[str], bool]:
    """The drift report (per cassette, per interaction, graded changes) and whether any is breaking."""
    per_cassette: dict[str, dict[int, tuple[str, list[tuple[str, str, str]]]]] = {}
    updated: dict[str, set[int]] = {}
    loaded: dict[str, int] = {}
    for outcome in outcomes:
        drift = outcome.get("drift")
        if not isinstance(drift, Mapping):
            continue
        path = str(outcome["path"])
        loaded[path] = max(loaded.get(path, 0), int(outcome.get("loaded", 0)))
        found = per_cassette.setdefault(path, {})
        for item in drift.get("interactions", ()):
            changes = [(str(g), str(p), str(w)) for g, p, w in item.get("changes", ())]
            found[int(item["index"])] = (str(item.get("request", "")), changes)
        updated.setdefault(path, set()).update(int(i) for i in drift.get("updated", ()))
    if not per_cassette:
        return [], False
    counts = {"breaking": 0, "additive": 0, "volatile": 0}
    sent = unchanged = 0
    body: list[str] = []
    for path in sorted(per_cassette):
        block: list[str] = []
        for index in sorted(per_cassette[path]):
            request, changes = per_cassette[path][index]
            sent += 1
            grades = {g for g, _, _ in changes}
            for grade in counts:
                counts[grade] += sum(1 for g, _, _ in changes if g == grade)
            if not grades & {"breaking", "additive"}:
                unchanged += 1
            shown = [c for c in changes if verbose or c[0] != "volatile"]
            if shown:
                block.append(f"  #{index} {request}")
                block += [f"    {g:<9} {p}: {w}" for g, p, w in shown]
        if updated.get(path):
            listed = ", ".join(f"#{i}" for i in sorted(updated[path]))
            block.append(f"  updated: {listed} re-recorded from the live reply")
        if block:
            body += [_display(path, rootdir), *block]
    drifted = sent - unchanged
    head = (
        f"{len(per_cassette)} cassette(s), {sent} interaction(s) sent live: {drifted} drifted "
        f"({counts['breaking']} breaking, {counts['additive']} additive change(s))"
    )
    if counts["volatile"] and not verbose:
        head += f"; {counts['volatile']} volatile change(s) not shown (-v shows them)"
    lines = [head]
    unsent = sum(loaded.values()) - sent
    if unsent > 0:
        lines.append(f"{unsent} recorded interaction(s) were sent by no test, so not checked")
    lines += body
    breaking = counts["breaking"] > 0
    if breaking:
        lines.append(
            "breaking drift: the live service no longer replies as the cassettes say (exit status 1)"
        )
    return lines, breaking


# -------------------------------------------------------------------------------------- unused cassettes


def unplayed_interactions(
    outcomes: Sequence[Mapping[str, Any]], incomplete: Iterable[str] = ()
) -> dict[str, list[int]]:
    """Per replayed cassette, the interactions no test played; cassettes recorded into, loaded at
    different digests, or used by a test in ``incomplete`` (test ids) are left out."""
    skip = set(incomplete)
    loaded: dict[str, int] = {}
    played: dict[str, set[int]] = {}
    spoiled: set[str] = set()
    digests: dict[str, object] = {}
    for outcome in outcomes:
        path = str(outcome["path"])
        if (
            outcome.get("recorded")
            or outcome.get("drift")
            or outcome.get("test") in skip
            or digests.setdefault(path, outcome.get("digest")) != outcome.get("digest")
        ):
            spoiled.add(path)
            continue
        loaded[path] = max(loaded.get(path, 0), int(outcome.get("loaded", 0)))
        played.setdefault(path, set()).update(int(i) for i in outcome.get("played", ()))
    return {
        path: [i for i in range(count) if i not in played[path]]
        for path, count in sorted(loaded.items())
        if path not in spoiled and count > len(played[path])
    }


def _request_lines(path: str, indexes: Sequence[int]) -> dict[int, str]:
    """``POST /v1/images/generations`` for interactions of a cassette file (empty if it is unreadable)."""
    from urllib.parse import urlsplit

    from pytest_imagegen.cassette.fileformat import parse_document
    from pytest_imagegen.cassette.storage import read_text
    from pytest_imagegen.errors import CassetteError

    try:
        text = read_text(Path(path))
        document = None if text is None else parse_document(text, path)
    except CassetteError:
        return {}
    if document is None:
        return {}
    found: dict[int, str] = {}
    for index in indexes:
        if index < len(document.interactions):
            request = document.interactions[index].get("request")
            if isinstance(request, Mapping):
                found[index] = f"{request.get('method', '?')} {urlsplit(str(request.get('uri', ''))).path}"
    return found


def _unused_lines(
    orphans: Sequence[Path], unplayed: Mapping[str, Sequence[int]], rootdir: Path | None
) -> list[str]:
    lines: list[str] = []
    for orphan in orphans[:_LISTED]:
        lines.append(f"  orphan: {_display(orphan, rootdir)} (no collected test uses it)")
    if len(orphans) > _LISTED:
        lines.append(f"  ... and {len(orphans) - _LISTED} more orphan cassette(s)")
    listed = 0
    for path, indexes in unplayed.items():
        requests = _request_lines(path, indexes)
        for index in indexes:
            if listed < _LISTED:
                what = f" {requests[index]}" if index in requests else ""
                lines.append(f"  never played: {_display(path, rootdir)} #{index}{what}")
            listed += 1
    if listed > _LISTED:
        lines.append(f"  ... and {listed - _LISTED} more never-played interaction(s)")
    return lines


def session_verdict(
    outcomes: Sequence[Mapping[str, Any]],
    *,
    partial: str | None,
    scopes: Sequence[Path] = (),
    used: Iterable[Path] = (),
    incomplete: Iterable[str] = (),
    strict_unused: bool = False,
    drift: bool = False,
    verbose: bool = False,
    rootdir: Path | None = None,
) -> Verdict:
    """Everything the session's end reports (see the module docstring).

    ``partial`` says why the session did not collect the whole suite (``-k``, test ids given, ...), or
    is None when it did. ``scopes`` are the folders orphans are looked for in (``orphan_scopes``);
    ``used`` the cassette paths tests opened or would have opened (a test skipped before its cassette
    opened).
    """
    verdict = Verdict()
    if drift:
        verdict.drift_lines, breaking = drift_lines(outcomes, verbose=verbose, rootdir=rootdir)
        if breaking:
            verdict.failure = "breaking drift against the live service"
        verdict.cassette_lines = expiry_lines(outcomes, rootdir)
        return verdict
    lines = summary_lines(outcomes)
    if lines:
        from pytest_imagegen.cli.totals import replay_line

        played = replay_line(outcomes)  # interactions, images, bytes on disk and sent, usage
        lines[1:1] = [f"  {played}"] if played else []
    lines += expiry_lines(outcomes, rootdir)
    if partial is None:
        from pytest_imagegen.cassette.orphans import find_orphans

        verdict.unused_judged = True
        verdict.orphans = find_orphans(scopes, [*used, *(Path(str(o["path"])) for o in outcomes)])
        unplayed = unplayed_interactions(outcomes, incomplete)
        lines += _unused_lines(verdict.orphans, unplayed, rootdir)
        count = sum(len(v) for v in unplayed.values())
        if strict_unused and (verdict.orphans or count):
            verdict.failure = (
                f"{len(verdict.orphans)} orphan cassette(s) and {count} never-played interaction(s) "
                "(--imagegen-strict-unused)"
            )
            # The folders this run looked in, as the commands take them (not a placeholder to fill in).
            where = scopes or [Path(str(p)).parent for p in [*verdict.orphans, *unplayed]]
            folders = " ".join(sorted({_display(str(folder), rootdir) for folder in where}))
            remedies = []
            if verdict.orphans:
                remedies.append(f"delete orphans with `imagegen-cassettes prune --orphans {folders}`")
            if count:
                remedies.append(f"remove never-played interactions with `imagegen-cassettes prune {folders}`")
            lines.append(
                f"imagegen: failing the run: {verdict.failure}. To clean up, {' and '.join(remedies)} "
                "(--dry-run lists what would go)."
            )
    elif strict_unused:
        lines.append(f"  orphans and never-played interactions not checked: {partial}")
    verdict.cassette_lines = lines
    return verdict
