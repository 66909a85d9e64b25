"""``sim run``, ``sim validate`` and ``sim schema``: one scenario, simulated or checked."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim.cli.errors import user_errors
from sim.config.architectures import ARCHITECTURES, PAIR
from sim.model.kpis import KPI_COLUMNS

if TYPE_CHECKING:
    from sim.config import Scenario
    from sim.experiments.replications import Experiment, RunDone

__all__ = ["run", "validate", "schema", "PLATFORM_CHOICES", "RunProgress", "parallel_options",
           "where", "InputFile", "examples", "shipped_folder"]

#: ``--platform`` values: each architecture alone, or ``both`` of the compared pair.
PLATFORM_CHOICES = {**{name: [name] for name in ARCHITECTURES}, "both": list(PAIR)}


def examples(*lines: str) -> str:
    """A command's epilog: its examples, one per line, kept as written (not rewrapped)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def shipped_folder(sub: str = "") -> Path | None:
    """The shipped ``scenarios/`` folder (or a folder in it): here, or beside the package."""
    for root in (Path("scenarios"), Path(__file__).resolve().parents[2] / "scenarios"):
        if (root / sub).is_dir():
            return root / sub
    return None


class InputFile(click.Path):
    """A scenario or sweep file argument; when it is missing, says which files are shipped."""

    def __init__(self, what: str, command: str, sub: str = "",
                 example: str = "baseline.yaml") -> None:
        super().__init__(dir_okay=False)
        self.what, self.command, self.sub, self.example = what, command, sub, example

    def get_missing_message(self, param: click.Parameter,
                            ctx: click.Context | None = None) -> str:
        """Where the shipped files are, and a command line that uses one."""
        folder = shipped_folder(self.sub)
        files = sorted(p.name for p in folder.glob("*.yaml")) if folder else []
        if not files:
            return f"Give {self.what} (YAML; `sim schema` describes a scenario's fields)."
        shown = folder.as_posix()
        example = self.example if self.example in files else files[0]
        return (f"Give {self.what}, e.g. `sim {self.command} {shown}/{example}`; the shipped "
                f"ones in {shown}/ are: {', '.join(files)}.")


def _list_kpis(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--list-kpis``: every KPI with its unit and meaning, then exit."""
    if not value or ctx.resilient_parsing:
        return
    from sim.model.kpis import KPIS

    width = max(len(k) for k in KPIS)
    unit_width = max(len(k.unit) for k in KPIS.values())
    click.echo(f"{'KPI':{width}s}  {'unit':{unit_width}s}  meaning (* in the short tables)")
    for kpi in KPIS.values():
        mark = "*" if kpi.main else " "
        click.echo(f"{kpi.name:{width}s}  {kpi.unit:{unit_width}s} {mark}{kpi.meaning}")
    ctx.exit(0)


def _known_kpi(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """``--kpi``: a KPI name, with a suggestion when it is not one."""
    if value is None or value in KPI_COLUMNS:
        return value
    import difflib

    close = difflib.get_close_matches(value, KPI_COLUMNS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise click.BadParameter(f"unknown KPI {value!r}{hint} (`sim run --list-kpis` lists them)")


def parallel_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--workers`` and ``--scheduler``: one definition for run, compare, sweep and options."""
    command = click.option(
        "--scheduler", default=None, metavar="tcp://HOST:PORT",
        help="Run on this Dask distributed scheduler instead of local processes.")(command)
    return click.option(
        "--workers", type=click.IntRange(min=1), default=None,
        help="Local worker processes (default: the machine's cores; results are the same "
        "for any number).")(command)


def where(workers: int | None, scheduler: str | None, runs: int | None = None) -> str:
    """Where runs go, in words: ``2 worker processes``, ``Dask at ...``."""
    if scheduler:
        return f"Dask at {scheduler}"
    from sim.experiments.executors import default_workers

    n = workers or default_workers()
    n = min(n, runs) if runs else n
    return "1 process" if n <= 1 else f"{n} worker processes"


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class RunProgress:
    """Progress of the simulations on stderr.

    On a terminal, one line rewritten in place (runs done, elapsed, ETA); otherwise (a log
    file, a pipe, a CI job) one line per finished run, e.g. ``run 3/10 done (osdo r1), 4.2 s``.
    """

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()
        self.last = 0.0
        self.open_line = False  # an in-place line is showing

    def start(self, text: str) -> None:
        """The opening line: what is about to be simulated, and where."""
        self.started = time.perf_counter()
        click.echo(f"simulating {text}", err=True)

    def __call__(self, run: RunDone) -> None:
        """A run has finished."""
        now = time.perf_counter()
        if not self.tty:
            click.echo(f"run {run.done}/{run.total} done ({run.platform} r{run.replication}), "
                       f"{run.runtime_s:.1f} s", err=True)
            return
        if run.done < run.total and now - self.last < 0.2:
            return
        self.last = now
        elapsed = now - self.started
        eta = _clock(elapsed / run.done * (run.total - run.done))
        click.echo(f"\r  runs {run.done}/{run.total} done, {_clock(elapsed)} elapsed, ETA {eta}"
                   "   ", err=True, nl=False)
        self.open_line = True

    def note(self, text: str) -> None:
        """A line of its own (below an in-place line, which is then redrawn by the next run)."""
        self.end()
        click.echo(text, err=True)

    def end(self) -> None:
        """Close the in-place line."""
        if self.open_line:
            click.echo("", err=True)
            self.open_line = False


def _load(path: str, overrides: tuple[str, ...]) -> Scenario:
    """Load a scenario; warn (on stderr) of policy events its horizon leaves out."""
    from sim.config import load_scenario

    scenario = load_scenario(path, list(overrides))
    if scenario.migration or scenario.incidents:  # the model (SimPy) only when there are events
        from sim.model.policy import events_after_horizon

        for line in events_after_horizon(scenario):
            click.echo(f"warning: {path}: {line}", err=True)
    return scenario


def _progress_runner(scenario: Scenario, platforms: list[str], replications: int, seed: int,
                     keep_steps: bool, workers: int | None, scheduler: str | None
                     ) -> Experiment:
    from sim.experiments.replications import run_experiment

    total = replications * len(platforms)
    progress = RunProgress()
    progress.start(f"{total} run(s) ({replications} replication(s) x {', '.join(platforms)}) "
                   f"on {where(workers, scheduler, total)}")
    try:
        return run_experiment(scenario, platforms, replications, seed, keep_steps=keep_steps,
                              progress=progress, workers=workers, scheduler=scheduler)
    finally:
        progress.end()


def _precision_runner(scenario: Scenario, platforms: list[str], kpi: str, precision: float,
                      start: int, cap: int, seed: int, keep_steps: bool, workers: int | None,
                      scheduler: str | None):
    from sim.experiments.replications import run_to_precision

    progress = RunProgress()

    def report(reps: int, worst: float) -> None:
        progress.note(f"{reps} replication(s): {kpi} half-width {worst:.1%} of the mean "
                      f"(target {precision:.1%})")

    progress.start(f"{', '.join(platforms)} until the {kpi} half-width is within "
                   f"{precision:.1%} of the mean (from {start}, at most {cap} replications) on "
                   f"{where(workers, scheduler, cap * len(platforms))}")
    try:
        return run_to_precision(scenario, kpi, precision, platforms, start, cap, seed,
                                keep_steps, progress=report, workers=workers,
                                scheduler=scheduler, on_run=progress)
    finally:
        progress.end()


@click.command(epilog=examples(
    "sim run scenarios/baseline.yaml",
    "sim run scenarios/baseline.yaml --set staff.remote_share=0.8 --out results/r80",
    "sim run scenarios/baseline.yaml --precision 0.05 --kpi on_time_rate"))
@click.argument("scenario_file", type=InputFile("a scenario file", "run"))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Run folder to create (default: results/<scenario>-<timestamp>); checked "
              "before anything is simulated.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Root seed (default: the scenario's `seed`).")
@click.option("--replications", type=click.IntRange(min=1), default=None,
              help="Replications of each platform (default: the scenario's `replications`); "
              "with --precision, where to start.")
@click.option("--platform", "platform", type=click.Choice(list(PLATFORM_CHOICES)), default=None,
              help="Architectures to run (default: the scenario's `platforms`).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field, e.g. --set staff.remote_share=0.8 or --set "
              "platforms=[osdo] (repeatable).")
@click.option("--force", is_flag=True, help="Replace an existing run folder.")
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots.")
@click.option("--event-log", is_flag=True, help="Also write steps.csv.gz and a process-mining "
              "event log (event_log.csv.gz, event_log.xes.gz), one row or trace event per step.")
@click.option("--report", "html_report", is_flag=True,
              help="Also write report.html, a self-contained page (see `sim report`).")
@click.option("--precision", type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
              default=None, help="Add replications until the 95% half-width of --kpi is within "
              "this share of its mean, e.g. 0.05 (starts at --replications).")
@click.option("--kpi", "precision_kpi", metavar="KPI", default=None, callback=_known_kpi,
              help="KPI for --precision (default: cycle_time_mean_h; --list-kpis lists them).")
@click.option("--max-replications", type=click.IntRange(min=2), default=100, show_default=True,
              help="Cap on replications for --precision.")
@click.option("--list-kpis", is_flag=True, is_eager=True, expose_value=False,
              callback=_list_kpis, help="List every KPI with its unit and meaning, and exit.")
@parallel_options
@user_errors
def run(scenario_file: str, out_dir: str | None, seed: int | None, replications: int | None,
        platform: str | None, overrides: tuple[str, ...], force: bool, no_plots: bool,
        event_log: bool, precision: float | None = None, precision_kpi: str | None = None,
        max_replications: int = 100, html_report: bool = False, workers: int | None = None,
        scheduler: str | None = None) -> None:
    """Simulate SCENARIO_FILE and write a run folder.

    Prints the main KPIs (mean ± 95% CI per platform and the paired OSDO - ESED difference)
    and writes summary.csv, summary.json, documents.csv, timeseries.csv, weekly.csv, events.csv,
    the resolved scenario and plots. The shipped scenarios are in scenarios/.
    """
    if precision_kpi is not None and precision is None:
        raise click.UsageError("--kpi goes with --precision (e.g. --precision 0.05)")
    from sim.outputs.run_folder import check_output_folder, default_run_dir, write_run
    from sim.outputs.tables import kpi_table

    scenario = _load(scenario_file, overrides)
    platforms = PLATFORM_CHOICES[platform] if platform else list(scenario.platforms)
    reps = replications or scenario.replications
    seed = scenario.run_seed(seed)
    target = Path(out_dir) if out_dir else default_run_dir(scenario.name)
    if target.exists() and not force:
        raise FileExistsError(f"{target} already exists; choose another --out or pass --force")
    check_output_folder(target)  # now, not after minutes of simulating
    started = time.perf_counter()
    stopping = None
    if precision is not None:
        experiment, stopping = _precision_runner(
            scenario, platforms, precision_kpi or "cycle_time_mean_h", precision, reps,
            max_replications, seed, event_log, workers, scheduler)
        reps = stopping.replications
    else:
        experiment = _progress_runner(scenario, platforms, reps, seed, event_log, workers,
                                      scheduler)
    runtime = time.perf_counter() - started
    click.echo(f"writing results to {target} ...", err=True)
    written = write_run(experiment, target, runtime, force=force,
                        plots_on=False if no_plots else None)
    click.echo(f"{scenario.name}: {reps} replication(s) x {', '.join(platforms)}, seed {seed}, "
               f"{runtime:.1f} s")
    click.echo(kpi_table(experiment))
    if stopping is not None:
        click.echo(stopping.describe())
    from sim.model.stability import warnings as stability_warnings

    for line in stability_warnings(experiment.stability(),
                                   dict(experiment.scenario.staff.assignment)):
        click.echo(line)
    click.echo(f"written to {written}")
    if html_report:
        from sim.outputs.report import write_report

        click.echo(f"report written to {write_report(written)}")


@click.command(epilog=examples(
    "sim validate scenarios/baseline.yaml",
    "sim validate my_scenario.yaml --set staff.remote_share=0.8"))
@click.argument("scenario_file", type=InputFile("a scenario file", "validate"))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field before checking, e.g. --set "
              "staff.remote_share=0.8 (repeatable).")
@user_errors
def validate(scenario_file: str, overrides: tuple[str, ...]) -> None:
    """Check SCENARIO_FILE against the schema without running it.

    Exit 0 when valid; otherwise exit 2 with one line naming the file (or the --set), the
    field, the value and what is allowed.
    """
    scenario = _load(scenario_file, overrides)
    click.echo(f"{scenario_file}: valid ({scenario.name!r}: {len(scenario.bodies)} body group(s), "
               f"{scenario.total_staff:,} staff, {scenario.horizon_days} working days)")


@click.command(epilog=examples(
    "sim schema > scenario.schema.json",
    "sim schema | python -m json.tool | less"))
def schema() -> None:
    """Print the JSON Schema of the scenario format, for editors."""
    from sim.config import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
