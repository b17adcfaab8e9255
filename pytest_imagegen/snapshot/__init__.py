"""syrupy extensions: an Images API reply as a stable, readable regression snapshot (and as a picture).

The text is ``text.py``, its redaction ``redaction.py``, the syrupy classes ``extensions.py``.

``ImagegenSnapshotExtension`` (the ``imagegen_snapshot`` fixture) takes a reply in any of the shapes a test
holds: an ``ImagesResponse`` (this plugin's or the openai SDK's), its JSON as a mapping, a stream as a list
(or any iterable) of events, or the error of a non-2xx reply (``ImagegenAPIError``, or the openai SDK's
``APIStatusError``). It writes one line per leaf value, each naming its full JSON path, so a changed
reply's diff says exactly what changed::

    images reply
      created: <created>
      data[0].b64_json: <image png 64x64 RGBA>
      output_format: "png"
      usage.total_tokens: 120

What is kept out of the snapshot, and why:

- volatile values: ``created``, ``created_at``, ``completed_at``, ``expires_at`` and ``request_id`` show as
  ``<created>`` etc. (present or absent still shows), ``req_…`` request ids inside text as
  ``<request id>``, and Responses API ids (``resp_…``, ``ig_…``, ``msg_…``) as ``<resp_ id>`` etc.;
- image bytes: every ``b64_json`` (real base64, or a stored placeholder ``{"placeholder": facts}``) shows as
  its format, width, height and mode (and frame count when animated); so does every other base64 image or
  image data URL wherever an API shape puts it (a Responses ``result`` or ``partial_image_b64``; a data
  URL also shows the type it declares). Never its byte length or digest:
  on replay the client receives a synthesized stand-in of the same format, size and mode but other bytes,
  and a snapshot taken while recording must equal the one taken on replay. A ``b64_json`` that is not an
  image shows as what it is (``<svg 812 bytes>``, ``<not base64: 12 chars>``), since those are replayed
  verbatim;
- image URLs: shown as ``<image url on HOST, .png>`` without port, path or query: the signature and expiry
  change on every recording (and are redacted in the cassette), the port is the emulator's random one.

- secrets: everything serialized passes the same redaction as a cassette (the reply is redacted as a
  recorded reply would be, with the run's literal secrets and the configured rules), so a snapshot
  taken while recording holds exactly what the replayed one holds, and no secret. The finished text is
  leak-scanned like a cassette before it is written: a secret that survives raises ``SecretLeakError``
  and nothing is written.

Keys are sorted (so a model and its JSON mapping snapshot alike), stream events keep their order with
``type`` first. syrupy's ``exclude=``, ``include=`` and ``matcher=`` work on the reply's JSON as usual
(``props("revised_prompt")``, ``paths("data.0.url")``).

``ImagegenPNGSnapshotExtension`` stores one image of a reply as a PNG file and compares pixels, not file
bytes (zlib output differs between Pillow builds). Useful only with real pictures: recorded live, or
replayed from a cassette recorded with ``payloads="keep"`` (placeholders are flat grey)::

    def test_picture(imagegen_client, snapshot):
        reply = imagegen_client.generate("a lighthouse", model="gpt-image-2", size="64x64")
        assert snapshot.use_extension(ImagegenPNGSnapshotExtension) == reply
"""

from pytest_imagegen.snapshot.extensions import (
    ImagegenPNGSnapshotExtension,
    ImagegenSnapshotExtension,
    image_png,
)
from pytest_imagegen.snapshot.redaction import SnapshotRedaction, redaction_for, rules_for
from pytest_imagegen.snapshot.text import VOLATILE_KEYS, change_summary, snapshot_text

__all__ = [
    "VOLATILE_KEYS",
    "ImagegenPNGSnapshotExtension",
    "ImagegenSnapshotExtension",
    "SnapshotRedaction",
    "change_summary",
    "image_png",
    "redaction_for",
    "rules_for",
    "snapshot_text",
]
