"""Cassette path rules."""

from __future__ import annotations

from pathlib import Path

from pytest_imagegen.cassette.paths import cassette_path, safe_name

ROOT = Path("/repo/cassettes")


def test_one_file_per_test_under_the_module_path() -> None:
    assert (
        cassette_path(ROOT, "tests/test_api.py::test_generate") == ROOT / "tests/test_api/test_generate.json"
    )
    assert cassette_path(ROOT, "tests/test_api.py::TestEdits::test_mask") == (
        ROOT / "tests/test_api/TestEdits.test_mask.json"
    )


def test_parametrize_ids_are_made_filename_safe() -> None:
    path = cassette_path(ROOT, "tests/test_api.py::test_size[256x256-a/b c?]")
    assert path.parent == ROOT / "tests/test_api"
    assert path.name == "test_size-256x256-a_b_c.json"
    assert "/" not in path.name
    assert "?" not in path.name


def test_long_names_are_shortened_with_a_hash_and_stay_distinct() -> None:
    long_a = "test_x[" + "a" * 300 + "]"
    long_b = "test_x[" + "a" * 299 + "b]"
    name_a, name_b = safe_name(long_a), safe_name(long_b)
    assert len(name_a) <= 120
    assert len(name_b) <= 120
    assert name_a != name_b


def test_marker_override_names_a_shared_cassette() -> None:
    assert cassette_path(ROOT, "tests/test_api.py::test_a", "shared") == ROOT / "tests/test_api/shared.json"
    assert cassette_path(ROOT, "tests/test_api.py::test_a", "common/otter.json") == ROOT / "common/otter.json"
    assert cassette_path(ROOT, "tests/test_api.py::test_a", "/abs/x") == Path("/abs/x.json")
