"""Every shell command in README.md, run: a non-zero exit status fails.

Each line of each ``bash`` block is a command (a trailing ``\\`` continues it). ``PLANS`` says how each one
is run; a command the README gains or loses fails ``test_every_readme_command_has_a_plan`` until it is
added here. Commands run in one of two temporary places, never in this checkout:

- ``repo``: a copy of the repository's tracked files, committed to a fresh git repository (branch main);
- ``project``: the user's project of the quick start: ``tests/test_thumbnails.py`` as the README shows it,
  in a git repository, recorded from the bundled emulator by the quick start's own first command.

``.venv/bin/`` and bare ``pytest``, ``python`` and ``imagegen-cassettes`` are this interpreter's (its
``bin`` first on ``PATH``). What is not run as written, and why:

- ``pip install ...``: installing needs the package index (the network); the spec is checked instead: its
  extras are extras of this project (``pyproject.toml``), the package name is this project's.
- the project's own test suite (``.venv/bin/pytest``): this test is part of it; it is collected instead.
- commands that need a real key and the service (recording from it, the drift check): run in their
  offline form, against the bundled emulator (``--imagegen-base-url=emulator``, as the README says).
- ``speed.py`` after installing the ``bench`` extra: that extra (pytest-recording) is not installed here and
  would come from the package index; skipped, its pip spec checked.
- the emulator's ``--port 8000``: started on a free port instead (8000 may be taken), the ``curl`` below it
  sent to that port.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
GUARD = 900  # seconds: only so a hung command cannot hang the suite; no test asserts a duration


@dataclass(frozen=True)
class Plan:
    where: str  # "repo" or "project"
    run: str | None = None  # what to run instead of the command as written (None: as written)
    why: str = ""  # why it is not run as written
    skip: str = ""  # why it is not run at all (its pip spec is still checked)
    # Run in a copy of its own, by a test of its own: a long command that needs nothing the others leave
    # behind, so that pytest-xdist can run it beside them.
    alone: bool = False


OFFLINE = "needs a real key and the service: run against the bundled emulator, as the README says"
PLANS: dict[str, Plan] = {
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest examples": Plan(
        "repo", alone=True
    ),
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest -n auto": Plan(
        "repo",
        run="python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest --collect-only -q",
        why="the project's own test suite, of which this test is part: collected, not run again",
    ),
    ".venv/bin/pytest examples --imagegen-base-url=emulator --imagegen-record=rewrite": Plan(
        "repo", alone=True
    ),
    "pip install -e '.[all]'": Plan("repo"),
    "pip install 'pytest-imagegen[all]'": Plan("repo"),
    "pytest --imagegen-base-url=emulator --imagegen-record=once": Plan("project"),
    "pytest": Plan("project"),
    "export OPENAI_API_KEY=sk-...": Plan("project"),
    "pytest --imagegen-record=new_episodes tests/test_thumbnails.py": Plan(
        "project",
        run="pytest --imagegen-record=new_episodes tests/test_thumbnails.py --imagegen-base-url=emulator",
        why=OFFLINE,
    ),
    "git diff cassettes/": Plan("project"),
    "imagegen-cassettes verify cassettes/": Plan("project"),
    "OPENAI_API_KEY=sk-... pytest --imagegen-drift": Plan(
        "project", run="pytest --imagegen-drift --imagegen-base-url=emulator", why=OFFLINE
    ),
    "OPENAI_API_KEY=sk-... pytest --imagegen-drift=update": Plan(
        "project", run="pytest --imagegen-drift=update --imagegen-base-url=emulator", why=OFFLINE
    ),
    "imagegen-cassettes diff old_cassettes/ cassettes/": Plan("project"),
    "imagegen-cassettes diff --git HEAD": Plan("project"),
    "imagegen-cassettes diff --git main cassettes/tests/": Plan("project"),
    "imagegen-cassettes prune --orphans --dry-run cassettes/": Plan("project"),
    "imagegen-cassettes prune --orphans cassettes/": Plan("project"),
    "imagegen-cassettes prune cassettes/": Plan("project"),
    "imagegen-cassettes prune --force cassettes/": Plan("project"),
    "pytest --imagegen-report=report.html": Plan("project"),
    "python -m pytest_imagegen.emulator --port 8000": Plan(
        "repo", why="started on a free port (8000 may be taken); the curl below goes to it"
    ),
    'curl -s http://127.0.0.1:8000/v1/images/generations -H "Authorization: Bearer sk-test-1234" '
    '-H "Content-Type: application/json" '
    '-d \'{"model": "gpt-image-2", "prompt": "a red apple", "size": "64x64"}\'': Plan("repo"),
    "imagegen-cassettes verify cassettes/ ": Plan("repo"),  # the tooling block's (see _key)
    "imagegen-cassettes scrub --dry-run old_cassettes/": Plan("repo"),
    "imagegen-cassettes scrub old_cassettes/": Plan("repo"),
    "imagegen-cassettes scrub --redact-header X-Trace --redact-pattern 'tok_[A-Za-z0-9]+' --secret-env "
    "MY_TOKEN old_cassettes/": Plan("repo"),
    "imagegen-cassettes stats cassettes/": Plan("repo"),
    "imagegen-cassettes show cassettes/examples/test_streaming/test_partial_images_then_the_final_one.json": Plan(
        "repo"
    ),
    "imagegen-cassettes diff --git HEAD ": Plan("repo"),  # the tooling block's (see _key)
    "imagegen-cassettes prune --orphans --dry-run cassettes/ ": Plan("repo"),  # the tooling block's
    "imagegen-cassettes report cassettes/ -o report.html": Plan("repo"),
    ".venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy": Plan("repo", alone=True),
    ".venv/bin/python benchmarks/cassette_size.py": Plan("repo", alone=True),
    "python3 -m venv .venv-bench && .venv-bench/bin/pip install -e '.[bench]' && .venv-bench/bin/python "
    "benchmarks/speed.py": Plan(
        "repo",
        skip="the bench extra (pytest-recording) is not installed here and would come from the package "
        "index; speed.py needs it",
    ),
}


def readme_commands() -> list[tuple[int, str]]:
    """``(block number, command)`` for every command of every ``bash`` block, in README order."""
    found: list[tuple[int, str]] = []
    for number, block in enumerate(re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)):
        pending = ""
        for raw in block.splitlines():
            line = raw.strip()
            if not pending and (not line or line.startswith("#")):
                continue
            if line.endswith("\\"):
                pending += line[:-1].strip() + " "
                continue
            command = _strip_comment(pending + line)
            pending = ""
            found.append((number, command))
    return found


def _strip_comment(command: str) -> str:
    """The command without a trailing ``# comment`` (a ``#`` inside quotes is kept)."""
    quoted = False
    for i, char in enumerate(command):
        if char in "'\"":
            quoted = not quoted
        if char == "#" and not quoted and (i == 0 or command[i - 1] == " "):
            return command[:i].rstrip()
    return command.rstrip()


#: Blocks whose commands repeat an earlier block's word for word, keyed apart by a trailing space.
_TOOLING_BLOCK_MARK = "imagegen-cassettes show"


def _key(commands: list[tuple[int, str]]) -> Iterator[tuple[str, str]]:
    """``(plan key, command)``: a command repeated in the cassette tooling block gets a trailing space."""
    tooling = next((n for n, c in commands if c.startswith(_TOOLING_BLOCK_MARK)), None)
    seen: set[str] = set()
    for number, command in commands:
        key = command
        if key in seen and number == tooling:
            key += " "
        seen.add(key)
        yield key, command


def test_every_readme_command_has_a_plan() -> None:
    keys = [key for key, _ in _key(readme_commands())]
    assert sorted(set(keys) - set(PLANS)) == [], "README commands this test does not know how to run"
    assert sorted(set(PLANS) - set(keys)) == [], "commands this test runs that the README no longer has"


# --- pip specs -------------------------------------------------------------------------------------------


def _pip_specs(command: str) -> list[str]:
    """The requirement specs of a ``pip install`` command (its words after ``install`` but options)."""
    words = shlex.split(command)
    return [w for w in words[words.index("install") + 1 :] if not w.startswith("-")]


def test_every_pip_install_spec_names_this_project_and_its_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = set(project["optional-dependencies"])
    checked = 0
    for _, command in readme_commands():
        for part in command.split("&&"):
            if "pip install" not in part:
                continue
            for spec in _pip_specs(part):
                name, _, rest = spec.partition("[")
                assert name in (".", project["name"]), f"{spec}: not this project"
                wanted = set(rest.rstrip("]").split(",")) if rest else set()
                assert wanted <= extras, f"{spec}: no such extra in pyproject.toml"
                checked += 1
    assert checked >= 4


# --- running them ----------------------------------------------------------------------------------------


def _environment() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "AZURE_OPENAI_", "GEMINI_", "GOOGLE_API", "IMAGEGEN_", "PYTEST_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["MY_TOKEN"] = "tok_ReadmeExampleToken0123"  # the variable the scrub example names with --secret-env
    return env


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=readme@example.com", "-c", "user.name=readme", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _as_run(command: str, plan: Plan) -> str:
    """What runs: the plan's form, ``pip install`` parts dropped (checked above), ``.venv/bin`` mapped."""
    text = plan.run or command
    parts = [p.strip() for p in text.split("&&") if "pip install" not in p]
    return " && ".join(parts).replace(".venv/bin/", f"{BIN}/")


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, shell=True, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=GUARD
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the repository's tracked files, committed to a fresh repository (branch main)."""
    copy = tmp_path / "repo"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    _git(copy, "init", "-q", "-b", "main")
    _git(copy, "add", "-A")
    _git(copy, "commit", "-qm", "copy")
    return copy


def _quick_start_test() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    return next(b for b in blocks if b.startswith("# test_thumbnails.py"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The quick start's project: its test file in ``tests/``, a git repository on branch main."""
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    (root / "tests/test_thumbnails.py").write_text(_quick_start_test())
    _git(root, "init", "-q", "-b", "main")
    return root


def _prepare(command: str, cwd: Path) -> None:
    """What the README's reader has at hand before a command: commits, and old cassettes to compare."""
    if command.startswith("git diff") or command.startswith("imagegen-cassettes diff --git"):
        _git(cwd, "add", "-A")
        _git(cwd, "commit", "-qm", "recorded", "--allow-empty")
    if "old_cassettes/" in command and not (cwd / "old_cassettes").exists():
        shutil.copytree(cwd / "cassettes", cwd / "old_cassettes")


def _run_all(where: str, cwd: Path, alone: str | None = None) -> list[str]:
    """Run the commands planned ``where`` in ``cwd``, in README order: the one keyed ``alone``, or (None)
    every one not planned to run alone."""
    failures: list[str] = []
    emulator: subprocess.Popen[str] | None = None
    port = ""
    try:
        for key, command in _key(readme_commands()):
            plan = PLANS[key]
            if plan.where != where or plan.skip or (key != alone if alone else plan.alone):
                continue
            if command.startswith("python -m pytest_imagegen.emulator"):
                emulator = subprocess.Popen(
                    [sys.executable, "-m", "pytest_imagegen.emulator", "--port", "0"],
                    cwd=cwd,
                    env=_environment(),
                    stdout=subprocess.PIPE,
                    text=True,
                )
                assert emulator.stdout is not None
                first = emulator.stdout.readline()
                found = re.search(r"http://127\.0\.0\.1:(\d+)/v1", first)
                assert found, f"the emulator printed {first!r}, not its URL"
                port = found.group(1)
                continue
            _prepare(command, cwd)
            text = _as_run(command, plan)
            if command.startswith("curl"):
                text = text.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            done = _run(text, cwd)
            if done.returncode != 0:
                failures.append(
                    f"{command!r} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
                )
            elif command.startswith("curl"):
                assert '"b64_json"' in done.stdout, done.stdout[:500]
    finally:
        if emulator is not None:
            emulator.terminate()
            emulator.wait(GUARD)
    return failures


@pytest.mark.slow
def test_the_repository_commands_run(repo: Path) -> None:
    assert _run_all("repo", repo) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "key", [key for key, plan in PLANS.items() if plan.alone], ids=lambda key: key.split("&& ")[-1][:48]
)
def test_a_long_repository_command_runs_in_a_copy_of_its_own(repo: Path, key: str) -> None:
    assert _run_all("repo", repo, alone=key) == []


@pytest.mark.slow
def test_the_quick_start_project_commands_run(project: Path) -> None:
    assert _run_all("project", project) == []
    assert sorted(p.name for p in (project / "cassettes/tests/test_thumbnails").glob("*.json")) == [
        "test_generate.json",
        "test_stream.json",
    ]
