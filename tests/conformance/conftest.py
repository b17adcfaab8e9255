"""Fixtures for the conformance tests: the session emulator with every reply part it sends recorded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_imagegen.emulator import Emulator, ReplyPart

from .schema import problems

API_KEY = "sk-test-conformance-1234"


@dataclass
class Sent:
    """Every JSON reply body and stream event the emulator sent, as a reply transform saw it."""

    parts: list[ReplyPart] = field(default_factory=list)

    def __call__(self, part: ReplyPart) -> None:
        self.parts.append(part)

    def problems(self) -> list[str]:
        found: list[str] = []
        for part in self.parts:
            where = f"{part.path} {part.status}" + ("" if part.event is None else f" event {part.event}")
            found += [
                f"{where}: {p}" for p in problems(part.path, part.status, part.document, event=part.event)
            ]
        return found

    def kinds(self) -> list[Any]:
        return [part.document.get("type", part.document.get("object")) for part in self.parts]


@pytest.fixture
def sent(imagegen_emulator: Emulator) -> Iterator[Sent]:
    """What the session emulator sends during the test (its log and faults reset around it)."""
    record = Sent()
    imagegen_emulator.reset()
    imagegen_emulator.transform_replies(record)
    try:
        yield record
    finally:
        imagegen_emulator.transform_replies(None)
        imagegen_emulator.reset()
