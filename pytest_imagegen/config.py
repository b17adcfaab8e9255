"""One pure merge of every configuration source into a frozen ``ImagegenConfig``.

Priority, highest first: CLI > environment > marker > ``imagegen_config`` fixture > ini > default.
``resolve_config`` is the one merge: given no fixture layer it makes it from ini + defaults (what the
default ``imagegen_config`` fixture returns; a user's override of the fixture replaces that layer), then
lays marker, environment and CLI values over it, in that order, so a conftest value can never beat
``--imagegen-record``. A front end (the pytest plugin) only gathers the layers as plain values: the
environment's is read here (``env_layer``), and the marker's arguments are checked here
(``marker_layer``), so a caller without pytest resolves a configuration the same way.

Every value is checked where it is set, however it is set (the constructor, ``replace()``, a layer):
a wrong type or an unknown choice is a ``ConfigError`` that names the option and says what it takes,
never a ``TypeError`` later or a value quietly used. ``match_on`` must name ``method`` and ``path``:
without them every request would get whichever recorded reply comes first.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, get_args

__all__ = [
    "DEFAULT_MATCH_ON",
    "DRIFT_MODES",
    "DURATION_HELP",
    "MARKER_HELP",
    "ON_EXPIRY",
    "RECORD_MODES",
    "ConfigError",
    "DriftMode",
    "ImagegenConfig",
    "config_from_ini",
    "env_layer",
    "format_duration",
    "marker_layer",
    "parse_duration",
    "resolve_config",
]

DURATION_HELP = "a number of days, hours or weeks such as 180d, 36h or 26w ('off' for no limit)"
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(d|days?|h|hours?|w|weeks?)?\s*", re.IGNORECASE)
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "w": timedelta(weeks=1)}
_OFF = frozenset({"off", "none", "never", ""})


def parse_duration(value: object) -> timedelta | None:
    """``180d`` / ``36h`` / ``26w`` / a number of days / a ``timedelta`` -> a positive ``timedelta``;
    ``off`` -> None. ``ValueError`` saying what is accepted otherwise."""
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            result = timedelta(days=value)
        except (OverflowError, ValueError):
            raise ValueError(f"{value!r} is not {DURATION_HELP}") from None
    elif isinstance(value, str):
        if value.strip().lower() in _OFF:
            return None
        found = _DURATION.fullmatch(value)
        if found is None:
            raise ValueError(f"{value!r} is not {DURATION_HELP}")
        unit = (found.group(2) or "d")[0].lower()
        try:
            result = float(found.group(1)) * _UNITS[unit]
        except OverflowError:
            raise ValueError(f"{value!r} is longer than any duration Python can hold") from None
    else:
        raise ValueError(f"{value!r} is not {DURATION_HELP}")
    if result <= timedelta(0):
        raise ValueError(f"{value!r} is not a positive duration; use {DURATION_HELP}")
    return result


def format_duration(value: timedelta) -> str:
    """``180d``, ``36h``: the shortest exact form of a duration written by ``parse_duration``."""
    hours = value.total_seconds() / 3600
    if hours >= 24 and hours % 24 == 0:
        return f"{int(hours // 24)}d"
    return f"{hours:g}h"


RecordMode = Literal["none", "once", "new_episodes", "all", "rewrite"]
PayloadMode = Literal["placeholder", "keep"]
ReplayTiming = Literal["instant", "recorded"]
Polling = Literal["collapse", "faithful"]
OnExpiry = Literal["warn", "fail", "rerecord"]

RECORD_MODES: tuple[str, ...] = get_args(RecordMode)
PAYLOAD_MODES: tuple[str, ...] = get_args(PayloadMode)
REPLAY_TIMINGS: tuple[str, ...] = get_args(ReplayTiming)
POLLING_MODES: tuple[str, ...] = get_args(Polling)
ON_EXPIRY: tuple[str, ...] = get_args(OnExpiry)
#: ``--imagegen-drift`` alone reports; ``--imagegen-drift=update`` also re-records what drifted.
DriftMode = Literal["report", "update"]
DRIFT_MODES: tuple[str, ...] = get_args(DriftMode)
# What a request is matched on. Host, port and scheme are left out by default so a cassette recorded
# from the real service, a gateway or the emulator on a random port replays under any base URL.
MATCHERS: tuple[str, ...] = ("method", "scheme", "host", "port", "path", "query", "body")
DEFAULT_MATCH_ON: tuple[str, ...] = ("method", "path", "query", "body")
REQUIRED_MATCHERS: tuple[str, ...] = ("method", "path")


class ConfigError(ValueError):
    """A configuration value is not one of the valid ones; the message lists them. ``source`` is the
    layer it came from (``"ini"``, ``"marker"``, ...), when a layer set it."""

    source: str | None = None


@dataclass(frozen=True)
class ImagegenConfig:
    """Everything that shapes recording and replay for one test.

    Override the ``imagegen_config`` fixture in a conftest to change defaults for a scope, for example
    ``return dataclasses.replace(imagegen_config, payloads="keep")``.
    """

    record_mode: RecordMode = "none"
    cassette_dir: Path = Path("cassettes")
    base_url: str | None = None
    cassette: str | None = None
    match_on: tuple[str, ...] = DEFAULT_MATCH_ON
    payloads: PayloadMode = "placeholder"
    replay_timing: ReplayTiming = "instant"
    # A polled job on replay: "collapse" answers its first poll with its final state; "faithful" replays
    # every recorded state in order (``cassette/polling.py``).
    polling: Polling = "collapse"
    strict: bool = False
    check_contract: bool = True
    redact_user: bool = False
    redact_headers: tuple[str, ...] = ()
    redact_query: tuple[str, ...] = ()
    redact_patterns: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = field(default=(), repr=False)
    allowed_hosts: tuple[str, ...] = ()
    # A cassette older than this (``180d``; None: no limit) is expired; ``on_expiry`` says what then.
    max_age: timedelta | None = None
    on_expiry: OnExpiry = "warn"
    # Off: a test that fails while recording leaves its cassette as it was.
    record_on_error: bool = True
    # A session that collected the whole suite fails on orphan cassettes and never-played interactions.
    strict_unused: bool = False

    def __post_init__(self) -> None:
        _check_types(self)
        _check_choice("record_mode", self.record_mode, RECORD_MODES)
        _check_choice("on_expiry", self.on_expiry, ON_EXPIRY)
        if self.max_age is not None and (
            not isinstance(self.max_age, timedelta) or self.max_age <= timedelta(0)
        ):
            raise ConfigError(
                f"max_age must be a positive duration, got {self.max_age!r}; use {DURATION_HELP}"
            )
        if self.cassette is not None:
            _check_cassette_name(self.cassette)
        _check_choice("payloads", self.payloads, PAYLOAD_MODES)
        _check_choice("replay_timing", self.replay_timing, REPLAY_TIMINGS)
        _check_choice("polling", self.polling, POLLING_MODES)
        for matcher in self.match_on:
            _check_choice("match_on", matcher, MATCHERS)
        missing = [m for m in REQUIRED_MATCHERS if m not in self.match_on]
        if missing:
            raise ConfigError(
                f"match_on {list(self.match_on)!r} leaves out {' and '.join(missing)}: without "
                f"{' and '.join(REQUIRED_MATCHERS)} every request would be answered with whichever recorded "
                f"reply comes first. Name them too, e.g. {list(DEFAULT_MATCH_ON)!r}"
            )
        for pattern in self.redact_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"redact_patterns: {pattern!r} is not a valid regular expression: {exc}"
                ) from None

    def replace(self, **changes: Any) -> ImagegenConfig:
        """A copy with ``changes`` applied (validated like any other source)."""
        return merge_layer(self, changes, source="replace()")


def check_base_url(value: object) -> None:
    """``emulator`` or an http(s) URL with a host; ``ConfigError`` saying what it got otherwise."""
    if value in (None, "", "emulator"):
        return
    text = str(value)
    scheme, sep, rest = text.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if not sep or scheme.lower() not in ("http", "https") or not host or " " in text:
        raise ConfigError(
            f"base URL {text!r} is neither 'emulator' nor an http(s) URL with a host "
            "(for example https://api.openai.com/v1)"
        )


#: The longest file name a cassette may be given, in bytes: file systems take 255, and a cassette is
#: written through a temporary file whose name adds about 30 to it (``cassette/storage.py``).
MAX_NAME_BYTES = 200


def _check_cassette_name(name: str) -> None:
    """A cassette name (the marker's ``cassette=``) a file system can store: no NUL, no part too long."""
    if "\0" in name:
        raise ConfigError(f"cassette {name!r} is not a file name: it holds a NUL character")
    for part in name.replace("\\", "/").split("/"):
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise ConfigError(
                f"cassette name {part[:40]!r}... is {len(part.encode('utf-8', 'surrogateescape'))} bytes "
                f"long; a cassette's file name may have at most {MAX_NAME_BYTES}"
            )


def _check_choice(name: str, value: object, valid: Sequence[str]) -> None:
    if value not in valid:
        raise ConfigError(f"invalid {name} {value!r}; valid values are: {', '.join(valid)}")


def _check_types(config: ImagegenConfig) -> None:
    """Every field holds the type it is declared with (the choices are checked after)."""
    for name in _BOOL_FIELDS:
        value = getattr(config, name)
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be True or False, got {value!r}")
    for name in ("record_mode", "payloads", "replay_timing", "polling", "on_expiry"):
        value = getattr(config, name)
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string, got {value!r}")
    for name in ("base_url", "cassette"):
        value = getattr(config, name)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{name} must be a string or None, got {value!r}")
    if not isinstance(config.cassette_dir, Path):
        raise ConfigError(f"cassette_dir must be a path (str or pathlib.Path), got {config.cassette_dir!r}")
    for name in _TUPLE_FIELDS:
        value = getattr(config, name)
        if not isinstance(value, tuple) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{name} must be a list of strings, got {value!r}")


_FIELDS = {f.name: f for f in dataclasses.fields(ImagegenConfig)}
_TUPLE_FIELDS = {
    "match_on",
    "redact_headers",
    "redact_query",
    "redact_patterns",
    "secret_values",
    "allowed_hosts",
}
_BOOL_FIELDS = {"strict", "redact_user", "check_contract", "record_on_error", "strict_unused"}
#: What ``@pytest.mark.imagegen(...)`` takes: the fields a single test may set, and its help text.
MARKER_KEYS = (
    "cassette",
    "record_mode",
    "match_on",
    "payloads",
    "replay_timing",
    "polling",
    "max_age",
    "on_expiry",
    "record_on_error",
)
MARKER_HELP = (
    f"imagegen({', '.join(f'{key}=None' for key in MARKER_KEYS)}): record/replay this test's Images "
    f"API calls through a cassette. record_mode: {'|'.join(RECORD_MODES)}; payloads: "
    f"{'|'.join(PAYLOAD_MODES)}; replay_timing: {'|'.join(REPLAY_TIMINGS)}; polling: {'|'.join(POLLING_MODES)}; match_on: a list of "
    f"{', '.join(MATCHERS)}; max_age: {DURATION_HELP}; on_expiry: {'|'.join(ON_EXPIRY)}; "
    "record_on_error: True|False."
)


def _coerce(name: str, value: Any, source: str) -> Any:
    """A layer's value in the field's type: the string forms of ini and environment values are parsed,
    lists become tuples; anything else is left for the type check to name."""
    if name == "cassette_dir":
        if isinstance(value, str | os.PathLike) and not str(os.fspath(value)).strip():
            raise ConfigError(f"{source}: cassette_dir is empty; name a folder (the default is cassettes/)")
        if isinstance(value, str | os.PathLike):
            return Path(value)
        raise ConfigError(f"{source}: cassette_dir must be a path (str or pathlib.Path), got {value!r}")
    if name == "max_age":
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ConfigError(f"{source}: max_age {exc}") from None
    if name in _TUPLE_FIELDS:
        if isinstance(value, str):
            value = [part for part in re.split(r"[,\s]+", value) if part]
        if isinstance(value, bytes | bytearray) or not isinstance(value, Sequence):
            raise ConfigError(f"{source}: {name} must be a list of strings, got {value!r}")
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{source}: {name} must be a list of strings, got {value!r}")
        return tuple(value)
    if name in _BOOL_FIELDS and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
            option = f"imagegen_{name}" if source == "ini" else name  # as the user wrote it
            raise ConfigError(f"{source}: {option} must be true or false, got {value!r}")
        return lowered in {"1", "true", "yes", "on"}
    if name == "base_url" and isinstance(value, str):
        try:
            check_base_url(value)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return value


def merge_layer(base: ImagegenConfig, layer: Mapping[str, Any], *, source: str) -> ImagegenConfig:
    """``base`` with the non-None values of ``layer`` applied; unknown keys are an error naming them."""
    unknown = sorted(set(layer) - set(_FIELDS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown option(s) {', '.join(unknown)}; valid options are: {', '.join(_FIELDS)}"
        )
    try:
        changes = {name: _coerce(name, value, source) for name, value in layer.items() if value is not None}
        if not changes:
            return base
        try:
            return dataclasses.replace(base, **changes)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    except ConfigError as exc:
        exc.source = source
        raise


def config_from_ini(ini: Mapping[str, Any], *, rootdir: Path) -> ImagegenConfig:
    """The ini + default layers: what the default ``imagegen_config`` fixture returns."""
    config = merge_layer(ImagegenConfig(cassette_dir=rootdir / "cassettes"), ini, source="ini")
    if not config.cassette_dir.is_absolute():
        config = dataclasses.replace(config, cassette_dir=rootdir / config.cassette_dir)
    return config


def env_layer(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The environment's layer: ``IMAGEGEN_RECORD_MODE`` and ``OPENAI_BASE_URL`` (empty means unset)."""
    mode = environ.get("IMAGEGEN_RECORD_MODE") or None
    if mode is not None and mode not in RECORD_MODES:
        raise ConfigError(
            f"IMAGEGEN_RECORD_MODE={mode!r} is not a record mode; valid values are: {', '.join(RECORD_MODES)}"
        )
    return {"record_mode": mode, "base_url": environ.get("OPENAI_BASE_URL") or None}


def marker_layer(markers: Sequence[tuple[Sequence[Any], Mapping[str, Any]]]) -> dict[str, Any]:
    """The marker layer from the ``(args, kwargs)`` of a test's ``imagegen`` markers, closest first (the
    closest wins); ``ConfigError`` for positional arguments or a key not in ``MARKER_KEYS``."""
    layer: dict[str, Any] = {}
    for args, kwargs in reversed(markers):
        if args:
            raise ConfigError(
                f"@pytest.mark.imagegen takes keyword arguments only ({', '.join(MARKER_KEYS)})"
            )
        unknown = sorted(set(kwargs) - set(MARKER_KEYS))
        if unknown:
            raise ConfigError(
                f"@pytest.mark.imagegen got unknown argument(s) {', '.join(unknown)}; "
                f"valid: {', '.join(MARKER_KEYS)}"
            )
        layer.update(kwargs)
    return layer


def resolve_config(
    fixture: ImagegenConfig | None = None,
    *,
    ini: Mapping[str, Any] | None = None,
    marker: Mapping[str, Any] | None = None,
    env: Mapping[str, Any] | None = None,
    cli: Mapping[str, Any] | None = None,
    rootdir: Path | None = None,
) -> ImagegenConfig:
    """Lay marker, environment and CLI values over the fixture layer, lowest priority first; with no
    fixture layer, it is made from ``ini`` and the defaults (``config_from_ini``, at ``rootdir``)."""
    if fixture is None:
        fixture = config_from_ini(ini or {}, rootdir=rootdir if rootdir is not None else Path.cwd())
    config = fixture
    for source, layer in (("marker", marker), ("environment", env), ("command line", cli)):
        if layer:
            config = merge_layer(config, layer, source=source)
    if rootdir is not None and not config.cassette_dir.is_absolute():
        config = dataclasses.replace(config, cassette_dir=rootdir / config.cassette_dir)
    return config
