"""The Python API for notebooks: :func:`run`, :func:`compare`, :func:`sweep` and :func:`options`.

``sim.run`` returns a :class:`RunResults` whose tables are DataFrames (``summary``, ``means``,
``paired``, ``documents``, ``timeseries``); ``sim.compare`` and ``sim.sweep`` return one
DataFrame each; ``sim.options`` an :class:`OptionsResults` (options ranked by effect and cost,
as DataFrames, and in words). Each prints a progress line on stderr as runs finish
(``progress=False`` to silence it), which a Jupyter notebook shows without a terminal.
``docs/api.md`` has examples.

``import sim`` loads none of this: ``sim.run`` and the others are looked up when first used.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pandas as pd

from sim.config import Scenario, load_scenario, scenario_from_dict

if TYPE_CHECKING:
    from sim.experiments.replications import Experiment, Precision, RunDone

__all__ = ["run", "compare", "sweep", "options", "RunResults", "OptionsResults", "Progress"]

ScenarioLike = str | Path | Scenario | Mapping[str, Any]


def _scenario(scenario: ScenarioLike, overrides: list[str] | None) -> Scenario:
    """A validated scenario from a file path, a :class:`Scenario` or a raw mapping."""
    if isinstance(scenario, Scenario):
        if overrides:
            return scenario_from_dict(scenario.model_dump(mode="python"), scenario.name,
                                      overrides)
        return scenario
    if isinstance(scenario, Mapping):
        return scenario_from_dict(dict(scenario), str(scenario.get("name", "<scenario>")),
                                  overrides)
    return load_scenario(scenario, overrides)


def _in_notebook() -> bool:
    return "ipykernel" in sys.modules


class Progress:
    """A text progress line on stderr: runs done of runs started, elapsed time.

    Where a line can be rewritten in place (a terminal, or a Jupyter notebook's output) it is
    one line redrawn as runs finish; elsewhere (a log file, a pipe) one line per finished run.
    Needs nothing beyond the standard library.

    Parameters
    ----------
    label : str
        What is being run, at the start of the line (e.g. the scenario's name).
    stream : file-like, optional
        Where to write (default: ``sys.stderr`` at the time of writing).

    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream
        self.started = time.perf_counter()
        self.open_line = False

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr

    def _in_place(self) -> bool:
        out = self._out()
        return _in_notebook() or bool(getattr(out, "isatty", lambda: False)())

    def update(self, done: int, total: int, what: str = "", failed: int = 0) -> None:
        """``done`` of ``total`` runs finished (``what``: the last one; ``failed`` so far)."""
        elapsed = time.perf_counter() - self.started
        text = f"{self.label}: {done}/{total} runs done"
        if failed:
            text += f", {failed} failed"
        if what:
            text += f" (last: {what})"
        text += f", {elapsed:.1f} s"
        out = self._out()
        if self._in_place():
            out.write(f"\r{text}   ")
            self.open_line = True
        else:
            out.write(text + "\n")
        out.flush()

    def note(self, text: str) -> None:
        """A line of its own (e.g. how close ``precision`` is)."""
        self.close()
        out = self._out()
        out.write(f"{self.label}: {text}\n")
        out.flush()

    def run_done(self, run: RunDone) -> None:
        """A finished replication (the ``progress`` callback of ``run_experiment``)."""
        self.update(run.done, run.total, f"{run.platform} r{run.replication}")

    def close(self) -> None:
        """End the line being redrawn."""
        if self.open_line:
            self._out().write("\n")
            self._out().flush()
            self.open_line = False


def _progress(label: str, on: bool) -> Progress | None:
    return Progress(label) if on else None


@dataclass
class RunResults:
    """What :func:`run` returns: the replications of a scenario, as DataFrames.

    Attributes
    ----------
    experiment : Experiment
        Every run's records (:class:`sim.experiments.replications.Experiment`); pass it to
        :func:`sim.outputs.run_folder.write_run` to write a run folder.
    precision : Precision or None
        With ``precision=``: whether the target was met, after how many replications.

    Examples
    --------
    >>> results = sim.run("scenarios/baseline.yaml", replications=2)   # doctest: +SKIP
    >>> results.means.query("kpi == 'cycle_time_mean_h'")               # doctest: +SKIP
    >>> results.paired.set_index("kpi").loc["on_time_rate"]            # doctest: +SKIP

    """

    experiment: Experiment
    precision: Precision | None = None

    @property
    def scenario(self) -> Scenario:
        """The scenario as run (every default filled in, overrides applied)."""
        return self.experiment.scenario

    @property
    def seed(self) -> int:
        """The root seed the runs used."""
        return self.experiment.seed

    @property
    def platforms(self) -> list[str]:
        """The architectures run, in order."""
        return self.experiment.platforms

    @property
    def summary(self) -> pd.DataFrame:
        """One row per (platform, replication), one column per KPI.

        Columns ``platform``, ``replication``, every KPI (``sim run --list-kpis``), and
        ``saturated_resource`` (the busiest role, server or VPN pool).
        """
        frame = self.experiment.summary()
        if self.precision is not None:
            frame.attrs["precision"] = self._precision_dict()
        return frame

    @property
    def means(self) -> pd.DataFrame:
        """Per platform and KPI: the mean over replications and its 95% interval.

        Columns ``platform``, ``kpi``, ``unit``, ``mean``, ``half_width``, ``low``, ``high``
        and ``n`` (replications with a value). One row per (platform, KPI); for a KPI x
        platform grid, ``results.means.pivot(index="kpi", columns="platform", values="mean")``.
        """
        return self.experiment.means_table()

    @property
    def paired(self) -> pd.DataFrame:
        """Per KPI: OSDO and ESED means and the paired difference OSDO - ESED.

        Columns ``kpi``, ``unit``, ``osdo_mean``, ``esed_mean``, ``difference``,
        ``half_width``, ``low``, ``high``, ``n``, ``significant`` (the 95% interval leaves out
        0). Empty when OSDO and ESED were not both run.
        """
        return self.experiment.paired_table()

    @property
    def documents(self) -> pd.DataFrame:
        """One row per document of every run.

        Created, completed, deadline, cycle time, on time, rework, messenger use and its delay
        components (empty when the scenario sets ``output.documents: false``).
        """
        frame = self.experiment.documents()
        return frame if frame is not None else pd.DataFrame()

    @property
    def timeseries(self) -> pd.DataFrame:
        """Open documents, completed so far and staff online over time.

        One row per platform, replication and ``output.timeseries_interval_min``.
        """
        return self.experiment.timeseries()

    @property
    def weekly(self) -> pd.DataFrame:
        """Week by week per platform: completed, open documents, on time, staff online.

        The table of ``weekly.csv`` (docs/experiments.md): one row per platform and calendar
        week, means over replications, and the policy events starting that week.
        """
        from sim.outputs.over_time import weekly_table

        return weekly_table(self.experiment)

    @property
    def events(self) -> pd.DataFrame:
        """The policy events of every run (share schedules, migration waves, incidents)."""
        from sim.outputs.over_time import events_table

        return events_table(self.experiment.runs)

    @property
    def stability(self) -> pd.DataFrame:
        """Per platform: unstable replications, backlog growth, busiest resource."""
        return pd.DataFrame.from_dict(self.experiment.stability(), orient="index")

    def _precision_dict(self) -> dict[str, Any]:
        p = self.precision
        assert p is not None
        return {"kpi": p.kpi, "target": p.target, "reached": p.reached,
                "replications": p.replications}

    def table(self) -> str:
        """The main KPIs as text, as ``sim run`` prints them.

        Mean ± 95% CI per platform, and the paired difference.
        """
        from sim.outputs.tables import kpi_table

        return kpi_table(self.experiment)

    def __repr__(self) -> str:
        runs = self.experiment.summary().groupby("platform", sort=False).size()
        reps = int(runs.max()) if len(runs) else 0
        head = (f"RunResults({self.scenario.name!r}: {reps} replication(s) x "
                f"{', '.join(self.platforms)}, seed {self.seed}; tables: summary, means, "
                f"paired, documents, timeseries, weekly, events)")
        if self.precision is not None:
            head += "\n" + self.precision.describe()
        return f"{head}\n{self.table()}" if reps else head


def run(scenario: ScenarioLike, platforms: list[str] | None = None,
        replications: int | None = None, seed: int | None = None,
        overrides: list[str] | None = None, precision: float | None = None,
        kpi: str = "cycle_time_mean_h", max_replications: int = 100,
        workers: int | None = None, scheduler: str | None = None,
        progress: bool = True) -> RunResults:
    """Run the replications of a scenario and return its tables.

    Parameters
    ----------
    scenario : str, Path, Scenario or mapping
        A scenario file (``"scenarios/baseline.yaml"``), a loaded
        :class:`~sim.config.Scenario`, or a mapping of scenario fields (the rest take the
        schema's defaults).
    platforms : list of str, optional
        Architectures to run (``"osdo"``, ``"esed"``, ``"mixed"``); default: the scenario's
        ``platforms``.
    replications : int, optional
        Replications of each platform (default: the scenario's). With ``precision``, where
        to start.
    seed : int, optional
        Root seed (default: the scenario's). Replication ``r`` of every platform uses the same
        random numbers (common random numbers).
    overrides : list of str, optional
        Changes to the scenario, as ``--set`` takes them: ``["staff.remote_share=0.8"]``.
    precision : float, optional
        Add replications until the 95% half-width of ``kpi`` is within this share of its mean
        on every platform (e.g. 0.05), up to ``max_replications``.
    kpi : str
        The KPI that ``precision`` watches (``sim run --list-kpis`` lists them).
    max_replications : int
        The cap for ``precision``.
    workers : int, optional
        Worker processes (default: one per core; 1 runs everything in this process). The
        results are the same for any number.
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:port``) to run on instead.
    progress : bool
        Print a progress line on stderr as runs finish (default True).

    Returns
    -------
    RunResults
        Tables as DataFrames: ``summary`` (a row per platform and replication), ``means``
        (per platform and KPI: mean, half_width, low, high, n), ``paired`` (per KPI: OSDO -
        ESED with its interval), ``documents``, ``timeseries``; ``precision`` says whether the
        target was met.

    Raises
    ------
    sim.config.ScenarioError
        The scenario or an override is invalid; the message names the file or ``--set``,
        the field, the value and what is allowed.

    Examples
    --------
    >>> import sim
    >>> results = sim.run("scenarios/baseline.yaml", replications=2,
    ...                   overrides=["horizon_days=10", "warmup_days=2"])  # doctest: +SKIP
    >>> results.means.pivot(index="kpi", columns="platform", values="mean")  # doctest: +SKIP
    >>> results.paired[["kpi", "difference", "low", "high"]]  # doctest: +SKIP
    >>> sim.run("scenarios/baseline.yaml", precision=0.05).precision  # doctest: +SKIP

    """
    from sim.experiments.replications import run_experiment, run_to_precision

    resolved = _scenario(scenario, overrides)
    bar = _progress(resolved.name, progress)
    try:
        if precision is None:
            experiment = run_experiment(resolved, platforms, replications, seed,
                                        progress=bar.run_done if bar else None,
                                        workers=workers, scheduler=scheduler)
            return RunResults(experiment)

        def checked(reps: int, worst: float) -> None:
            if bar is not None:
                bar.note(f"{reps} replication(s): {kpi} half-width {worst:.1%} of the mean "
                         f"(target {precision:.1%})")

        experiment, stopping = run_to_precision(
            resolved, kpi, precision, platforms, replications, max_replications, seed,
            progress=checked, workers=workers, scheduler=scheduler,
            on_run=bar.run_done if bar else None)
        return RunResults(experiment, stopping)
    finally:
        if bar is not None:
            bar.close()


def compare(scenario: ScenarioLike, replications: int | None = None,
            seed: int | None = None, overrides: list[str] | None = None,
            kpis: list[str] | None = None, workers: int | None = None,
            scheduler: str | None = None, progress: bool = True) -> pd.DataFrame:
    """OSDO vs ESED on common random numbers: per KPI the paired difference and a sentence.

    Parameters
    ----------
    scenario : str, Path, Scenario or mapping
        As in :func:`run`.
    replications : int, optional
        Replications of each platform (default: the scenario's, at least 2).
    seed : int, optional
        Root seed (default: the scenario's).
    overrides : list of str, optional
        Changes to the scenario, e.g. ``["staff.remote_share=0.8"]``.
    kpis : list of str, optional
        KPIs to compare (default: the main ones, as ``sim compare`` shows them).
    workers, scheduler
        As in :func:`run`.
    progress : bool
        Print a progress line on stderr as runs finish.

    Returns
    -------
    pandas.DataFrame
        One row per KPI: ``osdo_mean``, ``esed_mean``, ``difference`` (OSDO - ESED, paired
        over replications), ``half_width``, ``low``, ``high``, ``n``, ``relative`` (difference
        over the ESED mean), ``relative_half_width`` and ``sentence`` (the result in words).

    Examples
    --------
    >>> table = sim.compare("scenarios/baseline.yaml", replications=3)  # doctest: +SKIP
    >>> for line in table.sentence:  # doctest: +SKIP
    ...     print(line)

    """
    from sim.experiments.comparison import compare as _compare

    resolved = _scenario(scenario, overrides)
    reps = replications if replications is not None else max(2, resolved.replications)
    bar = _progress(resolved.name, progress)
    try:
        return _compare(resolved, reps, seed, kpis, progress=bar.run_done if bar else None,
                        workers=workers, scheduler=scheduler)
    finally:
        if bar is not None:
            bar.close()


def sweep(sweep_file: str | Path, out: str | Path | None = None, workers: int | None = None,
          scheduler: str | None = None, overrides: list[str] | None = None,
          plots: bool = False, progress: bool = True) -> pd.DataFrame:
    """Run a sweep file (resuming ``out`` if it holds it) and return every run, one per row.

    Parameters
    ----------
    sweep_file : str or Path
        A sweep file (its format: ``docs/experiments.md``), e.g.
        ``"scenarios/sweeps/remote_share.yaml"``.
    out : str or Path, optional
        The sweep folder (default: ``results/sweep-<name>``). A folder that already holds
        this sweep's store is resumed: finished runs are not run again.
    workers, scheduler
        As in :func:`run`.
    overrides : list of str, optional
        Changes to the sweep's base scenario, e.g. ``["horizon_days=10"]``.
    plots : bool
        Also draw the sweep's PNG plots into ``out/plots``.
    progress : bool
        Print a progress line on stderr as runs finish.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``run_id``, ``point``, ``replication``, ``platform``, ``seed``, the
        swept parameters, ``status``, ``error``, timing and the kept KPIs. The per-point means
        are in ``out/points.csv``.

    Examples
    --------
    >>> runs = sim.sweep("scenarios/sweeps/remote_share.yaml", workers=2)  # doctest: +SKIP
    >>> runs.groupby(["staff.remote_share", "platform"]).cycle_time_mean_h.mean()  # doctest: +SKIP

    """
    from sim.experiments.executors import run_sweep
    from sim.experiments.sweeps import load_sweep
    from sim.outputs.sweep_folder import default_sweep_dir, write_outputs

    loaded = load_sweep(sweep_file, overrides)
    target = Path(out) if out is not None else default_sweep_dir(loaded.name)
    bar = _progress(loaded.name, progress)

    def report(done: int, total: int, failures: int) -> None:
        if bar is not None and done:
            bar.update(done, total, failed=failures)

    try:
        run_sweep(loaded, target, workers, scheduler, report)
    finally:
        if bar is not None:
            bar.close()
    runs, _summary = write_outputs(loaded, target, plots_on=plots)
    return runs


@dataclass
class OptionsResults:
    """What :func:`options` returns: the options appraised, as DataFrames, and in words.

    ``options`` is options.csv (one row per arm: ``option``, ``cost`` in tenge a year, per
    objective ``<kpi>_effect``/``_low``/``_high`` against the base, ``on_frontier``,
    ``prob_best``, then dominance, incremental cost, net benefit...); ``ranks`` the rank
    distribution; ``portfolio`` the best set within the budget and each option's probability
    of being in it; ``acceptability`` the probability of the most net benefit by value of an
    hour; ``costs`` every cost item with its source; ``runs`` every run; ``words`` the ranking
    in sentences; ``folder`` where the files are.
    """

    options: pd.DataFrame
    ranks: pd.DataFrame
    portfolio: pd.DataFrame
    acceptability: pd.DataFrame
    costs: pd.DataFrame
    runs: pd.DataFrame
    words: list[str]
    folder: Path


def options(options_file: str | Path, out: str | Path | None = None,
            replications: int | None = None, max_replications: int | None = None,
            workers: int | None = None, scheduler: str | None = None,
            overrides: list[str] | None = None, plots: bool = False,
            progress: bool = True) -> OptionsResults:
    """Rank the policy options of an options file by effect and cost (as ``sim options``).

    Parameters
    ----------
    options_file : str or Path
        An options file (its format: ``docs/experiments.md``), e.g.
        ``"scenarios/options/paper_recommendations.yaml"``.
    out : str or Path, optional
        The options folder (default: ``results/options-<name>``); one that holds this study's
        store is resumed: stored runs are not run again.
    replications, max_replications : int, optional
        Replications of every arm first, and the most Kim and Nelson's sequential procedure may
        add to the arms still in contention (defaults: the file's).
    workers, scheduler
        As in :func:`run`.
    overrides : list of str, optional
        Changes to the base scenario, e.g. ``["horizon_days=10"]``.
    plots : bool
        Also draw the figures into ``out/plots``.
    progress : bool
        Print a progress line on stderr as runs finish.

    Examples
    --------
    >>> result = sim.options("scenarios/options/paper_recommendations.yaml",
    ...                      overrides=["horizon_days=10"], workers=2)  # doctest: +SKIP
    >>> result.options[["option", "cost", "prob_best"]]  # doctest: +SKIP

    """
    from sim.experiments.options import evaluate, load_options, with_replications
    from sim.experiments.store import read_store
    from sim.outputs.options_folder import (
        default_options_dir,
        remove_outputs,
        write_options_outputs,
    )
    from sim.outputs.options_report import ranking_words

    study = with_replications(load_options(options_file, overrides), replications,
                              max_replications)
    target = Path(out) if out is not None else default_options_dir(study.name)
    bar = _progress(study.name, progress)

    def report(done: int, total: int, failures: int) -> None:
        if bar is not None and done:
            bar.update(done, total, failed=failures)

    try:
        evaluate(study, target, workers, scheduler, report,
                 before_runs=lambda: remove_outputs(target))
    finally:
        if bar is not None:
            bar.close()
    result = write_options_outputs(study, target, plots_on=plots)
    return OptionsResults(result.options, result.ranks, result.portfolio, result.acceptability,
                          result.costs, read_store(target / "options.sqlite"),
                          ranking_words(result, study), target)
