"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from sim.config import Scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
# Snapshots of working offices (sim.model.office) outside the user's cache, kept between test
# sessions: they are keyed by the model's source, so a changed model never reads a stale one.
os.environ["DOCFLOW_SIM_CACHE"] = str(Path(tempfile.gettempdir()) / "docflow-sim-test-offices")


def small_scenario_dict(**overrides) -> dict:
    """The raw mapping of :func:`small_scenario` (e.g. to write it out as a base file)."""
    data = {
        "name": "small",
        "horizon_days": 10,
        "warmup_days": 2,
        "replications": 2,
        "bodies": [
            {"name": "A", "kind": "central_ministry", "staff": 40, "platform": "osdo"},
            {"name": "B", "kind": "district_akimat", "staff": 30, "platform": "esed"},
        ],
    }
    data.update(overrides)
    # Ten days are shorter than most terms: drafts start as soon as they are named (not in the
    # term's last days), so that documents complete within the run.
    data["staff"] = {"draft_start_days_before_term": None, **data.get("staff", {})}
    return data


def small_scenario(**overrides) -> Scenario:
    """Two small bodies, one on each platform, ten working days."""
    return scenario_from_dict(small_scenario_dict(**overrides), "small")


def run_tiny_sweep(folder: Path, horizon_days: int, sweep: dict) -> Path:
    """`sim sweep` of ``sweep`` (name, replications, seed, parameters, kpis...) on the small
    scenario over ``horizon_days`` (1 of warm-up), OSDO and ESED, one worker; its folder."""
    import yaml
    from click.testing import CliRunner

    from sim.cli import main

    (folder / "base.yaml").write_text(yaml.safe_dump(small_scenario_dict(
        horizon_days=horizon_days, warmup_days=1)))
    (folder / "sweep.yaml").write_text(yaml.safe_dump(
        {"base": "base.yaml", "platforms": ["osdo", "esed"], **sweep}, sort_keys=False))
    out = folder / "out"
    result = CliRunner().invoke(main, ["sweep", str(folder / "sweep.yaml"), "--out", str(out),
                                       "--workers", "1"])
    assert result.exit_code == 0, result.output
    return out


def check_one_line_error(result, name: str, fragments: list[str]) -> None:
    """A CLI result of bad input: exit 2, one line on stderr naming ``name`` and every fragment,
    nothing on stdout, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    message = lines[0]
    assert message.startswith("error: ")
    assert name in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert result.stdout == ""


@pytest.fixture
def small() -> Scenario:
    return small_scenario()
