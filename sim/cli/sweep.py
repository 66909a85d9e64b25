"""``sim sweep``: every point x replication x platform of a sweep file, into a resumable store.

Exit codes: 0 when every run finished, 1 when some runs failed (the store, the tables and the
list of failures are still written), 2 bad input before any run, 130 interrupted (Ctrl-C or
SIGTERM; the message says how many runs are stored and to rerun with --resume).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

import click

from sim.cli.batch import batch_options
from sim.cli.errors import EXIT_WORK_FAILED, user_errors
from sim.cli.run import InputFile, examples
from sim.config.errors import InputError

__all__ = ["sweep_command"]


class _ProgressLine:
    """Runs done, failures and ETA on stderr, rewritten in place."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, done: int, total: int, failures: int) -> None:
        now = time.perf_counter()
        if done not in (0, total) and now - self.last < 0.5:
            return
        self.last = now
        elapsed = now - self.started
        eta = elapsed / done * (total - done) if done else float("nan")
        eta_text = "?" if done == 0 else f"{int(eta // 60)}m{int(eta % 60):02d}s"
        line = f"runs {done}/{total}, {failures} failed, ETA {eta_text}"
        end = "\n" if done == total else ""
        if sys.stderr.isatty():
            click.echo(f"\r{line}", err=True, nl=False)
            if end:
                click.echo("", err=True)
        elif done == total or done % max(1, total // 20) == 0:
            click.echo(line, err=True)


def _write_failed(exc: OSError | sqlite3.Error, target: Path, runs_total: int,
                  stored: int) -> InputError:
    """One line for a sweep whose folder could not be written: what is kept, what to do."""
    from sim.outputs.run_folder import write_failure

    kept = (f"{stored} of {runs_total} runs are stored in {target / 'sweep.sqlite'}; once "
            f"fixed, rerun with --resume to finish")
    if isinstance(exc, OSError):
        return write_failure(target, exc, "the sweep folder", "--out", kept)
    return InputError(f"cannot write the sweep folder {target}: the result store failed "
                      f"({exc}); {kept} (a full disk? free some space or choose another --out)")


def _sweep_cli(sweep_file: str, out_dir: str | None, workers: int | None, scheduler: str | None,
               resume: bool, overrides: tuple[str, ...], no_plots: bool) -> None:
    from sim.experiments.executors import run_sweep
    from sim.experiments.store import STORE_FILE, count_finished
    from sim.experiments.sweeps import load_sweep
    from sim.outputs.run_folder import check_output_folder
    from sim.outputs.sweep_folder import default_sweep_dir, write_outputs
    from sim.outputs.tables import sweep_summary

    sweep = load_sweep(sweep_file, list(overrides))
    target = Path(out_dir) if out_dir else default_sweep_dir(sweep.name)
    if resume and not (target / STORE_FILE).exists():
        raise InputError(f"--resume: {target / STORE_FILE} not found; nothing to resume "
                         f"(leave out --resume to start the sweep)")
    # Now, not after the first runs: an existing folder is resumed, so it may exist.
    check_output_folder(target, what="the sweep folder", may_exist=True)
    runs_total = len(sweep.points) * sweep.spec.replications * len(sweep.platforms)
    where = f"Dask at {scheduler}" if scheduler else \
        f"{workers or os.cpu_count() or 1} local worker(s)"
    click.echo(f"{sweep.name}: {len(sweep.points)} point(s) x {sweep.spec.replications} "
               f"replication(s) x {', '.join(sweep.platforms)} = {runs_total} runs on {where}")
    try:
        outcome = run_sweep(sweep, target, workers, scheduler, _ProgressLine())
        runs, summary = write_outputs(sweep, target, plots_on=not no_plots)
    except KeyboardInterrupt as exc:
        # user_errors prints "interrupted (Ctrl-C): <detail>" and exits 130; the
        # default "nothing was written" would be false: every finished run is in the store.
        store = target / STORE_FILE
        exc.detail = (f"{count_finished(store)} of {runs_total} runs are stored in {store}; "
                      f"rerun with --resume to finish")
        raise
    except (OSError, sqlite3.Error) as exc:
        # A full disk, a file-size limit, a folder made read-only meanwhile: the store keeps
        # every run it committed (each is its own transaction), so say how many and what next.
        raise _write_failed(exc, target, runs_total, count_finished(target / STORE_FILE)) \
            from None
    click.echo(f"{outcome.ran} run(s) done, {outcome.skipped} already stored, "
               f"{len(outcome.failed)} failed, {outcome.not_run} not run, "
               f"{outcome.elapsed_s:.1f} s")
    if (runs.status == "ok").any():
        click.echo("")
        click.echo(sweep_summary(runs, sweep.parameters, sweep.kpis, str(target)))
    failed = runs[runs.status != "ok"]
    if len(failed):
        click.echo(f"\n{len(failed)} failed run(s) (run again to retry them):")
        for row in failed.itertuples():
            click.echo(f"  run {row.run_id} (point {row.point}, replication {row.replication}, "
                       f"{row.platform}): {row.error}")
    click.echo(f"written to {target}")
    if len(failed):
        # Not 0: a script or scheduler must see that the sweep is incomplete; not 2 either,
        # which means bad input and nothing run.
        click.echo(f"error: {len(failed)} of {runs_total} runs failed (listed above); finished "
                   f"runs are stored in {target / STORE_FILE}; run the sweep again to retry the "
                   f"failed ones", err=True)
    if outcome.not_run:
        click.echo(f"error: a worker process died (killed, or out of memory?); {outcome.not_run} "
                   f"of {runs_total} runs did not run and are not stored; rerun with --resume "
                   f"to run them (with fewer --workers if memory is short)", err=True)
    if len(failed) or outcome.not_run:
        sys.exit(EXIT_WORK_FAILED)


@click.command("sweep", epilog=examples(
    "sim sweep scenarios/sweeps/remote_share.yaml --workers 4",
    "sim sweep scenarios/sweeps/remote_share.yaml --set horizon_days=20 --out results/quick",
    "sim sweep scenarios/sweeps/assumptions_morris.yaml --set design.n=2 --set horizon_days=5"))
@click.argument("sweep_file", type=InputFile("a sweep file", "sweep", "sweeps",
                                             "remote_share.yaml"))
@batch_options("results/sweep-<name>", "Override a field of the base scenario, or with "
               "design.KEY=VALUE the sweep's own design, e.g. --set design.n=2 (repeatable).")
@user_errors
def sweep_command(sweep_file: str, out_dir: str | None, workers: int | None,
                  scheduler: str | None, resume: bool, overrides: tuple[str, ...],
                  no_plots: bool) -> None:
    """Run every point x replication x platform of SWEEP_FILE into a resumable store.

    The sweep folder gets sweep.sqlite (every finished run, kept through interruptions),
    runs.csv, points.csv (mean and 95% CI per point) and plots. The format of a sweep file is
    in docs/experiments.md; the shipped ones are in scenarios/sweeps/.
    """
    _sweep_cli(sweep_file, out_dir, workers, scheduler, resume, overrides, no_plots)
