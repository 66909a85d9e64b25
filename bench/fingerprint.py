"""Fingerprints of simulation results, to show that a refactoring changed no result.

Runs one replication of each shipped scenario (national.yaml left out: minutes per run) on every
architecture, with per-document and per-step records kept, and prints a SHA-256 of each run's
KPIs, documents, steps and time series. Run it before and after a change and compare::

    python bench/fingerprint.py > before.txt
    ...change the code...
    python bench/fingerprint.py | diff before.txt -
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from sim.config import load_scenario
from sim.model import run_replication

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("baseline", "remote_75", "directive_80", "poor_internet",
             "training_and_equipment", "reference_process")
ARCHITECTURES = ("osdo", "esed", "mixed")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(name: str, architecture: str, horizon: int | None) -> str:
    """One line: scenario, architecture and the digests of what its run produced."""
    overrides = [f"horizon_days={horizon}", "warmup_days=2"] if horizon else []
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides)
    records = run_replication(scenario, architecture, 0, keep_documents=True, keep_steps=True)
    parts = {
        "kpis": json.dumps(records.kpis, sort_keys=True) + records.saturated_resource,
        "documents": records.documents.to_csv(index=False),
        "steps": records.steps.to_csv(index=False),
        "timeseries": records.timeseries.to_csv(index=False),
    }
    return f"{name:24s} {architecture:6s} " + " ".join(
        f"{k}={_digest(v)}" for k, v in parts.items())


def main() -> None:
    """Print one fingerprint line per scenario and architecture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=12,
                        help="working days per run (0: the scenario's own horizon)")
    args = parser.parse_args()
    for name in SCENARIOS:
        for architecture in ARCHITECTURES:
            print(fingerprint(name, architecture, args.horizon or None), flush=True)


if __name__ == "__main__":
    main()
