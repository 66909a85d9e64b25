"""Options appraised by effect and cost.

Paired effects, the efficiency frontier, a bootstrap over replications, the best portfolio
under a budget and the acceptability curve.

Conventions. An arm's *effect* on a KPI is its value minus the base's, paired replication by
replication (same seeds), with a 95% Student-t interval. Its *gain* is the effect on the first
objective signed so that more is better (hours of mean cycle time saved per document, for
cycle time). Its *cost* is tenge a year: yearly outlays plus one-off outlays annualised
(:func:`sim.experiments.options.annuity_factor`). With ``value_per_hour`` (tenge per hour of
delay saved on one document) its *net benefit* is value x documents a year x gain - cost.

The frontier (:func:`frontier`) is the cost-effectiveness one of health economics: arms
dominated (another costs no more and gains no less) and extendedly dominated (a mix of two
neighbours would gain more for the money: their incremental cost per unit gained is not
increasing) are marked; along the rest, the incremental cost per unit gained.

The bootstrap (:func:`bootstrap_gains`) resamples the replication numbers every arm has, the
same ones for every arm, so each draw keeps the pairing of arms through common random numbers:
probability of being best, rank distribution, portfolio membership and the acceptability
curve all come from the same draws.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.options import (
    OptionsStudy,
    documents_per_year,
    in_hours_of_delay,
    run_values,
)
from sim.experiments.statistics import mean_ci

__all__ = ["frontier", "paired_table", "bootstrap_gains", "best_by_draw", "rank_distribution",
           "portfolio_milp", "portfolio_brute_force", "common_gains", "acceptability",
           "Appraisal", "appraise", "OPTIONS_COLUMNS"]

#: The first columns of options.csv (the web explorer reads these names).
OPTIONS_COLUMNS = ["option", "cost"]


def frontier(cost: np.ndarray, gain: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Dominance of each point and the incremental cost per unit gained along the frontier.

    Returns (``""`` on the frontier, ``"dominated"`` or ``"extended"`` for each point; the
    incremental cost-effectiveness ratio of each frontier point against the previous one, NaN
    for the first and off the frontier). Of two points equal in cost and gain, the first listed
    stays.
    """
    cost = np.asarray(cost, dtype=float)
    gain = np.asarray(gain, dtype=float)
    n = len(cost)
    status = [""] * n
    for j in range(n):
        for i in range(n):
            if i == j:
                continue
            no_worse = cost[i] <= cost[j] and gain[i] >= gain[j]
            better = cost[i] < cost[j] or gain[i] > gain[j] or i < j
            if no_worse and better:
                status[j] = "dominated"
                break
    alive = sorted((i for i in range(n) if not status[i]), key=lambda i: (cost[i], -gain[i]))
    changed = True
    while changed and len(alive) > 2:
        changed = False
        ratios = [(cost[b] - cost[a]) / (gain[b] - gain[a])
                  for a, b in itertools.pairwise(alive)]
        for k in range(len(ratios) - 1):
            if ratios[k] > ratios[k + 1]:
                status[alive[k + 1]] = "extended"
                del alive[k + 1]
                changed = True
                break
    icer = np.full(n, np.nan)
    for a, b in itertools.pairwise(alive):
        icer[b] = (cost[b] - cost[a]) / (gain[b] - gain[a])
    return status, icer


def _paired(values: list[np.ndarray], arm: int) -> np.ndarray:
    """Per replication, arm minus base where both ran (NaN elsewhere)."""
    base, mine = values[0], values[arm]
    n = min(len(base), len(mine))
    return mine[:n] - base[:n]


def paired_table(study: OptionsStudy, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per arm: cost and, per objective, the paired effect against the base, 95% CI."""
    rows = []
    per_kpi = {o.kpi: run_values(runs, study, o.kpi) for o in study.objectives}
    for arm in study.arms:
        first = per_kpi[study.objectives[0].kpi][arm.index]
        row = {"option": arm.name, "cost": arm.cost_per_year, "cost_one_off": arm.one_off,
               "cost_yearly": arm.yearly, "n_options": len(arm.members),
               "replications": int(np.isfinite(first).sum())}
        for objective in study.objectives:
            values = per_kpi[objective.kpi]
            ci = mean_ci(values[arm.index])
            row[f"{objective.kpi}_mean"] = ci["mean"]
            if arm.index == 0:
                effect = {"mean": 0.0, "low": math.nan, "high": math.nan}
            else:
                effect = mean_ci(_paired(values, arm.index))
            row[f"{objective.kpi}_effect"] = effect["mean"]
            row[f"{objective.kpi}_low"] = effect["low"]
            row[f"{objective.kpi}_high"] = effect["high"]
        rows.append(row)
    return pd.DataFrame(rows)


def _signed_diffs(study: OptionsStudy, runs: pd.DataFrame) -> tuple[list[np.ndarray], int]:
    """Per arm, its paired gains by replication; and how many replications every arm has."""
    objective = study.objectives[0]
    values = run_values(runs, study, objective.kpi)
    diffs = [objective.sign * _paired(values, a.index) for a in study.arms]
    return diffs, (min(len(d) for d in diffs[1:]) if len(diffs) > 1 else 0)


def common_gains(study: OptionsStudy, runs: pd.DataFrame) -> np.ndarray:
    """Each arm's mean gain over the replications every arm has: what arms are compared on.

    Without a sequential stage this is the effect of options.csv, signed; with one, arms kept
    longer have more replications there, but comparing them with the others on those would
    compare different seeds.
    """
    diffs, n = _signed_diffs(study, runs)
    gains = np.array([float(np.nanmean(d[:n])) if n and np.isfinite(d[:n]).any() else 0.0
                      for d in diffs])
    gains[0] = 0.0
    return gains


def bootstrap_gains(study: OptionsStudy, runs: pd.DataFrame, draws: int,
                    seed: int) -> np.ndarray:
    """Bootstrap draws x arms of the mean gain (first objective, paired against the base).

    Each draw resamples, with replacement, the replication numbers every arm has (the first
    stage, and any later round all arms ran), the same numbers for every arm: each draw
    compares all arms on the same replications, pairing kept. (Replications the sequential
    stage added for some arms only sharpen their effects and the selection, not the draws: an
    arm averaged over more replications than another would be compared on other seeds.) The
    base's gain is 0 in every draw.
    """
    diffs, n = _signed_diffs(study, runs)
    out = np.zeros((draws, len(diffs)))
    if n == 0:
        return out
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xB007,)))
    idx = rng.integers(0, n, size=(draws, n))
    for a, d in enumerate(diffs):
        if a == 0:
            continue
        picked = d[:n][idx]
        weight = np.isfinite(picked)
        total = np.where(weight, picked, 0.0).sum(axis=1)
        count = weight.sum(axis=1)
        fallback = float(np.nanmean(d)) if np.isfinite(d).any() else 0.0
        out[:, a] = np.where(count > 0, total / np.maximum(count, 1), fallback)
    return out


def _scores(gains: np.ndarray, cost: np.ndarray, value: float | None, volume: float,
            budget: float | None) -> np.ndarray:
    """What "best" means: net benefit with a value of an hour, else the gain within budget."""
    if value is not None:
        return value * volume * gains - cost
    scores = np.array(gains, dtype=float)
    if budget is not None:
        scores[..., cost > budget] = -np.inf
    return scores


def best_by_draw(scores: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Per draw, the best arm: highest score, the cheaper of a tie."""
    order = np.lexsort((cost,))  # cheapest first, so argmax keeps the cheaper of equal scores
    return order[np.argmax(scores[:, order], axis=1)]


def rank_distribution(scores: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Share of draws in which each arm takes each rank (1 = best)."""
    ranks = (-scores).argsort(axis=1).argsort(axis=1) + 1
    rows = []
    for a, name in enumerate(names):
        counts = np.bincount(ranks[:, a], minlength=len(names) + 1)[1:]
        rows += [{"option": name, "rank": r + 1, "probability": c / len(scores)}
                 for r, c in enumerate(counts)]
    return pd.DataFrame(rows)


def portfolio_milp(cost: np.ndarray, gain: np.ndarray, budget: float) -> np.ndarray:
    """The set of options (0/1 each) of most total gain within ``budget``.

    By integer programming (``scipy.optimize.milp``), assuming gains add up.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    cost = np.asarray(cost, dtype=float)
    gain = np.asarray(gain, dtype=float)
    if len(cost) == 0:
        return np.zeros(0, dtype=int)
    # A tiny cost term makes the cheaper of two equal-gain sets the answer.
    tiebreak = 1e-9 * cost / max(1.0, float(cost.max()))
    result = milp(c=-gain + tiebreak, integrality=np.ones_like(cost),
                  bounds=Bounds(0, 1), constraints=LinearConstraint(cost[None, :], -np.inf,
                                                                    budget))
    if result.x is None:
        return np.zeros(len(cost), dtype=int)
    return np.round(result.x).astype(int)


def portfolio_brute_force(cost: np.ndarray, gain: np.ndarray, budget: float) -> np.ndarray:
    """The same as :func:`portfolio_milp` by trying every subset (for checks and small sets)."""
    best, best_key = np.zeros(len(cost), dtype=int), (0.0, 0.0)
    for pick in itertools.product((0, 1), repeat=len(cost)):
        x = np.array(pick)
        spent = float(x @ cost)
        if spent <= budget + 1e-9:
            key = (float(x @ gain), -spent)
            if key > best_key:
                best, best_key = x, key
    return best


def acceptability(gains: np.ndarray, cost: np.ndarray, volume: float,
                  values: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Per value of an hour of delay saved: each arm's probability of the most net benefit."""
    rows = []
    for value in values:
        best = best_by_draw(value * volume * gains - cost, cost)
        counts = np.bincount(best, minlength=len(names)) / len(best)
        rows += [{"value_per_hour": float(value), "option": n, "probability": float(p)}
                 for n, p in zip(names, counts, strict=True)]
    return pd.DataFrame(rows)


@dataclass
class Appraisal:
    """Everything the options folder holds, as DataFrames, and the facts its words need."""

    options: pd.DataFrame  # options.csv: one row per arm
    ranks: pd.DataFrame  # option, rank, probability
    portfolio: pd.DataFrame  # option, in_portfolio, probability (empty without a budget)
    acceptability: pd.DataFrame  # value_per_hour, option, probability
    costs: pd.DataFrame  # every cost item
    volume: float  # documents a year
    best: str  # the best arm by the study's criterion
    criterion: str  # "net benefit", "gain within budget" or "gain"
    undecided: list[str]  # arms the sequential selection could not tell from the best
    selected: list[str]  # its survivors


def _value_grid(value: float | None, icer: np.ndarray) -> np.ndarray:
    """Values of an hour for the acceptability curve.

    0, then evenly in the logarithm from a quarter of the cheapest frontier step to twice the
    dearest step or the file's value.
    """
    steps = icer[np.isfinite(icer) & (icer > 0)]
    low = float(steps.min()) / 4 if len(steps) else (value or 100.0) / 100
    high = 2 * max([float(steps.max()) if len(steps) else 0.0, value or 0.0, low * 4])
    return np.concatenate([[0.0], np.geomspace(low, high, 60)])


def appraise(study: OptionsStudy, runs: pd.DataFrame) -> Appraisal:
    """Appraise the stored runs of ``study``: the tables of the options folder."""
    from sim.experiments.options import next_runs

    spec = study.spec
    names = [a.name for a in study.arms]
    cost = np.array([a.cost_per_year for a in study.arms])
    table = paired_table(study, runs)
    first = study.objectives[0]
    gain = common_gains(study, runs)
    volume = documents_per_year(study, runs)
    hours = in_hours_of_delay(first.kpi)
    status, icer = frontier(cost, gain)
    table["on_frontier"] = [s == "" for s in status]
    table["dominance"] = status
    if hours:
        table["hours_saved_per_year"] = gain * volume
        table["icer_per_hour"] = icer / volume  # tenge per document-hour saved
    else:
        table["icer"] = icer
    draws = bootstrap_gains(study, runs, spec.selection.bootstrap, study.seed)
    scores = _scores(draws, cost, spec.value_per_hour if hours else None, volume, spec.budget)
    best = best_by_draw(scores, cost)
    table["prob_best"] = np.bincount(best, minlength=len(names)) / len(best)
    point = _scores(gain[None, :], cost, spec.value_per_hour if hours else None, volume,
                    spec.budget)
    if spec.value_per_hour is not None and hours:
        table["net_benefit"] = point[0]
        criterion = "net benefit"
    else:
        criterion = "gain within budget" if spec.budget is not None else "gain"
    best_arm = names[int(best_by_draw(point, cost)[0])]
    ranks = rank_distribution(scores, names)
    portfolio = _portfolio(study, cost, gain, draws)
    if len(portfolio):
        table["in_portfolio"] = table.option.map(
            lambda n: bool(portfolio.set_index("option").in_portfolio.get(n, False)))
    if hours and math.isfinite(volume):
        grid = _value_grid(spec.value_per_hour, icer / volume)
        curve = acceptability(draws, cost, volume, grid, names)
    else:
        curve = pd.DataFrame(columns=["value_per_hour", "option", "probability"])
    most = spec.max_replications or spec.replications
    _todo, state = next_runs(study, runs, most, spec.replications)
    survivors = [names[i] for i in state.survivors] if state is not None else names
    undecided = [n for n in survivors if n != best_arm] if len(survivors) > 1 else []
    ordered = ["option", "cost", *[f"{o.kpi}_{s}" for o in study.objectives
                                   for s in ("effect", "low", "high")],
               "on_frontier", "prob_best"]
    rest = [c for c in table.columns if c not in ordered]
    return Appraisal(table[ordered + rest], ranks, portfolio, curve, study.costs, volume,
                     best_arm, criterion, undecided, survivors)


def _portfolio(study: OptionsStudy, cost: np.ndarray, gain: np.ndarray,
               draws: np.ndarray) -> pd.DataFrame:
    """The best set of options within the budget, and each option's share of draws in it.

    With every combination run, the best combination within budget (their effects include the
    interactions); otherwise integer programming on the single options' gains, assumed to add.
    """
    budget = study.spec.budget
    columns = ["option", "in_portfolio", "probability"]
    if budget is None:
        return pd.DataFrame(columns=columns)
    names = study.option_names
    singles = {a.members[0]: a.index for a in study.arms if len(a.members) == 1}
    combined = len(study.arms) == 2 ** len(names)

    def pick(g: np.ndarray) -> set[str]:
        if combined:
            ok = [a for a in study.arms if a.cost_per_year <= budget]
            top = max(ok, key=lambda a: (g[a.index], -a.cost_per_year))
            return set(top.members) if g[top.index] > 0 else set()
        idx = [singles[n] for n in names]
        x = portfolio_milp(cost[idx], np.maximum(g[idx], 0.0), budget)
        return {n for n, v in zip(names, x, strict=True) if v}

    chosen = pick(gain)
    counts = dict.fromkeys(names, 0)
    for g in draws:
        for n in pick(g):
            counts[n] += 1
    return pd.DataFrame([{"option": n, "in_portfolio": n in chosen,
                          "probability": counts[n] / len(draws)} for n in names],
                        columns=columns)

