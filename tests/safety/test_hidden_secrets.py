"""A secret hidden where images go, or written another way, never reaches disk (issue 20, breaks 7 and 8).

Before: a key the test sent, base64-encoded by the service into a Responses ``output[].result``, a chat
``data:text/plain;base64,`` URL, a Gemini ``inlineData`` of type ``text/plain``, Imagen's
``bytesBase64Encoded``, any other string field or URL-safe base64 JSON in ``?state=``, was stored
verbatim (in the cassette, in ``--imagegen-drift=update`` and in pieces in the drift report); so was
the key percent-encoded in full, as HTML character references, as ``\\u002d`` escapes,
in hex, in a UTF-16 body, with a zero-width space inside, gzip-compressed in an octet-stream body, a
Basic-auth password echoed in a 401 page, and a signature inside a percent-encoded nested URL or after
``&#38;``, ``;`` or ``\\u0026``.

Each case is recorded through the plugin from a loopback service that answers that way to a request
carrying the key. Either redaction removes the secret (the recording is written and replays) or the leak
scan refuses the write (``SecretLeakError``, nothing written); in both cases no form of it is on disk.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.errors import SecretLeakError
from pytest_imagegen.safety.literals import literals_for
from pytest_imagegen.safety.redact_rules import RedactionRules
from pytest_imagegen.snapshot import redaction_for, snapshot_text
from tests.engine.conftest import Tape
from tests.safety.disk_search import b64_forms, find_secrets
from tests.safety.fakes import fake_google, fake_key
from tests.safety.loopback import Loopback, Reply

KEY = fake_key("hidden")
GOOGLE_KEY = fake_google("hidden")
SIG = "FAKEsigVALUEq7Z3xR9mW2pL5vN8"
GEMINI = "/v1beta/models/gemini-2.5-flash-image:generateContent"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def json_reply(document: object) -> Reply:
    return Reply(body=json.dumps(document).encode())


def text_reply(text: str, content_type: str = "text/html; charset=utf-8", status: int = 200) -> Reply:
    return Reply(status=status, body=text.encode(), headers={"content-type": content_type})


WHERE_IMAGES_GO: dict[str, tuple[str, Reply]] = {
    "a Responses result": (
        "/v1/responses",
        json_reply(
            {"output": [{"type": "image_generation_call", "status": "completed", "result": b64(KEY)}]}
        ),
    ),
    "a chat data:text/plain URL": (
        "/v1/chat/completions",
        json_reply(
            {
                "choices": [
                    {"message": {"images": [{"image_url": {"url": "data:text/plain;base64," + b64(KEY)}}]}}
                ]
            }
        ),
    ),
    "Gemini inlineData as text/plain": (
        GEMINI,
        json_reply(
            {
                "candidates": [
                    {
                        "content": {
                            "parts": [{"inlineData": {"mimeType": "text/plain", "data": b64(GOOGLE_KEY)}}]
                        }
                    }
                ]
            }
        ),
    ),
    "Gemini inlineData as application/json": (
        GEMINI,
        json_reply(
            {
                "candidates": [
                    {
                        "content": {
                            "parts": [
                                {
                                    "inlineData": {
                                        "mimeType": "application/json",
                                        "data": b64(json.dumps({"k": GOOGLE_KEY})),
                                    }
                                }
                            ]
                        }
                    }
                ]
            }
        ),
    ),
    "Imagen bytesBase64Encoded": (
        "/v1beta/models/imagen-4.0-generate-001:predict",
        json_reply({"predictions": [{"mimeType": "image/png", "bytesBase64Encoded": b64(GOOGLE_KEY)}]}),
    ),
    "any other string field": ("/v1/images/generations", json_reply({"data": [], "note": b64(f"key={KEY}")})),
    "URL-safe base64 JSON in ?state=": (
        "/v1/images/generations",
        json_reply(
            {
                "data": [],
                "next": "https://app.example/cb?state="
                + base64.urlsafe_b64encode(json.dumps({"key": KEY}).encode()).decode().rstrip("=")
                + "&x=1",
            }
        ),
    ),
}

OTHER_FORMS: dict[str, Reply] = {
    "percent-encoded in full": text_reply("".join(f"%{b:02X}" for b in KEY.encode())),
    "HTML references for its dashes": text_reply(f"<p>{KEY.replace('-', '&#45;')}</p>"),
    "HTML hex references for every character": text_reply("".join(f"&#x{ord(c):x};" for c in KEY)),
    "\\u002d escapes in a text body": text_reply(KEY.replace("-", "\\u002d"), "text/plain"),
    "hex": text_reply(f"debug: {KEY.encode().hex()}"),
    "a zero-width space inside": text_reply(f"key {KEY[:12]}\u200b{KEY[12:]} refused"),
    "a UTF-16 body": Reply(
        body=f"bad key {KEY}".encode("utf-16"), headers={"content-type": "text/plain; charset=utf-16"}
    ),
    "gzip inside an octet-stream body": Reply(
        body=gzip.compress(f"key={KEY}".encode()), headers={"content-type": "application/octet-stream"}
    ),
}

SIGNATURES: dict[str, str] = {
    "a percent-encoded nested URL": f"https://api.example/get?url=https%3A%2F%2Fcdn%2Fx.png%3Fse%3D1%26sig%3D{SIG}",
    "after &#38;": f'<img src="https://cdn.example/x.png?se=1&#38;sig={SIG}">',
    "after ;": f"https://cdn.example/x.png?se=1;sig={SIG}",
    "after \\u0026": f"cdn.example/x.png?se=1\\u0026sig={SIG}",
}


def on_disk(folder: Path) -> list[str]:
    """Every form of the secrets found in any file under ``folder``."""
    hits = find_secrets(
        folder, {"key": KEY, "google key": GOOGLE_KEY, "signature": SIG, "password": "hunter22secret"}
    )
    literals = literals_for([KEY, GOOGLE_KEY, SIG, "hunter22secret"])
    for path in folder.rglob("*"):
        if path.is_file() and literals.search(path.read_bytes().decode("utf-8", "replace")):
            hits.append(f"{path}: in an encoded form")
    return hits


def record(tmp_path: Path, target: str, reply: Reply, headers: dict[str, str]) -> str:
    """Record one call; 'written' or 'refused'."""
    tape = Tape(tmp_path / "cassettes", "tests/test_x.py::test_hidden")
    try:
        with Loopback(lambda _seen: reply) as service, tape.open("once", check_contract=False) as cassette:
            httpx.post(service.base_url + target, content=b'{"prompt":"p"}', headers=headers)
    except SecretLeakError as refused:
        message = str(refused)
    else:
        assert cassette.file_path.exists()
        return "written"
    assert KEY not in message
    assert not cassette.file_path.exists()
    return "refused"


KEY_HEADERS = {
    "authorization": f"Bearer {KEY}",
    "x-goog-api-key": GOOGLE_KEY,
    "content-type": "application/json",
}


@pytest.mark.parametrize("where", WHERE_IMAGES_GO)
def test_a_key_base64_encoded_where_images_go_is_refused(tmp_path: Path, where: str) -> None:
    target, reply = WHERE_IMAGES_GO[where]
    assert record(tmp_path, target, reply, KEY_HEADERS) == "refused"
    assert on_disk(tmp_path) == []


@pytest.mark.parametrize("form", OTHER_FORMS)
def test_a_key_written_another_way_never_reaches_disk(tmp_path: Path, form: str) -> None:
    record(tmp_path, "/v1/images/generations", OTHER_FORMS[form], KEY_HEADERS)
    assert on_disk(tmp_path) == []


def test_a_basic_auth_password_echoed_in_a_401_page(tmp_path: Path) -> None:
    headers = {
        "authorization": "Basic " + b64("alice:hunter22secret"),
        "content-type": "application/json",
    }
    reply = text_reply("<h1>401</h1><p>user alice, password hunter22secret: denied</p>", status=401)
    assert record(tmp_path, "/v1/images/generations", reply, headers) == "written"
    assert on_disk(tmp_path) == []


@pytest.mark.parametrize("form", SIGNATURES)
def test_a_signature_in_another_form_of_url_is_redacted(tmp_path: Path, form: str) -> None:
    reply = text_reply(f"<p>{SIGNATURES[form]}</p>")
    assert record(tmp_path, "/v1/images/generations", reply, KEY_HEADERS) == "written"
    assert on_disk(tmp_path) == []
    assert "REDACTED-SIG" in next(tmp_path.rglob("*.json")).read_text()


def test_a_snapshot_never_writes_a_hidden_key() -> None:
    # An image slot that holds no image is shown by its size alone; any other field is scanned decoded.
    with redaction_for(RedactionRules(values=(KEY,))):
        text = snapshot_text({"output": [{"type": "image_generation_call", "result": b64(f"the key {KEY}")}]})
        assert "not an image" in text
        assert not literals_for([KEY, b64(f"the key {KEY}")]).search(text)
        with pytest.raises(SecretLeakError) as refused:
            snapshot_text({"data": [], "note": b64(f"the key {KEY}")})
    assert KEY not in str(refused.value)


def test_an_image_slot_that_holds_an_image_is_not_searched_as_text(tmp_path: Path) -> None:
    # The scan reads the text blocks of a real image, never its pixels: a random image never trips it.
    out = io.BytesIO()
    Image.effect_noise((64, 64), 80).convert("RGB").save(out, "PNG")
    reply = json_reply({"data": [{"b64_json": base64.b64encode(out.getvalue()).decode()}]})
    assert record(tmp_path, "/v1/images/generations", reply, KEY_HEADERS) == "written"


def test_the_drift_check_neither_reports_nor_writes_a_hidden_key(tmp_path: Path) -> None:
    tape = Tape(tmp_path / "cassettes", "tests/test_x.py::test_drift")
    config = tape.config.replace(check_contract=False)
    replies = [json_reply({"data": [], "note": "plain"})]

    def call(base_url: str) -> None:
        httpx.post(base_url + "/v1/images/generations", content=b'{"prompt":"p"}', headers=KEY_HEADERS)

    with Loopback(lambda _seen: replies[0]) as service:
        with open_cassette(config.replace(record_mode="once"), tape.test_id) as recording:
            call(service.base_url)
        before = recording.file_path.read_bytes()
        # A new field (additive drift, so an update rewrites the interaction) and the hidden key.
        replies[0] = json_reply({"data": [], "note": b64(f"key={KEY}"), "moderation": "auto"})
        with open_cassette(config, tape.test_id, drift="report") as checked:
            call(service.base_url)
        report = json.dumps(checked.outcome()["drift"])
        assert "body.note" in report  # the drift is reported...
        assert not literals_for([KEY]).search(report)  # ...without the key, or a piece of its base64
        assert not any(form.decode() in report for form in b64_forms(KEY.encode()))
        assert b64(f"key={KEY}")[:12] not in report
        with pytest.raises(SecretLeakError), open_cassette(config, tape.test_id, drift="update"):
            call(service.base_url)
    assert recording.file_path.read_bytes() == before
