"""``sim verify``: the model reduced to textbook queueing results, case by case."""

from __future__ import annotations

import click

from sim.cli.errors import EXIT_WORK_FAILED
from sim.cli.run import examples
from sim.config.schema import DEFAULT_SEED

__all__ = ["verify_command"]

# The case names, for --case; sim.experiments.verification.CASES holds the cases themselves
# (a test keeps the two equal) and is imported only when cases run.
CASE_NAMES = ("mmc", "tandem", "pooled", "least_loaded", "reference", "little", "gateway",
              "availability")


@click.command(name="verify", epilog=examples(
    "sim verify",
    "sim verify --full --case mmc --case little"))
@click.option("--quick/--full", default=True,
              help="Quick subset (about half a minute) or the full set (a few minutes).")
@click.option("--seed", type=click.IntRange(min=0), default=DEFAULT_SEED, show_default=True,
              help="Root seed of the cases' runs.")
@click.option("--case", "only", multiple=True, type=click.Choice(CASE_NAMES),
              help="Run only these cases (repeatable).")
def verify_command(quick: bool, seed: int, only: tuple[str, ...]) -> None:
    """Check the model against queueing theory; exit 1 if a case fails.

    Each case reduces the model to a textbook system (M/M/c, Jackson networks, Little's law,
    geometric resends, outage availability) and compares the simulated value with the formula.
    """
    from sim.experiments.verification import run_cases
    from sim.outputs.tables import verification_table

    results = run_cases(quick, seed, list(only) or None,
                        progress=lambda name: click.echo(f"running {name} ...", err=True))
    click.echo(verification_table(results))
    failed = [r for r in results if not r.passed]
    click.echo(f"{len(results) - len(failed)} of {len(results)} passed "
               f"({'quick' if quick else 'full'} set, seed {seed})")
    if failed:
        raise SystemExit(EXIT_WORK_FAILED)
