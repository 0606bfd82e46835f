"""The package's shape, checked with ``ast`` so it stays true: imports go down the declared layers,
no import cycle at module or package level (function-level lazy imports count), and no private
name is imported from another module.

The ``KNOWN_*`` sets are today's violations, to be emptied (never grown): each test also fails when
an entry has been fixed but not removed, so the list can only shrink.
"""

from __future__ import annotations

import pytest

from dlhw.testing import imports

KNOWN_MODULE_CYCLES: set[tuple[str, ...]] = set()
KNOWN_PACKAGE_CYCLES: set[tuple[str, ...]] = set()
KNOWN_PRIVATE: set[str] = set()
KNOWN_BREACHES: set[str] = set()


@pytest.fixture(scope="module")
def mods() -> dict[str, imports.Module]:
    return imports.scan()


def _no_new_and_no_stale(found: set, known: set, what: str) -> None:
    new = sorted(found - known)
    assert not new, f"new {what}: {new}; import downwards, or through a public name"
    assert not known - found, f"fixed {what}, remove from the allow-list: {sorted(known - found)}"


def test_no_module_cycle(mods):
    found = {tuple(c) for c in imports.cycles(imports.module_graph(mods))}
    _no_new_and_no_stale(found, KNOWN_MODULE_CYCLES, "module import cycles")


def test_no_package_cycle(mods):
    found = {tuple(c) for c in imports.cycles(imports.package_graph(mods))}
    _no_new_and_no_stale(found, KNOWN_PACKAGE_CYCLES, "package import cycles")


def test_no_private_name_crosses_modules(mods):
    found = {p.split(":", 1)[0] + ":" + p.split(":", 2)[2] for m in mods.values() for p in m.private}
    _no_new_and_no_stale(found, KNOWN_PRIVATE, "private cross-module imports")


def test_imports_go_down_the_layers(mods):
    assert not imports.unlayered(mods), "add the new top-level module to imports.LAYERS"
    _no_new_and_no_stale(set(imports.layer_breaches(mods)), KNOWN_BREACHES, "upward imports")


def test_the_checker_sees_lazy_and_importlib_imports(tmp_path):
    """The scan must catch what a naive top-level walk misses, or the tests above could not fail."""
    pkg = tmp_path / "dlhw"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("def f():\n    from dlhw.a.y import _h\n")
    y = "import importlib\n_h = 1\ndef g():\n    importlib.import_module('dlhw.a.x')\n"
    (pkg / "a" / "y.py").write_text(y)
    mods = imports.scan(pkg)
    assert imports.cycles(imports.module_graph(mods)) == [["dlhw.a.x", "dlhw.a.y"]]
    assert [p.split(": ", 1)[1] for p in mods["dlhw.a.x"].private] == ["from dlhw.a.y import _h"]
