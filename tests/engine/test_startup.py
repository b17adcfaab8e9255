"""Start-up is part of the product: pytest imports the plugin at every start where it is installed.

Each check runs in a fresh interpreter, as pytest's start does; nothing here is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("vcr", "pydantic", "PIL", "yaml", "httpx", "httpx2", "filelock", "openai", "syrupy", "starlette")


def modules_after(code: str) -> set[str]:
    """Top-level names of the modules a fresh interpreter has loaded after running ``code``."""
    script = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    before = modules_after("import pytest")
    after = modules_after("import pytest\nimport pytest_imagegen.plugin")
    loaded = sorted((after - before) & set(HEAVY))
    assert loaded == [], f"importing pytest_imagegen.plugin loads {loaded}"


def test_the_public_names_still_import_from_the_package() -> None:
    code = (
        "import pytest_imagegen as p\n"
        "names = [getattr(p, n) for n in p.__all__]\n"
        "from pytest_imagegen import ImagegenConfig, CassetteMiss\n"
    )
    loaded = modules_after(code)
    assert "pydantic" in loaded  # the names load their modules when they are used, not before


def test_an_unknown_name_is_an_attribute_error() -> None:
    import pytest_imagegen

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        pytest_imagegen.nope  # noqa: B018


def test_a_run_that_never_uses_a_cassette_loads_no_engine(pytester: pytest.Pytester) -> None:
    # A session in record mode none blocks the network and sets dummy keys from its start, and the
    # cassette folder is checked then: those three small modules load, and nothing else of the engine.
    pytester.makepyfile(
        test_plain="""
        import sys

        SESSION = {
            "pytest_imagegen.cassette",
            "pytest_imagegen.cassette.environment",
            "pytest_imagegen.cassette.network",
            "pytest_imagegen.cassette.paths",
        }

        def test_plain():
            pass

        def test_nothing_heavy_was_loaded():
            engine = [m for m in sys.modules if m.startswith("pytest_imagegen.cassette") and m not in SESSION]
            heavy = [m for m in ("vcr", "pydantic", "PIL") if m in sys.modules]
            assert (engine, heavy) == ([], [])
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=2)
