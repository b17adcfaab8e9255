"""Headless Chromium for the report's tests: a screenshot and the DOM of a page, with the network off.

Debian's ``chromium`` package (``.ci/run`` installs it); a test that needs it is skipped only where it is
absent. The browser runs in a network namespace of its own (``unshare -n``: no interface but a loopback
nobody listens on) where the machine allows it, and is pointed at a dead proxy in any case, so a page that
loaded anything from elsewhere would show it missing.
"""

from __future__ import annotations

import functools
import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

__all__ = ["CHROMIUM", "dom", "needs_chromium", "page_text", "screenshot"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (.ci/run installs Debian's)")

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--proxy-server=http://127.0.0.1:9",
)


@functools.cache
def offline_prefix() -> tuple[str, ...]:
    """``unshare -n`` when this machine lets the tests make a network namespace, else nothing."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False, timeout=30)
    return (unshare, "-n") if probe.returncode == 0 else ()


def _run(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    command = [
        *offline_prefix(),
        CHROMIUM,
        *_FLAGS,
        f"--user-data-dir={profile}",
        *args,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, check=False, timeout=180)


def screenshot(page: Path, out: Path, size: tuple[int, int], *, dark: bool = False) -> Image.Image:
    """The page in a ``size`` window (light or dark colour scheme), as an RGB image."""
    scheme = "0" if dark else "1"  # Blink's preferredColorScheme: 0 dark, 1 light
    done = _run(
        page,
        out.with_suffix(".profile"),
        f"--screenshot={out}",
        f"--window-size={size[0]},{size[1]}",
        f"--blink-settings=preferredColorScheme={scheme}",
    )
    assert out.is_file(), done.stderr.decode(errors="replace")[-2000:]
    return Image.open(out).convert("RGB")


def dom(page: Path, profile: Path) -> str:
    """The page's DOM after it loaded (``--dump-dom``)."""
    done = _run(page, profile, "--dump-dom")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode("utf-8")


def page_text(markup: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    without = re.sub(r"<style.*?</style>|<[^>]+>", " ", markup, flags=re.DOTALL)
    return " ".join(html.unescape(without).split())
