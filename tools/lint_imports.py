"""The import rules of ``make lint``: import-linter's own command, over the whole project.

    python -m tools.lint_imports          # the contracts of pyproject.toml ([tool.importlinter])

Two things import-linter does not do by itself, added here:

* **Single-file modules at the top.** import-linter reads packages only, and seven of the product's
  modules are files at the top (``app.py``, ``auth.py``, ``services.py``, ``settings.py``,
  ``security.py``, ``serving.py``, ``serving_worker.py``). Left out, their own imports would go
  unchecked and a layer could not name them. :class:`ProjectGraphBuilder` reads their imports the way
  grimp reads a package's (at the top, inside functions, under ``TYPE_CHECKING``) and adds them to
  the graph; imports of them from the packages are kept because external packages are included.
* **Circles through a package's ``__init__``.** ``acyclic_siblings`` compares the children of a
  package, so a package that imports a child which imports the package back is invisible to it.
  :class:`NoCirclesContract` looks for any circle between two modules of the project.
"""
from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grimp import ImportGraph
from importlinter import cli
from importlinter.adapters.building import GraphBuilder
from importlinter.application import output
from importlinter.application.app_config import settings as linter_settings
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

ROOT = Path(__file__).resolve().parents[1]


def top_level_modules(root: Path = ROOT) -> dict[str, Path]:
    """The importable single-file modules at the top of the project (``gunicorn.conf.py`` is not one)."""
    return {p.stem: p for p in sorted(root.glob("*.py")) if p.stem.isidentifier()}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import statements under an ``if TYPE_CHECKING:``."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(sub) for sub in ast.walk(node) if isinstance(sub, ast.Import | ast.ImportFrom))
    return inside


def _imported_names(node: ast.Import | ast.ImportFrom) -> Iterator[list[str]]:
    """Candidate module names of each name an import statement binds, longest first."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield [alias.name]
    elif node.level == 0 and node.module:        # a top-level file has no package to be relative to
        for alias in node.names:
            yield [f"{node.module}.{alias.name}", node.module]


class ProjectGraphBuilder(GraphBuilder):
    """grimp's graph of the root packages, plus the top-level files' modules and their imports."""

    def build(self, root_package_names: list[str], cache_dir: str | None, include_external_packages: bool = False,
              exclude_type_checking_imports: bool = False) -> ImportGraph:
        # external packages included: the packages' imports of the top-level files are kept as imports
        # of (squashed) nodes, which the files' own imports then start from
        graph = super().build(root_package_names, cache_dir, include_external_packages=True,
                              exclude_type_checking_imports=exclude_type_checking_imports)
        files = top_level_modules()
        for name in files:
            if name not in graph.modules:
                graph.add_module(name, is_squashed=True)
        project = set(root_package_names) | set(files)
        for name, path in files.items():
            source = path.read_text(encoding="utf-8")
            lines = source.splitlines()
            tree = ast.parse(source, filename=str(path))
            guarded = _type_checking_nodes(tree) if exclude_type_checking_imports else set()
            for node in ast.walk(tree):
                if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in guarded:
                    continue
                for candidates in _imported_names(node):
                    imported = self._resolve(graph, candidates, project)
                    if imported is not None and imported != name:
                        graph.add_import(importer=name, imported=imported, line_number=node.lineno,
                                         line_contents=lines[node.lineno - 1].strip())
        return graph

    @staticmethod
    def _resolve(graph: ImportGraph, candidates: list[str], project: set[str]) -> str | None:
        """The graph's module for an imported name: the longest candidate, or its longest known parent,
        found in the project; an external package's top-level name (squashed, as grimp adds them)."""
        if candidates[0].split(".")[0] not in project:
            top = candidates[0].split(".")[0]
            if top not in graph.modules:
                graph.add_module(top, is_squashed=True)
            return top
        for name in candidates:
            parts = name.split(".")
            while parts:
                if ".".join(parts) in graph.modules:
                    return ".".join(parts)
                parts.pop()
        return None


class NoCirclesContract(Contract):
    """No circle of imports between modules of ``containers`` (all of the project when empty)."""

    type_name = "no_circles"

    containers = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        prefixes = tuple(self.containers or ())  # type: ignore[arg-type]
        modules = sorted(m for m in graph.modules if not graph.is_module_squashed(m) or m in top_level_modules())
        if prefixes:
            modules = [m for m in modules if m in prefixes or m.startswith(tuple(p + "." for p in prefixes))]
        inside = set(modules)
        edges = {m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n in inside and n != m)
                 for m in modules}
        circles = [sorted(c) for c in _strongly_connected(modules, edges) if len(c) > 1]
        details = []
        for circle in circles:
            members = set(circle)
            details.append([(a, b, [d["line_number"] for d in graph.get_import_details(importer=a, imported=b)])
                            for a in circle for b in edges[a] if b in members])
        return ContractCheck(kept=not circles, metadata={"circles": details})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for circle in check.metadata["circles"]:
            names = sorted({a for a, _, _ in circle})
            output.print_error(f"Circle of {len(names)} modules: {', '.join(names)}", bold=True)
            for importer, imported, lines in circle:
                output.indent_cursor()
                output.print_error(f"{importer} -> {imported} (l.{', '.join(map(str, lines))})")
            output.new_line()


def _strongly_connected(nodes: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, without recursion (a long chain of imports is fine)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = []
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work.append((start, iter(edges[start])))
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def main(argv: list[str] | None = None) -> Any:
    sys.path.insert(0, str(ROOT))
    linter_settings.configure(GRAPH_BUILDER=ProjectGraphBuilder())
    return cli.lint_imports_command.main(args=argv, prog_name="python -m tools.lint_imports")


if __name__ == "__main__":
    main()
