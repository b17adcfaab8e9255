"""The record modes' table (``cassette/modes.py``) is the README's "Record modes" table, and vcrpy is
used, where it is used at all, through its public interface only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pytest_imagegen.cassette import modes
from pytest_imagegen.config import RECORD_MODES

ROOT = Path(__file__).resolve().parents[2]


def _readme_rows() -> dict[str, tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Record modes", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`").split()[0].strip("`")] = (cells[1], cells[2])
    return rows


def test_every_mode_has_a_policy_with_and_without_a_cassette() -> None:
    assert set(modes.POLICIES) == {(mode, exists) for mode in RECORD_MODES for exists in (False, True)}


@pytest.mark.parametrize("mode", RECORD_MODES)
def test_the_table_says_what_the_readme_says(mode: str) -> None:
    missing, existing = _readme_rows()[mode]
    no_file, file = modes.policy_for(mode, exists=False), modes.policy_for(mode, exists=True)
    if missing == "record everything":
        assert (no_file.plays, no_file.records) == (False, True)
    else:
        assert "CassetteMiss" in missing
        assert not no_file.records
    if existing.startswith("replay only"):
        assert (file.plays, file.records, file.saves) == (True, False, "nothing")
    elif existing.startswith("replay what matches, record what does not"):
        assert (file.plays, file.records, file.saves) == (True, True, "all")
    elif existing.startswith("record everything again, replacing what it matches"):
        assert (file.plays, file.records, file.saves) == (False, True, "replace")
    else:
        assert existing.startswith("replace the cassette with exactly the interactions this run made")
        assert (file.plays, file.records, file.saves) == (False, True, "recorded")
    assert no_file.blocks_network == file.blocks_network == (mode == "none")


def test_what_each_rule_writes() -> None:
    loaded, recorded = ["a1", "b1"], ["b2", "c2"]

    def key(item: str) -> str:
        return item[0]

    policy = modes.policy_for
    assert modes.to_save(policy("new_episodes", exists=True), loaded, recorded, key) == [
        "a1",
        "b1",
        "b2",
        "c2",
    ]
    assert modes.to_save(policy("all", exists=True), loaded, recorded, key) == ["a1", "b2", "c2"]
    assert modes.to_save(policy("rewrite", exists=True), loaded, recorded, key) == ["b2", "c2"]
    assert modes.to_save(policy("once", exists=True), loaded, recorded, key) is None
    # Nothing recorded: the file keeps its bytes, whatever the mode.
    for mode in RECORD_MODES:
        assert modes.to_save(policy(mode, exists=True), loaded, [], key) is None
    assert modes.to_save(modes.DRIFT, loaded, recorded, key) is None


def _vcr_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] == "vcr"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "vcr":
            names |= {a.asname or a.name for a in node.names}
    # Objects made by vcrpy: ``cassette = vcr.cassette.Cassette(...)``, ``with vcr.use_cassette(...) as c``.
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and _root(node.value.func) in names
        ):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif (
            isinstance(node, ast.withitem)
            and isinstance(node.context_expr, ast.Call)
            and _root(node.context_expr.func) in names
            and isinstance(node.optional_vars, ast.Name)
        ):
            names.add(node.optional_vars.id)
    return names


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


@pytest.mark.parametrize("folder", ["pytest_imagegen", "benchmarks", "tests"])
def test_no_private_vcrpy_attribute_is_used(folder: str) -> None:
    """No ``vcr...._name`` is read, nothing is imported from vcrpy under a private name, and no class
    derives from one of vcrpy's (subclassing is how private members get overridden)."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        vcr_names = _vcr_names(tree)
        if not vcr_names:
            continue
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "vcr":
                dotted = [*(node.module or "").split("."), *(a.name for a in node.names)]
                found += [f"{where}:{node.lineno} imports {p}" for p in dotted if p.startswith("_")]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and _root(node) in vcr_names:
                found.append(f"{where}:{node.lineno} reads {ast.unparse(node)}")
            elif isinstance(node, ast.ClassDef):
                found += [
                    f"{where}:{node.lineno} subclasses {ast.unparse(base)}"
                    for base in node.bases
                    if _root(base) in vcr_names
                ]
    assert not found, "\n".join(found)


def test_the_engine_never_imports_vcrpy() -> None:
    """vcrpy's modules import every HTTP library installed (``vcr/patch.py``); the engine's own stubs
    serve httpx, httpx2, urllib3 (requests, botocore) and aiohttp, so nothing in the package needs it."""
    pattern = re.compile(r"^\s*(import vcr|from vcr[ .])", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "pytest_imagegen").rglob("*.py"))
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders
