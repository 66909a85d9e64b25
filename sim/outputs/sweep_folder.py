"""The sweep folder's files derived from its result store: tables, the sweep as run, plots.

While runs are going the folder holds only the store (:mod:`sim.experiments.executors`); once
every run has been tried, :func:`write_outputs` writes runs.csv, timing.csv, points.csv,
sweep.yaml, scenario.resolved.yaml and plots/, each under a temporary name renamed when
complete, so a sweep stopped at any moment leaves no half-written file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.config import dump_resolved
from sim.experiments.executors import open_store
from sim.experiments.store import replacing
from sim.experiments.sweeps import Sweep, point_summary
from sim.outputs.run_folder import safe_name

__all__ = ["default_sweep_dir", "write_outputs"]


def default_sweep_dir(name: str, base: Path = Path("results")) -> Path:
    """``results/sweep-<name>``: no timestamp, so running the sweep again resumes it."""
    return base / f"sweep-{safe_name(name)}"


def write_outputs(sweep: Sweep, out_dir: Path, plots_on: bool = True) -> tuple[pd.DataFrame,
                                                                                 pd.DataFrame]:
    """Files derived from the store; returns (every run, the per-point summary).

    runs.csv (no wall-clock columns: the same bytes for any workers or executor), timing.csv,
    points.csv, the sweep and base scenario as run, and the plots; each is written under a
    temporary name and renamed when complete.
    """
    store = open_store(sweep, out_dir)
    try:
        runs = store.write_tables(out_dir / "runs.csv", out_dir / "timing.csv")
    finally:
        store.close()
    summary = point_summary(runs, sweep.parameters, sweep.kpis)
    with replacing(out_dir / "points.csv") as tmp:
        summary.to_csv(tmp, index=False)
    for name, text in (("sweep.yaml", sweep.file_text()),
                       ("scenario.resolved.yaml", dump_resolved(sweep.base))):
        with replacing(out_dir / name) as tmp:
            tmp.write_text(text, encoding="utf-8")
    if plots_on and (runs.status == "ok").any():
        from sim.outputs.sweep_plots import write_sweep_plots  # matplotlib only when drawn

        with replacing(out_dir / "plots") as tmp:
            write_sweep_plots(runs, sweep.parameters, sweep.kpis, tmp, sweep.name)
    return runs, summary
