"""``sim compare``: OSDO against ESED on common random numbers, in numbers and in words."""

from __future__ import annotations

import click

from sim.cli.errors import user_errors
from sim.cli.run import RunProgress, parallel_options, where

__all__ = ["compare_command"]


@click.command("compare")
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@click.option("--replications", type=click.IntRange(min=2), default=None,
              help="Replications of each platform (default: the scenario's).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field (repeatable).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the comparison table to this CSV file.")
@click.option("--crn-check", is_flag=True,
              help="Also run ESED on independent seeds and show how much common random "
              "numbers narrow each interval.")
@parallel_options
@user_errors
def compare_command(scenario_file: str, replications: int | None, seed: int | None,
                    overrides: tuple[str, ...], csv_path: str | None,
                    crn_check: bool, workers: int | None = None,
                    scheduler: str | None = None) -> None:
    """OSDO vs ESED on SCENARIO_FILE with common random numbers: paired differences."""
    from sim.config import load_scenario
    from sim.experiments.comparison import compare, crn_effect
    from sim.model.kpis import MAIN_KPIS

    scenario = load_scenario(scenario_file, list(overrides))
    reps = replications or max(2, scenario.replications)
    seed = scenario.run_seed(seed)
    progress = RunProgress()
    progress.start(f"{2 * reps} runs ({reps} replications x osdo, esed) on "
                   f"{where(workers, scheduler, 2 * reps)}")
    try:
        table = compare(scenario, reps, seed, progress=progress, workers=workers,
                        scheduler=scheduler)
    finally:
        progress.end()
    click.echo(f"{scenario.name}: OSDO - ESED over {reps} paired replications (common "
               f"random numbers), seed {seed}; 95% intervals")
    for text in table.sentence:
        click.echo(f"- {text}")
    if csv_path:
        table.to_csv(csv_path, index=False)
        click.echo(f"written to {csv_path}")
    if crn_check:
        progress.start(f"for the check: {2 * reps} runs (OSDO and ESED on common random "
                       f"numbers), then {reps} (ESED on independent seeds) on "
                       f"{where(workers, scheduler, 2 * reps)}")
        try:
            effect = crn_effect(scenario, reps, seed, MAIN_KPIS, progress=progress,
                                workers=workers, scheduler=scheduler)
        finally:
            progress.end()
        click.echo("\nhalf-width of OSDO - ESED: common random numbers vs independent seeds "
                   "(ratio = independent / CRN; above 1, CRN is narrower)")
        for row in effect.itertuples():
            click.echo(f"  {row.kpi:34s} CRN {row.half_width_crn:10.4g}  independent "
                       f"{row.half_width_independent:10.4g}  ratio {row.ratio:.2f}")
