"""Cassettes for the command-line tests, made the way users make them: recorded from the emulator.

``recorded_dir`` holds cassettes the plugin recorded (JSON reply, stream, edit upload, error reply, a
dall-e-3 URL reply); ``legacy_cassette`` is a plain vcrpy cassette recorded with vcrpy itself, holding
a bearer key and a multi-megabyte image. Both are made once per session; tests work on copies.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
import vcr
from PIL import Image

from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.cli import main
from pytest_imagegen.client import ImagegenClient
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.emulator import Emulator

# The shape of a real project key; the emulator accepts any key starting with "sk-".
PLANTED_KEY = "sk-proj-" + "Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBaZyXw"
LEGACY_PROMPT = "a lighthouse at dusk"


def small_png(size: tuple[int, int] = (64, 64), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else 128).save(out, "PNG")
    return out.getvalue()


def _record_clean(emulator: Emulator, cassette_dir: Path) -> None:
    emulator.reset()
    config = ImagegenConfig(cassette_dir=cassette_dir, record_mode="once")
    key = "sk-test-cli"
    with (
        open_cassette(config, "tests/test_app.py::test_images"),
        ImagegenClient(base_url=emulator.base_url, api_key=key) as client,
    ):
        client.generate("a red fox", model="gpt-image-2", size="64x64", output_format="webp")
        list(client.generate_stream("a fox, streamed", model="gpt-image-2", size="64x64", partial_images=2))
        client.edit(("fox.png", small_png(), "image/png"), "give it a hat", model="gpt-image-2", size="64x64")
    with (
        open_cassette(config, "tests/test_app.py::test_sdk"),
        openai.OpenAI(base_url=emulator.base_url, api_key=key, max_retries=0) as sdk,
    ):
        sdk.images.generate(model="dall-e-3", prompt="a watercolour fox", response_format="url")
        # The SDK does not validate: the service's own 400 is recorded (a test of an error case).
        with pytest.raises(openai.BadRequestError):
            sdk.images.generate(model="gpt-image-2", prompt="too small", size="10x10")


@pytest.fixture(scope="session")
def recorded_dir(imagegen_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of cassettes recorded through the plugin (read only: copy before changing)."""
    root = tmp_path_factory.mktemp("recorded")
    _record_clean(imagegen_emulator, root)
    return root


@pytest.fixture
def cassettes(recorded_dir: Path, tmp_path: Path) -> Path:
    """A private copy of ``recorded_dir``."""
    target = tmp_path / "cassettes"
    shutil.copytree(recorded_dir, target)
    return target


@pytest.fixture(scope="session")
def legacy_original(imagegen_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain vcrpy cassette, recorded by vcrpy from the emulator: gzip body as ``!!binary``, the bearer
    key in the request headers, a 1024x1024 PNG (megabytes of base64) in the reply."""
    imagegen_emulator.reset()
    path = tmp_path_factory.mktemp("legacy") / "test_lighthouse.yaml"
    with (
        vcr.VCR().use_cassette(str(path)),
        ImagegenClient(base_url=imagegen_emulator.base_url, api_key=PLANTED_KEY) as client,
    ):
        client.generate(LEGACY_PROMPT, model="gpt-image-1", size="1024x1024", quality="low")
    return path


@pytest.fixture
def legacy_cassette(legacy_original: Path, tmp_path: Path) -> Path:
    """A private copy of the vcrpy cassette."""
    target = tmp_path / "legacy" / legacy_original.name
    target.parent.mkdir()
    shutil.copyfile(legacy_original, target)
    return target


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run ``imagegen-cassettes`` in-process; argparse's exits become a return code."""

    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
