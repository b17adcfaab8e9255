"""``imagegen-cassettes show`` prints no secret a cassette still holds (issue 20, break 8).

Before: ``show`` printed a key in an unscrubbed cassette (a hand-edited one, a plain vcrpy one) unmasked,
while ``diff`` masked it. Now ``show`` redacts each interaction and masks what is left, as ``diff`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import PLANTED_KEY, Run

Cli = Callable[..., Run]


def test_show_masks_a_key_an_unscrubbed_cassette_holds(cli: Cli, cassettes: Path) -> None:
    path = cassettes / "tests" / "test_app" / "test_images.json"
    text = path.read_text()
    assert '"a red fox"' in text
    path.write_text(text.replace('"a red fox"', f'"a red fox {PLANTED_KEY}"', 1))
    result = cli("show", path)
    assert result.code == 0
    assert PLANTED_KEY not in result.out
    assert PLANTED_KEY[:12] not in result.out
    assert '    prompt: "a red fox sk-REDACTED"' in result.out


def test_show_masks_the_key_of_a_plain_vcrpy_cassette(cli: Cli, legacy_cassette: Path) -> None:
    text = legacy_cassette.read_text()
    assert "a lighthouse at dusk" in text
    legacy_cassette.write_text(text.replace("a lighthouse at dusk", f"a lighthouse for {PLANTED_KEY}"))
    result = cli("show", legacy_cassette)
    assert PLANTED_KEY not in result.out
    assert PLANTED_KEY[:12] not in result.out
