"""The drift check: record from the emulator, change how it replies, and ask whether the cassettes still
say what the service says.

The emulator runs here, in the outer test, as "the live service" at its own URL; the inner runs record
from it and check drift against it (``--imagegen-base-url=URL``). Its behaviour is changed through its
documented hook, ``Emulator.transform_replies``.
"""

from __future__ import annotations

import base64
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.cassette.metadata import entries_of
from pytest_imagegen.emulator import Emulator, ReplyPart

SUITE = """
import openai


def test_generate():
    client = openai.OpenAI()
    reply = client.images.generate(model="gpt-image-2", prompt="a red fox", size="64x64")
    assert reply.data[0].b64_json


def test_stream():
    client = openai.OpenAI()
    events = list(
        client.images.generate(
            model="gpt-image-2", prompt="a fox, streamed", size="64x64", stream=True, partial_images=1
        )
    )
    assert events[-1].type == "image_generation.completed"


def test_both():
    client = openai.OpenAI()
    client.images.generate(model="gpt-image-2", prompt="a blue fox", size="64x64")
    list(client.images.generate(model="gpt-image-2", prompt="a blue fox", size="64x64", stream=True))
"""

MARKED = """
import pytest

pytestmark = pytest.mark.imagegen
"""


@pytest.fixture(scope="module")
def service() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, service: Emulator) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "IMAGEGEN_RECORD_MODE"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_app=MARKED + SUITE)
    service.transform_replies(None)
    result = pytester.runpytest(f"--imagegen-base-url={service.base_url}", "--imagegen-record=once")
    result.assert_outcomes(passed=3)
    return pytester


def files(pytester: pytest.Pytester) -> dict[str, bytes]:
    folder = pytester.path / "cassettes"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.json"))}


def drift(pytester: pytest.Pytester, service: Emulator, *args: str) -> pytest.RunResult:
    return pytester.runpytest(f"--imagegen-base-url={service.base_url}", "--imagegen-drift", *args)


def png(width: int, height: int) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def json_only(change: Any) -> Any:
    """Apply ``change`` to JSON replies of the red fox only (not streams, not other prompts)."""

    def transform(part: ReplyPart) -> Any:
        if part.event is None and part.params.get("prompt") == "a red fox":
            return change(dict(part.document))
        return None

    return transform


def renamed(document: dict[str, Any]) -> dict[str, Any]:
    document["format"] = document.pop("output_format")
    return document


def with_new_field(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "moderation": "auto"}


def smaller(document: dict[str, Any]) -> dict[str, Any]:
    document["data"] = [{**document["data"][0], "b64_json": png(32, 32)}]
    return document


def one_event_more(part: ReplyPart) -> Any:
    if part.event == 0 and part.params.get("prompt") == "a fox, streamed":
        return [part.document, part.document]  # the partial image, twice
    return None


def new_event_type(part: ReplyPart) -> Any:
    if part.event == 0 and part.params.get("prompt") == "a fox, streamed":
        return [{"type": "image_generation.in_progress", "sequence_number": 0}, part.document]
    return None


@pytest.mark.parametrize(
    ("transform", "expected", "status"),
    [
        pytest.param(
            json_only(renamed),
            ["*breaking  body.output_format: renamed to 'format'*"],
            pytest.ExitCode.TESTS_FAILED,
            id="a field renamed",
        ),
        pytest.param(
            json_only(with_new_field),
            ["*additive  body.moderation: new field ('auto')*"],
            pytest.ExitCode.OK,
            id="a new field",
        ),
        pytest.param(
            json_only(smaller),
            [
                "*breaking  body.data[[]0[]].b64_json: image png 64x64 RGB → png 32x32 RGB*",
                # The live reply is checked against the contract and the request too.
                "*breaking  *: contract: *",
            ],
            pytest.ExitCode.TESTS_FAILED,
            id="an image size changed",
        ),
        pytest.param(
            one_event_more,
            [
                "*breaking  events: event sequence image_generation.partial_image, image_generation.completed"
                " → image_generation.partial_image ×2, image_generation.completed*"
            ],
            pytest.ExitCode.TESTS_FAILED,
            id="one stream event more",
        ),
        pytest.param(
            new_event_type,
            [
                "*additive  events[[]0[]]: new event type 'image_generation.in_progress' (1×)*",
                # The contract knows the Images API's event types: an unknown one is contract drift.
                "*breaking  reply $[[]0[]].type: contract: unknown event type 'image_generation.in_progress'*",
            ],
            pytest.ExitCode.TESTS_FAILED,
            id="a new event type",
        ),
    ],
)
def test_each_change_is_reported_with_its_grade_and_path_and_nothing_is_written(
    project: pytest.Pytester, service: Emulator, transform: Any, expected: list[str], status: int
) -> None:
    before = files(project)
    service.transform_replies(transform)
    result = drift(project, service)
    result.stdout.fnmatch_lines(
        ["*imagegen drift*", "*cassettes/test_app/*.json", "  #0 POST /v1/images/generations", *expected]
    )
    assert result.ret == status, result.stdout.str()
    assert files(project) == before, "a drift check without =update wrote to the cassettes"


def test_an_unchanged_service_reports_no_drift_and_passes(
    project: pytest.Pytester, service: Emulator
) -> None:
    before = files(project)
    result = drift(project, service)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["*4 interaction(s) sent live: 0 drifted (0 breaking, 0 additive change(s))*"]
    )
    assert "breaking drift" not in result.stdout.str()
    assert files(project) == before


def test_volatile_changes_are_shown_only_when_verbose(project: pytest.Pytester, service: Emulator) -> None:
    # ``created`` is normalized away on record, so a new time is no change at all; a count is volatile.
    service.transform_replies(
        json_only(lambda d: {**d, "created": d["created"] + 1, "usage": {**d["usage"], "total_tokens": 1}})
    )
    quiet = drift(project, service)
    assert quiet.ret == pytest.ExitCode.OK
    quiet.stdout.fnmatch_lines(["*0 drifted*; 1 volatile change(s) not shown (-v shows them)*"])
    assert "total_tokens" not in quiet.stdout.str()
    loud = drift(project, service, "-v")
    loud.stdout.fnmatch_lines(["*volatile  body.usage.total_tokens: 18 → 1*"])


def test_update_rerecords_only_the_interactions_that_drifted(
    project: pytest.Pytester, service: Emulator
) -> None:
    before = files(project)
    # Only the JSON reply to "a blue fox" changes: interaction #0 of test_both's cassette.
    service.transform_replies(
        lambda part: (
            {**part.document, "moderation": "auto"}
            if part.event is None and part.params.get("prompt") == "a blue fox"
            else None
        )
    )
    result = drift(project, service).stdout.str()
    assert files(project) == before
    result = drift(project, service, "--imagegen-drift=update")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["*additive  body.moderation: new field ('auto')*", "*updated: #0 re-recorded from the live reply*"]
    )
    after = files(project)
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["test_app/test_both.json"]

    import json

    old, new = json.loads(before["test_app/test_both.json"]), json.loads(after["test_app/test_both.json"])
    assert new["interactions"][0]["response"]["body"]["json"]["moderation"] == "auto"
    assert new["interactions"][1] == old["interactions"][1], "an interaction that did not drift changed"
    assert entries_of(new["meta"], 2)[1] == entries_of(old["meta"], 2)[1]
    assert (entries_of(new["meta"], 2)[0] or {}).get("service") == "127.0.0.1"

    # The cassette now says what the service says: replay passes, and a new check finds no drift.
    service.transform_replies(None)
    project.runpytest().assert_outcomes(passed=3)
    # The service stops sending the field: against the updated cassette, that is a field removed.
    again = drift(project, service)
    again.stdout.fnmatch_lines(["*breaking  body.moderation: removed (was 'auto')*"])


def test_a_request_the_cassette_lacks_is_a_miss(project: pytest.Pytester, service: Emulator) -> None:
    project.makepyfile(test_app=MARKED + SUITE.replace('prompt="a red fox"', 'prompt="a grey fox"'))
    result = drift(project, service)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*sends only requests the cassette holds, and records nothing; record this one first, without --imagegen-drift: pytest 'test_app.py::*' --imagegen-record=rewrite"
        ]
    )
    # Not the replay miss's hint: the drift check's own record mode is no business of the user's.
    assert "record mode is" not in result.stdout.str()
    assert "new_episodes" not in result.stdout.str()


def test_drift_under_xdist_is_merged_across_workers(project: pytest.Pytester, service: Emulator) -> None:
    service.transform_replies(json_only(renamed))
    result = project.runpytest_subprocess(
        f"--imagegen-base-url={service.base_url}", "--imagegen-drift", "-n", "2"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*3 cassette(s), 4 interaction(s) sent live: 1 drifted*", "*renamed to 'format'*"]
    )


def test_interactions_no_test_sends_are_counted_as_not_checked(
    project: pytest.Pytester, service: Emulator
) -> None:
    both = '    list(client.images.generate(model="gpt-image-2", prompt="a blue fox", size="64x64", stream=True))\n'
    assert both in SUITE
    project.makepyfile(test_app=MARKED + SUITE.replace(both, ""))
    result = drift(project, service)
    result.stdout.fnmatch_lines(
        ["*3 interaction(s) sent live*", "1 recorded interaction(s) were sent by no test, so not checked"]
    )


def test_drift_with_a_record_mode_is_a_usage_error(project: pytest.Pytester, service: Emulator) -> None:
    result = drift(project, service, "--imagegen-record=all")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--imagegen-drift sends every request live and records nothing*"])


def test_the_example_suite_has_no_drift_from_the_emulator_it_was_recorded_from(
    pytester: pytest.Pytester,
) -> None:
    # Every shape, streams, uploads, errors and a two-turn conversation (whose second turn names the live
    # first reply, matched to the cassette's stable id): the same emulator answers as it did, to the byte.
    root = Path(__file__).resolve().parents[2]
    for name in ("examples", "cassettes"):
        shutil.copytree(root / name, pytester.path / name)
    shutil.copy(root / "pyproject.toml", pytester.path / "pyproject.toml")
    before = files(pytester)
    result = pytester.runpytest_subprocess(
        "examples", "-v", "--imagegen-drift", "--imagegen-base-url=emulator"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["*interaction(s) sent live: 0 drifted (0 breaking, 0 additive change(s))"])
    assert "volatile" not in result.stdout.str()
    assert "were sent by no test" not in result.stdout.str()
    assert files(pytester) == before
