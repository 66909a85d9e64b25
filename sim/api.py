"""The Python API for notebooks: sim.run, sim.compare and sim.sweep, returning DataFrames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.config import Scenario, load_scenario

__all__ = ["run", "compare", "sweep"]


def _scenario(scenario: str | Path | Scenario, overrides: list[str] | None) -> Scenario:
    if isinstance(scenario, Scenario):
        if overrides:
            from sim.config import scenario_from_dict

            return scenario_from_dict(scenario.model_dump(mode="python"), scenario.name,
                                      overrides)
        return scenario
    return load_scenario(scenario, overrides)


def run(scenario: str | Path | Scenario, platforms: list[str] | None = None,
        replications: int | None = None, seed: int | None = None,
        overrides: list[str] | None = None, precision: float | None = None,
        kpi: str = "cycle_time_mean_h", max_replications: int = 100,
        workers: int | None = None, scheduler: str | None = None) -> pd.DataFrame:
    """Replications of a scenario: one row per (platform, replication), one column per KPI.

    With ``precision`` (e.g. 0.05) replications are added until the 95% half-width of ``kpi`` is
    within that share of its mean on every platform, up to ``max_replications``; the frame's
    ``attrs["precision"]`` then says how many it took and whether the target was met.

    Runs are spread over ``workers`` processes (default: one per core; 1 runs them here) or a
    Dask ``scheduler`` (``tcp://host:port``); the result is the same either way.
    """
    from sim.experiments.replications import run_experiment, run_to_precision

    resolved = _scenario(scenario, overrides)
    if precision is None:
        return run_experiment(resolved, platforms, replications, seed, workers=workers,
                              scheduler=scheduler).summary()
    experiment, result = run_to_precision(resolved, kpi, precision, platforms, replications,
                                          max_replications, seed, workers=workers,
                                          scheduler=scheduler)
    frame = experiment.summary()
    frame.attrs["precision"] = {"kpi": kpi, "target": precision, "reached": result.reached,
                                "replications": result.replications}
    return frame


def compare(scenario: str | Path | Scenario, replications: int | None = None,
            seed: int | None = None, overrides: list[str] | None = None,
            workers: int | None = None, scheduler: str | None = None) -> pd.DataFrame:
    """OSDO vs ESED on common random numbers: per KPI the paired difference and a sentence.

    ``workers`` and ``scheduler`` as in :func:`run`.
    """
    from sim.experiments.comparison import compare as _compare

    return _compare(_scenario(scenario, overrides), replications, seed, workers=workers,
                    scheduler=scheduler)


def sweep(sweep_file: str | Path, out: str | Path | None = None, workers: int | None = None,
          scheduler: str | None = None, overrides: list[str] | None = None,
          plots: bool = False) -> pd.DataFrame:
    """Run a sweep file (resuming ``out`` if it holds it) and return every run, one per row.

    Columns: run_id, point, replication, platform, seed, the swept parameters, status, error,
    timing and the kept KPIs. ``out`` defaults to ``results/sweep-<name>``.
    """
    from sim.experiments.executors import run_sweep
    from sim.experiments.sweeps import load_sweep
    from sim.outputs.sweep_folder import default_sweep_dir, write_outputs

    loaded = load_sweep(sweep_file, overrides)
    target = Path(out) if out is not None else default_sweep_dir(loaded.name)
    run_sweep(loaded, target, workers, scheduler)
    runs, _summary = write_outputs(loaded, target, plots_on=plots)
    return runs
