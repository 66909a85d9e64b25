"""Global sensitivity of a finished morris or sobol sweep: which assumptions move each KPI.

A sweep whose design is ``morris`` or ``sobol`` (:mod:`sim.experiments.sweeps`) has its points
where SALib's analysis needs them. :func:`read_sweep_dir` reads the sweep folder back (its store
and its copy of the sweep file), :func:`point_outputs` averages each point's replications into
one value per point for each platform and for the paired difference OSDO - ESED (the two
platforms' runs of one point and replication share their random numbers, so they are paired
first, then averaged), and :func:`analyse` turns one such vector into SALib's indices:

- Morris: ``mu_star`` (mean absolute elementary effect: about how much the KPI changes when the
  factor goes across its whole range), its bootstrap 95% half-width ``mu_star_conf``, ``sigma``
  (spread of the effects: interactions or curvature) and ``mu``;
- Sobol: first-order ``S1`` and total ``ST`` indices (shares of the KPI's variance) with their
  bootstrap 95% half-widths.

Replication noise. Every point has its own random numbers (``point_seed``), so the elementary
effects and total indices of a simulation also carry the noise of a point's mean over its
replications: a factor without any effect does not get ``mu_star = 0``. From the replications'
spread at each point, ``mu_star_noise`` (``ST_noise``) is what a factor with no effect would get
from that noise alone (Morris: E|e| for e ~ N(0, 2 s^2 / (R delta^2)); Sobol: s^2 / R over the
KPI's variance, Jansen's estimator); ``above_noise`` says whether the index's lower 95% end is
above it. Everything is a pure function of the folder: bootstraps are seeded from the sweep seed.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.config.architectures import ARCHITECTURES, PAIR
from sim.config.errors import InputError, SweepFileError
from sim.config.loading import first_error, read_yaml, suggest
from sim.experiments.store import STORE_FILE, read_store
from sim.experiments.sweeps import (
    MORRIS_LEVELS,
    SENSITIVITY_DESIGNS,
    SweepFile,
    design_points,
    salib_problem,
    salib_sample,
)
from sim.model.kpis import KPIS

__all__ = ["SweepResults", "read_sweep_dir", "point_outputs", "analyse", "sensitivity_table",
           "parameter_label", "target_label", "DIFFERENCE", "MEASURES", "RANK_BY",
           "CONF_LEVEL", "BOOTSTRAP", "ANALYSIS_KEY"]

#: The target name of the paired difference OSDO - ESED.
DIFFERENCE = f"{PAIR[0]}-{PAIR[1]}"
CONF_LEVEL = 0.95
BOOTSTRAP = 1000  # bootstrap resamples of every interval
ANALYSIS_KEY = 0x5E45  # spawn key of the bootstraps' seed, apart from the design's and points'
#: Columns each method reports per parameter, and the one that ranks them.
MEASURES = {"morris": ["mu_star", "mu_star_conf", "sigma", "mu", "mu_star_noise"],
            "sobol": ["S1", "S1_conf", "ST", "ST_conf", "ST_noise"]}
RANK_BY = {"morris": "mu_star", "sobol": "ST"}
_SWEEP_WORDS = "a sweep: a mapping with at least name, base and parameters"

_CLASS_WORDS = {"office_lan": "office LAN", "urban_fibre": "home fibre",
                "urban_mobile": "home mobile internet", "rural": "rural home internet",
                "poor_rural": "poor rural home internet"}
_LABELS = {
    "staff.remote_share": "share of staff working remotely",
    "staff.hybrid_share": "share of staff on a hybrid schedule",
    "staff.remote_eligible_share": "share of staff whose duties can be remote",
    "staff.messenger_user_share": "share of staff who fall back to messengers",
    "staff.literacy.insecure": "share with insecure digital literacy",
    "staff.equipment.adequate": "share adequately equipped at home",
    "human.insecure_literacy_time_factor": "time factor of insecure digital literacy",
    "human.insecure_literacy_rework_factor": "rework factor of insecure digital literacy",
    "human.remote_time_factor": "time factor of working from home",
    "human.equipment_time_factor.inadequate": "time factor of inadequate home equipment",
    "human.equipment_time_factor.insufficient": "time factor of insufficient home equipment",
    "human.rework_prob": "rework probability",
    "platform.osdo.servers": "OSDO servers",
    "platform.osdo.ui_time_factor": "OSDO UI time factor (ESED's UI = 1)",
    "platform.osdo.mtbf_h": "hours between OSDO outages",
    "platform.osdo.mttr_h": "OSDO outage duration (h)",
    "platform.esed.servers_per_body": "ESED servers per body",
    "platform.esed.mtbf_h": "hours between outages of a body's ESED",
    "platform.esed.mttr_h": "ESED outage duration (h)",
    "platform.esed.vpn_sessions_per_remote_employee": "VPN sessions per remote employee",
    "platform.gateway.failure_prob": "gateway transmission failure probability",
    "platform.gateway.poll_interval_min": "gateway poll interval (min)",
    "platform.gateway.cross_platform_delay_min": "OSDO-ESED exchange delay (min)",
}
_CLASS_FIELDS = {"mtbf_h": "hours between drops", "mttr_h": "drop duration (h)",
                 "attempt_failure_prob": "failed-attempt probability",
                 "bandwidth_mbps": "bandwidth (Mbit/s)", "rtt_ms": "round trip (ms)"}


def parameter_label(path: str) -> str:
    """Human words for a swept parameter path (the path itself when there are none)."""
    if path in _LABELS:
        return _LABELS[path]
    parts = path.split(".")
    if len(parts) == 4 and parts[:2] == ["internet", "classes"] and parts[3] in _CLASS_FIELDS:
        return f"{_CLASS_WORDS.get(parts[2], parts[2])}: {_CLASS_FIELDS[parts[3]]}"
    return path


def target_label(target: str) -> str:
    """``OSDO``, ``ESED`` or ``OSDO - ESED``."""
    if target == DIFFERENCE:
        return f"{ARCHITECTURES[PAIR[0]].label} - {ARCHITECTURES[PAIR[1]].label}"
    return ARCHITECTURES[target].label if target in ARCHITECTURES else target.upper()


@dataclass
class SweepResults:
    """A sweep folder read back: its runs, what its store holds, and its sweep file if any."""

    folder: Path
    runs: pd.DataFrame = field(repr=False)
    parameters: list[str]
    kpis: list[str]
    platforms: list[str]
    replications: int
    seed: int
    name: str
    spec: SweepFile | None = None  # the sweep file as run (its copy sweep.yaml in the folder)

    @property
    def method(self) -> str:
        """The design kind of the sweep file (``morris``, ``sobol``, ``grid``...)."""
        return self.spec.design.kind if self.spec is not None else "unknown"

    def check_kpi(self, kpi: str) -> None:
        """Raise an InputError unless ``kpi`` is one of the KPIs the sweep stored."""
        if kpi not in self.kpis:
            why = "not stored by this sweep" if kpi in KPIS else "unknown KPI"
            raise InputError(f"--kpi {kpi}: {why}{suggest(kpi, self.kpis)}")


def _meta(store: Path) -> dict[str, Any]:
    try:
        with sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True) as db:
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error as exc:
        raise InputError(f"{store}: not a readable sweep store ({exc})") from None
    out: dict[str, Any] = {}
    for key, value in rows.items():
        try:
            out[key] = json.loads(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


def read_sweep_dir(folder: str | Path, design: bool = False) -> SweepResults:
    """Read a sweep folder: its store, and (``design=True``) its sweep file, checked.

    With ``design``, the folder must hold a finished morris or sobol sweep: sweep.yaml (written
    once every run was tried) whose design gives exactly the stored points, and every run of
    every point finished. Problems raise :class:`~sim.config.errors.InputError` in one line.
    """
    folder = Path(folder)
    store = folder / STORE_FILE
    if not folder.is_dir():
        raise InputError(f"{folder}: no such sweep folder")
    if not store.exists():
        raise InputError(f"{folder}: no {STORE_FILE} here; give a folder written by sim sweep")
    meta = _meta(store)
    try:
        runs = read_store(store)
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        raise InputError(f"{store}: not a readable sweep store ({exc})") from None
    results = SweepResults(folder, runs, list(meta.get("parameters", [])),
                           list(meta.get("kpis", [])), list(meta.get("platforms", [])),
                           int(meta.get("replications", 1)), int(meta.get("seed", 0)),
                           str(meta.get("sweep", folder.name)))
    sweep_file = folder / "sweep.yaml"
    if sweep_file.exists():
        raw = read_yaml(sweep_file, (_SWEEP_WORDS, _SWEEP_WORDS))
        try:
            results.spec = SweepFile.model_validate(raw)
        except ValidationError as exc:
            raise SweepFileError(first_error(exc, str(sweep_file), SweepFile)) from None
    if design:
        _check_design(results, sweep_file)
    return results


def _check_design(results: SweepResults, sweep_file: Path) -> None:
    folder = results.folder
    if results.spec is None:
        raise InputError(f"{folder}: no sweep.yaml: the sweep has not finished (it is written "
                         f"once every run was tried); finish it with sim sweep --resume")
    kind = results.spec.design.kind
    if kind not in SENSITIVITY_DESIGNS:
        raise InputError(f"{sweep_file}: design.kind: {kind!r}: sim sensitivity needs a morris "
                         f"or sobol design (its points are placed for the analysis); "
                         f"sim discover works on any sweep")
    points = design_points(results.spec, results.seed, str(sweep_file))
    runs = results.runs
    ok = runs[runs.status == "ok"]
    expected = len(points) * results.replications * len(results.platforms)
    if len(ok) != expected or ok.point.max() >= len(points):
        raise InputError(f"{folder}: {expected - len(ok)} of {expected} runs are missing or "
                         f"failed; the analysis needs every run: finish the sweep with "
                         f"sim sweep --resume")
    stored = ok.groupby("point", sort=True)[results.parameters].first()
    for point in points:
        for path, value in point.values.items():
            got = stored.at[point.index, path]
            if not math.isclose(float(got), float(value), rel_tol=1e-9, abs_tol=1e-9):
                raise InputError(f"{sweep_file}: point {point.index} sets {path}={value}, but "
                                 f"the store ran {got}: this sweep.yaml is not the one that was "
                                 f"run")


def point_outputs(runs: pd.DataFrame, kpi: str, platforms: list[str]
                  ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per point, the mean over replications of each platform's ``kpi`` and of OSDO - ESED.

    Returns (a frame indexed by point with one column per target, and per target the noise
    variance of a point's mean: the replications' variance at a point, pooled over points,
    over the number of replications; NaN with one replication). The difference pairs the two
    platforms' runs of one point and replication before averaging.
    """
    ok = runs[runs.status == "ok"]
    wide = ok.pivot(index=["point", "replication"], columns="platform", values=kpi)
    series: dict[str, pd.Series] = {p: wide[p] for p in platforms if p in wide}
    if set(PAIR) <= set(series):
        series[DIFFERENCE] = wide[PAIR[0]] - wide[PAIR[1]]
    means, noise = {}, {}
    for target, values in series.items():
        grouped = values.groupby(level="point")
        means[target] = grouped.mean()
        counts = grouped.count()
        variance = grouped.var(ddof=1).mean() if counts.min() > 1 else float("nan")
        noise[target] = float(variance / counts.mean())
    return pd.DataFrame(means), noise


def _bootstrap_rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed,
                                                                      spawn_key=(ANALYSIS_KEY,))))


def analyse(spec: SweepFile, seed: int, y: np.ndarray, noise_var: float = float("nan"),
            source: str = "<sweep>") -> pd.DataFrame:
    """SALib's indices of one output per point of a morris or sobol design, one row per parameter.

    ``y`` holds the output at each point of ``spec``'s design (seeded by ``seed``), in point
    order; ``noise_var`` the variance of a point's value from replication noise (0 for a
    deterministic function, NaN if unknown). Columns: :data:`MEASURES` of the method and
    ``above_noise``, the lower 95% end of the ranking index above the noise floor (above 0 when
    the noise is unknown). Bootstraps are seeded from ``seed``: the same inputs give the same
    table.
    """
    problem = salib_problem(spec, source)
    x = salib_sample(spec, seed, source)
    y = np.asarray(y, dtype=float)
    if y.shape != (len(x),):
        raise ValueError(f"y has shape {y.shape}; the design has {len(x)} points")
    kind = spec.design.kind
    rng = _bootstrap_rng(seed)
    if kind == "morris":
        from SALib.analyze import morris

        levels = spec.design.levels or MORRIS_LEVELS
        result = morris.analyze(problem, x, y, num_resamples=BOOTSTRAP, conf_level=CONF_LEVEL,
                                num_levels=levels, seed=rng)
        delta = levels / (2.0 * (levels - 1))  # SALib's step, in quantiles of the range
        # |e| of a pure-noise elementary effect e ~ N(0, 2 noise_var / delta^2): half-normal.
        floor = math.sqrt(2.0 / math.pi) * math.sqrt(2.0 * noise_var) / delta
        frame = pd.DataFrame({
            "mu_star": result["mu_star"], "mu_star_conf": result["mu_star_conf"],
            "sigma": result["sigma"], "mu": result["mu"]}, index=problem["names"])
        frame["mu_star_noise"] = floor
        low = frame.mu_star - frame.mu_star_conf
    else:
        from SALib.analyze import sobol

        second = bool(spec.design.calc_second_order)
        result = sobol.analyze(problem, y, calc_second_order=second, num_resamples=BOOTSTRAP,
                               conf_level=CONF_LEVEL, seed=rng)
        k = problem["num_vars"]
        step = 2 * k + 2 if second else k + 2
        variance = float(np.var(np.r_[y[0::step], y[step - 1::step]]))
        frame = pd.DataFrame({
            "S1": result["S1"], "S1_conf": result["S1_conf"],
            "ST": result["ST"], "ST_conf": result["ST_conf"]}, index=problem["names"])
        # Jansen's ST estimator of a factor with no effect: E[(f(A) - f(AB))^2] / 2V = noise/V.
        frame["ST_noise"] = noise_var / variance if variance > 0 else float("nan")
        low = frame.ST - frame.ST_conf
    floor_column = frame[MEASURES[kind][-1]]
    frame["above_noise"] = (low > floor_column.fillna(0.0)) & (low > 0)
    frame.index.name = "parameter"
    return frame


def sensitivity_table(results: SweepResults, kpis: list[str] | None = None
                      ) -> tuple[pd.DataFrame, list[str]]:
    """Ranked indices for each KPI and target (each platform, and OSDO - ESED), and notes.

    One row per (target, kpi, parameter) with its rank (1 = strongest) and human label. A KPI
    without a value at some point (e.g. no document completed in a run), or with the same value
    at every point, is left out of a target and named in the notes.
    """
    assert results.spec is not None
    spec, kind = results.spec, results.spec.design.kind
    rows, notes = [], []
    for kpi in kpis or results.kpis:
        outputs, noise = point_outputs(results.runs, kpi, results.platforms)
        for target in outputs.columns:
            y = outputs[target].to_numpy(dtype=float)
            missing = int(np.isnan(y).sum())
            if missing:
                notes.append(f"{kpi} ({target_label(target)}): not analysed, {missing} point(s) "
                             f"have no value")
                continue
            if np.ptp(y) == 0:
                notes.append(f"{kpi} ({target_label(target)}): not analysed, {y[0]:g} at every "
                             f"point: no parameter moves it")
                continue
            frame = analyse(spec, results.seed, y, noise[target], str(results.folder))
            frame = frame.sort_values(RANK_BY[kind], ascending=False, kind="stable")
            frame.insert(0, "rank", range(1, len(frame) + 1))
            frame.insert(1, "label", [parameter_label(p) for p in frame.index])
            frame = frame.reset_index()
            frame.insert(0, "kpi", kpi)
            frame.insert(0, "target", target)
            frame.insert(0, "method", kind)
            rows.append(frame)
    columns = ["method", "target", "kpi", "parameter", "rank", "label", *MEASURES[kind],
               "above_noise"]
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)
    return table[columns], notes
