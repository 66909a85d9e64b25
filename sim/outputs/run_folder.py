"""The run folder: every output file, written to a temporary folder and renamed when complete.

An interrupted write leaves no half folder behind; an existing run folder is never overwritten
unless asked. Tables are written by :func:`sim.outputs.eventlog.write_frame_csv` (the bytes of
``to_csv``, faster); the per-step table and the event log, the large ones, are gzipped
(``steps.csv.gz``, ``event_log.csv.gz``, ``event_log.xes.gz``), the tables the report reads are
plain. The large files are written by forked processes while this one writes the rest and
draws the plots.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing
import os
import platform as platform_module
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sim import __version__
from sim.config import dump_resolved
from sim.config.architectures import PAIR
from sim.experiments.replications import Experiment
from sim.experiments.statistics import CONFIDENCE
from sim.model.calendar import run_horizon_min, warmup_marks
from sim.model.kpis import KPI_DESCRIPTIONS
from sim.outputs.eventlog import write_frame_csv

__all__ = ["write_run", "default_run_dir", "safe_name", "summary_json", "RESULTS_SCHEMA_VERSION",
           "PAIRED_KEY"]

RESULTS_SCHEMA_VERSION = 1
PAIRED_KEY = f"paired_{PAIR[0]}_minus_{PAIR[1]}"  # summary.json's paired differences


def default_run_dir(name: str, base: Path = Path("results")) -> Path:
    """``results/<scenario>-<timestamp>``."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return base / f"{safe_name(name)}-{stamp}"


def safe_name(name: str) -> str:
    """A scenario or sweep name as a folder name: letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _clean(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def summary_json(experiment: Experiment, runtime_s: float) -> dict:
    """The self-describing summary: provenance, per-platform intervals, paired differences."""
    intervals = experiment.intervals()
    out = {
        "results_schema_version": RESULTS_SCHEMA_VERSION,
        "scenario": experiment.scenario.name,
        "seed": experiment.seed,
        "version": __version__,
        "python": platform_module.python_version(),
        "runtime_s": round(runtime_s, 3),
        "replications": int(experiment.summary().groupby("platform").size().max()),
        "confidence": CONFIDENCE,
        "kpi_descriptions": KPI_DESCRIPTIONS,
        "platforms": {
            p: {k: {m: _clean(v) for m, v in ci.items()} for k, ci in kpis.items()}
            for p, kpis in intervals.items()
        },
    }
    out["stability"] = {
        p: {k: _clean(v) if isinstance(v, float) else v for k, v in verdict.items()}
        for p, verdict in experiment.stability().items()
    }
    if set(PAIR) <= set(experiment.platforms):
        out[PAIRED_KEY] = {
            k: {m: _clean(v) for m, v in ci.items()} for k, ci in experiment.paired().items()
        }
    return out


def write_run(
    experiment: Experiment, out_dir: Path, runtime_s: float, force: bool = False,
    plots_on: bool | None = None,
) -> Path:
    """Write every output file of the experiment into ``out_dir`` atomically."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise FileExistsError(f"{out_dir} already exists; choose another --out or pass --force")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        _write_files(experiment, tmp, runtime_s, plots_on)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _write_files(experiment: Experiment, folder: Path, runtime_s: float,
                 plots_on: bool | None) -> None:
    scenario = experiment.scenario
    summary = experiment.summary()
    documents = experiment.documents()
    timeseries = experiment.timeseries()
    steps = experiment.steps()
    # The large tables go to forked children, written while this process does the rest.
    large: list[tuple[str, Callable[[], None]]] = []
    if documents is not None:
        large.append(("documents.csv", partial(write_frame_csv, documents,
                                               folder / "documents.csv")))
    if steps is not None:
        large.append(("steps.csv.gz", partial(write_frame_csv, steps, folder / "steps.csv.gz")))
        large.append(("the event log", partial(_write_event_log, steps, scenario, folder)))
    with _Alongside(large):
        write_frame_csv(summary, folder / "summary.csv")
        (folder / "summary.json").write_text(
            json.dumps(summary_json(experiment, runtime_s), indent=2, allow_nan=False)
        )
        write_frame_csv(timeseries, folder / "timeseries.csv")
        (folder / "scenario.resolved.yaml").write_text(dump_resolved(scenario))
        if plots_on if plots_on is not None else scenario.output.plots:
            _write_plots(experiment, folder, summary, documents, timeseries)


def _child(job: Callable[[], None]) -> None:
    """A forked writer: Ctrl-C and SIGTERM are the parent's to handle (it stops its children)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    job()


class _Alongside:
    """Jobs run in forked children while the ``with`` body runs here; joined on leaving.

    A forked child sees the parent's tables without copying or pickling them, so the large
    files are formatted on the other cores. Where fork is not available (or on one core) the
    jobs run here, after the body. Leaving on an exception stops the children at once; a child
    that fails makes the write fail.
    """

    def __init__(self, jobs: list[tuple[str, Callable[[], None]]]) -> None:
        self.jobs = jobs
        self.children: list[tuple[str, Any]] = []

    def __enter__(self) -> _Alongside:
        if (self.jobs and sys.platform == "linux" and (os.cpu_count() or 1) > 1
                and "fork" in multiprocessing.get_all_start_methods()):
            context = multiprocessing.get_context("fork")
            for name, job in self.jobs:
                child = context.Process(target=_child, args=(job,), name=f"write {name}")
                child.start()
                self.children.append((name, child))
        return self

    def __exit__(self, exc_type: Any, _exc: Any, _tb: Any) -> None:
        if exc_type is not None:
            for _name, child in self.children:
                child.terminate()
            for _name, child in self.children:
                child.join()
            return
        if not self.children:
            for _name, job in self.jobs:
                job()
            return
        failed = []
        for name, child in self.children:
            child.join()
            if child.exitcode != 0:
                failed.append(f"{name} (exit code {child.exitcode})")
        if failed:
            raise RuntimeError(f"writing {', '.join(failed)} failed (see above)")


def _write_event_log(steps, scenario, folder: Path) -> None:
    """event_log.csv.gz and event_log.xes.gz: the steps in process-mining conventions."""
    from sim.outputs import eventlog

    log = eventlog.event_log(steps, scenario)
    eventlog.write_event_log(log, folder / "event_log.csv.gz", folder / "event_log.xes.gz",
                             name=scenario.name)


def _write_plots(experiment, folder, summary, documents, timeseries) -> None:
    import matplotlib.pyplot as plt  # here: matplotlib only when plots are drawn

    from sim.outputs import plots

    scenario = experiment.scenario
    estimate = (float(summary.warmup_estimate_days.mean())
                if "warmup_estimate_days" in summary else None)
    data = plots.FigureData(summary, timeseries, documents, run_horizon_min(scenario),
                            scenario.name, *warmup_marks(scenario, estimate))
    for figure in plots.run_figures(data):
        ax = figure.draw(data)
        ax.figure.tight_layout()
        ax.figure.savefig(folder / figure.filename, dpi=100)
        plt.close(ax.figure)
