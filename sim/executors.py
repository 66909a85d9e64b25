"""Running a sweep's runs on a local process pool or a Dask cluster, into the result store.

Each run is :func:`execute_run`: a pure function of (point scenario, platform, replication, seed)
returning its KPIs, or its error when it raises. Workers only compute; the parent process writes
every finished run to the store in its own transaction, as it arrives. Since a run's seed comes
from its point and replication (:func:`sim.sweeps.point_seed`), the stored KPIs are the same
whatever the number of workers, the executor or the order in which runs finish.

Outputs and interruption (the contract ``tests/test_sweep_signals.py`` checks): while runs are
going, the sweep folder holds only the store (outputs of an earlier pass are removed as soon as
runs start, since they no longer describe it). Once every run has been tried,
:func:`write_outputs` writes runs.csv, timing.csv, points.csv, sweep.yaml,
scenario.resolved.yaml and plots/, each under a temporary name renamed when complete. So a sweep
stopped at any moment, even by SIGKILL, leaves the store with every finished run and no
half-written file; rerunning (``--resume``) finishes the runs and writes the outputs.

``sim sweep`` exit codes: 0 when every run finished, 1 when some runs failed (the store, the
tables and the list of failures are still written), 2 bad input before any run, 130 interrupted
(Ctrl-C or SIGTERM; the message says how many runs are stored and to rerun with --resume).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model import run_replication
from sim.scenario import Scenario, ScenarioError
from sim.store import STORE_FILE, ResultStore, count_finished, remove_path, replacing
from sim.sweeps import RunSpec, Sweep, expand

__all__ = ["execute_run", "run_sweep", "SweepOutcome", "Progress", "make_sweep_command",
           "write_outputs", "default_sweep_dir", "OUTPUTS", "EXIT_RUNS_FAILED"]

# Files and folders write_outputs derives from the store (removed when new runs start).
OUTPUTS = ("runs.csv", "timing.csv", "points.csv", "sweep.yaml", "scenario.resolved.yaml",
           "plots")
_PARENT_POLL_S = 0.5  # how often a pool worker checks that its parent is alive
EXIT_RUNS_FAILED = 1  # `sim sweep` when some runs failed; 2 stays "bad input, nothing ran"

# (runs done, runs to do, failures so far) after each finished run.
Progress = Callable[[int, int, int], None]
Runner = Callable[[Scenario, str, int, int, list[str]], dict[str, Any]]


def execute_run(scenario: Scenario, platform: str, replication: int, seed: int,
                kpis: list[str]) -> dict[str, Any]:
    """One run; an exception becomes a ``failed`` result carrying its error, never a raise."""
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    clock = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        records = run_replication(scenario, platform, replication, seed, keep_documents=False)
    except Exception as exc:  # noqa: BLE001 - a failing run is recorded and the sweep goes on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
        return {"status": "failed", "error": error, "kpis": None, "started_at": started,
                "runtime_s": time.perf_counter() - clock, "worker": worker}
    return {"status": "ok", "error": None, "kpis": {k: records.kpis.get(k) for k in kpis},
            "started_at": started, "runtime_s": time.perf_counter() - clock, "worker": worker}


@dataclass
class SweepOutcome:
    """What a sweep did: where its store is, how many runs ran, were skipped and failed.

    ``not_run`` counts runs left unstored because a pool worker died outright (SIGKILL, out of
    memory): the pool can run nothing more, so the sweep stops; a rerun runs them.
    """

    out_dir: Path
    total: int
    skipped: int
    ran: int
    failed: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0
    not_run: int = 0

    @property
    def store_path(self) -> Path:
        """The SQLite store."""
        return self.out_dir / STORE_FILE


def _store(sweep: Sweep, out_dir: Path) -> ResultStore:
    return ResultStore(out_dir / STORE_FILE, sweep.parameters, sweep.kpis, sweep.fingerprint(),
                       {"sweep": sweep.name, "seed": sweep.seed,
                        "replications": sweep.spec.replications, "platforms": sweep.platforms})


def _worker_setup() -> None:
    """Pool worker set-up: Ctrl-C is the parent's to handle, and a worker outlives no parent.

    A terminal's Ctrl-C reaches every process of the foreground group; workers that took it
    would each print a traceback. A forked worker also inherits the CLI's SIGTERM handler, which
    raises; the default action lets the parent's clean-up (terminate) end it quietly. And a
    parent killed outright (SIGKILL, the OOM killer) cannot clean up: its workers would wait for
    work forever, holding their memory, so each watches its parent and exits when it is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:  # an orphan is adopted by another process
            time.sleep(_PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _local(specs: list[RunSpec], sweep: Sweep, workers: int,
           runner: Runner) -> Iterator[tuple[RunSpec, Callable[[], dict[str, Any]]]]:
    """Yield (spec, result getter) as runs finish on a local process pool (in process for 1)."""
    if workers <= 1:
        for spec in specs:
            result = runner(sweep.scenarios[spec.point], spec.platform, spec.replication,
                            spec.seed, sweep.kpis)
            yield spec, lambda result=result: result
        return
    pool = cf.ProcessPoolExecutor(max_workers=workers, initializer=_worker_setup)
    try:
        futures = {
            pool.submit(runner, sweep.scenarios[s.point], s.platform, s.replication, s.seed,
                        sweep.kpis): s
            for s in specs
        }
        for future in cf.as_completed(futures):
            yield futures[future], future.result
        pool.shutdown(wait=True)
    except BaseException:
        # Interrupted: stop the workers now rather than wait for their runs to finish. Their
        # list and the pool's manager thread are taken first: shutdown() drops both.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        if manager is not None:
            # Let it see the workers gone and close its pipe now: left running, it races the
            # interpreter's exit hook, which then writes to the closed pipe and prints a
            # traceback (Python 3.11's concurrent.futures).
            manager.join(timeout=10)
        raise


def _dask(specs: list[RunSpec], sweep: Sweep, address: str,
          runner: Runner) -> Iterator[tuple[RunSpec, Callable[[], dict[str, Any]]]]:
    """Yield (spec, result getter) as runs finish on a Dask distributed cluster."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ScenarioError(
            "--scheduler needs Dask distributed: pip install 'docflow-sim[dask]'"
        ) from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError(f"--scheduler {address}: cannot connect ({exc})") from None
    futures: dict[Any, RunSpec] = {}
    try:
        scenarios = client.scatter(sweep.scenarios, broadcast=False)
        futures = {
            client.submit(runner, scenarios[s.point], s.platform, s.replication, s.seed,
                          sweep.kpis, pure=False, key=f"sim-run-{s.run_id}-{os.getpid()}-"
                          f"{time.monotonic_ns()}"): s
            for s in specs
        }
        for future in as_completed(futures):
            yield futures[future], future.result
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.close()


def run_sweep(
    sweep: Sweep, out_dir: str | Path, workers: int | None = None, scheduler: str | None = None,
    progress: Progress | None = None, runner: Runner = execute_run,
) -> SweepOutcome:
    """Run every run of ``sweep`` not already finished in ``out_dir``'s store.

    ``workers`` sizes the local process pool (default: the machine's cores); ``scheduler`` (a
    ``tcp://host:port`` address) sends the runs to a Dask cluster instead. A run that raises is
    stored as failed with its error; the sweep goes on. Failed runs are tried again on a rerun.
    """
    out_dir = Path(out_dir)
    clock = time.perf_counter()
    specs = expand(sweep)
    store = _store(sweep, out_dir)
    try:
        done = store.finished()
        todo = [s for s in specs if (s.point, s.replication, s.platform) not in done]
        outcome = SweepOutcome(out_dir, len(specs), len(specs) - len(todo), 0)
        if todo:  # the store is about to change: earlier outputs would describe an older state
            for name in OUTPUTS:
                remove_path(out_dir / name)
        if progress is not None:
            progress(0, len(todo), 0)
        if scheduler:
            stream = _dask(todo, sweep, scheduler, runner)
        else:
            stream = _local(todo, sweep, workers or os.cpu_count() or 1, runner)
        for spec, get in stream:
            try:
                result = get()
            except BrokenProcessPool:
                # A worker died outright. Every pending run would come back "failed" with the
                # same error although none of them ran: store none of them, stop, and say so.
                outcome.not_run = len(todo) - outcome.ran
                stream.close()  # stops and joins what is left of the pool
                break
            except Exception as exc:  # noqa: BLE001 - e.g. lost on a Dask cluster
                result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                          "kpis": None}
            row = {"run_id": spec.run_id, "point": spec.point, "replication": spec.replication,
                   "platform": spec.platform, "seed": spec.seed, "params": spec.params, **result}
            store.record(row)
            outcome.ran += 1
            if result["status"] != "ok":
                outcome.failed.append(row)
            if progress is not None:
                progress(outcome.ran, len(todo), len(outcome.failed))
        outcome.elapsed_s = time.perf_counter() - clock
        return outcome
    finally:
        store.close()


def default_sweep_dir(name: str, base: Path = Path("results")) -> Path:
    """``results/sweep-<name>``: no timestamp, so running the sweep again resumes it."""
    from sim.results import safe_name  # not at the top: it loads matplotlib, workers need not

    return base / f"sweep-{safe_name(name)}"


def write_outputs(sweep: Sweep, out_dir: Path, plots_on: bool = True) -> tuple[pd.DataFrame,
                                                                                 pd.DataFrame]:
    """Files derived from the store; returns (every run, the per-point summary).

    runs.csv (no wall-clock columns: the same bytes for any workers or executor), timing.csv,
    points.csv, the sweep and base scenario as run, and the plots; each is written under a
    temporary name and renamed when complete.
    """
    from sim.scenario import dump_resolved
    from sim.sweeps import point_summary

    store = _store(sweep, out_dir)
    try:
        runs = store.write_tables(out_dir / "runs.csv", out_dir / "timing.csv")
    finally:
        store.close()
    summary = point_summary(runs, sweep.parameters, sweep.kpis)
    with replacing(out_dir / "points.csv") as tmp:
        summary.to_csv(tmp, index=False)
    for name, text in (("sweep.yaml", sweep.path.read_text(encoding="utf-8")),
                       ("scenario.resolved.yaml", dump_resolved(sweep.base))):
        with replacing(out_dir / name) as tmp:
            tmp.write_text(text, encoding="utf-8")
    if plots_on and (runs.status == "ok").any():
        from sim.sweep_plots import write_sweep_plots

        with replacing(out_dir / "plots") as tmp:
            write_sweep_plots(runs, sweep.parameters, sweep.kpis, tmp, sweep.name)
    return runs, summary


class _ProgressLine:
    """Runs done, failures and ETA on stderr, rewritten in place."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, done: int, total: int, failures: int) -> None:
        import sys

        import click

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


def _sweep_cli(sweep_file: str, out_dir: str | None, workers: int | None, scheduler: str | None,
               resume: bool, overrides: tuple[str, ...], no_plots: bool) -> None:
    import sys

    import click

    from sim.sweeps import load_sweep, summary_table

    sweep = load_sweep(sweep_file, list(overrides))
    target = Path(out_dir) if out_dir else default_sweep_dir(sweep.name)
    if resume and not (target / STORE_FILE).exists():
        raise ScenarioError(f"--resume: {target / STORE_FILE} not found; nothing to resume "
                            f"(leave out --resume to start the sweep)")
    runs_total = len(sweep.points) * sweep.spec.replications * len(sweep.platforms)
    where = f"Dask at {scheduler}" if scheduler else \
        f"{workers or os.cpu_count() or 1} local worker(s)"
    click.echo(f"{sweep.name}: {len(sweep.points)} point(s) x {sweep.spec.replications} "
               f"replication(s) x {', '.join(sweep.platforms)} = {runs_total} runs on {where}")
    try:
        outcome = run_sweep(sweep, target, workers, scheduler, _ProgressLine())
        runs, summary = write_outputs(sweep, target, plots_on=not no_plots)
    except KeyboardInterrupt as exc:
        # sim.cli's _user_errors prints "interrupted (Ctrl-C): <detail>" and exits 130; the
        # default "nothing was written" would be false: every finished run is in the store.
        store = target / STORE_FILE
        exc.detail = (f"{count_finished(store)} of {runs_total} runs are stored in {store}; "
                      f"rerun with --resume to finish")
        raise
    click.echo(f"{outcome.ran} run(s) done, {outcome.skipped} already stored, "
               f"{len(outcome.failed)} failed, {outcome.not_run} not run, "
               f"{outcome.elapsed_s:.1f} s")
    for platform in sweep.platforms:
        click.echo(f"\n{platform.upper()} (mean ± 95% CI over replications)")
        click.echo(summary_table(summary, sweep.parameters, sweep.kpis, platform))
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
        sys.exit(EXIT_RUNS_FAILED)


def make_sweep_command() -> Any:
    """The `sim sweep` click command (built here so that sim.cli can register it)."""
    import click

    from sim.cli import _user_errors

    @click.command("sweep")
    @click.argument("sweep_file", type=click.Path(dir_okay=False))
    @click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
                  help="Sweep folder (default: results/sweep-<name>); an existing one resumes.")
    @click.option("--workers", type=click.IntRange(min=1), default=None,
                  help="Local worker processes (default: the machine's cores).")
    @click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
                  help="Run on this Dask distributed scheduler instead of local processes.")
    @click.option("--resume", is_flag=True,
                  help="Require an existing store in --out and finish its missing runs.")
    @click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
                  help="Override a field of the base scenario (repeatable).")
    @click.option("--no-plots", is_flag=True, help="Skip the PNG plots.")
    @_user_errors
    def sweep_command(sweep_file: str, out_dir: str | None, workers: int | None,
                      scheduler: str | None, resume: bool, overrides: tuple[str, ...],
                      no_plots: bool) -> None:
        """Run every point x replication x platform of SWEEP_FILE into a resumable store."""
        _sweep_cli(sweep_file, out_dir, workers, scheduler, resume, overrides, no_plots)

    return sweep_command
