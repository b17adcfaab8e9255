"""Speed of pytest-imagegen where users feel it, against floors measured in the same run.

    python benchmarks/speed.py [--runs 5] [--tests 100] [--calls 500] [--suite-tests 2000]
                               [--interactions 10000] [--record-calls 500] [--only PART]

Everything runs the way a user meets it: fresh processes, fresh copies of a suite and its cassettes (no
cache of any kind, a fresh TMPDIR), every recorded interaction played once, pytest started as a
subprocess. It prints medians and the spread (min–max) of ``--runs`` interleaved runs:

(a) start-up: the cost of importing the plugin (what every pytest start pays where it is installed),
    the wall time of pytest on a one-test project that never uses it, against ``-p no:imagegen``, and
    the cost per test of 1,000 tests that never use it (what an unmarked test pays);
(b) per test: a suite of ``--tests`` tests, each replaying its own one-interaction cassette through a
    plain ``httpx.Client``, against the same tests on ``httpx.MockTransport`` returning the same bytes,
    in the same pytest run; from a fresh copy (cold) and again in that copy (warm). The per-test cost is
    the difference of the median setup+call+teardown time of the two kinds of test;
(c) per call: ``--calls`` distinct interactions in one cassette, each replayed once in shuffled order,
    in a fresh process, through raw httpx and through the openai SDK (each replaying what it recorded
    itself, as in a user's suite), against ``httpx.MockTransport`` / ``httpx2.MockTransport`` returning
    the same bytes. Each process first makes one untimed call of the
    same shape (imports, the first placeholder image, connection set-up), so the figure is the cost of a
    call, not of a process;
(d) the same for vcrpy + pytest-recording, where pytest-recording is installed
    (``pip install -e '.[bench]'``);
(e) per call through ``requests`` and ``aiohttp`` (``speed_libraries.py``);
(f) the first test, (g) a suite of ``--suite-tests`` tests, (h) one cassette of ``--interactions``
    interactions (wall time and peak memory), (i) recording ``--record-calls`` calls and whether its cost
    is linear: whole pytest runs and fresh processes, the plugin side by side with vcrpy +
    pytest-recording and cassetter, each against its floor in the same run (``speed_suites.py``).

Read the ratios, not the absolute times: the machine is shared and noisy. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
KEY = "sk-test-benchmark"
DEAD_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens: replay must not need the network
PARAMS = {"model": "gpt-image-1.5", "size": "1024x1024", "quality": "low"}
TEST_ID = "bench.py::calls"
# The other recorders the bench extra installs, kept out of the runs that measure the plugin alone.
OTHERS = ("-p", "no:recording", "-p", "no:cassetter")
# Each client replays what it recorded itself, as a user's suite does: the openai SDK sends other bytes
# (key order, headers) than plain httpx for the same call.
TEST_IDS = {"httpx": (TEST_ID, "bench.py::warmup"), "openai": ("bench.py::sdk_calls", "bench.py::sdk_warmup")}


def have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def spread(values: Sequence[float], unit: float = 1e3, suffix: str = "ms", digits: int = 2) -> str:
    med = statistics.median(values)
    return (
        f"{med * unit:.{digits}f} {suffix} ({min(values) * unit:.{digits}f}–{max(values) * unit:.{digits}f})"
    )


def ratio(ours: Sequence[float], floor: Sequence[float]) -> str:
    pairs = [a / b for a, b in zip(ours, floor, strict=True)]
    return f"{statistics.median(pairs):.2f}x ({min(pairs):.2f}–{max(pairs):.2f})"


def run(
    args: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment as a fresh CI job has it: a new TMPDIR, no key, no pytest plugins from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "IMAGEGEN_", "PYTEST_"))}
    tmpdir = tmp / f"tmp-{time.monotonic_ns()}"
    tmpdir.mkdir(parents=True)
    env.update(TMPDIR=str(tmpdir), PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)  # PYTHONDONTWRITEBYTECODE="" writes bytecode
    return env


# ------------------------------------------------------------------------------------------ (a) start-up


def import_cost(module: str) -> float:
    """Seconds to import ``module`` after ``import pytest`` (as pytest loads plugins), in a fresh process."""
    code = f"import pytest, time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return float(run([PYTHON, "-c", code]).strip())


def startup(tmp: Path, runs: int) -> None:
    print("(a) start-up")
    project = tmp / "startup"
    project.mkdir()
    (project / "test_one.py").write_text("def test_one():\n    assert True\n")
    (project / "pytest.ini").write_text("[pytest]\n")
    ours, theirs = [], []
    plain, without = [], []
    for _ in range(runs):
        ours.append(import_cost("pytest_imagegen.plugin"))
        if have("pytest_recording"):
            theirs.append(import_cost("pytest_recording.plugin"))
        for args, into in (([], plain), (["-p", "no:imagegen"], without)):
            env = clean_env(tmp)
            start = time.perf_counter()
            run(
                [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *OTHERS, *args], cwd=project, env=env
            )
            into.append(time.perf_counter() - start)
    print(f"  import pytest_imagegen.plugin:       {spread(ours)}")
    if theirs:
        print(f"  import pytest_recording.plugin:      {spread(theirs)}")
    print(f"  pytest, 1 test not using the plugin: {spread(plain)}")
    print(f"  the same with -p no:imagegen:        {spread(without)}")
    print(f"  ratio (plugin loaded / not loaded):  {ratio(plain, without)}")

    many = tmp / "many"
    many.mkdir()
    (many / "pytest.ini").write_text("[pytest]\n")
    (many / "test_many.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('i', range(1000))\ndef test_x(i):\n    pass\n"
    )
    (many / "conftest.py").write_text(CONFTEST)
    per_test = []
    for _ in range(runs):
        medians = []
        for args in ([], ["-p", "no:imagegen"]):
            out = tmp / f"many-{time.monotonic_ns()}.json"
            env = clean_env(tmp, BENCH_DURATIONS=str(out))
            run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *OTHERS, *args], cwd=many, env=env)
            durations = json.loads(out.read_text())
            medians.append(statistics.mean(durations.values()))
        per_test.append(medians[0] - medians[1])
    print(f"  per unmarked test, plugin loaded vs not (mean over 1,000): {spread(per_test, 1e3, 'us', 1)}")


# ------------------------------------------------------------------------------------------ (b) per test

CONFTEST = """
import json, os, time

_durations = {}

def pytest_runtest_logreport(report):
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration

def pytest_sessionfinish(session):
    out = os.environ.get("BENCH_DURATIONS")
    if out:
        with open(out, "w") as f:
            json.dump(_durations, f)
"""

SUITE_HEAD = """
import os
import httpx
import pytest

BASE = os.environ.get("BENCH_BASE_URL", "https://api.openai.com/v1")
PARAMS = {params!r}
"""

IMAGEGEN_TESTS = (
    SUITE_HEAD
    + """
CLIENT = httpx.Client(base_url=BASE, headers={{"authorization": "Bearer {key}"}})


@pytest.mark.parametrize("i", range({tests}))
def test_call(imagegen_cassette, i):
    reply = CLIENT.post("/images/generations", json={{"prompt": f"prompt {{i}}", **PARAMS}})
    assert reply.status_code == 200 and reply.json()["data"]
"""
)

MOCK_TESTS = (
    SUITE_HEAD
    + """
import base64, json
from pathlib import Path

REPLIES = json.loads((Path(__file__).parent / "replies.json").read_text())


def handler(request):
    prompt = json.loads(request.content)["prompt"]
    reply = REPLIES[prompt]
    return httpx.Response(200, headers=reply["headers"], content=base64.b64decode(reply["body"]))


CLIENT = httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler), headers={{"authorization": "Bearer {key}"}})


@pytest.mark.parametrize("i", range({tests}))
def test_call(i):
    reply = CLIENT.post("/images/generations", json={{"prompt": f"prompt {{i}}", **PARAMS}})
    assert reply.status_code == 200 and reply.json()["data"]
"""
)

VCR_TESTS = (
    SUITE_HEAD
    + """
CLIENT = httpx.Client(base_url=BASE, headers={{"authorization": "Bearer {key}"}})


@pytest.fixture(scope="module")
def vcr_config():
    return {{"filter_headers": ["authorization"], "match_on": ["method", "path", "body"]}}


@pytest.mark.vcr
@pytest.mark.parametrize("i", range({tests}))
def test_call(i):
    reply = CLIENT.post("/images/generations", json={{"prompt": f"prompt {{i}}", **PARAMS}})
    assert reply.status_code == 200 and reply.json()["data"]
"""
)


def make_suite(tmp: Path, emulator: Any, tests: int, vcr_tests: int) -> Path:
    """The suite, its cassettes recorded from the emulator, and the mock tests' replies."""
    project = tmp / "suite"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "conftest.py").write_text(CONFTEST)
    fill = {"params": PARAMS, "key": KEY, "tests": tests}
    (project / "test_imagegen.py").write_text(IMAGEGEN_TESTS.format(**fill))
    (project / "test_mock.py").write_text(MOCK_TESTS.format(**fill))
    env = clean_env(tmp, BENCH_BASE_URL=emulator.base_url)
    run(
        [
            PYTHON,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:recording",
            "-p",
            "no:cassetter",
            "test_imagegen.py",
            "--imagegen-record=once",
        ],
        cwd=project,
        env=env,
    )
    if vcr_tests and have("pytest_recording"):
        (project / "test_vcr.py").write_text(VCR_TESTS.format(**{**fill, "tests": vcr_tests}))
        run(
            [PYTHON, "-m", "pytest", "-q", "-p", "no:cassetter", "test_vcr.py", "--record-mode=once"],
            cwd=project,
            env=env,
        )

    # The mock tests answer with the very bytes the plugin replays.
    from pytest_imagegen.cassette.session import open_cassette
    from pytest_imagegen.config import ImagegenConfig

    replies = {}
    config = ImagegenConfig(cassette_dir=project / "cassettes")
    for i in range(tests):
        with open_cassette(config, f"test_imagegen.py::test_call[{i}]") as cassette:
            rendered = cassette.rendered(0)
        replies[f"prompt {i}"] = {
            "headers": rendered.headers,
            "body": base64.b64encode(b"".join(rendered.chunks)).decode(),
        }
    (project / "replies.json").write_text(json.dumps(replies))
    shutil.rmtree(project / ".pytest_cache", ignore_errors=True)
    return project


def suite_run(
    project: Path, tmp: Path, files: Sequence[str], extra: Sequence[str] = ()
) -> tuple[dict[str, float], float]:
    out = tmp / f"durations-{time.monotonic_ns()}.json"
    env = clean_env(tmp, BENCH_DURATIONS=str(out))
    # cassetter registers pytest-recording's options too: the two never load together.
    plugins = ["-p", "no:cassetter"] + ([] if any("vcr" in f for f in files) else ["-p", "no:recording"])
    start = time.perf_counter()
    run([PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", *plugins, *extra, *files], cwd=project, env=env)
    wall = time.perf_counter() - start
    durations: dict[str, float] = json.loads(out.read_text())
    return durations, wall


def median_of(durations: dict[str, float], prefix: str) -> float:
    return statistics.median(v for k, v in durations.items() if k.startswith(prefix))


def per_test(tmp: Path, template: Path, runs: int, tests: int) -> None:
    print(f"\n(b) per test: {tests} tests, each replaying its own one-interaction cassette through httpx")
    cold, warm, walls, mock_walls = [], [], [], []
    vcr_cost = []
    files = ["test_imagegen.py", "test_mock.py"]
    for n in range(runs):
        copy = tmp / f"copy-{n}"
        shutil.copytree(template, copy)
        for into in (cold, warm):  # the fresh copy first, then the same copy again
            durations, _ = suite_run(copy, tmp, files)
            into.append(median_of(durations, "test_imagegen.py") - median_of(durations, "test_mock.py"))
        _, wall = suite_run(copy, tmp, ["test_imagegen.py"])
        _, mock_wall = suite_run(copy, tmp, ["test_mock.py"])
        walls.append(wall)
        mock_walls.append(mock_wall)
        if (copy / "test_vcr.py").exists():
            durations, _ = suite_run(copy, tmp, ["test_vcr.py", "test_mock.py"], ["--record-mode=none"])
            vcr_cost.append(median_of(durations, "test_vcr.py") - median_of(durations, "test_mock.py"))
        shutil.rmtree(copy)
    print(f"  per-test cost, fresh copy (cold):       +{spread(cold, digits=3)}")
    print(f"  per-test cost, second run (warm):       +{spread(warm, digits=3)}")
    if vcr_cost:
        print(f"  vcrpy + pytest-recording, same method:  +{spread(vcr_cost, digits=3)}")
    print(f"  whole pytest run, plugin tests:         {spread(walls, 1, 's')}")
    print(f"  whole pytest run, MockTransport tests:  {spread(mock_walls, 1, 's')}")


# ------------------------------------------------------------------------------------------ (c) per call


def record_calls(tmp: Path, emulator: Any, calls: int) -> Path:
    """Per client (plain httpx, the openai SDK), one cassette of ``calls`` distinct interactions and a
    one-interaction warm-up cassette, recorded through that client."""
    import httpx
    import openai

    from pytest_imagegen.cassette.session import open_cassette
    from pytest_imagegen.config import ImagegenConfig

    folder = tmp / "calls"
    config = ImagegenConfig(cassette_dir=folder, record_mode="once")
    with httpx.Client(
        base_url=emulator.base_url, headers={"authorization": f"Bearer {KEY}"}, timeout=60
    ) as client:
        for test_id, count in zip(TEST_IDS["httpx"], (calls, 1), strict=True):
            with open_cassette(config, test_id):
                for i in range(count):
                    client.post(
                        "/images/generations", json={"prompt": f"{test_id} {i}", **PARAMS}
                    ).raise_for_status()
    sdk = openai.OpenAI(base_url=emulator.base_url, api_key=KEY, max_retries=0)
    for test_id, count in zip(TEST_IDS["openai"], (calls, 1), strict=True):
        with open_cassette(config, test_id):
            for i in range(count):
                sdk.images.with_raw_response.generate(prompt=f"{test_id} {i}", **PARAMS).parse()
    sdk.close()
    return folder


def worker(kind: str, client: str, folder: Path, calls: int, seed: int) -> float:
    """Seconds per call for ``calls`` distinct interactions, each played once, in shuffled order."""
    import httpx
    import httpx2

    from pytest_imagegen.cassette.session import open_cassette
    from pytest_imagegen.config import ImagegenConfig

    order = list(range(calls))
    random.Random(seed).shuffle(order)
    config = ImagegenConfig(cassette_dir=folder)
    calls_id, warmup_id = TEST_IDS[client]

    def prompt(test_id: str, i: int) -> str:
        return f"{test_id} {i}"

    # The replies the floors answer with: the bytes the plugin replays, one per prompt.
    replies: dict[str, tuple[list[tuple[str, str]], bytes]] = {}
    for test_id, count in ((calls_id, calls), (warmup_id, 1)):
        with open_cassette(config, test_id) as cassette:
            for i in range(count):
                rendered = cassette.rendered(i)
                replies[prompt(test_id, i)] = (rendered.headers, b"".join(rendered.chunks))

    def reply_for(module: Any) -> Callable[[Any], Any]:
        def handler(request: Any) -> Any:
            headers, body = replies[json.loads(request.content)["prompt"]]
            return module.Response(200, headers=headers, content=body)

        return handler

    def make_call(kind: str) -> tuple[Callable[[str], Any], Any]:
        if client == "httpx":
            transport = httpx.MockTransport(reply_for(httpx)) if kind == "floor" else None
            http = httpx.Client(base_url=DEAD_BASE_URL, transport=transport)
            call = lambda p: http.post("/images/generations", json={"prompt": p, **PARAMS}).json()  # noqa: E731
            return call, http
        import openai

        http2 = httpx2.Client(transport=httpx2.MockTransport(reply_for(httpx2))) if kind == "floor" else None
        sdk = openai.OpenAI(base_url=DEAD_BASE_URL, api_key=KEY, max_retries=0, http_client=http2)
        call = lambda p: sdk.images.with_raw_response.generate(prompt=p, **PARAMS).parse()  # noqa: E731
        return call, sdk

    call, owner = make_call(kind)
    if kind == "vcrpy":
        import vcr

        with vcr.use_cassette(
            str(folder / "vcr-warmup.yaml"), record_mode="none", match_on=["method", "path", "body"]
        ):
            call(prompt("bench.py::warmup", 0))
        with vcr.use_cassette(
            str(folder / "vcr-calls.yaml"), record_mode="none", match_on=["method", "path", "body"]
        ):
            start = time.perf_counter()
            for i in order:
                call(prompt(TEST_ID, i))
            return (time.perf_counter() - start) / calls
    if kind == "floor":
        call(prompt(warmup_id, 0))
        start = time.perf_counter()
        for i in order:
            call(prompt(calls_id, i))
        return (time.perf_counter() - start) / calls
    with open_cassette(config, warmup_id):
        call(prompt(warmup_id, 0))
    with open_cassette(config, calls_id):
        start = time.perf_counter()
        for i in order:
            call(prompt(calls_id, i))
        elapsed = time.perf_counter() - start
    owner.close()
    return elapsed / calls


def write_vcr_cassettes(folder: Path, calls: int) -> None:
    """The same interactions in vcrpy's own format (the very bytes the plugin replays)."""
    import httpx
    import vcr
    from vcr.request import Request as VcrRequest

    from pytest_imagegen.cassette.session import open_cassette
    from pytest_imagegen.config import ImagegenConfig

    config = ImagegenConfig(cassette_dir=folder)
    for test_id, count, name in (
        (TEST_ID, calls, "vcr-calls.yaml"),
        ("bench.py::warmup", 1, "vcr-warmup.yaml"),
    ):
        # vcrpy writes the cassette itself when its context ends (its public interface only).
        with (
            vcr.use_cassette(str(folder / name), record_mode="all") as cassette,
            open_cassette(config, test_id) as ours,
        ):
            for i in range(count):
                rendered = ours.rendered(i)
                url = f"{DEAD_BASE_URL}/images/generations"
                content = httpx.Request("POST", url, json={"prompt": f"{test_id} {i}", **PARAMS}).content
                headers: dict[str, list[str]] = {}
                for k, v in rendered.headers:
                    headers.setdefault(k, []).append(v)
                cassette.append(
                    VcrRequest("POST", url, content, {"content-type": "application/json"}),
                    {
                        "status": {"code": 200, "message": "OK"},
                        "headers": headers,
                        "body": {"string": b"".join(rendered.chunks)},
                    },
                )


def per_call(tmp: Path, folder: Path, runs: int, calls: int) -> None:
    print(
        f"\n(c) per call: {calls} distinct interactions in one cassette, each replayed once, shuffled, fresh process"
    )
    kinds = ["floor", "plugin"]
    if have("vcr"):
        write_vcr_cassettes(folder, calls)
    for client in ("httpx", "openai"):
        results: dict[str, list[float]] = {k: [] for k in (*kinds, "vcrpy")}
        for n in range(runs):
            for kind in (*kinds, *(["vcrpy"] if client == "httpx" and have("vcr") else [])):
                env = clean_env(tmp)
                out = run(
                    [PYTHON, __file__, "--worker", kind, client, str(folder), str(calls), str(n)],
                    env=env,
                    cwd=ROOT,
                )
                results[kind].append(float(out.strip().splitlines()[-1]))
        floor, ours = results["floor"], results["plugin"]
        print(
            f"  {client:<7} floor {spread(floor, 1e6, 'us', 0)}, plugin {spread(ours, 1e6, 'us', 0)}: {ratio(ours, floor)}"
        )
        if results["vcrpy"]:
            print(
                f"  {'':<7} vcrpy {spread(results['vcrpy'], 1e6, 'us', 0)}: {ratio(results['vcrpy'], floor)}"
            )


PARTS = (
    "startup",
    "per-test",
    "per-call",
    "per-call-libraries",
    "first-test",
    "suite",
    "long-cassette",
    "recording",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument(
        "--vcr-tests",
        type=int,
        default=30,
        help="tests in the vcrpy suite (its cassettes are megabytes each)",
    )
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--suite-tests", type=int, default=2000, help="tests in the suite of part (g)")
    parser.add_argument(
        "--interactions", type=int, default=10000, help="interactions in the cassette of part (h)"
    )
    parser.add_argument("--record-calls", type=int, default=500, help="calls recorded in part (i)")
    parser.add_argument("--only", choices=[*PARTS], default=None)
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--recording-worker", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--library-worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, client, folder, calls, seed = args.worker
        print(worker(kind, client, Path(folder), int(calls), int(seed)))
        return 0
    if args.recording_worker:
        from speed_suites import recording_worker

        kind, folder, base_url, calls = args.recording_worker
        print(recording_worker(kind, Path(folder), base_url, int(calls)))
        return 0
    if args.library_worker:
        from speed_libraries import library_worker

        kind, client, folder, calls, seed = args.library_worker
        print(library_worker(kind, client, Path(folder), int(calls), int(seed)))
        return 0
    load = os.getloadavg()
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True, check=False).stdout.strip()}")
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.runs} runs each, median (min–max)"
    )
    from pytest_imagegen.emulator import Emulator

    with tempfile.TemporaryDirectory() as name, Emulator() as emulator:
        tmp = Path(name)
        if args.only in (None, "startup"):
            startup(tmp, args.runs)
        if args.only in (None, "per-test"):
            template = make_suite(tmp, emulator, args.tests, args.vcr_tests)
            per_test(tmp, template, args.runs, args.tests)
        if args.only in (None, "per-call"):
            folder = record_calls(tmp, emulator, args.calls)
            per_call(tmp, folder, args.runs, args.calls)
        if args.only in (None, "per-call-libraries") and have("requests") and have("aiohttp"):
            from speed_libraries import per_call_libraries

            per_call_libraries(tmp, emulator, args.runs, args.calls, sys.modules[__name__])
        import speed_suites

        tools = speed_suites.peers()
        this = sys.modules[__name__]
        if args.only in (None, "first-test"):
            speed_suites.first_test(this, tmp, emulator, args.runs, tools)
        if args.only in (None, "suite"):
            speed_suites.suite(this, tmp, emulator, args.runs, args.suite_tests, tools)
        if args.only in (None, "long-cassette"):
            speed_suites.long_cassette(this, tmp, emulator, args.runs, args.interactions, tools)
        if args.only in (None, "recording"):
            speed_suites.recording(this, tmp, emulator, args.runs, args.record_calls, tools)
    print(
        f"\nuptime: {subprocess.run(['uptime'], capture_output=True, text=True, check=False).stdout.strip()}"
    )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
