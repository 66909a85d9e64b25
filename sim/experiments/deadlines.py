"""Deadlines that bind: how the late share moves with the levers behind it, paired.

Each lever is a list of levels of one scenario setting; every level runs the same replications
of ``scenarios/remote_75.yaml`` (same seed: replication ``r`` of every level shares the people,
documents and handling draws), and each level's KPIs are compared with the reference level's,
replication by replication (the difference's mean and 95% Student-t interval over replications).

``python -m sim.experiments.deadlines`` runs the tables of docs/model.md section 6.4 and prints
them as Markdown; ``--lever`` picks some, ``--replications`` and ``--set`` change the runs.
Nothing here changes the model.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.config import load_scenario
from sim.experiments.replications import run_experiment
from sim.experiments.statistics import mean_ci

__all__ = ["Lever", "LEVERS", "KPIS", "paired_levels", "markdown", "main"]

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "remote_75.yaml"
#: What the tables show: the late share first, then where the time went.
KPIS = ["late_share", "extended_share", "cycle_time_mean_h", "delay_share_deferred",
        "delay_share_queue"]


@dataclass(frozen=True)
class Lever:
    """Levels of one setting, as ``--set`` overrides, and the level the others are paired with."""

    name: str
    levels: dict[str, list[str]]
    reference: str


def _literacy(insecure: float) -> list[str]:
    return [f"staff.literacy.insecure={insecure}",
            f"staff.literacy.advanced={round(1.0 - insecure, 10)}"]


LEVERS: dict[str, Lever] = {lever.name: lever for lever in (
    Lever("literacy", {"0.0 insecure": _literacy(0.0), "0.39 (survey)": _literacy(0.39),
                       "0.8 insecure": _literacy(0.8)}, "0.0 insecure"),
    Lever("correspondence_share", {
        f"{s} of executors' time": [f"staff.correspondence_share.executor={s}"]
        for s in (0.7, 0.8, 0.9, 1.0)}, "0.8 of executors' time"),
    Lever("scheduling", {
        "at once": ["staff.draft_start_days_before_term=null"],
        **{f"last {d} days": [f"staff.draft_start_days_before_term={d}"] for d in (3, 5, 10)}},
        "last 10 days"),
)}


def paired_levels(lever: Lever, replications: int, platforms: list[str],
                  base: list[str] | None = None, scenario: Path = SCENARIO,
                  kpis: list[str] | None = None, only: list[str] | None = None) -> pd.DataFrame:
    """Every level's KPIs and their paired difference from the reference level.

    One row per (platform, level, KPI): the level's mean, and the mean difference level minus
    reference with its 95% interval over the shared replications. ``only`` runs those levels
    (and the reference) alone.
    """
    kpis = kpis or KPIS
    tables = {}
    for label, overrides in lever.levels.items():
        if only and label not in only and label != lever.reference:
            continue
        s = load_scenario(scenario, [*(base or []), *overrides])
        tables[label] = run_experiment(s, platforms, replications).summary()
    ref = tables[lever.reference]
    rows = []
    for platform in platforms:
        r = ref[ref.platform == platform].set_index("replication")
        for label, table in tables.items():
            t = table[table.platform == platform].set_index("replication")
            for kpi in kpis:
                diff = mean_ci((t[kpi] - r.loc[t.index, kpi]).to_numpy(dtype=float))
                rows.append({"lever": lever.name, "platform": platform, "level": label,
                             "kpi": kpi, "mean": float(t[kpi].mean()),
                             "diff": diff["mean"], "low": diff["low"], "high": diff["high"],
                             "n": len(t)})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, reference: str) -> str:
    """The late share and cycle time of each level.

    With the paired difference from ``reference``.
    """
    lines = ["| platform | level | late share | minus " + reference + " [95% CI] | extended "
             "| cycle time, h | deferred / queue share |", "| --- | --- | --- | --- | --- | --- "
             "| --- |"]
    for (platform, level), g in table.groupby(["platform", "level"], sort=False):
        k = g.set_index("kpi")
        late = k.loc["late_share"]
        diff = ("reference" if level == reference else
                f"{late['diff']:+.4f} [{late['low']:+.4f}, {late['high']:+.4f}]")
        lines.append(
            f"| {platform} | {level} | {late['mean']:.4f} | {diff} | "
            f"{k.loc['extended_share', 'mean']:.4f} | {k.loc['cycle_time_mean_h', 'mean']:.1f} | "
            f"{k.loc['delay_share_deferred', 'mean']:.2f} / "
            f"{k.loc['delay_share_queue', 'mean']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the levers and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lever", action="append", choices=sorted(LEVERS))
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--platform", action="append", choices=["osdo", "esed"])
    parser.add_argument("--set", action="append", default=[], dest="overrides",
                        metavar="KEY=VALUE", help="a change to remote_75, as sim run --set")
    parser.add_argument("--level", action="append", dest="levels", metavar="LABEL",
                        help="run only this level (and the reference), e.g. '0.8 insecure'")
    parser.add_argument("--csv", type=Path, help="also write every row to this CSV file")
    args = parser.parse_args(argv)
    frames = []
    for name in args.lever or list(LEVERS):
        lever = LEVERS[name]
        table = paired_levels(lever, args.replications, args.platform or ["osdo", "esed"],
                              args.overrides, only=args.levels)
        frames.append(table)
        print(f"\n{name} (paired with {lever.reference}, {args.replications} replications)\n")
        print(markdown(table, lever.reference), flush=True)
    if args.csv:
        pd.concat(frames).to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
