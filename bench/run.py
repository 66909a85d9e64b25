"""Benchmark suite: bare SimPy, the built-in scenarios and the reference process, in one run.

    python bench/run.py            # all cases, about 20 minutes of CPU (15 compiled); mostly the
                                   # 60-day national run
    python bench/run.py --quick    # skips the 60-day national run and the 200k-case reference
    python bench/run.py --only national --national-days 5    # one case, shorter
    python bench/run.py --pure     # the Python sources even after `python setup.py compile`

Every case runs in a fresh subprocess so that its peak memory (``ru_maxrss``) is its own, and
cases never share warm caches. Timings are of the simulation call only (population sampling
included; imports and scenario loading excluded); rates are per CPU second of that one process
(``time.process_time``), so a machine shared with other jobs skews them less than wall time,
which is recorded as well. Figures are printed and
written to ``bench/results/<UTC timestamp>.json`` so that runs can be compared.

The targets (issue 6) are benchmark figures, never asserted in tests:

* the reference process at >= 32,000 cases/s (20x Prosimos 2.1), memory flat in cases;
* ``national.yaml``, 20 working days, in <= 60 s on one core with a peak <= 1.5 GB;
* memory flat in simulated time: 60 working days' peak within 10% of 20 days';
* steps/s on ``national.yaml`` at least 20% of bare SimPy timeouts/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REFERENCE = ROOT / "scenarios" / "reference_process.yaml"
REFERENCE_CASES_PER_DAY = 240  # one arrival every 6 minutes, 24 hours a day
PROSIMOS_CASES_PER_S = 1_600  # issue 6: 10,000 cases in 6.0 s ... 200,000 in 132 s

# The targets, as (figure, comparison, bound) for the summary.
TARGET_REFERENCE_CASES_PER_S = 32_000
TARGET_NATIONAL_S = 60.0
TARGET_NATIONAL_PEAK_MB = 1_536.0
TARGET_FLAT_TIME = 0.10
TARGET_STEPS_SHARE = 0.20


# --------------------------------------------------------------------------- one case (child)


def _peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _bare_simpy(n: int) -> dict:
    """Timeouts/s of one SimPy process yielding ``n`` timeouts: the ceiling of any model here."""
    import simpy

    def ticker(env, n):
        for _ in range(n):
            yield env.timeout(1.0)

    env = simpy.Environment()
    env.process(ticker(env, n))
    t0, c0 = time.perf_counter(), time.process_time()
    env.run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0

    # Callback-only timeouts (no generator), the pattern the simulator uses for step ends.
    env = simpy.Environment()
    done = 0

    def tick(_ev):
        nonlocal done
        done += 1
        if done < n:
            env.timeout(1.0).callbacks.append(tick)

    env.timeout(1.0).callbacks.append(tick)
    c0 = time.process_time()
    env.run()
    cpu_cb = time.process_time() - c0
    return {
        "events": n, "wall_s": wall, "cpu_s": cpu, "timeouts_per_s": n / cpu,
        "timeouts_per_wall_s": n / wall, "callback_timeouts_per_s": n / cpu_cb,
    }


def _scenario_case(path: str, horizon_days: int | None, overrides: list[str]) -> dict:
    from sim.compiled import build, compiled_modules

    import sim.model.replication
    from sim.config import load_scenario

    sets = list(overrides)
    if horizon_days is not None:
        sets.append(f"horizon_days={horizon_days}")
    scenario = load_scenario(path, sets)
    before_mb = _peak_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    records = sim.model.replication.run_replication(scenario, "mixed", 0, keep_documents=False,
                                        keep_steps=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    totals = records.totals  # whole run, warm-up included
    created, steps = totals["documents_created"], totals["steps"]
    return {
        "scenario": Path(path).name, "horizon_working_days": scenario.horizon_days,
        "staff": scenario.total_staff, "wall_s": wall, "cpu_s": cpu,
        "documents_created": created, "documents_completed": totals["documents_completed"],
        "steps": steps, "documents_per_s": created / cpu,
        "completed_per_s": totals["documents_completed"] / cpu,
        "steps_per_s": steps / cpu, "documents_per_wall_s": created / wall,
        "peak_rss_mb": _peak_mb(), "rss_before_run_mb": before_mb,
        "throughput_per_day": records.kpis["throughput_per_day"],
        # Open documents are the model's state: a growing backlog (a load that is not
        # stationary) grows memory with simulated time however lean the code is.
        "open_at_horizon": totals["open_at_horizon"],
        "backlog_growth_per_day": records.kpis["backlog_growth_per_day"],
        "build": build(), "compiled_modules": compiled_modules(),
    }


def _child(spec: dict) -> dict:
    if spec["kind"] == "simpy":
        return _bare_simpy(spec["events"])
    return _scenario_case(spec["path"], spec.get("horizon_days"), spec.get("overrides", []))


# --------------------------------------------------------------------------- driver (parent)


def _run_case(spec: dict, pure: bool) -> dict:
    """Run one case in a fresh interpreter and return its figures."""
    env = dict(os.environ)
    if pure:
        env["DOCFLOW_PURE_PYTHON"] = "1"  # the sources even where a compiled build exists
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        capture_output=True, text=True, cwd=ROOT, check=False, env=env,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench case {spec} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cases(quick: bool, national_days: int,
           national_sets: list[str] | None = None) -> list[tuple[str, dict]]:
    scen = ROOT / "scenarios"
    cases: list[tuple[str, dict]] = [
        ("simpy_bare", {"kind": "simpy", "events": 1_000_000}),
        ("baseline_20d", {"kind": "scenario", "path": str(scen / "baseline.yaml"),
                          "horizon_days": 20}),
        ("national", {"kind": "scenario", "path": str(scen / "national.yaml"),
                      "horizon_days": national_days, "overrides": national_sets or []}),
    ]
    if not quick:
        cases.append(("national_long", {"kind": "scenario", "path": str(scen / "national.yaml"),
                                        "horizon_days": 3 * national_days,
                                        "overrides": national_sets or []}))
    for n in (10_000, 50_000) if quick else (10_000, 50_000, 200_000):
        days = math.ceil(n * 1.02 / REFERENCE_CASES_PER_DAY)  # 2% margin: arrivals are Poisson
        cases.append((f"reference_{n // 1000}k", {"kind": "scenario", "path": str(REFERENCE),
                                                  "horizon_days": days}))
    return cases


def _target(name: str, value: float, bound: float, at_least: bool, share: bool = False) -> dict:
    """One target's verdict: ``value`` against ``bound`` (>= if ``at_least`` else <=)."""
    shown = f"{bound:.0%}" if share else f"{bound:g}"
    return {"target": name, "value": value, "bound": f"{'>=' if at_least else '<='} {shown}",
            "met": value >= bound if at_least else value <= bound}


def _targets(res: dict) -> list[dict]:
    out = []
    refs = [v for k, v in res.items() if k.startswith("reference_")]
    if refs:
        worst = min(r["documents_per_s"] for r in refs)
        out.append(_target("reference process cases/s (worst size)", worst,
                           TARGET_REFERENCE_CASES_PER_S, at_least=True))
        peaks = [r["peak_rss_mb"] for r in refs]
        out.append(_target("reference process memory flat in cases (peak growth)",
                           max(peaks) / min(peaks) - 1.0, TARGET_FLAT_TIME, False, share=True))
    nat = res.get("national")
    if nat:
        days = nat["horizon_working_days"]
        out.append(_target(f"national {days} days CPU s", nat["cpu_s"], TARGET_NATIONAL_S, False))
        out.append(_target(f"national {days} days peak MB", nat["peak_rss_mb"],
                           TARGET_NATIONAL_PEAK_MB, False))
        out.append(_target("national steps/s over bare SimPy timeouts/s",
                           nat["steps_per_s"] / res["simpy_bare"]["timeouts_per_s"],
                           TARGET_STEPS_SHARE, True, share=True))
        if "national_long" in res:
            growth = res["national_long"]["peak_rss_mb"] / nat["peak_rss_mb"] - 1.0
            out.append(_target(f"national peak growth {3 * days} vs {days} days", growth,
                               TARGET_FLAT_TIME, False, share=True))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the long national run and the 200,000-case reference")
    parser.add_argument("--national-days", type=int, default=20,
                        help="working days of the national run (the long one runs 3x as many)")
    parser.add_argument("--national-set", action="append", default=[], metavar="PATH=VALUE",
                        help="override for both national runs, e.g. "
                             "workload.documents_per_employee_per_day=0.27 (a stationary load)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only the named case(s), e.g. --only national")
    parser.add_argument("--pure", action="store_true",
                        help="run the Python sources even if `python setup.py compile` was run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return

    started = dt.datetime.now(dt.timezone.utc)
    results: dict[str, dict] = {}
    build: str | None = None  # compiled or pure Python, as the first scenario case ran
    for name, spec in _cases(args.quick, args.national_days, args.national_set):
        if args.only and name not in args.only and name != "simpy_bare":
            continue
        fig = _run_case(spec, args.pure)
        results[name] = fig
        if spec["kind"] == "scenario" and build is None:
            build = fig["build"]
            print(f"build: {build}", flush=True)
        if spec["kind"] == "simpy":
            print(f"{name:14s} {fig['timeouts_per_s']:>12,.0f} timeouts/s (process), "
                  f"{fig['callback_timeouts_per_s']:,.0f} (callbacks)", flush=True)
        else:
            print(f"{name:14s} {fig['cpu_s']:7.2f} s CPU ({fig['wall_s']:.1f} wall)  "
                  f"{fig['documents_created']:>9,} docs "
                  f"{fig['documents_per_s']:>9,.0f} docs/s  {fig['steps_per_s']:>9,.0f} steps/s  "
                  f"peak {fig['peak_rss_mb']:6.0f} MB (before run {fig['rss_before_run_mb']:.0f})"
                  f"  open at end {fig['open_at_horizon']:,}",
                  flush=True)
    targets = _targets(results)
    for t in targets:
        value = t["value"]
        shown = f"{value:.1%}" if "%" in t["bound"] else f"{value:,.1f}"
        verdict = "met    " if t["met"] else "NOT met"
        print(f"{verdict}  {t['target']}: {shown} (target {t['bound']})")
    report = {
        "started_utc": started.isoformat(timespec="seconds"),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_avg_1_5_15": os.getloadavg()},
        "git_commit": _git_commit(), "build": build,
        "prosimos_reference_cases_per_s": PROSIMOS_CASES_PER_S,
        "results": results, "targets": targets,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {path}")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


if __name__ == "__main__":
    main()
