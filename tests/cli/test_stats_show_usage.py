"""``stats`` and ``show``, usage errors, the progress bar, and ``python -m pytest_imagegen``."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_imagegen.cassette.storage import load_cassette
from pytest_imagegen.cli import PROGRESS_MIN_FILES
from pytest_imagegen.cli.listing import human_bytes
from pytest_imagegen.safety import trim
from tests.cli.conftest import LEGACY_PROMPT, Run

Cli = Callable[..., Run]


def test_stats_totals_and_breakdowns(cli: Cli, cassettes: Path, legacy_cassette: Path) -> None:
    files = sorted(cassettes.rglob("*.json"))
    interactions = [i for f in files for i in load_cassette(f) or []]
    saved = sum(trim.trimmed_bytes(i) for i in interactions)
    assert saved > 0
    disk = sum(f.stat().st_size for f in files)

    result = cli("stats", cassettes)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == (
        f"2 cassette(s), 5 interaction(s), {human_bytes(disk)} on disk; "
        f"placeholders save {human_bytes(saved)}"
    )
    rows = {
        line.split()[0]: line.split()
        for line in lines[1:]
        if line and not line.startswith(("endpoint", "model"))
    }
    # 4 calls: 1 JSON image + 3 streamed (2 partial, 1 final); the URL reply and the 400 carry none
    assert rows["/v1/images/generations"][1:3] == ["4", "4"]
    assert rows["/v1/images/edits"][1:3] == ["1", "2"]  # the upload and the reply
    assert rows["gpt-image-2"][1] == "4"
    assert rows["dall-e-3"][1] == "1"

    legacy = cli("stats", legacy_cassette)
    assert "scrubbing would save 3." in legacy.out  # megabytes still stored as base64
    assert "1 plain vcrpy cassette(s): convert with `imagegen-cassettes scrub`" in legacy.out


def test_show_lists_each_interaction_readably(cli: Cli, cassettes: Path, legacy_cassette: Path) -> None:
    result = cli(
        "show",
        cassettes / "tests" / "test_app" / "test_images.json",
        cassettes / "tests" / "test_app" / "test_sdk.json",
    )
    assert result.code == 0
    out = result.out
    for expected in (
        "#0  POST /v1/images/generations  gpt-image-2  200 OK\n",
        '    prompt: "a red fox"\n',
        "    params: output_format=webp, size=64x64\n",
        "    images: webp 64x64 RGB (originally ",
        "#1  POST /v1/images/generations  gpt-image-2  200 OK  stream\n",
        "    events: image_generation.partial_image ×2, image_generation.completed\n",
        "    images: png 64x64 RGB ×3 (originally ",
        "#2  POST /v1/images/edits  gpt-image-2  200 OK\n",
        "    uploads: image png 64x64 RGBA (",
        "#0  POST /v1/images/generations  dall-e-3  200 OK\n",
        "    images: 1 url(s)\n",
        "#1  POST /v1/images/generations  gpt-image-2  400 Bad Request\n",
        "    error: invalid_request_error invalid_value (param size): ",
    ):
        assert expected in out, expected

    legacy = cli("show", legacy_cassette)
    assert "(plain vcrpy: run `imagegen-cassettes scrub` to convert)" in legacy.out
    assert f'    prompt: "{LEGACY_PROMPT}"' in legacy.out
    assert "    images: png 1024x1024 RGB (originally 2." in legacy.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "the following arguments are required: COMMAND"),
        (("verify",), "the following arguments are required: PATH"),
        (("verify", "--fast", "."), "unrecognized arguments: --fast"),
        (("check", "."), "invalid choice: 'check'"),
    ],
)
def test_usage_errors_exit_2(cli: Cli, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.code == 2
    assert message in result.err


def test_a_missing_path_or_an_empty_directory_is_a_usage_error_naming_it(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    result = cli("verify", missing)
    assert result.code == 2
    assert f"imagegen-cassettes verify: error: no such file or directory: {missing}" in result.err
    (tmp_path / "empty" / ".hidden").mkdir(parents=True)
    (tmp_path / "empty" / ".hidden" / "x.json").write_text("version: 1\ninteractions: []\n")
    result = cli("stats", tmp_path / "empty")
    assert result.code == 2
    assert "no *.json, *.yaml or *.yml cassettes found under" in result.err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _many(cassettes: Path, tmp_path: Path, count: int) -> Path:
    source = cassettes / "tests" / "test_app" / "test_sdk.json"
    target = tmp_path / "many"
    target.mkdir()
    for n in range(count):
        shutil.copyfile(source, target / f"test_{n:02d}.json")
    return target


def test_progress_bar_on_a_terminal_for_many_files(
    cli: Cli, cassettes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = _many(cassettes, tmp_path, PROGRESS_MIN_FILES + 1)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    result = cli("verify", many)
    assert result.code == 0
    bar = terminal.getvalue()
    assert f"\r[{'.' * 20}] 0/{PROGRESS_MIN_FILES + 1} test_00.json" in bar
    assert f"] {PROGRESS_MIN_FILES}/{PROGRESS_MIN_FILES + 1} test_{PROGRESS_MIN_FILES:02d}.json" in bar
    assert bar.endswith("\r")  # the line is cleared before the summary is printed
    assert "\r" not in result.out


def test_no_progress_bar_for_few_files_or_off_a_terminal(
    cli: Cli, cassettes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli("verify", _many(cassettes, tmp_path, PROGRESS_MIN_FILES)).code == 0
    assert terminal.getvalue() == ""
    monkeypatch.undo()
    pipe = io.StringIO()  # not a terminal
    monkeypatch.setattr(sys, "stderr", pipe)
    assert cli("verify", tmp_path / "many", cassettes).code == 0
    assert pipe.getvalue() == ""


def test_python_dash_m_runs_the_command_line(cassettes: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_imagegen", "verify", str(cassettes)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "checked 2 cassette(s), 5 interaction(s): all clean"
    usage = subprocess.run(
        [sys.executable, "-m", "pytest_imagegen"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2
    assert "usage: imagegen-cassettes" in usage.stderr
