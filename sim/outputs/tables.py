"""Text tables for the terminal: a run's KPIs, a sweep's points, the verification cases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.config.architectures import PAIR, architecture_label
from sim.experiments.replications import Experiment
from sim.experiments.statistics import format_ci, interval_words, shown_ci
from sim.experiments.verification import PASS_RULE, CaseResult
from sim.model.kpis import KPIS, MAIN_KPIS

__all__ = ["text_table", "kpi_table", "sweep_table", "verification_table"]


def text_table(rows: Sequence[Sequence[str]], right: Sequence[bool] | bool = False,
               strip: bool = False) -> str:
    """Rows of cells as aligned text, a rule under the first (header) row.

    ``right`` says which columns are right-aligned (one flag for all, or one per column);
    ``strip`` drops trailing blanks of each line.
    """
    width = len(rows[0])
    flags = [right] * width if isinstance(right, bool) else list(right)
    widths = [max(len(r[i]) for r in rows) for i in range(width)]
    lines = ["  ".join(c.rjust(w) if f else c.ljust(w)
                       for c, w, f in zip(r, widths, flags, strict=True)) for r in rows]
    if strip:
        lines = [line.rstrip() for line in lines]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def kpi_table(experiment: Experiment) -> str:
    """The main KPIs: a row each, a column per platform (and the paired difference).

    Below :data:`~sim.experiments.statistics.MIN_INTERVAL_REPLICATIONS` replications the
    means stand alone and the header says there is no interval.
    """
    intervals = experiment.intervals()
    platforms = experiment.platforms
    paired = experiment.paired() if set(PAIR) <= set(platforms) else {}
    summary = experiment.summary()
    few = interval_words(int(summary.groupby("platform").size().min()) if len(summary) else 0)
    header = [f"KPI (mean{'; ' + few if few else ' ± 95% CI'})",
              *[architecture_label(p) for p in platforms]]
    if paired:
        header.append(f"{architecture_label(PAIR[0])}-{architecture_label(PAIR[1])} (paired)")
    rows = [header]
    for kpi in MAIN_KPIS:
        fmt = KPIS[kpi].fmt
        row = [kpi, *[format_ci(shown_ci(intervals[p][kpi]), fmt) for p in platforms]]
        if paired:
            row.append(format_ci(shown_ci(paired[kpi]), fmt))
        rows.append(row)
    return text_table(rows, [False] + [True] * (len(header) - 1))


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def sweep_table(summary: pd.DataFrame, parameters: list[str], kpis: list[str],
                platform: str) -> str:
    """One platform of a sweep: a row per point (its parameter values), a column per KPI."""
    part = summary[summary.platform == platform]
    rows = [[*parameters, *kpis]]
    for _point, group in part.groupby("point", sort=True):
        first = group.iloc[0]
        cells = [_short(first[p]) for p in parameters]
        for kpi in kpis:
            hit = group[group.kpi == kpi]
            if len(hit):
                row = hit.iloc[0]
                cells.append(format_ci(shown_ci(row.to_dict()),
                                       "{:.3f}" if abs(row["mean"]) < 10 else "{:.1f}"))
            else:
                cells.append("-")
        rows.append(cells)
    return text_table(rows, right=True)


def verification_table(results: list[CaseResult]) -> str:
    """Case, quantity, analytic, simulated mean, 95% interval, allowance and verdict."""
    rows = [["case", "quantity", "analytic", "simulated", "95% interval", "reps", "allow",
             "result"]]
    for r in results:
        rows.append([r.case, r.quantity, f"{r.analytic:.5g}", f"{r.mean:.5g}",
                     f"[{r.low:.5g}, {r.high:.5g}]", str(r.replications),
                     f"{r.allowance:.0%}" if r.allowance >= 0.001 else f"{r.allowance:.0e}",
                     "pass" if r.passed else "FAIL"])
    return text_table(rows, strip=True) + "\n" + PASS_RULE
