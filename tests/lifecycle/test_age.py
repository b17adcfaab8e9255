"""imagegen_max_age: a cassette older than it is listed, fails, or is recorded again, as configured."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

TEST = """
import openai
import pytest


@pytest.mark.imagegen{marker}
def test_generate():
    reply = openai.OpenAI().images.generate(model="gpt-image-2", prompt="a red fox", size="16x16")
    assert reply.data[0].b64_json
"""

CASSETTE = "cassettes/test_app/test_generate.json"
RECORDED = re.compile(r'"recorded": "[0-9]{4}-[0-9]{2}-[0-9]{2}"')
OLD = "2020-01-02"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_app=TEST.format(marker=""))
    pytester.runpytest("--imagegen-base-url=emulator", "--imagegen-record=once").assert_outcomes(passed=1)
    path = pytester.path / CASSETTE
    path.write_text(RECORDED.sub(f'"recorded": "{OLD}"', path.read_text()))  # recorded years ago
    return pytester


def meta(pytester: pytest.Pytester) -> dict[str, Any]:
    return dict(json.loads((pytester.path / CASSETTE).read_text()).get("meta", {}))


def test_an_expired_cassette_is_listed_and_still_replayed_by_default(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nimagegen_max_age = 180d\n")
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*imagegen cassettes*",
            f"  expired: {CASSETTE} (recorded 2020-01-02, * days ago; imagegen_max_age is 180d): still replayed",
        ]
    )
    assert meta(project)["recorded"] == OLD


def test_a_young_cassette_is_not_listed(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nimagegen_max_age = 100000d\n")
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    assert "expired" not in result.stdout.str()


def test_on_expiry_fail_fails_its_tests_and_says_what_to_do(project: pytest.Pytester) -> None:
    project.makepyfile(test_app=TEST.format(marker="(max_age='30d', on_expiry='fail')"))
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*CassetteExpired: cassette *{CASSETTE} (used by test_app.py::test_generate) has expired: "
            "recorded 2020-01-02, * days ago; imagegen_max_age is 30d. Record it again*",
            f"  expired: {CASSETTE} (*): its tests failed",
        ]
    )


def test_on_expiry_rerecord_records_it_again(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nimagegen_max_age = 30d\nimagegen_on_expiry = rerecord\n")
    result = project.runpytest("--imagegen-base-url=emulator")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"  expired: {CASSETTE} (*): re-recorded"])
    assert meta(project)["recorded"] != OLD
    again = project.runpytest()  # young again: replayed, not listed
    again.assert_outcomes(passed=1)
    assert "expired" not in again.stdout.str()


def test_on_expiry_rerecord_with_no_service_to_record_from_fails_in_one_clear_line(
    project: pytest.Pytester,
) -> None:
    project.makeini("[pytest]\nimagegen_max_age = 30d\nimagegen_on_expiry = rerecord\n")
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*needs a real key, and OPENAI_API_KEY*is not set; nothing was sent*",
            f"  expired: {CASSETTE} (*): not re-recorded: its test failed before it recorded anything",
        ]
    )
    assert meta(project)["recorded"] == OLD


def test_a_cassette_without_a_recording_date_is_counted_as_undated(project: pytest.Pytester) -> None:
    path = project.path / CASSETTE
    from pytest_imagegen.cassette import storage

    storage.save_cassette(path, storage.load_cassette(path) or [])  # no metadata, as older versions wrote
    project.makeini("[pytest]\nimagegen_max_age = 30d\nimagegen_on_expiry = fail\n")
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  undated: 1 cassette(s) have no recording date*"])


@pytest.mark.parametrize(
    ("ini", "marker", "message"),
    [
        (
            "imagegen_max_age = soon",
            "",
            "*max_age 'soon' is not a number of days, hours or weeks such as 180d*",
        ),
        (
            "imagegen_on_expiry = sometimes",
            "",
            "*invalid on_expiry 'sometimes'; valid values are: warn, fail, rerecord*",
        ),
        ("", "(max_age='-3d')", "*max_age '-3d' is not a number of days*"),
        ("", "(on_expiry='later')", "*invalid on_expiry 'later'; valid values are: warn, fail, rerecord*"),
        ("imagegen_record_on_error = maybe", "", "*record_on_error must be true or false, got 'maybe'*"),
        ("imagegen_strict_unused = maybe", "", "*imagegen_strict_unused must be true or false, got 'maybe'*"),
    ],
)
def test_invalid_values_are_usage_errors_naming_the_valid_ones(
    project: pytest.Pytester, ini: str, marker: str, message: str
) -> None:
    project.makeini(f"[pytest]\n{ini}\n")
    project.makepyfile(test_app=TEST.format(marker=marker))
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
