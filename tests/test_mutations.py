"""Random mutations of a valid scenario either run or fail cleanly (exit 2, one line, no files).

Hypothesis drops, renames and retypes keys at every level of a fully resolved scenario and puts
numbers out of range; whatever comes out must never produce a traceback or a half-written run.
Examples are derandomized (the same in every CI run) and few, so this stays within seconds;
``HYPOTHESIS_MUTATIONS=500 pytest tests/test_mutations.py`` explores more.
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from conftest import check_one_line_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.config import dump_resolved, load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load(dump_resolved(load_scenario(
    ROOT / "tests" / "data" / "good" / "tiny.yaml", ["horizon_days=2", "warmup_days=1"])))
MAX_STAFF_TO_RUN = 2000  # bigger valid mutants are only validated, to keep the test short


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(BASE)
ODD_VALUES = [
    None, "", "text", "2023-01-03", "25:00", "-1", [], [1, 2], {}, {"a": 1}, True, False,
    0, -1, 1, 2, 7, 10**9, -(10**9), 2**70, 0.5, 1.5, -0.5, 1e-9, 1e308, math.nan, math.inf,
]
values = st.one_of(
    st.sampled_from(ODD_VALUES), st.integers(-(10**6), 10**6),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)
mutations = st.lists(st.tuples(
    st.sampled_from(["drop", "rename", "replace", "scale"]), st.sampled_from(PATHS), values,
    st.sampled_from([0, -1, 0.001, 10, 1000]),
), min_size=1, max_size=3)


def _apply(data: dict, op: str, path: tuple, value: Any, factor: float) -> None:
    parent: Any = data
    for part in path[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return  # an earlier mutation removed or retyped this branch
    last = path[-1]
    if isinstance(parent, dict) and last not in parent:
        return
    if isinstance(parent, list) and (not isinstance(last, int) or last >= len(parent)):
        return
    if not isinstance(parent, (dict, list)):
        return
    if op == "drop":
        del parent[last]
    elif op == "rename" and isinstance(parent, dict):
        parent[f"{last}x" if len(str(last)) < 4 else str(last)[:-1]] = parent.pop(last)
    elif op == "scale" and isinstance(parent[last], (int, float)) and not isinstance(
            parent[last], bool):
        parent[last] = type(parent[last])(parent[last] * factor)
    else:
        parent[last] = value


@settings(max_examples=int(os.environ.get("HYPOTHESIS_MUTATIONS", "25")), deadline=None,
          derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutations)
def test_a_mutated_scenario_runs_or_fails_cleanly(tmp_path_factory, ops) -> None:
    data = copy.deepcopy(BASE)
    for op in ops:
        _apply(data, *op)
    folder = tmp_path_factory.mktemp("mutant")
    path = folder / "mutant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", str(path)])
    assert checked.exit_code in (0, 2), checked.output
    if checked.exit_code == 2:
        _assert_clean_failure(checked, path)
    else:
        staff = load_scenario(path).total_staff
        if staff > MAX_STAFF_TO_RUN:
            return
    out = folder / "run"
    result = runner.invoke(main, ["run", str(path), "--out", str(out), "--no-plots"])
    assert result.exit_code == checked.exit_code, result.output
    if result.exit_code == 2:
        _assert_clean_failure(result, path)
        assert sorted(p.name for p in folder.iterdir()) == ["mutant.yaml"]
    else:
        assert (out / "summary.csv").exists()


def _assert_clean_failure(result, path: Path) -> None:
    # The shared bad-input check (exit 2, one stderr line naming the file, nothing on stdout,
    # no traceback), and the file comes first in that line.
    check_one_line_error(result, str(path), [])
    assert result.stderr.startswith(f"error: {path}")
