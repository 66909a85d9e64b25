"""``sim compare``: OSDO against ESED on common random numbers, in numbers and in words."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.errors import user_errors
from sim.cli.run import InputFile, RunProgress, examples, parallel_options, where

__all__ = ["compare_command"]


@click.command("compare", epilog=examples(
    "sim compare scenarios/baseline.yaml --replications 5",
    "sim compare scenarios/poor_internet.yaml --csv comparison.csv --crn-check"))
@click.argument("scenario_file", type=InputFile("a scenario file", "compare"))
@click.option("--replications", type=click.IntRange(min=2), default=None,
              help="Replications of each platform (default: the scenario's).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field, e.g. --set staff.remote_share=0.8 "
              "(repeatable).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the comparison table to this CSV file (its folder must exist; "
              "checked before anything is simulated).")
@click.option("--crn-check", is_flag=True,
              help="Also run ESED on independent seeds and show how much common random "
              "numbers narrow each interval.")
@parallel_options
@user_errors
def compare_command(scenario_file: str, replications: int | None, seed: int | None,
                    overrides: tuple[str, ...], csv_path: str | None,
                    crn_check: bool, workers: int | None = None,
                    scheduler: str | None = None) -> None:
    """OSDO vs ESED on SCENARIO_FILE with common random numbers: paired differences.

    Runs both platforms on the same staff, documents and handling times, and says per KPI, in
    words, how much OSDO differs from ESED and whether that is more than noise at 95%.
    """
    from sim.config import load_scenario
    from sim.experiments.comparison import compare, crn_effect
    from sim.model.kpis import MAIN_KPIS
    from sim.outputs.run_folder import check_output_file, write_failure

    scenario = load_scenario(scenario_file, list(overrides))
    if csv_path:
        check_output_file(Path(csv_path), "--csv", "the comparison table")
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
        try:
            table.to_csv(csv_path, index=False)
        except OSError as exc:
            Path(csv_path).unlink(missing_ok=True)  # no half-written table
            raise write_failure(Path(csv_path), exc, "the comparison table", "--csv",
                                "the comparison is printed above") from None
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
