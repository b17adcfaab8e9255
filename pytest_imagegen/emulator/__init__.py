"""A loopback emulator of the OpenAI Images API, for demos and for recording cassettes in tests.

Real HTTP over a real socket (uvicorn), real multipart and gzip, SSE streams event by event, Pillow-made
images of the requested size and format, and the headers, cookies and error bodies of the real service.

    with Emulator() as emulator:
        client = openai.OpenAI(base_url=emulator.base_url, api_key="sk-test-1234")
"""

from __future__ import annotations

from pytest_imagegen.emulator.app import create_app
from pytest_imagegen.emulator.server import Emulator
from pytest_imagegen.emulator.state import (
    EmulatorState,
    FaultKind,
    FileDigest,
    LoggedRequest,
    ReplyPart,
    ReplyTransform,
)

__all__ = [
    "Emulator",
    "EmulatorState",
    "FaultKind",
    "FileDigest",
    "LoggedRequest",
    "ReplyPart",
    "ReplyTransform",
    "create_app",
]
