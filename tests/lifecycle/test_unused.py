"""Orphan cassettes and never-played interactions: listed at the end of a whole-suite session, a failure
with --imagegen-strict-unused, serially and under xdist; ``prune --orphans`` deletes the orphans."""

from __future__ import annotations

import pytest

SUITE = """
import os

import openai
import pytest

pytestmark = pytest.mark.imagegen


def generate(prompt):
    return openai.OpenAI().images.generate(model="gpt-image-2", prompt=prompt, size="16x16")


def test_one():
    assert generate("one").data[0].b64_json


def test_two():
    for prompt in os.environ.get("TWO", "two a,two b").split(","):
        assert generate(prompt).data[0].b64_json
"""

GONE = """

def test_gone():
    assert generate("gone").data[0].b64_json
"""

ORPHAN = "cassettes/test_app/test_gone.json"
TWO = "cassettes/test_app/test_two.json"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TWO"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_app=SUITE + GONE)
    pytester.runpytest("--imagegen-base-url=emulator", "--imagegen-record=once").assert_outcomes(passed=3)
    pytester.makepyfile(test_app=SUITE)  # test_gone deleted: its cassette is an orphan
    monkeypatch.setenv("TWO", "two a")  # test_two asks for one reply of the two it recorded
    return pytester


def run(pytester: pytest.Pytester, workers: list[str], *args: str) -> pytest.RunResult:
    if workers:
        return pytester.runpytest_subprocess(*workers, *args)
    return pytester.runpytest(*args)


XDIST = [pytest.param([], id="serial"), pytest.param(["-n", "4"], id="xdist")]


@pytest.mark.parametrize("workers", XDIST)
def test_orphans_and_unplayed_interactions_are_listed(project: pytest.Pytester, workers: list[str]) -> None:
    result = run(project, workers)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*imagegen cassettes*",
            "2 cassette(s): 2 replayed, 0 recorded, 1 with unplayed interactions",
            f"  orphan: {ORPHAN} (no collected test uses it)",
            f"  never played: {TWO} #1 POST /v1/images/generations",
        ]
    )


@pytest.mark.parametrize("workers", XDIST)
def test_strict_unused_fails_the_run(project: pytest.Pytester, workers: list[str]) -> None:
    result = run(project, workers, "--imagegen-strict-unused")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            f"  orphan: {ORPHAN} (no collected test uses it)",
            f"  never played: {TWO} #1 POST /v1/images/generations",
            "imagegen: failing the run: 1 orphan cassette(s) and 1 never-played interaction(s) "
            "(--imagegen-strict-unused). To clean up, delete orphans with `imagegen-cassettes prune --orphans "
            "cassettes` and remove never-played interactions with `imagegen-cassettes prune cassettes` "
            "(--dry-run lists what would go).",
        ]
    )


def test_the_ini_option_is_strict_too_and_a_clean_suite_passes(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makeini("[pytest]\nimagegen_strict_unused = true\n")
    assert project.runpytest().ret == pytest.ExitCode.TESTS_FAILED
    (project.path / ORPHAN).unlink()
    monkeypatch.setenv("TWO", "two a,two b")
    clean = project.runpytest()
    assert clean.ret == pytest.ExitCode.OK
    assert "orphan" not in clean.stdout.str()
    assert "never played:" not in clean.stdout.str()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["-k", "one"], "the session selected tests with -k"),
        (["test_app.py::test_one"], "the session was given test ids"),
        (["-x", "--imagegen-record=none", "-p", "no:randomly"], None),
    ],
)
def test_a_session_that_did_not_collect_the_whole_suite_judges_nothing(
    project: pytest.Pytester, args: list[str], reason: str | None
) -> None:
    if reason is None:  # a test that fails first, with -x: the session stops early
        project.makepyfile(test_app=SUITE.replace("def test_one():\n", "def test_one():\n    assert False\n"))
        reason = "the session stopped early"
    result = project.runpytest("--imagegen-strict-unused", *args)
    assert result.ret == (pytest.ExitCode.TESTS_FAILED if "-x" in args else pytest.ExitCode.OK)
    assert "orphan:" not in result.stdout.str()
    assert "never played:" not in result.stdout.str()
    result.stdout.fnmatch_lines([f"  orphans and never-played interactions not checked: {reason}"])


def test_a_skipped_test_still_owns_its_cassette(project: pytest.Pytester) -> None:
    project.makepyfile(test_app=SUITE + "\n@pytest.mark.skip(reason='later')" + GONE)
    result = project.runpytest("--imagegen-strict-unused", "-n", "2")
    assert "orphan:" not in result.stdout.str()


def test_a_failed_test_is_not_judged_for_unplayed_interactions(project: pytest.Pytester) -> None:
    (project.path / ORPHAN).unlink()
    project.makepyfile(
        test_app=SUITE.replace("        assert generate(prompt)", "        assert not generate(prompt)")
    )
    result = project.runpytest("--imagegen-strict-unused")
    result.assert_outcomes(passed=1, failed=1)
    assert "never played:" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the failure's own, not a strict-unused one
    assert "failing the run" not in result.stdout.str()


def test_running_one_folder_judges_only_that_folders_cassettes(project: pytest.Pytester) -> None:
    sub = project.mkdir("other")
    (sub / "test_other.py").write_text("def test_plain():\n    pass\n")
    result = project.runpytest("other", "--imagegen-strict-unused")
    assert result.ret == pytest.ExitCode.OK
    assert "orphan" not in result.stdout.str()


def test_prune_orphans_lists_them_first_then_deletes_them(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_imagegen.cli import main

    cassettes = str(project.path / "cassettes")
    cache = str(project.path / ".pytest_cache")
    assert main(["prune", "--orphans", "--cache-dir", cache, cassettes]) == 0
    assert "no orphans recorded: run the whole suite first" in capsys.readouterr().out

    project.runpytest().assert_outcomes(passed=2)
    assert main(["prune", "--orphans", "--dry-run", "--cache-dir", cache, cassettes]) == 0
    out = capsys.readouterr().out
    assert f"{project.path / ORPHAN}: would delete (no test used it)" in out
    assert "would delete 1 orphan cassette(s) (run without --dry-run to delete them)" in out
    assert (project.path / ORPHAN).exists()

    assert main(["prune", "--orphans", "--cache-dir", cache, cassettes]) == 0
    assert "deleted 1 orphan cassette(s)" in capsys.readouterr().out
    assert not (project.path / ORPHAN).exists()
    assert (project.path / TWO).exists()
    again = project.runpytest()
    again.assert_outcomes(passed=2)
    assert "orphan:" not in again.stdout.str()


def test_prune_orphans_keeps_a_file_changed_since_it_was_found(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_imagegen.cli import main

    project.runpytest().assert_outcomes(passed=2)
    orphan = project.path / ORPHAN
    orphan.write_text(orphan.read_text().replace('"gone"', '"gone, then back"'))
    assert (
        main(["prune", "--orphans", "--cache-dir", str(project.path / ".pytest_cache"), str(orphan.parent)])
        == 0
    )
    assert "kept: changed since the session that found it" in capsys.readouterr().out
    assert orphan.exists()
