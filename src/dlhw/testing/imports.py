"""The import graph of ``src/dlhw``, read with ``ast`` (used by ``tests/test_architecture.py``).

Every ``import``/``from … import`` counts, at module level or inside a function (a lazy import is
still a dependency), and so does ``importlib.import_module("dlhw.…")`` with a literal name.
``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``.

``python -m dlhw.testing.imports`` prints the measurements the architecture issue tracks:
modules, lines, cycles (module and package level), private cross-module imports, layer breaches.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top; a module may import only from its own layer or below. Modules of the same
# layer but different packages (scratch, nets) must not form a cycle (checked separately).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "validation", "rng", "io", "results", "labels", "_lazy", "logs", "markup", "process"),
    ("data",),
    ("features",),
    ("activations",),
    ("scratch", "nets"),
    ("training",),
    ("grid",),
    ("experiments",),
    ("answers",),
    ("report",),
    ("reproduce", "cli", "cli_homework", "cli_torch", "__main__"),
    ("testing",),  # test-facing helpers: may import anything; nothing in dlhw imports them
)


@dataclass
class Module:
    """One source file: its dotted name, path, line count and the dlhw names it imports."""

    name: str
    path: Path
    lines: int
    imports: set[str] = field(default_factory=set)
    private: list[str] = field(default_factory=list)  # "importer: what (line)" descriptions


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _package(name: str, is_pkg: bool) -> str:
    return name if is_pkg else name.rpartition(".")[0]


class _Visitor(ast.NodeVisitor):
    def __init__(self, mod: Module, known: dict[str, bool]) -> None:
        self.mod, self.known = mod, known  # known: module name -> is a package
        self.aliases: dict[str, str] = {}  # local name -> dlhw module it is bound to

    def _edge(self, target: str, node: ast.AST) -> None:
        if target == self.mod.name or not target.startswith("dlhw"):
            return
        self.mod.imports.add(target)

    def _absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = _package(self.mod.name, self.mod.path.name == "__init__.py").split(".")
        base = base[: len(base) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def _private_module(self, target: str) -> bool:
        """A private module imported from outside the package that holds it."""
        parts = target.split(".")
        first = next((i for i, p in enumerate(parts) if _is_private(p)), None)
        if first is None:
            return False
        owner = ".".join(parts[:first])
        me = _package(self.mod.name, self.mod.path.name == "__init__.py")
        return not (me == owner or me.startswith(owner + "."))

    def _flag(self, what: str, node: ast.AST) -> None:
        self.mod.private.append(f"{self.mod.name}:{node.lineno}: {what}")

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.name.startswith("dlhw"):
                self._edge(a.name, node)
                if self._private_module(a.name):
                    self._flag(f"import {a.name}", node)
                if a.asname:
                    self.aliases[a.asname] = a.name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        src = self._absolute(node)
        if not src.startswith("dlhw"):
            return
        for a in node.names:
            sub = f"{src}.{a.name}"
            if sub in self.known:
                self._edge(sub, node)
                self.aliases[a.asname or a.name] = sub
                if self._private_module(sub):
                    self._flag(f"from {src} import {a.name}", node)
            else:
                self._edge(src, node)
                if _is_private(a.name) or self._private_module(src):
                    self._flag(f"from {src} import {a.name}", node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id in self.aliases and _is_private(node.attr):
            target = f"{self.aliases[node.value.id]}.{node.attr}"
            if target not in self.known or self._private_module(target):
                self._flag(f"{node.value.id}.{node.attr}", node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
            target = str(node.args[0].value)
            if target.startswith("dlhw"):
                self._edge(target, node)
                if self._private_module(target):
                    self._flag(f"import_module({target!r})", node)
        self.generic_visit(node)


def scan(root: Path = ROOT) -> dict[str, Module]:
    """Every module under ``root`` with its dlhw imports and private cross-module references."""
    paths = sorted(root.rglob("*.py"))
    known = {module_name(p, root): p.name == "__init__.py" for p in paths}
    mods: dict[str, Module] = {}
    for p in paths:
        text = p.read_text(encoding="utf-8")
        mod = Module(module_name(p, root), p, len(text.splitlines()))
        _Visitor(mod, known).visit(ast.parse(text, filename=str(p)))
        mod.imports = {_resolve(t, known) for t in mod.imports} - {mod.name, ""}
        mods[mod.name] = mod
    return mods


def _resolve(target: str, known: dict[str, bool]) -> str:
    """The longest known module prefix of ``target`` (``dlhw.x.Name`` -> ``dlhw.x``)."""
    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in known:
            return ".".join(parts[:i])
    return ""


def top_package(name: str) -> str:
    """``dlhw.scratch._fast`` -> ``scratch``; ``dlhw.cli`` -> ``cli``; ``dlhw`` -> ``dlhw``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth is bounded by the module count (~100)
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def module_graph(mods: dict[str, Module]) -> dict[str, set[str]]:
    return {m.name: set(m.imports) for m in mods.values()}


def package_graph(mods: dict[str, Module]) -> dict[str, set[str]]:
    g: dict[str, set[str]] = {}
    for m in mods.values():
        a = top_package(m.name)
        g.setdefault(a, set()).update(top_package(t) for t in m.imports if top_package(t) != a)
    return g


def layer_of(pkg: str) -> int:
    for i, names in enumerate(LAYERS):
        if pkg in names:
            return i
    return -1  # the root ``dlhw`` package itself


def layer_breaches(mods: dict[str, Module]) -> list[str]:
    """``importer -> imported`` for every import that goes up the declared layer order."""
    out = []
    for m in mods.values():
        for t in sorted(m.imports):
            if layer_of(top_package(t)) > layer_of(top_package(m.name)):
                out.append(f"{m.name} -> {t}")
    return sorted(out)


def unlayered(mods: dict[str, Module]) -> list[str]:
    """Top-level packages or modules missing from ``LAYERS``."""
    return sorted({top_package(n) for n in mods if n != "dlhw" and layer_of(top_package(n)) < 0})


def main(argv: list[str]) -> None:
    mods = scan(Path(argv[0]).resolve() if argv else ROOT)
    private = [p for m in mods.values() for p in m.private]
    rows = [
        ("modules", len(mods)),
        ("lines", sum(m.lines for m in mods.values())),
        ("module cycles", len(cycles(module_graph(mods)))),
        ("package cycles", len(cycles(package_graph(mods)))),
        ("private cross-module imports", len(private)),
        ("layer breaches", len(layer_breaches(mods))),
    ]
    for k, v in rows:
        print(f"{k:30s} {v}")
    for c in cycles(module_graph(mods)):
        print("module cycle:", " <-> ".join(c))
    for c in cycles(package_graph(mods)):
        print("package cycle:", " <-> ".join(c))
    print(*private, sep="\n")
    print(*layer_breaches(mods), sep="\n")


if __name__ == "__main__":
    main(sys.argv[1:])
