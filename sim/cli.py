"""The ``sim`` command line.

Exit codes: 0 success, 1 some work failed (a sweep's failed runs, a failing `sim verify` case),
2 bad input (a message naming file, field, value and what is allowed; never a traceback),
130 interrupted.
"""

from __future__ import annotations

import functools
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sim import __version__
from sim.experiment import Experiment, format_ci, run_experiment
from sim.metrics import KPI_COLUMNS
from sim.scenario import Scenario, ScenarioError, json_schema, load_scenario
from sim.stability import warnings as stability_warnings

__all__ = ["main"]

PLATFORM_CHOICES = {
    "osdo": ["osdo"], "esed": ["esed"], "mixed": ["mixed"], "both": ["osdo", "esed"],
}
TABLE_KPIS = [
    ("documents_completed", "{:.0f}"),
    ("throughput_per_day", "{:.1f}"),
    ("cycle_time_mean_h", "{:.1f}"),
    ("cycle_time_p95_h", "{:.1f}"),
    ("on_time_rate", "{:.3f}"),
    ("overdue_open", "{:.1f}"),
    ("wip_mean", "{:.1f}"),
    ("staff_utilisation", "{:.3f}"),
    ("connectivity_loss_h_per_employee", "{:.2f}"),
    ("unofficial_channel_share", "{:.3f}"),
]


class _Terminated(KeyboardInterrupt):
    """SIGTERM, delivered as an interrupt so that it unwinds like Ctrl-C."""


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise _Terminated


def _user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn input errors into one line on stderr and exit code 2; Ctrl-C or SIGTERM into 130."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Signal handlers can only be set from the main thread (not so under some test runners).
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
        try:
            return func(*args, **kwargs)
        except (ScenarioError, FileExistsError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except KeyboardInterrupt as exc:
            how = "SIGTERM" if isinstance(exc, _Terminated) else "Ctrl-C"
            # A command that did keep something (a sweep's store) says what, in exc.detail.
            detail = getattr(exc, "detail", "nothing was written")
            click.echo(f"interrupted ({how}): {detail}", err=True)
            sys.exit(130)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)

    return wrapper


@click.group()
@click.version_option(__version__, prog_name="sim")
def main() -> None:
    """docflow-sim: official correspondence under remote work, OSDO vs ESED."""


def _load(path: str, overrides: tuple[str, ...]) -> Scenario:
    return load_scenario(path, list(overrides))


def _progress_runner(scenario: Scenario, platforms: list[str], replications: int, seed: int,
                     keep_steps: bool) -> Experiment:
    total = replications * len(platforms)
    with click.progressbar(length=total, label="simulating", file=sys.stderr,
                           show_eta=True, show_pos=True) as bar:
        return run_experiment(
            scenario, platforms, replications, seed, keep_steps=keep_steps,
            progress=lambda done, _total: bar.update(1),
        )


def _precision_runner(scenario: Scenario, platforms: list[str], kpi: str, precision: float,
                      start: int, cap: int, seed: int, keep_steps: bool):
    from sim.experiment import run_to_precision

    def report(reps: int, worst: float) -> None:
        click.echo(f"{reps} replication(s): {kpi} half-width {worst:.1%} of the mean "
                   f"(target {precision:.1%})", err=True)

    return run_to_precision(scenario, kpi, precision, platforms, start, cap, seed, keep_steps,
                            progress=report)


def kpi_table(experiment: Experiment) -> str:
    """A compact text table: KPI rows, one column per platform (and OSDO-ESED when both ran)."""
    intervals = experiment.intervals()
    platforms = experiment.platforms
    paired = experiment.paired() if {"osdo", "esed"} <= set(platforms) else {}
    header = ["KPI (mean ± 95% CI)", *[p.upper() for p in platforms]]
    if paired:
        header.append("OSDO-ESED (paired)")
    rows = [header]
    for kpi, fmt in TABLE_KPIS:
        row = [kpi, *[format_ci(intervals[p][kpi], fmt) for p in platforms]]
        if paired:
            row.append(format_ci(paired[kpi], fmt))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Run folder to create (default: results/<scenario>-<timestamp>).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed.")
@click.option("--replications", type=click.IntRange(min=1), default=None)
@click.option("--platform", "platform", type=click.Choice(list(PLATFORM_CHOICES)), default=None,
              help="Architectures to run (default: the scenario's `platforms`).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field, e.g. --set staff.remote_share=0.8 (repeatable).")
@click.option("--force", is_flag=True, help="Replace an existing run folder.")
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots.")
@click.option("--event-log", is_flag=True, help="Also write steps.csv and a process-mining "
              "event log (event_log.csv, event_log.xes), one row or trace event per step.")
@click.option("--report", "html_report", is_flag=True,
              help="Also write report.html, a self-contained page (see `sim report`).")
@click.option("--precision", type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
              default=None, help="Add replications until the 95%% half-width of --kpi is within "
              "this share of its mean, e.g. 0.05 (starts at --replications).")
@click.option("--kpi", "precision_kpi", type=click.Choice(KPI_COLUMNS), default=None,
              help="KPI for --precision (default: cycle_time_mean_h).")
@click.option("--max-replications", type=click.IntRange(min=2), default=100, show_default=True,
              help="Cap on replications for --precision.")
@_user_errors
def run(scenario_file: str, out_dir: str | None, seed: int | None, replications: int | None,
        platform: str | None, overrides: tuple[str, ...], force: bool, no_plots: bool,
        event_log: bool, precision: float | None = None, precision_kpi: str | None = None,
        max_replications: int = 100, html_report: bool = False) -> None:
    """Simulate SCENARIO_FILE and write a run folder."""
    if precision_kpi is not None and precision is None:
        raise click.UsageError("--kpi goes with --precision (e.g. --precision 0.05)")
    from sim.results import default_run_dir, write_run

    scenario = _load(scenario_file, overrides)
    platforms = PLATFORM_CHOICES[platform] if platform else list(scenario.platforms)
    reps = replications or scenario.replications
    seed = scenario.seed if seed is None else seed
    target = Path(out_dir) if out_dir else default_run_dir(scenario.name)
    if target.exists() and not force:
        raise FileExistsError(f"{target} already exists; choose another --out or pass --force")
    started = time.perf_counter()
    stopping = None
    if precision is not None:
        experiment, stopping = _precision_runner(
            scenario, platforms, precision_kpi or "cycle_time_mean_h", precision, reps,
            max_replications, seed, event_log)
        reps = stopping.replications
    else:
        experiment = _progress_runner(scenario, platforms, reps, seed, event_log)
    runtime = time.perf_counter() - started
    written = write_run(experiment, target, runtime, force=force,
                        plots_on=False if no_plots else None)
    click.echo(f"{scenario.name}: {reps} replication(s) x {', '.join(platforms)}, seed {seed}, "
               f"{runtime:.1f} s")
    click.echo(kpi_table(experiment))
    if stopping is not None:
        click.echo(stopping.describe())
    for line in stability_warnings(experiment.stability()):
        click.echo(line)
    click.echo(f"written to {written}")
    if html_report:
        from sim.report import write_report

        click.echo(f"report written to {write_report(written)}")


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE")
@_user_errors
def validate(scenario_file: str, overrides: tuple[str, ...]) -> None:
    """Check SCENARIO_FILE against the schema without running it."""
    scenario = _load(scenario_file, overrides)
    click.echo(f"{scenario_file}: valid ({scenario.name!r}: {len(scenario.bodies)} body group(s), "
               f"{scenario.total_staff:,} staff, {scenario.horizon_days} working days)")


@main.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format."""
    click.echo(json.dumps(json_schema(), indent=2))


from sim.verify import verify_command  # noqa: E402  (its own module; see sim/verify.py)

main.add_command(verify_command)

from sim.executors import make_sweep_command  # noqa: E402  (sim/executors.py, issue 3)

main.add_command(make_sweep_command())

from sim.comparison import make_compare_command  # noqa: E402  (sim/comparison.py, issue 3)

main.add_command(make_compare_command())

from sim.report import report_command  # noqa: E402  (sim/report.py, issue 5)

main.add_command(report_command)


if __name__ == "__main__":  # pragma: no cover
    main()
