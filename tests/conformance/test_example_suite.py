"""The example suite recorded from the emulator (into a temporary folder, as the README's re-recording
command does): every reply body and stream event the emulator sent it conforms to the official schema
component for it (Gemini's replies have none: Google's API)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from .schema import component_for, problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_reply_the_example_suite_records_conforms(tmp_path: Path) -> None:
    observed = tmp_path / "sent.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "IMAGEGEN_", "PYTEST_"))}
    env.update(IMAGEGEN_OBSERVE=str(observed), PYTHONPATH=str(ROOT))
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conformance.observe_plugin",
        "examples", "--imagegen-base-url=emulator", "--imagegen-record=rewrite",
        f"--imagegen-cassette-dir={tmp_path / 'cassettes'}",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    parts = [json.loads(line) for line in observed.read_text().splitlines()]
    found = [
        f"{p['path']} {p['status']} event {p['event']}: {problem}"
        for p in parts
        for problem in problems(p["path"], p["status"], p["document"], event=p["event"])
    ]
    assert found == []
    components = Counter(component_for(p["path"], p["status"], p["document"], p["event"]) for p in parts)
    # Every shape of the suite was seen: images, their stream, errors, Responses and its stream, chat, Gemini.
    for component in (
        "ImagesResponse",
        "ImageGenStreamEvent",
        "ErrorResponse",
        "Response",
        "ResponseImageGenCallPartialImageEvent",
        "CreateChatCompletionResponse",
        "CreateChatCompletionStreamResponse",
        None,
    ):
        assert components[component] > 0, (component, components)
