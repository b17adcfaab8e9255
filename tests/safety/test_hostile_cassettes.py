"""Hostile or damaged cassettes (issue 11, break 6): every failure is a ``CassetteError`` naming the file,
the interaction and the field, from loading, from replay and from every CLI command, in bounded time and
memory.

Before: a 908-byte YAML alias bomb made replay run for minutes past 5 GB and hung every CLI command;
``body: 5`` gave a ``TypeError`` in trim.py, ``status: 'abc'`` one in core.py, ``uri: 12`` an
``AttributeError`` on replay while ``verify`` said "all clean"; a file cut short could replay as "HTTP
200 with an empty body", and an empty file passed ``verify``.

The cassettes here are real ones, recorded from the emulator through the plugin, then damaged as data
and written back with ``storage.dump_cassette`` (so these tests hold whatever the on-disk format is);
only the alias bomb is YAML text, since only YAML has aliases.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_imagegen import cli
from pytest_imagegen.cassette import fileformat, packing, safe_yaml, storage
from pytest_imagegen.cassette.core import ImagegenCassette
from pytest_imagegen.cassette.paths import cassette_path
from pytest_imagegen.cassette.session import open_cassette
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import CassetteError, SchemaAssertionError
from tests.engine.conftest import DEAD_BASE_URL, KEY

COMMANDS = ("verify", "show", "stats", "scrub")
# Seconds of CPU time, never of the wall clock (a loaded machine would make a clock limit flaky): each case
# takes milliseconds of it, a bomb minutes.
LIMIT_SECONDS = 20


# ------------------------------------------------------------------------------ a real cassette


@pytest.fixture(scope="module")
def recorded_file(tmp_path_factory: pytest.TempPathFactory, imagegen_emulator: Emulator) -> Path:
    """A cassette file recorded from the emulator: a JSON generation, a stream, a multipart edit, a 400."""
    config = ImagegenConfig(cassette_dir=tmp_path_factory.mktemp("recorded"), record_mode="once")
    with open_cassette(config, "hostile::source") as cassette:
        with openai.OpenAI(base_url=imagegen_emulator.base_url, api_key=KEY, max_retries=0) as client:
            client.images.generate(model="gpt-image-2", prompt="a fox", size="64x64")
            list(
                client.images.generate(
                    model="gpt-image-2", prompt="a fox", size="64x64", stream=True, partial_images=1
                )
            )
            client.images.edit(
                model="gpt-image-2", image=("a.png", png(), "image/png"), prompt="a hat", size="64x64"
            )
            with contextlib.suppress(openai.BadRequestError):
                client.images.generate(model="gpt-image-2", prompt="a fox", size="10x10")
        path: Path = cassette.file_path
    return path


@pytest.fixture(scope="module")
def recorded(recorded_file: Path) -> list[dict[str, Any]]:
    """The interactions of ``recorded_file``."""
    interactions = storage.load_cassette(recorded_file)
    assert interactions is not None
    assert len(interactions) == 4
    return interactions


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, "PNG")
    return out.getvalue()


def suffix_of(text: str) -> str:
    return ".json" if text.lstrip().startswith("{") else ".yaml"


def write(directory: Path, name: str, interactions: Any) -> Path:
    text = storage.dump_cassette(interactions)
    path = directory / (name + suffix_of(text))
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ what must hold


@contextlib.contextmanager
def time_limit(seconds: float = LIMIT_SECONDS) -> Iterator[None]:
    """Fail once the block has used ``seconds`` of this process's CPU time (``ITIMER_PROF`` counts CPU
    time, not the wall clock: waiting for a busy machine costs none of it)."""

    def expired(_signum: int, _frame: Any) -> None:
        raise TimeoutError(f"used more than {seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def load(path: Path) -> list[dict[str, Any]] | None:
    """``storage.load_cassette``, allowed to fail only with a CassetteError that names the file."""
    try:
        return storage.load_cassette(path)
    except CassetteError as exc:
        named = str(path) in str(exc)
    assert named
    return None


def replay(path: Path) -> None:
    """What replay does with each interaction once a request matches it: the contract check, then the
    rendered reply. Only CassetteError (a bad file) or SchemaAssertionError (a reply that breaks the
    contract) may come out."""
    config = ImagegenConfig(cassette_dir=path.parent, record_mode="none")
    try:
        cassette = ImagegenCassette.load(path=path, config=config)
    except CassetteError:
        return
    for index in range(len(cassette.data)):
        with contextlib.suppress(SchemaAssertionError):
            cassette.check_contract(index)
        rendered = cassette.rendered(index)
        assert 100 <= rendered.status <= 599


def run_cli(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    text = out.getvalue() + err.getvalue()
    assert code in (0, 1), text
    assert "Traceback" not in text
    assert "bug in imagegen-cassettes" not in text, text
    return code, text


def check_everything(path: Path) -> None:
    """Load, replay and every command, each bounded; verify fails whenever loading fails."""
    with time_limit():
        loaded = load(path)
        replay(path)
        for command in COMMANDS:
            code, out = run_cli(command, str(path))
            if command == "verify" and loaded is None:
                assert code == 1, out
                assert f"{path}: " in out


# ------------------------------------------------------------------------------ the breaks, one by one


def test_each_reported_break_is_a_cassette_error_naming_file_interaction_and_field(
    recorded: list[dict[str, Any]], tmp_path: Path
) -> None:
    cases: dict[str, tuple[tuple[str, ...], Any]] = {
        "response.body": (("response", "body"), 5),
        "response.status": (("response", "status"), "abc"),
        "response.status.code": (("response", "status", "code"), "abc"),
        "request.uri": (("request", "uri"), 12),
        "request.method": (("request", "method"), ["POST"]),
        "request.headers": (("request", "headers"), "x"),
        "response.body.sse[0].data.b64_json.placeholder.width": (
            ("response", "body", "sse", 0, "data", "b64_json", "placeholder", "width"),
            10**9,
        ),
    }
    for field, (where, value) in cases.items():
        damaged: Any = copy.deepcopy(recorded)
        parent = damaged[1]
        for step in where[:-1]:
            parent = parent[step]
        parent[where[-1]] = value
        path = write(tmp_path, field, damaged)
        with pytest.raises(CassetteError) as caught:
            storage.load_cassette(path)
        message = str(caught.value)
        assert str(path) in message
        assert f"interaction 1: {field}" in message, message
        code, out = run_cli("verify", str(path))
        assert code == 1
        assert f"interaction 1: {field}" in out
        check_everything(path)


def test_replay_of_a_damaged_cassette_fails_at_once_with_the_file_named(
    recorded: list[dict[str, Any]], tmp_path: Path
) -> None:
    damaged = copy.deepcopy(recorded)
    damaged[0]["request"]["uri"] = 12
    config = ImagegenConfig(cassette_dir=tmp_path, record_mode="none")
    path = cassette_path(config.cassette_dir, "t::replayed", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(storage.dump_cassette(damaged), encoding="utf-8")
    with (
        pytest.raises(CassetteError, match=r"interaction 0: request\.uri: expected text, got 12"),
        open_cassette(config, "t::replayed"),
        httpx.Client() as client,
    ):
        client.post(DEAD_BASE_URL + "/images/generations", json={"prompt": "a fox"})


def test_a_cassette_cut_short_never_replays_as_an_empty_reply(
    recorded: list[dict[str, Any]], tmp_path: Path
) -> None:
    # The stream alone, cut at every byte; each cut is loaded, replayed and run through every command.
    text = storage.dump_cassette(recorded[1:2])
    original = recorded[1]
    cuts = tmp_path / "cuts"
    cuts.mkdir()
    failed: set[Path] = set()
    for n in range(len(text)):
        path = cuts / f"cut{n:05d}{suffix_of(text)}"
        path.write_text(text[:n], encoding="utf-8")
        with time_limit():
            loaded = load(path)
            if loaded is None:
                failed.add(path)
                continue
            replay(path)
        for interaction in loaded:  # a cut that still parses keeps what it kept, never an empty 200
            response = interaction["response"]
            assert response["status"]["code"] == original["response"]["status"]["code"]
            assert response["body"], f"cut at byte {n} replays an empty body"
    assert failed, "no cut was detected at all"
    for command in COMMANDS:
        with time_limit(4 * LIMIT_SECONDS):
            code, out = run_cli(command, str(cuts))
        assert code == 1
        if command == "verify":
            named = {Path(line.split(": ", 1)[0]) for line in out.splitlines() if ": " in line}
            assert failed <= named


def test_an_empty_file_fails_verify(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    code, out = run_cli("verify", str(empty))
    assert code == 1
    assert f"{empty}: file: is empty: not a cassette" in out
    header_only = tmp_path / "header_only.yaml"
    header_only.write_text("# pytest-imagegen cassette\n", encoding="utf-8")
    assert run_cli("verify", str(header_only))[0] == 1


# ------------------------------------------------------------------------------ bombs, in a subprocess

LAUGHS = """\
version: 1
interactions:
- request:
    method: POST
    uri: https://api.openai.com/v1/images/generations
    body: {json: {prompt: lol}}
  response:
    status: {code: 200, message: OK}
    body:
      json:
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

# Run in a fresh interpreter whose address space and CPU time are capped: a bomb that got through would
# die of MemoryError, or be ended by the kernel once it used its CPU time, instead of taking the machine
# with it. No wall clock decides (a loaded machine made the timeout this had fail at random).
CHILD = f"""
import contextlib, io, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
resource.setrlimit(resource.RLIMIT_CPU, ({LIMIT_SECONDS}, {LIMIT_SECONDS} + 1))
from pytest_imagegen import cli
from pytest_imagegen.cassette import storage
from pytest_imagegen.errors import CassetteError
path = sys.argv[1]
try:
    storage.load_cassette(__import__("pathlib").Path(path))
    print("loaded")
except CassetteError as exc:
    print("CassetteError:", str(exc).splitlines()[0])
for command in ("verify", "show", "stats", "scrub"):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main([command, path])
    print(command, code, out.getvalue().strip().splitlines()[0])
"""


def bombs(directory: Path) -> dict[str, Path]:
    files = {
        "billion laughs": LAUGHS,
        # libyaml's own limit is 1000 levels: one below it.
        "deep nesting": LAUGHS.split("      json:")[0] + "      json: " + "[" * 990 + "]" * 990 + "\n",
        "too many nodes": LAUGHS.split("      json:")[0] + "      json: [" + "0," * 600_000 + "0]\n",
        "a node with 5000 keys nested 70 deep": LAUGHS.split("      json:")[0]
        + "      json: "
        + "{a: " * 70
        + "{"
        + ", ".join(f"k{i}: {i}" for i in range(5000))
        + "}"
        + "}" * 70
        + "\n",
    }
    paths = {}
    for name, text in files.items():
        path = directory / (name.replace(" ", "_") + ".yaml")
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    # The JSON format's counterpart of an alias: a stream event may refer to an earlier one instead of
    # repeating it. Each event here refers to the one before twice: 4 KB that would double 40 times.
    events: list[dict[str, Any]] = [{"data": {"type": "x", "v": "x" * 200}}]
    events += [{"data": {"type": "x", "a": {"$same_as": [k]}, "b": {"$same_as": [k]}}} for k in range(40)]
    packed = {
        "request": {"method": "POST", "uri": "https://api.openai.com/v1/responses", "body": {"json": {}}},
        "response": {"status": {"code": 200, "message": "OK"}, "body": {"sse": events}},
    }
    path = directory / "reference_bomb.json"
    path.write_text(fileformat.finish(fileformat.dump_covered([packed])), encoding="utf-8")
    paths["reference bomb"] = path
    return paths


@pytest.mark.parametrize("name", ["billion laughs", "deep nesting", "too many nodes", "reference bomb"])
def test_bombs_are_refused_in_bounded_time_and_memory(tmp_path: Path, name: str) -> None:
    path = bombs(tmp_path)[name]
    own_tmp = tmp_path / "tmp"  # nothing an earlier run left in a temporary folder can answer for the file
    own_tmp.mkdir()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TMPDIR": str(own_tmp)},
    )
    assert child.returncode == 0, child.stderr[-2000:]
    lines = child.stdout.splitlines()
    assert lines[0].startswith("CassetteError:"), child.stdout
    assert str(path) in lines[0]
    assert [line.split()[:2] for line in lines[1:]] == [[command, "1"] for command in COMMANDS], child.stdout
    assert "Traceback" not in child.stdout + child.stderr


def test_what_the_bombs_are_refused_for(tmp_path: Path) -> None:
    paths = bombs(tmp_path)
    messages = {}
    for name, path in paths.items():
        with pytest.raises(CassetteError) as caught:
            storage.load_cassette(path)
        messages[name] = str(caught.value)
    assert "uses a YAML anchor or alias" in messages["billion laughs"]
    assert "billion_laughs.yaml:11: " in messages["billion laughs"]
    assert "nested more than 64 levels deep" in messages["deep nesting"]
    assert f"holds more than {safe_yaml.MAX_NODES:,} YAML nodes" in messages["too many nodes"]
    assert "interaction 0: response.body.json.a.a.a" in messages["a node with 5000 keys nested 70 deep"]
    assert "references would copy more than" in messages["reference bomb"]


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safe_yaml, "MAX_YAML_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text(LAUGHS.replace("&", "").replace("*", "") + "#" * 1000, encoding="utf-8")
    with pytest.raises(CassetteError, match="a cassette may be at most 1,000"):
        storage.load_cassette(path)


def test_yaml_only_types_are_named(tmp_path: Path) -> None:
    base = LAUGHS.split("      json:")[0]
    for value, kind in (
        ("!!binary aGVsbG8=", "a bytes"),
        ("2026-11-22", "a date"),
        ("!!set {a, b}", "a set"),
    ):
        path = tmp_path / "typed.yaml"
        path.write_text(base + f"      json: {{x: {value}}}\n", encoding="utf-8")
        with pytest.raises(CassetteError, match=f"response.body.json.x: is {kind}"):
            storage.load_cassette(path)
        check_everything(path)


# ------------------------------------------------------------------------------ the property test

HOSTILE_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "abc", "\n", "\ud800", "-1", "200", "http://x:99999/", "png", "RGBA", "a" * 70]),
)
HOSTILE = st.recursive(
    HOSTILE_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"n": value}
    return value


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path (keys and indexes) to every value inside ``value``."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths_of(item, (*prefix, i))


def damage_in_place(document: Any, path: tuple[Any, ...], value: Any) -> None:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value


def damage(interactions: list[dict[str, Any]], path: tuple[Any, ...], how: str, value: Any) -> Any:
    document: Any = copy.deepcopy(interactions)
    if not path:
        return value if how == "replace" else []
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if how == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@pytest.mark.slow
@given(data=st.data())
def test_structurally_hostile_cassettes_fail_only_as_cassette_errors(
    recorded: list[dict[str, Any]], data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(list(paths_of(recorded))), label="path")
    how = data.draw(
        st.sampled_from(["replace"] * 6 + ["delete"] * 2 + ["deep", "huge", "alias"]), label="how"
    )
    value: Any = None
    if how == "replace":
        value = data.draw(HOSTILE, label="value")
    elif how == "deep":
        value, how = nested(data.draw(st.integers(min_value=60, max_value=400), label="depth")), "replace"
    elif how == "huge":
        value, how = (
            "x" * data.draw(st.integers(min_value=1 << 18, max_value=1 << 20), label="length"),
            "replace",
        )
    if how == "alias":
        # The same object in two places: PyYAML writes it once with an anchor and refers to it with an
        # alias (a cycle, when one place holds the other); a JSON writer repeats it or refuses a cycle.
        document = copy.deepcopy(recorded)
        other = data.draw(st.sampled_from(list(paths_of(recorded))), label="shared with")
        shared: Any = document
        for step in other:
            shared = shared[step]
        if path:
            damage_in_place(document, path, shared)
    else:
        document = damage(recorded, path, how, value)
    with tempfile.TemporaryDirectory() as folder:
        try:
            text = storage.dump_cassette(document)
        except (TypeError, ValueError, AttributeError, RecursionError):
            return  # a shape the writer itself refuses (a cycle, say) cannot reach disk through it
        target = Path(folder) / f"hostile{suffix_of(text)}"
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
        check_everything(target)


@settings(max_examples=40, deadline=None)
@given(document=HOSTILE)
def test_a_document_of_any_shape_fails_only_as_a_cassette_error(document: Any) -> None:
    # JSON text is YAML too: the same document read by either loader.
    with tempfile.TemporaryDirectory() as folder:
        for suffix in {".yaml", suffix_of(storage.dump_cassette([]))}:
            target = Path(folder) / f"document{suffix}"
            target.write_text(json.dumps(document), encoding="utf-8", errors="surrogatepass")
            check_everything(target)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_index_is_ignored_or_refused(recorded_file: Path, data: st.DataObject) -> None:
    # The index at the end of a file (match keys, verdicts) damaged while the text it covers, and so
    # its digest, stays as recorded: it must be ignored (rebuilt) or refused, never crash a reader.
    text = recorded_file.read_text(encoding="utf-8")
    cut = text.rfind(fileformat.INDEX_SEPARATOR)
    if cut < 0:
        pytest.skip("the format writes no index")
    index = json.loads(text[cut + len(fileformat.INDEX_SEPARATOR) : text.rstrip().rfind("}")])
    path = data.draw(st.sampled_from(list(paths_of(index))), label="path")
    how = data.draw(st.sampled_from(["replace", "delete"]), label="how")
    damaged = damage(index, path, how, data.draw(HOSTILE, label="value") if how == "replace" else None)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / recorded_file.name
        target.write_text(
            text[:cut] + fileformat.INDEX_SEPARATOR + json.dumps(damaged) + "\n}\n", encoding="utf-8"
        )
        check_everything(target)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_stream_references_fail_only_as_cassette_errors(
    recorded: list[dict[str, Any]], data: st.DataObject
) -> None:
    # A reference ({"$same_as": path}) planted anywhere in a stream's packed events, pointing anywhere.
    packed = packing.pack(recorded[1])
    events = packed["response"]["body"]["sse"]
    where = data.draw(
        st.sampled_from([p for p in paths_of(events) if len(p) >= 2 and p[1] == "data"]), label="at"
    )
    target = data.draw(
        st.one_of(
            st.lists(
                st.one_of(st.integers(-2, 4), st.sampled_from(["data", "type", "b64_json", "x"])), max_size=4
            ),
            HOSTILE,
        ),
        label="refers to",
    )
    damage_in_place(events, where, {packing.REF_KEY: target})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stream.json"
        text = fileformat.finish(fileformat.dump_covered([packed]))
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        check_everything(path)
