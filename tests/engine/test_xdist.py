"""Suites that outgrow one process: record and replay under pytest-xdist with four workers."""

from __future__ import annotations

import pytest

from pytest_imagegen.cassette import storage

SUITE = """
import pytest

@pytest.mark.parametrize("i", range(30))
def test_own(imagegen_openai, i):
    reply = imagegen_openai.images.generate(model="gpt-image-2", prompt=f"own {i}", size="16x16")
    assert reply.data[0].b64_json

# Ten tests, one cassette: under xdist several workers write it at the same moment.
@pytest.mark.imagegen(cassette="shared")
@pytest.mark.parametrize("i", range(10))
def test_shared(imagegen_openai, i):
    reply = imagegen_openai.images.generate(model="gpt-image-2", prompt=f"shared {i}", size="16x16")
    assert reply.data[0].b64_json
"""


def test_four_workers_record_forty_tests_then_replay_them(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    # new_episodes: a shared cassette another worker wrote first still takes this worker's request.
    result = pytester.runpytest_subprocess(
        "-n", "4", "--imagegen-base-url=emulator", "--imagegen-record=new_episodes"
    )
    result.assert_outcomes(passed=40)
    result.stdout.fnmatch_lines(["*imagegen cassettes*", "*31 cassette(s): 0 replayed, 31 recorded*"])

    folder = pytester.path / "cassettes" / "test_suite"
    files = sorted(folder.glob("*.json"))
    assert len(files) == 31
    shared = storage.load_cassette(folder / "shared.json")
    assert shared is not None
    prompts = sorted(i["request"]["body"]["json"]["prompt"] for i in shared)
    assert prompts == sorted(f"shared {i}" for i in range(10)), "a worker's recording was lost"
    for path in files:
        interactions = storage.load_cassette(path)
        assert interactions, f"{path} is empty"
        assert all(i["response"]["status"]["code"] == 200 for i in interactions)
    assert not list(folder.glob(".*.tmp")), "a temporary file was left behind"

    result = pytester.runpytest_subprocess("-n", "4")
    result.assert_outcomes(passed=40)
    result.stdout.fnmatch_lines(["*31 cassette(s): 31 replayed, 0 recorded, 0 with unplayed interactions*"])
