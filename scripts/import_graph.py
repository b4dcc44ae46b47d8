"""Print the package-level import graph of the project (ast only, nothing is imported).

    python scripts/import_graph.py            # edges: package -> packages it imports
    python scripts/import_graph.py --cycles   # only the pairs that import each other
    python scripts/import_graph.py --modules  # module-level edges instead of packages

A "package" is include/<name> (a folder or a top-level module), operators, dags, plugins.
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = ("include", "operators", "dags", "plugins")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "include" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def imports_of(path: Path) -> set[str]:
    """Project modules a file imports (absolute, at any depth: module level or inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(path).split(".")
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_pkg else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in TOP_LEVEL}


def project_files() -> list[Path]:
    files: list[Path] = []
    for top in TOP_LEVEL:
        if (ROOT / top).is_dir():
            files += sorted((ROOT / top).rglob("*.py"))
    return files


def graph(modules: bool = False) -> dict[str, set[str]]:
    known = {module_name(p) for p in project_files()}
    edges: dict[str, set[str]] = defaultdict(set)
    for path in project_files():
        source = module_name(path)
        for target in imports_of(path):
            while target and target not in known:  # "pkg.mod.Name" -> "pkg.mod"
                target = target.rpartition(".")[0]
            if not target:
                continue
            a, b = (source, target) if modules else (package_of(source), package_of(target))
            if a != b:
                edges[a].add(b)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted({tuple(sorted((a, b))) for a, bs in edges.items() for b in bs if a in edges.get(b, ())})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", action="store_true")
    parser.add_argument("--modules", action="store_true")
    args = parser.parse_args(argv)
    edges = graph(modules=args.modules)
    if args.cycles:
        pairs = cycles(edges)
        for a, b in pairs:
            print(f"{a} <-> {b}")
        print(f"{len(pairs)} mutual import(s)")
        return 1 if pairs else 0
    for source in sorted(edges):
        print(f"{source} -> {', '.join(sorted(edges[source]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
