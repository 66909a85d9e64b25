"""The options folder: tables and figures derived from its result store.

While runs are going the folder holds only ``options.sqlite``; once the evaluation has stopped,
:func:`write_options_outputs` writes options.csv (one row per arm: ``option``, ``cost``, per
objective ``<kpi>_effect``, ``<kpi>_low``, ``<kpi>_high``, ``on_frontier``, ``prob_best``, then
more columns), ranks.csv, portfolio.csv, acceptability.csv, costs.csv, runs.csv, summary.json,
the options file and base scenario as run, and plots/, each under a temporary name renamed when
complete (:func:`sim.experiments.store.replacing`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sim.config import dump_resolved
from sim.experiments.appraisal import Appraisal, appraise
from sim.experiments.options import OptionsStudy, open_options_store
from sim.experiments.store import remove_path, replacing
from sim.outputs.run_folder import safe_name

__all__ = ["default_options_dir", "write_options_outputs", "OPTIONS_OUTPUTS"]

#: Files derived from the store (removed when new runs start).
OPTIONS_OUTPUTS = ("options.csv", "ranks.csv", "portfolio.csv", "acceptability.csv",
                   "costs.csv", "runs.csv", "timing.csv", "summary.json", "options.yaml",
                   "scenario.resolved.yaml", "plots")


def default_options_dir(name: str, base: Path = Path("results")) -> Path:
    """``results/options-<name>``: no timestamp, so running the file again resumes it."""
    return base / f"options-{safe_name(name)}"


def remove_outputs(out_dir: Path) -> None:
    """Drop the derived files: the store is about to change and they would describe it wrongly."""
    for name in OPTIONS_OUTPUTS:
        remove_path(out_dir / name)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summary(study: OptionsStudy, appraisal: Appraisal) -> dict[str, Any]:
    """summary.json: the study's settings and what the appraisal concluded."""
    spec = study.spec
    return {
        "kind": "options", "name": study.name, "description": spec.description,
        "base": spec.base, "base_scenario": study.base.name, "platform": study.platform,
        "seed": study.seed, "replications": spec.replications,
        "max_replications": spec.max_replications or spec.replications,
        "objectives": [{"kpi": o.kpi, "direction": "max" if o.sign > 0 else "min"}
                       for o in study.objectives],
        "options": [{"name": o.name, "description": o.description, "set": o.set}
                    for o in spec.options],
        "discount_rate": spec.costs.discount_rate, "life_years": spec.costs.life_years,
        "currency": spec.costs.currency, "budget": spec.budget,
        "value_per_hour": spec.value_per_hour,
        "documents_per_year": _clean(appraisal.volume), "criterion": appraisal.criterion,
        "best": appraisal.best, "selection_survivors": appraisal.selected,
        "undecided": appraisal.undecided, "indifference": spec.selection.indifference,
        "alpha": spec.selection.alpha, "bootstrap": spec.selection.bootstrap,
    }


def write_options_outputs(study: OptionsStudy, out_dir: Path, plots_on: bool = True
                          ) -> Appraisal:
    """Appraise the stored runs and write the folder's files; return the appraisal."""
    store = open_options_store(study, out_dir)
    try:
        runs = store.write_tables(out_dir / "runs.csv", out_dir / "timing.csv")
    finally:
        store.close()
    appraisal = appraise(study, runs)
    for name, frame in (("options.csv", appraisal.options), ("ranks.csv", appraisal.ranks),
                        ("portfolio.csv", appraisal.portfolio),
                        ("acceptability.csv", appraisal.acceptability),
                        ("costs.csv", appraisal.costs)):
        with replacing(out_dir / name) as tmp:
            frame.to_csv(tmp, index=False)
    texts = {"summary.json": json.dumps(summary(study, appraisal), indent=2, default=str),
             "options.yaml": study.path.read_text(encoding="utf-8"),
             "scenario.resolved.yaml": dump_resolved(study.base)}
    for name, text in texts.items():
        with replacing(out_dir / name) as tmp:
            tmp.write_text(text, encoding="utf-8")
    if plots_on:
        from sim.outputs.options_plots import write_options_plots  # matplotlib when drawn

        with replacing(out_dir / "plots") as tmp:
            write_options_plots(appraisal.options, appraisal.acceptability,
                                study.objectives[0].kpi, tmp)
    return appraisal
