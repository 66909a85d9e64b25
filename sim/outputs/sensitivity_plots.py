"""The sensitivity outputs of a sweep folder: ranked text tables, sensitivity.csv, bar charts.

The table comes from :func:`sim.experiments.sensitivity.sensitivity_table`: one row per
(target, KPI, parameter), a target being a platform or the paired difference OSDO - ESED.
:func:`sensitivity_bars` draws one target of one KPI (``ax=None`` like every plot here),
:func:`sensitivity_figure` a KPI's targets side by side, and :func:`write_sensitivity` writes
``sensitivity.csv`` and ``plots/sensitivity_<kpi>.png``, each under a temporary name renamed
when complete.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.experiments.sensitivity import (
    DIFFERENCE,
    FLOOR,
    NOISE_LEVEL,
    RANK_BY,
    mu_star_bounds,
    target_label,
)
from sim.experiments.store import replacing
from sim.model.kpis import KPIS
from sim.outputs.plots import COLOURS, new_axes, plt
from sim.outputs.run_folder import safe_name
from sim.outputs.tables import text_table

__all__ = ["sensitivity_bars", "sensitivity_figure", "sensitivity_text", "write_sensitivity",
           "METHOD_WORDS"]

METHOD_WORDS = {
    "morris": "Morris mu* [95% CI]: the mean absolute change of the KPI as a factor moves "
              "across its range (a bootstrap percentile interval: never below 0)",
    "sobol": "Sobol indices ± 95% CI: S1 the factor's own share of the KPI's variance, ST with "
             "its interactions",
}
_DIFF_COLOUR = "tab:purple"


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return "0" if abs(value) < 1e-12 else f"{value:.3g}"


def _targets(table: pd.DataFrame, kpi: str) -> list[str]:
    return list(dict.fromkeys(table[table.kpi == kpi].target))


def _order(table: pd.DataFrame, kpi: str) -> list[str]:
    """Parameters in the rank of the difference (else the first target), strongest first."""
    targets = _targets(table, kpi)
    lead = DIFFERENCE if DIFFERENCE in targets else targets[0]
    part = table[(table.kpi == kpi) & (table.target == lead)].sort_values("rank")
    return list(part.parameter)


def sensitivity_bars(table: pd.DataFrame, kpi: str, target: str, order: list[str] | None = None,
                     ax: Axes | None = None) -> Axes:
    """Horizontal bars of one target's indices for ``kpi``, strongest on top, with intervals.

    Morris: mu* with its 95% interval and, dashed, the noise floor (the mu* of a factor with no
    effect). Sobol: S1 and ST with their intervals and ST's noise floor. Indices that replication
    noise could explain (``above_noise`` false) are drawn pale and hatched.
    """
    ax = new_axes(ax)
    part = table[(table.kpi == kpi) & (table.target == target)].set_index("parameter")
    order = order or list(part.sort_values("rank").index)
    part = part.loc[order]
    y = np.arange(len(part))[::-1]
    method = part["method"].iloc[0]
    colour = COLOURS.get(target, _DIFF_COLOUR)
    clear = part.above_noise.to_numpy(dtype=bool)
    if method == "morris":
        low, high = mu_star_bounds(part)
        mu = part.mu_star.to_numpy(dtype=float)
        bars = ax.barh(y, mu, xerr=np.vstack([mu - low, high - mu]), color=colour, alpha=0.8,
                       capsize=3)
        handles = [Patch(color=colour, alpha=0.8, label="mu*")]
        floors = part.mu_star_noise.to_numpy(dtype=float)
        unit = KPIS[kpi].unit if kpi in KPIS else ""
        ax.set_xlabel(f"mu* ({unit}; 95% CI)" if unit else "mu* (95% CI)")
    else:
        ax.barh(y + 0.2, part.S1, height=0.4, xerr=part.S1_conf, color=colour, alpha=0.45,
                capsize=3)
        st = part.ST.to_numpy(dtype=float)
        conf = part.ST_conf.to_numpy(dtype=float)  # ST >= 0: its whisker stops at 0
        whiskers = np.vstack([np.minimum(conf, np.maximum(st, 0.0)), conf])
        bars = ax.barh(y - 0.2, st, height=0.4, xerr=whiskers, color=colour, alpha=0.9,
                       capsize=3)
        handles = [Patch(color=colour, alpha=0.45, label="S1"),
                   Patch(color=colour, alpha=0.9, label="ST")]
        floors = part.ST_noise.to_numpy(dtype=float)
        ax.set_xlabel("index (share of variance; 95% CI)")
    for bar, above in zip(bars.patches, clear, strict=True):
        if not above:
            bar.set_alpha(0.3)
            bar.set_hatch("//")
    if not clear.all():
        handles.append(Patch(facecolor=colour, alpha=0.3, hatch="//", label="within noise"))
    # Each factor has its own floor (the noise of its paired differences): a mark per bar.
    shown = np.isfinite(floors) & (floors > 0)
    if shown.any():
        ax.vlines(floors[shown], y[shown] - 0.45, y[shown] + 0.45, color="grey", ls="--", lw=1)
        handles.append(Line2D([], [], color="grey", ls="--", lw=1, label="noise floor"))
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, list(part.label))
    ax.set_title(target_label(target))
    ax.legend(handles=handles, fontsize="small", loc="best")
    return ax


def sensitivity_figure(table: pd.DataFrame, kpi: str, title: str = "") -> Figure:
    """One KPI: a panel per target (each platform, then OSDO - ESED), parameters in one order."""
    targets = _targets(table, kpi)
    order = _order(table, kpi)
    fig, axes = plt.subplots(1, len(targets), figsize=(3.6 * len(targets) + 3.4,
                                                         1.0 + 0.45 * len(order)),
                             sharex=True, sharey=True, squeeze=False)
    for ax, target in zip(axes[0], targets, strict=True):
        sensitivity_bars(table, kpi, target, order, ax=ax)
    method = table[table.kpi == kpi]["method"].iloc[0]
    fig.suptitle(f"{kpi}: {method} sensitivity{' - ' + title if title else ''}")
    fig.tight_layout()
    return fig


def _floor_range(floors: np.ndarray) -> str:
    """The factors' noise floors of one target: one number, or lowest-highest."""
    known = floors[~np.isnan(floors)]
    if not len(known):
        return "-"
    low, high = float(known.min()), float(known.max())
    return _num(low) if _num(low) == _num(high) else f"{_num(low)}-{_num(high)}"


def sensitivity_text(table: pd.DataFrame, kpi: str) -> str:
    """A KPI's ranked table for the terminal: a row per parameter, a column per target.

    Ranked by the difference OSDO - ESED (else the first target); ``~`` marks an index that
    replication noise alone could give (``above_noise`` false: indistinguishable from no effect).
    """
    part = table[table.kpi == kpi]
    targets = _targets(table, kpi)
    method = part["method"].iloc[0]
    cells = part.set_index(["target", "parameter"])
    rows = [["rank", "parameter", *[target_label(t) for t in targets]]]
    for rank, parameter in enumerate(_order(table, kpi), start=1):
        row = [str(rank), f"{cells.loc[(targets[0], parameter), 'label']} ({parameter})"]
        for target in targets:
            cell = cells.loc[(target, parameter)]
            mark = "  " if cell.above_noise else " ~"
            if method == "morris":
                low, high = mu_star_bounds(pd.DataFrame([cell]))
                row.append(f"{_num(cell.mu_star)} [{_num(low[0])}, {_num(high[0])}]{mark}")
            else:
                row.append(f"S1 {_num(cell.S1)} ± {_num(cell.S1_conf)}, "
                           f"ST {_num(cell.ST)} ± {_num(cell.ST_conf)}{mark}")
        rows.append(row)
    floor = FLOOR[method]
    rows.append(["", "noise floor (a factor without effect; lowest-highest over factors)",
                 *[_floor_range(cells.loc[t][floor].to_numpy(dtype=float)) + "  "
                   for t in targets]])
    unit = KPIS[kpi].unit if kpi in KPIS else ""
    head = f"{kpi}{f' ({unit})' if unit else ''}: {METHOD_WORDS[method]}"
    lead = DIFFERENCE if DIFFERENCE in targets else targets[0]
    note = (f"ranked by {target_label(lead)}'s {RANK_BY[method]}; ~ : within replication noise "
            f"(p >= {NOISE_LEVEL:g} that noise alone gives effects this large, or the interval "
            f"reaches 0)")
    return "\n".join([head, text_table(rows, [True, False, *[True] * len(targets)]), note])


def write_sensitivity(table: pd.DataFrame, folder: Path, plots: bool = True,
                      title: str = "") -> list[Path]:
    """``sensitivity.csv`` and (with ``plots``) ``plots/sensitivity_<kpi>.png`` in ``folder``."""
    written = []
    path = folder / "sensitivity.csv"
    with replacing(path) as tmp:
        table.to_csv(tmp, index=False)
    written.append(path)
    if plots:
        (folder / "plots").mkdir(exist_ok=True)
        for kpi in dict.fromkeys(table.kpi):
            fig = sensitivity_figure(table, kpi, title)
            path = folder / "plots" / f"sensitivity_{safe_name(kpi)}.png"
            with replacing(path) as tmp:
                fig.savefig(tmp, dpi=90, format="png")
            plt.close(fig)
            written.append(path)
    return written
