"""The terminal summary merges outcomes of tests (and workers) that share a cassette."""

from __future__ import annotations

from pytest_imagegen.run.verdict import summary_lines


def test_shared_cassette_counts_an_interaction_played_by_any_test() -> None:
    outcomes = [
        {"path": "c/shared.yaml", "loaded": 3, "played": [0], "recorded": 0},
        {"path": "c/shared.yaml", "loaded": 3, "played": [2], "recorded": 0},
        {"path": "c/own.yaml", "loaded": 1, "played": [0], "recorded": 0},
        {"path": "c/new.yaml", "loaded": 0, "played": [], "recorded": 2},
    ]
    lines = summary_lines(outcomes)
    assert lines[0] == "3 cassette(s): 2 replayed, 1 recorded, 1 with unplayed interactions"
    assert "  recorded: c/new.yaml" in lines
    assert "  unplayed: c/shared.yaml (1 interaction(s) never played)" in lines


def test_no_cassettes_no_section() -> None:
    assert summary_lines([]) == []
