"""The package's layers: imports run one way, no cycles, no click below the CLI, one registry."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from sim.config.architectures import ARCHITECTURES, SYSTEMS, ArchitectureName, SystemName
from sim.model.kpis import KPI_COLUMNS, KPIS, MAIN_KPIS
from sim.model.platforms import SYSTEM_CLASSES

PACKAGE = Path(__file__).resolve().parents[1] / "sim"
#: Lowest first; a module may import from its own layer and the ones before it.
LAYERS = ["config", "model", "experiments", "outputs", "explore", "cli", "api"]
ENGINE = {"config", "model", "experiments", "outputs"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            # `from sim.outputs import plots` imports the module sim.outputs.plots
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists():
                    found.add(candidate)
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: {m for m in _imports(path) if m in MODULES and m != name}
         for name, path in MODULES.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m)))
def test_imports_never_run_up_a_layer(module):
    own = LAYERS.index(_layer(module))
    upward = [m for m in GRAPH[module]
              if _layer(m) is not None and LAYERS.index(_layer(m)) > own]
    assert not upward, f"{module} imports from a higher layer: {upward}"


def test_the_import_graph_has_no_cycle():
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH[node]):
            if nxt == "sim":
                continue  # the package root: its lazy names are resolved on use, not import
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) in ENGINE))
def test_no_engine_module_imports_click(module):
    assert not any(m == "click" or m.startswith("click.") for m in _imports(MODULES[module]))


WEB = ("shiny", "htmltools", "starlette", "uvicorn")
#: The explorer's page and its server: the only modules that may import a web framework.
WEB_MODULES = {"sim.explore.app", "sim.explore.serve"}


@pytest.mark.parametrize("module", sorted(set(MODULES) - WEB_MODULES))
def test_only_the_explorer_page_imports_a_web_framework(module):
    found = _imports(MODULES[module])
    assert not any(m.split(".")[0] in WEB for m in found), module


def test_the_rules_above_would_catch_a_violation(tmp_path):
    """The checker reads function-level imports too (the old CLI cycle hid in one)."""
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from sim.cli.errors import user_errors\n")
    assert "sim.cli.errors" in _imports(path)


def test_every_architecture_is_declared_once_and_everywhere():
    assert set(get_args(ArchitectureName)) == set(ARCHITECTURES)
    assert set(get_args(SystemName)) == set(SYSTEMS) == set(SYSTEM_CLASSES)
    for name, cls in SYSTEM_CLASSES.items():
        assert cls.name == name


def test_every_kpi_is_declared_once():
    assert KPI_COLUMNS == list(KPIS) and len(set(KPI_COLUMNS)) == len(KPI_COLUMNS)
    assert MAIN_KPIS and set(MAIN_KPIS) <= set(KPIS)
    for kpi in KPIS.values():
        assert kpi.fmt.format(1.5) and kpi.meaning and kpi.unit
