"""The plugin as a user meets it: options, record modes, network blocking, cassette files (pytester)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_imagegen.cassette.metadata import entries_of

GENERATE = """
import pytest

@pytest.mark.parametrize("prompt", ["a fox"])
def test_generate(imagegen_openai, imagegen_cassette, prompt):
    reply = imagegen_openai.images.generate(model="gpt-image-2", prompt=prompt, size="64x64")
    assert reply.data[0].b64_json
"""


def cassette_file(pytester: pytest.Pytester, name: str = "test_generate-a_fox.json") -> Path:
    return pytester.path / "cassettes" / "test_gen" / name


def record(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--imagegen-base-url=emulator", *args)


def test_none_is_the_default_and_a_missing_cassette_is_a_miss(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gen=GENERATE)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CassetteMiss*no recorded reply for POST*/images/generations*"])
    result.stdout.fnmatch_lines(["*--imagegen-record=once*"])
    assert not cassette_file(pytester).exists()


def test_once_records_then_replays_offline(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gen=GENERATE)
    record(pytester, "--imagegen-record=once").assert_outcomes(passed=1)
    path = cassette_file(pytester)
    text = path.read_text()
    assert '"b64_json": {"placeholder": {' in text
    result = pytester.runpytest("-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*imagegen cassettes*", "*1 cassette(s): 1 replayed, 0 recorded*"])
    assert path.read_text() == text, "a replay must not rewrite the cassette"


def test_once_with_a_cassette_refuses_new_requests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gen=GENERATE)
    record(pytester, "--imagegen-record=once").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_gen=GENERATE.replace('["a fox"]', '["a fox"], ids=["a fox"]').replace(
            "prompt=prompt", "prompt=prompt + '!'"
        )
    )
    result = record(pytester, "--imagegen-record=once")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*body.prompt: sent 'a fox!', recorded 'a fox'*"])


def test_new_episodes_adds_and_all_rerecords(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gen=GENERATE)
    record(pytester, "--imagegen-record=once").assert_outcomes(passed=1)
    path = cassette_file(pytester)
    first = path.read_text()
    pytester.makepyfile(
        test_gen=GENERATE.replace('["a fox"]', '["a fox"], ids=["a fox"]').replace(
            "    assert reply",
            "    imagegen_openai.images.generate(model='gpt-image-2', prompt='more', size='64x64')\n"
            "    assert reply",
        )
    )
    record(pytester, "--imagegen-record=new_episodes").assert_outcomes(passed=1)
    second = path.read_text()
    assert len(json.loads(second)["interactions"]) == 2

    # The recorded interaction is kept as it was written, the new one appended after it (the metadata
    # before them gains the new one's entry).
    def interactions_text(text: str) -> str:
        return text[text.index('\n "interactions": [\n') : text.index('"index"')]

    assert interactions_text(second).startswith(interactions_text(first).rsplit("\n  }\n ]", 1)[0])
    assert entries_of(json.loads(second)["meta"], 2)[0] == entries_of(json.loads(first)["meta"], 1)[0]
    result = record(pytester, "--imagegen-record=all")
    result.assert_outcomes(passed=1)
    assert len(json.loads(path.read_text())["interactions"]) == 2
    result.stdout.fnmatch_lines(["*1 recorded*"])


def test_environment_and_marker_choose_the_mode_and_cli_wins(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_gen=GENERATE.replace(
            "@pytest.mark.parametrize", "@pytest.mark.imagegen(record_mode='none')\n@pytest.mark.parametrize"
        )
    )
    monkeypatch.setenv("IMAGEGEN_RECORD_MODE", "once")
    record(pytester).assert_outcomes(passed=1)  # environment beats the marker
    cassette_file(pytester).unlink()
    record(pytester, "--imagegen-record=none").assert_outcomes(failed=1)  # the command line beats both


def test_bad_option_and_marker_values_are_usage_errors(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_gen=GENERATE)
    result = pytester.runpytest("--imagegen-record=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'sometimes'*none*once*new_episodes*all*"])

    monkeypatch.setenv("IMAGEGEN_RECORD_MODE", "always")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*IMAGEGEN_RECORD_MODE='always'*valid values are: none, once, new_episodes, all*"]
    )
    monkeypatch.delenv("IMAGEGEN_RECORD_MODE")

    pytester.makepyfile(
        test_marker="""
        import pytest

        @pytest.mark.imagegen(payloads="everything")
        def test_x():
            pass
        """
    )
    result = pytester.runpytest("test_marker.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_marker.py::test_x*payloads 'everything'*placeholder, keep*"])


def test_none_mode_refuses_any_other_connection(pytester: pytest.Pytester, imagegen_emulator: object) -> None:
    port = str(imagegen_emulator.base_url).split(":")[2].split("/")[0]
    pytester.makepyfile(
        test_net=f"""
        import socket
        import urllib.request
        import pytest
        from pytest_imagegen.cassette.network import NetworkBlockedError

        @pytest.mark.imagegen
        def test_socket():
            with pytest.raises(NetworkBlockedError, match="127.0.0.1:{port}.*record mode 'none'"):
                socket.create_connection(("127.0.0.1", {port}))

        @pytest.mark.imagegen
        def test_urllib():
            with pytest.raises(Exception, match="refused"):
                urllib.request.urlopen("http://127.0.0.1:{port}/v1/images/generations")

        def test_unmarked_tests_keep_the_network():
            socket.create_connection(("127.0.0.1", {port})).close()
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_a_corrupt_cassette_is_reported_with_path_and_line_and_kept(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gen=GENERATE)
    path = cassette_file(pytester)
    path.parent.mkdir(parents=True)
    garbage = "version: 1\ninteractions:\n- request: {method: POST\n  oops: [\n"
    path.write_text(garbage)
    for mode in ("none", "once", "all"):
        result = record(pytester, f"--imagegen-record={mode}")
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(
            [f"*CassetteError: cassette {path}:*not valid YAML*", "*The file was not changed*"]
        )
        assert path.read_text() == garbage


def test_an_interrupted_write_leaves_the_old_cassette_intact(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gen=GENERATE)
    record(pytester, "--imagegen-record=once").assert_outcomes(passed=1)
    path = cassette_file(pytester)
    before = path.read_text()
    pytester.makeconftest(
        """
        import pytest
        import pytest_imagegen.cassette.storage as storage

        def interrupted(src, dst):
            raise KeyboardInterrupt("power cut while renaming")

        @pytest.fixture(autouse=True)
        def cut_the_power(monkeypatch):
            storage.os.replace = interrupted  # stays for the save at teardown
        """
    )
    result = pytester.runpytest_subprocess("--imagegen-base-url=emulator", "--imagegen-record=all")
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    assert path.read_text() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name], (
        "no temporary file may be left behind"
    )


def test_the_multipart_edit_replays_in_a_second_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_edit="""
        import io
        from PIL import Image

        def png(colour):
            out = io.BytesIO()
            Image.new("RGBA", (32, 32), colour).save(out, format="PNG")
            return out.getvalue()

        def test_edit(imagegen_openai):
            reply = imagegen_openai.images.edit(
                model="gpt-image-1.5",
                image=[
                    ("a.png", png((255, 0, 0, 255)), "image/png"),
                    ("b.png", png((0, 0, 255, 255)), "image/png"),
                ],
                mask=("m.png", png((0, 0, 0, 0)), "image/png"),
                prompt="merge",
                quality="low",
            )
            assert reply.data[0].b64_json
        """
    )
    pytester.runpytest_subprocess("--imagegen-base-url=emulator", "--imagegen-record=once").assert_outcomes(
        passed=1
    )
    # A new process: new multipart boundaries, no emulator, network blocked.
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
