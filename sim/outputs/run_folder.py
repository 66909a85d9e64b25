"""The run folder: every output file, written to a temporary folder and renamed when complete.

An interrupted write leaves no half folder behind; an existing run folder is never overwritten
unless asked. Tables are written by :func:`sim.outputs.eventlog.write_frame_csv` (the bytes of
``to_csv``, faster); the per-step table and the event log, the large ones, are gzipped
(``steps.csv.gz``, ``event_log.csv.gz``, ``event_log.xes.gz``), the tables the report reads are
plain. The large files are written by forked processes while this one writes the rest and
draws the plots.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
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
from sim.config.errors import OutputError
from sim.experiments.replications import Experiment
from sim.experiments.statistics import CONFIDENCE
from sim.model.calendar import run_horizon_min, warmup_marks
from sim.model.kpis import KPI_DESCRIPTIONS
from sim.outputs.eventlog import write_frame_csv
from sim.outputs.over_time import events_table, weekly

__all__ = ["write_run", "default_run_dir", "safe_name", "summary_json", "RESULTS_SCHEMA_VERSION",
           "PAIRED_KEY", "check_output_folder", "check_output_file", "write_failure"]

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


#: What to do about a failed write, by errno.
_REMEDIES = {
    errno.ENOSPC: "the disk is full: free some space or choose another place",
    errno.EDQUOT: "the disk quota is used up: free some space or choose another place",
    errno.EFBIG: "a file is larger than this process may write (`ulimit -f`): raise the limit "
                 "or choose another place",
    errno.EACCES: "no permission to write there: choose another place",
    errno.EPERM: "no permission to write there: choose another place",
    errno.EROFS: "that file system is read-only: choose another place",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another place",
    errno.ENOENT: "a part of the path does not exist and cannot be created there: choose "
                  "another place",
}


def write_failure(path: Path, exc: OSError, what: str = "the run folder",
                  option: str = "--out", kept: str = "nothing was written") -> OutputError:
    """An :class:`OutputError` for a failed write: the path, the reason and what to do."""
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
    remedy = _REMEDIES.get(exc.errno or 0, "choose another place").replace(
        "choose another place", f"choose another {option}" if option else "choose another place")
    return OutputError(f"cannot write {what} {path}: {reason}{where}; {kept}; {remedy}")


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe(folder: Path) -> None:
    """Create and remove an empty folder in ``folder``: the one sure test that it is writable."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".sim-probe-", dir=folder))
    except OSError as exc:
        raise OSError(exc.errno, f"cannot create a folder in {folder}: {exc.strerror}") from None


def _probe_or_fail(folder: Path, target: Path, what: str, option: str) -> None:
    """:func:`_probe` ``folder``, as the :class:`OutputError` of writing ``target``."""
    try:
        _probe(folder)
    except OSError as exc:
        raise write_failure(target, exc, what, option, "nothing was run") from None


def check_output_folder(out_dir: Path, option: str = "--out", what: str = "the run folder",
                        may_exist: bool = False) -> None:
    """Fail at once, before anything is simulated, when ``out_dir`` cannot be written.

    The folder's nearest existing ancestor must be a folder in which this process can create
    one (tried: an empty folder is made and removed); an existing ``out_dir`` (``may_exist``,
    e.g. a sweep being resumed) must itself be such a folder. Raises :class:`OutputError`.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and may_exist:
        if not out_dir.is_dir():
            raise OutputError(f"cannot write {what} {out_dir}: it is a file, not a folder; "
                              f"choose another {option}")
        folder = out_dir
    else:
        folder = _nearest_existing(out_dir.parent)
        if not folder.is_dir():
            raise OutputError(f"cannot write {what} {out_dir}: {folder} is a file, not a "
                              f"folder; choose another {option}")
    _probe_or_fail(folder, out_dir, what, option)


def check_output_file(path: Path, option: str, what: str = "the file") -> None:
    """Fail at once when the file ``path`` cannot be written (its folder must exist)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"cannot write {what} {path}: it is a folder; give a file name to "
                          f"{option}")
    if not folder.is_dir():
        raise OutputError(f"cannot write {what} {path}: the folder {folder} does not exist; "
                          f"create it or choose another {option}")
    _probe_or_fail(folder, path, what, option)


def _created_parents(out_dir: Path) -> list[Path]:
    """The missing folders above ``out_dir``, deepest first: created for it, removed on failure."""
    missing = []
    parent = out_dir.parent.absolute()
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    return missing


def _as_final(exc: OSError, tmp: Path | None, out_dir: Path) -> OSError:
    """The error with the file named as it would have been in ``out_dir``, not in ``tmp``."""
    name = exc.filename
    if exc.errno is None or tmp is None or not name or not Path(name).is_relative_to(tmp):
        return exc
    return OSError(exc.errno, exc.strerror, str(out_dir / Path(name).relative_to(tmp)))


def write_run(
    experiment: Experiment, out_dir: Path, runtime_s: float, force: bool = False,
    plots_on: bool | None = None,
) -> Path:
    """Write every output file of the experiment into ``out_dir`` atomically.

    The files go to a hidden temporary folder beside ``out_dir``, renamed to it when all are
    written. A write that fails (a full disk, no permission, a file-size limit) leaves nothing
    behind, neither the temporary folder nor the parent folders made for it, and raises
    :class:`OutputError` naming the path and what to do.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise FileExistsError(f"{out_dir} already exists; choose another --out or pass --force")
    created = _created_parents(out_dir)
    tmp: Path | None = None
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
        _write_files(experiment, tmp, runtime_s, plots_on)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for folder in created:  # deepest first; only those still empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise write_failure(out_dir, _as_final(exc, tmp, out_dir)) from None
        raise
    return out_dir


def _write_files(experiment: Experiment, folder: Path, runtime_s: float,
                 plots_on: bool | None) -> None:
    scenario = experiment.scenario
    summary = experiment.summary()
    documents = experiment.documents()
    timeseries = experiment.timeseries()
    steps = experiment.steps()
    events = events_table(experiment.runs)
    weeks = weekly(timeseries, documents, events, scenario)
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
        write_frame_csv(weeks, folder / "weekly.csv")
        write_frame_csv(events, folder / "events.csv")
        (folder / "scenario.resolved.yaml").write_text(dump_resolved(scenario))
        if plots_on if plots_on is not None else scenario.output.plots:
            _write_plots(experiment, folder, summary, documents, timeseries, weeks, events)


_CHILD_OS_ERROR = 3  # a forked writer's exit code when its write failed (it sent the error)


def _child(job: Callable[[], None], report: Any) -> None:
    """A forked writer: Ctrl-C and SIGTERM are the parent's to handle (it stops its children).

    A failed write (a full disk, a file-size limit) is sent to the parent, which raises it: the
    user sees one line, not a child's traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        job()
    except OSError as exc:
        report.send((exc.errno, exc.strerror, exc.filename, str(exc)))
        report.close()
        sys.exit(_CHILD_OS_ERROR)


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
        self.reports: list[Any] = []

    def __enter__(self) -> _Alongside:
        if (self.jobs and sys.platform == "linux" and (os.cpu_count() or 1) > 1
                and "fork" in multiprocessing.get_all_start_methods()):
            context = multiprocessing.get_context("fork")
            for name, job in self.jobs:
                receive, send = context.Pipe(duplex=False)
                child = context.Process(target=_child, args=(job, send), name=f"write {name}")
                child.start()
                send.close()
                self.children.append((name, child))
                self.reports.append(receive)
        return self

    def __exit__(self, exc_type: Any, _exc: Any, _tb: Any) -> None:
        if exc_type is not None:
            for _name, child in self.children:
                child.terminate()
            for _name, child in self.children:
                child.join()
            for report in self.reports:
                report.close()
            return
        if not self.children:
            for _name, job in self.jobs:
                job()
            return
        failed = []
        os_error: OSError | None = None
        for (name, child), report in zip(self.children, self.reports, strict=True):
            child.join()
            if child.exitcode == _CHILD_OS_ERROR and report.poll():
                number, reason, filename, text = report.recv()
                os_error = os_error or (OSError(number, reason, filename) if number is not None
                                        else OSError(text))
            elif child.exitcode != 0:
                failed.append(f"{name} (exit code {child.exitcode})")
            report.close()
        if os_error is not None:
            raise os_error
        if failed:
            raise RuntimeError(f"writing {', '.join(failed)} failed (see above)")


def _write_event_log(steps, scenario, folder: Path) -> None:
    """event_log.csv.gz and event_log.xes.gz: the steps in process-mining conventions."""
    from sim.outputs import eventlog

    log = eventlog.event_log(steps, scenario)
    eventlog.write_event_log(log, folder / "event_log.csv.gz", folder / "event_log.xes.gz",
                             name=scenario.name)


def _write_plots(experiment, folder, summary, documents, timeseries, weeks, events) -> None:
    import matplotlib.pyplot as plt  # here: matplotlib only when plots are drawn

    from sim.outputs import plots

    scenario = experiment.scenario
    estimate = (float(summary.warmup_estimate_days.mean())
                if "warmup_estimate_days" in summary else None)
    data = plots.FigureData(summary, timeseries, documents, run_horizon_min(scenario),
                            scenario.name, *warmup_marks(scenario, estimate), weekly=weeks,
                            events=events)
    for figure in plots.run_figures(data):
        ax = figure.draw(data)
        ax.figure.tight_layout()
        ax.figure.savefig(folder / figure.filename, dpi=100)
        plt.close(ax.figure)
