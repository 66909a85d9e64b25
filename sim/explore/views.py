"""What the explorer's page shows, as HTML text and PNG images (no web framework here).

The numbers are formatted as everywhere else (:func:`sim.experiments.comparison.format_value`),
a difference is claimed only as far as its interval allows
(:func:`sim.experiments.comparison.verdict`: "could not tell apart" where it includes zero, a
direction only where it is wide), and a finished OSDO-ESED run gets the report's own findings
and figures (:mod:`sim.outputs.report`), read from the run folder the job wrote.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.comparison import format_value, verdict
from sim.experiments.statistics import interval_words, mean_ci
from sim.explore.jobs import Snapshot
from sim.model.kpis import KPIS, MAIN_KPIS

__all__ = ["kpi_table", "trace_table", "difference_words", "paired_png", "run_findings",
           "run_figures", "ab_findings", "figure_png", "frontier_png", "table_html"]


def figure_png(fig: Any, dpi: int = 90) -> str:
    """A Matplotlib figure as base64 PNG text (and the figure closed)."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def img(png: str, alt: str, css_id: str = "") -> str:
    """An inline image: the page fetches nothing for it."""
    ident = f" id='{css_id}'" if css_id else ""
    return (f"<img{ident} alt='{html.escape(alt)}' style='max-width:100%' "
            f"src='data:image/png;base64,{png}'>")


def difference_words(kpi: str, diff: dict[str, float], first: str, second: str) -> str:
    """What a paired difference ``first - second`` allows one to say, in a few words."""
    n, mean = int(diff.get("n") or 0), diff.get("mean", math.nan)
    if n >= 2 and mean == 0 and diff.get("half_width") == 0:
        return "the same in every replication"  # no interval needed to say that
    kind = verdict(diff)
    if kind == "none":
        if mean is None or math.isnan(mean):
            return "no value: not defined in these runs"
        return f"no interval yet: {interval_words(max(n, 1)).removesuffix(': no interval')}"
    if kind == "same":
        return "the same in every replication"
    if kind == "unclear":
        return "could not tell apart (the interval includes zero)"
    way = "higher" if diff["mean"] > 0 else "lower"
    if kind == "sign":
        return f"{first} looks {way} than {second}; by how much could not be pinned down"
    size = format_value(kpi, abs(diff["mean"]), difference=True).lstrip("+")
    return f"{first} is {way} than {second} by {size}"


def _cell(kpi: str, ci: dict[str, float], attrs: str, difference: bool = False) -> str:
    half = ci.get("half_width", math.nan)
    data = "" if half is None or math.isnan(half) else f" data-half-width='{half!r}'"
    return (f"<td class='n' data-n='{ci.get('n', 0)}'{data} {attrs}>"
            f"{html.escape(format_value(kpi, ci.get('mean'), half, difference=difference))}"
            "</td>")


def kpi_table(snap: Snapshot, kpis: list[str] | None = None) -> str:
    """The KPIs so far: each arm's mean ± 95% half-width, the paired difference, in words.

    Every number cell carries its half-width (``data-half-width``) and replications
    (``data-n``) for whoever reads the page by machine.
    """
    if snap.summary.empty:
        return "<p class='text-muted'>No replication has finished yet.</p>"
    first, second = snap.request.arms
    paired = snap.paired()
    header = (f"<tr><th>KPI</th><th>{html.escape(first.label)}</th>"
              f"<th>{html.escape(second.label)}</th><th>{html.escape(first.label)} − "
              f"{html.escape(second.label)} (paired)</th><th>what it says</th></tr>")
    rows = []
    for kpi in kpis or MAIN_KPIS:
        cells = []
        for arm in (first, second):
            values = snap.summary.loc[snap.summary.platform == arm.key, kpi].to_numpy()
            cells.append(_cell(kpi, mean_ci(values), f"data-arm='{arm.key}'"))
        diff = paired.get(kpi, {"mean": math.nan, "half_width": math.nan, "n": 0})
        cells.append(_cell(kpi, diff, "data-arm='difference'", difference=True))
        words = difference_words(kpi, diff, first.label, second.label)
        rows.append(f"<tr data-kpi='{kpi}'><td title='{html.escape(KPIS[kpi].meaning)}'>"
                    f"{html.escape(kpi)}</td>" + "".join(cells)
                    + f"<td class='words'>{html.escape(words)}</td></tr>")
    return (f"<div style='overflow-x: auto'><table id='kpi-table' class='table table-sm' "
            f"data-replications='{snap.replications}'><thead>{header}</thead><tbody>"
            f"{''.join(rows)}</tbody></table></div>")


def trace_table(snap: Snapshot) -> str:
    """How the intervals narrow: per replication, the rule KPI's half-width per arm."""
    if not snap.trace:
        return ""
    first, second = snap.request.arms
    kpi = snap.request.kpi
    rows = []
    for row in snap.trace:
        widths = "".join(f"<td class='n' data-arm='{a.key}' data-width='{row[a.key]!r}'>"
                         f"{row[a.key]:.1%}</td>" for a in (first, second))
        half = row["difference_half_width"]
        text = format_value(kpi, row["difference"], half, difference=True)
        rows.append(f"<tr data-replications='{row['replications']}'><td class='n'>"
                    f"{row['replications']}</td>{widths}<td class='n' "
                    f"data-half-width='{half!r}'>{html.escape(text)}</td></tr>")
    return (f"<p class='small'>Half-width of {html.escape(kpi)}'s 95% interval over its mean, "
            f"per replication; then {html.escape(first.label)} − {html.escape(second.label)}."
            f"</p><table id='trace-table' class='table table-sm'><thead><tr><th>n</th>"
            f"<th>{html.escape(first.label)}</th><th>{html.escape(second.label)}</th>"
            f"<th>{html.escape(first.label)} − {html.escape(second.label)}</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def paired_png(snap: Snapshot) -> str | None:
    """The paired-difference figure of the replications so far (None before two)."""
    if snap.replications < 2:
        return None
    from sim.outputs.plots import paired_differences_plot

    first, second = snap.request.arms
    ax = paired_differences_plot(snap.summary, pair=(first.key, second.key),
                                 names=(first.label, second.label))
    return figure_png(ax.figure)


def run_findings(run_dir: Path) -> list[str]:
    """The report's findings of a finished OSDO-ESED run folder (HTML-safe)."""
    from sim.outputs.report import findings, load_run

    return findings(load_run(run_dir))


def run_figures(run_dir: Path) -> list[tuple[str, str]]:
    """The report's figures of a finished run folder: (caption, base64 PNG)."""
    from sim.outputs.report import figures, load_run

    run = load_run(run_dir)
    return figures(run) + figures(run, "over_time")


def ab_findings(snap: Snapshot) -> list[str]:
    """B against A in sentences, one per main KPI, never claiming more than the interval."""
    first, second = snap.request.arms
    paired = snap.paired()
    out = []
    for kpi in MAIN_KPIS:
        diff = paired.get(kpi)
        if not diff:
            continue
        words = difference_words(kpi, diff, first.label, second.label)
        number = format_value(kpi, diff["mean"], diff["half_width"], difference=True)
        out.append(html.escape(f"{kpi}: {words} ({first.label} − {second.label} = {number}, "
                               f"paired 95% interval over {diff['n']} replications)."))
    return out


def table_html(frame: pd.DataFrame, css_id: str, limit: int = 200) -> str:
    """A small table as HTML (the first ``limit`` rows)."""
    return frame.head(limit).to_html(index=False, table_id=css_id, classes="table table-sm",
                                     na_rep="", float_format=lambda x: f"{x:.4g}")


def frontier_png(options: pd.DataFrame, kpi: str) -> str:
    """Options' effect on ``kpi`` against their cost, the frontier joined, intervals as bars."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    effect = options[f"{kpi}_effect"]
    low = options.get(f"{kpi}_low", effect)
    high = options.get(f"{kpi}_high", effect)
    ax.errorbar(options.cost, effect, yerr=[(effect - low).abs(), (high - effect).abs()],
                fmt="o", color="grey", capsize=3, label="option (95% interval)")
    if "on_frontier" in options:
        front = options[options.on_frontier.astype(str).str.lower().isin(["true", "1"])]
        front = front.sort_values("cost")
        ax.plot(front.cost, front[f"{kpi}_effect"], "-o", color="tab:blue", label="frontier")
    for _, row in options.iterrows():
        ax.annotate(str(row.option), (row.cost, row[f"{kpi}_effect"]), fontsize="x-small",
                    xytext=(4, 4), textcoords="offset points")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xlabel("cost")
    ax.set_ylabel(f"effect on {kpi}")
    ax.legend(fontsize="small")
    return figure_png(fig)
