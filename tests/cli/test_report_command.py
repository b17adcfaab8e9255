"""``imagegen-cassettes report``: the page over cassette files, the last run's records, the summary's usage."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_imagegen.cassette.driftrecords import read_drift_records, write_drift_records
from pytest_imagegen.cassette.replays import write_records
from pytest_imagegen.cli import main
from pytest_imagegen.cli.report import build_report, prompt_of, write_report
from pytest_imagegen.cli.report_html import render
from pytest_imagegen.cli.totals import replay_line, usage_of
from pytest_imagegen.errors import SecretLeakError

EXAMPLES = Path(__file__).resolve().parents[2] / "cassettes" / "examples"


def _text(page: str) -> str:
    return " ".join(re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.DOTALL).split())


@pytest.fixture
def cassettes(tmp_path: Path) -> Path:
    target = tmp_path / "cassettes"
    shutil.copytree(EXAMPLES, target)
    return target


def test_the_command_writes_one_page_for_a_folder(
    cassettes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["report", "-o", "out/page.html"]) == 0  # cassettes/ by default
    files = sorted(cassettes.rglob("*.json"))
    interactions = sum(len(json.loads(path.read_text())["interactions"]) for path in files)
    expected = f"wrote out/page.html: {len(files)} cassette(s), {interactions} interaction(s)"
    assert expected in capsys.readouterr().out  # every example cassette, however many there are
    page = (tmp_path / "out" / "page.html").read_text(encoding="utf-8")
    text = _text(page)
    assert "<script" not in page
    assert "a lighthouse at dusk" in text
    assert "put the red square on the blue background" in text
    assert "gpt-image-2" in text
    assert "400 Bad Request" in text
    assert "invalid_request_error: You must provide n=1 for this model." in text
    assert "mask · png 64×64 RGBA" in text
    assert "partial 1 · png" in text
    assert text.count("cassettes/examples") == 0  # shown relative to the current directory
    assert "cassettes/test_thumbnailer/test_thumbnail_through_the_plugin_client.json" in text


def test_the_last_runs_replay_and_drift_records_are_shown(cassettes: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    played = cassettes / "test_edit" / "test_merge_through_the_openai_sdk.json"
    unplayed = cassettes / "test_edit" / "test_merge_through_the_plugin_client.json"
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (played, unplayed)}
    write_records(
        cache,
        {
            str(played.resolve()): {"digest": digest[played], "interactions": 1, "played": [0]},
            str(unplayed.resolve()): {"digest": digest[unplayed], "interactions": 1, "played": []},
        },
    )
    drift = {
        "interactions": [
            {"index": 0, "request": "POST /v1/images/edits", "changes": [["additive", "json.x", "new field"]]}
        ]
    }
    write_drift_records(cache, [{"path": str(played), "drift": drift}], datetime(2026, 1, 2, tzinfo=UTC))
    assert read_drift_records(cache)[str(played.resolve())]["checked"] == "2026-01-02"
    report = build_report([played, unplayed], rootdir=tmp_path, cache_dir=cache)
    first, second = report.shelves
    assert (first.outcome, second.outcome) == ("replayed", "unused")
    assert first.entries[0].outcome == "played"
    assert second.entries[0].outcome == "never played"
    assert first.drift_grade == "additive"
    assert first.entries[0].drift == [("additive", "json.x", "new field")]
    assert second.drift is None
    played.write_text(played.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = build_report([played], rootdir=tmp_path, cache_dir=cache)
    assert again.shelves[0].drift_grade == "stale"
    assert again.shelves[0].outcome is None  # the replay record is for other bytes


def test_every_text_is_masked_and_a_secret_that_got_through_writes_nothing(
    cassettes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-proj-REPORTCANARYq7Z3xR9mW2pL5vN8bT4k"
    report = build_report([cassettes / "test_errors"], rootdir=tmp_path)
    report.title = f"suite run with {key}"
    page = render(report)
    assert key not in page
    assert "sk-p…(" in page
    target = tmp_path / "page.html"
    assert write_report(report, target, secrets=[key]) > 0
    assert key not in target.read_text(encoding="utf-8")

    monkeypatch.setattr("pytest_imagegen.cli.report_html.render", lambda report, literals=(): f"<p>{key}</p>")
    target.unlink()
    with pytest.raises(SecretLeakError, match="refused to write report"):
        write_report(report, target, secrets=[key])
    assert not target.exists()


def test_an_unreadable_file_is_listed_and_fails_the_command(
    cassettes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (cassettes / "broken.json").write_text("{not json", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "cassettes", "-o", "page.html"]) == 1
    assert "cannot be read" in _text((tmp_path / "page.html").read_text(encoding="utf-8"))


def test_kept_images_get_previews_too(tmp_path: Path) -> None:
    import base64
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 10)).save(out, "PNG")
    document = json.loads(
        (EXAMPLES / "test_thumbnailer" / "test_thumbnail_through_the_plugin_client.json").read_text()
    )
    document["interactions"][0]["response"]["body"]["json"]["data"][0]["b64_json"] = base64.b64encode(
        out.getvalue()
    ).decode()
    document.pop("index", None)
    path = tmp_path / "kept.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    [shelf] = build_report([path]).shelves
    [picture] = shelf.entries[0].outputs
    assert picture.png is not None
    with Image.open(io.BytesIO(picture.png)) as thumbnail:
        assert thumbnail.convert("RGB").getpixel((5, 5)) == pytest.approx((10, 200, 10), abs=8)


def test_prompts_of_every_shape() -> None:
    assert prompt_of({"prompt": "a fox"}) == "a fox"
    assert prompt_of({"input": "a fox"}) == "a fox"
    assert (
        prompt_of({"input": [{"role": "user", "content": [{"type": "input_text", "text": "a fox"}]}]})
        == "a fox"
    )
    assert (
        prompt_of({"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "a fox"}]})
        == "a fox"
    )
    assert (
        prompt_of({"contents": [{"parts": [{"text": "a"}, {"inlineData": {}}, {"text": "fox"}]}]}) == "a fox"
    )
    assert prompt_of({"n": 1}) is None


def test_usage_and_cost_fields_of_every_service() -> None:
    images = {
        "body": {
            "json": {
                "usage": {
                    "output_tokens_details": {"image_tokens": 272},
                    "input_tokens_details": {"image_tokens": 5},
                }
            }
        }
    }
    assert usage_of(images) == {"image tokens": 272.0, "input image tokens": 5.0}
    openrouter = {
        "body": {"sse": [{"data": {"choices": []}}, {"data": {"usage": {"cost": 0.039}}}, {"data": "[DONE]"}]}
    }
    assert usage_of(openrouter) == {"usage.cost": 0.039}
    assert usage_of({"body": {"json": {"id": "x", "cost": 2.5}}}) == {"cost": 2.5}  # BFL
    assert usage_of({"body": {"json": {"data": [], "cost_usd": 0.07}}}) == {"cost_usd": 0.07}  # xAI
    gemini = {
        "body": {
            "json": {
                "usageMetadata": {
                    "candidatesTokensDetails": [
                        {"modality": "IMAGE", "tokenCount": 1290},
                        {"modality": "TEXT", "tokenCount": 3},
                    ]
                }
            }
        }
    }
    assert usage_of(gemini) == {"image tokens": 1290.0}
    assert usage_of({"body": {}}) == {}


def test_the_summary_line_counts_what_was_replayed(cassettes: Path) -> None:
    files = sorted((cassettes / "test_thumbnailer").glob("*.json"))
    outcomes = [{"path": str(p), "loaded": 1, "played": [0], "recorded": 0} for p in files]
    line = replay_line([*outcomes, {"path": str(files[0]), "loaded": 1, "played": [], "recorded": 1}])
    assert line is not None
    assert line.startswith(f"replayed {len(files) - 1} interaction(s), {len(files) - 1} image(s): ")
    assert "on disk for" in line
    assert "the service sent; recorded usage: " in line
    assert "image tokens" in line
    assert replay_line([{"path": str(files[0]), "loaded": 1, "played": [], "recorded": 0}]) is None
