"""``imagegen-cassettes scrub``: a plain vcrpy cassette becomes a clean, small, replayable one."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_imagegen.cassette.storage import load_cassette
from pytest_imagegen.errors import CassetteError
from tests.cli.conftest import LEGACY_PROMPT, PLANTED_KEY, Run

Cli = Callable[..., Run]


def test_the_plugin_refuses_a_plain_vcrpy_cassette_and_names_the_fix(legacy_cassette: Path) -> None:
    with pytest.raises(CassetteError) as caught:
        load_cassette(legacy_cassette)
    assert "plain vcrpy / pytest-recording cassette" in str(caught.value)
    assert f"imagegen-cassettes scrub {legacy_cassette}" in str(caught.value)


def test_dry_run_lists_what_would_change_and_writes_nothing(cli: Cli, legacy_cassette: Path) -> None:
    before = legacy_cassette.read_bytes()
    assert len(before) > 3_000_000
    assert PLANTED_KEY.encode() in before
    result = cli("scrub", "--dry-run", legacy_cassette)
    assert result.code == 0
    assert legacy_cassette.read_bytes() == before
    assert PLANTED_KEY not in result.out
    lines = result.out.splitlines()
    assert lines[0].startswith(
        f"would scrub {legacy_cassette}: "
        "converted from plain vcrpy, 5 value(s) redacted, 1 image(s) trimmed; "
    )
    assert lines[0].endswith(" KB")
    assert " MB -> " in lines[0]
    assert "  interaction 0: request.headers.authorization[0] (redacted)" in lines
    assert "  interaction 0: response.headers.set-cookie[0] (redacted)" in lines
    assert "  interaction 0: response.body.json.data[0].b64_json (trimmed)" in lines
    assert lines[-1].startswith("would change 1 of 1 cassette(s) (0 already clean)")


def test_scrub_converts_a_vcrpy_cassette_into_a_clean_small_one_and_is_idempotent(
    cli: Cli, legacy_cassette: Path
) -> None:
    result = cli("scrub", legacy_cassette.parent)
    assert result.code == 0, result.out
    assert result.out.startswith(f"scrubbed {legacy_cassette}: converted from plain vcrpy")
    text = legacy_cassette.read_text(encoding="utf-8")
    assert len(text.encode()) < 5_000
    assert PLANTED_KEY not in text
    assert PLANTED_KEY[8:30] not in text
    assert "Bearer sk-REDACTED" in text

    verified = cli("verify", legacy_cassette)
    assert verified.code == 0, verified.out

    (interaction,) = load_cassette(legacy_cassette) or []
    assert interaction["request"]["body"] == {
        "json": {"prompt": LEGACY_PROMPT, "model": "gpt-image-1", "size": "1024x1024", "quality": "low"}
    }
    facts = interaction["response"]["body"]["json"]["data"][0]["b64_json"]["placeholder"]
    assert (facts["format"], facts["width"], facts["height"], facts["mode"]) == ("png", 1024, 1024, "RGB")
    assert facts["bytes"] > 2_000_000  # the original's size is kept as a fact

    again = cli("scrub", legacy_cassette)
    assert again.code == 0
    assert again.out.startswith("changed 0 of 1 cassette(s) (1 already clean)")
    assert legacy_cassette.read_text(encoding="utf-8") == text


def test_the_scrubbed_cassette_replays_through_the_plugin(
    cli: Cli, legacy_cassette: Path, pytester: pytest.Pytester
) -> None:
    assert cli("scrub", legacy_cassette).code == 0
    target = pytester.path / "cassettes" / "test_legacy" / "test_lighthouse.yaml"
    target.parent.mkdir(parents=True)
    shutil.copyfile(legacy_cassette, target)
    pytester.makepyfile(
        test_legacy=f"""
        import base64, io
        from PIL import Image

        def test_lighthouse(imagegen_client, imagegen_cassette):
            reply = imagegen_client.generate(
                {LEGACY_PROMPT!r}, model="gpt-image-1", size="1024x1024", quality="low"
            )
            image = Image.open(io.BytesIO(base64.b64decode(reply.data[0].b64_json)))
            assert (image.format, image.size, image.mode) == ("PNG", (1024, 1024), "RGB")
            assert imagegen_cassette.play_count == 1
        """
    )
    result = pytester.runpytest()  # record mode "none": the network is blocked
    result.assert_outcomes(passed=1)


def test_keep_payloads_redacts_but_keeps_the_images(cli: Cli, legacy_cassette: Path) -> None:
    result = cli("scrub", "--keep-payloads", legacy_cassette)
    assert result.code == 0
    assert "5 value(s) redacted" in result.out
    assert "trimmed" not in result.out
    text = legacy_cassette.read_text(encoding="utf-8")
    assert PLANTED_KEY not in text
    assert len(text) > 3_000_000
    (interaction,) = load_cassette(legacy_cassette) or []
    assert isinstance(interaction["response"]["body"]["json"]["data"][0]["b64_json"], str)
    assert cli("verify", legacy_cassette).code == 0


def test_scrub_trims_an_imagegen_cassette_recorded_with_payloads_kept(
    cli: Cli, legacy_cassette: Path
) -> None:
    cli("scrub", "--keep-payloads", legacy_cassette)
    big = legacy_cassette.stat().st_size
    result = cli("scrub", legacy_cassette)
    assert result.code == 0
    assert result.out.startswith(f"scrubbed {legacy_cassette}: 1 image(s) trimmed")
    assert legacy_cassette.stat().st_size < big // 100


def test_files_that_cannot_be_scrubbed_are_named_and_the_others_still_are(
    cli: Cli, legacy_cassette: Path, cassettes: Path
) -> None:
    broken = legacy_cassette.parent / "broken.yaml"
    broken.write_text("interactions: [\n", encoding="utf-8")
    result = cli("scrub", legacy_cassette.parent, cassettes)
    assert result.code == 1
    assert f"{broken}: not scrubbed: " in result.out
    assert "not valid YAML" in result.out
    assert result.out.splitlines()[-1].startswith("changed 1 of 4 cassette(s) (2 already clean, 1 failed)")
    assert broken.read_text(encoding="utf-8") == "interactions: [\n"


def test_scrub_applies_the_extra_rules_a_conftest_would_configure(
    cli: Cli, cassettes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = next(cassettes.rglob("*.json"))
    interactions = load_cassette(path)
    assert interactions is not None
    request = interactions[0]["request"]
    request["headers"]["x-internal-trace"] = ["trace-7f3a9c2e1b"]
    request["uri"] += "?tenant=acme-internal-42"
    assert "json" in request["body"], "the first recorded call is a JSON generation"
    request["body"]["json"]["prompt"] = "a fox [tok_CANARYSCRUB1234567890] by Mallory-Staff-Id-991"
    from pytest_imagegen.cassette.storage import dump_cassette

    path.write_text(dump_cassette(interactions))
    secrets = ("trace-7f3a9c2e1b", "acme-internal-42", "tok_CANARYSCRUB1234567890", "Mallory-Staff-Id-991")
    planted = path.read_text(encoding="utf-8")
    assert all(secret in planted for secret in secrets), "every planted value is on disk before the scrub"
    monkeypatch.setenv("STAFF_ID", "Mallory-Staff-Id-991")
    result = cli(
        "scrub",
        "--redact-header",
        "X-Internal-Trace",
        "--redact-query",
        "tenant",
        "--redact-pattern",
        r"tok_[A-Za-z0-9]+",
        "--secret-env",
        "STAFF_ID",
        path,
    )
    assert result.code == 0, result.out
    text = path.read_text(encoding="utf-8")
    for secret in (
        "trace-7f3a9c2e1b",
        "acme-internal-42",
        "tok_CANARYSCRUB1234567890",
        "Mallory-Staff-Id-991",
    ):
        assert secret not in text
    assert '"x-internal-trace": "REDACTED"' in text
    assert "tenant=REDACTED" in text

    bad = cli("scrub", "--redact-pattern", "(unclosed", path)
    assert bad.code == 2
    assert "--redact-pattern '(unclosed' is not a valid regular expression" in bad.err


def test_scrub_re_stamps_an_index_another_plugin_version_wrote_and_keeps_the_interactions(
    cli: Cli, tmp_path: Path
) -> None:
    # An upgrade that changes the matching or contract rules leaves every committed index untrusted:
    # replay still works, but recomputes it. scrub re-stamps it offline, with no network and no key.
    from pytest_imagegen.cassette import fileformat
    from pytest_imagegen.cassette.index import digest_matches

    source = (
        Path(__file__).parents[2]
        / "cassettes/examples/test_thumbnailer/test_thumbnail_through_the_openai_sdk.json"
    )
    target = tmp_path / "old.json"
    text = source.read_text(encoding="utf-8")
    document = fileformat.parse_document(text, str(source))
    assert document is not None
    assert document.index is not None
    old_digest = document.index["digest"]
    target.write_text(text.replace(old_digest, "0" * len(old_digest)), encoding="utf-8")

    result = cli("scrub", target)
    assert result.code == 0, result.out
    assert result.out.startswith(f"scrubbed {target}: index re-stamped for this plugin version")
    restamped = fileformat.parse_document(target.read_text(encoding="utf-8"), str(target))
    assert restamped is not None
    assert restamped.index is not None
    assert digest_matches(restamped.index, restamped.indexed_text)
    assert restamped.interactions == document.interactions
    assert restamped.meta == document.meta
    assert load_cassette(target) == load_cassette(source)

    again = cli("scrub", target)
    assert "(1 already clean)" in again.out
