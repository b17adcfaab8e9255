"""Settings and surroundings that cannot work are messages, not crashes (issue 20, break 14).

Before: a read-only or immutable ``.pytest_cache/d/imagegen`` made every test error (a ``chmod`` in the
plugin's settings), though a replay writes nothing; a marker's cassette name of 300 characters or with a
NUL gave an INTERNALERROR that lost the rest of the run; ``imagegen_max_age = 99999999999999999999d`` was
an ``OverflowError`` (exit status 3, not 4); ``--imagegen-cassette-dir=`` (empty) silently wrote cassettes
next to the test modules; ``--imagegen-cassette-dir=pytest.ini`` gave a raw ``NotADirectoryError`` per
test; under ``-n 2`` a bad marker argument's usage message was lost to an xdist INTERNALERROR.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

GENERATE = """
import openai
import pytest


@pytest.mark.imagegen
def test_generate():
    assert openai.OpenAI().images.generate(model="gpt-image-2", prompt="a fox", size="64x64").data
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "IMAGEGEN_RECORD_MODE"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_app=GENERATE)
    pytester.makeini("[pytest]\n")
    return pytester


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` made unwritable, and unchangeable in mode, even for root: immutable (``chattr +i``)
    when running as root, read-only otherwise."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], check=False).returncode != 0:
        pytest.skip("running as root where chattr +i is not available: no folder is read-only to root")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_a_read_only_cache_folder_does_not_stop_a_replay(project: pytest.Pytester) -> None:
    project.runpytest("--imagegen-record=once", "--imagegen-base-url=emulator").assert_outcomes(passed=1)
    private = project.path / ".pytest_cache" / "d" / "imagegen"
    assert private.is_dir()
    private.chmod(0o755)  # as a copy or a checkout may have left it: the plugin would narrow it
    with unwritable(private):
        result = project.runpytest()
        result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*replay records not written to *imagegen*: `imagegen-cassettes prune` cannot use this run"]
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a" * 300, "*is 300 bytes long; a cassette's file name may have at most 200*"),
        ("bad\\0name", "*is not a file name: it holds a NUL character*"),
    ],
)
def test_a_cassette_name_no_file_system_takes_is_a_usage_error(
    project: pytest.Pytester, name: str, message: str
) -> None:
    project.makepyfile(
        test_named=f"""
        import pytest

        @pytest.mark.imagegen(cassette="{name}")
        def test_named():
            pass

        def test_other():
            pass
        """
    )
    result = project.runpytest("test_named.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*test_named.py::test_named: marker: {message}"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_max_age_too_long_for_python_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nimagegen_max_age = 99999999999999999999d\n")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*invalid imagegen_* setting*max_age*longer than any duration Python can hold*"]
    )


def test_an_empty_cassette_dir_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest(
        "--imagegen-cassette-dir=", "--imagegen-record=once", "--imagegen-base-url=emulator"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*command line: cassette_dir is empty; name a folder*"])
    assert not list(project.path.rglob("*.json"))


def test_a_cassette_dir_that_is_a_file_is_a_usage_error(project: pytest.Pytester) -> None:
    (project.path / "pytest.ini").write_text("[pytest]\n")
    result = project.runpytest("--imagegen-cassette-dir=pytest.ini")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*the cassette folder {project.path / 'pytest.ini'} is a file, not a folder*"]
    )


def test_under_xdist_a_bad_marker_argument_is_reported_with_its_message(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_marker="""
        import pytest

        @pytest.mark.imagegen(payloads="everything")
        def test_x():
            pass

        def test_y():
            pass
        """
    )
    result = project.runpytest_subprocess("-n", "2", "-p", "no:hypothesispytest", "test_marker.py")
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert (
        "test_marker.py::test_x: marker: invalid payloads 'everything'; valid values are: placeholder, keep"
        in output
    )
    result.assert_outcomes(passed=1, errors=1)
