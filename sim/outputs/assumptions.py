"""What a run's answer depends on: the assumptions that move or flip each OSDO - ESED finding.

Two shipped measurements say it, copied from ``docs/figures`` into this package's ``data``
folder so an installed package has them (a test keeps the copies equal):

- the sensitivity screen (``assumptions_morris_sensitivity.csv``, ``sim sensitivity`` of
  ``scenarios/sweeps/assumptions_morris.yaml``): per KPI, which screened assumption moves the
  paired difference OSDO - ESED beyond replication noise (``above_noise``), by how much (mu*),
  and which move both platforms alike (the level, not the choice of system);
- the calibration scans (``calibration_sweep*.csv``, ``python -m sim.experiments.calibration``):
  where the mean cycle-time difference changes sign along a scanned assumption (the flip point).

Each assumption comes with its value in the scenario at hand and its source from the schema
(:func:`sim.config.paramdoc.source_of`: "assumption", or the source text). The parameters are
read from the tables, whatever a re-run of the screen lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from sim.config import Scenario
from sim.config.paramdoc import parameters
from sim.experiments.sensitivity import mu_star_bounds

__all__ = ["SCREEN_FILE", "SCANS", "Influence", "Flip", "screen", "influences", "flips",
           "value_at", "source_for"]

#: The sensitivity screen shipped with the project (a copy of docs/figures/ of that name).
SCREEN_FILE = "assumptions_morris_sensitivity.csv"
#: Where the screen comes from, in words.
SCREEN_WORDS = ("the Morris screen shipped with the project (scenarios/sweeps/"
                "assumptions_morris.yaml: each assumption varied over a range around its "
                "default on the four bodies of scenarios/baseline.yaml; docs/experiments.md)")
#: The calibration scans shipped (copies of docs/figures/), with what each ran.
SCANS: dict[str, str] = {
    "calibration_sweep.csv": "scenarios/remote_75.yaml at the default load, 60 working days "
                             "(20 of warm-up) from its working office, 3 replications",
    "calibration_sweep_load027.csv": "scenarios/remote_75.yaml at 0.27 documents per employee "
                                     "per day, 60 working days (20 of warm-up) from its working "
                                     "office, 5 replications",
}
#: The scans' numeric sweeps and the parameter each varied (docs/model.md section 6).
SCAN_PARAMETERS = {"literacy": "staff.literacy.insecure",
                   "ui": "platform.osdo.ui_time_factors.detractors"}
#: The KPI the scans measure (their ``advantage_h`` is ESED - OSDO of it).
SCAN_KPI = "cycle_time_mean_h"
#: The screen's name for the paired difference.
DIFFERENCE = "osdo-esed"


def _data(name: str) -> pd.DataFrame:
    with resources.files("sim.outputs").joinpath("data", name).open("r",
                                                                    encoding="utf-8") as f:
        return pd.read_csv(f)


@cache
def screen() -> pd.DataFrame:
    """The shipped sensitivity screen: one row per method, target, KPI and parameter."""
    return _data(SCREEN_FILE)


@dataclass(frozen=True)
class Influence:
    """How one screened assumption moves one KPI."""

    parameter: str
    label: str
    mu_star: float  # on the paired difference OSDO - ESED, in the KPI's unit
    mu_star_low: float  # its 95% interval, never below 0
    mu_star_high: float
    above_noise: bool  # of the difference
    levels_move: bool  # moves OSDO and ESED each beyond noise (the level, not the choice)


def influences(kpi: str) -> list[Influence]:
    """The screened assumptions for ``kpi``, those moving the difference first, by mu*."""
    table = screen()
    rows = table[table.kpi == kpi]
    if rows.empty:
        return []
    own = {t: set(rows[(rows.target == t) & rows.above_noise.astype(bool)].parameter)
           for t in ("osdo", "esed")}
    diff = rows[rows.target == DIFFERENCE].sort_values("mu_star", ascending=False)
    low, high = mu_star_bounds(diff)
    return [Influence(r.parameter, r.label, float(r.mu_star), float(lo), float(hi),
                      bool(r.above_noise),
                      r.parameter in own["osdo"] and r.parameter in own["esed"])
            for r, lo, hi in zip(diff.itertuples(), low, high, strict=True)]


@dataclass(frozen=True)
class Flip:
    """Where a scan saw the mean cycle-time difference change sign along an assumption."""

    parameter: str
    at: float  # linear interpolation between the two levels
    below: float  # the levels either side
    above: float
    faster_below: str  # the platform faster (point estimate) below the flip
    scan: str  # what the scan ran, in words
    crossing_in_noise: bool  # the intervals at both neighbouring levels include zero


def flips() -> list[Flip]:
    """Every sign change of ESED - OSDO mean cycle time along a shipped scan's numeric sweep."""
    out = []
    for name, words in SCANS.items():
        table = _data(name)
        for kind, parameter in SCAN_PARAMETERS.items():
            rows = table[table.sweep == kind].assign(x=lambda t: t.level.astype(float))
            rows = rows.sort_values("x")
            for a, b in zip(rows.itertuples(), rows.iloc[1:].itertuples(), strict=False):
                if a.advantage_h * b.advantage_h >= 0:
                    continue
                at = a.x + (b.x - a.x) * a.advantage_h / (a.advantage_h - b.advantage_h)
                noise = all(r.advantage_low <= 0 <= r.advantage_high for r in (a, b))
                out.append(Flip(parameter, float(at), a.x, b.x,
                                "OSDO" if a.advantage_h > 0 else "ESED", words, noise))
    return out


def value_at(scenario: Scenario, path: str) -> Any:
    """The value of a dotted schema path in ``scenario`` (None where it has none)."""
    node: Any = scenario.model_dump(mode="json")
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


@cache
def _sources() -> dict[str, tuple[str, Any]]:
    return {p.path: (p.source, p.value) for p in parameters()}


def source_for(path: str) -> tuple[str, Any]:
    """A parameter's source in the schema ("assumption" or the source text) and its default."""
    return _sources().get(path, ("", None))


def value_words(value: Any) -> str:
    """A parameter value as a scenario file would have it."""
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "none"
    return str(value)


def is_number(x: Any) -> bool:
    """Whether ``x`` is a finite number (a value that can be compared with a flip point)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
