"""The README's quick start, run literally in a fresh project folder, so the README cannot drift from the truth.

Its Python block is written to the file its first line names; every ``pytest`` line of its command block
is run as it stands (pytest started as a subprocess, no key, no base URL in the environment): record
from the bundled emulator, then replay offline. Its install line must name an extra that brings what the
quick start uses.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def quick_start() -> tuple[list[str], list[str]]:
    """The quick start section's code blocks: (python blocks, command lines)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
    python = [body for lang, body in blocks if lang == "python"]
    commands = [
        line.split("#", 1)[0].strip()
        for lang, body in blocks
        if lang == "bash"
        for line in body.splitlines()
        if line.split("#", 1)[0].strip()
    ]
    return python, commands


def test_the_install_line_names_an_extra_with_everything_the_quick_start_uses() -> None:
    _, commands = quick_start()
    # From a clone (-e '.[all]') and from a package index ('pytest-imagegen[all]'): the same extra.
    installs = [c for c in commands if c.startswith("pip install")]
    assert [re.sub(r"\[\w+\]", "[X]", c) for c in installs] == [
        "pip install -e '.[X]'",
        "pip install 'pytest-imagegen[X]'",
    ]
    install = installs[-1]
    assert re.search(r"\[(\w+)\]", installs[0]).group(1) == re.search(r"\[(\w+)\]", install).group(1)  # type: ignore[union-attr]
    extra = re.fullmatch(r"pip install 'pytest-imagegen\[(\w+)\]'", install)
    assert extra, install
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]

    def requirements(name: str) -> set[str]:
        found: set[str] = set()
        for requirement in extras[name]:
            inner = re.fullmatch(r"pytest-imagegen\[([\w,]+)\]", requirement)
            if inner:
                for sub in inner.group(1).split(","):
                    found |= requirements(sub)
            else:
                found.add(re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0])
        return found

    assert {"openai", "starlette", "uvicorn", "python-multipart"} <= requirements(extra.group(1))


def test_the_quick_start_records_from_the_emulator_then_replays_offline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "IMAGEGEN_RECORD_MODE"):
        monkeypatch.delenv(name, raising=False)
    python, commands = quick_start()
    for block in python:
        first = block.splitlines()[0]
        assert re.fullmatch(r"# \w+\.py", first), "a Python block names its file on its first line"
        (pytester.path / first[2:]).write_text(block)
    runs = [shlex.split(c) for c in commands if c.startswith("pytest")]
    assert len(runs) == 2, commands
    for args in runs:
        result = pytester.runpytest_subprocess(*args[1:])
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["*2 cassette(s): 2 replayed, 0 recorded*"])
    assert sorted(p.name for p in (pytester.path / "cassettes").rglob("*.json")) == [
        "test_generate.json",
        "test_stream.json",
    ]
