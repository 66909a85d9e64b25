"""Global sensitivity of a finished morris or sobol sweep: which assumptions move each KPI.

A sweep whose design is ``morris`` or ``sobol`` (:mod:`sim.experiments.sweeps`) has its points
where SALib's analysis needs them. :func:`read_sweep_dir` reads the sweep folder back (its store
and its copy of the sweep file), :func:`point_outputs` averages each point's replications into
one value per point for each platform and for the paired difference OSDO - ESED (the two
platforms' runs of one point and replication share their random numbers, so they are paired
first, then averaged), and :func:`analyse` turns one such vector into SALib's indices:

- Morris: ``mu_star`` (mean absolute elementary effect: about how much the KPI changes when the
  factor goes across its whole range), its bootstrap 95% interval ``mu_star_low`` to
  ``mu_star_high`` (percentiles of the resampled mean |effect|, so never below 0) and SALib's
  symmetric half-width ``mu_star_conf`` (normal approximation: it can reach below 0), ``sigma``
  (spread of the effects: interactions or curvature) and ``mu``;
- Sobol: first-order ``S1`` and total ``ST`` indices (shares of the KPI's variance) with their
  bootstrap 95% half-widths.

Replication noise. The points compared with each other (a Morris trajectory, a Saltelli block)
share their random numbers (:func:`~sim.experiments.sweeps.seed_block`), yet the difference of
two points' means over their replications still carries some noise, so a factor without any
effect need not get ``mu_star = 0``. Each effect is the difference of two points a and b (Morris:
consecutive points of a trajectory; Sobol: A and AB_i of one base sample); replication r of both
ran on the same seed, so d_r = y_b,r - y_a,r are R independent draws and the noise of the
difference of the means is Var(d) / R. Var(d) is estimated from the d_r's spread, pooled over a
factor's pairs (r(R - 1) degrees of freedom for r pairs): each factor has its own noise, since
moving one factor (who is remote) disturbs the shared random numbers more than another (an
outage rate). ``mu_star_noise`` (``ST_noise``) is what a factor with no effect would get from it
alone (Morris: E|e| for e ~ N(0, Var(d) / R / delta^2); Sobol: Var(d) / R / 2V in Jansen's
estimator, V the KPI's variance). ``p_noise`` tests that hypothesis: under it, a factor's squared
effects (Morris: its elementary effects; Sobol: f(A) - f(AB_i)) over their noise variance follow
an F distribution with (effects, noise) degrees of freedom. ``above_noise`` needs p_noise < 0.05
and the index's bootstrap 95% interval clear of 0 (the latter alone with one replication, when
the noise is unknown). The estimate holds for independent points too (an older sweep's), where
Var(d) is the sum of the two points' variances. Everything is a pure function of the folder:
bootstraps are seeded from the sweep seed.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.config.architectures import ARCHITECTURES, PAIR, architecture_label
from sim.config.errors import InputError, SweepFileError
from sim.config.loading import first_error, read_yaml, suggest
from sim.experiments.store import STORE_FILE, read_meta, read_store
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
           "point_replicates", "paired_noise",
           "parameter_label", "target_label", "Noise", "DIFFERENCE", "MEASURES", "RANK_BY", "FLOOR",
           "NOISE_LEVEL", "CONF_LEVEL", "BOOTSTRAP", "ANALYSIS_KEY", "elementary_effects",
           "budget_warnings", "mu_star_bounds", "MIN_TRAJECTORIES", "MIN_BASE_SAMPLES"]

#: The target name of the paired difference OSDO - ESED.
DIFFERENCE = f"{PAIR[0]}-{PAIR[1]}"
CONF_LEVEL = 0.95
BOOTSTRAP = 1000  # bootstrap resamples of every interval
ANALYSIS_KEY = 0x5E45  # spawn key of the bootstraps' seed, apart from the design's and points'
#: Columns each method reports per parameter, and the one that ranks them.
MEASURES = {"morris": ["mu_star", "mu_star_conf", "mu_star_low", "mu_star_high", "sigma", "mu",
                       "mu_star_noise", "p_noise"],
            "sobol": ["S1", "S1_conf", "ST", "ST_conf", "ST_noise", "p_noise"]}
#: The column of MEASURES holding the noise floor of the ranking index.
FLOOR = {"morris": "mu_star_noise", "sobol": "ST_noise"}
NOISE_LEVEL = 0.05  # p_noise below this: an effect above the replication noise
RANK_BY = {"morris": "mu_star", "sobol": "ST"}
#: Below these budgets ``sim sensitivity`` warns: a Morris mu* is the mean of one elementary
#: effect per trajectory, and a bootstrap over fewer than five has too few distinct resamples
#: for its interval to mean anything (two give three); Sobol's indices are averages over the
#: base samples, whose bootstrap intervals below 64 are wide and unstable.
MIN_TRAJECTORIES = 5
MIN_BASE_SAMPLES = 64
_SWEEP_WORDS = "a sweep: a mapping with at least name, base and parameters"

_CLASS_WORDS = {"office_lan": "office LAN", "urban_fibre": "home fibre",
                "urban_mobile": "home mobile internet", "rural": "rural home internet",
                "poor_rural": "poor rural home internet",
                "capital_office_link": "capital office link",
                "regional_office_link": "regional office link",
                "district_office_link": "district office link"}
_LABELS = {
    "staff.remote_share": "share of staff working remotely",
    "staff.hybrid_share": "share of staff on a hybrid schedule",
    "staff.remote_eligible_share": "share of staff whose duties can be remote",
    "staff.messenger_user_share": "share of staff who fall back to messengers",
    "staff.correspondence_share.executor": "share of executors' time on correspondence",
    "staff.draft_start_days_before_term": "working days before its term a draft is taken up",
    "staff.resolution_levels": "resolution levels (0 by body kind, 1 one level)",
    "staff.literacy.insecure": "share with insecure digital literacy",
    "staff.equipment.adequate": "share adequately equipped at home",
    "human.insecure_literacy_time_factor": "time factor of insecure digital literacy",
    "human.insecure_literacy_rework_factor": "rework factor of insecure digital literacy",
    "human.remote_time_factor": "time factor of working from home",
    "human.equipment_time_factor.inadequate": "time factor of inadequate home equipment",
    "human.equipment_time_factor.insufficient": "time factor of insufficient home equipment",
    "human.rework_prob": "rework probability",
    "internet.access_gateway.mtbf_h": "hours between access-gateway outages",
    "internet.access_gateway.mttr_h": "access-gateway outage duration (h)",
    "internet.access_gateway.rtt_ms": "access-gateway round trip (ms)",
    "internet.access_gateway.channels": "access-gateway channels",
    "platform.osdo.servers": "OSDO servers",
    "platform.osdo.ui_time_factors.advocates": "OSDO UI factor of its advocates (ESED = 1)",
    "platform.osdo.ui_time_factors.detractors": "OSDO UI factor of its detractors (ESED = 1)",
    "platform.osdo.ui_time_factors.undecided": "OSDO UI factor of the undecided (ESED = 1)",
    "platform.osdo.ui_insecure_gap_factor": "how much more insecure users feel the UI gap",
    "platform.osdo.approvals": "OSDO approvals (0 parallel, 1 sequential)",
    "platform.esed.approvals": "ESED approvals (0 sequential, 1 parallel)",
    "platform.osdo.register_on_delivery": "OSDO registers delivered mail (0 yes, 1 no)",
    "platform.esed.office_paths.local_executive": "local bodies' ESED path (0 LAN, 1 +WAN)",
    "platform.esed.office_paths.district_akimat": "district akimats' ESED path (0 LAN, 1 +WAN)",
    "internet.government_wan.rtt_ms": "government WAN round trip (ms)",
    "internet.government_wan.mtbf_h": "hours between drops of a body's WAN channel",
    "documents.steps.execution.ui_share": "UI share of drafting",
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
    return architecture_label(target)


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
    meta = read_meta(store)
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
    named = list(results.spec.parameters)
    if named != list(results.parameters) or ok.point.nunique() > len(points):
        raise InputError(f"{sweep_file}: its parameters ({', '.join(named)}) or its "
                         f"{len(points)} points are not those of the store in {folder} "
                         f"({', '.join(results.parameters)}; {ok.point.nunique()} points run): "
                         f"this sweep.yaml is not the one that was run")
    expected = len(points) * results.replications * len(results.platforms)
    if len(ok) != expected or ok.point.max() >= len(points):
        raise InputError(f"{folder}: {expected - len(ok)} of {expected} runs are missing or "
                         f"failed; the analysis needs every run: finish the sweep with "
                         f"sim sweep --resume")
    stored = ok.groupby("point", sort=True)[results.parameters].first()
    for point in points:
        # Labels: a range's value, or a category's place in its list (what the store holds).
        for path, value in point.labels.items():
            got = stored.at[point.index, path]
            if not math.isclose(float(got), float(value), rel_tol=1e-9, abs_tol=1e-9):
                raise InputError(f"{sweep_file}: point {point.index} sets {path}={value}, but "
                                 f"the store ran {got}: this sweep.yaml is not the one that was "
                                 f"run")


@dataclass(frozen=True)
class Noise:
    """Replication noise of a point's mean (or of a difference of two): variance and its df.

    ``Noise(0.0)`` is a deterministic output; NaN variance an unknown noise (one replication).
    """

    var: float = float("nan")
    df: float = math.inf


def point_outputs(runs: pd.DataFrame, kpi: str, platforms: list[str]
                  ) -> tuple[pd.DataFrame, dict[str, Noise]]:
    """Per point, the mean over replications of each platform's ``kpi`` and of OSDO - ESED.

    Returns (a frame indexed by point with one column per target, and per target the
    :class:`Noise` of a point's mean: the replications' variance at a point, pooled over points,
    over the number of replications). The difference pairs the two platforms' runs of one point
    and replication before averaging.
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
        if counts.min() > 1:
            df = float((counts - 1).sum())
            pooled = float((grouped.var(ddof=1) * (counts - 1)).sum() / df)
            noise[target] = Noise(pooled / float(counts.mean()), df)
        else:
            noise[target] = Noise()
    return pd.DataFrame(means), noise


def point_replicates(runs: pd.DataFrame, kpi: str, platforms: list[str]
                     ) -> dict[str, pd.DataFrame]:
    """Per target (each platform, and OSDO - ESED): ``kpi`` by point (rows) and replication."""
    ok = runs[runs.status == "ok"]
    wide = ok.pivot(index=["point", "replication"], columns="platform", values=kpi)
    series: dict[str, pd.Series] = {p: wide[p] for p in platforms if p in wide}
    if set(PAIR) <= set(series):
        series[DIFFERENCE] = wide[PAIR[0]] - wide[PAIR[1]]
    return {t: v.unstack("replication").sort_index() for t, v in series.items()}


def _effect_pairs(spec: SweepFile, x: np.ndarray) -> list[tuple[int, int, int]]:
    """(point a, point b, factor) of every effect of the design: b differs from a in the factor."""
    k = x.shape[1]
    if spec.design.kind == "morris":
        pairs = []
        for a in range(len(x)):
            if a % (k + 1) == k:  # a trajectory's last point
                continue
            pairs.append((a, a + 1, int(np.argmax(np.abs(x[a + 1] - x[a])))))
        return pairs
    step = 2 * k + 2 if spec.design.calc_second_order else k + 2
    return [(block, block + 1 + i, i) for block in range(0, len(x), step) for i in range(k)]


def paired_noise(spec: SweepFile, seed: int, values: np.ndarray, source: str = "<sweep>"
                 ) -> list[Noise]:
    """Per factor, the noise of the difference of two point means behind its effects.

    ``values`` holds a KPI by point (rows, in design order) and replication (columns). For every
    pair (a, b) of points whose difference is one of the factor's effects, d_r = values[b, r] -
    values[a, r]; their spread, pooled over the factor's pairs, estimates Var(d), and the noise
    of mean(d) is Var(d) / R. NaN values are left out. Unknown (NaN) with one replication.
    """
    x = salib_sample(spec, seed, source)
    values = np.asarray(values, dtype=float)
    squares = np.zeros(x.shape[1])
    dfs = np.zeros(x.shape[1])
    for a, b, factor in _effect_pairs(spec, x):
        d = values[b] - values[a]
        d = d[~np.isnan(d)]
        if len(d) > 1:
            squares[factor] += float(((d - d.mean()) ** 2).sum())
            dfs[factor] += len(d) - 1
    replications = values.shape[1]
    return [Noise(float(sq / df / replications), float(df)) if df > 0 else Noise()
            for sq, df in zip(squares, dfs, strict=True)]


def _p_noise(mean_square: np.ndarray, noise_var: float, effects: int, noise: Noise) -> np.ndarray:
    """The chance that noise alone gives squared effects this large: P(F >= ratio).

    F has (effects, noise.df) degrees of freedom; NaN if the noise is unknown.
    """
    from scipy import stats

    if math.isnan(noise_var):
        return np.full(len(mean_square), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(mean_square == 0, 0.0, mean_square / noise_var)
    return stats.f.sf(ratio, effects, noise.df) if math.isfinite(noise.df) else \
        stats.chi2.sf(ratio * effects, effects)


def mu_star_bounds(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Low and high ends of mu*'s 95% interval, never below 0.

    The percentile columns when the table has them; else (a table written before them) SALib's
    symmetric half-width, cut at 0 (mu* is a mean of absolute values).
    """
    mu = part.mu_star.to_numpy(dtype=float)
    if "mu_star_low" in part and part.mu_star_low.notna().all():
        return part.mu_star_low.to_numpy(dtype=float), part.mu_star_high.to_numpy(dtype=float)
    conf = part.mu_star_conf.to_numpy(dtype=float)
    return np.maximum(mu - conf, 0.0), mu + conf


def budget_warnings(results: SweepResults) -> list[str]:
    """Why a sweep's indices may not be trusted: too few trajectories, samples or replications."""
    if results.spec is None:
        return []
    design = results.spec.design
    out = []
    if design.kind == "morris" and (design.n or 0) < MIN_TRAJECTORIES:
        out.append(f"only {design.n} Morris trajectories (fewer than {MIN_TRAJECTORIES}): each "
                   f"mu* is the mean of {design.n} elementary effects per factor, so the ranks "
                   "are rough and the intervals say little; use design.n of "
                   f"{MIN_TRAJECTORIES} or more (10 or more for stable intervals)")
    if design.kind == "sobol" and (design.n or 0) < MIN_BASE_SAMPLES:
        out.append(f"only {design.n} Sobol base samples (fewer than {MIN_BASE_SAMPLES}): the "
                   "indices and their intervals are unstable; use design.n of "
                   f"{MIN_BASE_SAMPLES} or more")
    if results.replications < 2:
        out.append("one replication per point: the replication noise is unknown, so no index "
                   "can be told apart from noise (~ is judged from the interval alone)")
    return out


def elementary_effects(x: np.ndarray, y: np.ndarray, k: int, delta: float) -> np.ndarray:
    """Morris elementary effects, one row per trajectory, one column per factor.

    Each step of a trajectory moves one factor: its effect is the output's change towards the
    factor's higher value over the step ``delta`` (in quantiles of the range), as SALib's.
    """
    r = len(y) // (k + 1)
    xs, ys = x.reshape(r, k + 1, k), y.reshape(r, k + 1)
    out = np.full((r, k), np.nan)
    for t in range(r):
        steps = np.diff(xs[t], axis=0)
        for j, step in enumerate(steps):
            moved = np.flatnonzero(step)
            if len(moved) != 1:
                continue  # a step rounded to no move (integer ranges): no effect to measure
            i = moved[0]
            dy = ys[t, j + 1] - ys[t, j]
            out[t, i] = (dy if step[i] > 0 else -dy) / delta
    return out


def _mu_star_interval(effects: np.ndarray, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap 95% interval of mean |effect| per factor (never below 0)."""
    lows, highs = [], []
    tail = 100 * (1 - CONF_LEVEL) / 2
    for column in np.abs(effects).T:
        column = column[~np.isnan(column)]
        if not len(column):
            lows.append(np.nan)
            highs.append(np.nan)
            continue
        means = column[rng.integers(len(column), size=(BOOTSTRAP, len(column)))].mean(axis=1)
        low, high = np.percentile(means, [tail, 100 - tail])
        lows.append(float(low))
        highs.append(float(high))
    return np.array(lows), np.array(highs)


def _bootstrap_rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed,
                                                                      spawn_key=(ANALYSIS_KEY,))))


def analyse(spec: SweepFile, seed: int, y: np.ndarray, noise: Noise | None = None,
            source: str = "<sweep>", pairs: list[Noise] | None = None) -> pd.DataFrame:
    """SALib's indices of one output per point of a morris or sobol design, one row per parameter.

    ``y`` holds the output at each point of ``spec``'s design (seeded by ``seed``), in point
    order. The noise of each factor's effects is ``pairs`` (per factor, of the difference of two
    point means: :func:`paired_noise`), else taken from ``noise``, the replication noise of one
    point's mean with points independent (default unknown; ``Noise(0.0)`` for a deterministic
    function). Columns: :data:`MEASURES` of the method and ``above_noise``. Bootstraps are
    seeded from ``seed``: the same inputs give the same table.
    """
    noise = noise or Noise()
    problem = salib_problem(spec, source)
    x = salib_sample(spec, seed, source)
    y = np.asarray(y, dtype=float)
    if y.shape != (len(x),):
        raise ValueError(f"y has shape {y.shape}; the design has {len(x)} points")
    kind = spec.design.kind
    rng = _bootstrap_rng(seed)
    k = problem["num_vars"]
    if pairs is None:  # independent points: the difference has twice a point's noise
        pairs = [Noise(2.0 * noise.var, noise.df)] * k
    diff_var = np.array([p.var for p in pairs])
    if kind == "morris":
        from SALib.analyze import morris

        levels = spec.design.levels or MORRIS_LEVELS
        result = morris.analyze(problem, x, y, num_resamples=BOOTSTRAP, conf_level=CONF_LEVEL,
                                num_levels=levels, seed=rng)
        delta = levels / (2.0 * (levels - 1))  # SALib's step, in quantiles of the range
        low_mu, high_mu = _mu_star_interval(elementary_effects(x, y, k, delta), rng)
        frame = pd.DataFrame({
            "mu_star": result["mu_star"], "mu_star_conf": result["mu_star_conf"],
            "mu_star_low": low_mu, "mu_star_high": high_mu,
            "sigma": result["sigma"], "mu": result["mu"]}, index=problem["names"])
        effect_var = diff_var / delta**2  # of a pure-noise elementary effect, per factor
        # |e| of e ~ N(0, effect_var) is half-normal.
        frame["mu_star_noise"] = math.sqrt(2.0 / math.pi) * np.sqrt(effect_var)
        r = len(y) // (k + 1)
        mean_square = ((r - 1) * frame.sigma**2 + r * frame.mu**2).to_numpy() / r
        frame["p_noise"] = [_p_noise(mean_square[i:i + 1], effect_var[i], r, pairs[i])[0]
                            for i in range(k)]
        low = frame.mu_star_low
    else:
        from SALib.analyze import sobol

        second = bool(spec.design.calc_second_order)
        result = sobol.analyze(problem, y, calc_second_order=second, num_resamples=BOOTSTRAP,
                               conf_level=CONF_LEVEL, seed=rng)
        step = 2 * k + 2 if second else k + 2
        a, b = y[0::step], y[step - 1::step]
        variance = float(np.var(np.r_[a, b]))
        frame = pd.DataFrame({
            "S1": result["S1"], "S1_conf": result["S1_conf"],
            "ST": result["ST"], "ST_conf": result["ST_conf"]}, index=problem["names"])
        # Jansen's ST of a factor with no effect: E[(f(A) - f(AB))^2] / 2V, the expectation
        # being the difference's noise.
        frame["ST_noise"] = diff_var / (2.0 * variance) if variance > 0 else float("nan")
        mean_square = np.array([np.mean((a - y[1 + i::step]) ** 2) for i in range(k)])
        frame["p_noise"] = [_p_noise(mean_square[i:i + 1], diff_var[i], len(a), pairs[i])[0]
                            for i in range(k)]
        low = frame.ST - frame.ST_conf
    # Both: the F test's normal noise fails for a KPI that moves in rare jumps (an on-time rate
    # near 1), where one jump passes it while the bootstrap interval still reaches 0.
    frame["above_noise"] = (low > 0) & (frame.p_noise.isna() | (frame.p_noise < NOISE_LEVEL))
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
        outputs, _noise = point_outputs(results.runs, kpi, results.platforms)
        replicates = point_replicates(results.runs, kpi, results.platforms)
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
            source = str(results.folder)
            pairs = paired_noise(spec, results.seed, replicates[target].to_numpy(dtype=float),
                                 source)
            frame = analyse(spec, results.seed, y, source=source, pairs=pairs)
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
