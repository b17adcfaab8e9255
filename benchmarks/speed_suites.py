"""Parts (f) to (i) of ``speed.py``: whole pytest runs and recording, the plugin side by side with
vcrpy + pytest-recording and cassetter, each against a floor measured in the same run.

    python benchmarks/speed.py --only first-test|suite|long-cassette|recording

Every tool replays (or records) the same workload from its own cassettes, recorded through it from the
bundled emulator, as a user of that tool would; the floor is the same test code on
``httpx.MockTransport`` answering with the bytes the plugin replays. Each pytest run is a fresh process
that loads only the tool it measures (``-p no:`` the others; the floor loads none of them). Runs are
interleaved (floor, plugin, vcrpy, cassetter, floor, ...), so the load of a shared machine falls on all of
them alike; each figure is the median over ``--runs`` with the spread (min–max), and each ratio is the
median of the per-run ratios to the floor of the same round.

(f) the first test: a one-test project that replays one interaction (a 256x256 image reply) through a
    plain ``httpx.Client``, the whole ``pytest`` process timed (start-up, collection, the engine's load,
    the call). Twice: with the bytecode cache in place, and as a CI job with ``PYTHONDONTWRITEBYTECODE=1``
    on a fresh install meets it (no rewritten-assertion bytecode of the plugin's modules: pytest parses,
    rewrites and compiles every module of a plugin at every start then).
(g) a suite of ``--suite-tests`` tests, each replaying its own one-interaction cassette: the whole run's
    wall time, from a checkout with no pytest cache (cold) and again with the cache the first run left
    (warm: the plugin's rendered replies, ``cassette/rendercache.py``).
(h) one cassette of ``--interactions`` interactions (small JSON replies: ``response_format="url"``),
    all replayed by one test: wall time and the peak memory (``ru_maxrss``) of the pytest process.
(i) recording ``--record-calls`` calls from the emulator in a fresh process, each tool against the same
    calls with no recorder (the emulator answers both); and the plugin's cost per call at a half, one and
    two times that many calls: a recorder whose cost per call grows with the calls already recorded is
    quadratic.

Nothing is asserted; read the ratios.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["first_test", "long_cassette", "peers", "recording", "suite"]

KEY = "sk-test-benchmark"
# The smallest image the Images API makes: the per-test figures are the tools', not Pillow's.
SUITE_PARAMS = {"model": "dall-e-2", "size": "256x256", "response_format": "b64_json"}
LONG_PARAMS = {"model": "dall-e-2", "size": "256x256", "response_format": "url"}
DISABLE = {
    "floor": ["-p", "no:imagegen", "-p", "no:recording", "-p", "no:cassetter"],
    "plugin": ["-p", "no:recording", "-p", "no:cassetter"],
    "vcrpy": ["-p", "no:imagegen", "-p", "no:cassetter"],
    "cassetter": ["-p", "no:imagegen", "-p", "no:recording"],
}
# Runs the command given after it and prints its peak resident memory (kB, Linux) on stderr's last line.
MAXRSS = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "sys.stderr.write(f'\\nmaxrss {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n'); "
    "sys.exit(done.returncode)"
)


def have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def peers() -> list[str]:
    """The other recorders installed here (the ``bench`` extra installs both)."""
    found = []
    if have("pytest_recording") and have("vcr"):
        found.append("vcrpy")
    if have("cassetter"):
        found.append("cassetter")
    return found


HEAD = """
import os
import httpx
import pytest

BASE = os.environ.get("BENCH_BASE_URL", "https://api.openai.com/v1")
PARAMS = {params!r}
CALLS = {calls}


def calls(client, i):
    for j in range(CALLS):
        reply = client.post("/images/generations", json={{"prompt": f"prompt {{i}} {{j}}", **PARAMS}})
        assert reply.status_code == 200 and reply.json()["data"]
"""

TESTS = {
    "plugin": """
CLIENT = httpx.Client(base_url=BASE, headers={{"authorization": "Bearer {key}"}}, timeout=60)


@pytest.mark.parametrize("i", range({tests}))
def test_call(imagegen_cassette, i):
    calls(CLIENT, i)
""",
    "vcrpy": """
CLIENT = httpx.Client(base_url=BASE, headers={{"authorization": "Bearer {key}"}}, timeout=60)


@pytest.fixture(scope="module")
def vcr_config():
    return {{"filter_headers": ["authorization"], "match_on": ["method", "path", "body"]}}


@pytest.mark.vcr
@pytest.mark.parametrize("i", range({tests}))
def test_call(i):
    calls(CLIENT, i)
""",
    # cassetter's "uri" matcher includes the host (the emulator's port changes between runs).
    "cassetter": """
CLIENT = httpx.Client(base_url=BASE, headers={{"authorization": "Bearer {key}"}}, timeout=60)


@pytest.fixture(scope="module")
def vcr_config():
    return {{"filter_headers": ["authorization"], "match_on": ["method", "body"]}}


@pytest.mark.vcr
@pytest.mark.parametrize("i", range({tests}))
def test_call(i):
    calls(CLIENT, i)
""",
    "floor": """
import base64, json
from pathlib import Path

REPLIES = json.loads((Path(__file__).parent / "replies.json").read_text())


def handler(request):
    headers, body = REPLIES[json.loads(request.content)["prompt"]]
    return httpx.Response(200, headers=headers, content=base64.b64decode(body))


CLIENT = httpx.Client(
    base_url=BASE, transport=httpx.MockTransport(handler), headers={{"authorization": "Bearer {key}"}}
)


@pytest.mark.parametrize("i", range({tests}))
def test_call(i):
    calls(CLIENT, i)
""",
}


def _run(args: Sequence[str | os.PathLike[str]], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak memory (kB) of one command."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MAXRSS, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, args))} failed in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr}"
        )
    return wall, int(done.stderr.rsplit("maxrss ", 1)[1].split()[0])


def _env(base: Any, tmp: Path, **extra: str) -> dict[str, str]:
    """A fresh CI job's environment (``speed.clean_env``) with the bytecode cache a pip install leaves:
    compiled once here, in a folder of this run's own (``PYTHONPYCACHEPREFIX``)."""
    compiled = {"PYTHONPYCACHEPREFIX": str(tmp / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}
    env: dict[str, str] = base.clean_env(tmp, **{**compiled, **extra})
    return env


def make_projects(
    base: Any,
    tmp: Path,
    name: str,
    emulator: Any,
    *,
    tests: int,
    calls: int,
    params: dict[str, Any],
    tools: Sequence[str],
) -> dict[str, Path]:
    """One project per tool, its cassettes recorded through that tool from the emulator; the floor's
    replies are the bytes the plugin replays."""
    projects: dict[str, Path] = {}
    for tool in ("plugin", *tools, "floor"):
        project = tmp / f"{name}-{tool}"
        project.mkdir()
        (project / "pytest.ini").write_text("[pytest]\n")
        fill = {"params": params, "calls": calls, "key": KEY, "tests": tests}
        (project / "test_bench.py").write_text(HEAD.format(**fill) + TESTS[tool].format(**fill))
        projects[tool] = project
        env = _env(base, tmp, BENCH_BASE_URL=emulator.base_url)
        record = {"plugin": ["--imagegen-record=once"], "floor": None}.get(tool, ["--record-mode=once"])
        if record is not None:
            _run([sys.executable, "-m", "pytest", "-q", *DISABLE[tool], *record], project, env)
        shutil.rmtree(project / ".pytest_cache", ignore_errors=True)
    import base64

    from pytest_imagegen.cassette.session import open_cassette
    from pytest_imagegen.config import ImagegenConfig

    replies = {}
    config = ImagegenConfig(cassette_dir=projects["plugin"] / "cassettes")
    for i in range(tests):
        with open_cassette(config, f"test_bench.py::test_call[{i}]") as cassette:
            for j in range(calls):
                rendered = cassette.rendered(j)
                body = base64.b64encode(b"".join(rendered.chunks)).decode()
                replies[f"prompt {i} {j}"] = (rendered.headers, body)
    (projects["floor"] / "replies.json").write_text(json.dumps(replies))
    return projects


def _pytest(
    tool: str, project: Path, base: Any, tmp: Path, extra: Sequence[str] = (), **env: str
) -> tuple[float, int]:
    return _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *DISABLE[tool], *extra],
        project,
        _env(base, tmp, **env),
    )


def _report(label: str, results: dict[str, list[float]], unit: str = "s", scale: float = 1.0) -> None:
    floor = results["floor"]
    print(f"  {label}")
    for tool, values in results.items():
        med = statistics.median(values) * scale
        spread = f"{min(values) * scale:.2f}–{max(values) * scale:.2f}"
        line = f"    {tool:<10} {med:.2f} {unit} ({spread})"
        if tool != "floor":
            pairs = [a / b for a, b in zip(values, floor, strict=True)]
            diffs = [(a - b) * scale for a, b in zip(values, floor, strict=True)]
            line += (
                f": {statistics.median(pairs):.2f}x ({min(pairs):.2f}–{max(pairs):.2f}),"
                f" {statistics.median(diffs):+.3f} {unit} over the floor"
            )
        print(line)


def _drop_rewritten_bytecode(pycache: Path) -> None:
    """What a fresh install run with PYTHONDONTWRITEBYTECODE=1 has: the bytecode pip compiled at install
    time, but none of pytest's rewritten bytecode (pytest then parses, rewrites and compiles each module
    of a plugin, and the test files, at every start)."""
    for pyc in pycache.rglob("*-pytest-*.pyc"):
        pyc.unlink(missing_ok=True)


def first_test(base: Any, tmp: Path, emulator: Any, runs: int, tools: Sequence[str]) -> None:
    print(
        "\n(f) the first test: a one-test pytest run replaying one cassette (a 256x256 image), whole process"
    )
    projects = make_projects(base, tmp, "first", emulator, tests=1, calls=1, params=SUITE_PARAMS, tools=tools)
    kinds = ["floor", "plugin", *tools]
    for kind in kinds:  # the bytecode cache filled (``_env``)
        _pytest(kind, projects[kind], base, tmp)
    variants: tuple[tuple[str, dict[str, str], bool], ...] = (
        ("bytecode cache in place, no pytest cache (a fresh checkout)", {}, False),
        ("bytecode cache in place, the pytest cache of the run before", {}, True),
        (
            "PYTHONDONTWRITEBYTECODE=1, no rewritten bytecode, no pytest cache (CI)",
            {"PYTHONDONTWRITEBYTECODE": "1"},
            False,
        ),
    )
    for label, env, keep in variants:
        results: dict[str, list[float]] = {k: [] for k in kinds}
        for _ in range(runs):
            for kind in kinds:
                if not keep:
                    shutil.rmtree(projects[kind] / ".pytest_cache", ignore_errors=True)
                if env:
                    _drop_rewritten_bytecode(tmp / "pycache")
                results[kind].append(_pytest(kind, projects[kind], base, tmp, **env)[0])
        _report(label, results, "ms", 1e3)


def suite(base: Any, tmp: Path, emulator: Any, runs: int, tests: int, tools: Sequence[str]) -> None:
    print(f"\n(g) a suite of {tests} tests, each replaying its own one-interaction cassette (256x256 images)")
    projects = make_projects(
        base, tmp, "suite", emulator, tests=tests, calls=1, params=SUITE_PARAMS, tools=tools
    )
    kinds = ["floor", "plugin", *tools]
    cold: dict[str, list[float]] = {k: [] for k in kinds}
    warm: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(runs):
        for kind in kinds:
            shutil.rmtree(projects[kind] / ".pytest_cache", ignore_errors=True)
            cold[kind].append(_pytest(kind, projects[kind], base, tmp)[0])
        for kind in kinds:
            warm[kind].append(_pytest(kind, projects[kind], base, tmp)[0])
    _report("whole run, no pytest cache (a fresh checkout)", cold)
    _report("whole run again, with the cache the first run left", warm)


def long_cassette(
    base: Any, tmp: Path, emulator: Any, runs: int, interactions: int, tools: Sequence[str]
) -> None:
    print(f"\n(h) one cassette of {interactions} interactions, all replayed by one test (url replies)")
    projects = make_projects(
        base, tmp, "long", emulator, tests=1, calls=interactions, params=LONG_PARAMS, tools=tools
    )
    kinds = ["floor", "plugin", *tools]
    walls: dict[str, list[float]] = {k: [] for k in kinds}
    memory: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(runs):
        for kind in list(kinds):
            shutil.rmtree(projects[kind] / ".pytest_cache", ignore_errors=True)
            try:
                wall, rss = _pytest(kind, projects[kind], base, tmp)
            except RuntimeError as exc:
                if kind in ("floor", "plugin"):
                    raise
                # A peer that cannot replay a cassette this long (cassetter 0.16 refuses its own YAML of
                # 2,000 interactions: "budget breached: Nodes") is reported, not measured.
                error = next((line for line in str(exc).splitlines() if "Error" in line), "failed")
                print(f"    {kind:<10} could not replay its cassette: {error.strip()[:160]}")
                kinds.remove(kind)
                del walls[kind], memory[kind]
                continue
            walls[kind].append(wall)
            memory[kind].append(rss / 1024)
    _report("wall time of the pytest process", walls)
    _report("peak memory of the pytest process", memory, "MB")


# ------------------------------------------------------------------------------------------- recording


def recording_worker(kind: str, folder: Path, base_url: str, calls: int) -> float:
    """Seconds per call for ``calls`` distinct calls to the emulator, recorded by ``kind`` (or not)."""
    import contextlib

    import httpx

    client = httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {KEY}"}, timeout=60)
    client.post("/images/generations", json={"prompt": "warm-up", **SUITE_PARAMS}).raise_for_status()
    context: Any = contextlib.nullcontext()
    if kind == "plugin":
        from pytest_imagegen.cassette.session import open_cassette
        from pytest_imagegen.config import ImagegenConfig

        config = ImagegenConfig(cassette_dir=folder, record_mode="once")
        context = open_cassette(config, "bench.py::record", cache_dir=folder / ".cache")
    elif kind == "vcrpy":
        import vcr

        context = vcr.use_cassette(
            str(folder / "vcr.yaml"), record_mode="once", filter_headers=["authorization"]
        )
    elif kind == "cassetter":
        import cassetter

        context = cassetter.use_cassette(
            folder / "cassetter.yaml", record_mode="once", filter_headers=["authorization"]
        )
    start = time.perf_counter()
    with context:
        for i in range(calls):
            client.post(
                "/images/generations", json={"prompt": f"record {i}", **SUITE_PARAMS}
            ).raise_for_status()
    return (time.perf_counter() - start) / calls


def recording(base: Any, tmp: Path, emulator: Any, runs: int, calls: int, tools: Sequence[str]) -> None:
    print(f"\n(i) recording {calls} calls from the emulator (256x256 images), fresh process, per call")
    kinds = ["floor", "plugin", *tools]

    def once(kind: str, n: int) -> float:
        folder = tmp / f"record-{kind}-{time.monotonic_ns()}"
        folder.mkdir()
        done = subprocess.run(
            [
                sys.executable,
                base.__file__,
                "--recording-worker",
                kind,
                str(folder),
                emulator.base_url,
                str(n),
            ],
            env=_env(base, tmp),
            capture_output=True,
            text=True,
            cwd=base.ROOT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"recording worker {kind} failed:\n{done.stdout}\n{done.stderr}")
        shutil.rmtree(folder, ignore_errors=True)
        return float(done.stdout.strip().splitlines()[-1])

    results: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(runs):
        for kind in kinds:
            results[kind].append(once(kind, calls))
    _report("seconds per call, against the same calls with no recorder", results, "ms", 1e3)
    sizes = [max(calls // 2, 1), calls, calls * 2]
    linear: dict[int, list[float]] = {n: [] for n in sizes}
    for _ in range(runs):
        for n in sizes:
            linear[n].append(once("plugin", n) - once("floor", n))
    first = statistics.median(linear[sizes[0]])
    print("  the plugin's own cost per call (over the floor), by number of calls recorded:")
    for n in sizes:
        med = statistics.median(linear[n])
        print(f"    {n:>6} calls: {med * 1e3:.2f} ms per call ({med / first:.2f}x the cost at {sizes[0]})")
