"""``sim report SWEEP_DIR``: one self-contained HTML page about a sweep, for people who plan.

The page holds the sweep's design (what was varied, over which values, how many replications of
which platforms, the seed), a table per main KPI of the paired OSDO - ESED difference at every
point with its 95% interval, worded as the run report words them (could not tell apart, a
direction only, a difference), and the sweep plots as base64 PNGs: the file opens anywhere,
offline. It reads the sweep folder only: the store's design (``sweep.sqlite``) and its runs
(``runs.csv``, or the store itself when the tables were not written yet).
"""

from __future__ import annotations

import base64
import html
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.architectures import ARCHITECTURES, PAIR
from sim.experiments.comparison import display_unit, format_value, verdict
from sim.experiments.statistics import mean_ci, shown_ci
from sim.experiments.store import STORE_FILE, read_meta, read_store
from sim.model.kpis import KPIS, MAIN_KPIS
from sim.outputs.report import CSS, ReportError, figure_html, write_page
from sim.outputs.words import kpi_title, parameter_words

__all__ = ["SweepData", "load_sweep_folder", "point_differences", "difference_table",
           "render_sweep", "write_sweep_report"]

_VERDICT_WORDS = {"apart": "told apart", "sign": "a direction only (a wide interval)",
                  "unclear": "could not tell apart", "same": "the same in every replication",
                  "none": "too few replications: no interval", "empty": "no value in these runs"}
_LEGEND = (
    "<p>Each cell is OSDO − ESED at that point, paired over its replications, with its 95% "
    "interval, in the unit under the KPI's name (hover the name for its meaning, or see the "
    "plots below); fewer than three replications give no interval. <b>Bold</b>: told apart "
    "(the interval leaves out zero and is at most half the difference); <b>?</b>: a direction "
    "only (the interval leaves out zero but is wide); grey: could not tell apart. Green: OSDO "
    "better, red: OSDO worse, where a direction is better. "
    "With few replications per point, expect some points to differ by chance alone.</p>")
_STYLE = """
table.differences td.unclear { color: #888; }
table.differences td.told { font-weight: bold; }
table.differences td.good { background: #e3f4e4; } table.differences td.bad { background: #fbe4e1; }
"""


class SweepData:
    """What a sweep folder holds, loaded once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        store = folder / STORE_FILE
        runs_csv = folder / "runs.csv"
        if not store.is_file() and not runs_csv.is_file():
            raise ReportError(f"{folder}: neither {STORE_FILE} nor runs.csv found; is this a "
                              "sweep folder written by `sim sweep`?")
        self.meta: dict[str, Any] = read_meta(store) if store.is_file() else {}
        try:
            self.runs = pd.read_csv(runs_csv) if runs_csv.is_file() else read_store(store)
        except (OSError, ValueError, sqlite3.Error) as exc:
            raise ReportError(f"{folder}: cannot read its runs ({exc})") from exc
        kpis_known = [c for c in self.runs.columns if c in KPIS]
        self.parameters: list[str] = self.meta.get("parameters") or _parameters(self.runs)
        self.kpis: list[str] = self.meta.get("kpis") or kpis_known
        self.name: str = str(self.meta.get("sweep") or folder.name)
        self.platforms: list[str] = self.meta.get("platforms") or list(
            dict.fromkeys(self.runs.platform))
        self.replications = self.meta.get("replications") or int(
            self.runs.groupby(["point", "platform"]).size().max() if len(self.runs) else 0)
        self.seed = self.meta.get("seed")
        sweep_yaml = folder / "sweep.yaml"
        self.description, self.design = "", ""
        if sweep_yaml.is_file():
            import yaml

            try:
                spec = yaml.safe_load(sweep_yaml.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError:
                spec = {}
            if isinstance(spec, dict):
                self.description = str(spec.get("description") or "")
                design = spec.get("design", "grid")
                self.design = str(design.get("kind", "") if isinstance(design, dict) else design)

    @property
    def ok(self) -> pd.DataFrame:
        """The runs that finished."""
        return self.runs[self.runs.status == "ok"] if "status" in self.runs else self.runs


def _parameters(runs: pd.DataFrame) -> list[str]:
    """The parameter columns of a runs table: between ``seed`` and ``status``."""
    columns = list(runs.columns)
    if "seed" in columns and "status" in columns:
        return columns[columns.index("seed") + 1:columns.index("status")]
    return []


def load_sweep_folder(folder: str | Path) -> SweepData:
    """Load a sweep folder for reporting; :class:`ReportError` if it is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a folder; give a sweep folder written by `sim sweep`")
    return SweepData(folder)


def point_differences(sweep: SweepData, kpi: str) -> pd.DataFrame:
    """Per point: its parameter values and the paired OSDO - ESED difference of ``kpi``.

    Paired per replication (the two share their random numbers); columns ``point``, the
    parameters, ``mean``, ``half_width``, ``low``, ``high``, ``n``. No rows unless both ran.
    """
    ok = sweep.ok
    keys = ["point", "replication"]
    a = ok[ok.platform == PAIR[0]].set_index(keys)
    b = ok[ok.platform == PAIR[1]].set_index(keys)
    common = a.index.intersection(b.index)
    diff = (a.loc[common, kpi].astype(float) - b.loc[common, kpi].astype(float)).rename("d")
    rows = []
    for point, values in diff.groupby(level="point", sort=True):
        first = a.loc[point].iloc[0]
        rows.append({"point": point, **{p: first[p] for p in sweep.parameters},
                     **mean_ci(values.to_numpy())})
    return pd.DataFrame(rows, columns=["point", *sweep.parameters, "mean", "half_width", "low",
                                       "high", "n"])


def _design_html(sweep: SweepData) -> str:
    ok = sweep.ok
    rows = []
    for p in sweep.parameters:
        values = list(dict.fromkeys(sweep.runs[p])) if p in sweep.runs else []
        shown = ", ".join(html.escape(_value(v)) for v in values[:12])
        if len(values) > 12:
            shown += f", … ({len(values)} values)"
        rows.append(f"<tr><td>{html.escape(parameter_words(p))}</td><td><code>"
                    f"{html.escape(p)}</code></td><td>{shown}</td></tr>")
    platforms = "; ".join(ARCHITECTURES[p].words if p in ARCHITECTURES else p
                          for p in sweep.platforms)
    points = sweep.runs.point.nunique() if len(sweep.runs) else 0
    failed = int((sweep.runs.status != "ok").sum()) if "status" in sweep.runs else 0
    lines = [
        f"<p><b>{html.escape(sweep.name)}</b>: "
        f"{html.escape(sweep.description.strip() or 'no description')}</p>",
        f"<p>{points} point(s)"
        + (f" of a {html.escape(sweep.design)} design" if sweep.design else "")
        + f" × {sweep.replications} replication(s) × {len(sweep.platforms)} platform(s) "
        f"({html.escape(platforms)}) = {len(sweep.runs)} runs stored, {len(ok)} finished"
        + (f", {failed} failed" if failed else "")
        + (f"; seed {sweep.seed}" if sweep.seed is not None else "")
        + ". OSDO and ESED of one point and replication share their random numbers (common "
        "random numbers), so their differences are paired.</p>",
        "<table class='design'><thead><tr><th>parameter</th><th>path</th><th>values</th></tr>"
        "</thead><tbody>" + "".join(rows) + "</tbody></table>",
    ]
    return "\n".join(lines)


def _value(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _cell(kpi: str, ci: dict[str, Any]) -> str:
    """One KPI's paired difference at one point: the number, coloured by what it allows."""
    kind = verdict(ci) if ci["n"] else "empty"
    better = KPIS[kpi].higher_is_better if kpi in KPIS else None
    css = {"apart": "told", "sign": "sign", "unclear": "unclear", "same": "unclear",
           "none": "unclear", "empty": "unclear"}[kind]
    if kind in ("apart", "sign") and better is not None:
        css += " good" if (ci["mean"] > 0) == better else " bad"
    shown = shown_ci(ci)
    text = (format_value(kpi, shown["mean"], shown["half_width"], difference=True, unit=False)
            if ci["n"] else "-")
    mark = "?" if kind == "sign" else ""
    return (f"<td class='n {css}' title='{_VERDICT_WORDS[kind]}, {ci['n']} pair(s)'>"
            f"{html.escape(text)}{mark}</td>")


def difference_table(sweep: SweepData, kpis: list[str]) -> str:
    """A row per point (its parameter values), a column per KPI: OSDO - ESED, paired."""
    tables = {k: point_differences(sweep, k).set_index("point") for k in kpis}
    points = sorted(set().union(*(t.index for t in tables.values()))) if tables else []
    head = "".join(f"<th>{html.escape(parameter_words(p))}</th>" for p in sweep.parameters)
    head += "".join(f"<th title='{html.escape(kpi_title(k))}'><code>{html.escape(k)}</code><br>"
                    f"{html.escape(display_unit(k, difference=True)[1])}</th>" for k in kpis)
    first = next(iter(tables.values()), pd.DataFrame())
    rows = []
    empty = {"mean": float("nan"), "half_width": float("nan"), "n": 0}
    for point in points:
        cells = "".join(f"<td>{html.escape(_value(first.loc[point, p]))}</td>"
                        for p in sweep.parameters)
        cells += "".join(_cell(k, tables[k].loc[point].to_dict() if point in tables[k].index
                               else empty) for k in kpis)
        rows.append(f"<tr><td class='n'>{point}</td>{cells}</tr>")
    return (f"<table class='differences'><thead><tr><th>point</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def sweep_figures(sweep: SweepData) -> list[tuple[str, str]]:
    """(caption, base64 PNG) of every sweep plot: the folder's plots/, or drawn here."""
    plots_dir = sweep.folder / "plots"
    # KPI__parameter.png only: sim sensitivity writes its own plots into the same folder.
    files = sorted(plots_dir.glob("*__*.png")) if plots_dir.is_dir() else []
    out = []
    if files:
        for path in files:
            kpi, _, parameter = path.stem.partition("__")
            out.append((_caption(kpi, parameter), base64.b64encode(path.read_bytes()).decode()))
        return out
    if sweep.ok.empty:
        return out
    import matplotlib.pyplot as plt  # here: matplotlib only when plots must be drawn

    from sim.outputs.sweep_plots import write_sweep_plots

    with tempfile.TemporaryDirectory() as tmp:
        for path in write_sweep_plots(sweep.runs, sweep.parameters, sweep.kpis, Path(tmp),
                                      sweep.name):
            kpi, _, parameter = path.stem.partition("__")
            out.append((_caption(kpi, parameter), base64.b64encode(path.read_bytes()).decode()))
    plt.close("all")
    return out


def _caption(kpi: str, parameter_file: str) -> str:
    return (f"{kpi_title(kpi)} ({kpi}) against {parameter_file.replace('_', ' ')}: mean and 95% "
            "band per platform over the runs at each value (pooled over any other parameter); "
            "below, the paired OSDO − ESED difference.")


def render_sweep(sweep: SweepData) -> str:
    """The whole page as one HTML string (no external resources)."""
    title = f"docflow-sim sweep report: {sweep.name}"
    both = set(PAIR) <= set(sweep.ok.platform) if len(sweep.ok) else False
    kpis = [k for k in sweep.kpis if k in sweep.runs] or [k for k in MAIN_KPIS if k in sweep.runs]
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<link rel='icon' href='data:,'>",
        f"<title>{html.escape(title)}</title><style>{CSS}{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p class='meta'>Intervals are 95% Student-t intervals over a point's replications; "
        "shares are in %, their differences in percentage points. A difference whose interval "
        "includes zero is one OSDO and ESED could not be told apart on; one whose interval is "
        "wider than half its size gives a direction only (marked ?).</p>",
        "<section id='design'><h2>The design</h2>", _design_html(sweep), "</section>",
        "<section id='differences'><h2>OSDO − ESED at each point</h2>",
    ]
    if both:
        parts.append(_LEGEND)
        parts.append(difference_table(sweep, kpis))
    else:
        parts.append("<p>Only " + ", ".join(p.upper() for p in dict.fromkeys(sweep.ok.platform))
                     + " finished runs: there is no paired difference to show.</p>")
    parts += ["</section>", "<section id='plots'><h2>Plots</h2>"]
    for caption, data in sweep_figures(sweep):
        parts.append(figure_html(caption, data))
    parts += ["</section>", "</body></html>"]
    return "\n".join(parts)


def write_sweep_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of a sweep folder (default ``FOLDER/report.html``); return its path."""
    sweep = load_sweep_folder(folder)
    return write_page(render_sweep(sweep), sweep.folder, out)
