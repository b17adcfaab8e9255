"""The keys application code finds in the environment (issue 20, break 12).

Before: a cassette wrote its dummy keys to ``os.environ`` directly and restored them when it closed, before
the test's own ``monkeypatch`` was undone; a test that called ``monkeypatch.setenv("OPENAI_API_KEY", ...)``
had the dummy put back by that undo, for every later test. And an application that builds its client at
import (``client = openai.OpenAI()``) failed at collection in a replay-only session with no key. Now the
cassette's changes go through the test's ``monkeypatch`` (undone last in, first out with the test's own),
and a session that cannot record has the dummies from its start; a test can still delete them.
"""

from __future__ import annotations

import pytest

from pytest_imagegen.errors import DUMMY_API_KEY

KEYS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_BASE_URL")

LIFO = """
import os

import pytest


def test_a_key_set_by_the_test_after_its_cassette_opened(monkeypatch, imagegen_cassette):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-test-s-own-key-0123456789")


def test_b_nothing_is_left_behind():
    assert "OPENAI_API_KEY" not in os.environ


def test_c_the_cassette_first_then_the_key(imagegen_cassette, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-test-s-own-key-0123456789")
    monkeypatch.delenv("AZURE_OPENAI_API_KEY")


def test_d_nothing_is_left_behind():
    assert "OPENAI_API_KEY" not in os.environ
    assert "AZURE_OPENAI_API_KEY" not in os.environ
"""

APP = """
import openai

client = openai.OpenAI()  # built at import: needs a key in the environment


def draw(prompt):
    return client.images.generate(model="gpt-image-2", prompt=prompt, size="64x64").data[0].b64_json
"""

TEST_APP = """
import os

import openai
import pytest

import app  # imported at collection, before any test or cassette


@pytest.mark.imagegen
def test_draw():
    assert app.draw("a fox")


def test_the_application_without_a_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(openai.OpenAIError):
        openai.OpenAI()


def test_the_dummy_is_back():
    assert os.environ["OPENAI_API_KEY"] == "sk-imagegen-fake-key-none-is-set"
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    pytester.syspathinsert()
    return pytester


def test_the_cassette_s_changes_are_undone_with_the_test_s_own_in_order(project: pytest.Pytester) -> None:
    project.makepyfile(test_env=LIFO)
    # A session that can record (from the emulator): no dummy is set for the whole session, so what a test
    # leaves behind is seen by the next.
    result = project.runpytest("--imagegen-record=once", "--imagegen-base-url=emulator")
    result.assert_outcomes(passed=4)


def test_a_client_built_at_import_collects_in_replay_with_no_key(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(app=APP, test_app=TEST_APP)
    with monkeypatch.context() as recording:
        recording.setenv("OPENAI_API_KEY", "sk-only-for-recording-0123456789")
        recorded = project.runpytest("--imagegen-record=once", "--imagegen-base-url=emulator", "-k", "draw")
        recorded.assert_outcomes(passed=1)
    replayed = project.runpytest()  # no key, record mode none: the dummy is there before collection
    replayed.assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("mode", "base_url", "key", "dummies"),
    [
        ("none", None, None, True),
        (None, None, None, True),  # the default mode is none
        ("none", None, "sk-real-key-for-recording", True),  # the others still get one
        ("once", None, None, True),  # nothing to record with: a recording would be refused anyway
        ("once", "emulator", None, False),  # each cassette sets the dummies while it is open
        ("once", None, "sk-real-key-for-recording", False),
    ],
)
def test_which_sessions_have_the_dummies_from_their_start(
    mode: str | None, base_url: str | None, key: str | None, dummies: bool
) -> None:
    from pytest_imagegen.cassette.environment import session_keys

    environ = {} if key is None else {"OPENAI_API_KEY": key}
    before = dict(environ)
    undo = session_keys(mode, base_url, environ)
    if dummies:
        assert environ["AZURE_OPENAI_API_KEY"] == DUMMY_API_KEY
        assert environ["OPENAI_API_KEY"] == (key or DUMMY_API_KEY)
    else:
        assert environ == before
    undo()
    assert environ == before


def test_environment_changes_are_undone_last_in_first_out() -> None:
    from pytest_imagegen.cassette.environment import Environment

    environ = {"A": "1"}
    first, second = Environment(environ), Environment(environ)
    first.setenv("A", "2")
    first.setenv("B", "x")
    second.setenv("A", "3")
    second.undo()
    assert environ == {"A": "2", "B": "x"}
    first.undo()
    assert environ == {"A": "1"}


def test_the_session_s_key_variables_are_the_built_in_shapes() -> None:
    # The session sets its dummies before the registry is loaded (that loads the contract and Pillow), from
    # a copy of the built-in shapes' variables; a cassette asks the registry. They must agree.
    from pytest_imagegen.cassette.environment import KEY_ALTERNATIVES, KEY_VARIABLES
    from pytest_imagegen.contract import registry

    assert registry.key_variables() == KEY_VARIABLES
    assert set(KEY_ALTERNATIVES) == set(registry.key_alternatives())
