"""A cassette's replies, rendered once per cassette content and kept across runs in the project's cache.

Rendering a reply (``rendering.py``) draws each placeholder's image from its preview: about 1 ms for a
256x256 PNG, 20 ms for a 1024x1024 one, more than the rest of a replayed call and of a test together.
What it gives is a function of the cassette's bytes, the rules (``index.RULES_VERSION``), this module's
``FORMAT`` and the replay timing, so a reply that drew an image is rendered once: when the cassette
closes, the replies it rendered that drew one are written to a file of its own in the plugin's folder of
the project's pytest cache (``.pytest_cache/d/imagegen/replies/``), and a later run that opens a
cassette with the same bytes reads them from there instead of drawing them again.

- **Verified.** An entry names the sha256 of the cassette's bytes it was rendered from, the rules, the
  format and the timing, and starts with the sha256 of everything after its first line. An entry of
  other bytes (the cassette changed), other rules or timing, or that does not hash to its first line
  (edited, cut short) is never used: the replies are rendered again and the entry is replaced.
- **Owner-only, written atomically, never through a link**: ``cachefiles.py``'s rules, as for every file
  of the plugin's cache. A folder or file that cannot be read or written is no error: replay renders.
- **Pruned.** One entry per cassette path (an entry of a cassette that changed is replaced when it next
  renders), and a session that ran the whole suite removes the entries of cassettes it did not open
  (``prune``, from ``replays.save_session``).
- **Nothing the cassette does not hold.** A reply is rendered from the cassette's redacted, trimmed
  bytes, its images drawn from the previews stored in it: no secret, no original image.

Replies that draw no image (errors, URLs, text) are rendered in tens of microseconds, about what reading
a file costs, so they are not kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from pytest_imagegen.cassette.cachefiles import private_dir, read_bytes, write_bytes
from pytest_imagegen.cassette.index import RULES_VERSION
from pytest_imagegen.cassette.rendering import Rendered, render_reply
from pytest_imagegen.cassette.requests import UNUSABLE
from pytest_imagegen.errors import CassetteError

__all__ = ["FOLDER", "Replies", "entry_name", "prune"]

#: What an entry's layout and rendering mean. Bump it when ``rendering.py`` renders other bytes.
FORMAT: Final = 2  # 2: openai-poll-after-ms replays as 0
FOLDER = "replies"
_SUFFIX = ".replies"
_MAX_BYTES = 256 * 1024 * 1024


def entry_name(cassette_path: str | os.PathLike[str]) -> str:
    """The file name of the entry of the cassette at ``cassette_path`` (one per path)."""
    return hashlib.sha256(os.path.abspath(cassette_path).encode()).hexdigest()[:32] + _SUFFIX


def _encode(stamp: Mapping[str, Any], replies: Mapping[int, Rendered]) -> bytes:
    listed, bodies = [], []
    for index, rendered in sorted(replies.items()):
        listed.append(
            [
                index,
                rendered.status,
                rendered.reason.decode("latin-1"),
                [list(pair) for pair in rendered.headers],
                [len(chunk) for chunk in rendered.chunks],
                rendered.offsets_ms,
            ]
        )
        bodies.extend(rendered.chunks)
    head = json.dumps({**stamp, "replies": listed}, separators=(",", ":")).encode()
    rest = head + b"\n" + b"".join(bodies)
    return hashlib.sha256(rest).hexdigest().encode() + b"\n" + rest


def _decode(data: bytes, stamp: Mapping[str, Any]) -> dict[int, Rendered]:
    """The replies of an entry made for ``stamp``; {} for anything else (see the module docstring)."""
    digest, _, rest = data.partition(b"\n")
    if digest != hashlib.sha256(rest).hexdigest().encode():
        return {}
    head, _, body = rest.partition(b"\n")
    try:
        document = json.loads(head)
        if not isinstance(document, dict) or any(document.get(k) != v for k, v in stamp.items()):
            return {}
        replies, offset = {}, 0
        for index, status, reason, headers, lengths, offsets in document["replies"]:
            chunks = []
            for length in lengths:
                chunks.append(body[offset : offset + length])
                offset += length
            replies[int(index)] = Rendered(
                status=int(status),
                reason=str(reason).encode("latin-1"),
                headers=[(str(name), str(value)) for name, value in headers],
                chunks=chunks,
                offsets_ms=[float(o) for o in offsets],
                drawn=True,
            )
    except (ValueError, TypeError, KeyError, UnicodeError):
        return {}
    return replies if offset == len(body) else {}


class Replies:
    """The rendered replies of one open cassette: made once each, read from and kept in the cache."""

    def __init__(self, path: Path, replay_timing: str, cache_dir: Path | None) -> None:
        self.path, self.timing, self.cache_dir = path, replay_timing, cache_dir
        self.digest: str | None = None  # of the cassette's bytes, when it was read from a file
        self._made: dict[int, Rendered] = {}
        self._stored: dict[int, Rendered] | None = None  # the cache entry's, read on first need
        self._new = False  # something worth keeping was drawn here

    def _stamp(self) -> dict[str, Any]:
        return {"format": FORMAT, "rules": RULES_VERSION, "timing": self.timing, "cassette": self.digest}

    def _folder(self) -> Path | None:
        return None if self.cache_dir is None or self.digest is None else self.cache_dir / FOLDER

    def get(self, index: int, response: Mapping[str, Any]) -> Rendered:
        """Interaction ``index``'s reply (its stored ``response``) as a client receives it."""
        made = self._made.get(index)
        if made is not None:
            return made
        folder = self._folder()
        if folder is not None:
            if self._stored is None:
                data = read_bytes(folder, entry_name(self.path), _MAX_BYTES)
                self._stored = {} if data is None else _decode(data, self._stamp())
            made = self._stored.get(index)
        if made is None:
            try:
                made = render_reply(response, replay_timing=self.timing)
            except UNUSABLE as exc:
                # A file whose index vouches for it is not checked field by field when it loads.
                raise CassetteError(
                    str(self.path),
                    f"interaction {index}: the reply cannot be replayed ({type(exc).__name__}: {exc})",
                ) from None
            self._new = self._new or made.drawn
        self._made[index] = made
        return made

    def persist(self) -> None:
        """Keep the replies that drew an image in the cache, when this cassette drew any (never an error:
        a cache that cannot be written is only slower)."""
        folder = self._folder()
        if not self._new or folder is None:
            return
        keep = {**(self._stored or {}), **{i: r for i, r in self._made.items() if r.drawn}}
        with contextlib.suppress(OSError):
            write_bytes(private_dir(folder), entry_name(self.path), _encode(self._stamp(), keep))
        self._new = False


def prune(cache_dir: Path, opened: Iterable[str | os.PathLike[str]]) -> None:
    """Remove the entries of every cassette but ``opened`` (what a session that ran the whole suite
    opened: any other entry belongs to a cassette that is gone, renamed or no longer used)."""
    keep = {entry_name(path) for path in opened}
    with contextlib.suppress(OSError), os.scandir(cache_dir / FOLDER) as found:
        for entry in found:
            if entry.name.endswith(_SUFFIX) and entry.name not in keep:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
