"""The tenth re-recording: clean diffs, no stale interactions, any base URL, any working directory."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TEST = """
import os

import openai
import pytest

PROMPT = os.environ.get("PROMPT", "a red fox")


@pytest.mark.imagegen
def test_generate():
    client = openai.OpenAI(base_url=os.environ.get("APP_BASE_URL"))
    assert client.images.generate(model="gpt-image-2", prompt=PROMPT, size="64x64").data[0].b64_json
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "APP_BASE_URL", "PROMPT"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_app=TEST)
    return pytester


def interactions(pytester: pytest.Pytester) -> list[dict[str, object]]:
    document = json.loads((pytester.path / "cassettes/test_app/test_generate.json").read_text())
    return list(document["interactions"])


def record(pytester: pytest.Pytester, mode: str) -> pytest.RunResult:
    return pytester.runpytest("--imagegen-base-url=emulator", f"--imagegen-record={mode}")


def test_a_prompt_change_rerecorded_with_rewrite_leaves_exactly_one_interaction(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(project, "once").assert_outcomes(passed=1)
    monkeypatch.setenv("PROMPT", "a blue fox")
    record(project, "new_episodes").assert_outcomes(passed=1)
    assert [i["request"]["body"]["json"]["prompt"] for i in interactions(project)] == [
        "a red fox",
        "a blue fox",
    ]  # type: ignore[index]
    record(project, "rewrite").assert_outcomes(passed=1)
    assert [i["request"]["body"]["json"]["prompt"] for i in interactions(project)] == ["a blue fox"]  # type: ignore[index]
    project.runpytest().assert_outcomes(passed=1)


def test_prune_removes_the_interaction_the_last_replay_did_not_play(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_imagegen.cli import main

    record(project, "once").assert_outcomes(passed=1)
    monkeypatch.setenv("PROMPT", "a blue fox")
    record(project, "new_episodes").assert_outcomes(passed=1)
    replay = project.runpytest()
    replay.assert_outcomes(passed=1)
    replay.stdout.fnmatch_lines(["*1 with unplayed interactions*"])
    cassette = project.path / "cassettes/test_app/test_generate.json"
    cache = project.path / ".pytest_cache"

    assert main(["prune", "--dry-run", "--cache-dir", str(cache), str(cassette)]) == 0
    assert "would remove 1 unplayed interaction(s) (#0); 1 kept" in capsys.readouterr().out
    assert len(interactions(project)) == 2

    assert main(["prune", "--cache-dir", str(cache), str(cassette)]) == 0
    assert "removed 1 unplayed interaction(s) (#0); 1 kept" in capsys.readouterr().out
    assert [i["request"]["body"]["json"]["prompt"] for i in interactions(project)] == ["a blue fox"]  # type: ignore[index]
    again = project.runpytest()
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*1 replayed, 0 recorded, 0 with unplayed interactions*"])

    # A cassette changed since its last replay is left alone.
    cassette.write_text(cassette.read_text().replace("a blue fox", "a green fox"))
    assert main(["prune", "--cache-dir", str(cache), str(cassette)]) == 0
    assert "changed since its tests last replayed it" in capsys.readouterr().out


def test_rerecording_unchanged_calls_gives_identical_bytes(project: pytest.Pytester) -> None:
    record(project, "once").assert_outcomes(passed=1)
    first = (project.path / "cassettes/test_app/test_generate.json").read_bytes()
    for mode in ("all", "rewrite"):
        record(project, mode).assert_outcomes(passed=1)
        assert (project.path / "cassettes/test_app/test_generate.json").read_bytes() == first, mode


def test_a_cassette_recorded_under_v1_replays_under_any_base_path(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(project, "once").assert_outcomes(passed=1)
    for base in ("https://gw.example.com/openai/v1", "http://proxy.internal/api/v1"):
        monkeypatch.setenv("APP_BASE_URL", base)
        project.runpytest().assert_outcomes(passed=1)


def test_cassettes_are_found_from_the_project_not_the_working_directory(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.path / "setup.py").write_text("")  # a project with no ini file
    sub = project.path / "sub"
    sub.mkdir()
    shutil.move(project.path / "test_app.py", sub / "test_app.py")
    record(project, "once").assert_outcomes(passed=1)
    assert (project.path / "cassettes/sub/test_app/test_generate.json").exists()
    monkeypatch.chdir(sub)
    project.runpytest(str(sub / "test_app.py")).assert_outcomes(passed=1)
    monkeypatch.chdir(project.path.parent)
    project.runpytest(str(sub / "test_app.py")).assert_outcomes(passed=1)
    found = sorted(p.relative_to(project.path).as_posix() for p in project.path.rglob("*.json"))
    assert [p for p in found if not p.startswith(".pytest_cache/")] == [
        "cassettes/sub/test_app/test_generate.json"
    ]


@pytest.mark.parametrize("url", ["notaurl", "ftp://x.example/v1", "https://", "http:// spaces.example/v1"])
def test_an_invalid_base_url_is_a_usage_error(project: pytest.Pytester, url: str) -> None:
    result = project.runpytest(f"--imagegen-base-url={url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*base URL*neither 'emulator' nor an http(s) URL with a host*"])


def _edited_copy_of_the_package(target: Path) -> Path:
    """A copy of the package with a comment line added to every module of the layers the index is about,
    and one module converted to CRLF line endings: nothing a key or a verdict means has changed."""
    package = target / "pytest_imagegen"
    shutil.copytree(ROOT / "pytest_imagegen", package, ignore=shutil.ignore_patterns("__pycache__"))
    for layer in ("contract", "wire", "safety", "cassette"):
        for module in (package / layer).rglob("*.py"):
            module.write_text(module.read_text() + "# a comment that changes no rule\n")
    crlf = package / "cassette" / "match.py"
    crlf.write_bytes(crlf.read_bytes().replace(b"\n", b"\r\n"))
    return target


@pytest.mark.slow
def test_the_example_suite_rerecorded_twice_is_byte_identical(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("examples", "cassettes"):
        shutil.copytree(ROOT / name, pytester.path / name)
    shutil.copy(ROOT / "pyproject.toml", pytester.path / "pyproject.toml")
    edited = _edited_copy_of_the_package(pytester.path.parent / f"{pytester.path.name}-edited")

    def files() -> dict[Path, bytes]:
        found = [
            *(pytester.path / "cassettes").rglob("*.json"),
            *(pytester.path / "examples").rglob("*.ambr"),
        ]
        return {p.relative_to(pytester.path): p.read_bytes() for p in found}

    committed = files()
    # The README's command: what `git diff` shows after it must be nothing. The second run uses a copy of
    # the plugin with comments added and CRLF line endings: no cassette byte, and no index, changes.
    command = ["examples", "--imagegen-base-url=emulator", "--imagegen-record=rewrite"]
    for run in ("as committed", "with comments and CRLF"):
        if run != "as committed":
            monkeypatch.setenv("PYTHONPATH", str(edited))
            probe = pytester.run(
                sys.executable, "-c", "import pytest_imagegen; print(pytest_imagegen.__file__)"
            )
            assert str(edited) in probe.stdout.str(), "the edited copy of the plugin is not the one imported"
        result = pytester.runpytest_subprocess(*command)
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        again = files()
        assert again.keys() == committed.keys()
        changed = sorted(str(p) for p in committed if again[p] != committed[p])
        assert changed == [], (
            f"re-recording the examples ({run}) changed their cassettes: after a change to what the "
            "plugin's matching or contract code means, bump RULES_VERSION in cassette/index.py, re-record "
            "them with `pytest examples --imagegen-base-url=emulator --imagegen-record=rewrite` and commit "
            "the result"
        )
