"""Imports run one way: the layer table of docs/architecture.md, enforced on every project module."""
from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import import_graph  # noqa: E402  (scripts/ is not a package)


def layer_table() -> dict[str, int]:
    """package -> layer number, read from the table in docs/architecture.md (the one place it is written)."""
    layers = {}
    for line in (REPO / "docs" / "architecture.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.match(r"^\d+\b", cells[0]):
            for package in re.findall(r"`([a-z_.]+)`", cells[1]):
                layers[package] = int(re.match(r"^\d+", cells[0]).group())
    return layers


LAYERS = layer_table()


def layer_of(module: str) -> tuple[str, int]:
    """The most specific package in the table that holds this module."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in LAYERS:
            return name, LAYERS[name]
    raise KeyError(module)


def test_table_is_read():
    assert LAYERS["include.errors"] == 0
    assert LAYERS["include.config"] == 1
    assert LAYERS["dags"] > LAYERS["operators"] > LAYERS["include.reports"] > LAYERS["include.execution"]


def test_every_module_has_a_layer():
    unplaced = [name for name in map(import_graph.module_name, import_graph.project_files())
                if name != "include" and _placed(name) is None]
    assert not unplaced, f"add these to the layer table in docs/architecture.md: {unplaced}"


def _placed(module: str):
    try:
        return layer_of(module)
    except KeyError:
        return None


def test_imports_run_downward():
    edges = import_graph.graph(modules=True)
    upward = []
    for source, targets in sorted(edges.items()):
        if _placed(source) is None:
            continue  # test_every_module_has_a_layer names it
        src_layer = layer_of(source)[1]
        for target in sorted(targets):
            if _placed(target) is None:
                continue
            dst_layer = layer_of(target)[1]
            if dst_layer > src_layer:
                upward.append(f"{source} (layer {src_layer}) imports {target} (layer {dst_layer})")
    assert not upward, "imports against docs/architecture.md:\n" + "\n".join(upward)


def test_no_package_pairs_import_each_other():
    assert import_graph.cycles(import_graph.graph()) == []


def test_include_never_imports_airflow():
    offenders = []
    for path in import_graph.project_files():
        if path.relative_to(REPO).parts[0] != "include":
            continue
        text = path.read_text()
        if re.search(r"^\s*(from|import)\s+(airflow|cosmos)\b", text, re.M):
            offenders.append(str(path.relative_to(REPO)))
    assert not offenders, f"include/ must not import Airflow: {offenders}"
