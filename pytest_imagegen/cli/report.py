"""The visual report: per cassette and interaction, what was asked and what came back, with pictures.

``imagegen-cassettes report [PATH...] -o report.html`` and ``pytest --imagegen-report=report.html`` both
build a ``Report`` here and write it with ``report_html.py`` as one self-contained HTML file (no script,
no style or image from elsewhere: it opens from a CI artifact or a ``file://`` URL with the network off).

Per cassette: its path, size on disk, recording date and age, the session's outcome (replayed,
recorded, missed, unused: from the tests' outcomes when pytest writes it, from the last run's replay
records when the command line does), and the last drift check's status (``driftrecords.py``). Per
interaction: the operation, the model (``checks.model_of``), the prompt and the parameters that matter,
the status (and error message), stream events (``listing``), the images (each placeholder's preview
drawn as a small inline PNG: edit inputs and masks beside the results, stream partials in order),
bytes stored against bytes the service sent, recording date, usage, and the drift check's changes.

Everything written is a cassette: every text shown comes from the (redacted) cassettes, and is masked
again (``credentials.mask_text``, with the run's literal secrets); the finished page is leak-scanned
like a cassette before it is written, and a hit writes nothing (``SecretLeakError``).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_imagegen.cassette.checks import model_of, stored_params
from pytest_imagegen.cassette.match import operation_path
from pytest_imagegen.cli.listing import _events_text
from pytest_imagegen.cli.totals import sent_bytes, usage_of
from pytest_imagegen.safety import trim
from pytest_imagegen.safety.preview import draw_preview

__all__ = ["Entry", "Picture", "Report", "Shelf", "build_report", "write_report"]

_THUMB = 48  # pixels on the longer side of a drawn preview; the page scales it up smoothly
_PARAM_LIMIT = 14
_VALUE_LIMIT = 48
# Request fields that are not "parameters that matter": the prompt is shown on its own, the rest is noise.
_NOT_PARAMS = frozenset(
    {"prompt", "input", "messages", "contents", "model", "user", "safety_identifier", "metadata", "store"}
)


@dataclass
class Picture:
    """One image of an interaction: where it sits, its facts, and its preview drawn as a PNG."""

    role: str  # "result", "partial 1", "input", "mask"
    facts: Mapping[str, Any]
    png: bytes | None  # None: no preview (recorded before previews, or not readable)


@dataclass
class Entry:
    """One interaction as the report shows it."""

    index: int
    operation: str
    model: str
    prompt: str | None
    params: list[tuple[str, str]]
    status: int
    status_text: str
    events: str | None
    error: str | None
    inputs: list[Picture]
    outputs: list[Picture]
    stored_bytes: int
    sent_bytes: int
    recorded: str | None
    usage: dict[str, float]
    outcome: str | None = None  # "played", "never played", "recorded"
    drift: list[tuple[str, str, str]] | None = None  # None: not checked


@dataclass
class Shelf:
    """One cassette file as the report shows it."""

    path: Path
    shown: str
    size: int
    entries: list[Entry] = field(default_factory=list)
    recorded: str | None = None
    age_days: int | None = None
    outcome: str | None = None  # "replayed", "recorded", "missed", "unused"
    outcome_detail: str = ""
    drift: str | None = None  # the last drift check, in words
    drift_grade: str | None = None  # "ok", "breaking", "additive", "stale"
    problem: str | None = None  # why it could not be read


@dataclass
class Report:
    """Everything the page shows."""

    title: str
    generated: str
    shelves: list[Shelf]
    source: str  # "pytest session" or "imagegen-cassettes report"


# ------------------------------------------------------------------------------------------- pictures


def _thumbnail(facts: Mapping[str, Any]) -> bytes | None:
    """The preview of ``facts`` drawn small as a PNG (the page scales it up), or None without one."""
    width, height = int(facts.get("width") or 1), int(facts.get("height") or 1)
    scale = _THUMB / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    drawn = draw_preview(facts.get("preview"), size)
    if drawn is None:
        return None
    out = io.BytesIO()
    drawn.save(out, "PNG", optimize=True)
    return out.getvalue()


def _pictures(stored: Mapping[str, Any], *, request: bool) -> list[Picture]:
    """The images of a stored body (kept base64 images get a preview made now), each once."""
    if not stored:
        return []
    body = dict(stored)
    if trim.may_hold_images(json.dumps(body).encode()):  # images kept as base64 (payloads="keep")
        body = trim.trim_body(body, previews=True)
    pictures: list[Picture] = []
    seen: set[str] = set()
    partials = 0
    parts = body.get("multipart") or []
    for path, facts in trim.iter_image_facts(body):
        if str(facts["sha256"]) in seen:
            continue
        seen.add(str(facts["sha256"]))
        if request:
            name = path
            if path.startswith("multipart["):
                name = str(parts[int(path[len("multipart[") :].split("]")[0])].get("name", "image"))
            role = "mask" if "mask" in name.lower() else "input"
        elif "partial" in path or _event_is_partial(body, path):
            partials += 1
            role = f"partial {partials}"
        else:
            role = "result"
        pictures.append(Picture(role, facts, _thumbnail(facts)))
    results = [p for p in pictures if p.role == "result"]
    if len(results) > 1:
        for number, picture in enumerate(results, 1):
            picture.role = f"result {number}"
    return pictures


def _event_is_partial(body: Mapping[str, Any], path: str) -> bool:
    if not path.startswith("sse["):
        return False
    event = body["sse"][int(path[4:].split("]")[0])]
    data = event.get("data")
    kind = str(data.get("type", "")) if isinstance(data, Mapping) else ""
    return "partial" in kind or "partial" in str(event.get("event") or "")


# --------------------------------------------------------------------------------------------- requests


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            str(part.get("text"))
            for part in content
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        ]
        return " ".join(texts)
    return ""


def prompt_of(params: Mapping[str, Any]) -> str | None:
    """The prompt of a stored request in any API shape: ``prompt``, a Responses ``input``, the last user
    message of a chat completion, or the text parts of Gemini ``contents``."""
    if isinstance(params.get("prompt"), str):
        return str(params["prompt"])
    given = params.get("input")
    if isinstance(given, str):
        return given
    messages = given if isinstance(given, list) else params.get("messages")
    if isinstance(messages, list):
        users = [m for m in messages if isinstance(m, Mapping) and m.get("role", "user") == "user"]
        text = _text_of(users[-1].get("content")) if users else ""
        return text or None
    contents = params.get("contents")
    if isinstance(contents, list):
        parts = [p for c in contents if isinstance(c, Mapping) for p in c.get("parts") or ()]
        return " ".join(str(p["text"]) for p in parts if isinstance(p, Mapping) and "text" in p) or None
    return None


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= _VALUE_LIMIT else text[: _VALUE_LIMIT - 1] + "…"


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key not in _NOT_PARAMS and key != "type":
                _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        for item in value:  # Responses tools: only the image tool's options matter here
            if item.get("type") in (None, "image_generation"):
                _flatten(prefix, item, out)
    elif value is not None and not (isinstance(value, str) and trim.may_hold_images(value.encode())):
        out.append((prefix, _short(value)))


def params_of(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The parameters that matter, flattened (``tools.size``, ``generationConfig.imageConfig.aspectRatio``)."""
    out: list[tuple[str, str]] = []
    _flatten("", {k: v for k, v in params.items() if k not in _NOT_PARAMS}, out)
    return out[:_PARAM_LIMIT]


def _error_of(response: Mapping[str, Any]) -> str | None:
    document = (response.get("body") or {}).get("json")
    error = document.get("error") if isinstance(document, Mapping) else None
    if isinstance(error, Mapping):
        what = " ".join(str(error[k]) for k in ("type", "code", "status") if error.get(k))
        return f"{what}: {error.get('message', '')}".strip(": ")
    return None


def entry_of(index: int, interaction: Mapping[str, Any], recorded: str | None) -> Entry:
    """One stored interaction as the report shows it."""
    request, response = interaction["request"], interaction["response"]
    status = response.get("status") or {}
    code = int(status.get("code", 0)) if isinstance(status, Mapping) else int(status)
    body = response.get("body") or {}
    params = stored_params(request)
    try:
        model = model_of(request)
    except (KeyError, TypeError, ValueError):
        model = "-"
    path = urlsplit(str(request.get("uri", ""))).path
    return Entry(
        index=index,
        operation=f"{request.get('method', '?')} {operation_path(path)}",
        model=model,
        prompt=prompt_of(params),
        params=params_of(params),
        status=code,
        status_text=str(status.get("message") or "") if isinstance(status, Mapping) else "",
        events=_events_text(body["sse"]) if "sse" in body else None,
        error=_error_of(response),
        inputs=_pictures(request.get("body") or {}, request=True),
        outputs=_pictures(body, request=False),
        stored_bytes=len(json.dumps(interaction, separators=(",", ":"), ensure_ascii=False).encode()),
        sent_bytes=sent_bytes(response),
        recorded=recorded,
        usage=usage_of(response),
    )


# -------------------------------------------------------------------------------------------- cassettes


def _display(path: Path, rootdir: Path | None) -> str:
    if rootdir is not None:
        try:
            return path.resolve().relative_to(rootdir.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _merged(outcomes: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per cassette file (resolved), what the session's tests did with it, merged."""
    merged: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        path = str(Path(str(outcome["path"])).resolve())
        entry = merged.setdefault(
            path, {"loaded": 0, "played": set(), "recorded": 0, "missed": 0, "tests": set()}
        )
        entry["loaded"] = max(entry["loaded"], int(outcome.get("loaded", 0)))
        entry["played"].update(int(i) for i in outcome.get("played", ()))
        entry["recorded"] += int(outcome.get("recorded", 0))
        entry["missed"] += int(outcome.get("missed", 0))
        if outcome.get("test"):
            entry["tests"].add(str(outcome["test"]))
    return merged


def _session_outcome(shelf: Shelf, done: Mapping[str, Any]) -> None:
    """The session's outcome for one cassette, and each interaction's."""
    played, recorded, missed = done["played"], done["recorded"], done["missed"]
    tests = len(done["tests"])
    parts = [f"{len(played)} of {done['loaded']} played"] if done["loaded"] else []
    if recorded:
        parts.append(f"{recorded} recorded")
    if missed:
        parts.append(f"{missed} request(s) missed")
    if tests:
        parts.append(f"by {tests} test(s)")
    shelf.outcome_detail = ", ".join(parts)
    shelf.outcome = "missed" if missed else "recorded" if recorded else "replayed" if played else "unused"
    for entry in shelf.entries:
        # A cassette recorded into was written again: what it holds and was not played, was recorded.
        entry.outcome = "played" if entry.index in played else "recorded" if recorded else "never played"


def _replay_outcome(shelf: Shelf, record: Mapping[str, Any] | None, digest: str | None) -> None:
    """Without a session: what the last replay of the cassette (its replay record) played."""
    if record is None or record.get("digest") != digest:
        return
    played = set(record.get("played") or ())
    shelf.outcome = "replayed" if played else "unused"
    shelf.outcome_detail = f"last run: {len(played)} of {record.get('interactions')} played"
    for entry in shelf.entries:
        entry.outcome = "played" if entry.index in played else "never played"


def _drift(shelf: Shelf, record: Mapping[str, Any] | None, digest: str | None) -> None:
    if record is None:
        return
    sent = {int(i) for i in record.get("sent") or ()}
    changes = record.get("changes") or {}
    if record.get("digest") != digest:
        shelf.drift, shelf.drift_grade = f"checked {record['checked']}; the cassette changed since", "stale"
        return
    grades = [str(c[0]) for listed in changes.values() for c in listed]
    breaking, additive = grades.count("breaking"), grades.count("additive")
    shelf.drift_grade = "breaking" if breaking else "additive" if additive else "ok"
    counted = f"{breaking} breaking, {additive} additive change(s)" if breaking or additive else "no drift"
    shelf.drift = f"{counted} (checked {record['checked']}, {len(sent)} interaction(s) sent live)"
    for entry in shelf.entries:
        if entry.index in sent:
            entry.drift = [(str(g), str(p), str(w)) for g, p, w in changes.get(str(entry.index), ())]


def read_shelf(path: Path, *, rootdir: Path | None, now: datetime) -> tuple[Shelf, str | None]:
    """One cassette file read for the report, and the digest of its bytes (None when unreadable)."""
    from pytest_imagegen.cassette import metadata, storage
    from pytest_imagegen.cassette.migrate import load_any
    from pytest_imagegen.errors import CassetteError

    shelf = Shelf(path, _display(path, rootdir), 0)
    try:
        shelf.size = path.stat().st_size
        document = storage.read_document(path)
    except (OSError, CassetteError) as exc:
        shelf.problem = str(exc).splitlines()[0]
        return shelf, None
    if document is None:
        shelf.problem = "empty file"
        return shelf, None
    interactions, meta = document.interactions, document.meta
    if not interactions:
        try:
            interactions = load_any(path)[0]  # a plain vcrpy cassette, converted for the page
        except (OSError, CassetteError, ValueError):
            interactions = []
    dates = metadata.entries_of(meta, len(interactions))
    for index, interaction in enumerate(interactions):
        entry = dates[index]
        date = entry.get("recorded") if entry else None
        shelf.entries.append(entry_of(index, interaction, str(date) if date else None))
    oldest = metadata.recorded_at(meta)
    if oldest is not None:
        shelf.recorded = metadata.format_time(oldest)
        shelf.age_days = max(0, (now - oldest).days)
    return shelf, document.digest


def build_report(
    paths: Sequence[Path],
    *,
    rootdir: Path | None = None,
    outcomes: Sequence[Mapping[str, Any]] | None = None,
    unused: Iterable[Path] = (),
    cache_dir: Path | None = None,
    now: datetime | None = None,
    title: str = "pytest-imagegen cassettes",
) -> Report:
    """The report on the cassette files ``paths``; with ``outcomes`` (one per test, as the plugin collects
    them) the session's outcome per cassette, else the last run's replay records in ``cache_dir``.
    ``unused`` are cassette files no test of the session used (orphans), listed as unused."""
    from pytest_imagegen.cassette.driftrecords import read_drift_records
    from pytest_imagegen.cassette.replays import read_records

    moment = now or datetime.now(UTC)
    drift = read_drift_records(cache_dir) if cache_dir is not None else {}
    replays = read_records(cache_dir) if cache_dir is not None and outcomes is None else {}
    done = _merged(outcomes or ())
    orphans = {str(p.resolve()) for p in unused}
    shelves = []
    for path in dict.fromkeys([*paths, *(Path(p) for p in sorted(orphans))]):
        shelf, digest = read_shelf(path, rootdir=rootdir, now=moment)
        key = str(path.resolve())
        if key in done:
            _session_outcome(shelf, done[key])
        elif key in orphans:
            shelf.outcome, shelf.outcome_detail = "unused", "no collected test uses it"
        else:
            _replay_outcome(shelf, replays.get(key), digest)
        _drift(shelf, drift.get(key), digest)
        shelves.append(shelf)
    source = "pytest session" if outcomes is not None else "imagegen-cassettes report"
    return Report(title, moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"), shelves, source)


def write_report(report: Report, output: Path, *, secrets: Iterable[str] = ()) -> int:
    """Render ``report`` and write it to ``output`` atomically, after masking every secret-shaped text
    and the leak scan; returns the bytes written. ``SecretLeakError`` (nothing written) on a leak."""
    from pytest_imagegen.cli.report_html import render
    from pytest_imagegen.errors import SecretLeakError
    from pytest_imagegen.safety.leaks import scan_for_leaks

    literals = tuple(s for s in secrets if s)
    page = render(report, literals)
    findings = scan_for_leaks([{"report": page}], secrets=literals)
    if findings:
        raise SecretLeakError(
            str(output), [(None, where, what) for _, where, what in findings], kind="report"
        )
    data = page.encode("utf-8")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, output)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(data)
