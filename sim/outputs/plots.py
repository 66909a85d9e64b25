"""Plots of a run. Every function takes ``ax=None`` and returns the axes, for notebooks."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; notebooks may switch back with %matplotlib
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sim.config.architectures import ARCHITECTURES, PAIR, architecture_label  # noqa: E402
from sim.model.documents import DELAY_COMPONENTS  # noqa: E402
from sim.model.kpis import KPIS, MAIN_KPIS  # noqa: E402
from sim.outputs.over_time import (  # noqa: E402
    WEEK_MIN,
    distinct_events,
    shows_over_time,
)
from sim.outputs.words import (  # noqa: E402
    component_words,
    date_words,
    event_kind_words,
    event_reach_words,
    kpi_panel_label,
)

__all__ = ["cycle_time_distribution", "open_documents", "delay_attribution", "late_share",
           "on_time_table", "paired_differences_plot", "over_time", "new_axes", "COLOURS",
           "EVENT_STYLES", "RunFigure", "FigureData", "RUN_FIGURES", "run_figures",
           "OTHER_BELOW"]

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
                    label=architecture_label(str(platform)), color=COLOURS.get(str(platform)))
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
        ax.plot(mean.index / 1440.0, mean.to_numpy(), label=architecture_label(str(platform)),
                color=COLOURS.get(str(platform)))
    ax.set_xlabel("calendar days since start")
    ax.set_ylabel("open documents")
    ax.set_title(f"Open documents over time{' - ' + title if title else ''}")
    ax.legend()
    return ax


#: Delay components whose mean share is below this on every platform are drawn as one "other".
OTHER_BELOW = 0.02


def delay_attribution(summary: pd.DataFrame, title: str = "", ax: Axes | None = None) -> Axes:
    """Mean share of cycle time per delay component, stacked, one bar per platform.

    Components named in words; those under :data:`OTHER_BELOW` on every platform are one grey
    "other" segment; segments of 4% or more carry their share.
    """
    ax = new_axes(ax)
    platforms = list(dict.fromkeys(summary.platform))
    shares = {c: np.nan_to_num(np.array(
        [summary.loc[summary.platform == p, f"delay_share_{c}"].mean()
         if f"delay_share_{c}" in summary else np.nan for p in platforms], dtype=float))
        for c in DELAY_COMPONENTS}
    cmap = plt.get_cmap("tab20")
    colours = {c: cmap(i % 20) for i, c in enumerate(DELAY_COMPONENTS)}
    shown = [c for c in DELAY_COMPONENTS if shares[c].max(initial=0.0) >= OTHER_BELOW]
    small = [c for c in DELAY_COMPONENTS if c not in shown]
    segments = [(component_words(c), shares[c], colours[c]) for c in shown]
    if small:
        rest = np.sum([shares[c] for c in small], axis=0)
        segments.append((f"other ({len(small)} components, each under {OTHER_BELOW:.0%})", rest,
                         "lightgrey"))
    bottom = np.zeros(len(platforms))
    labels = [architecture_label(str(p)) for p in platforms]
    for label, values, colour in segments:
        bars = ax.bar(labels, values * 100.0, bottom=bottom * 100.0, label=label, color=colour,
                      width=0.6)
        ax.bar_label(bars, [f"{v:.0%}" if v >= 0.04 else "" for v in values],
                     label_type="center", fontsize="small")
        bottom += values
    ax.set_ylim(0, max(100.0, float(bottom.max(initial=0.0)) * 100.0))
    ax.set_ylabel("mean share of a document's cycle time (%)")
    ax.set_title(f"Where the time goes{' - ' + title if title else ''}")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], fontsize="small", bbox_to_anchor=(1.02, 1),
              loc="upper left")  # top segment first, as stacked
    return ax


ON_TIME_GROUPS = {"type": "document type", "body_kind": "body kind"}


def on_time_table(
    documents: pd.DataFrame, by: str = "type", horizon_min: float | None = None
) -> pd.DataFrame:
    """On-time rate per platform and group: mean over replications with its 95% interval.

    A document counts when it is due: completed, or still open with its deadline before
    ``horizon_min`` (then it is late), as in the ``on_time_rate`` KPI. Without a horizon only
    completed documents count. ``late_share`` is 1 - ``on_time_rate`` (same half-width).
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
                     "late_share": 1.0 - ci["mean"], "half_width": ci["half_width"],
                     "replications": ci["n"], "documents": int(counts[(platform, group)])})
    return pd.DataFrame(rows, columns=["platform", by, "on_time_rate", "late_share",
                                       "half_width", "replications", "documents"])


def late_share(
    documents: pd.DataFrame, by: str = "type", horizon_min: float | None = None,
    title: str = "", ax: Axes | None = None,
) -> Axes:
    """Late documents (1 - on-time rate) by document type or body kind, per platform.

    The share is in % of the documents due by the horizon, one bar per platform with its 95%
    interval, the axis scaled to the data. On-time rates sit near 100%, where bars on a 0-100%
    axis all look alike; the late share is the same information with its differences visible.
    """
    from sim.experiments.statistics import MIN_INTERVAL_REPLICATIONS

    ax = new_axes(ax)
    table = on_time_table(documents, by, horizon_min)
    groups = sorted(table[by].unique())
    platforms = list(dict.fromkeys(table.platform))
    width = 0.8 / max(len(platforms), 1)
    x = np.arange(len(groups))
    top = 0.0
    digits = 2 if float(np.nanmax(table.late_share, initial=0.0)) < 0.01 else 1
    for i, platform in enumerate(platforms):
        rows = table[table.platform == platform].set_index(by).reindex(groups)
        late = rows.late_share.to_numpy(dtype=float) * 100.0
        # No whiskers from fewer than three replications: a t-interval on two is a guess.
        few = rows.replications.to_numpy(dtype=float) < MIN_INTERVAL_REPLICATIONS
        half = np.where(few, 0.0, np.nan_to_num(rows.half_width.to_numpy(dtype=float))) * 100.0
        # The interval of a share cannot leave 0-100%: whiskers stop there.
        low, high = np.minimum(half, np.nan_to_num(late)), np.minimum(half, 100.0 - late)
        bars = ax.bar(x + (i - (len(platforms) - 1) / 2) * width, late, width,
                      yerr=np.nan_to_num(np.vstack([low, high])), capsize=3,
                      label=architecture_label(str(platform)), color=COLOURS.get(str(platform)))
        ax.bar_label(bars, ["" if np.isnan(v) else f"{v:.{digits}f}" if v else "0"
                            for v in late],
                     fontsize="x-small", padding=1)
        top = max(top, float(np.nanmax(late + high, initial=0.0)))
    ax.set_xticks(x, [str(g).replace("_", " ") for g in groups], rotation=20, ha="right")
    top = top * 1.15 if top > 0 else 1.0
    ax.set_ylim(0, min(100.0, top))
    ax.set_ylabel("late, % of the documents due\nby the horizon", fontsize="small")
    ax.set_xlabel(ON_TIME_GROUPS[by])
    ax.set_title(f"Late documents by {ON_TIME_GROUPS[by]}{' - ' + title if title else ''}")
    if platforms:
        few = bool((table.replications < MIN_INTERVAL_REPLICATIONS).all())
        ax.legend(title="mean (no interval:\nunder 3 replications)" if few else "mean, 95% CI",
                  fontsize="small", bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def paired_differences_plot(summary: pd.DataFrame, kpis: list[str] | None = None,
                            title: str = "", pair: tuple[str, str] = PAIR,
                            names: tuple[str, str] | None = None) -> Axes:
    """Each KPI's paired OSDO - ESED difference with its 95% interval, a panel per KPI.

    Every panel has its own axis in the KPI's unit (percentage points for shares), with zero
    marked; a point is green where OSDO is better and the interval leaves out zero, red where
    it is worse, grey where the two could not be told apart (or neither direction is better).
    ``pair`` names two other values of the ``platform`` column to difference instead (two
    lever settings, say), ``names`` how the title calls them. Returns the first panel's axes
    (``ax.figure`` is the figure).
    """
    from sim.experiments.comparison import display_unit, format_value, verdict
    from sim.experiments.statistics import interval_words, paired_differences, shown_ci

    kpis = [k for k in (kpis or MAIN_KPIS) if k in summary]
    paired = paired_differences(summary, *pair)
    first, second = names or tuple(architecture_label(p) for p in pair)
    fig, axes = plt.subplots(len(kpis), 1, figsize=(8.5, 0.78 * len(kpis) + 1.0), squeeze=False)
    for ax, kpi in zip(axes[:, 0], kpis, strict=True):
        ci = shown_ci(paired.get(kpi))  # no interval drawn from too few replications
        scale, unit = display_unit(kpi, difference=True)
        mean, half = ci["mean"] * scale, np.nan_to_num(ci["half_width"]) * scale
        better = KPIS[kpi].higher_is_better if kpi in KPIS else None
        kind = verdict(ci)
        colour = "grey"
        if kind in ("apart", "sign") and better is not None:
            colour = "tab:green" if (mean > 0) == better else "tab:red"
        ax.axvline(0.0, color="black", lw=0.8)
        if not np.isnan(mean):
            ax.errorbar([mean], [0.0], xerr=[[half], [half]], fmt="o", color=colour, capsize=4,
                        lw=1.6)
        reach = max(abs(mean - half), abs(mean + half), 1e-12) if not np.isnan(mean) else 1.0
        ax.set_xlim(-reach * 1.25, reach * 1.25)
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize="x-small", pad=1)
        ax.set_ylabel(kpi_panel_label(kpi), rotation=0, ha="right", va="center",
                      fontsize="x-small")
        ax.text(1.01, 0.5, format_value(kpi, ci["mean"], ci["half_width"], difference=True),
                transform=ax.transAxes, va="center", fontsize="x-small")
        ax.set_xlabel(unit, fontsize="x-small", labelpad=0)
    n = max((paired.get(k, {}).get("n", 0) for k in kpis), default=0)
    fig.suptitle(f"{first} − {second}, paired over {n} replications, 95% intervals"
                 if not interval_words(n) else f"{first} − {second}, {interval_words(n)}"
                 f"{' - ' + title if title else ''}", fontsize="medium")
    return axes[0, 0]


#: How each kind of policy event is marked over time: waves and share steps as vertical lines,
#: ramps as light spans, incidents as red spans. Each artist's gid is the event's kind.
EVENT_STYLES: dict[str, dict[str, Any]] = {
    "wave": {"color": "tab:green", "ls": "--", "lw": 1.3},
    "step": {"color": "dimgrey", "ls": ":", "lw": 1.3},
    "ramp": {"color": "tab:purple", "alpha": 0.12, "lw": 0},
    "incident": {"color": "tab:red", "alpha": 0.25, "lw": 0},
}
_SPANS = frozenset({"ramp", "incident"})
#: The four panels over time: weekly column, axis label, factor to the shown unit.
_OVER_TIME_PANELS = [
    ("completed", "documents completed\nin the week", 1.0),
    ("open_documents", "open documents at 10:00\n(mean of the working days)", 1.0),
    ("on_time_rate", "on time, % of the\nweek's completed", 100.0),
    ("staff_online", "staff online\n(working hours)", 1.0),
]


#: Event numbers closer than this share of the x axis are stacked, not printed on each other.
_NUMBER_GAP = 0.035
#: The on-time panel spans at least this many percentage points below 100: week-to-week noise
#: of a tenth of a point must not fill the panel.
ON_TIME_MIN_SPAN = 5.0


def number_levels(positions: list[float], width: float, gap: float = _NUMBER_GAP) -> list[int]:
    """The row each event number goes in: 0, or one up from a number too close on its left."""
    levels: list[int] = []
    for i, x in enumerate(positions):
        near = [levels[j] for j in range(i) if abs(x - positions[j]) < gap * width]
        level = 0
        while level in near:
            level += 1
        levels.append(level)
    return levels


def _mark_events(axes: list[Axes], events: pd.DataFrame | None,
                 width: float = 1.0) -> tuple[list[Artist], int]:
    """Every policy event on every panel, numbered in time order above the top one.

    Returns a legend entry per event: its number, kind and label (and the architectures it
    touched when not all of them), drawn as it is marked, and how many rows the numbers took.
    Numbers and a key, not labels on the panels, because labels of events close together would
    overwrite each other; numbers closer than :data:`_NUMBER_GAP` of the axis (``width`` weeks)
    are stacked.
    """
    table = distinct_events(events)
    names = {p: architecture_label(p) for p in ARCHITECTURES}
    entries: list[Artist] = []
    levels = number_levels(list(table.start_min / WEEK_MIN), width)
    for number, row in enumerate(table.itertuples(), start=1):
        style = EVENT_STYLES.get(row.kind, EVENT_STYLES["step"])
        start, end = row.start_min / WEEK_MIN, row.end_min / WEEK_MIN
        for ax in axes:
            if row.kind in _SPANS:
                ax.axvspan(start, max(end, start), gid=row.kind, **style)
            else:
                ax.axvline(start, gid=row.kind, **style)
        axes[0].text(start, 1.01 + 0.075 * levels[number - 1], str(number),
                     transform=axes[0].get_xaxis_transform(),
                     ha="center", va="bottom", fontsize="small", fontweight="bold",
                     color=style["color"], gid=row.kind)
        text = "\n".join(textwrap.wrap(
            f"{number} {event_kind_words(row.kind)}: {row.label}"
            + event_reach_words(row.platforms, row.all_platforms, names), 42))
        entries.append(Patch(label=text, **style) if row.kind in _SPANS
                       else Line2D([], [], label=text, **style))
    return entries, max(levels, default=-1) + 1


#: Week ticks: at most this many labelled (every week gets a small unlabelled tick).
_MAX_WEEK_LABELS = 9


def _week_ticks(ax: Axes, weekly: pd.DataFrame) -> None:
    """Week numbers with their Monday's date, about nine at most, a small tick every week."""
    weeks = weekly.drop_duplicates("week").sort_values("week")
    step = max(1, int(np.ceil(len(weeks) / _MAX_WEEK_LABELS)))
    shown = weeks.iloc[::step]
    ax.set_xticks(weeks.week - 0.5, minor=True)
    ax.set_xticks(shown.week - 0.5, [f"{w}\n{date_words(str(d), short=True)}"
                                     for w, d in zip(shown.week, shown.week_start, strict=True)],
                  fontsize="small")
    ax.set_xlim(0, float(weeks.week.max()) if len(weeks) else 1.0)
    ax.set_xlabel("week (and its Monday)")


def _holiday_weeks(axes: list[Axes], weekly: pd.DataFrame) -> list[Artist]:
    """Weeks with public holidays shaded on every panel, named in the top one.

    A holiday week has fewer working days, so fewer completions: unmarked, its dip reads as
    the effect of whatever policy event falls in it. Returns the legend entry (none: no such
    week).
    """
    if "holidays" not in weekly:
        return []
    weeks = weekly.drop_duplicates("week")
    weeks = weeks[weeks.holidays.fillna("").astype(str) != ""]
    for row in weeks.itertuples():
        for ax in axes:
            ax.axvspan(row.week - 1, row.week, color="gold", alpha=0.18, lw=0, gid="holiday")
        parts = str(row.holidays).split("; ")
        names = textwrap.shorten(parts[0].split(" (")[0], 20, placeholder="…") + (
            f" +{len(parts) - 1}" if len(parts) > 1 else "")
        axes[0].text(row.week - 0.5, 0.97, f"{names}: {int(row.working_days)} d",
                     transform=axes[0].get_xaxis_transform(), rotation=90, ha="center",
                     va="top", fontsize=6.5, color="saddlebrown", gid="holiday",
                     bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 0.5})
    if weeks.empty:
        return []
    return [Patch(color="gold", alpha=0.3,
                  label="week with public holidays\n(named: its working days)")]


def _on_time_limits(ax: Axes, values: np.ndarray) -> None:
    """The on-time panel from at least :data:`ON_TIME_MIN_SPAN` points below 100% to 100%."""
    finite = values[np.isfinite(values)]
    low = min(float(finite.min()) if len(finite) else 100.0, 100.0 - ON_TIME_MIN_SPAN)
    pad = (100.0 - low) * 0.05
    ax.set_ylim(low - pad, 100.0 + pad)


def over_time(weekly: pd.DataFrame, events: pd.DataFrame | None = None, title: str = "",
              axes: list[Axes] | None = None, warmup_min: float | None = None) -> Axes:
    """A run week by week (:func:`sim.outputs.over_time.weekly`), four panels, the events marked.

    Documents completed, open documents at 10:00 (with the lowest-highest replication band),
    on-time rate and staff online; a line per architecture, each value at its week's middle.
    Policy events (:data:`EVENT_STYLES`) and the warm-up (grey) are marked on every panel, the
    events numbered above the top one and named in its legend.
    ``axes``: four axes to draw on. Returns the top panel's axes (``ax.figure`` is the figure).
    """
    if axes is None:
        _, grid = plt.subplots(len(_OVER_TIME_PANELS), 1, figsize=(9, 9.5), sharex=True)
        axes = list(grid)
    holiday = _holiday_weeks(axes, weekly)
    for platform, rows in weekly.groupby("platform", sort=False):
        colour, label = COLOURS.get(str(platform)), architecture_label(str(platform))
        x = rows.week.to_numpy(dtype=float) - 0.5
        for ax, (column, _, scale) in zip(axes, _OVER_TIME_PANELS, strict=True):
            ax.plot(x, rows[column].to_numpy(dtype=float) * scale, marker="o", ms=3,
                    color=colour, label=label)
        axes[1].fill_between(x, rows.open_documents_min.to_numpy(dtype=float),
                             rows.open_documents_max.to_numpy(dtype=float), color=colour,
                             alpha=0.2, lw=0, label=f"{label}: lowest to highest replication")
    for ax, (_, ylabel, _) in zip(axes, _OVER_TIME_PANELS, strict=True):
        if warmup_min:
            ax.axvspan(0.0, warmup_min / WEEK_MIN, color="grey", alpha=0.1, lw=0,
                       label="warm-up (left out of the KPIs)" if ax is axes[0] else "_nolegend_")
        ax.set_ylabel(ylabel, fontsize="small")
    on_time = [c for c, _, _ in _OVER_TIME_PANELS].index("on_time_rate")
    _on_time_limits(axes[on_time], weekly.on_time_rate.to_numpy(dtype=float) * 100.0)
    width = float(weekly.week.max()) if len(weekly) else 1.0
    marks, rows = _mark_events(axes, events, width)
    _week_ticks(axes[-1], weekly)
    axes[0].set_title(f"Week by week{' - ' + title if title else ''}", pad=14 + 9 * max(
        rows - 1, 0))
    handles, _ = axes[0].get_legend_handles_labels()
    axes[0].legend(handles=[*handles, *holiday, *marks], fontsize="x-small",
                   bbox_to_anchor=(1.01, 1), loc="upper left")
    axes[1].legend(fontsize="x-small", bbox_to_anchor=(1.01, 1), loc="upper left")
    return axes[0]


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
    weekly: pd.DataFrame | None = None  #: :func:`sim.outputs.over_time.weekly`
    events: pd.DataFrame | None = None  #: :func:`sim.outputs.over_time.events_table`


@dataclass(frozen=True)
class RunFigure:
    """One figure of a run: its file in the run folder, its caption in the report, its drawing."""

    filename: str
    caption: str
    needs_documents: bool
    draw: Callable[[FigureData], Axes]
    needs_pair: bool = False  #: drawn only when OSDO and ESED both ran, 2+ replications each
    #: Drawn only when this says so (None: always, within the two conditions above).
    shown: Callable[[FigureData], bool] | None = None
    #: The report's section that shows it: ``plots``, or ``over_time`` (with its words).
    section: str = "plots"


def _late(by: str) -> RunFigure:
    return RunFigure(
        f"late_by_{by}.png",
        f"Late documents by {ON_TIME_GROUPS[by]}: the share of documents due by the horizon "
        "that were not completed by their deadline (1 - on-time rate); bars are means over "
        "replications, whiskers 95% intervals; the axis is scaled to the data.", True,
        lambda d: late_share(d.documents, by=by, horizon_min=d.horizon_min, title=d.title))


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
    _late("type"),
    _late("body_kind"),
    RunFigure("paired_differences.png",
              "OSDO − ESED for each main KPI, paired over replications (common random numbers),"
              " with 95% intervals; each panel has its own unit. Green: OSDO better, red: OSDO "
              "worse, grey: could not tell apart (or neither direction is better).", False,
              lambda d: paired_differences_plot(d.summary, title=d.title), needs_pair=True),
    RunFigure("over_time.png",
              "Week by week: documents completed, open documents at 10:00 (mean of the week's "
              "working days; the band spans the lowest to the highest replication), the on-time "
              "rate of the week's completed documents and staff online in working hours, means "
              "over replications. Migration waves are dashed green lines, share steps dotted "
              "grey ones, ramps light purple spans, incidents red spans; the warm-up is grey.",
              False, lambda d: over_time(d.weekly, d.events, title=d.title,
                                         warmup_min=d.warmup_min),
              shown=lambda d: shows_over_time(d.weekly, d.events), section="over_time"),
]


def run_figures(data: FigureData) -> list[RunFigure]:
    """The figures ``data`` can draw.

    Those of documents only when documents were kept, the paired ones only when OSDO and ESED
    both ran two replications or more, and each only when its own ``shown`` says so.
    """
    has_documents = data.documents is not None and not data.documents.empty
    runs = data.summary.groupby("platform").size()
    has_pair = all(runs.get(p, 0) >= 2 for p in PAIR)
    return [f for f in RUN_FIGURES if (has_documents or not f.needs_documents)
            and (has_pair or not f.needs_pair) and (f.shown is None or f.shown(data))]
