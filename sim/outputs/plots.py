"""Plots of a run. Every function takes ``ax=None`` and returns the axes, for notebooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # files only; notebooks may switch back with %matplotlib
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from sim.config.architectures import ARCHITECTURES  # noqa: E402
from sim.model.documents import DELAY_COMPONENTS  # noqa: E402

__all__ = ["cycle_time_distribution", "open_documents", "delay_attribution", "on_time_rate",
           "on_time_table", "new_axes", "COLOURS", "RunFigure", "FigureData", "RUN_FIGURES",
           "run_figures"]

COLOURS = {a.name: a.colour for a in ARCHITECTURES.values()}


def new_axes(ax: Axes | None) -> Axes:
    """``ax``, or the axes of a new figure of the size every plot here uses."""
    return ax if ax is not None else plt.figure(figsize=(7, 4)).add_subplot()


def cycle_time_distribution(
    documents: pd.DataFrame, title: str = "", ax: Axes | None = None
) -> Axes:
    """Histogram of cycle times (hours, log-spaced bins) per platform."""
    ax = new_axes(ax)
    done = documents.dropna(subset=["cycle_time_h"])
    done = done[done.cycle_time_h > 0]
    if not done.empty:
        bins = np.logspace(np.log10(done.cycle_time_h.min()), np.log10(done.cycle_time_h.max()), 40)
        for platform, group in done.groupby("platform", sort=False):
            ax.hist(group.cycle_time_h, bins=bins, histtype="step", lw=1.5, density=True,
                    label=str(platform).upper(), color=COLOURS.get(str(platform)))
        ax.set_xscale("log")
        ax.legend()
    ax.set_xlabel("cycle time, calendar hours (log scale)")
    ax.set_ylabel("density")
    ax.set_title(f"Cycle-time distribution{' - ' + title if title else ''}")
    return ax


def open_documents(timeseries: pd.DataFrame, title: str = "", ax: Axes | None = None,
                   warmup_min: float | None = None,
                   warmup_estimate_min: float | None = None) -> Axes:
    """Open documents (WIP) over time, mean over replications, per platform.

    ``warmup_min`` shades the warm-up the KPIs leave out; ``warmup_estimate_min`` marks where
    MSER-5 puts the end of the start-up transient (clock minutes).
    """
    ax = new_axes(ax)
    if warmup_min:
        ax.axvspan(0.0, warmup_min / 1440.0, color="grey", alpha=0.15,
                   label="warm-up (left out of the KPIs)")
    if warmup_estimate_min:
        ax.axvline(warmup_estimate_min / 1440.0, color="grey", ls="--", lw=1,
                   label="end of the transient (MSER-5)")
    for platform, group in timeseries.groupby("platform", sort=False):
        mean = group.groupby("time_min").open_documents.mean()
        ax.plot(mean.index / 1440.0, mean.to_numpy(), label=str(platform).upper(),
                color=COLOURS.get(str(platform)))
    ax.set_xlabel("calendar days since start")
    ax.set_ylabel("open documents")
    ax.set_title(f"Open documents over time{' - ' + title if title else ''}")
    ax.legend()
    return ax


def delay_attribution(summary: pd.DataFrame, title: str = "", ax: Axes | None = None) -> Axes:
    """Mean share of cycle time per delay component, stacked, one bar per platform."""
    ax = new_axes(ax)
    platforms = list(dict.fromkeys(summary.platform))
    bottom = np.zeros(len(platforms))
    cmap = plt.get_cmap("tab20")
    for i, c in enumerate(DELAY_COMPONENTS):
        shares = np.array([summary.loc[summary.platform == p, f"delay_share_{c}"].mean()
                           for p in platforms])
        shares = np.nan_to_num(shares)
        ax.bar([p.upper() for p in platforms], shares, bottom=bottom, label=c, color=cmap(i))
        bottom += shares
    ax.set_ylabel("mean share of cycle time")
    ax.set_title(f"Where the time goes{' - ' + title if title else ''}")
    ax.legend(fontsize="small", bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


ON_TIME_GROUPS = {"type": "document type", "body_kind": "body kind"}


def on_time_table(
    documents: pd.DataFrame, by: str = "type", horizon_min: float | None = None
) -> pd.DataFrame:
    """On-time rate per platform and group: mean over replications with its 95% interval.

    A document counts when it is due: completed, or still open with its deadline before
    ``horizon_min`` (then it is late), as in the ``on_time_rate`` KPI. Without a horizon only
    completed documents count.
    """
    from sim.experiments.statistics import mean_ci  # here: scipy only when this plot is drawn

    if by not in ON_TIME_GROUPS:
        raise ValueError(f"by must be one of {sorted(ON_TIME_GROUPS)}, got {by!r}")
    done = documents.completed_min.notna()
    due = done if horizon_min is None else done | (documents.deadline_min < horizon_min)
    docs = documents[due].assign(on_time=lambda d: d.on_time.fillna(False).astype(bool))
    rates = docs.groupby(["platform", by, "replication"], sort=False).on_time.mean()
    counts = docs.groupby(["platform", by], sort=False).size()
    rows = []
    for (platform, group), values in rates.groupby(level=[0, 1], sort=False):
        ci = mean_ci(values.to_numpy())
        rows.append({"platform": platform, by: group, "on_time_rate": ci["mean"],
                     "half_width": ci["half_width"], "replications": ci["n"],
                     "documents": int(counts[(platform, group)])})
    return pd.DataFrame(rows, columns=["platform", by, "on_time_rate", "half_width",
                                       "replications", "documents"])


def on_time_rate(
    documents: pd.DataFrame, by: str = "type", horizon_min: float | None = None,
    title: str = "", ax: Axes | None = None,
) -> Axes:
    """On-time rate by document type or body kind, one bar per platform, 95% intervals."""
    ax = new_axes(ax)
    table = on_time_table(documents, by, horizon_min)
    groups = sorted(table[by].unique())
    platforms = list(dict.fromkeys(table.platform))
    width = 0.8 / max(len(platforms), 1)
    x = np.arange(len(groups))
    for i, platform in enumerate(platforms):
        rows = table[table.platform == platform].set_index(by).reindex(groups)
        ax.bar(x + (i - (len(platforms) - 1) / 2) * width, rows.on_time_rate.to_numpy(), width,
               yerr=np.nan_to_num(rows.half_width.to_numpy()), capsize=3,
               label=str(platform).upper(), color=COLOURS.get(str(platform)))
    ax.set_xticks(x, [str(g).replace("_", " ") for g in groups], rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("on-time rate (share of due documents)", fontsize="small")
    ax.set_xlabel(ON_TIME_GROUPS[by])
    ax.set_title(f"On-time rate by {ON_TIME_GROUPS[by]}{' - ' + title if title else ''}")
    if platforms:
        ax.legend(title="mean, 95% CI", fontsize="small", bbox_to_anchor=(1.02, 1),
                  loc="upper left")
    return ax


# --------------------------------------------------------------------------- the run's figures


@dataclass(frozen=True)
class FigureData:
    """What a run's figures are drawn from (the tables of a run folder)."""

    summary: pd.DataFrame
    timeseries: pd.DataFrame
    documents: pd.DataFrame | None
    horizon_min: float
    title: str
    warmup_min: float | None = None  #: end of the scenario's warm-up, clock minutes
    warmup_estimate_min: float | None = None  #: MSER-5's estimate, clock minutes


@dataclass(frozen=True)
class RunFigure:
    """One figure of a run: its file in the run folder, its caption in the report, its drawing."""

    filename: str
    caption: str
    needs_documents: bool
    draw: Callable[[FigureData], Axes]


def _on_time(by: str) -> RunFigure:
    return RunFigure(
        f"on_time_by_{by}.png",
        f"On-time rate by {ON_TIME_GROUPS[by]}: bars are means over replications, whiskers 95% "
        "intervals.", True,
        lambda d: on_time_rate(d.documents, by=by, horizon_min=d.horizon_min, title=d.title))


#: Every figure of a run, in the order the report shows them.
RUN_FIGURES: list[RunFigure] = [
    RunFigure("delay_attribution.png",
              "Where the time goes: mean share of cycle time per delay component.", False,
              lambda d: delay_attribution(d.summary, title=d.title)),
    RunFigure("cycle_time.png", "Distribution of cycle times (log scale).", True,
              lambda d: cycle_time_distribution(d.documents, title=d.title)),
    RunFigure("open_documents.png",
              "Open documents (work in progress) over time, mean over replications.", False,
              lambda d: open_documents(d.timeseries, title=d.title, warmup_min=d.warmup_min,
                                       warmup_estimate_min=d.warmup_estimate_min)),
    _on_time("type"),
    _on_time("body_kind"),
]


def run_figures(data: FigureData) -> list[RunFigure]:
    """The figures ``data`` can draw: those of documents only when documents were kept."""
    has_documents = data.documents is not None and not data.documents.empty
    return [f for f in RUN_FIGURES if has_documents or not f.needs_documents]
