"""Sweep files: a base scenario, the parameters to vary, a design, and their expansion into runs.

A sweep file (YAML; the format is described with examples in ``docs/experiments.md``) names a
base scenario, fixed overrides, platforms, replications, a seed, a design (grid, Latin hypercube,
explicit points, or a global sensitivity design: Morris trajectories or Saltelli's Sobol
sample), the swept parameters (value lists, labelled values or ranges, with a distribution over
the range for the sensitivity designs) and the KPIs to keep. In a sensitivity design a value
list is a category (a structural choice such as ``platform.esed.approvals``): sampled uniformly
over its values, stored and tabulated as its place in the list (0 = the first).

:func:`load_sweep` reads and checks it (every point's scenario is validated before any run, and
problems raise :class:`~sim.config.errors.SweepFileError` naming the file, field and value);
:func:`expand` turns it into numbered :class:`RunSpec` s, one per point x replication x platform.
Both are pure: the expansion never depends on the order in which runs later execute.

The sensitivity designs come from SALib's samplers, seeded from the sweep seed, so their points
are a pure function of the sweep file and seed too; :func:`salib_problem` and
:func:`salib_sample` give the problem and the unrounded sample that
:mod:`sim.experiments.sensitivity` analyses.

Seeds: every run of point ``p`` and replication ``r`` uses the root seed ``SeedSequence(seed,
spawn_key=(SWEEP_KEY, b))`` and replication number ``r``, where ``b`` is the point's seed block
(:func:`seed_block`): the point itself in a grid, Latin hypercube or list design, and in a
sensitivity design the points compared with each other: a Morris trajectory (its k + 1 points),
or a Saltelli block (the rows A, AB_i, BA_i and B of one base sample). So a run's random streams
depend on its block and replication only, and the points of a block share them (common random
numbers): an elementary effect, or f(A) - f(AB_i), is the difference of two runs that differ
only in the factor moved, not in their noise. OSDO and ESED of one point and replication share
them too, so their differences are paired as in ``sim run``.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from scipy.stats import qmc

from sim.config.architectures import ArchitectureName
from sim.config.errors import ScenarioError, SweepFileError
from sim.config.loading import (
    apply_override,
    deep_merge,
    first_error,
    load_base,
    parse_override,
    read_yaml,
    scenario_from_dict,
    start_from_base_office,
    suggest,
)
from sim.config.schema import Scenario
from sim.model.kpis import KPI_COLUMNS

__all__ = [
    "SweepFile", "Sweep", "Point", "RunSpec", "load_sweep", "sweep_from_dict", "design_points",
    "expand", "point_seed", "seed_block", "point_summary", "salib_problem", "salib_sample",
    "MAX_POINTS", "SWEEP_KEY", "SENSITIVITY_DESIGNS", "MORRIS_LEVELS",
]

SWEEP_KEY = 0x5EE9  # first spawn key of point seeds, apart from the streams' own keys
MAX_POINTS = 100_000  # a grid above this is almost surely a mistake (a step too small)
_SET_BY_SWEEP = {"seed", "replications", "platforms"}
_NOT_SWEPT = {"name", "description", "extends", "output", *_SET_BY_SWEEP}
_SWEEP_KEYS = "name, base and parameters (or design: {kind: list, points: [...]})"
# Top-level keys of a scenario that a sweep file never has: a file with one is a scenario.
_SCENARIO_ONLY_KEYS = frozenset(Scenario.model_fields) - {
    "name", "description", "platforms", "replications", "seed"} | {"extends"}
_ROUND = 12  # digits kept of range values, so 0.1 * 3 reads 0.3 in tables and the store
_SAMPLED_DIGITS = 6  # digits kept of sampled (lhs, morris, sobol) values: readable labels
#: Designs made for global sensitivity analysis (``sim sensitivity``), sampled by SALib.
SENSITIVITY_DESIGNS = ("morris", "sobol")
MORRIS_LEVELS = 4  # Morris grid levels per range unless design.levels says otherwise


class DistSpec(BaseModel):
    """How a sensitivity design spreads a parameter's values over its range."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal["unif", "logunif", "triang", "truncnorm"] = Field(
        description="unif: uniform over the range; logunif: uniform in the logarithm (low > 0); "
        "triang: triangular with its mode at `peak`; truncnorm: a normal (mean, sd) cut to the "
        "range."
    )
    peak: float | None = Field(None, description="triang: the most likely value, in the range.")
    mean: float | None = Field(None, description="truncnorm: mean of the normal before the cut.")
    sd: float | None = Field(None, description="truncnorm: its standard deviation (> 0).")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ParameterSpec(_Spec):
    """One swept parameter: a list of values, or a numeric range."""

    values: list[Any] | dict[str, Any] | None = Field(
        None, description="Values to try; a mapping gives each value a label."
    )
    range: tuple[float, float] | None = Field(
        None, description="[low, high], both included; with `num` or `step` on a grid."
    )
    num: int | None = Field(None, description="Grid: this many evenly spaced values.")
    step: float | None = Field(None, description="Grid: values low, low+step, ... up to high.")
    integer: bool = Field(False, description="Round range values to whole numbers.")
    complement: str | None = Field(
        None, description="Another field set to 1 - value (e.g. the other share of a pair)."
    )
    dist: DistSpec | None = Field(
        None, description="morris and sobol: how values spread over the range (default unif)."
    )

    @field_validator("dist", mode="before")
    @classmethod
    def _dist_shorthand(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value

    @field_validator("range", mode="before")
    @classmethod
    def _two_ends(cls, value: Any) -> Any:
        # pydantic's own words for a short tuple ("range.1: required field is missing") hide
        # what a range is.
        if isinstance(value, (list, tuple)) and len(value) != 2:
            raise ValueError(f"{list(value)!r} is not allowed: give [low, high], two numbers")
        return value


class DesignSpec(_Spec):
    """How points are chosen."""

    kind: Literal["grid", "lhs", "list", "morris", "sobol"] = Field(
        "grid", description="Full grid, Latin hypercube with n points, explicit points, Morris "
        "trajectories or Saltelli's Sobol sample (global sensitivity).")
    n: int | None = Field(None, description="lhs: points; morris: trajectories; sobol: base "
                          "samples (a power of 2).")
    points: list[dict[str, Any]] | None = Field(None, description="list: the points.")
    levels: int | None = Field(None, description=f"morris: levels of each range's grid (even; "
                               f"default {MORRIS_LEVELS}).")
    calc_second_order: bool | None = Field(
        None, description="sobol: also second-order indices (n x (2k+2) points instead of "
        "n x (k+2)); default false.")


class SweepFile(_Spec):
    """The sweep file's schema."""

    name: str = Field(description="Short name used in output folders.")
    description: str = ""
    base: str = Field(description="Base scenario file, relative to the sweep file.")
    set: dict[str, Any] = Field(
        default_factory=dict, description="Fixed overrides of the base, as dotted paths."
    )
    platforms: list[ArchitectureName] | None = None
    replications: int = Field(3, ge=1, le=10_000)
    seed: int | None = Field(None, ge=0, lt=2**63)
    design: DesignSpec = Field(default_factory=DesignSpec)
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)
    kpis: list[str] = Field(default_factory=lambda: list(KPI_COLUMNS))
    office_from: Literal["point", "base"] = Field(
        "point",
        description="With start.office: working, whose office each point starts from: its own "
        "(a snapshot per point and replication) or the base's (start.snapshot_set undoes the "
        "point's parameters for the snapshot: one per seed block and replication, shared by "
        "the block's points, which then move away from it in their warm-up).",
    )

    @field_validator("design", mode="before")
    @classmethod
    def _design_shorthand(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value

    @field_validator("kpis")
    @classmethod
    def _known_kpis(cls, value: list[str]) -> list[str]:
        for kpi in value:
            if kpi not in KPI_COLUMNS:
                raise ValueError(f"unknown KPI {kpi!r}{suggest(kpi, KPI_COLUMNS)}")
        if not value:
            raise ValueError("kpis must name at least one KPI")
        return list(dict.fromkeys(value))


@dataclass(frozen=True)
class Point:
    """One point of the design: its number, shown values (labels) and the values it sets."""

    index: int
    labels: dict[str, Any]
    values: dict[str, Any]


@dataclass(frozen=True)
class RunSpec:
    """One run: a point, a replication and a platform, with the seed they derive."""

    run_id: int
    point: int
    replication: int
    platform: str
    seed: int
    params: dict[str, Any]


@dataclass
class Sweep:
    """A checked sweep: the file, its base scenario and every point's scenario."""

    path: Path
    spec: SweepFile
    base: Scenario
    points: list[Point]
    scenarios: list[Scenario] = field(repr=False)
    #: The sweep file as run, when ``--set design.*`` changed it (else the file's own text).
    text: str | None = field(default=None, repr=False)

    def file_text(self) -> str:
        """The sweep file as run: its text, or with the design overrides applied."""
        return self.text if self.text is not None else self.path.read_text(encoding="utf-8")

    @property
    def name(self) -> str:
        """The sweep's name."""
        return self.spec.name

    @property
    def seed(self) -> int:
        """Root seed: the sweep's, else the base scenario's."""
        return self.base.seed if self.spec.seed is None else self.spec.seed

    @property
    def platforms(self) -> list[str]:
        """Architectures run at every point."""
        return list(self.spec.platforms or self.base.platforms)

    @property
    def parameters(self) -> list[str]:
        """Swept parameter paths, in file order."""
        return list(self.points[0].labels) if self.points else []

    @property
    def kpis(self) -> list[str]:
        """KPIs kept in the store."""
        return list(self.spec.kpis)

    def fingerprint(self) -> str:
        """A hash of everything that decides the runs: resuming needs the same one."""
        blob = json.dumps({
            "points": [[p.index, p.values] for p in self.points],
            "scenarios": [s.model_dump(mode="json") for s in self.scenarios],
            "platforms": self.platforms, "replications": self.spec.replications,
            "seed": self.seed, "kpis": self.kpis,
            # Sensitivity designs share seeds within a block: a store of an older sweep that
            # gave every point its own seed is not resumed with the new seeds.
            **({"seed_block": _block_size(self.spec)} if _block_size(self.spec) > 1 else {}),
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def point_seed(root: int, point: int) -> int:
    """The root seed of a point's runs, from the sweep seed and the point's :func:`seed_block`."""
    state = np.random.SeedSequence(root, spawn_key=(SWEEP_KEY, point)).generate_state(1, np.uint64)
    return int(state[0]) >> 1  # scenario seeds are below 2**63


def seed_block(spec: SweepFile, point: int) -> int:
    """The seed block of a point: the points that share their random numbers, numbered.

    Morris: the trajectory (SALib's order, k + 1 points each); Sobol: the Saltelli block of one
    base sample (k + 2 points, 2k + 2 with second order); other designs: the point itself.
    """
    return point // _block_size(spec)


def _block_size(spec: SweepFile) -> int:
    k = len(spec.parameters)
    if spec.design.kind == "morris":
        return k + 1
    if spec.design.kind == "sobol":
        return 2 * k + 2 if spec.design.calc_second_order else k + 2
    return 1


def _range_values(spec: ParameterSpec, where: str) -> list[Any]:
    low, high = spec.range  # type: ignore[misc]
    if spec.num is not None and spec.step is not None:
        raise SweepFileError(f"{where}: num: {spec.num} and step: {spec.step:g} are both given; "
                            f"give either num or step, not both")
    if spec.num is not None:
        if spec.num < 1:
            raise SweepFileError(f"{where}.num: {spec.num} gives an empty range; use 1 or more")
        raw = np.linspace(low, high, spec.num) if spec.num > 1 else np.array([low])
    elif spec.step is not None:
        if spec.step <= 0:
            raise SweepFileError(f"{where}.step: {spec.step:g} is not allowed: must be > 0")
        count = math.floor((high - low) / spec.step + 1e-9) + 1
        if count > MAX_POINTS:
            raise SweepFileError(f"{where}.step: {spec.step:g} gives {count:,} values; "
                                f"at most {MAX_POINTS:,} are allowed")
        raw = low + spec.step * np.arange(count)
    else:
        raise SweepFileError(f"{where}: a range on a grid needs num (how many values) or step")
    return [int(round(v)) if spec.integer else round(float(v), _ROUND) for v in raw]


def _check_parameter(path: str, spec: ParameterSpec, where: str) -> None:
    top = path.split(".")[0]
    if top in _NOT_SWEPT:
        why = ("the sweep file sets seed, replications and platforms itself"
               if top in _SET_BY_SWEEP else "it does not change what a run simulates")
        raise SweepFileError(f"{where}: {top!r} cannot be swept; {why}")
    if spec.values is not None and spec.range is not None:
        raise SweepFileError(f"{where}: values: {spec.values!r} and range: {list(spec.range)!r} "
                            f"are both given; give exactly one of values or range")
    if spec.values is None and spec.range is None:
        raise SweepFileError(f"{where}: give values (a list) or range ([low, high] with num or "
                            f"step)")
    if spec.values is not None and len(spec.values) == 0:
        raise SweepFileError(f"{where}.values: the list is empty; give at least one value")
    if spec.range is not None:
        low, high = spec.range
        if low > high:
            raise SweepFileError(f"{where}.range: [{low:g}, {high:g}] is empty: low is above high")
    elif spec.num is not None or spec.step is not None:
        raise SweepFileError(f"{where}: num and step go with range, not with values")


def _grid_values(spec: ParameterSpec, where: str) -> list[tuple[Any, Any]]:
    """(label, value) pairs of one parameter on a grid, or the categories of a value list."""
    if spec.range is not None:
        return [(v, v) for v in _range_values(spec, where)]
    if isinstance(spec.values, dict):
        return list(spec.values.items())
    return [(v, v) for v in spec.values or []]


def _design_rng(seed: int) -> np.random.Generator:
    """The random generator of a sampled design (lhs, morris, sobol): the sweep seed's own."""
    sequence = np.random.SeedSequence(seed, spawn_key=(SWEEP_KEY,))
    return np.random.Generator(np.random.PCG64(sequence))


def _sampled_value(spec: ParameterSpec, value: float) -> int | float:
    """A sampled range value as points carry it: whole if ``integer``, else 6 digits."""
    return int(round(value)) if spec.integer else round(float(value), _SAMPLED_DIGITS)


def _check_design_options(design: DesignSpec, source: str) -> None:
    """Options of one design kind given with another."""
    if design.levels is not None and design.kind != "morris":
        raise SweepFileError(f"{source}: design.levels: {design.levels} is not allowed with "
                            f"kind: {design.kind}; levels goes with kind: morris")
    if design.calc_second_order is not None and design.kind != "sobol":
        raise SweepFileError(f"{source}: design.calc_second_order is not allowed with kind: "
                            f"{design.kind}; it goes with kind: sobol")


def _dist_bounds(path: str, p: ParameterSpec, kind: str, source: str) -> tuple[str, list[float]]:
    """SALib's name and bounds of one parameter's distribution (checked).

    A value list is a category: uniform over [0, k) for k values, value i over [i, i + 1).
    """
    where = f"{source}: parameters.{path}"
    if p.range is None:
        values = p.values or []
        if len(values) < 2:
            raise SweepFileError(f"{where}: values: {p.values!r} cannot be sampled by a {kind} "
                                f"design; give range: [low, high], or at least two values (a "
                                f"category)")
        if p.dist is not None or p.integer:
            given = "dist" if p.dist is not None else "integer"
            raise SweepFileError(f"{where}.{given} is not allowed with values (a category); it "
                                f"goes with range")
        return "unif", [0.0, float(len(values))]
    if p.num is not None or p.step is not None:
        given = "num: " + str(p.num) if p.num is not None else f"step: {p.step:g}"
        raise SweepFileError(f"{where}: {given} is not allowed with kind: {kind} (it places its "
                            f"own points); num and step go with kind: grid")
    low, high = (float(v) for v in p.range)
    if low == high:
        raise SweepFileError(f"{where}.range: [{low:g}, {high:g}] has no width; a {kind} design "
                            f"needs low < high (fix a constant in set: instead)")
    dist = p.dist or DistSpec(kind="unif")
    extra = {"peak": dist.peak, "mean": dist.mean, "sd": dist.sd}
    wanted = {"unif": set(), "logunif": set(), "triang": {"peak"},
              "truncnorm": {"mean", "sd"}}[dist.kind]
    for name, value in extra.items():
        if value is None and name in wanted:
            raise SweepFileError(f"{where}.dist.{name}: required field is missing: "
                                f"dist {dist.kind} needs {' and '.join(sorted(wanted))}")
        if value is not None and name not in wanted:
            raise SweepFileError(f"{where}.dist.{name}: {value:g} is not allowed with kind: "
                                f"{dist.kind}" + (f" (it takes {', '.join(sorted(wanted))})"
                                                  if wanted else " (it takes only the range)"))
    if dist.kind == "logunif":
        if low <= 0:
            raise SweepFileError(f"{where}.range: [{low:g}, {high:g}] is not allowed with dist "
                                f"logunif: low must be > 0")
        return "logunif", [low, high]
    if dist.kind == "triang":
        assert dist.peak is not None
        if not low <= dist.peak < high:
            raise SweepFileError(f"{where}.dist.peak: {dist.peak:g} is not allowed: it must be "
                                f"in the range, at least {low:g} and below {high:g}")
        return "triang", [low, high, (dist.peak - low) / (high - low)]
    if dist.kind == "truncnorm":
        assert dist.mean is not None and dist.sd is not None
        if dist.sd <= 0:
            raise SweepFileError(f"{where}.dist.sd: {dist.sd:g} is not allowed: must be > 0")
        return "truncnorm", [low, high, dist.mean, dist.sd]
    return "unif", [low, high]


def salib_problem(spec: SweepFile, source: str = "<sweep>") -> dict[str, Any]:
    """SALib's problem of a morris or sobol sweep: names, bounds and distributions (checked)."""
    kind = spec.design.kind
    if kind not in SENSITIVITY_DESIGNS:
        raise SweepFileError(f"{source}: design.kind: {kind!r} is not a sensitivity design; "
                            f"use {' or '.join(SENSITIVITY_DESIGNS)}")
    names, bounds, dists = [], [], []
    for path, p in spec.parameters.items():
        dist, bound = _dist_bounds(path, p, kind, source)
        names.append(path)
        bounds.append(bound)
        dists.append(dist)
    return {"num_vars": len(names), "names": names, "bounds": bounds, "dists": dists}


def salib_sample(spec: SweepFile, seed: int, source: str = "<sweep>") -> np.ndarray:
    """The unrounded sample of a morris or sobol sweep: a row per point, a column per parameter.

    Pure: SALib's sampler is seeded from the sweep seed. Morris: ``n`` trajectories of k + 1
    points on a grid of ``levels`` levels per range (the distribution's quantiles). Sobol:
    Saltelli's scheme on ``n`` base samples (a power of 2), n x (k + 2) points, or
    n x (2k + 2) with ``calc_second_order``.
    """
    design = spec.design
    problem = salib_problem(spec, source)
    k = problem["num_vars"]
    if design.n is None:
        example = "{kind: morris, n: 10}" if design.kind == "morris" else "{kind: sobol, n: 64}"
        what = "n >= 2 trajectories" if design.kind == "morris" else "n base samples, a power of 2"
        raise SweepFileError(f"{source}: design.n: required field is missing: a {design.kind} "
                            f"design needs {what}, e.g. design: {example}")
    if design.kind == "morris":
        from SALib.sample import morris

        levels = MORRIS_LEVELS if design.levels is None else design.levels
        if design.n < 2:
            raise SweepFileError(f"{source}: design.n: {design.n} is not allowed: a morris "
                                f"design needs n >= 2 trajectories (for sigma and an interval)")
        if levels < 2 or levels % 2:
            raise SweepFileError(f"{source}: design.levels: {levels} is not allowed: an even "
                                f"number >= 2 (e.g. 4)")
        total = design.n * (k + 1)
        if total > MAX_POINTS:
            raise SweepFileError(f"{source}: design.n: {design.n:,} trajectories give {total:,} "
                                f"points; at most {MAX_POINTS:,}")
        sample = morris.sample(problem, design.n, num_levels=levels, seed=_design_rng(seed))
        for column, (path, p) in enumerate(spec.parameters.items()):
            if p.range is None and len(p.values or []) > levels:
                raise SweepFileError(f"{source}: parameters.{path}: {len(p.values or [])} "
                                    f"values, but a morris design of {levels} levels reaches "
                                    f"at most {levels} of them; use more levels or fewer values")
            # A step between two levels that round to the same whole number would change
            # nothing in the runs, yet count as an effect of zero: the effect would be diluted.
            if p.integer and len({round(v) for v in sample[:, column]}) < len(
                    set(sample[:, column])):
                raise SweepFileError(f"{source}: parameters.{path}: integer: true rounds some of "
                                    f"its {levels} Morris levels in {list(p.range or [])} to the "
                                    f"same whole number; widen the range or use fewer levels")
        return sample
    from SALib.sample import sobol

    n = design.n
    if n < 2 or n & (n - 1):
        raise SweepFileError(f"{source}: design.n: {n} is not allowed: a sobol design needs a "
                            f"power of 2 base samples (2, 4, ..., 64, 128, ...)")
    second = bool(design.calc_second_order)
    total = n * (2 * k + 2 if second else k + 2)
    if total > MAX_POINTS:
        raise SweepFileError(f"{source}: design.n: {n:,} base samples give {total:,} points; "
                            f"at most {MAX_POINTS:,}")
    return sobol.sample(problem, n, calc_second_order=second, seed=_design_rng(seed))


def design_points(spec: SweepFile, seed: int, source: str = "<sweep>") -> list[Point]:
    """The points of the design, numbered from 0 in a fixed order (pure)."""
    design = spec.design
    params = spec.parameters
    _check_design_options(design, source)
    if design.kind == "list":
        if params:
            raise SweepFileError(f"{source}: parameters: a list design takes its values from "
                                f"design.points; leave parameters out")
        if not design.points:
            raise SweepFileError(f"{source}: design.points: a list design needs at least one point")
        if design.n is not None:
            raise SweepFileError(f"{source}: design.n: {design.n} is not allowed with kind: list "
                                f"(the points are listed); n goes with kind: lhs")
        names = list(design.points[0])
        for i, point in enumerate(design.points):
            if not point:
                raise SweepFileError(f"{source}: design.points.{i}: an empty point")
            if set(point) != set(names):
                diff = sorted(set(point) ^ set(names))
                raise SweepFileError(f"{source}: design.points.{i}: sets {sorted(point)}, but "
                                    f"point 0 sets {sorted(names)} (differs in {diff})")
            for name in point:
                _check_parameter(name, ParameterSpec(values=[0]), f"{source}: design.points."
                                 f"{i}.{name}")
        return [Point(i, {k: p[k] for k in names}, {k: p[k] for k in names})
                for i, p in enumerate(design.points)]
    if not params:
        raise SweepFileError(f"{source}: parameters: a {design.kind} design needs at least one "
                            f"parameter")
    if design.points is not None:
        raise SweepFileError(f"{source}: design.points goes with kind: list, not {design.kind}")
    for path, p in params.items():
        _check_parameter(path, p, f"{source}: parameters.{path}")
        if p.dist is not None and design.kind not in SENSITIVITY_DESIGNS:
            raise SweepFileError(f"{source}: parameters.{path}.dist is not allowed with kind: "
                                f"{design.kind}; dist goes with kind: morris or sobol")
    if design.kind in SENSITIVITY_DESIGNS:
        # Points in SALib's order: trajectory after trajectory (morris), or Saltelli's blocks
        # (sobol); the analysis pairs each point's results with its row of the sample.
        sample = salib_sample(spec, seed, source)
        categories = {path: _grid_values(p, f"{source}: parameters.{path}")
                      for path, p in params.items() if p.range is None}
        points = []
        for i, row in enumerate(sample):
            labels, values = {}, {}
            for (path, p), v in zip(params.items(), row, strict=True):
                if p.range is None:  # a category: its place in the list, and its value
                    items = categories[path]
                    place = min(int(v), len(items) - 1)
                    labels[path], values[path] = place, items[place][1]
                else:
                    labels[path] = values[path] = _sampled_value(p, v)
            points.append(Point(i, labels, values))
        return points
    if design.kind == "grid":
        if design.n is not None:
            raise SweepFileError(f"{source}: design.n: {design.n} is not allowed with kind: grid "
                                f"(a grid takes every combination); n goes with kind: lhs")
        axes = [_grid_values(p, f"{source}: parameters.{path}")
                for path, p in params.items()]
        total = math.prod(len(a) for a in axes)
        if total > MAX_POINTS:
            raise SweepFileError(f"{source}: design: the grid has {total:,} points; at most "
                                f"{MAX_POINTS:,} are allowed")
        combos = itertools.product(*axes)
        names = list(params)
        return [Point(i, {n: lab for n, (lab, _v) in zip(names, c, strict=True)},
                      {n: v for n, (_lab, v) in zip(names, c, strict=True)})
                for i, c in enumerate(combos)]
    # Latin hypercube: ranges sampled continuously, value lists as categories.
    if design.n is None:
        raise SweepFileError(f"{source}: design.n: required field is missing: a Latin hypercube "
                            f"needs n >= 1 points, e.g. design: {{kind: lhs, n: 20}}")
    if design.n < 1:
        raise SweepFileError(f"{source}: design.n: {design.n} is not allowed: a Latin hypercube "
                            f"needs n >= 1 points")
    if design.n > MAX_POINTS:
        raise SweepFileError(f"{source}: design.n: {design.n:,} points; at most {MAX_POINTS:,}")
    for path, p in params.items():
        if p.num is not None or p.step is not None:
            given = "num: " + str(p.num) if p.num is not None else f"step: {p.step:g}"
            raise SweepFileError(f"{source}: parameters.{path}: {given} is not allowed with kind: "
                                f"lhs (a Latin hypercube samples the range continuously); num "
                                f"and step go with kind: grid")
    unit = qmc.LatinHypercube(d=len(params), rng=_design_rng(seed)).random(design.n)
    categories = {path: _grid_values(p, f"{source}: parameters.{path}")
                  for path, p in params.items() if p.range is None}
    points = []
    for i, row in enumerate(unit):
        labels, values = {}, {}
        for (path, p), u in zip(params.items(), row, strict=True):
            if p.range is not None:
                low, high = p.range
                labels[path] = values[path] = _sampled_value(p, low + float(u) * (high - low))
            else:
                items = categories[path]
                labels[path], values[path] = items[min(int(u * len(items)), len(items) - 1)]
        points.append(Point(i, labels, values))
    return points


def expand(sweep: Sweep) -> list[RunSpec]:
    """Numbered runs: point-major, then replication, then platform (pure; no I/O)."""
    specs = []
    for point in sweep.points:
        seed = point_seed(sweep.seed, seed_block(sweep.spec, point.index))
        for r in range(sweep.spec.replications):
            for platform in sweep.platforms:
                specs.append(RunSpec(len(specs), point.index, r, platform, seed,
                                     dict(point.labels)))
    return specs


def _point_scenario(base: dict[str, Any], point: Point, spec: SweepFile, source: str) -> Scenario:
    data = deep_merge(base, {})
    where = f"{source}: point {point.index} ({_describe(point.labels)})"
    changed = []
    for path, value in point.values.items():
        apply_override(data, path.split("."), value, where)
        changed.append(path)
        complement = spec.parameters.get(path).complement if path in spec.parameters else None
        if complement:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise SweepFileError(f"{where}: complement of {path} needs a number, got {value!r}")
            apply_override(data, complement.split("."), round(1.0 - value, _ROUND), where)
            changed.append(complement)
    if spec.office_from == "base":
        start_from_base_office(data, base, changed, where)
    return scenario_from_dict(data, where)


def _describe(labels: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items())


def sweep_from_dict(
    raw: dict[str, Any], path: Path, overrides: list[str] | None = None
) -> Sweep:
    """Check a parsed sweep file (``path`` locates the base) and resolve every point.

    ``overrides`` (``--set`` texts) apply to the base scenario, except ``design.*`` ones, which
    change the sweep's own design (``design.n=2`` shrinks a shipped design).
    """
    source = str(path)
    overrides = list(overrides or [])
    design_sets = [o for o in overrides if o.strip().split("=", 1)[0].split(".")[0] == "design"]
    overrides = [o for o in overrides if o not in design_sets]
    text, design_source = None, source
    if design_sets:
        raw, design_source, text = _design_overrides(raw, design_sets, source)
    scenario_keys = sorted(set(raw) & _SCENARIO_ONLY_KEYS)
    if "base" not in raw and scenario_keys:
        raise SweepFileError(f"{source}: this is a scenario file ({', '.join(scenario_keys[:3])}"
                             f"{', ...' if len(scenario_keys) > 3 else ''}), not a sweep: run "
                             f"it with `sim run {source}`, or name it as base: in a sweep file")
    try:
        spec = SweepFile.model_validate(raw)
    except ValidationError as exc:
        raise SweepFileError(first_error(exc, source, SweepFile)) from None
    base = load_base(path, spec.base, spec.set, overrides, source, SweepFileError)
    if spec.office_from == "base" and base.start.office != "working":
        raise SweepFileError(f"{source}: office_from: base needs start.office: working (in the "
                             f"base or under set:); from an empty office the points share it "
                             f"anyway")
    resolved = base.model_dump(mode="python")
    points = design_points(spec, base.seed if spec.seed is None else spec.seed, design_source)
    scenarios = [_point_scenario(resolved, p, spec, source) for p in points]
    return Sweep(path, spec, base, points, scenarios, text)


def _design_overrides(raw: dict[str, Any], sets: list[str], source: str
                      ) -> tuple[dict[str, Any], str, str]:
    """``raw`` with ``--set design.KEY=VALUE`` applied; the source naming them; the new text.

    The file alone is checked first, so that its own mistakes are blamed on it.
    """
    try:
        SweepFile.model_validate(raw)
    except ValidationError as exc:
        raise SweepFileError(first_error(exc, source, SweepFile)) from None
    data = copy.deepcopy(raw)
    if isinstance(data.get("design"), str):
        data["design"] = {"kind": data["design"]}
    data.setdefault("design", {})
    where = f"--set {' --set '.join(sets)}"
    for text in sets:
        try:
            parts, value = parse_override(text)
        except ScenarioError as exc:
            raise SweepFileError(str(exc)) from None
        if len(parts) != 2:
            raise SweepFileError(f"--set {text}: design takes design.KEY=VALUE, KEY one of "
                                 f"{', '.join(DesignSpec.model_fields)}")
        if parts[1] not in DesignSpec.model_fields:
            raise SweepFileError(f"--set {text}: design has no field {parts[1]!r}"
                                 f"{suggest(parts[1], list(DesignSpec.model_fields))}")
        data["design"][parts[1]] = value
    try:
        SweepFile.model_validate(data)
    except ValidationError as exc:
        raise SweepFileError(first_error(exc, where, SweepFile)) from None
    return data, f"{source} with {where}", yaml.safe_dump(data, sort_keys=False,
                                                          allow_unicode=True)


def load_sweep(path: str | Path, overrides: list[str] | None = None) -> Sweep:
    """Read, check and resolve a sweep file; ``overrides`` apply to the base (like ``--set``)."""
    path = Path(path)
    sweep_words = f"a sweep: a mapping with at least {_SWEEP_KEYS}"
    return sweep_from_dict(read_yaml(path, (sweep_words, sweep_words)), path, overrides)


#: KPI units whose values cannot be negative (counts, times, shares), and those that cannot
#: exceed 1 (shares, flags). ``documents/day`` is not among them: a backlog's growth may be < 0.
NON_NEGATIVE_UNITS = frozenset({"documents", "transmissions", "people", "flag", "share", "h",
                                "working days", "rounds"})
AT_MOST_ONE_UNITS = frozenset({"share", "flag"})


def point_summary(runs: pd.DataFrame, parameters: list[str], kpis: list[str]) -> pd.DataFrame:
    """Per point, platform and KPI: mean and 95% interval over the point's finished runs.

    One row per (point, platform, kpi), carrying the point's parameter values (tidy). An
    interval of a KPI that cannot be negative (its unit in :data:`NON_NEGATIVE_UNITS`: counts,
    times, shares) is cut at 0, and a share's at 1; ``clipped`` says where it was.
    """
    from sim.experiments.statistics import mean_ci
    from sim.model.kpis import KPIS

    ok = runs[runs.status == "ok"]
    rows = []
    for (point, platform), group in ok.groupby(["point", "platform"], sort=True):
        first = group.iloc[0]
        for kpi in kpis:
            ci = mean_ci(group[kpi].to_numpy(dtype=float))
            unit = KPIS[kpi].unit if kpi in KPIS else ""
            clipped = False
            if unit in NON_NEGATIVE_UNITS and ci["low"] < 0:
                ci["low"], clipped = 0.0, True
            if unit in AT_MOST_ONE_UNITS and ci["high"] > 1:
                ci["high"], clipped = 1.0, True
            rows.append({"point": point, "platform": platform,
                         **{p: first[p] for p in parameters}, "kpi": kpi, **ci,
                         "clipped": clipped})
    columns = ["point", "platform", *parameters, "kpi", "mean", "half_width", "low", "high", "n",
               "clipped"]
    return pd.DataFrame(rows, columns=columns)
