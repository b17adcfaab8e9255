"""The report (``report.py``) as one self-contained HTML page.

No script at all, the style inline, every image an inline ``data:image/png`` URL, and a
Content-Security-Policy that forbids loading anything else: the page looks the same from a CI artifact,
a ``file://`` URL or a mail attachment, with the network off. It reads on a phone (the summary and the
pictures wrap; thumbnails shrink under 600 px) and follows the browser's dark mode
(``prefers-color-scheme``). Every text is masked (``credentials.mask_text``) and escaped here.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Sequence

from pytest_imagegen.cli.listing import human_bytes
from pytest_imagegen.cli.report import Entry, Picture, Report, Shelf
from pytest_imagegen.cli.totals import usage_text
from pytest_imagegen.safety.credentials import mask_text

__all__ = ["render"]

_FIGURE = 128  # CSS pixels of a thumbnail's longer side

STYLE = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--card:#f6f8fa;--line:#d1d9e0;
--ok:#1a7f37;--info:#0969da;--warn:#9a6700;--bad:#d1242f}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--card:#161b22;
--line:#30363d;--ok:#3fb950;--info:#4493f8;--warn:#d29922;--bad:#f85149}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1120px;margin:0 auto;padding:16px}
h1{font-size:1.4em;margin:0 0 4px}
h2{font:600 .95em ui-monospace,SFMono-Regular,Menlo,monospace;margin:0;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:8px;margin:12px 0}
.stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 12px}
.stat b{display:block;font-size:1.25em}
section{border:1px solid var(--line);border-radius:10px;margin:16px 0;overflow:hidden}
section>header{background:var(--card);padding:8px 12px}
article{padding:10px 12px;border-top:1px solid var(--line)}
.line{display:flex;flex-wrap:wrap;gap:4px 10px;align-items:baseline}
.op{font:600 .9em ui-monospace,SFMono-Regular,Menlo,monospace}
.badge{display:inline-block;border:1px solid currentColor;border-radius:999px;padding:0 8px;font-size:.78em}
.ok,.replayed,.played{color:var(--ok)}.recorded,.info{color:var(--info)}
.unused,.never-played,.additive,.stale{color:var(--warn)}.bad,.missed,.breaking{color:var(--bad)}
blockquote{margin:6px 0;padding:2px 10px;border-left:3px solid var(--info);overflow-wrap:anywhere}
ul.params{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px}
ul.params li{background:var(--card);border:1px solid var(--line);border-radius:4px;padding:0 6px;
font:.8em ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
.images{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start;margin:8px 0}
figure{margin:0;width:128px}
figure img,.none{display:block;width:128px;height:auto;border:1px solid var(--line);border-radius:6px;
background:repeating-conic-gradient(#8884 0 25%,#0000 0 50%) 50%/16px 16px}
.none{display:flex;align-items:center;justify-content:center;font-size:.75em;color:var(--muted)}
figcaption{font-size:.74em;color:var(--muted);overflow-wrap:anywhere}
.arrow{align-self:center;font-size:1.6em;color:var(--muted)}
.drift{font-size:.85em;margin:4px 0 0;padding-left:18px}
@media (max-width:600px){main{padding:8px}figure,figure img,.none{width:96px}
.summary{grid-template-columns:repeat(2,1fr)}body{font-size:14px}}
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


class _Page:
    """Collects the page's pieces; ``t`` masks and escapes every text that goes in."""

    def __init__(self, literals: Sequence[str]) -> None:
        self.literals = literals
        self.out: list[str] = []

    def t(self, text: object) -> str:
        return html.escape(mask_text(str(text), self.literals), quote=True)

    def add(self, *pieces: str) -> None:
        self.out.extend(pieces)


def _badge(page: _Page, text: str, kind: str) -> str:
    return f'<span class="badge {kind}">{page.t(text)}</span>'


def _figure(page: _Page, picture: Picture) -> str:
    facts = picture.facts
    width, height = int(facts["width"]), int(facts["height"])
    frames = int(facts.get("frames", 1))
    caption = (
        f"{picture.role} · {facts['format']} {width}×{height} {facts['mode']}"
        + (f" · {frames} frames" if frames > 1 else "")
        + f" · {human_bytes(int(facts['bytes']))}"
    )
    shown_h = max(1, round(_FIGURE * height / max(width, height)))
    shown_w = max(1, round(_FIGURE * width / max(width, height)))
    if picture.png is None:
        body = f'<div class="none" style="aspect-ratio:{width}/{height}">no preview</div>'
    else:
        src = "data:image/png;base64," + base64.b64encode(picture.png).decode("ascii")
        alt = page.t(f"{picture.role}: preview of a {width}x{height} {facts['format']} image")
        body = f'<img src="{src}" alt="{alt}" width="{shown_w}" height="{shown_h}" data-role="{page.t(picture.role)}">'
    return f"<figure>{body}<figcaption>{page.t(caption)}</figcaption></figure>"


def _entry(page: _Page, entry: Entry) -> None:
    status_kind = "ok" if 200 <= entry.status < 300 else "bad"
    page.add(
        '<article><div class="line">', f'<span class="op">#{entry.index} {page.t(entry.operation)}</span>'
    )
    page.add(
        f"<span>{page.t(entry.model)}</span>",
        _badge(page, f"{entry.status} {entry.status_text}".strip(), status_kind),
    )
    if entry.events is not None:
        page.add(_badge(page, "stream", "info"))
    if entry.outcome:
        page.add(_badge(page, entry.outcome, entry.outcome.replace(" ", "-")))
    if entry.recorded:
        page.add(f'<span class="muted">recorded {page.t(entry.recorded)}</span>')
    page.add("</div>")
    if entry.prompt:
        page.add(f'<blockquote class="prompt">{page.t(entry.prompt)}</blockquote>')
    if entry.params:
        chips = "".join(f"<li>{page.t(k)}={page.t(v)}</li>" for k, v in entry.params)
        page.add(f'<ul class="params">{chips}</ul>')
    if entry.error:
        page.add(f'<div class="bad">{page.t(entry.error)}</div>')
    if entry.events:
        page.add(f'<div class="muted">events: {page.t(entry.events)}</div>')
    if entry.inputs or entry.outputs:
        page.add('<div class="images">')
        page.add(*(_figure(page, p) for p in entry.inputs))
        if entry.inputs and entry.outputs:
            page.add('<span class="arrow" aria-label="gives">→</span>')
        page.add(*(_figure(page, p) for p in entry.outputs))
        page.add("</div>")
    sizes = f"stored {human_bytes(entry.stored_bytes)} · the service sent {human_bytes(entry.sent_bytes)}"
    usage = usage_text(entry.usage)
    page.add(f'<div class="muted">{page.t(sizes + (" · " + usage if usage else ""))}</div>')
    if entry.drift is not None:
        if not entry.drift:
            page.add(f'<div class="ok">{page.t("drift check: no change")}</div>')
        else:
            items = "".join(
                f'<li class="{page.t(g)}">{page.t(f"{g} {p}: {w}")}</li>' for g, p, w in entry.drift
            )
            page.add(f'<ul class="drift">{items}</ul>')
    page.add("</article>")


def _shelf(page: _Page, number: int, shelf: Shelf) -> None:
    page.add(f'<section id="c{number}"><header><h2>{page.t(shelf.shown)}</h2><div class="line">')
    if shelf.outcome:
        page.add(_badge(page, shelf.outcome, shelf.outcome))
    details = [human_bytes(shelf.size), f"{len(shelf.entries)} interaction(s)"]
    if shelf.recorded:
        details.append(f"recorded {shelf.recorded} ({shelf.age_days} days ago)")
    if shelf.outcome_detail:
        details.append(shelf.outcome_detail)
    page.add(f'<span class="muted">{page.t(" · ".join(details))}</span>')
    if shelf.drift:
        page.add(_badge(page, "drift: " + shelf.drift, shelf.drift_grade or "info"))
    page.add("</div>")
    if shelf.problem:
        page.add(f'<div class="bad">cannot be read: {page.t(shelf.problem)}</div>')
    page.add("</header>")
    for entry in shelf.entries:
        _entry(page, entry)
    page.add("</section>")


def _summary(page: _Page, report: Report) -> None:
    entries = [e for s in report.shelves for e in s.entries]
    images = sum(len(e.inputs) + len(e.outputs) for e in entries)
    disk = sum(s.size for s in report.shelves)
    sent = sum(e.sent_bytes for e in entries)
    outcomes = Counter(s.outcome for s in report.shelves if s.outcome)
    drift = Counter(s.drift_grade for s in report.shelves if s.drift_grade)
    dated = [s for s in report.shelves if s.recorded]
    oldest = min(dated, key=lambda s: s.recorded or "") if dated else None
    usage: dict[str, float] = {}
    for entry in entries:
        for name, value in entry.usage.items():
            usage[name] = usage.get(name, 0.0) + value
    stats = [
        ("cassettes", str(len(report.shelves))),
        ("interactions", str(len(entries))),
        ("images", str(images)),
        ("on disk", f"{human_bytes(disk)} for {human_bytes(sent)} sent"),
    ]
    if outcomes:
        stats.append(("outcome", ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))))
    if drift:
        stats.append(("drift check", ", ".join(f"{n} {k}" for k, n in sorted(drift.items()))))
    if oldest is not None:
        stats.append(("oldest recording", f"{oldest.recorded} ({oldest.age_days} days)"))
    if usage:
        stats.append(("recorded usage", usage_text(usage)))
    problems = sum(1 for s in report.shelves if s.problem)
    if problems:
        stats.append(("unreadable", f"{problems} file(s)"))
    page.add('<div class="summary">')
    page.add(
        *(
            f'<div class="stat"><span class="muted">{page.t(k)}</span><b>{page.t(v)}</b></div>'
            for k, v in stats
        )
    )
    page.add("</div>")
    flagged = [(n, s) for n, s in enumerate(report.shelves) if s.outcome in ("missed", "unused") or s.problem]
    flagged += [(n, s) for n, s in enumerate(report.shelves) if s.drift_grade in ("breaking", "additive")]
    if flagged:
        links = "".join(
            f'<li><a href="#c{n}">{page.t(s.shown)}</a> {page.t(s.problem or s.outcome or s.drift_grade)}</li>'
            for n, s in flagged
        )
        page.add(f"<p>To look at first:</p><ul>{links}</ul>")


def render(report: Report, literals: Sequence[str] = ()) -> str:
    """The whole page."""
    page = _Page(literals)
    page.add(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        f"<title>{page.t(report.title)}</title><style>{STYLE}</style></head><body><main>",
        f"<h1>{page.t(report.title)}</h1>",
        f'<div class="muted">{page.t(f"{report.source}, {report.generated}")}</div>',
    )
    _summary(page, report)
    for number, shelf in enumerate(report.shelves):
        _shelf(page, number, shelf)
    if not report.shelves:
        page.add("<p>No cassettes.</p>")
    page.add("</main></body></html>\n")
    return "".join(page.out)
