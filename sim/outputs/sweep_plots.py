"""Plots of a sweep: each KPI against each swept parameter, OSDO and ESED on one axis.

Like :mod:`sim.outputs.plots`, every function takes ``ax=None`` and returns the axes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.experiments.statistics import mean_ci
from sim.outputs.plots import COLOURS, new_axes, plt

__all__ = ["sweep_kpi", "write_sweep_plots"]


def sweep_kpi(runs: pd.DataFrame, kpi: str, parameter: str, title: str = "",
              ax: Axes | None = None) -> Axes:
    """A KPI against one swept parameter, per platform, with its 95% confidence band.

    ``runs`` is a sweep's run table (one row per run). At each value of ``parameter`` the runs
    are pooled over replications and over any other swept parameter, so with several parameters
    the band shows the KPI's spread over the others too (the parameter's marginal effect).
    Labelled values are placed evenly in the order they first appear.
    """
    ax = new_axes(ax)
    ok = runs[runs.status == "ok"] if "status" in runs else runs
    values = list(dict.fromkeys(ok[parameter]))
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                  for v in values)
    if numeric:
        values = sorted(values)
    where = {v: (float(v) if numeric else i) for i, v in enumerate(values)}
    for platform, group in ok.groupby("platform", sort=False):
        stats = sorted(((where[v], mean_ci(g[kpi].to_numpy(dtype=float)))
                        for v, g in group.groupby(parameter, sort=False)), key=lambda s: s[0])
        x = np.array([s[0] for s in stats])
        mean = np.array([s[1]["mean"] for s in stats])
        half = np.nan_to_num(np.array([s[1]["half_width"] for s in stats]))
        colour = COLOURS.get(str(platform))
        ax.plot(x, mean, marker="o", label=str(platform).upper(), color=colour)
        ax.fill_between(x, mean - half, mean + half, alpha=0.25, color=colour, lw=0)
    if not numeric:
        ax.set_xticks(range(len(values)), [str(v) for v in values])
    ax.set_xlabel(parameter)
    ax.set_ylabel(f"{kpi} (mean, 95% CI)")
    ax.set_title(f"{kpi} vs {parameter}{' - ' + title if title else ''}")
    ax.legend()
    return ax


def write_sweep_plots(runs: pd.DataFrame, parameters: list[str], kpis: list[str],
                      folder: Path, title: str = "") -> list[Path]:
    """One PNG per (KPI, parameter) in ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kpi in kpis:
        for parameter in parameters:
            ax = sweep_kpi(runs, kpi, parameter, title=title)
            ax.figure.tight_layout()
            path = folder / f"{kpi}__{parameter.replace('.', '_')}.png"
            ax.figure.savefig(path, dpi=90)
            plt.close(ax.figure)
            written.append(path)
    return written
