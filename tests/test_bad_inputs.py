"""Every broken scenario file exits 2 with one clear line and writes nothing.

``tests/data/bad/expected.yaml`` pairs each file with the fragments its message must hold (field
path, bad value, what is allowed). Both ``sim validate`` and ``sim run`` are checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import check_one_line_error

from sim.cli import main

BAD = Path(__file__).resolve().parent / "data" / "bad"
EXPECTED: dict[str, list[str]] = yaml.safe_load((BAD / "expected.yaml").read_text())


def test_every_bad_file_has_an_expectation() -> None:
    files = {p.name for p in BAD.iterdir() if p.name != "expected.yaml"}
    assert files == set(EXPECTED)
    assert len(files) >= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_rejects(name: str) -> None:
    result = CliRunner().invoke(main, ["validate", str(BAD / name)])
    check_one_line_error(result, name, EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_run_rejects_and_writes_nothing(name: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a default results/ folder would show up here
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(BAD / name), "--out", str(out), "--no-plots"])
    check_one_line_error(result, name, EXPECTED[name])
    assert list(tmp_path.iterdir()) == []
