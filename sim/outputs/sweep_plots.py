"""Plots of a sweep: each KPI against each swept parameter, with the paired difference.

OSDO and ESED share one axis; their paired difference per parameter value is a panel below it.
Like :mod:`sim.outputs.plots`, every function takes ``ax=None`` and returns the axes. Axes are
labelled in words: a KPI by its meaning and unit (shares in percent), a parameter by its path
made readable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.config.architectures import PAIR
from sim.experiments.comparison import display_unit
from sim.experiments.statistics import mean_ci, shown_ci
from sim.outputs.plots import COLOURS, new_axes, plt
from sim.outputs.words import kpi_axis_label, kpi_title, parameter_words

__all__ = ["sweep_kpi", "sweep_difference", "paired_runs", "write_sweep_plots"]


def _positions(ok: pd.DataFrame, parameter: str) -> tuple[list, dict, bool]:
    """The parameter's values in plotting order, their x positions, and whether numeric."""
    values = list(dict.fromkeys(ok[parameter]))
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                  for v in values)
    if numeric:
        values = sorted(values)
    return values, {v: (float(v) if numeric else i) for i, v in enumerate(values)}, numeric


def _band(ax: Axes, stats: list[tuple[float, dict]], scale: float, colour: str | None,
          label: str) -> None:
    x = np.array([s[0] for s in stats])
    mean = np.array([s[1]["mean"] for s in stats]) * scale
    # No band from fewer than three values: a t-interval on two is a guess.
    half = np.nan_to_num(np.array([shown_ci(s[1])["half_width"] for s in stats])) * scale
    ax.plot(x, mean, marker="o", label=label, color=colour)
    ax.fill_between(x, mean - half, mean + half, alpha=0.25, color=colour, lw=0)


def _x_axis(ax: Axes, parameter: str, values: list, numeric: bool) -> None:
    if not numeric:
        ax.set_xticks(range(len(values)), [str(v) for v in values])
    ax.set_xlabel(parameter_words(parameter))


def sweep_kpi(runs: pd.DataFrame, kpi: str, parameter: str, title: str = "",
              ax: Axes | None = None) -> Axes:
    """A KPI against one swept parameter, per platform, with its 95% confidence band.

    ``runs`` is a sweep's run table (one row per run). At each value of ``parameter`` the runs
    are pooled over replications and over any other swept parameter, so with several parameters
    the band shows the KPI's spread over the others too (the parameter's marginal effect).
    Labelled values are placed evenly in the order they first appear. Shares are drawn in %.
    """
    ax = new_axes(ax)
    ok = runs[runs.status == "ok"] if "status" in runs else runs
    values, where, numeric = _positions(ok, parameter)
    scale, _ = display_unit(kpi)
    for platform, group in ok.groupby("platform", sort=False):
        stats = sorted(((where[v], mean_ci(g[kpi].to_numpy(dtype=float)))
                        for v, g in group.groupby(parameter, sort=False)), key=lambda s: s[0])
        _band(ax, stats, scale, COLOURS.get(str(platform)), str(platform).upper())
    _x_axis(ax, parameter, values, numeric)
    ax.set_ylabel(kpi_axis_label(kpi, 40) + "\nmean, 95% CI", fontsize="small")
    ax.set_title(f"{kpi_title(kpi, 70)}\nby {parameter_words(parameter)}"
                 f"{' - ' + title if title else ''}", fontsize="medium")
    ax.legend()
    return ax


def paired_runs(runs: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """Per point and replication where OSDO and ESED both finished: their difference of ``kpi``.

    Columns ``point``, ``replication``, ``difference`` and the point's other columns (its
    parameter values) as in ``runs``; no rows when one of the two did not run.
    """
    ok = runs[runs.status == "ok"] if "status" in runs else runs
    keys = ["point", "replication"]
    a = ok[ok.platform == PAIR[0]].set_index(keys)
    b = ok[ok.platform == PAIR[1]].set_index(keys)
    common = a.index.intersection(b.index)
    out = a.loc[common].drop(columns=["platform"]).copy()
    out["difference"] = (a.loc[common, kpi].astype(float)
                         - b.loc[common, kpi].astype(float)).to_numpy()
    return out.reset_index()


def sweep_difference(runs: pd.DataFrame, kpi: str, parameter: str, title: str = "",
                     ax: Axes | None = None) -> Axes:
    """OSDO - ESED of a KPI against one swept parameter, with its 95% band and zero marked.

    Paired per point and replication (common random numbers), pooled at each value as in
    :func:`sweep_kpi`.
    """
    ax = new_axes(ax)
    pairs = paired_runs(runs, kpi)
    values, where, numeric = _positions(pairs, parameter)
    scale, _ = display_unit(kpi, difference=True)
    stats = sorted(((where[v], mean_ci(g.difference.to_numpy(dtype=float)))
                    for v, g in pairs.groupby(parameter, sort=False)), key=lambda s: s[0])
    ax.axhline(0.0, color="black", lw=0.8)
    if stats:
        _band(ax, stats, scale, "tab:purple", "OSDO − ESED (paired)")
    _x_axis(ax, parameter, values, numeric)
    ax.set_ylabel(f"OSDO − ESED\n({display_unit(kpi, difference=True)[1]})", fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="small")
    return ax


def write_sweep_plots(runs: pd.DataFrame, parameters: list[str], kpis: list[str],
                      folder: Path, title: str = "") -> list[Path]:
    """One PNG per (KPI, parameter) in ``folder``; returns the files written.

    When OSDO and ESED both ran, each figure has a second panel: their paired difference.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ok = runs[runs.status == "ok"] if "status" in runs else runs
    both = set(PAIR) <= set(ok.platform)
    written = []
    for kpi in kpis:
        for parameter in parameters:
            if both:
                fig, (top, bottom) = plt.subplots(
                    2, 1, figsize=(7, 6.2), sharex=True, height_ratios=[3, 2])
                sweep_kpi(runs, kpi, parameter, title=title, ax=top)
                top.set_xlabel("")
                sweep_difference(runs, kpi, parameter, ax=bottom)
            else:
                fig = sweep_kpi(runs, kpi, parameter, title=title).figure
            fig.tight_layout()
            path = folder / f"{kpi}__{parameter.replace('.', '_')}.png"
            fig.savefig(path, dpi=90)
            plt.close(fig)
            written.append(path)
    return written
