"""Nothing is written outside the project, what the plugin keeps for itself is private and checked, and a
write killed halfway leaves nothing behind for long (issue 11, breaks 2 and 7).

- A whole session (recording from the emulator, replaying, then every CLI command) run as subprocesses
  with ``TMPDIR`` and ``HOME`` pointing at empty folders leaves both empty: the parse cache that used to
  live in the system's temporary folder is gone (a cassette is JSON, which loads as fast as the cache did)
  and lock files live in the project's pytest cache.
- The plugin's folder in the pytest cache is owner-only, and so is every file in it; its replay records
  are ignored (never trusted) when damaged, and prune leaves a cassette alone once it changed.
- A writer killed mid-write (``kill -9``) leaves its temporary file; the next write of that cassette
  removes it, and leaves the temporary files of live writers alone.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_imagegen.cassette import replays, storage
from pytest_imagegen.cli import main

TEST = """
import openai
import pytest


@pytest.mark.imagegen
def test_generate():
    assert openai.OpenAI().images.generate(model="gpt-image-2", prompt="a fox", size="64x64").data
"""


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_a_whole_session_writes_nothing_outside_the_project(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    tmpdir, home = tmp_path / "tmp", tmp_path / "home"
    tmpdir.mkdir()
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_"))},
        "TMPDIR": str(tmpdir),
        "HOME": str(home),
    }
    project = pytester.path
    (project / "test_app.py").write_text(TEST)
    (project / "pytest.ini").write_text("[pytest]\n")

    def pytest_run(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:hypothesispytest", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    pytest_run("--imagegen-base-url=emulator", "--imagegen-record=once")
    pytest_run()
    cassettes = str(project / "cassettes")
    for command in (
        ["verify"],
        ["stats"],
        ["show"],
        ["scrub", "--dry-run"],
        ["scrub"],
        ["prune", "--dry-run"],
        ["prune"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "pytest_imagegen", *command, cassettes],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert files_under(tmpdir) == []
    assert files_under(home) == []

    private = project / ".pytest_cache" / "d" / "imagegen"
    assert private.is_dir()
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    for path in files_under(private):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is readable by others"


def test_damaged_replay_records_are_ignored_not_trusted(tmp_path: Path) -> None:
    cassette = tmp_path / "c.json"
    storage.save_cassette(cassette, [], cache_dir=tmp_path / "cache")
    digest = replays.file_digest(cassette.read_bytes())
    good = {str(cassette.resolve()): {"digest": digest, "interactions": 0, "played": [], "not_passed": []}}
    replays.write_records(tmp_path, good)
    assert replays.read_records(tmp_path) == good
    for damage in ("[1]", "{", '{"version": 2, "cassettes": {"x": {"digest": 5}}}', '{"version": 99}'):
        (tmp_path / replays.RECORD_FILE).write_text(damage)
        assert replays.read_records(tmp_path) == {}, damage
        result = replays.prune_file(cassette, replays.read_records(tmp_path), write=True)
        assert result.reason is not None
        assert result.removed == []


def test_the_next_write_removes_what_a_killed_writer_left(tmp_path: Path) -> None:
    cassette = tmp_path / "cassettes" / "test_x.json"
    cassette.parent.mkdir()
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "path = Path(sys.argv[1])\n"
        "tmp = path.with_name(f'.{path.name}.{os.getpid()}.0123abcd.tmp')\n"
        "tmp.write_bytes(b'half a cassette')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", code, str(cassette)], check=False)
    assert killed.returncode == -signal.SIGKILL
    left = [p for p in cassette.parent.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1
    # A live writer's temporary file (this process) is not touched.
    mine = cassette.with_name(f".{cassette.name}.{os.getpid()}.89abcdef.tmp")
    mine.write_bytes(b"being written")

    storage.save_cassette(cassette, [], cache_dir=tmp_path / "cache")
    assert not left[0].exists()
    assert mine.exists()
    assert sorted(p.name for p in cassette.parent.iterdir()) == sorted([cassette.name, mine.name])


def test_prune_refuses_a_cassette_changed_since_its_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "c.json"
    storage.save_cassette(cassette, [], cache_dir=tmp_path / "cache")
    record = {
        str(cassette.resolve()): {"digest": "0" * 64, "interactions": 0, "played": [], "not_passed": []}
    }
    replays.write_records(tmp_path / ".pytest_cache" / "d" / "imagegen", record)
    assert main(["prune", "--cache-dir", str(tmp_path / ".pytest_cache"), str(cassette)]) == 0
    assert "changed since its tests last replayed it" in capsys.readouterr().out
