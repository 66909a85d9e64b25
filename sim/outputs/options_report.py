"""An options folder in words and as a self-contained HTML page (``sim report OPTIONS_DIR``).

:func:`ranking_words` says which option to take first and how sure that is, what the budget
buys, which comparisons the sequential selection left undecided, and where the ranking would
flip: at which value of an hour saved, and at which cost of the best arm. The page reads the
folder only (options.csv, ranks.csv, portfolio.csv, acceptability.csv, costs.csv,
summary.json, plots/).
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model.kpis import KPIS
from sim.outputs.report import CSS, ReportError, figure_html, write_page

__all__ = ["ranking_words", "OptionsFolder", "load_options_folder", "render_options",
           "write_options_report"]

_MILLION = 1e6


@dataclass
class OptionsFolder:
    """What an options folder holds, read back."""

    folder: Path
    summary: dict[str, Any]
    options: pd.DataFrame
    ranks: pd.DataFrame
    portfolio: pd.DataFrame
    acceptability: pd.DataFrame
    costs: pd.DataFrame

    # The attributes ranking_words reads, named as an Appraisal names them.
    @property
    def best(self) -> str:
        """The arm ranked first."""
        return str(self.summary["best"])

    @property
    def criterion(self) -> str:
        """What the ranking maximised, in words."""
        return str(self.summary["criterion"])

    @property
    def undecided(self) -> list[str]:
        """Arms the sequential selection could not rule out."""
        return list(self.summary.get("undecided") or [])

    @property
    def selected(self) -> list[str]:
        """Arms left in contention by the sequential selection."""
        return list(self.summary.get("selection_survivors") or [])

    @property
    def volume(self) -> float:
        """Documents a year the effects are multiplied by."""
        value = self.summary.get("documents_per_year")
        return math.nan if value is None else float(value)


def _money(tenge: float) -> str:
    if abs(tenge) >= _MILLION:
        return f"{tenge / _MILLION:,.1f} million tenge"
    return f"{tenge:,.0f} tenge"


def _ratio(value: float) -> str:
    """A cost per unit gained, to three significant figures."""
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _effect(row: pd.Series, kpi: str) -> str:
    unit = KPIS[kpi].unit
    scale, shown = (100.0, "percentage points") if unit == "share" else (1.0, unit)
    mean = row[f"{kpi}_effect"] * scale
    low, high = row[f"{kpi}_low"] * scale, row[f"{kpi}_high"] * scale
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{mean:+.2f} {shown} (no interval)"
    half = (high - low) / 2
    if low <= 0 <= high:
        verdict = "could not tell from the base"
    else:
        verdict = "told apart from the base"
    return f"{mean:+.2f} ± {half:.2f} {shown} ({verdict})"


def _settings(source: Any) -> dict[str, Any]:
    """The study's settings from a study (live) or a folder's summary.json."""
    if isinstance(source, dict):
        return source
    spec = source.spec
    return {"objectives": [{"kpi": o.kpi} for o in source.objectives],
            "value_per_hour": spec.value_per_hour, "budget": spec.budget,
            "indifference": spec.selection.indifference, "alpha": spec.selection.alpha,
            "replications": spec.replications,
            "max_replications": spec.max_replications or spec.replications,
            "options": [{"name": o.name, "set": o.set} for o in spec.options]}


def ranking_words(result: Any, study: Any) -> list[str]:
    """The options' ranking in sentences.

    From an :class:`~sim.experiments.appraisal.Appraisal` (or an :class:`OptionsFolder`) and
    the study (or the folder's summary).
    """
    settings = _settings(study)
    table = result.options
    kpi = settings["objectives"][0]["kpi"]
    words = []
    row = table.set_index("option").loc[result.best]
    p = float(row.prob_best)
    sure = ("fairly sure" if p >= 0.8 else "not sure: another arm is best in many draws"
            if p < 0.5 else "moderately sure")
    what = {"net benefit": "the most net benefit",
            "gain within budget": "the largest effect within the budget",
            "gain": "the largest effect"}[result.criterion]
    words.append(f"Best ({what}): {result.best}, best in {p:.0%} of bootstrap draws over "
                 f"replications ({sure}); its effect on {kpi}: {_effect(row, kpi)}, at "
                 f"{_money(row.cost)} a year.")
    frontier = table[table.on_frontier].sort_values("cost")
    steps = frontier[frontier.option != "base"]
    if len(steps):
        first = steps.iloc[0]
        per = "icer_per_hour" if "icer_per_hour" in table else "icer"
        unit = "tenge per document-hour of delay saved" if per == "icer_per_hour" else \
            f"tenge a year per unit of {kpi}"
        words.append(f"Take first: {first.option}, the first step of the efficiency frontier "
                     f"({_money(first.cost)} a year, {_ratio(first[per])} {unit}).")
        chain = " -> ".join(f"{r.option} ({_ratio(r[per])})" for _, r in steps.iterrows())
        words.append(f"Efficiency frontier, cheapest first, with the incremental cost ({unit}) "
                     f"of each step: base -> {chain}; each figure is the value of an hour at "
                     f"which that step starts to pay. Off the frontier: "
                     f"{(table.dominance == 'dominated').sum()} dominated, "
                     f"{(table.dominance == 'extended').sum()} extendedly dominated.")
    else:
        words.append("No option improves on the base for its cost: the frontier is the base.")
    if len(result.portfolio):
        chosen = result.portfolio[result.portfolio.in_portfolio]
        names = ", ".join(chosen.option) or "none"
        odds = ", ".join(f"{r.option} {r.probability:.0%}"
                         for r in result.portfolio.itertuples())
        words.append(f"Within the budget of {_money(settings['budget'])} a year: {names}; "
                     f"share of draws in which each option is in the best portfolio: {odds}.")
    if result.undecided:
        more = " ..." if len(result.undecided) > 6 else ""
        done = settings["max_replications"]
        words.append(f"Undecided: after {done} replication(s), Kim-Nelson's selection"
                     f" ({1 - settings.get('alpha', 0.05):.0%}, indifference zone "
                     f"{settings['indifference']:g} "
                     f"{KPIS[kpi].unit}) still has {len(result.undecided)} arm(s) besides "
                     f"{result.best} in contention: {', '.join(result.undecided[:6])}{more}; "
                     f"--max-replications N adds replications to those arms only.")
    elif len(result.selected) == 1:
        words.append(f"Kim-Nelson's sequential selection kept {result.selected[0]} alone.")
    words += _flip_words(result, settings)
    words += _acts_through(result.best, settings)
    return words


def _acts_through(best: str, settings: dict[str, Any]) -> list[str]:
    """What the best arm changes: its effect is as large as the model's factors behind it."""
    sets = {o["name"]: o["set"] for o in settings.get("options", [])}
    paths = [p for name in best.split(" + ") for p in sets.get(name, {})]
    if not paths:
        return []
    return [f"{best} acts through {', '.join(paths)}: its effect is only as large as the "
            f"model's factors behind these fields (handling-time and rework factors, "
            f"connection classes, the UI factor; docs/model.md says which are assumptions), so "
            f"the ranking would move with them; a sweep over those factors shows how far."]


def _flip_words(result: Any, settings: dict[str, Any]) -> list[str]:
    """Where the ranking would flip: the best arm's cost at which the runner-up overtakes."""
    table = result.options
    if "net_benefit" not in table or len(table) < 2:
        return []
    ordered = table.sort_values("net_benefit", ascending=False)
    top, second = ordered.iloc[0], ordered.iloc[1]
    margin = float(top.net_benefit - second.net_benefit)
    words = [f"The ranking flips if {top.option}'s cost rises by {_money(margin)} a year "
             f"({margin / top.cost:.0%} of it) or {second.option}'s falls as much"
             if top.cost > 0 else
             f"{top.option} costs nothing; {second.option} would need to cost "
             f"{_money(margin)} a year less to overtake it"]
    costs = result.costs
    members = str(top.option).split(" + ")
    marked = costs[costs.option.isin(members) &
                   costs.source.str.contains("assumption", case=False)]
    if len(marked):
        words[0] += (f"; of its cost, {', '.join(marked.item.str.split(',').str[0])} "
                     f"({_money(marked.annualised.sum())} a year) rest on assumptions")
    words[0] += (f". These figures take an hour of delay saved on one document at "
                 f"{settings['value_per_hour']:,.0f} tenge (an assumption); the acceptability "
                 f"curve shows the best arm at every value.")
    return words


def load_options_folder(folder: str | Path) -> OptionsFolder:
    """Read an options folder; :class:`ReportError` if its tables are not there yet."""
    folder = Path(folder)
    needed = ["summary.json", "options.csv"]
    missing = [n for n in needed if not (folder / n).is_file()]
    if missing:
        raise ReportError(f"{folder}: an options folder without {', '.join(missing)} (still "
                          f"running, or interrupted?): rerun `sim options ... --out {folder} "
                          f"--resume` to write them")

    def table(name: str) -> pd.DataFrame:
        path = folder / name
        return pd.read_csv(path) if path.is_file() and path.stat().st_size else pd.DataFrame()

    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    portfolio = table("portfolio.csv")
    if len(portfolio):
        portfolio["in_portfolio"] = portfolio.in_portfolio.astype(bool)
    options = table("options.csv")
    options["on_frontier"] = options.on_frontier.astype(bool)
    options["dominance"] = options.dominance.fillna("")
    return OptionsFolder(folder, summary, options, table("ranks.csv"), portfolio,
                         table("acceptability.csv"), table("costs.csv"))


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Money in million tenge, counts whole, other numbers to three figures, for a page."""
    out = frame.copy()
    for column in ("cost", "one_off", "yearly", "annualised"):
        if column in out:
            out[column] = (out[column] / _MILLION).map(lambda v: f"{v:,.2f}")
    for column in ("units", "amount"):
        if column in out:
            out[column] = out[column].map(lambda v: f"{v:,.0f}")
    return out


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, float_format=lambda v: f"{v:,.3g}",
                         na_rep="", classes="kpi")


def render_options(data: OptionsFolder) -> str:
    """The whole page as one HTML string (no external resources)."""
    s = data.summary
    title = f"docflow-sim options report: {s['name']}"
    kpis = [o["kpi"] for o in s["objectives"]]
    shown = ["option", "cost", *[f"{k}_effect" for k in kpis], "on_frontier", "dominance",
             "prob_best"]
    shown = [c for c in shown if c in data.options]
    parts = [
        "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<link rel='icon' href='data:,'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>{html.escape(str(s.get('description', '')))} Base: "
        f"{html.escape(str(s['base']))} on {html.escape(s['platform'].upper())}, seed "
        f"{s['seed']}, {s['replications']} replication(s) of every arm (up to "
        f"{s['max_replications']} by Kim-Nelson's procedure), common random numbers; costs in "
        f"tenge a year, one-off outlays annualised at {s['discount_rate']:.0%} over their life "
        f"({s['life_years']:g} years unless an item says). Effects are the arm minus the base, "
        f"paired over replications, with 95% Student-t intervals.</p>",
        "<section id='ranking'><h2>Which option first, and how sure</h2><ul class='findings'>",
        *[f"<li>{html.escape(w)}</li>" for w in ranking_words(data, s)],
        "</ul></section>",
        "<section id='options'><h2>Every option and combination</h2>",
        "<p>Cost in million tenge a year; effects are arm minus base in the KPI's unit (shares "
        "as fractions), with the 95% interval in options.csv.</p>",
        _table_html(_readable(data.options[shown])), "</section>",
        "<section id='costs'><h2>Costs and their sources</h2>",
        _table_html(_readable(data.costs)), "</section>",
        "<section id='plots'><h2>Figures</h2>",
    ]
    from sim.outputs.options_plots import OPTIONS_FIGURES

    for name, caption in OPTIONS_FIGURES.items():
        path = data.folder / "plots" / name
        if path.is_file():
            parts.append(figure_html(caption, base64.b64encode(path.read_bytes()).decode()))
    parts += ["</section>", "</body></html>"]
    return "\n".join(parts)


def write_options_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of an options folder (default ``FOLDER/report.html``); its path."""
    data = load_options_folder(folder)
    return write_page(render_options(data), data.folder, out)
