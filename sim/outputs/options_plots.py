"""Plots of an options appraisal: effect against cost with the frontier, and acceptability.

Like :mod:`sim.outputs.plots`, each function takes ``ax=None`` and returns the axes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.outputs.plots import new_axes, plt
from sim.outputs.words import kpi_title

__all__ = ["effect_cost", "acceptability_curve", "write_options_plots", "OPTIONS_FIGURES"]

MILLION = 1e6
#: File and caption of each figure of an options folder.
OPTIONS_FIGURES = {
    "effect_cost.png": "Effect on the first objective against cost a year, each arm with its "
                       "paired 95% interval; the line joins the efficiency frontier; hollow: "
                       "dominated, x: extendedly dominated; a combination is labelled by the "
                       "first three letters of its options (tra+clo: training + cloud_ui).",
    "acceptability.png": "Probability that each arm gives the most net benefit, against what "
                         "an hour of delay saved on one document is worth (bootstrap over "
                         "replications, pairing kept); arms never above 5% left out.",
}


def _short(name: str) -> str:
    """A combination's label: its options' initials joined, e.g. t+e+c."""
    parts = name.split(" + ")
    return name if len(parts) == 1 else "+".join(p[:3] for p in parts)


def effect_cost(table: pd.DataFrame, kpi: str, ax: Axes | None = None) -> Axes:
    """Each arm's effect on ``kpi`` (paired against the base, 95% interval) against its cost."""
    ax = new_axes(ax)
    x = table.cost.to_numpy(dtype=float) / MILLION
    y = table[f"{kpi}_effect"].to_numpy(dtype=float)
    low = table[f"{kpi}_low"].to_numpy(dtype=float)
    high = table[f"{kpi}_high"].to_numpy(dtype=float)
    err = np.vstack([np.nan_to_num(y - low), np.nan_to_num(high - y)])
    dominance = table.get("dominance", pd.Series([""] * len(table))).to_numpy()
    ax.errorbar(x, y, yerr=err, fmt="none", ecolor="#bbbbbb", elinewidth=1, zorder=1)
    for status, style in (("", {"marker": "o", "color": "tab:blue"}),
                          ("dominated", {"marker": "o", "facecolors": "none",
                                         "edgecolors": "grey"}),
                          ("extended", {"marker": "x", "color": "tab:orange"})):
        mask = dominance == status
        if mask.any():
            label = {"": "on the frontier", "dominated": "dominated",
                     "extended": "extendedly dominated"}[status]
            ax.scatter(x[mask], y[mask], zorder=3, label=label, **style)
    on = table[table.on_frontier].sort_values("cost")
    ax.plot(on.cost / MILLION, on[f"{kpi}_effect"], color="tab:blue", lw=1.2, zorder=2)
    for xi, yi, name, status, members in zip(x, y, table.option, dominance,
                                              table.get("n_options", [1] * len(table)),
                                              strict=True):
        if status == "" or members <= 1:
            ax.annotate(_short(name), (xi, yi), textcoords="offset points", xytext=(4, 3),
                        fontsize=7)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("cost, million tenge a year (one-off outlays annualised)")
    ax.set_ylabel(f"{kpi_title(kpi, 40)}\nchange against the base")
    ax.legend(fontsize=8)
    return ax


def acceptability_curve(curve: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Each arm's probability of the most net benefit against the value of an hour saved."""
    ax = new_axes(ax)
    shown = curve.groupby("option").probability.max()
    positive = curve[curve.value_per_hour > 0]
    for option in shown[shown > 0.05].index:
        part = positive[positive.option == option]
        ax.plot(part.value_per_hour, part.probability, label=option)
    ax.set_xscale("log")  # frontier steps span orders of magnitude
    ax.set_xlabel("value of an hour of delay saved on one document, tenge (log scale)")
    ax.set_ylabel("probability of the most net benefit")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    return ax


def write_options_plots(table: pd.DataFrame, curve: pd.DataFrame, kpi: str,
                        folder: Path) -> list[Path]:
    """Write the figures of :data:`OPTIONS_FIGURES` that the data allow; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    draws = {"effect_cost.png": lambda: effect_cost(table, kpi)}
    if len(curve):
        draws["acceptability.png"] = lambda: acceptability_curve(curve)
    for name, draw in draws.items():
        ax = draw()
        ax.figure.tight_layout()
        ax.figure.savefig(folder / name, dpi=110)
        plt.close(ax.figure)
        written.append(folder / name)
    return written
