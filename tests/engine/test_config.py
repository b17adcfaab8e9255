"""The one merge of configuration sources, and its priority order."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_imagegen.config import ConfigError, ImagegenConfig, config_from_ini, resolve_config


def test_defaults_replay_only_with_placeholders(tmp_path: Path) -> None:
    config = config_from_ini({}, rootdir=tmp_path)
    assert config.record_mode == "none"
    assert config.payloads == "placeholder"
    assert config.replay_timing == "instant"
    assert config.polling == "collapse"
    assert config.cassette_dir == tmp_path / "cassettes"
    assert config.match_on == ("method", "path", "query", "body")


def test_priority_cli_over_env_over_marker_over_fixture_over_ini(tmp_path: Path) -> None:
    ini = config_from_ini({"record_mode": "once", "payloads": "keep"}, rootdir=tmp_path)
    assert (ini.record_mode, ini.payloads) == ("once", "keep")
    fixture = ini.replace(record_mode="new_episodes")  # a conftest override beats ini
    assert resolve_config(fixture).record_mode == "new_episodes"
    marker = {"record_mode": "all"}
    assert resolve_config(fixture, marker=marker).record_mode == "all"
    env = {"record_mode": "once"}
    assert resolve_config(fixture, marker=marker, env=env).record_mode == "once"
    cli = {"record_mode": "none"}
    assert resolve_config(fixture, marker=marker, env=env, cli=cli).record_mode == "none"
    # Unset (None) values in a higher layer leave the lower one alone.
    assert resolve_config(fixture, marker=marker, cli={"record_mode": None}).record_mode == "all"
    # Values the higher layers do not mention survive from the fixture/ini layers.
    assert resolve_config(fixture, cli=cli).payloads == "keep"


@pytest.mark.parametrize(
    ("layer", "words"),
    [
        ({"record_mode": "sometimes"}, ["record_mode", "'sometimes'", "none, once, new_episodes, all"]),
        ({"payloads": "full"}, ["payloads", "placeholder, keep"]),
        ({"replay_timing": "slow"}, ["replay_timing", "instant, recorded"]),
        ({"polling": "eager"}, ["polling", "'eager'", "collapse, faithful"]),
        ({"match_on": ["method", "headers"]}, ["match_on", "'headers'", "method, scheme, host"]),
        ({"colour": "blue"}, ["unknown option", "colour"]),
        ({"redact_patterns": ["(unclosed"]}, ["redact_patterns", "regular expression"]),
    ],
)
def test_bad_values_name_the_option_and_list_valid_ones(layer: dict[str, object], words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_config(ImagegenConfig(), marker=layer)
    for word in words:
        assert word in str(info.value)
    assert str(info.value).startswith("marker:")


def test_string_forms_from_ini_and_env_are_coerced(tmp_path: Path) -> None:
    config = config_from_ini(
        {"match_on": "method path body host", "cassette_dir": "tapes", "redact_user": "yes"}, rootdir=tmp_path
    )
    assert config.match_on == ("method", "path", "body", "host")
    assert config.cassette_dir == tmp_path / "tapes"
    assert config.redact_user is True
    with pytest.raises(ConfigError, match="true or false"):
        config_from_ini({"redact_user": "perhaps"}, rootdir=tmp_path)


def test_polling_from_ini_marker_and_fixture(tmp_path: Path) -> None:
    ini = config_from_ini({"polling": "faithful"}, rootdir=tmp_path)
    assert ini.polling == "faithful"
    assert resolve_config(ini.replace(polling="collapse")).polling == "collapse"  # fixture over ini
    assert (
        resolve_config(ini.replace(polling="collapse"), marker={"polling": "faithful"}).polling == "faithful"
    )
    assert resolve_config(ini, marker={"polling": None}).polling == "faithful"
