"""The shape of the code: which package may import which, read from the source (AST), not from a list.

Every import counts, at the top of a module or inside a function: an import hidden in a function is
still an arrow. The rules are the README's "How the code is organised":

- the layers of `pipeline/` import only downwards (ALLOWED below);
- `crawler/` is the Scrapy glue: it may import pipeline, and only it imports Scrapy or Twisted;
- `alerts/` needs only `pipeline.models`, text folding and the config's value types; only
  `pipeline.cli` imports `alerts`;
- nothing in `extract/` or `match/` touches the store or Scrapy;
- `browse/` is what `newswatch serve` adds to Datasette (metadata, SQL, a plugin, templates): it
  runs inside Datasette's process and reads through Datasette, so it needs only text folding's
  idea of CJK (`pipeline.match.textnorm`, for the search box); the CLI imports it;
- there is no cycle between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("pipeline", "crawler", "alerts")
# What each part of newswatch may import from newswatch (itself always allowed).
ALLOWED = {
    "pipeline.models": set(),
    "pipeline.match": {"pipeline.models"},
    "pipeline.extract": {"pipeline.models"},
    "pipeline.config": {"pipeline.models", "pipeline.match"},
    "pipeline.store": {"pipeline.models"},
    "pipeline.ingest": {"pipeline.models", "pipeline.config", "pipeline.extract", "pipeline.match",
                        "pipeline.store"},
    "pipeline.outbox": {"pipeline.models", "pipeline.config", "pipeline.store"},
    "pipeline.service": {"pipeline.models", "pipeline.config", "pipeline.store", "pipeline.outbox"},
    "pipeline.browse": {"pipeline.match.textnorm"},
    "pipeline.cli": {"pipeline", "alerts", "pipeline.models", "pipeline.config", "pipeline.match",
                     "pipeline.extract", "pipeline.store", "pipeline.ingest", "pipeline.outbox",
                     "pipeline.service", "pipeline.browse"},
    "crawler": {"pipeline.models", "pipeline.config", "pipeline.ingest", "pipeline.store"},
    # pipeline.config.values: the one wording for lists, URLs and e-mail addresses, which the
    # channels' settings models share with the rest of the config (a leaf: it imports no newswatch).
    "alerts": {"pipeline.models", "pipeline.match.textnorm", "pipeline.config.values"},
}
SCRAPY = ("scrapy", "twisted")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool) -> set[str]:
    """Every module this source imports, wherever the import statement stands."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from x import submodule`
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the newswatch modules (and third-party roots) it imports."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            modules[module_name(path, root)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        raw = imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        ours = {m for m in raw if m in modules}
        third = {m.split(".")[0] for m in raw if m.split(".")[0] not in PACKAGES}
        graph[name] = ours | third
    return graph


def part_of(module: str) -> str:
    """The ALLOWED key a module belongs to (its longest prefix)."""
    candidates = [key for key in ALLOWED if module == key or module.startswith(key + ".")]
    if not candidates:
        return module.split(".")[0] if module.split(".")[0] != "pipeline" else module
    return max(candidates, key=len)


def broken_arrows(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        source = part_of(module)
        for target in sorted(targets):
            if target.split(".")[0] not in PACKAGES:
                if target in SCRAPY and not module.startswith("crawler"):
                    problems.append(f"{module} imports {target}: only crawler/ knows Scrapy")
                continue
            destination = part_of(target)
            if destination == source:
                continue
            allowed = ALLOWED.get(source, set())
            if destination not in allowed and target not in allowed:
                problems.append(f"{module} imports {target}: {source} may not depend on {destination}")
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def without_package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """`from pipeline.config import x` runs pipeline/config/__init__.py; a package's own __init__
    importing its submodules is not a cycle of design, so package->own-submodule edges are dropped."""
    return {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_every_import_goes_the_allowed_way(graph):
    assert broken_arrows(graph) == []


def test_no_import_cycles(graph):
    assert cycles(without_package_inits(graph)) == []


def test_only_the_composition_root_imports_alerts(graph):
    importers = {m for m, targets in graph.items() if any(t.split(".")[0] == "alerts" for t in targets)}
    assert {m for m in importers if not m.startswith(("alerts", "pipeline.cli"))} == set()


def test_extraction_and_matching_touch_no_store_and_no_scrapy(graph):
    for module, targets in graph.items():
        if module.startswith(("pipeline.extract", "pipeline.match")):
            assert not {t for t in targets if t.startswith("pipeline.store") or t in ("scrapy", "twisted")}, module


def test_a_bad_import_is_caught(tmp_path):
    """The checks can fail: a copy of the tree with one arrow broken on purpose."""
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            target = tmp_path / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    store = tmp_path / "pipeline/store/sqlite.py"
    store.write_text(store.read_text() + "\nfrom pipeline.ingest.commit import Committer\n")
    words = tmp_path / "pipeline/match/watchlist.py"
    words.write_text(words.read_text() + "\nimport scrapy\nfrom pipeline.store.sqlite import Store\n")
    graph = import_graph(tmp_path)
    problems = "\n".join(broken_arrows(graph))
    assert "pipeline.store.sqlite imports pipeline.ingest.commit" in problems
    assert "pipeline.match.watchlist imports scrapy" in problems
    assert "pipeline.match.watchlist imports pipeline.store.sqlite" in problems
    assert any("pipeline.store.sqlite" in group for group in cycles(without_package_inits(graph)))
