"""Running runs on a local process pool or a Dask cluster: a sweep's, into its result store.

:class:`RunPool` runs calls of one function in this process (one worker), on a local process
pool (workers that watch their parent) or on a Dask cluster, and yields each as it finishes;
:func:`sim.experiments.replications.run_experiment` and a sweep both use it.

Each run of a sweep is :func:`execute_run`: a pure function of (point scenario, platform,
replication, seed) returning its KPIs, or its error when it raises. Workers only compute; the
parent process writes every finished run to the store in its own transaction, as it arrives.
Since a run's seed comes from its point (or the point's seed block) and replication
(:func:`sim.experiments.sweeps.point_seed`), the stored KPIs are the same whatever the number of
workers, the executor or the order in which runs finish.

Outputs and interruption (the contract ``tests/test_sweep_signals.py`` checks): while runs are
going, the sweep folder holds only the store (outputs of an earlier pass are removed as soon as
runs start, since they no longer describe it). Once every run has been tried,
:func:`sim.outputs.sweep_folder.write_outputs` writes runs.csv, timing.csv, points.csv, sweep.yaml,
scenario.resolved.yaml and plots/, each under a temporary name renamed when complete. So a sweep
stopped at any moment, even by SIGKILL, leaves the store with every finished run and no
half-written file; rerunning (``--resume``) finishes the runs and writes the outputs.
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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.config import InputError, Scenario
from sim.experiments.store import STORE_FILE, ResultStore, remove_path
from sim.model.replication import run_replication

# Sweeps (and SciPy's stats with them) load where a sweep runs: a plain `sim run` uses RunPool.
if TYPE_CHECKING:
    from sim.experiments.sweeps import RunSpec, Sweep

__all__ = ["execute_run", "run_sweep", "open_store", "SweepOutcome", "Progress",
           "SchedulerError", "OUTPUTS", "RunPool", "default_workers"]

# Files and folders write_outputs derives from the store (removed when new runs start).
OUTPUTS = ("runs.csv", "timing.csv", "points.csv", "sweep.yaml", "scenario.resolved.yaml",
           "plots")
_PARENT_POLL_S = 0.5  # how often a pool worker checks that its parent is alive

# (runs done, runs to do, failures so far) after each finished run.
Progress = Callable[[int, int, int], None]
Runner = Callable[[Scenario, str, int, int, list[str]], dict[str, Any]]


class SchedulerError(InputError):
    """``--scheduler``: Dask is not installed, or the scheduler cannot be reached."""


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


def open_store(sweep: Sweep, out_dir: Path) -> ResultStore:
    """The sweep folder's result store, created or checked against this sweep."""
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


def default_workers() -> int:
    """Local worker processes when none are asked for: one per core."""
    return os.cpu_count() or 1


def _connect(address: str) -> Any:
    """A Dask distributed client of the scheduler at ``address``."""
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError(
            "--scheduler needs Dask distributed: pip install 'docflow-sim[dask]'"
        ) from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"--scheduler {address}: cannot connect ({exc})") from None


class RunPool:
    """Where runs go: this process (one worker), a local process pool, or a Dask cluster.

    ``scheduler`` (a ``tcp://host:port`` address) sends calls to a Dask cluster; otherwise
    ``workers`` local processes run them (default: one per core; 1 runs them here, in order).
    The pool is made on first use and kept, so successive batches (the rounds of
    :func:`sim.experiments.replications.run_to_precision`) reuse it. Used as a context manager:
    leaving on an exception (Ctrl-C, SIGTERM, a closed stream) stops the workers at once
    instead of waiting for their runs. ``context`` is the multiprocessing start method of the
    local pool (default: the platform's); a process with threads of its own (a web server)
    asks for ``spawn``, since a forked child would inherit locks those threads hold.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 max_tasks: int | None = None, context: str | None = None) -> None:
        self.scheduler = scheduler
        self.context = context
        wanted = workers or default_workers()
        self.workers = max(1, min(wanted, max_tasks) if max_tasks else wanted)
        self._pool: cf.ProcessPoolExecutor | None = None
        self._client: Any = _connect(scheduler) if scheduler else None

    @property
    def in_process(self) -> bool:
        """True when calls run here, one after another."""
        return self._client is None and self.workers <= 1

    @property
    def parallelism(self) -> int:
        """How many calls run at once: local workers, or the Dask cluster's threads."""
        if self._client is None:
            return self.workers
        return max(1, sum(self._client.nthreads().values()))

    def describe(self) -> str:
        """Where the runs go, for the user."""
        if self._client is not None:
            return f"Dask at {self.scheduler}"
        if self.workers <= 1:
            return "1 process"
        return f"{self.workers} worker processes"

    def __enter__(self) -> RunPool:
        return self

    def __exit__(self, exc_type: Any, _exc: Any, _tb: Any) -> None:
        self.close(abort=exc_type is not None)

    def as_completed(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]],
                     scatter: tuple[int, ...] = ()
                     ) -> Iterator[tuple[int, Callable[[], Any]]]:
        """Yield ``(index in calls, result getter)`` as each ``fn(*call)`` finishes.

        The getter returns the result or raises the call's exception. ``scatter`` names argument
        positions holding large objects shared by many calls (a scenario): on Dask each distinct
        object is sent to the cluster once. In process, each call runs when the previous one
        has been taken.
        """
        if self._client is not None:
            yield from self._dask(fn, calls, scatter)
            return
        if self.workers <= 1:
            for index, call in enumerate(calls):
                result = fn(*call)
                yield index, lambda result=result: result
            return
        if self._pool is None:
            import multiprocessing

            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers, initializer=_worker_setup,
                mp_context=multiprocessing.get_context(self.context) if self.context else None)
        futures = {self._pool.submit(fn, *call): index for index, call in enumerate(calls)}
        try:
            for future in cf.as_completed(futures):
                yield futures[future], future.result
        except BaseException:
            for future in futures:
                future.cancel()
            raise

    def _dask(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]],
              scatter: tuple[int, ...]) -> Iterator[tuple[int, Callable[[], Any]]]:
        from distributed import as_completed

        client = self._client
        shared = {id(call[i]): call[i] for call in calls for i in scatter}
        remote = dict(zip(shared, client.scatter(list(shared.values()), broadcast=False),
                          strict=True)) if shared else {}
        stamp = f"{os.getpid()}-{time.monotonic_ns()}"
        futures: dict[Any, int] = {}
        try:
            for index, call in enumerate(calls):
                args = [remote[id(a)] if i in scatter else a for i, a in enumerate(call)]
                futures[client.submit(fn, *args, pure=False,
                                      key=f"sim-run-{index}-{stamp}")] = index
            for future in as_completed(futures):
                yield futures[future], future.result
        except BaseException:
            client.cancel(list(futures))
            raise

    def close(self, abort: bool = False) -> None:
        """Release the workers: wait for them, or with ``abort`` stop them now."""
        if self._client is not None:
            self._client.close()
            self._client = None
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not abort:
            pool.shutdown(wait=True)
            return
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


def _stream(specs: list[RunSpec], sweep: Sweep, workers: int | None, scheduler: str | None,
            runner: Runner) -> Iterator[tuple[RunSpec, Callable[[], dict[str, Any]]]]:
    """Yield (spec, result getter) as a sweep's runs finish (closing it stops the workers)."""
    calls = [(sweep.scenarios[s.point], s.platform, s.replication, s.seed, sweep.kpis)
             for s in specs]
    with RunPool(workers, scheduler) as pool:
        for index, get in pool.as_completed(runner, calls, scatter=(0,)):
            yield specs[index], get


def run_sweep(
    sweep: Sweep, out_dir: str | Path, workers: int | None = None, scheduler: str | None = None,
    progress: Progress | None = None, runner: Runner = execute_run,
) -> SweepOutcome:
    """Run every run of ``sweep`` not already finished in ``out_dir``'s store.

    ``workers`` sizes the local process pool (default: the machine's cores); ``scheduler`` (a
    ``tcp://host:port`` address) sends the runs to a Dask cluster instead. A run that raises is
    stored as failed with its error; the sweep goes on. Failed runs are tried again on a rerun.
    """
    from sim.experiments.sweeps import expand

    out_dir = Path(out_dir)
    clock = time.perf_counter()
    specs = expand(sweep)
    store = open_store(sweep, out_dir)
    try:
        done = store.finished()
        todo = [s for s in specs if (s.point, s.replication, s.platform) not in done]
        outcome = SweepOutcome(out_dir, len(specs), len(specs) - len(todo), 0)
        if todo:  # the store is about to change: earlier outputs would describe an older state
            for name in OUTPUTS:
                remove_path(out_dir / name)
        if progress is not None:
            progress(0, len(todo), 0)
        stream = _stream(todo, sweep, workers, scheduler, runner)
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
