"""Configuration that must be refused (issue 11, break 8).

Before: ``match_on=[]`` was accepted, and then every request got the first unplayed reply;
``replace(strict=2)`` was accepted and ``cassette_dir=123`` raised a raw ``TypeError``; bad ini values
(``imagegen_record_mode = bogus``) made every test error at setup and pytest exit 1. Now each is a
``ConfigError`` naming the option, and an ini one a ``pytest.UsageError`` before any test runs (exit 4).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pytest_imagegen.config import ConfigError, ImagegenConfig, config_from_ini, resolve_config


@pytest.mark.parametrize(
    "match_on",
    [(), ("body",), ("method", "body"), ("path", "query", "body"), ("host", "port")],
)
def test_a_match_without_method_and_path_is_refused(match_on: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError, match="leaves out"):
        ImagegenConfig(match_on=match_on)
    with pytest.raises(ConfigError, match=r"marker: match_on .* every request would be answered"):
        resolve_config(ImagegenConfig(), marker={"match_on": list(match_on)})
    assert ImagegenConfig(match_on=("path", "method")).match_on == ("path", "method")


BAD_VALUES: list[tuple[str, Any, str]] = [
    ("strict", 2, "strict must be True or False, got 2"),
    ("check_contract", 0, "check_contract must be True or False"),
    ("redact_user", [True], "redact_user must be True or False"),
    ("cassette_dir", 123, "cassette_dir must be a path (str or pathlib.Path), got 123"),
    ("record_mode", 1, "record_mode must be a string, got 1"),
    ("payloads", ["keep"], "payloads must be a string"),
    ("replay_timing", 3.5, "replay_timing must be a string"),
    ("base_url", 8080, "base_url must be a string or None, got 8080"),
    ("cassette", Path("x"), "cassette must be a string or None"),
    ("redact_headers", [1, 2], "redact_headers must be a list of strings"),
    ("secret_values", b"key", "secret_values must be a list of strings"),
    ("allowed_hosts", 5, "allowed_hosts must be a list of strings"),
    ("match_on", {"method": 1}, "match_on must be a list of strings"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES, ids=[case[0] for case in BAD_VALUES])
def test_every_field_is_type_checked_with_a_clear_config_error(name: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"replace(): {message}")):
        ImagegenConfig().replace(**{name: value})
    with pytest.raises(ConfigError, match=re.escape(message)):
        ImagegenConfig(**{name: value})


def test_the_string_forms_that_ini_and_environment_give_are_still_parsed(tmp_path: Path) -> None:
    config = ImagegenConfig().replace(strict="yes", cassette_dir="tapes", match_on="method path body")
    assert (config.strict, config.cassette_dir, config.match_on) == (
        True,
        Path("tapes"),
        ("method", "path", "body"),
    )
    assert config_from_ini({"match_on": ["method", "path"]}, rootdir=tmp_path).match_on == ("method", "path")


GENERATE = """
import pathlib

def test_never_runs():
    pathlib.Path("ran").write_text("a test ran")
"""


@pytest.mark.parametrize(
    ("ini", "words"),
    [
        ("imagegen_record_mode = bogus", ["invalid record_mode 'bogus'", "none, once, new_episodes, all"]),
        ("imagegen_match_on = method bogus", ["invalid match_on 'bogus'", "method, scheme, host"]),
        ("imagegen_match_on = body", ["leaves out method and path"]),
        ("imagegen_payloads = everything", ["invalid payloads 'everything'", "placeholder, keep"]),
    ],
)
def test_bad_ini_values_stop_the_run_before_any_test(
    pytester: pytest.Pytester, ini: str, words: list[str]
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_x=GENERATE)
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "pytest-imagegen: invalid imagegen_* setting in " in err
    assert "tox.ini" in err
    for word in words:
        assert word in err
    assert not (pytester.path / "ran").exists()
