"""Scenario discovery: boxes of a sweep's input space where OSDO beats ESED by a margin (PRIM).

Any sweep serves (grid, Latin hypercube, list, morris, sobol): :func:`point_differences` pairs
the two platforms' runs of each point and replication (common random numbers) and averages the
differences OSDO - ESED over the point's replications; a point is a *win* when that difference
beats the margin in the KPI's better direction (for a lower-is-better KPI such as cycle time:
OSDO - ESED < -margin). :func:`find_boxes` then runs PRIM (Friedman and Fisher 1999; the
``prim`` package, the standalone version of the EMA Workbench's) on the points' parameter values
and picks, on each box's peeling trajectory, the box with the highest coverage whose density
reaches ``min_density`` (else the densest). *Coverage* is the share of all winning points that
fall in the box, *density* the share of the box's points that win; compare density with the
share of winning points overall, which is what a box that restricts nothing would have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from sim.config.architectures import ARCHITECTURES, PAIR
from sim.config.errors import InputError
from sim.experiments.sensitivity import SweepResults
from sim.model.kpis import KPIS

__all__ = ["Condition", "Box", "Discovery", "point_differences", "wins", "find_boxes",
           "discover", "DEFAULT_MIN_DENSITY"]

DEFAULT_MIN_DENSITY = 0.8
Better = Literal["lower", "higher"]


def _fmt(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True)
class Condition:
    """One restricted dimension of a box: a numeric interval or a set of categories."""

    parameter: str
    low: float | None = None  # None: not restricted from below
    high: float | None = None  # None: not restricted from above
    categories: tuple[str, ...] | None = None

    def words(self) -> str:
        """E.g. ``staff.remote_share is at most 0.3``."""
        if self.categories is not None:
            if len(self.categories) == 1:
                return f"{self.parameter} is {self.categories[0]}"
            return f"{self.parameter} is one of {', '.join(self.categories)}"
        if self.low is not None and self.high is not None:
            return f"{self.parameter} is between {_fmt(self.low)} and {_fmt(self.high)}"
        if self.high is not None:
            return f"{self.parameter} is at most {_fmt(self.high)}"
        return f"{self.parameter} is at least {_fmt(self.low)}"  # type: ignore[arg-type]


@dataclass(frozen=True)
class Box:
    """A PRIM box: its conditions (none: the whole input space) and how well it describes wins."""

    conditions: list[Condition]
    coverage: float  #: share of all winning points inside the box
    density: float  #: share of the box's points that win
    mass: float  #: share of all points inside the box
    points: int  #: points inside the box
    wins: int  #: winning points inside the box

    def where(self) -> str:
        """The conditions joined in words (``everywhere in the swept ranges`` for none)."""
        if not self.conditions:
            return "everywhere in the swept ranges"
        return "when " + " and ".join(c.words() for c in self.conditions)

    def contains(self, frame: pd.DataFrame) -> np.ndarray:
        """Which rows of ``frame`` (one column per parameter) lie in the box."""
        inside = np.ones(len(frame), dtype=bool)
        for c in self.conditions:
            column = frame[c.parameter]
            if c.categories is not None:
                inside &= column.astype(str).isin(c.categories).to_numpy()
            else:
                if c.low is not None:
                    inside &= (column >= c.low).to_numpy()
                if c.high is not None:
                    inside &= (column <= c.high).to_numpy()
        return inside


@dataclass
class Discovery:
    """Where OSDO beats ESED on one KPI by a margin: the points, the wins and the boxes."""

    kpi: str
    margin: float
    better: Better
    parameters: list[str]
    points: pd.DataFrame = field(repr=False)  # per point: parameters, osdo, esed, difference, win
    boxes: list[Box]
    dropped: int = 0  # points left out: no finished pair of runs, or no value of the KPI

    @property
    def n_wins(self) -> int:
        """Winning points."""
        return int(self.points.win.sum())

    def claim(self) -> str:
        """What a win means: ``OSDO's cycle_time_mean_h is lower than ESED's by at least 1 h``."""
        a, b = (ARCHITECTURES[p].label for p in PAIR)
        unit = KPIS[self.kpi].unit if self.kpi in KPIS else ""
        by = f" by at least {_fmt(self.margin)}{' ' + unit if unit else ''}" if self.margin else ""
        return f"{a}'s {self.kpi} is {self.better} than {b}'s{by}"

    def sentences(self) -> list[str]:
        """The findings in words: the base rate, then one sentence per box."""
        n, won = len(self.points), self.n_wins
        claim = self.claim()
        diff = self.points.difference
        lines = [f"{claim} at {won} of {n} points ({won / n:.2f}); {PAIR[0].upper()} - "
                 f"{PAIR[1].upper()} ranges from {_fmt(diff.min())} to {_fmt(diff.max())}"
                 if n else f"no point has a finished pair of runs with a value of {self.kpi}"]
        if n and won == 0:
            lines.append(f"{claim} nowhere in the swept ranges: there is no box to find")
        for box in self.boxes:
            lines.append(f"{claim} {box.where()}: coverage {box.coverage:.2f}, density "
                         f"{box.density:.2f} ({box.wins} of the box's {box.points} points win)")
        return lines


def point_differences(runs: pd.DataFrame, kpi: str, parameters: list[str]) -> pd.DataFrame:
    """Per point: parameter values, each platform's mean, and the mean paired OSDO - ESED.

    Runs of one point and replication are paired first (same random numbers); a replication
    with one platform's run missing or failed is left out, and so is a point with none left.
    """
    ok = runs[runs.status == "ok"]
    wide = ok.pivot(index=["point", "replication"], columns="platform", values=kpi)
    if not set(PAIR) <= set(wide.columns):
        return pd.DataFrame(columns=[*parameters, *PAIR, "difference", "replications"])
    pairs = wide[list(PAIR)].dropna()
    grouped = pairs.groupby(level="point")
    frame = grouped.mean()
    frame["difference"] = (pairs[PAIR[0]] - pairs[PAIR[1]]).groupby(level="point").mean()
    frame["replications"] = grouped.size()
    values = ok.groupby("point", sort=True)[parameters].first()
    frame = values.join(frame, how="inner")
    frame.columns.name = None
    return frame


def wins(difference: pd.Series | np.ndarray, margin: float, better: Better) -> np.ndarray:
    """Where OSDO - ESED beats the margin: below -margin (lower is better) or above +margin."""
    d = np.asarray(difference, dtype=float)
    return d < -margin if better == "lower" else d > margin


def _conditions(box: object, x: pd.DataFrame) -> list[Condition]:
    """The selected box's restrictions of ``x``'s columns (beyond the data's own range).

    Read from the box's limits record: PrimBox.limits, the public view, puts a category set
    into a float frame, which pandas 2+ refuses.
    """
    limits = box._box_lims[box._cur_box]  # type: ignore[attr-defined]
    conditions = []
    for name in x.columns:
        low, high = limits[name][0], limits[name][1]
        column = x[name]
        if isinstance(low, (set, frozenset)):
            if set(low) != set(column):
                conditions.append(Condition(name, categories=tuple(sorted(map(str, low)))))
            continue
        lo = float(low) if float(low) > float(column.min()) else None
        hi = float(high) if float(high) < float(column.max()) else None
        if lo is not None or hi is not None:
            conditions.append(Condition(name, lo, hi))
    return conditions


def find_boxes(x: pd.DataFrame, y: np.ndarray, min_density: float = DEFAULT_MIN_DENSITY,
               max_boxes: int = 1, peel_alpha: float = 0.05, paste_alpha: float = 0.05,
               mass_min: float = 0.05) -> list[Box]:
    """PRIM boxes of the points ``x`` (one column per parameter) around the cases ``y`` (bool).

    For each box, the point of its peeling trajectory with the highest coverage among those
    with density >= ``min_density`` (ties: the denser), else the densest; then the next box
    is sought among the points left outside (up to ``max_boxes``). Deterministic.
    """
    y = np.asarray(y, dtype=bool)
    if not y.any():
        return []
    if y.all():
        return [Box([], 1.0, 1.0, 1.0, len(y), len(y))]
    try:
        import prim  # imported here: it loads matplotlib's pyplot
    except ImportError:
        # An optional extra: the prim package is GPL-3, this package MIT.
        raise InputError("sim discover needs the prim package (GPL-3, an optional extra): "
                         "pip install 'docflow-sim[discovery]'") from None

    x = x.reset_index(drop=True).copy()
    for name in x.columns:  # text and mixed columns are categories for PRIM
        if x[name].dtype.kind not in "biuf":
            x[name] = x[name].astype(str).astype(object)
    finder = prim.Prim(x, y, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
    boxes = []
    for _ in range(max_boxes):
        box = finder.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory.reset_index(drop=True)
        dense = trajectory[trajectory.density >= min_density]
        pool = dense if len(dense) else trajectory
        key = ["coverage", "density"] if len(dense) else ["density", "coverage"]
        best = pool.sort_values(key, ascending=False, kind="stable").index[0]
        box.select(int(best))
        inside = np.asarray(box.yi)
        boxes.append(Box(_conditions(box, x), float(box.coverage), float(box.density),
                         float(box.mass), len(inside), int(y[inside].sum())))
        if math.isclose(sum(b.coverage for b in boxes), 1.0):
            break  # every winning point is in a box
    return boxes


def discover(results: SweepResults, kpi: str, margin: float = 0.0, better: Better | None = None,
             min_density: float = DEFAULT_MIN_DENSITY, max_boxes: int = 1) -> Discovery:
    """Boxes of ``results``' input space where OSDO beats ESED on ``kpi`` by ``margin``."""
    results.check_kpi(kpi)
    missing = [p for p in PAIR if p not in results.platforms]
    if missing:
        raise InputError(f"{results.folder}: the sweep ran {', '.join(results.platforms)}; "
                         f"discovery compares {PAIR[0]} with {PAIR[1]} and needs both")
    if margin < 0:
        raise InputError(f"--margin {margin:g}: must be >= 0 (how much better OSDO must be)")
    if not 0 < min_density <= 1:
        raise InputError(f"--min-density {min_density:g}: must be above 0 and at most 1")
    if better is None:
        direction = KPIS[kpi].higher_is_better if kpi in KPIS else None
        if direction is None:
            raise InputError(f"--kpi {kpi}: neither direction is better for this KPI; say "
                             f"which with --better lower or --better higher")
        better = "higher" if direction else "lower"
    points = point_differences(results.runs, kpi, results.parameters)
    points = points.dropna(subset=["difference"])
    dropped = results.runs.point.nunique() - len(points)
    points["win"] = wins(points.difference, margin, better)
    boxes = find_boxes(points[results.parameters], points.win.to_numpy(), min_density,
                       max_boxes) if len(points) else []
    return Discovery(kpi, margin, better, results.parameters, points, boxes, dropped)
