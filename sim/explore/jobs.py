"""Paired replications in the background: streamed, stopped at a precision, cancelled, cached.

A :class:`Request` pairs two *arms* (a scenario on an architecture): OSDO and ESED on one
scenario, or two lever settings A and B on one architecture. Replication ``r`` of both arms uses
the same root seed and replication number, so they share people, documents and handling draws
(common random numbers) and their difference is paired.

:func:`stream` runs the replications on a :class:`sim.experiments.executors.RunPool` and calls
back after each one, in replication order, whatever order the workers finish in. It stops by
the rule of :func:`sim.experiments.replications.run_to_precision`: from ``start`` replications
on, as soon as every arm's 95% half-width of the chosen KPI is within ``precision`` of its mean,
or at ``cap``. So an OSDO-ESED request gives exactly the runs of ``sim run --precision``.

:class:`Explorer` keeps one job at a time in a thread (the page stays live), a cache of
finished results keyed by the resolved scenarios and the stopping rule, and a folder where
each finished OSDO-ESED result is written as a run folder (``sim report`` opens it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sim.config import Scenario
from sim.config.architectures import PAIR, architecture_label

# The simulation and its tables are imported when a job first needs them, not with this module:
# `sim explore` serves its page before pandas, SciPy and SimPy have loaded.
if TYPE_CHECKING:
    import pandas as pd

    from sim.experiments.executors import RunPool
    from sim.experiments.replications import Experiment
    from sim.model.metrics import RunRecords

__all__ = ["Arm", "Request", "Snapshot", "stream", "Explorer", "pair_request", "ab_request",
           "Cancelled"]

CACHE_SIZE = 32  #: finished results kept for instant answers
START_METHOD = "forkserver"  #: how the explorer's worker processes start (see Explorer)
WARM_DELAY_S = 2.0  #: seconds after start-up before the workers are started (Explorer.warm)


class Cancelled(Exception):
    """The user cancelled the job."""


@dataclass(frozen=True)
class Arm:
    """One side of a paired comparison: a scenario on an architecture, under a short key."""

    key: str
    label: str
    scenario: Scenario
    platform: str


@dataclass(frozen=True)
class Request:
    """What to run: two arms, the seed, and the stopping rule (KPI, precision, start, cap)."""

    arms: tuple[Arm, Arm]
    seed: int
    kpi: str
    precision: float
    start: int
    cap: int

    @property
    def is_pair(self) -> bool:
        """OSDO against ESED on one scenario (the ``sim run`` comparison)."""
        a, b = self.arms
        return (a.platform, b.platform) == PAIR and a.scenario == b.scenario

    @property
    def first(self) -> int:
        """Replications run before the rule is first checked (as ``run_to_precision``)."""
        return min(max(2, self.start), self.cap)

    def key(self) -> str:
        """A digest of the resolved scenarios, architectures, seed and rule: the cache key."""
        text = json.dumps({
            "arms": [[a.key, a.platform, a.scenario.model_dump_json()] for a in self.arms],
            "seed": self.seed, "kpi": self.kpi, "precision": self.precision,
            "start": self.first, "cap": self.cap}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def pair_request(scenario: Scenario, seed: int | None, kpi: str, precision: float,
                 start: int | None, cap: int) -> Request:
    """OSDO against ESED on ``scenario``, as ``sim run --precision`` runs them."""
    arms = tuple(Arm(p, architecture_label(p), scenario, p) for p in PAIR)
    return Request(arms, scenario.run_seed(seed), kpi, precision,  # type: ignore[arg-type]
                   scenario.replications if start is None else start, cap)


def ab_request(a: Scenario, b: Scenario, platform: str, seed: int | None, kpi: str,
               precision: float, start: int | None, cap: int) -> Request:
    """Setting B against setting A on one architecture, on the same random numbers (A's seed)."""
    arms = (Arm("B", "B", b, platform), Arm("A", "A", a, platform))
    return Request(arms, a.run_seed(seed), kpi, precision,
                   a.replications if start is None else start, cap)


@dataclass(frozen=True)
class Snapshot:
    """What a job has done so far, for the page: an immutable copy taken after each replication.

    ``state`` is ``running``, ``done``, ``cancelled`` or ``failed``. ``summary`` has one row per
    (arm, replication) (the arm's key in ``platform``), ``trace`` one row per replication from
    the second on: the half-width of the rule's KPI per arm (share of its mean) and the paired
    difference's half-width.
    """

    request: Request
    state: str
    summary: pd.DataFrame
    replications: int
    runs_done: int
    trace: list[dict[str, float]] = field(default_factory=list)
    reached: bool = False
    message: str = ""
    error: str | None = None
    run_dir: Path | None = None
    cached: bool = False
    elapsed_s: float = 0.0

    def paired(self) -> dict[str, dict[str, float]]:
        """First arm minus second, per KPI (mean, half-width, low, high, n)."""
        from sim.experiments.statistics import paired_differences

        a, b = (arm.key for arm in self.request.arms)
        return paired_differences(self.summary, a, b) if len(self.summary) else {}


def _ready() -> bool:
    """Nothing: importing this module in a worker is the point (it loads the model)."""
    return True


def _timed_run(scenario: Scenario, platform: str, replication: int, seed: int
               ) -> tuple[RunRecords, float]:
    from sim.model.replication import run_replication

    clock = time.perf_counter()
    records = run_replication(scenario, platform, replication, seed)
    return records, time.perf_counter() - clock


def _summary(request: Request, done: list[list[RunRecords]]) -> pd.DataFrame:
    import pandas as pd

    from sim.experiments.replications import Experiment

    frames = []
    for i, arm in enumerate(request.arms):
        table = Experiment(arm.scenario, request.seed, [rep[i] for rep in done]).summary()
        frames.append(table.assign(platform=arm.key))
    return pd.concat(frames, ignore_index=True)


def _widths(request: Request, done: list[list[RunRecords]]) -> dict[str, float]:
    """Per arm: the 95% half-width of the rule's KPI over its mean (as run_to_precision)."""
    from sim.experiments.replications import Experiment, relative_half_widths

    out = {}
    for i, arm in enumerate(request.arms):
        runs = [rep[i] for rep in done]
        out[arm.key] = relative_half_widths(Experiment(arm.scenario, request.seed, runs),
                                            request.kpi)[arm.platform]
    return out


def experiment_of(request: Request, done: list[list[RunRecords]]) -> Experiment:
    """An OSDO-ESED request's runs as ``run_to_precision`` orders them (replication-major)."""
    from sim.experiments.replications import Experiment

    scenario = request.arms[0].scenario
    return Experiment(scenario, request.seed, [run for rep in done for run in rep])


Update = Callable[[list[list["RunRecords"]], list[dict[str, float]], int], None]


def stream(request: Request, pool: RunPool, on_replication: Update | None = None,
           cancelled: Callable[[], bool] = lambda: False,
           on_run: Callable[[int], None] | None = None
           ) -> tuple[list[list[RunRecords]], list[dict[str, float]], bool]:
    """Run ``request``'s replications until its rule stops them; (runs, trace, reached).

    ``on_replication(runs, trace, runs_done)`` after each replication, in replication order;
    ``on_run(runs_done)`` as each run finishes. ``cancelled()`` is asked after each run: true
    raises :class:`Cancelled`. Replications the pool ran ahead of the rule are dropped, so the
    result is the serial procedure's for any number of workers.
    """
    arms = request.arms
    done: list[list[RunRecords]] = []
    trace: list[dict[str, float]] = []
    per_round = max(1, -(-pool.parallelism // len(arms)))
    next_r, runs_done = 0, 0
    while True:
        stop = request.first if next_r == 0 else min(next_r + per_round, request.cap)
        order = [(r, i) for r in range(next_r, stop) for i in range(len(arms))]
        calls = [(arms[i].scenario, arms[i].platform, r, request.seed) for r, i in order]
        slots: dict[tuple[int, int], RunRecords] = {}
        batch = pool.as_completed(_timed_run, calls, scatter=(0,))
        try:
            for index, get in batch:
                if cancelled():
                    raise Cancelled
                records, _ = get()
                slots[order[index]] = records
                runs_done += 1
                if on_run is not None:
                    on_run(runs_done)
                while all((len(done), i) in slots for i in range(len(arms))):
                    done.append([slots.pop((len(done), i)) for i in range(len(arms))])
                    n = len(done)
                    if n >= 2:
                        trace.append(_trace_row(request, done))
                    if on_replication is not None:
                        on_replication(done, trace, runs_done)
                    if n >= request.first:
                        widths = _widths(request, done)
                        if max(widths.values()) <= request.precision or n >= request.cap:
                            return done, trace, max(widths.values()) <= request.precision
        finally:
            batch.close()  # stops waiting for runs past the stopping point
        next_r = stop


def _trace_row(request: Request, done: list[list[RunRecords]]) -> dict[str, float]:
    from sim.experiments.statistics import paired_differences

    a, b = (arm.key for arm in request.arms)
    diff = paired_differences(_summary(request, done), a, b).get(request.kpi, {})
    return {"replications": len(done), **_widths(request, done),
            "difference": diff.get("mean", float("nan")),
            "difference_half_width": diff.get("half_width", float("nan"))}


class Explorer:
    """One background job at a time, a cache of finished results, a folder of run folders.

    ``workers`` local processes run the replications; the pool is kept between jobs and
    replaced after a cancel, which stops its workers at once. They are forked by a
    ``forkserver`` that has imported the model once: not from this process, whose threads (a
    web server's) could hold locks a forked child would inherit, and not ``spawn``, which would
    import the model again in every new worker.
    """

    def __init__(self, workers: int | None = None, folder: Path | None = None) -> None:
        self.workers = workers
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="sim-explore-"))
        self.cache: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: RunPool | None = None
        self.version = 0  #: bumped at every new snapshot: the page redraws when it moves
        # The fork server imports the model once, before any fork.
        multiprocessing.get_context(START_METHOD).set_forkserver_preload(
            [__name__, "sim.model.replication"])

    @property
    def busy(self) -> bool:
        """A job is running."""
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self) -> Snapshot | None:
        """The latest snapshot of the current (or last) job."""
        with self._lock:
            return self._snapshot

    def _publish(self, snap: Snapshot) -> None:
        with self._lock:
            self._snapshot = snap
            self.version += 1

    def submit(self, request: Request) -> Snapshot:
        """Start ``request`` in the background, or answer it from the cache at once."""
        if self.busy:
            raise RuntimeError("a job is running: cancel it first")
        hit = self.cache.get(request.key())
        if hit is not None:
            snap = replace(hit, cached=True, message=hit.message + " (from the cache)")
            self._publish(snap)
            return snap
        self._cancel.clear()
        import pandas as pd

        snap = Snapshot(request, "running", pd.DataFrame(), 0, 0,
                        message="starting the worker processes")
        self._publish(snap)
        self._thread = threading.Thread(target=self._work, args=(request,), daemon=True,
                                        name="sim-explore-job")
        self._thread.start()
        return snap

    def cancel(self) -> None:
        """Stop the running job now: its workers are terminated, its partial result kept."""
        if not self.busy:
            return  # nothing to stop: the idle workers stay for the next run
        self._cancel.set()
        pool = self._pool
        if pool is not None and not pool.in_process:
            pool.close(abort=True)
            self._pool = None

    def wait(self, timeout: float | None = None) -> Snapshot | None:
        """Wait for the running job to end (tests, scripts); its last snapshot."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot()

    def close(self) -> None:
        """Stop any job and the workers."""
        self.cancel()
        if self._thread is not None:
            self._thread.join(10)
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(abort=True)

    def _pool_now(self) -> RunPool:
        from sim.experiments.executors import RunPool

        with self._lock:
            if self._pool is None:
                self._pool = RunPool(self.workers, context=START_METHOD)
            return self._pool

    def warm(self) -> None:
        """Start the worker processes in the background, so that the first Run is quick."""
        def start() -> None:
            pool = self._pool_now()
            if not pool.in_process:
                with contextlib.suppress(Exception):  # a failure shows at the first Run
                    list(pool.as_completed(_ready, [()] * pool.workers))
        # A moment later: the page is served first, then the workers load the model.
        warm = threading.Timer(WARM_DELAY_S, start)
        warm.daemon = True
        warm.start()

    def _work(self, request: Request) -> None:
        import pandas as pd

        clock = time.perf_counter()
        state: dict[str, object] = {"done": [], "trace": [], "runs": 0}

        def total() -> int:
            return request.first * len(request.arms)

        def on_replication(done: list[list[RunRecords]], trace: list[dict[str, float]],
                           runs: int) -> None:
            state.update(done=list(done), trace=list(trace), runs=runs)
            self._publish(Snapshot(
                request, "running", _summary(request, done), len(done), runs, list(trace),
                message=f"{len(done)} replication(s) so far, at most {request.cap}",
                elapsed_s=time.perf_counter() - clock))

        def on_run(runs: int) -> None:
            current = self.snapshot()
            if current is not None and current.state == "running":
                self._publish(replace(current, runs_done=runs,
                                      message=f"{runs} run(s) finished ({len(request.arms)} a "
                                      f"replication, at least {total()} before the first "
                                      f"check)"))

        try:
            done, trace, reached = stream(request, self._pool_now(), on_replication,
                                          self._cancel.is_set, on_run)
        except BaseException as exc:  # noqa: BLE001 - a failed run must not end the page
            done = state["done"]  # type: ignore[assignment]
            trace = state["trace"]  # type: ignore[assignment]
            stopped = self._cancel.is_set()
            if not stopped and self._pool is not None:
                self._pool.close(abort=True)
                self._pool = None
            summary = _summary(request, done) if done else pd.DataFrame()
            if stopped:
                snap = Snapshot(request, "cancelled", summary, len(done),
                                int(state["runs"]), trace,  # type: ignore[arg-type]
                                message=f"cancelled after {len(done)} replication(s)",
                                elapsed_s=time.perf_counter() - clock)
            else:
                snap = Snapshot(request, "failed", summary, len(done),
                                int(state["runs"]), trace,  # type: ignore[arg-type]
                                message="the run failed", error=_error_text(exc),
                                elapsed_s=time.perf_counter() - clock)
            self._publish(snap)
            return
        elapsed = time.perf_counter() - clock
        run_dir = None
        error = None
        if request.is_pair:
            try:
                run_dir = self._write(request, done, elapsed)
            except Exception as exc:  # noqa: BLE001 - the numbers stand without the folder
                error = f"could not write the run folder: {_error_text(exc)}"
        widths = _widths(request, done)
        rule = (f"{request.kpi} half-width {max(widths.values()):.1%} of the mean, target "
                f"{request.precision:.1%}")
        message = (f"precision reached after {len(done)} replications ({rule})" if reached
                   else f"stopped at the cap of {len(done)} replications ({rule})")
        snap = Snapshot(request, "done", _summary(request, done), len(done),
                        int(state["runs"]) or len(done) * 2, trace, reached, message, error,
                        run_dir, elapsed_s=elapsed)
        self.cache[request.key()] = snap
        while len(self.cache) > CACHE_SIZE:
            self.cache.pop(next(iter(self.cache)))
        self._publish(snap)

    def _write(self, request: Request, done: list[list[RunRecords]], elapsed: float) -> Path:
        from sim.outputs.run_folder import write_run

        target = self.folder / f"{request.arms[0].scenario.name}-{request.key()}"
        return write_run(experiment_of(request, done), target, elapsed, force=True,
                         plots_on=False)


def _error_text(exc: BaseException) -> str:
    """One line: the error's type and message (a bad scenario's message is already one)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
