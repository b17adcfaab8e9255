"""The engine loads no HTTP library and no vcrpy for an application that does not use them, and patches a
library only once the application has imported it, even when that happens while a cassette is open.

Each check runs in a fresh interpreter (a subprocess), as a pytest run starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from pytest_imagegen.emulator import Emulator
from tests.engine.conftest import Tape

ASK = {"model": "gpt-image-2", "prompt": "a red fox", "size": "64x64"}
OTHERS = ("vcr", "requests", "aiohttp", "urllib3", "botocore", "boto3")

SCRIPT = """
import json, sys
from pathlib import Path
import httpx
from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.config import ImagegenConfig

config = ImagegenConfig(cassette_dir=Path(sys.argv[1]), record_mode="none")
with open_cassette(config, sys.argv[2]) as cassette:
    httpx.post("http://127.0.0.1:9/v1/images/generations", json=%(ask)r)
    assert cassette.all_played
    loaded = sorted(m for m in %(others)r if m in sys.modules)
    import requests  # the application imports it while the cassette is open
    from urllib3.connectionpool import HTTPConnectionPool
    patched = getattr(HTTPConnectionPool.urlopen, "imagegen_stub", False)
print(json.dumps({"loaded": loaded, "patched later": patched}))
"""


def test_replaying_an_httpx_call_imports_no_other_http_library_and_a_later_import_is_patched(
    tape: Tape, imagegen_emulator: Emulator
) -> None:
    with tape.open("once"):
        httpx.post(f"{imagegen_emulator.base_url}/images/generations", json=ASK, timeout=60)
    script = SCRIPT % {"ask": ASK, "others": OTHERS}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tape.config.cassette_dir), tape.test_id],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    found = json.loads(done.stdout.splitlines()[-1])
    assert found == {"loaded": [], "patched later": True}
