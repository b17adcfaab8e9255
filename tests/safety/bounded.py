"""Running the plugin's readers on a hostile file in a child process whose CPU time and memory are capped.

No test here decides by the wall clock (a loaded machine makes any clock limit flaky): the child caps its
own address space (``RLIMIT_AS``) and, once its imports are done, its CPU time (``RLIMIT_CPU``, beyond
which the kernel ends it). A file whose cost is unbounded kills the child, or makes it fail with
``MemoryError``; a bounded one is refused well within both caps.

What the child does with the file, each step reported on a line of its own: load it
(``storage.load_cassette``), load it as replay does (``ImagegenCassette.load``), and run
``imagegen-cassettes verify``, ``show``, ``stats`` and ``scrub`` on it.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["COMMANDS", "MEMORY", "Child", "run_bounded"]

COMMANDS = ("verify", "show", "stats", "scrub")
MEMORY = 1 << 30  # bytes of address space: the interpreter with the plugin loaded takes about 60 MB

CHILD = """
import contextlib, io, math, resource, sys
from pathlib import Path

resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]), int(sys.argv[3])))
from pytest_imagegen import cli
from pytest_imagegen.cassette import storage
from pytest_imagegen.cassette.core import ImagegenCassette
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.errors import CassetteError

usage = resource.getrusage(resource.RUSAGE_SELF)
budget = math.ceil(usage.ru_utime + usage.ru_stime) + int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_CPU, (budget, budget + 1))
path = Path(sys.argv[1])


def attempt(name, call):
    try:
        call()
        print(name, "read")
    except CassetteError as exc:
        print(name, "CassetteError", str(exc).splitlines()[0][:400])


attempt("load", lambda: storage.load_cassette(path))
attempt("replay", lambda: ImagegenCassette.load(path=path, config=ImagegenConfig(cassette_dir=path.parent)))
for command in ("verify", "show", "stats", "scrub"):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main([command, str(path)])
    print(command, code, (out.getvalue().strip().splitlines() or [""])[0][:400])
"""


@dataclass
class Child:
    returncode: int
    stdout: str
    stderr: str

    def lines(self) -> dict[str, str]:
        """Each step's report, by step name."""
        found = {}
        for line in self.stdout.splitlines():
            name, _, rest = line.partition(" ")
            found[name] = rest
        return found


def run_bounded(path: Path, *, cpu_seconds: int = 10, feed: Path | None = None) -> Child:
    """Run the child on ``path``, allowed ``cpu_seconds`` of CPU after its imports and ``MEMORY`` bytes.

    ``feed``: a FIFO the parent holds open for writing and keeps filling while the child lives (a reader
    that does not refuse it reads until its memory cap)."""
    command = [sys.executable, "-c", CHILD, str(path), str(cpu_seconds), str(MEMORY)]
    env = {**os.environ, "TMPDIR": str(path.parent)}
    writer = os.open(feed, os.O_RDWR | os.O_NONBLOCK) if feed is not None else None
    try:
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=path.parent
        )
        if writer is not None:
            chunk = b"0," * 32768
            while child.poll() is None:
                try:
                    os.write(writer, chunk)
                except BlockingIOError:  # the pipe is full: nobody reads (yet)
                    time.sleep(0.001)
                except OSError as exc:  # pragma: no cover - the reader went away
                    if exc.errno != errno.EPIPE:
                        raise
                    break
        stdout, stderr = child.communicate()
    finally:
        if writer is not None:
            os.close(writer)
    return Child(child.returncode, stdout, stderr)
