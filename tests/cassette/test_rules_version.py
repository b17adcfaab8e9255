"""The index is trusted by ``RULES_VERSION``, not by the bytes of the plugin's source.

Each committed example cassette ends with an index (match keys and contract verdicts). These tests
recompute both from the interactions with today's code and compare: they fail only when what a key or
a verdict means has changed, and then say what to do (bump ``RULES_VERSION``, re-stamp the examples).
A change of comments, layout or line endings changes nothing here (see
``tests/own_code/test_rerecording.py`` for the same promise through a whole re-recording).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_imagegen.cassette import checks, index, match, storage
from pytest_imagegen.config import DEFAULT_MATCH_ON

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "cassettes" / "examples").rglob("*.json"))

BUMP = (
    "the index of {path} no longer agrees with what today's code computes for interaction {i} "
    "({what}): the meaning of match keys or verdicts changed. Bump RULES_VERSION in "
    "pytest_imagegen/cassette/index.py and re-stamp the examples with `pytest examples "
    "--imagegen-base-url=emulator --imagegen-record=rewrite`"
)


def test_there_are_example_cassettes_to_check() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_committed_index_is_what_todays_rules_compute(path: Path) -> None:
    document = storage.read_document(path)
    assert document is not None
    trusted = index.read_index(
        document.index, document.indexed_text, len(document.interactions), DEFAULT_MATCH_ON
    )
    assert trusted is not None, f"the index of {path} is not trusted: re-stamp the examples"
    assert trusted.match_keys is not None
    for i, interaction in enumerate(document.interactions):
        key = index.match_key(match.fingerprint(interaction["request"], DEFAULT_MATCH_ON))
        assert key == trusted.match_keys[i], BUMP.format(path=path, i=i, what="match key")
        verdict = checks.contract_problems(interaction)
        assert verdict == trusted.problems[i], BUMP.format(path=path, i=i, what="contract verdict")


def test_the_digest_does_not_depend_on_the_source_bytes() -> None:
    built = index.build_index("text", [(None, "0" * 16, [])], DEFAULT_MATCH_ON)
    assert index.read_index(built, "text", 1, DEFAULT_MATCH_ON) is not None
    assert index.read_index(built, "text!", 1, DEFAULT_MATCH_ON) is None
    assert not hasattr(index, "rules_digest")
