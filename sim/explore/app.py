"""The explorer's page (Shiny for Python): levers, a streamed paired run, and browsing folders.

Every asset comes from the installed Shiny package (no CDN), figures are inline PNGs, and the
page talks only to the server it came from. The work is done by :class:`sim.explore.jobs.Explorer`
in a thread and a process pool; the page polls it a few times a second and redraws when a
replication has finished.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from shiny import App, reactive, render, ui

from sim.config import InputError, Scenario
from sim.config.architectures import PAIR, architecture_label
from sim.explore import browse
from sim.explore.jobs import Explorer, ab_request, pair_request
from sim.explore.levers import (
    LEVERS,
    describe_setting,
    lever_values,
    overrides_for,
    scenario_with,
    shipped_scenarios,
    source_of,
)
from sim.model.kpis import MAIN_KPIS

__all__ = ["make_app"]

POLL_S = 0.25  #: how often the page asks the job for news
CSS = """
.lever { margin-bottom: 0.6em; } .lever small { font-size: 0.75em; line-height: 1.2; }
td.n { text-align: right; white-space: nowrap; }
#kpi-table, #trace-table { font-size: 0.85em; width: 100%; }
#kpi-table td.n { white-space: normal; } #kpi-table td.words { min-width: 12em; }
#run-status[data-state=running] { color: #0b5ed7; }
#run-status[data-state=failed] { color: #b02a37; }
#run-status[data-state=cancelled] { color: #805b00; }
.busy::after { content: ' \\231B'; }
"""


def _scenario_choices(given: Path | None) -> dict[str, str]:
    """Path -> name of the scenarios to choose from: the one given, then the shipped ones."""
    out: dict[str, str] = {}
    if given is not None:
        out[str(given)] = given.name
    folder = shipped_scenarios()
    if folder is not None:
        for path in sorted(folder.glob("*.yaml")):
            out.setdefault(str(path), path.name)
    return out


def _lever_input(lever: Any, value: Any) -> Any:
    ident = f"lever_{lever.name}"
    label = ui.span(lever.label, " ", ui.tags.small(f"({lever.unit})", class_="text-muted"))
    if lever.kind == "slider":
        control = ui.input_slider(ident, label, lever.low, lever.high, value, step=lever.step)
    elif lever.kind == "number":
        # No min/max on the box: a value out of range reaches the scenario's validation,
        # which names the field and what is allowed, as the command line does.
        control = ui.input_numeric(ident, label, value)
    else:
        control = ui.input_select(ident, label, lever.choices(), selected=value)
    return ui.div(control, ui.tags.small(source_of(lever), class_="text-muted d-block"),
                  class_="lever")


def _run_controls() -> list[Any]:
    return [
        ui.hr(),
        ui.input_radio_buttons("mode", "Compare", {
            "pair": "OSDO − ESED on these levers",
            "ab": "A/B: these levers (B) against a kept setting A"}),
        ui.panel_conditional(
            "input.mode === 'ab'",
            ui.input_select("ab_platform", "A/B on", {p: architecture_label(p) for p in PAIR}),
            ui.input_action_button("keep_a", "Keep these levers as A", class_="btn-sm"),
            ui.output_ui("a_setting"),
        ),
        ui.input_select("kpi", "Stop when precise on", MAIN_KPIS, selected="cycle_time_mean_h"),
        ui.layout_columns(
            ui.input_numeric("precision", "Half-width / mean", 0.05, min=0.001, max=0.99,
                             step=0.01),
            ui.input_numeric("max_reps", "At most", 20, min=2, max=1000),
            ui.input_numeric("seed", "Seed", None),
            col_widths=[5, 4, 3],
        ),
        ui.div(ui.input_action_button("run", "Run", class_="btn-primary"), " ",
               ui.input_action_button("cancel", "Cancel", class_="btn-warning")),
    ]


def _levers_panel(choices: dict[str, str], first: str, values: dict[str, Any]) -> Any:
    return ui.nav_panel(
        "Levers",
        ui.layout_sidebar(
            ui.sidebar(
                ui.input_select("scenario", "Scenario", choices, selected=first),
                *[_lever_input(lever, values[lever.name]) for lever in LEVERS],
                ui.output_ui("input_error"),
                *_run_controls(),
                width=400,
            ),
            ui.output_ui("status"),
            ui.card(ui.card_header("KPIs so far (mean ± 95% interval over replications)"),
                    ui.output_ui("kpis")),
            ui.layout_columns(
                ui.card(ui.card_header("Paired differences"), ui.output_ui("paired_plot")),
                ui.card(ui.card_header("How the interval narrows"), ui.output_ui("trace")),
                col_widths=[8, 4],
                fill=False,
            ),
            ui.card(ui.card_header("Findings"), ui.output_ui("findings")),
            ui.card(ui.card_header("Figures"), ui.output_ui("figures")),
            # The cards keep their own heights: the page scrolls, no table is stretched.
            fillable=False,
        ),
    )


def _browse_panel(folder: str) -> Any:
    return ui.nav_panel(
        "Browse results",
        ui.layout_columns(
            ui.input_text("folder", "Sweep or options folder", folder, width="100%"),
            ui.div(ui.input_action_button("open", "Open"), style="padding-top: 2em"),
            col_widths=[10, 2],
        ),
        ui.output_ui("browse_head"),
        ui.output_data_frame("browse_table"),
        ui.output_ui("browse_more"),
    )


def make_app(target: str | Path | None = None, explorer: Explorer | None = None,
             seed: int | None = None) -> App:
    """The app: on ``target`` (a scenario file, a run folder, or a sweep or options folder)."""
    explorer = explorer or Explorer()
    kind = browse.what_is(target) if target is not None else "scenario"
    scenario_path: Path | None = None
    folder = ""
    if kind == "scenario" and target is not None:
        scenario_path = Path(target)
    elif kind == "run":
        scenario_path = Path(target) / "scenario.resolved.yaml"  # type: ignore[arg-type]
        if seed is None:  # the run's own seed, so that Run repeats it
            summary = Path(target) / "summary.json"  # type: ignore[arg-type]
            seed = json.loads(summary.read_text()).get("seed")
    elif kind in ("sweep", "options"):
        folder = str(target)
    choices = _scenario_choices(scenario_path)
    if not choices:
        raise browse.BrowseError("no scenario to explore: give a scenario file")
    first = next(iter(choices))
    start = scenario_with(first, [])  # a bad file fails here, before the page is served
    panels = [_levers_panel(choices, first, lever_values(start)), _browse_panel(folder)]
    app_ui = ui.page_navbar(
        *panels, title="docflow-sim explorer", id="tabs",
        selected="Browse results" if folder else "Levers",
        header=ui.head_content(ui.tags.style(CSS),
                               # no favicon request: the page asks the server for nothing else
                               ui.tags.link(rel="icon", href="data:,")),
    )

    def server(input: Any, output: Any, session: Any) -> None:  # noqa: ARG001
        # Tables, figures and the report's words: loaded for the first visitor, so that the
        # page itself is served before pandas, SciPy and Matplotlib.
        from sim.explore import views

        news = reactive.value(explorer.snapshot())
        kept_a: reactive.Value[dict[str, Any] | None] = reactive.value(None)
        seen = [explorer.version]
        notice = reactive.value("")

        @reactive.effect
        def _poll() -> None:
            reactive.invalidate_later(POLL_S)
            if explorer.version != seen[0]:
                seen[0] = explorer.version
                news.set(explorer.snapshot())

        @reactive.calc
        def base() -> dict[str, Any] | None:
            try:
                return lever_values(scenario_with(input.scenario(), []))
            except InputError:
                return None

        @reactive.calc
        def values() -> dict[str, Any]:
            return {lever.name: input[f"lever_{lever.name}"]() for lever in LEVERS}

        def resolve(setting: dict[str, Any]) -> tuple[Scenario | None, str]:
            try:
                return scenario_with(input.scenario(), overrides_for(setting, base())), ""
            except InputError as exc:
                return None, f"error: {exc}"

        @reactive.calc
        def resolved() -> tuple[Scenario | None, str]:
            return resolve(values())

        @reactive.effect
        @reactive.event(input.scenario, ignore_init=True)
        def _scenario_changed() -> None:
            current = base()
            if current is None:
                return
            for lever in LEVERS:
                ident, value = f"lever_{lever.name}", current[lever.name]
                if lever.kind == "slider":
                    ui.update_slider(ident, value=value)
                elif lever.kind == "number":
                    ui.update_numeric(ident, value=value)
                else:
                    ui.update_select(ident, selected=value)

        @render.ui
        def input_error() -> Any:
            scenario, error = resolved()
            if error:
                return ui.div(error, id="input-error", class_="alert alert-danger p-2 small")
            return ui.div(f"{scenario.name}: {scenario.total_staff:,} staff, "  # type: ignore
                          f"{scenario.horizon_days} working days, valid", id="input-ok",
                          class_="text-success small")

        @reactive.effect
        @reactive.event(input.keep_a)
        def _keep_a() -> None:
            kept_a.set(dict(values()))

        @render.ui
        def a_setting() -> Any:
            a = kept_a()
            text = describe_setting(a) if a else "not kept yet: set the levers, press the button"
            return ui.p(f"A: {text}", id="a-setting", class_="small")

        @reactive.effect
        @reactive.event(input.run)
        def _run() -> None:
            notice.set("")
            if explorer.busy:
                notice.set("a run is going: cancel it first")
                return
            scenario, error = resolved()
            if scenario is None:
                notice.set(error)
                return
            precision, cap = input.precision(), input.max_reps()
            if not isinstance(precision, int | float) or not 0 < precision < 1:
                notice.set("error: half-width / mean must be a share between 0 and 1, e.g. "
                           "0.05")
                return
            if not isinstance(cap, int | float) or cap < 2:
                notice.set("error: at most: give 2 replications or more")
                return
            run_seed = input.seed() if isinstance(input.seed(), int | float) else seed
            if input.mode() == "ab":
                a = kept_a()
                if a is None:
                    notice.set("error: A/B needs a kept setting A: press 'Keep these levers "
                               "as A' first")
                    return
                scenario_a, error = resolve(a)
                if scenario_a is None:
                    notice.set(f"setting A: {error}")
                    return
                request = ab_request(scenario_a, scenario, input.ab_platform(),
                                     None if run_seed is None else int(run_seed),
                                     input.kpi(), float(precision), None, int(cap))
            else:
                request = pair_request(scenario, None if run_seed is None else int(run_seed),
                                       input.kpi(), float(precision), None, int(cap))
            news.set(explorer.submit(request))

        @reactive.effect
        @reactive.event(input.cancel)
        def _cancel() -> None:
            explorer.cancel()

        @render.ui
        def status() -> Any:
            snap = news()
            extra = notice()
            parts = []
            if extra:
                parts.append(ui.div(extra, id="run-notice", class_="alert alert-danger p-2"))
            if snap is None:
                parts.append(ui.p("Set the levers and press Run.", id="run-status",
                                  **{"data-state": "idle"}))
                return ui.div(*parts)
            busy = snap.state == "running"
            text = f"{snap.message}, {snap.elapsed_s:.1f} s" if snap.elapsed_s else snap.message
            parts.append(ui.p(text, id="run-status", class_="busy" if busy else "",
                              **{"data-state": snap.state, "data-request": snap.request.key(),
                                 "data-replications": str(snap.replications),
                                 "data-cached": "yes" if snap.cached else "no"}))
            if snap.error:
                parts.append(ui.div(snap.error, id="run-error", class_="alert alert-danger p-2"))
            if snap.run_dir is not None:
                parts.append(ui.p(f"Run folder: {snap.run_dir} (sim report opens it)",
                                  class_="small text-muted"))
            return ui.div(*parts)

        @render.ui
        def kpis() -> Any:
            snap = news()
            return ui.HTML(views.kpi_table(snap)) if snap is not None else ""

        @render.ui
        def trace() -> Any:
            snap = news()
            return ui.HTML(views.trace_table(snap)) if snap is not None else ""

        @render.ui
        def paired_plot() -> Any:
            snap = news()
            png = views.paired_png(snap) if snap is not None else None
            if png is None:
                return ui.p("Two replications or more draw the paired differences.")
            return ui.HTML(views.img(png, "paired differences", "paired-png"))

        @render.ui
        def findings() -> Any:
            snap = news()
            if snap is None or snap.state != "done":
                return ui.p("When the run stops: the findings, in the report's words.")
            if snap.run_dir is not None:
                found = views.run_findings(snap.run_dir)
            else:
                found = views.ab_findings(snap)
            return ui.HTML("<ul id='findings-list'>"
                           + "".join(f"<li>{f}</li>" for f in found) + "</ul>")

        @render.ui
        def figures() -> Any:
            snap = news()
            if snap is None or snap.state != "done" or snap.run_dir is None:
                return ui.p("When an OSDO − ESED run stops: its figures (cycle times, open "
                            "documents over time, where the time goes, late documents).")
            return ui.HTML("".join(
                f"<figure>{views.img(png, caption)}<figcaption class='small'>"
                f"{html.escape(caption)}</figcaption></figure>"
                for caption, png in views.run_figures(snap.run_dir)))

        # ------------------------------------------------------------------ browsing

        @reactive.calc
        def opened() -> tuple[Any, str]:
            input.open()
            path = input.folder().strip()
            if not path:
                return None, ""
            try:
                if browse.folder_kind(path) == "options":
                    return browse.read_options(path), ""
                return browse.read_sweep(path), ""
            except InputError as exc:
                return None, f"error: {exc}"

        @render.ui
        def browse_head() -> Any:
            found, error = opened()
            if error:
                return ui.div(error, id="browse-error", class_="alert alert-danger p-2")
            if found is None:
                return ui.p("Give a sweep folder (sim sweep) or an options folder (sim "
                            "options) and press Open: they are read, never written.")
            if isinstance(found, browse.OptionsFolder):
                return ui.div(ui.h4(f"Options: {found.folder.name}", id="browse-title"),
                              ui.p(f"{len(found.options)} option(s); objectives: "
                                   f"{', '.join(found.kpis) or 'none'}. Filter the table "
                                   "below by column."))
            runs = found.runs
            n = len(runs) if runs is not None else 0
            return ui.div(ui.h4(f"Sweep: {found.name}", id="browse-title"),
                          ui.p(f"{n} run(s); parameters: {', '.join(found.parameters())}. "
                               "Filter the runs below by column."))

        @render.data_frame
        def browse_table() -> Any:
            found, _ = opened()
            if found is None:
                return None
            if isinstance(found, browse.OptionsFolder):
                table = found.ranking()
            else:
                table = found.runs if found.runs is not None else found.points
            return render.DataGrid(table, filters=True, height="360px")

        @render.ui
        def browse_more() -> Any:
            found, _ = opened()
            if found is None:
                return ""
            parts: list[str] = []
            if isinstance(found, browse.OptionsFolder):
                for kpi in found.kpis:
                    parts.append(f"<h5>Frontier: {html.escape(kpi)}</h5>"
                                 + views.img(views.frontier_png(found.options, kpi),
                                             f"frontier {kpi}"))
                front = found.frontier()
                parts.append("<h5>On the frontier</h5>"
                             + views.table_html(front, "frontier-table"))
                for path in found.figures:
                    parts.append(f"<figure>{views.img(browse.png_base64(path), path.name)}"
                                 f"<figcaption>{html.escape(path.name)}</figcaption></figure>")
                return ui.HTML("".join(parts))
            if found.points is not None:
                parts.append("<h5>Points</h5>" + views.table_html(found.points, "points-table"))
            if found.sensitivity is not None:
                parts.append("<h5>Which assumptions matter (sim sensitivity)</h5>"
                             + views.table_html(found.sensitivity, "sensitivity-table"))
            parts += _prim_words(found.folder)
            for path in found.plots:
                parts.append(f"<figure>{views.img(browse.png_base64(path), path.name)}"
                             f"<figcaption>{html.escape(path.name)}</figcaption></figure>")
            return ui.HTML("".join(parts))

    return App(app_ui, server)


def _prim_words(folder: Path) -> list[str]:
    """Where OSDO beats ESED on cycle time (PRIM), when the prim package and a store are there."""
    try:
        from sim.experiments.discovery import discover
        from sim.experiments.sensitivity import read_sweep_dir

        found = discover(read_sweep_dir(folder), "cycle_time_mean_h")
    except (ImportError, InputError, ValueError, KeyError):
        return []
    items = "".join(f"<li>{html.escape(s)}</li>" for s in found.sentences())
    return [f"<h5>Where OSDO wins on mean cycle time (PRIM, sim discover)</h5>"
            f"<ul id='prim-box'>{items}</ul>"] if items else []
