"""``sim options``: policy options ranked by effect and cost, into a resumable options folder.

Exit codes: 0 when every run finished, 1 when a run failed (the tables of what is stored are
still written), 2 bad input before any run, 130 interrupted (the message says how many runs are
stored and to rerun with --resume).
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from sim.cli.batch import batch_options
from sim.cli.errors import EXIT_WORK_FAILED, user_errors
from sim.cli.run import InputFile, examples
from sim.config.errors import InputError

__all__ = ["options_command"]


def _options_cli(options_file: str, out_dir: str | None, replications: int | None,
                 max_replications: int | None, workers: int | None, scheduler: str | None,
                 resume: bool, overrides: tuple[str, ...], no_plots: bool) -> None:
    from sim.cli.sweep import _ProgressLine, _write_failed
    from sim.experiments.options import STORE_NAME, evaluate, load_options, with_replications
    from sim.experiments.store import count_finished
    from sim.outputs.options_folder import (
        default_options_dir,
        remove_outputs,
        write_options_outputs,
    )
    from sim.outputs.options_report import ranking_words
    from sim.outputs.run_folder import check_output_folder

    study = with_replications(load_options(options_file, list(overrides)), replications,
                              max_replications)
    first, most = study.spec.replications, study.spec.max_replications or 0
    target = Path(out_dir) if out_dir else default_options_dir(study.name)
    store = target / STORE_NAME
    if resume and not store.exists():
        raise InputError(f"--resume: {store} not found; nothing to resume (leave out --resume "
                         f"to start)")
    check_output_folder(target, what="the options folder", may_exist=True)
    arms = len(study.arms)
    sequential = f", then up to {most} by Kim-Nelson" if most > first else ""
    click.echo(f"{study.name}: {arms} arm(s) (base, {len(study.option_names)} option(s)"
               f"{' and their combinations' if arms > len(study.option_names) + 1 else ''}) x "
               f"{first} replication(s){sequential} on {study.platform.upper()}, common random "
               f"numbers")
    try:
        outcome = evaluate(study, target, workers, scheduler, _ProgressLine(),
                           before_runs=lambda: remove_outputs(target))
        appraisal = write_options_outputs(study, target, plots_on=not no_plots)
    except KeyboardInterrupt as exc:
        exc.detail = (f"{count_finished(store)} runs are stored in {store}; rerun with "
                      f"--resume to finish")
        raise
    except (OSError, sqlite3.Error) as exc:
        raise _write_failed(exc, target, arms * most, count_finished(store)) from None
    click.echo(f"{outcome.ran} run(s) done, {outcome.skipped} already stored, "
               f"{len(outcome.failed)} failed, {outcome.rounds} round(s), "
               f"{outcome.elapsed_s:.1f} s")
    for line in ranking_words(appraisal, study):
        click.echo(f"- {line}")
    click.echo(f"written to {target}")
    if outcome.failed or outcome.not_run:
        click.echo(f"error: {len(outcome.failed)} run(s) failed, {outcome.not_run} not run; "
                   f"finished runs are stored in {store}; rerun with --resume to retry",
                   err=True)
        sys.exit(EXIT_WORK_FAILED)


@click.command("options", epilog=examples(
    "sim options scenarios/options/paper_recommendations.yaml --replications 3",
    "sim options scenarios/options/paper_recommendations.yaml --max-replications 10 "
    "--set horizon_days=20"))
@click.argument("options_file", type=InputFile("an options file", "options", "options",
                                               "paper_recommendations.yaml"))
@click.option("--replications", type=click.IntRange(min=1), default=None,
              help="Replications of every arm first (default: the file's).")
@click.option("--max-replications", type=click.IntRange(min=1), default=None,
              help="Add replications, Kim-Nelson, where the best is unclear, up to this many.")
@batch_options("results/options-<name>", "Override a field of the base scenario (repeatable).")
@user_errors
def options_command(options_file: str, out_dir: str | None, replications: int | None,
                    max_replications: int | None, workers: int | None, scheduler: str | None,
                    resume: bool, overrides: tuple[str, ...], no_plots: bool) -> None:
    """Rank the policy options of OPTIONS_FILE by effect and cost against its base scenario.

    Runs the base, every option and (for five options or fewer) every combination with common
    random numbers, into a resumable options folder: options.csv (effects with paired 95%
    intervals, cost a year, the efficiency frontier, probability of being best), ranks,
    the budget portfolio, the acceptability curve and figures. The format is in
    docs/experiments.md; the shipped file is scenarios/options/paper_recommendations.yaml.
    """
    _options_cli(options_file, out_dir, replications, max_replications, workers, scheduler,
                 resume, overrides, no_plots)
