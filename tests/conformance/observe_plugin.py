"""A pytest plugin for an inner run (``-p tests.conformance.observe_plugin``): every JSON reply body and stream
event the session's emulator sends is appended, as one JSON line, to the file ``IMAGEGEN_OBSERVE`` names."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from pytest_imagegen.emulator import Emulator, ReplyPart


@pytest.fixture(scope="session", autouse=True)
def _observe_the_emulator(imagegen_emulator: Emulator) -> Iterator[None]:
    with open(os.environ["IMAGEGEN_OBSERVE"], "a", encoding="utf-8") as out:

        def record(part: ReplyPart) -> None:
            line = {"path": part.path, "status": part.status, "event": part.event, "document": part.document}
            out.write(json.dumps(line) + "\n")
            out.flush()

        imagegen_emulator.transform_replies(record)
        yield
        imagegen_emulator.transform_replies(None)
