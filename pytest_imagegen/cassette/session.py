"""Opening a test's cassette, and what the code under test finds in its environment while it is open.

The layer between the thin pytest wiring in ``plugin/`` and the cassette core: it takes a resolved
``ImagegenConfig`` and a test id, never pytest objects, so it can be used from any runner.

Application code builds its own clients from the environment (``openai.OpenAI()``, ``AzureOpenAI(...)``,
an ``httpx.Client``), so for the duration of a test that uses a cassette:

- a missing ``OPENAI_API_KEY`` / ``AZURE_OPENAI_API_KEY`` / ``GEMINI_API_KEY`` / ``GOOGLE_API_KEY`` is set
  to ``DUMMY_API_KEY``, an obvious dummy (the SDKs refuse to build a client without a key, and replay
  needs none; of the two Google names, only while neither holds a key). The dummy never leaves the
  machine: a recording that would send it to a real service, in a header or in the query (the Gemini
  API's ``?key=``), stops with ``RecordingNeedsKeyError`` before anything is sent (``stubs.py``);
- when recording from the bundled emulator, the keys are the dummy whatever the environment holds, and
  requests to any host but a loopback one are sent to the emulator (``stubs._outgoing``) while the
  cassette keeps the URL the client asked for: ``OPENAI_BASE_URL`` is left as it is (an SDK left to its
  default asks ``https://api.openai.com/v1``, and that is what the cassette shows, as for a plain httpx
  client); only a missing ``AZURE_OPENAI_ENDPOINT`` points at the emulator, as an Azure client cannot be
  built without one;
- when recording from a service given with ``--imagegen-base-url``, ``OPENAI_BASE_URL`` points at it.

Everything is restored when the test ends, last in, first out with the test's own changes when the
caller passes the test's ``monkeypatch`` (``environment.py``). In record mode ``none`` the network is
blocked while the cassette is open; a cassette that records lifts the session's block instead
(``network.py``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette import stubs
from pytest_imagegen.cassette.core import ImagegenCassette
from pytest_imagegen.cassette.environment import Environment, EnvPatcher, missing_keys
from pytest_imagegen.cassette.miss import key_variable
from pytest_imagegen.cassette.network import blocked_network, network_open
from pytest_imagegen.cassette.paths import cassette_path
from pytest_imagegen.config import DriftMode, ImagegenConfig
from pytest_imagegen.contract import registry
from pytest_imagegen.errors import DUMMY_API_KEY, CassetteExpired

__all__ = ["DEFAULT_BASE_URL", "DUMMY_API_KEY", "open_cassette", "service_for"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


@contextlib.contextmanager
def client_environment(
    cassette: ImagegenCassette,
    *,
    emulator_url: Callable[[], str],
    environ: MutableMapping[str, str] | None = None,
    patcher: EnvPatcher | None = None,
) -> Iterator[None]:
    """The environment application code meets while ``cassette`` is open (see the module docstring).

    With ``patcher`` (a test's ``monkeypatch``), the changes are made through it and undone with its own,
    last in, first out; otherwise they are undone when the block ends."""
    env = os.environ if environ is None else environ
    variables = registry.key_variables()  # every registered shape's
    changes: dict[str, str] = dict.fromkeys(
        missing_keys(env, variables, registry.key_alternatives()), DUMMY_API_KEY
    )
    if not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
        changes["AWS_DEFAULT_REGION"] = "us-east-1"  # boto3 builds no client without a region
    base_url = cassette.config.base_url
    if not cassette.write_protected and base_url == "emulator":
        url = emulator_url()
        # A real key has no business with a local emulator: it gets the dummy too.
        changes.update(dict.fromkeys(variables, DUMMY_API_KEY))
        # OPENAI_BASE_URL is not pointed at the emulator: the stubs send every request for another host
        # there, and the cassette stores the URL the application asked for, not 127.0.0.1 (issue 24).
        if env.get("OPENAI_BASE_URL") == "emulator":  # the option's own variable: not a URL a client takes
            changes["OPENAI_BASE_URL"] = DEFAULT_BASE_URL
        if not env.get("AZURE_OPENAI_ENDPOINT"):
            changes["AZURE_OPENAI_ENDPOINT"] = url.removesuffix("/v1")
        cassette.redirect_to = url
    elif not cassette.write_protected and base_url:
        changes["OPENAI_BASE_URL"] = base_url
    own: Environment | None = None
    if patcher is None:
        patcher = own = Environment(env)
    for name, value in changes.items():
        if env.get(name) != value:
            patcher.setenv(name, value)
    try:
        yield
    finally:
        if own is not None:
            own.undo()


@contextlib.contextmanager
def open_cassette(
    config: ImagegenConfig,
    test_id: str,
    *,
    cache_dir: Path | None = None,
    emulator_url: Callable[[], str] | None = None,
    location: str | None = None,
    drift: DriftMode | None = None,
    environment: EnvPatcher | None = None,
    on_outcome: Callable[[dict[str, Any]], object] | None = None,
    failed: Callable[[], bool] | None = None,
) -> Iterator[ImagegenCassette]:
    """Load the test's cassette and route httpx/httpx2 through it; save it on exit (vcrpy's rules: also
    when the test failed, as a recording may hold the very reply that made it fail, unless the config's
    ``record_on_error`` is off and the caller ``abandon()``s the cassette).

    A cassette older than ``config.max_age`` is handled as ``config.on_expiry`` says (``_mind_age``).
    ``drift`` ("report" or "update") opens a ``DriftCassette`` instead: every request goes to the live
    service and its reply is compared with the recorded one (``cassette/drift.py``).

    ``cache_dir`` is this plugin's folder in the pytest cache (lock files); by default the one of the
    project around the current directory. ``emulator_url`` starts the bundled emulator and returns its
    base URL (needed only to record with ``base_url="emulator"``). ``location`` is the test's module path
    and name as cassettes are named by (``tests/test_x.py::test_y``), when it differs from ``test_id``.
    ``environment`` makes the environment changes (the test's ``monkeypatch``: undone with the test's
    own, last in, first out); without it they are undone when the cassette closes.
    ``on_outcome`` receives the cassette's ``outcome()`` once it is saved (or its save refused), or the
    outcome of an expired cassette refused (``on_expiry="fail"``). ``failed`` says whether the test
    failed: with ``record_on_error`` off the cassette is then ``abandon()``ed, left as it was.
    """
    path = cassette_path(config.cassette_dir, location or test_id, config.cassette)
    cassette: ImagegenCassette
    if drift is not None:
        from pytest_imagegen.cassette.drift import DriftCassette

        cassette = DriftCassette.load(
            path=path, config=config, update=drift == "update", test_id=test_id, cache_dir=cache_dir
        )
    else:
        cassette = ImagegenCassette.load(path=path, config=config, test_id=test_id, cache_dir=cache_dir)
        try:
            cassette = _mind_age(cassette, cache_dir=cache_dir)
        except CassetteExpired as exc:  # the session's summary lists it too
            if on_outcome is not None:
                on_outcome(exc.outcome)
            raise
    stubs.activate(cassette)
    try:
        with contextlib.ExitStack() as stack:
            if emulator_url is not None:
                stack.enter_context(
                    client_environment(cassette, emulator_url=emulator_url, patcher=environment)
                )
            if cassette.policy.blocks_network:
                stack.enter_context(blocked_network(config.allowed_hosts, test_id=test_id))
            else:
                stack.enter_context(network_open())
            yield cassette
            if failed is not None and not cassette.config.record_on_error and failed():
                cassette.abandon()
    finally:
        stubs.deactivate(cassette)
        if not cassette.recorded_count:  # one recorded into has other bytes now: nothing to keep
            cassette.replies.persist()  # the replies it drew, for the next run (rendercache.py)
        try:
            cassette.save()
        except BaseException:
            cassette.write_refused = True
            raise
        finally:  # after the save, which may have been refused: the summary says what reached disk
            if on_outcome is not None:
                on_outcome(cassette.outcome())


def _mind_age(cassette: ImagegenCassette, *, cache_dir: Path | None) -> ImagegenCassette:
    """Apply ``max_age`` to a cassette about to replay: note its expiry (``warn``), refuse it (``fail``:
    ``CassetteExpired``) or open it to be recorded again with the rewrite mode (``rerecord``)."""
    config = cassette.config
    if config.max_age is None or not cassette.loaded_count or config.record_mode in ("all", "rewrite"):
        return cassette
    from datetime import UTC, datetime

    from pytest_imagegen.cassette.age import check_age
    from pytest_imagegen.cassette.metadata import recorded_at

    if recorded_at(cassette.meta) is None:
        cassette.undated = True
        return cassette
    expiry = check_age(cassette.meta, config.max_age, datetime.now(UTC))
    if expiry is None:
        return cassette
    if config.on_expiry == "fail":
        cassette.expiry = expiry
        uris = [str(req.record.get("uri", "")) for req, _ in cassette.data]
        raise CassetteExpired(
            str(cassette.file_path),
            expiry.describe(),
            cassette.test_id,
            cassette.outcome(),
            key=key_variable(uris[0]) if uris else "OPENAI_API_KEY",
            emulator=cassette.meta.get("service") == "emulator",
        )
    if config.on_expiry == "rerecord":
        cassette = ImagegenCassette.load(
            path=cassette.file_path,
            config=config.replace(record_mode="rewrite"),
            test_id=cassette.test_id,
            cache_dir=cache_dir,
        )
    cassette.expiry = expiry
    return cassette


def service_for(cassette: ImagegenCassette, *, emulator_url: Callable[[], str]) -> tuple[str, str]:
    """The (base URL, API key) the plugin's own client fixtures use.

    Replaying needs neither a service nor a key: matching ignores the base URL. Recording uses the
    configured service (``emulator`` starts the bundled one) and the key in the environment, which
    ``client_environment`` has set to ``DUMMY_API_KEY`` when there is none: a recording that would send
    it anywhere but the emulator stops before sending.
    """
    base_url = cassette.config.base_url
    key = os.environ.get("OPENAI_API_KEY") or DUMMY_API_KEY
    if base_url == "emulator":
        key = DUMMY_API_KEY
    if cassette.write_protected:  # a request it lacks is a miss: nothing goes out
        return (DEFAULT_BASE_URL if base_url in (None, "emulator") else str(base_url)), key
    if base_url == "emulator":
        # The service's own URL, sent to the emulator by the stubs: recorded and replayed alike.
        emulator_url()  # started now, so the stubs have somewhere to send it
        return DEFAULT_BASE_URL, key
    return str(base_url or DEFAULT_BASE_URL), key
