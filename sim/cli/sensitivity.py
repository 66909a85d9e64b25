"""``sim sensitivity`` and ``sim discover``: which assumptions decide a sweep's answer, and where.

``sim sensitivity SWEEP_DIR`` reads a finished morris or sobol sweep and ranks its parameters
for every KPI, per platform and for the paired difference OSDO - ESED (a table per KPI on the
terminal, sensitivity.csv and plots/sensitivity_<kpi>.png in the folder). ``sim discover
SWEEP_DIR --kpi KPI --margin M`` works on any sweep and says, with PRIM, in which part of the
swept ranges OSDO beats ESED by at least the margin. They are two commands, not one with a
``--discover`` switch: discovery needs no sensitivity design, and each has its own options.

Exit codes: 0 done, 2 bad input (no sweep folder, a design that is not morris or sobol, an
unfinished sweep, an unknown KPI), 130 interrupted.
"""

from __future__ import annotations

import click

from sim.cli.errors import user_errors

__all__ = ["sensitivity_command", "discover_command"]


def _sensitivity_cli(sweep_dir: str, kpis: tuple[str, ...], no_plots: bool) -> None:
    from sim.experiments.sensitivity import budget_warnings, read_sweep_dir, sensitivity_table
    from sim.outputs.sensitivity_plots import sensitivity_text, write_sensitivity

    results = read_sweep_dir(sweep_dir, design=True)
    for kpi in kpis:
        results.check_kpi(kpi)
    table, notes = sensitivity_table(results, list(dict.fromkeys(kpis)) or None)
    points = results.runs.point.nunique()
    click.echo(f"{results.name}: {results.method} design, {len(results.parameters)} "
               f"parameter(s), {points} points x {results.replications} replication(s) x "
               f"{', '.join(results.platforms)}")
    for warning in budget_warnings(results):
        click.echo(f"warning: {warning}")
    for kpi in dict.fromkeys(table.kpi):
        click.echo("")
        click.echo(sensitivity_text(table, kpi))
    for note in notes:
        click.echo(f"note: {note}")
    written = write_sensitivity(table, results.folder, plots=not no_plots, title=results.name)
    click.echo(f"\nwritten: {', '.join(str(p) for p in written[:1])}"
               + (f" and {len(written) - 1} plot(s) in {results.folder / 'plots'}"
                  if len(written) > 1 else ""))


@click.command("sensitivity")
@click.argument("sweep_dir", type=click.Path(file_okay=False))
@click.option("--kpi", "kpis", multiple=True, metavar="KPI",
              help="Analyse this KPI only (repeatable; default: every KPI of the sweep).")
@click.option("--no-plots", is_flag=True, help="Skip the bar charts.")
@user_errors
def sensitivity_command(sweep_dir: str, kpis: tuple[str, ...], no_plots: bool) -> None:
    """Rank a morris or sobol sweep's parameters by their effect on each KPI."""
    _sensitivity_cli(sweep_dir, kpis, no_plots)


def _discover_cli(sweep_dir: str, kpi: str, margin: float, better: str | None,
                  min_density: float, boxes: int) -> None:
    from sim.experiments.discovery import discover
    from sim.experiments.sensitivity import read_sweep_dir

    results = read_sweep_dir(sweep_dir)
    found = discover(results, kpi, margin, better, min_density, boxes)  # type: ignore[arg-type]
    click.echo(f"{results.name}: {len(found.points)} points ({results.method} design), "
               f"replications averaged, OSDO and ESED paired")
    for line in found.sentences():
        click.echo(line)
    if found.dropped:
        click.echo(f"note: {found.dropped} point(s) left out: no finished pair of runs with a "
                   f"value of {kpi}")
    if found.boxes:
        click.echo("coverage: share of the winning points inside the box; density: share of the "
                   "box's points that win")


@click.command("discover")
@click.argument("sweep_dir", type=click.Path(file_okay=False))
@click.option("--kpi", default="cycle_time_mean_h", show_default=True, help="The KPI to compare.")
@click.option("--margin", type=float, default=0.0, show_default=True,
              help="How much better OSDO must be, in the KPI's unit.")
@click.option("--better", type=click.Choice(["lower", "higher"]), default=None,
              help="Which direction is better (default: the KPI's own).")
@click.option("--min-density", type=float, default=0.8, show_default=True,
              help="Pick the widest box in which at least this share of points win.")
@click.option("--boxes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Look for up to this many boxes.")
@user_errors
def discover_command(sweep_dir: str, kpi: str, margin: float, better: str | None,
                     min_density: float, boxes: int) -> None:
    """Find where in a sweep's ranges OSDO beats ESED on a KPI by a margin (PRIM)."""
    _discover_cli(sweep_dir, kpi, margin, better, min_density, boxes)
