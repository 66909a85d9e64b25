"""Every broken sweep file exits 2 with one clear line before any run: no folder, no store.

``tests/data/bad_sweeps/expected.yaml`` pairs each file with the fragments its message must hold
(field, bad value, what is allowed); the base scenarios they name are in ``bases/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import check_one_line_error

from sim.cli import main

BAD = Path(__file__).resolve().parent / "data" / "bad_sweeps"
EXPECTED: dict[str, list[str]] = yaml.safe_load((BAD / "expected.yaml").read_text())


def test_every_bad_sweep_has_an_expectation() -> None:
    files = {p.name for p in BAD.glob("*.yaml") if p.name != "expected.yaml"}
    assert files == set(EXPECTED)
    assert len(files) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sweep_rejects_before_any_run(name: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a default results/sweep-<name> folder would show up here
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(BAD / name), "--out", str(out),
                                       "--workers", "1", "--no-plots"])
    check_one_line_error(result, name, EXPECTED[name])
    assert list(tmp_path.iterdir()) == []  # no output folder, no sweep.sqlite
