"""The package's layers, read from its source with ``ast``: who may import whom, what the pure layers may
import at all, and the size and docstring of every module.

Every import counts, wherever it is written: at module level, inside a function (a lazy import is still
a dependency, only a later one), and ``importlib.import_module("...")`` / ``__import__("...")`` with a
literal name. A name computed at run time is out of reach of this check (the package root's table of
lazy exports is one, and the root may import everything anyway).

Imports under ``if TYPE_CHECKING:`` never run. They are exempt from the pure layers' list of forbidden
libraries (annotating a parameter with ``httpx.Request`` does not make a module do HTTP), but they still
obey the layer order: a type-only import of a higher layer is still a design dependency, and mypy follows
it.

Run it alone with ``pytest tests/test_layers.py``; a failure names the module, the line and the import.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "pytest_imagegen"
SOURCE = Path(__file__).resolve().parent.parent / PACKAGE

#: The layers, lowest first. A module may import its own layer and any layer of a lower rank; layers of
#: one rank are peers and may not import each other. A layer is a sub-package or a top-level module of
#: ``pytest_imagegen``; ``__init__`` stands for the package root (``pytest_imagegen/__init__.py``, whose
#: lazy exports name every layer, and ``__main__.py``).
#:
#: Read from the code as it is, and why each rank sits where it does:
#: - ``wire`` imports nothing of ours: bytes and dicts in, bytes and dicts out.
#: - ``safety`` imports ``wire`` (it walks the parsed bodies).
#: - ``errors`` imports ``safety.credentials`` (``mask_text``: no error message prints a secret), so it
#:   sits above ``safety``; neither ``wire`` nor ``safety`` raises one of its errors.
#: - ``contract`` imports ``errors`` (``RequestValidationError``, ``SchemaAssertionError``).
#: - ``config`` imports nothing of ours, but it holds paths (``os``, ``pathlib``), so it is not pure and
#:   sits above the pure layers, which may not import it.
#: - ``cassette`` (the engine) uses all of the above; ``client``, ``emulator`` and ``snapshot`` are peers
#:   over them; ``assertions`` (over ``client``), ``cli`` (over ``cassette``) and ``visual`` (the image
#:   assertions: over ``safety``'s facts and previews, it reads whatever reply a test holds, and writes
#:   diff PNGs, so it is no pure layer) are peers.
#: - ``run`` is what a test run reports without pytest (the session's end: summary, verdict, replay
#:   records, the HTML report; a short failure report): over ``cassette`` and ``cli`` (its totals and
#:   report), under ``plugin``, which wires pytest to all of it and holds nothing else.
LAYER_ORDER: tuple[tuple[str, ...], ...] = (
    ("wire",),
    ("safety",),
    ("errors",),
    ("contract",),
    ("config",),
    ("cassette",),
    ("client", "emulator", "snapshot"),
    ("assertions", "cli", "visual"),
    ("run",),
    ("plugin",),
    ("__init__",),
)
RANK = {layer: rank for rank, layers in enumerate(LAYER_ORDER) for layer in layers}

#: The pure layers: plain data in, plain data out; no pytest, no network, no files.
PURE = ("wire", "safety", "contract")

#: Modules a pure layer may not import (a name covers its submodules): test frameworks, the cassette
#: engine's libraries, HTTP clients and servers, and the standard library's files, processes and network.
FORBIDDEN_IN_PURE = {
    **dict.fromkeys(("pytest", "_pytest", "syrupy"), "test framework"),
    **dict.fromkeys(("vcr", "filelock", "yaml"), "cassette engine (cassette/)"),
    **dict.fromkeys(
        ("httpx", "httpx2", "httpcore", "httpcore2", "anyio", "openai", "requests", "urllib3", "aiohttp"),
        "HTTP client",
    ),
    **dict.fromkeys(("starlette", "uvicorn"), "HTTP server (emulator/)"),
    **dict.fromkeys(("os", "pathlib", "shutil", "tempfile", "glob", "fileinput"), "file I/O"),
    **dict.fromkeys(
        ("socket", "ssl", "subprocess", "http.client", "http.server", "urllib.request"),
        "network or processes",
    ),
}

#: I/O a pure module may do anyway, each with its reason: (module, forbidden name or "open") -> why.
#: None today:
#: ``io`` itself is allowed for ``io.BytesIO`` (Pillow reads and writes image bytes in memory), and the
#: calls that open files (``open``, ``io.open``, ``X.open(...)`` on anything but a ``BytesIO``) are
#: reported by ``file_opens`` below.
PURE_IO_ALLOWED: dict[tuple[str, str], str] = {}

MAX_LINES = 500


@dataclass(frozen=True)
class Import:
    line: int
    target: str  # absolute dotted name: ``pytest_imagegen.wire.bodies``, ``httpx``
    type_only: bool  # under ``if TYPE_CHECKING:``


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """``pytest_imagegen.contract.gemini.models`` -> ``contract``; the root and ``__main__`` -> ``__init__``."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return "__init__"
    return parts[1]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _from_target(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(tree: ast.Module, module: str, is_package: bool) -> list[Import]:
    """Every import in ``tree``, at any depth, as absolute names."""
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                visit(statement, True)
            for statement in node.orelse:
                visit(statement, type_only)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(node.lineno, alias.name, type_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _from_target(module, is_package, node)
            if target == PACKAGE:  # ``from pytest_imagegen import errors``: the submodule, when it is one
                found.extend(
                    Import(node.lineno, f"{PACKAGE}.{alias.name}", type_only) for alias in node.names
                )
            else:
                found.append(Import(node.lineno, target, type_only))
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(Import(node.lineno, node.args[0].value, type_only))
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(tree, False)
    return found


def _target_layer(target: str) -> str | None:
    """The layer of one of our modules; None for anything else. Importing a name from the root (one of
    its lazy exports) is importing the root."""
    if target != PACKAGE and not target.startswith(PACKAGE + "."):
        return None
    layer = layer_of(target)
    return layer if layer in RANK else "__init__"


def order_violations(module: str, imports: list[Import]) -> list[str]:
    """Imports of a higher layer or of a peer: ``line N: imports X: 'a' (rank i) is above 'b' (rank j)``."""
    own = layer_of(module)
    if own not in RANK:
        return [f"layer {own!r} is not in LAYER_ORDER: place it there"]
    found = []
    for imp in imports:
        layer = _target_layer(imp.target)
        if layer is None or layer == own:
            continue
        if RANK[layer] >= RANK[own]:
            note = " (under TYPE_CHECKING)" if imp.type_only else ""
            if RANK[layer] == RANK[own]:
                why = f"{layer!r} is a peer of {own!r} (rank {RANK[own]})"
            else:
                why = f"{layer!r} (rank {RANK[layer]}) is above {own!r} (rank {RANK[own]})"
            found.append(f"line {imp.line}: imports {imp.target}{note}: {why}")
    return found


def file_opens(tree: ast.Module) -> list[str]:
    """Calls that open a file: ``open(...)``, ``io.open(...)``, ``io.FileIO(...)``, or any ``X.open(arg)``
    whose argument is not an in-memory ``BytesIO(...)`` (``Image.open(io.BytesIO(raw))`` is fine)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"open", "FileIO"}:
            found.append(f"line {node.lineno}: calls {func.id}()")
        elif isinstance(func, ast.Attribute) and func.attr in {"open", "FileIO"}:
            arg = node.args[0] if node.args else None
            in_memory = (
                isinstance(arg, ast.Call)
                and func.attr == "open"
                and (
                    (isinstance(arg.func, ast.Attribute) and arg.func.attr == "BytesIO")
                    or (isinstance(arg.func, ast.Name) and arg.func.id == "BytesIO")
                )
            )
            if not in_memory:
                found.append(f"line {node.lineno}: calls {ast.unparse(func)}() on something not a BytesIO")
    return found


def purity_violations(module: str, tree: ast.Module, imports: list[Import]) -> list[str]:
    """What a pure layer may not do: import a forbidden library (type-only imports excepted), import one
    of our non-pure layers (type-only imports included: that is the order's rule too), or open a file."""
    own = layer_of(module)
    found = []
    for imp in imports:
        for name, why in FORBIDDEN_IN_PURE.items():
            forbidden = imp.target == name or imp.target.startswith(name + ".")
            if forbidden and not imp.type_only and (module, name) not in PURE_IO_ALLOWED:
                found.append(f"line {imp.line}: imports {imp.target} ({why})")
        layer = _target_layer(imp.target)
        if layer is not None and layer != own and layer not in PURE and layer != "errors":
            found.append(
                f"line {imp.line}: imports {imp.target}: pure layers import only pure layers and errors"
            )
    found.extend(opened for opened in file_opens(tree) if (module, "open") not in PURE_IO_ALLOWED)
    return found


def shape_violations(source: str, tree: ast.Module) -> list[str]:
    found = []
    lines = len(source.splitlines())
    if lines > MAX_LINES:
        found.append(f"{lines} lines, more than {MAX_LINES}: split it")
    if not ast.get_docstring(tree):
        found.append("no module docstring: open with one that says what the module owns")
    return found


def check(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every rule above, for one module's source."""
    tree = ast.parse(source)
    imports = imports_of(tree, module, is_package)
    found = order_violations(module, imports) + shape_violations(source, tree)
    if layer_of(module) in PURE:
        found += purity_violations(module, tree, imports)
    return found


def _parsed(path: Path) -> tuple[str, ast.Module, list[Import]]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    return source, tree, imports_of(tree, module_name(path), path.name == "__init__.py")


def _report(path: Path, found: list[str]) -> str:
    return f"{path.relative_to(SOURCE.parent)}:\n  " + "\n  ".join(found)


MODULES = sorted(SOURCE.rglob("*.py"))
PURE_MODULES = [path for path in MODULES if layer_of(module_name(path)) in PURE]


def test_the_package_is_where_the_check_looks() -> None:
    layers = {layer_of(module_name(path)) for path in MODULES}
    assert len(MODULES) > 50, f"only {len(MODULES)} modules under {SOURCE}"
    assert len(PURE_MODULES) > 20, f"only {len(PURE_MODULES)} modules in the pure layers"
    assert layers <= set(RANK), f"not in LAYER_ORDER: {sorted(layers - set(RANK))}"
    assert set(RANK) <= layers, f"in LAYER_ORDER but gone: {sorted(set(RANK) - layers)}"


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_no_module_imports_a_higher_layer_or_a_peer(path: Path) -> None:
    _, _, imports = _parsed(path)
    found = order_violations(module_name(path), imports)
    assert not found, _report(path, found)


@pytest.mark.parametrize("path", PURE_MODULES, ids=module_name)
def test_pure_layers_import_no_test_http_or_file_library(path: Path) -> None:
    _, tree, imports = _parsed(path)
    found = purity_violations(module_name(path), tree, imports)
    assert not found, _report(path, found)


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_every_module_is_short_and_opens_with_a_docstring(path: Path) -> None:
    source, tree, _ = _parsed(path)
    found = shape_violations(source, tree)
    assert not found, _report(path, found)


# The checker must be able to fail: synthetic modules that break each rule.

DOC = '"""A module."""\n'


def test_a_pure_layer_importing_an_http_library_is_reported() -> None:
    found = check(
        DOC + "import httpx\nimport http\nfrom http.client import HTTPConnection\n",
        "pytest_imagegen.contract.fake",
    )
    assert found == [
        "line 2: imports httpx (HTTP client)",
        "line 4: imports http.client (network or processes)",
    ]


def test_a_lazy_import_inside_a_function_counts() -> None:
    source = DOC + "def f():\n    from pathlib import Path\n    return Path\n"
    assert check(source, "pytest_imagegen.wire.fake") == ["line 3: imports pathlib (file I/O)"]


def test_opening_a_file_in_a_pure_layer_is_reported() -> None:
    source = DOC + "import io\nfrom PIL import Image\n\ndef f(p, raw):\n    Image.open(io.BytesIO(raw))\n"
    assert check(source, "pytest_imagegen.safety.fake") == []
    found = check(source + "    Image.open(p)\n    return open(p).read()\n", "pytest_imagegen.safety.fake")
    assert found == ["line 7: calls Image.open() on something not a BytesIO", "line 8: calls open()"]


def test_type_checking_imports_are_exempt_from_the_library_list_but_not_from_the_order() -> None:
    source = DOC + (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import httpx\n"
        "    from pytest_imagegen.cassette.core import ImagegenCassette\n"
    )
    found = check(source, "pytest_imagegen.contract.fake")
    assert found == [
        "line 5: imports pytest_imagegen.cassette.core (under TYPE_CHECKING): 'cassette' (rank 5) is above "
        "'contract' (rank 3)",
        "line 5: imports pytest_imagegen.cassette.core: pure layers import only pure layers and errors",
    ]


def test_upward_and_peer_imports_are_reported_in_every_form() -> None:
    source = DOC + (
        "from pytest_imagegen import plugin\n"
        "from pytest_imagegen import ImagegenClient\n"
        "from ..emulator import Emulator\n"
        "import importlib\n"
        "importlib.import_module('pytest_imagegen.cli')\n"
        "from pytest_imagegen.contract import validate_request\n"
    )
    found = check(source, "pytest_imagegen.client.fake")
    assert [line.split(":")[0] for line in found] == ["line 2", "line 3", "line 4", "line 6"]
    assert "'emulator' is a peer of 'client' (rank 6)" in found[2]


def test_a_pure_layer_may_not_import_config() -> None:
    found = check(DOC + "from pytest_imagegen.config import ImagegenConfig\n", "pytest_imagegen.safety.fake")
    assert "line 2: imports pytest_imagegen.config: pure layers import only pure layers and errors" in found


def test_an_unplaced_layer_is_reported() -> None:
    assert check(DOC, "pytest_imagegen.newthing") == [
        "layer 'newthing' is not in LAYER_ORDER: place it there"
    ]


def test_size_and_docstring_are_reported() -> None:
    assert check("x = 1\n", "pytest_imagegen.wire.fake") == [
        "no module docstring: open with one that says what the module owns"
    ]
    assert check(DOC + "x = 1\n" * MAX_LINES, "pytest_imagegen.wire.fake") == [
        f"{MAX_LINES + 1} lines, more than {MAX_LINES}: split it"
    ]


# The pytest layer is wiring only: options, markers, fixtures, hooks. Two rules keep it so, read from the
# source. Every function in it uses pytest (a hook or a fixture, or a helper that takes, returns or calls
# something of pytest's): a function that does not is logic a caller without pytest could need, and
# belongs in a layer below. And nothing outside it imports from it (pytest loads it through the entry
# point): what another layer, a test or a benchmark would import belongs below too.

PLUGIN = SOURCE / "plugin"
#: Lines for all of ``plugin/``, docstrings included (pytest-recording's plugin is 205, syrupy's 298).
PLUGIN_BUDGET = 500
ROOT = SOURCE.parent
PLUGIN_MODULES = sorted(PLUGIN.glob("*.py"))


def pytest_free_functions(tree: ast.Module) -> list[str]:
    """Top-level functions and methods that never name ``pytest``: ``line N: name``."""
    found = []
    candidates = [
        node
        for top in tree.body
        for node in ([top] if not isinstance(top, ast.ClassDef) else top.body)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    for function in candidates:
        uses = any(isinstance(node, ast.Name) and node.id == "pytest" for node in ast.walk(function))
        if not uses and not function.name.startswith("pytest_"):
            found.append(f"line {function.lineno}: {function.name}")
    return found


def plugin_imports(tree: ast.Module, module: str, is_package: bool) -> list[str]:
    """Imports of a name or submodule of ``plugin/`` (importing the plugin module itself, as pytest's
    entry point does, is not one)."""
    plugin = f"{PACKAGE}.plugin"
    found = []
    for imp in imports_of(tree, module, is_package):
        if imp.target.startswith(plugin + ".") or (imp.target == plugin and _imports_names(tree, imp.line)):
            found.append(f"line {imp.line}: imports {imp.target}")
    return found


def _imports_names(tree: ast.Module, line: int) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.lineno == line for node in ast.walk(tree))


def test_the_plugin_layer_fits_its_budget() -> None:
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in PLUGIN_MODULES}
    assert sum(sizes.values()) <= PLUGIN_BUDGET, (
        f"plugin/ has {sum(sizes.values())} lines, more than {PLUGIN_BUDGET} ({sizes}): move what is not "
        "pytest wiring to the layer below that owns it"
    )


@pytest.mark.parametrize("path", PLUGIN_MODULES, ids=module_name)
def test_every_plugin_module_is_pytest_wiring(path: Path) -> None:
    _, tree, imports = _parsed(path)
    found = [f"{line} does not use pytest: move it below" for line in pytest_free_functions(tree)]
    if not any(imp.target == "pytest" and not imp.type_only for imp in imports):
        found.append("does not import pytest: it is not pytest wiring")
    assert not found, _report(path, found)


OUTSIDE_PLUGIN = [
    path
    for folder in ("pytest_imagegen", "tests", "examples", "benchmarks", "scripts")
    for path in sorted((ROOT / folder).rglob("*.py"))
    if PLUGIN not in path.parents
]


def test_nothing_outside_the_plugin_layer_imports_from_it() -> None:
    found = {}
    for path in OUTSIDE_PLUGIN:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        hits = plugin_imports(tree, name, path.name == "__init__.py")
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert not found, f"imports from plugin/ (pytest wiring only; move what they need below): {found}"


def test_the_plugin_rules_can_fail() -> None:
    source = DOC + (
        "import pytest\n"
        "def pytest_configure(config): ...\n"
        "def helper(config: pytest.Config): ...\n"
        "def merge(a, b):\n    return {**a, **b}\n"
        "class Reporter:\n    def total(self, outcomes):\n        return len(outcomes)\n"
    )
    assert pytest_free_functions(ast.parse(source)) == ["line 5: merge", "line 8: total"]
    importer = DOC + "import pytest_imagegen.plugin\nfrom pytest_imagegen.plugin.settings import resolve\n"
    found = plugin_imports(ast.parse(importer), "tests.fake", False)
    assert found == ["line 3: imports pytest_imagegen.plugin.settings"]
