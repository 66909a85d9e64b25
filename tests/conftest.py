"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import Scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def small_scenario(**overrides) -> Scenario:
    """Two small bodies, one on each platform, ten working days."""
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
    return scenario_from_dict(data, "small")


@pytest.fixture
def small() -> Scenario:
    return small_scenario()
