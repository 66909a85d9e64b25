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

A box PRIM returns is a finding only when it holds at least :data:`MIN_BOX_POINTS` points and
the mean OSDO - ESED over its points beats the margin beyond replication noise: its 95% interval
(:func:`box_interval`, from the spread of each point's replications around their mean, pooled
over all points) lies wholly on the winning side. Otherwise the box is set aside with the
reason, and when none is left :meth:`Discovery.sentences` says that nothing was found: wins
scattered among points whose differences are within noise are what chance alone gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from sim.config.architectures import ARCHITECTURES, PAIR
from sim.config.errors import InputError
from sim.experiments.sensitivity import SweepResults
from sim.model.kpis import KPIS

__all__ = ["Condition", "Box", "Discovery", "Noise", "point_differences", "wins", "find_boxes",
           "discover", "replication_noise", "box_interval", "DEFAULT_MIN_DENSITY",
           "MIN_BOX_POINTS"]

DEFAULT_MIN_DENSITY = 0.8
#: A box of fewer points than this is not a finding: one or two points that happen to win are
#: what noise gives somewhere in any sweep.
MIN_BOX_POINTS = 5
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
    mean: float = math.nan  #: mean OSDO - ESED over the box's points
    half_width: float = math.nan  #: 95% half-width of that mean (replication noise)
    rejected: str = ""  #: why the box is not a finding ("" when it is one)

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


@dataclass(frozen=True)
class Noise:
    """Replication noise of the points' mean differences: pooled variance and its freedom."""

    variance: float  # of one replication's OSDO - ESED around its point's mean
    dof: int  # sum over points of (replications - 1); 0: no estimate

    @property
    def sd(self) -> float:
        """Standard deviation of one replication's difference around its point's mean."""
        return math.sqrt(self.variance) if self.dof else math.nan


@dataclass
class Discovery:
    """Where OSDO beats ESED on one KPI by a margin: the points, the wins and the boxes."""

    kpi: str
    margin: float
    better: Better
    parameters: list[str]
    points: pd.DataFrame = field(repr=False)  # per point: parameters, osdo, esed, difference, win
    boxes: list[Box]  # the findings: boxes that pass :data:`MIN_BOX_POINTS` and the noise test
    dropped: int = 0  # points left out: no finished pair of runs, or no value of the KPI
    rejected: list[Box] = field(default_factory=list)  # PRIM's boxes that are not findings
    noise: Noise = field(default_factory=lambda: Noise(math.nan, 0))

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
        for box in self.rejected:
            lines.append(f"not a finding: {claim} {box.where()} ({box.wins} of the box's "
                         f"{box.points} points win), but {box.rejected}")
        for box in self.boxes:
            lines.append(f"{claim} {box.where()}: coverage {box.coverage:.2f}, density "
                         f"{box.density:.2f} ({box.wins} of the box's {box.points} points win; "
                         f"mean OSDO - ESED in the box {_fmt(box.mean)} ± "
                         f"{_fmt(box.half_width)}, 95% interval)")
        if n and won and not self.boxes:
            noise = (f"one replication's difference varies by ± {_fmt(self.noise.sd)} "
                     "(standard deviation) around its point's mean" if self.noise.dof else
                     "with one replication per point there is no estimate of the noise")
            lines.append(f"nothing found: no region of the swept ranges where {claim} beyond "
                         f"replication noise ({noise}); the winning points are what chance "
                         "alone gives")
        return lines


def point_differences(runs: pd.DataFrame, kpi: str, parameters: list[str]) -> pd.DataFrame:
    """Per point: parameter values, each platform's mean, and the mean paired OSDO - ESED.

    Runs of one point and replication are paired first (same random numbers); a replication
    with one platform's run missing or failed is left out, and so is a point with none left.
    """
    ok = runs[runs.status == "ok"]
    wide = ok.pivot(index=["point", "replication"], columns="platform", values=kpi)
    if not set(PAIR) <= set(wide.columns):
        return pd.DataFrame(columns=[*parameters, *PAIR, "difference", "replications",
                                     "variance"])
    pairs = wide[list(PAIR)].dropna()
    grouped = pairs.groupby(level="point")
    frame = grouped.mean()
    by_point = (pairs[PAIR[0]] - pairs[PAIR[1]]).groupby(level="point")
    frame["difference"] = by_point.mean()
    frame["replications"] = grouped.size()
    frame["variance"] = by_point.var(ddof=1)  # NaN for a point of one replication
    values = ok.groupby("point", sort=True)[parameters].first()
    frame = values.join(frame, how="inner")
    frame.columns.name = None
    return frame


def replication_noise(points: pd.DataFrame) -> Noise:
    """The pooled variance of one replication's difference around its point's mean.

    Pooled over all points (the noise is about the same everywhere in a sweep, and two
    replications per point give one degree of freedom each): sum of (n - 1) s^2 over sum of
    (n - 1).
    """
    if "variance" not in points or not len(points):
        return Noise(math.nan, 0)
    free = (points.replications - 1).clip(lower=0)
    used = free > 0
    dof = int(free[used].sum())
    if not dof:
        return Noise(math.nan, 0)
    return Noise(float((free[used] * points.variance[used]).sum() / dof), dof)


def box_interval(points: pd.DataFrame, noise: Noise) -> tuple[float, float]:
    """Mean of the points' differences (each point weighs the same) and its 95% half-width.

    The variance of a point's mean is the pooled noise over its replications; the half-width
    takes Student's t at the noise's degrees of freedom (NaN without them).
    """
    k = len(points)
    if not k:
        return math.nan, math.nan
    mean = float(points.difference.mean())
    if not noise.dof:
        return mean, math.nan
    se = math.sqrt(noise.variance * float((1.0 / points.replications).sum())) / k
    return mean, float(stats.t.ppf(0.975, noise.dof) * se)


def _judged(box: Box, inside: pd.DataFrame, noise: Noise, margin: float,
            better: Better) -> Box:
    """``box`` with its mean and interval, and the reason it is not a finding (if it is not)."""
    mean, half = box_interval(inside, noise)
    reason = ""
    edge = mean + half if better == "lower" else mean - half
    if box.points < MIN_BOX_POINTS:
        reason = (f"it holds {box.points} point{'s' if box.points != 1 else ''}, fewer than "
                  f"{MIN_BOX_POINTS}")
    elif math.isnan(half):
        reason = ("with one replication per point there is no estimate of the noise to judge "
                  "it against")
    elif (edge >= -margin) if better == "lower" else (edge <= margin):
        reason = (f"its mean OSDO - ESED, {_fmt(mean)} ± {_fmt(half)} (95% interval over "
                  "replication noise), does not beat the margin beyond the noise")
    return replace(box, mean=mean, half_width=half, rejected=reason)


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
    noise = replication_noise(points)
    judged = [_judged(b, points[b.contains(points[results.parameters])], noise, margin, better)
              for b in boxes]
    return Discovery(kpi, margin, better, results.parameters, points,
                     [b for b in judged if not b.rejected], dropped,
                     [b for b in judged if b.rejected], noise)
