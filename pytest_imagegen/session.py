"""Opening a test's cassette and choosing the service its clients talk to.

The layer between the thin pytest wiring in ``plugin.py`` and the cassette core: it takes a resolved
``ImagegenConfig`` and a test id, never pytest objects, so it can be used from any runner.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from pytest_imagegen.cassette import stubs
from pytest_imagegen.cassette.core import ImagegenCassette
from pytest_imagegen.cassette.paths import cassette_path
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.network import blocked_network

__all__ = [
    "DEFAULT_BASE_URL",
    "EMULATOR_API_KEY",
    "REPLAY_API_KEY",
    "open_cassette",
    "service_for",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Keys that are not secrets: the emulator accepts any key starting with "sk-", and replay needs none.
EMULATOR_API_KEY = "sk-test-emulator-key"
REPLAY_API_KEY = "sk-replay-no-key-needed"


@contextlib.contextmanager
def open_cassette(
    config: ImagegenConfig, test_id: str, *, cache_dir: Path | None = None
) -> Iterator[ImagegenCassette]:
    """Load the test's cassette and route httpx/httpx2 through it; save it on exit (vcrpy's rules: also
    when the test failed, as a recording may hold the very reply that made it fail).

    ``cache_dir`` is this plugin's folder in the pytest cache (lock files); by default the one of the
    project around the current directory.
    """
    path = cassette_path(config.cassette_dir, test_id, config.cassette)
    cassette: ImagegenCassette = ImagegenCassette.load(
        path=path, config=config, test_id=test_id, cache_dir=cache_dir
    )
    stubs.activate(cassette)
    try:
        with contextlib.ExitStack() as stack:
            if config.record_mode == "none":
                stack.enter_context(blocked_network(config.allowed_hosts, test_id=test_id))
            yield cassette
    finally:
        stubs.deactivate(cassette)
        cassette._save()


def service_for(
    cassette: ImagegenCassette, *, emulator_url: Callable[[], str], environ: Mapping[str, str]
) -> tuple[str, str]:
    """The (base URL, API key) a test's clients use.

    Replaying needs neither a service nor a key: the default match ignores host and port, so any base
    URL replays. Recording uses the configured service; ``emulator`` starts the bundled one.
    """
    base_url = cassette.config.base_url
    if cassette.write_protected:  # a request it lacks is a miss: nothing goes out
        if base_url in (None, "emulator"):
            base_url = DEFAULT_BASE_URL
        return str(base_url), REPLAY_API_KEY
    if base_url == "emulator":
        return emulator_url(), EMULATOR_API_KEY
    key = environ.get("OPENAI_API_KEY")
    if not key:
        if cassette.rewound and cassette.record_mode != "all":
            # Recorded requests replay without a key; only a new one would need it (and then fail
            # with the service's own 401, which says what is missing).
            key = REPLAY_API_KEY
        else:
            raise RuntimeError(
                f"recording {cassette.test_id} against {base_url or DEFAULT_BASE_URL} needs OPENAI_API_KEY. "
                "Set it, or record from the bundled emulator with --imagegen-base-url=emulator."
            )
    return str(base_url or DEFAULT_BASE_URL), key
