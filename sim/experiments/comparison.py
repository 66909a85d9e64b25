"""OSDO against ESED on common random numbers: paired differences in numbers and in words.

Replication ``r`` of OSDO and of ESED use the same root seed, so they see the same staff, the
same documents and the same handling times; the per-replication difference then carries far
less noise than two independent runs. :func:`crn_effect` measures how much narrower the paired
interval is than the interval from an ESED run with independent seeds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.config.architectures import PAIR
from sim.experiments.replications import Experiment, RunDone, run_experiment
from sim.experiments.statistics import (
    MIN_INTERVAL_REPLICATIONS,
    interval_words,
    mean_ci,
    shown_ci,
)
from sim.model.kpis import KPI_COLUMNS, KPI_DESCRIPTIONS, KPIS, MAIN_KPIS

__all__ = ["compare", "compare_table", "crn_effect", "sentence", "independent_seed",
           "format_value", "display_unit", "run_notes", "verdict", "SIZE_PRECISION",
           "FEW_REPLICATIONS"]

_INDEPENDENT_KEY = 0x1D  # spawn key of the independent-seed control, apart from all others


def independent_seed(seed: int) -> int:
    """A root seed unrelated to ``seed`` (for the independent-seeds control)."""
    state = np.random.SeedSequence(seed, spawn_key=(_INDEPENDENT_KEY,)).generate_state(
        1, np.uint64)
    return int(state[0]) >> 1


# --------------------------------------------------------------------------- numbers in units

#: Per KPI unit: (scale, unit shown, decimals). Shares are shown in percent, their differences
#: in percentage points; counts with thousands separators; hours with one decimal.
_DISPLAY: dict[str, tuple[float, str, int]] = {
    "share": (100.0, "%", 1),
    "flag": (100.0, "% of replications", 0),
    "h": (1.0, "h", 1),
    "documents": (1.0, "documents", 0),
    "transmissions": (1.0, "transmissions", 0),
    "people": (1.0, "people", 0),
    "documents/day": (1.0, "documents/day", 1),
    "working days": (1.0, "working days", 1),
    "rounds": (1.0, "rounds", 2),
}
_DIFFERENCE_UNIT = {"%": "percentage points", "% of replications": "percentage points"}
#: A paired difference whose 95% half-width is above this share of its size has a known sign
#: at most: the sentence says its size could not be pinned down.
SIZE_PRECISION = 0.5
#: Below this many replications every comparison carries a caution.
FEW_REPLICATIONS = 5


def display_unit(kpi: str, difference: bool = False) -> tuple[float, str]:
    """How a KPI is shown: the factor its values are multiplied by, and the unit after them."""
    unit = KPIS[kpi].unit if kpi in KPIS else ""
    scale, shown, _ = _DISPLAY.get(unit, (1.0, unit, 2))
    return scale, _DIFFERENCE_UNIT.get(shown, shown) if difference else shown


def _decimals(kpi: str, magnitude: float) -> int:
    """The unit's decimals, more (up to 3) where ``magnitude`` (already scaled) would show as 0.

    A KPI of no known unit gets three significant digits.
    """
    unit = KPIS[kpi].unit if kpi in KPIS else ""
    if unit not in _DISPLAY:
        if not magnitude or math.isinf(magnitude):
            return 2
        return max(0, min(6, 2 - math.floor(math.log10(magnitude))))
    digits = _DISPLAY[unit][2]
    extra = 0
    while 0 < magnitude < 0.5 * 10.0 ** -(digits + extra) and extra < 3:
        extra += 1
    return digits + extra


def _number(x: float, digits: int, sign: bool = False) -> str:
    text = f"{x:{'+' if sign else ''},.{digits}f}"
    if not text.strip("+-0.,"):  # "-0.0" would read as a claim about the sign
        text = text.lstrip("+-")
    return text


def format_value(kpi: str, x: float | None, half: float | None = None,
                 difference: bool = False, unit: bool = True) -> str:
    """A KPI value (with its 95% half-width) in the units people use: ``42.9 ± 1.7 h``.

    Shares in percent (``99.7% ± 0.3%``; differences in percentage points), counts with
    thousands separators, hours with one decimal; more decimals only where a value or
    half-width would round to 0. A half-width of 0 (the same in every replication) or a
    missing one is left out. ``difference``: signed, in the difference's unit; ``unit=False``:
    the numbers alone. ``-`` when there is no value.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    scale, shown = display_unit(kpi, difference)
    has_half = (half is not None and not math.isnan(half)
                and abs(half) > 1e-9 * max(1.0, abs(x)))
    value, h = x * scale, abs(half) * scale if has_half else 0.0  # type: ignore[arg-type]
    digits = _decimals(kpi, h if has_half else abs(value))
    percent = unit and shown.startswith("%")
    text = _number(value, digits, sign=difference) + ("%" if percent else "")
    if has_half:
        text += f" ± {_number(h, digits)}" + ("%" if percent else "")
    rest = shown[1:].strip() if percent else shown
    return f"{text} {rest}" if unit and rest else text


def run_notes(summary: pd.DataFrame, warmup_days: float | None,
              short: bool = False) -> list[str]:
    """Cautions that hold for every comparison of a run: few replications, an unsettled run.

    A run has not settled when some replication's backlog grows without bound (``unstable``)
    or MSER-5 puts the end of the start-up transient (``warmup_estimate_days``) after the
    scenario's ``warmup_days``. ``short``: a few words each, for a caution on every line.
    """
    notes = []
    reps = int(summary.groupby("platform").size().min()) if len(summary) else 0
    if 0 < reps < FEW_REPLICATIONS:
        notes.append(f"only {reps} replication{'s' if reps != 1 else ''}" + (
            "" if short else f" (fewer than {FEW_REPLICATIONS}): the intervals rest on few "
            "samples"))
    for platform, rows in summary.groupby("platform", sort=False):
        label = str(platform).upper()
        if "unstable" in rows and (bad := int((rows.unstable == 1).sum())):
            notes.append(f"the {label} backlog grows without bound in {bad} of {len(rows)} "
                         "replications" + ("" if short else
                                           ", so its means depend on the horizon"))
        if warmup_days is not None and "warmup_estimate_days" in rows:
            estimate = float(rows.warmup_estimate_days.mean())
            if estimate > warmup_days and short:
                notes.append(f"{label} not settled by the warm-up's end (MSER-5: "
                             f"{estimate:.1f} > {warmup_days:g} working days)")
            elif estimate > warmup_days:
                notes.append(f"{label} has not settled by the end of the warm-up (MSER-5 puts "
                             f"the end of the transient at {estimate:.1f} working days, "
                             f"warmup_days is {warmup_days:g})")
    return notes


def verdict(diff: dict[str, float]) -> str:
    """What a paired difference allows one to say, as a word.

    ``apart`` (the 95% interval leaves out 0 and its half-width is at most
    :data:`SIZE_PRECISION` of the size), ``sign`` (leaves out 0, wider than that), ``same`` (0
    in every replication), ``unclear`` (includes 0) or ``none`` (no interval: fewer than
    :data:`~sim.experiments.statistics.MIN_INTERVAL_REPLICATIONS` replications, or none
    paired). ``None`` values (NaN as JSON stores it) count as missing.
    """
    shown = shown_ci(diff)
    d, h = shown["mean"], shown["half_width"]
    if math.isnan(d) or math.isnan(h):
        return "none"
    if d == 0 and h == 0:
        return "same"
    if abs(d) <= h:
        return "unclear"
    return "apart" if h <= SIZE_PRECISION * abs(d) else "sign"


def sentence(kpi: str, osdo: float, esed: float, diff: dict[str, float],
             notes: list[str] | tuple[str, ...] = ()) -> str:
    """One plain sentence about OSDO - ESED for a KPI, with its 95% interval, never overclaiming.

    Says "could not tell apart" when the paired interval includes zero; a difference whose
    interval leaves out zero but is wide (see :data:`SIZE_PRECISION`) is a direction only.
    ``notes`` (from :func:`run_notes`) end the sentence as a caution.
    """
    what = KPI_DESCRIPTIONS.get(kpi, kpi)
    shown = shown_ci(diff)
    d, h, n = shown["mean"], shown["half_width"], int(diff.get("n") or 0)
    caution = f" Caution: {'; '.join(notes)}." if notes else ""
    if math.isnan(d):
        return (f"{kpi} ({what}): no value to compare (not defined in these runs, or no "
                "replication paired)")
    both = f"OSDO {format_value(kpi, osdo)}, ESED {format_value(kpi, esed)}"
    kind = verdict(diff)
    if kind == "none":
        return (f"{kpi} ({what}): {both}; OSDO - ESED = {format_value(kpi, d, difference=True)} "
                f"from {interval_words(n) or 'no interval'}, so this run cannot say whether "
                f"OSDO and ESED differ (run {MIN_INTERVAL_REPLICATIONS} or more replications)."
                f"{caution}")
    if kind == "same":
        return f"{kpi} ({what}): the same on OSDO and ESED in every replication ({both})."
    paired = f"{n} paired replications"
    if kind == "unclear":
        return (f"{kpi} ({what}): could not tell OSDO and ESED apart ({both}); OSDO - ESED = "
                f"{format_value(kpi, d, h, difference=True)}, a 95% interval that includes "
                f"zero ({paired}).{caution}")
    way = "higher" if d > 0 else "lower"
    size = format_value(kpi, abs(d), h, difference=True).lstrip("+")
    relative = ""
    if esed and not math.isnan(esed) and display_unit(kpi)[1] != "%":
        share = abs(d) / abs(esed)
        if share >= 0.005:
            relative = f", {share:.0%} of ESED's"
    if kind == "sign":
        return (f"{kpi} ({what}): OSDO looks {way} than ESED ({both}), but by how much could "
                f"not be pinned down: {size}{relative} ({paired}; the 95% interval leaves out "
                f"zero but is wide).{caution}")
    return (f"{kpi} ({what}): OSDO is {way} than ESED by {size}{relative} ({both}; 95% "
            f"interval over {paired}).{caution}")


def compare_table(experiment: Experiment, kpis: list[str] | None = None) -> pd.DataFrame:
    """Per KPI: OSDO and ESED means, the paired difference with its interval, a sentence.

    The sentences carry :func:`run_notes`' cautions (few replications, a run not settled).
    """
    table = experiment.summary()
    paired = experiment.paired(*PAIR)
    notes = run_notes(table[table.platform.isin(PAIR)], experiment.scenario.warmup_days,
                      short=True)
    rows = []
    for kpi in kpis or MAIN_KPIS:
        osdo = float(table.loc[table.platform == PAIR[0], kpi].mean())
        esed = float(table.loc[table.platform == PAIR[1], kpi].mean())
        d = paired[kpi]
        relative = d["mean"] / esed if esed else math.nan
        rows.append({
            "kpi": kpi, "osdo_mean": osdo, "esed_mean": esed, "difference": d["mean"],
            "half_width": d["half_width"], "low": d["low"], "high": d["high"], "n": d["n"],
            "relative": relative,
            "relative_half_width": d["half_width"] / abs(esed) if esed else math.nan,
            "sentence": sentence(kpi, osdo, esed, d, notes),
        })
    return pd.DataFrame(rows)


def compare(
    scenario: Scenario, replications: int | None = None, seed: int | None = None,
    kpis: list[str] | None = None, progress: Callable[[RunDone], None] | None = None,
    workers: int | None = 1, scheduler: str | None = None,
) -> pd.DataFrame:
    """Run OSDO and ESED on common random numbers and return :func:`compare_table`.

    ``workers`` and ``scheduler`` as in :func:`run_experiment` (the table is the same).
    """
    experiment = run_experiment(scenario, list(PAIR), replications, seed,
                                progress=progress, workers=workers, scheduler=scheduler)
    return compare_table(experiment, kpis)


def crn_effect(
    scenario: Scenario, replications: int | None = None, seed: int | None = None,
    kpis: list[str] | None = None, progress: Callable[[RunDone], None] | None = None,
    workers: int | None = 1, scheduler: str | None = None,
) -> pd.DataFrame:
    """How much common random numbers narrow the OSDO - ESED interval, per KPI.

    The paired interval comes from OSDO and ESED run with the same seed; the independent one
    pairs the same OSDO runs with ESED runs on an unrelated seed (:func:`independent_seed`), the
    interval two separate experiments would give. ``ratio`` = independent / CRN half-width.
    """
    seed = scenario.run_seed(seed)
    reps = scenario.replications if replications is None else replications
    crn = run_experiment(scenario, list(PAIR), reps, seed, progress=progress, workers=workers,
                         scheduler=scheduler)
    other = independent_seed(seed)
    esed_alone = run_experiment(scenario, [PAIR[1]], reps, other, progress=progress,
                                workers=workers, scheduler=scheduler).runs
    summary = crn.summary()
    osdo = summary[summary.platform == PAIR[0]].set_index("replication")
    rows = []
    paired = crn.paired(*PAIR)
    for kpi in kpis or KPI_COLUMNS:
        independent = mean_ci(osdo[kpi].to_numpy(dtype=float)
                              - np.array([r.kpis[kpi] for r in esed_alone], dtype=float))
        h_crn, h_ind = paired[kpi]["half_width"], independent["half_width"]
        rows.append({"kpi": kpi, "difference_crn": paired[kpi]["mean"],
                     "half_width_crn": h_crn, "difference_independent": independent["mean"],
                     "half_width_independent": h_ind,
                     "ratio": h_ind / h_crn if h_crn else (math.nan if not h_ind else math.inf),
                     "n": reps})
    return pd.DataFrame(rows)
