"""Text tables for the terminal: a run's KPIs, a sweep's points, the verification cases."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.config.architectures import PAIR, architecture_label
from sim.experiments.comparison import display_unit, format_value
from sim.experiments.replications import Experiment
from sim.experiments.statistics import format_ci, interval_words, mean_ci, shown_ci
from sim.experiments.verification import PASS_RULE, CaseResult
from sim.model.kpis import KPIS, MAIN_KPIS

__all__ = ["text_table", "kpi_table", "sweep_table", "sweep_summary", "verification_table",
           "SHORT_NAMES"]

#: Short column heads of the KPIs a sweep's terminal tables show (the unit follows).
SHORT_NAMES = {"cycle_time_mean_h": "cycle mean", "cycle_time_p50_h": "cycle p50",
               "cycle_time_p95_h": "cycle p95", "on_time_rate": "on time",
               "throughput_per_day": "done", "connectivity_loss_h_per_employee": "conn. loss",
               "unofficial_channel_share": "messenger", "documents_completed": "completed",
               "wip_mean": "open", "overdue_open": "overdue", "staff_utilisation": "busy",
               "late_documents": "late"}
#: At most this many KPIs in a sweep's terminal tables (the main ones first); the rest are in
#: points.csv and the report.
SWEEP_TABLE_KPIS = 6


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
    counts = [int(ci["n"]) for p in platforms for ci in intervals[p].values()]
    few = interval_words(max(counts) if counts else 0)  # a KPI undefined in a run has fewer
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


def _head(kpi: str, difference: bool) -> str:
    unit = display_unit(kpi, difference)[1]
    unit = {"percentage points": "pp", "documents/day": "/day", "documents": "docs"}.get(
        unit, unit)
    return f"{SHORT_NAMES.get(kpi, kpi)}{'' if unit.startswith('/') else ' '}{unit}".strip()


def _short_parameters(parameters: list[str]) -> list[str]:
    """Each parameter by its last part, or its whole path where two share a last part."""
    last = [p.rsplit(".", 1)[-1] for p in parameters]
    return [short if last.count(short) == 1 else path
            for short, path in zip(last, parameters, strict=True)]


def sweep_summary(runs: pd.DataFrame, parameters: list[str], kpis: list[str],
                  folder: str | None = None) -> str:
    """A sweep at the terminal: per point, each platform's means and the paired OSDO - ESED.

    Short column heads with units (shares in %, their differences in percentage points), at
    most :data:`SWEEP_TABLE_KPIS` KPIs (the main ones first), parameters by their last part; the
    difference with its 95% interval, ``*`` where it leaves out 0 (``?``: only its direction
    is known), none below three replications; then where the rest is.
    """
    ok = runs[runs.status == "ok"] if "status" in runs else runs
    shown = ([k for k in kpis if k in MAIN_KPIS] + [k for k in kpis if k not in MAIN_KPIS])
    shown = [k for k in shown if k in ok][:SWEEP_TABLE_KPIS]
    platforms = list(dict.fromkeys(ok.platform))
    names = _short_parameters(parameters)
    points = ok.groupby("point", sort=True)
    first = points[parameters].first()
    means = ok.groupby(["point", "platform"])[shown].mean()
    lines = []
    label = " / ".join(architecture_label(p) for p in platforms)
    rows = [[*names, *[_head(k, False) for k in shown]]]
    for point in first.index:
        cells = [_short(first.at[point, p]) for p in parameters]
        for kpi in shown:
            values = [means.at[(point, p), kpi] if (point, p) in means.index else math.nan
                      for p in platforms]
            cells.append(" / ".join(format_value(kpi, v, unit=False) for v in values))
        rows.append(cells)
    lines += [f"{label}: mean per point", text_table(rows, right=True)]
    if set(PAIR) <= set(platforms):
        lines += ["", *_difference_table(ok, parameters, names, shown)]
    lines.append("")
    if len(parameters) and names != parameters:
        lines.append("parameters: " + ", ".join(f"{n} = {p}" for n, p in
                                                 zip(names, parameters, strict=True)
                                                 if n != p))
    left = [k for k in kpis if k not in shown]
    where = "points.csv" + (f" (also {len(left)} more KPIs)" if left else "")
    lines.append(f"intervals per platform: {where}")
    lines.append(f"the report, with the plots: sim report {folder or 'SWEEP_DIR'}")
    return "\n".join(lines)


def _difference_table(ok: pd.DataFrame, parameters: list[str], names: list[str],
                      kpis: list[str]) -> list[str]:
    """OSDO - ESED per point, paired per replication, with its interval and verdict mark."""
    from sim.experiments.comparison import verdict

    keys = ["point", "replication"]
    a = ok[ok.platform == PAIR[0]].set_index(keys)
    b = ok[ok.platform == PAIR[1]].set_index(keys)
    common = a.index.intersection(b.index)
    first = ok.groupby("point", sort=True)[parameters].first()
    rows = [[*names, *[_head(k, True) for k in kpis]]]
    least = None
    for point in first.index:
        cells = [_short(first.at[point, p]) for p in parameters]
        at = [i for i in common if i[0] == point]
        for kpi in kpis:
            d = (a.loc[at, kpi].astype(float) - b.loc[at, kpi].astype(float)).to_numpy()
            ci = mean_ci(d)
            if ci["n"]:  # a KPI without values (no deadline fell due) says nothing of n
                least = ci["n"] if least is None else min(least, ci["n"])
            shown = shown_ci(ci)
            mark = {"apart": "*", "sign": "?"}.get(verdict(ci), " ")
            cells.append(format_value(kpi, shown["mean"], shown["half_width"], difference=True,
                                      unit=False) + mark)
        rows.append(cells)
    few = interval_words(least or 0)
    head = [f"{architecture_label(PAIR[0])} - {architecture_label(PAIR[1])} per point, paired "
            + (f"({few})" if few else f"over {least} replications")]
    if not few:
        head.append("(mean ± 95% CI; * the interval leaves out 0, ? only its direction is known)")
    return [*head, text_table(rows, right=True)]


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
