"""Benchmark suite: bare SimPy, the built-in scenarios and the reference process, in one run.

    python bench/run.py            # all cases, about 50 minutes on 2 cores; mostly the 60-day
                                   # national run
    python bench/run.py --quick    # skips the 60-day national run and the 200k-case reference
                                   # (about 15 minutes)
    python bench/run.py --only national --national-days 5    # one case, shorter
    python bench/run.py --prosimos-python ~/prosimos/bin/python   # Prosimos beside ours

Every case runs in a fresh subprocess so that its peak memory (``ru_maxrss``) is its own, and
cases never share warm caches. Timings are of the simulation call only (population sampling
included; imports and scenario loading excluded); rates are per CPU second of that one process
(``time.process_time``), so a machine shared with other jobs skews them less than wall time,
which is recorded as well. Figures are printed and written to
``bench/results/<UTC timestamp>.json`` so that runs can be compared.

Besides rates and memory:

* microseconds of CPU per step, for every scenario case;
* SimPy events per document (and per step), counted by a wrapper around ``Environment.step``
  on the reference process and a short national run; the wrapper costs time, so these runs are
  separate from the timed ones;
* ``sim run scenarios/baseline.yaml`` end to end (wall time, simulation time, CPU) on one worker
  and on every core;
* Prosimos on the reference process, when an interpreter with Prosimos is given
  (``--prosimos-python``, or this one if it has Prosimos: ``pip install 'docflow-sim[bench]'``,
  best in a virtualenv of its own since Prosimos needs pandas < 3): its simulation
  time and its whole process (interpreter, imports, set-up, simulation) against ours, with the
  mean cycle time of both as a check that the two model the same process.

The targets (docs/performance.md) are benchmark figures, never asserted in tests:

* the reference process at >= 32,000 cases/s (20x Prosimos 2.1), memory flat in cases;
* ``national.yaml``, 20 working days, in <= 60 s on one core with a peak <= 1.5 GB;
* memory flat in simulated time: 60 working days' peak within 10% of 20 days';
* steps/s on ``national.yaml`` at least 20% of bare SimPy timeouts/s;
* the cost of a step at scale: <= 20 microseconds of CPU per step on the 20-day baseline from
  an empty office, <= 40 on ``national.yaml``, and a national peak <= 450 MB over 5 working
  days (``--national-days 5``). Its other targets compare two commits (run this on each) or
  the whole ``sim run`` process against Prosimos's (``farm-bench``; docs/performance.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REFERENCE = ROOT / "scenarios" / "reference_process.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
REFERENCE_CASES_PER_DAY = 240  # one arrival every 6 minutes, 24 hours a day
# Prosimos 2.1 as first measured on this process: 10,000 cases in 6.0 s ... 200,000 in 132 s.
PROSIMOS_CASES_PER_S = 1_600

# The targets, as (figure, comparison, bound) for the summary.
TARGET_REFERENCE_CASES_PER_S = 32_000
TARGET_NATIONAL_S = 60.0
TARGET_NATIONAL_PEAK_MB = 1_536.0
TARGET_FLAT_TIME = 0.10
TARGET_STEPS_SHARE = 0.20
# The cost of a step at scale (a later round): CPU per step of the 20-day baseline from an
# empty office and of the national run, and the national run's peak over 5 working days.
TARGET_BASELINE_US_PER_STEP = 20.0
TARGET_NATIONAL_US_PER_STEP = 40.0
TARGET_NATIONAL_5_DAYS_PEAK_MB = 450.0


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
        "us_per_timeout": 1e6 * cpu / n,
    }


def _count_events() -> dict[str, int]:
    """Count SimPy events from now on: a thin wrapper around ``Environment.step`` (each call
    processes one event) and ``Environment.schedule`` (each call queues one)."""
    import simpy

    counts = {"processed": 0, "scheduled": 0}
    step, schedule = simpy.Environment.step, simpy.Environment.schedule

    def counted_step(self):
        counts["processed"] += 1
        return step(self)

    def counted_schedule(self, *args, **kwargs):
        counts["scheduled"] += 1
        return schedule(self, *args, **kwargs)

    simpy.Environment.step = counted_step
    simpy.Environment.schedule = counted_schedule
    return counts


def _scenario_case(path: str, horizon_days: int | None, overrides: list[str],
                   count_events: bool = False, architecture: str = "mixed") -> dict:
    import sim.model.replication
    from sim.config import load_scenario

    sets = list(overrides)
    if horizon_days is not None:
        sets.append(f"horizon_days={horizon_days}")
    scenario = load_scenario(path, sets)
    counts = _count_events() if count_events else None
    before_mb = _peak_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    records = sim.model.replication.run_replication(scenario, architecture, 0,
                                                    keep_documents=False, keep_steps=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    totals = records.totals  # whole run, warm-up included
    created, steps = totals["documents_created"], totals["steps"]
    out = {
        "scenario": Path(path).name, "horizon_working_days": scenario.horizon_days,
        "staff": scenario.total_staff, "wall_s": wall, "cpu_s": cpu,
        "documents_created": created, "documents_completed": totals["documents_completed"],
        "steps": steps, "documents_per_s": created / cpu,
        "completed_per_s": totals["documents_completed"] / cpu,
        "steps_per_s": steps / cpu, "us_per_step": 1e6 * cpu / steps,
        "documents_per_wall_s": created / wall,
        "peak_rss_mb": _peak_mb(), "rss_before_run_mb": before_mb,
        "throughput_per_day": records.kpis["throughput_per_day"],
        "cycle_time_mean_min": 60.0 * records.kpis["cycle_time_mean_h"],
        # Open documents are the model's state: a growing backlog (a load that is not
        # stationary) grows memory with simulated time however lean the code is.
        "open_at_horizon": totals["open_at_horizon"],
        "backlog_growth_per_day": records.kpis["backlog_growth_per_day"],
    }
    if counts is not None:
        out.update({
            "events_processed": counts["processed"], "events_scheduled": counts["scheduled"],
            "events_per_document": counts["processed"] / created,
            "events_per_step": counts["processed"] / steps,
        })
    return out


def _child(spec: dict) -> dict:
    if spec["kind"] == "simpy":
        return _bare_simpy(spec["events"])
    return _scenario_case(spec["path"], spec.get("horizon_days"), spec.get("overrides", []),
                          spec.get("count_events", False), spec.get("architecture", "mixed"))


# --------------------------------------------------------------------------- driver (parent)


def _run_case(spec: dict) -> dict:
    """Run one case in a fresh interpreter and return its figures (with the whole process's
    wall time: interpreter start, imports, scenario loading and the run)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    whole = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bench case {spec} failed:\n{proc.stderr}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures["whole_process_wall_s"] = whole
    return figures


def _cases(quick: bool, national_days: int,
           national_sets: list[str] | None = None) -> list[tuple[str, dict]]:
    scen = ROOT / "scenarios"
    national = {"kind": "scenario", "path": str(scen / "national.yaml"),
                "overrides": national_sets or []}
    cases: list[tuple[str, dict]] = [
        ("simpy_bare", {"kind": "simpy", "events": 1_000_000}),
        # From an empty office, as the earlier rounds timed it (a snapshot is not the run).
        ("baseline_20d", {"kind": "scenario", "path": str(BASELINE), "horizon_days": 20,
                          "overrides": ["warmup_days=5", "start.office=empty"]}),
        ("national", {**national, "horizon_days": national_days}),
    ]
    if not quick:
        cases.append(("national_long", {**national, "horizon_days": 3 * national_days}))
    for n in (10_000, 50_000) if quick else (10_000, 50_000, 200_000):
        cases.append((f"reference_{n // 1000}k", _reference_spec(n)))
    # Event counts: separate runs, since the counting wrapper costs time.
    cases.append(("events_reference", {**_reference_spec(10_000), "count_events": True}))
    cases.append(("events_national", {
        **national, "horizon_days": min(5, national_days), "count_events": True,
        "overrides": [*(national_sets or []), "warmup_days=1"]}))
    return cases


def _reference_spec(cases: int) -> dict:
    days = math.ceil(cases * 1.02 / REFERENCE_CASES_PER_DAY)  # 2% margin: arrivals are Poisson
    return {"kind": "scenario", "path": str(REFERENCE), "horizon_days": days, "cases": cases}


def _baseline_cli(workers: int) -> dict:
    """``sim run scenarios/baseline.yaml --no-plots`` end to end on ``workers`` processes."""
    out = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "sim", "run", str(BASELINE), "--no-plots", "--force",
             "--out", str(out / "run"), "--workers", str(workers)],
            capture_output=True, text=True, cwd=ROOT, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"sim run --workers {workers} failed:\n{proc.stderr}")
        simulated = json.loads((out / "run" / "summary.json").read_text())["runtime_s"]
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"workers": workers, "wall_s": wall, "simulation_wall_s": simulated,
            "rest_wall_s": wall - simulated,  # start-up, loading, writing the run folder
            "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)}


# --------------------------------------------------------------------------- Prosimos


PROSIMOS_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
from prosimos.simulation_engine import run_simulation
t1, c1 = time.perf_counter(), time.process_time()
kpis, _ = run_simulation(sys.argv[1], sys.argv[2], int(sys.argv[3]),
                         starting_at="2023-01-02T00:00:00.000+00:00")
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"import_s": t1 - t0, "wall_s": t2 - t1, "cpu_s": c2 - c1,
                  "cycle_time_mean_min": kpis[0].cycle_time.avg / 60.0,
                  "cases": kpis[0].cycle_time.count}))
"""


def _prosimos_python(given: str | None) -> str | None:
    """The interpreter to run Prosimos with: the one given, or this one if it has Prosimos."""
    if given:
        return given
    found = subprocess.run([sys.executable, "-c", "import prosimos"], capture_output=True,
                           check=False)
    return sys.executable if found.returncode == 0 else None


def _prosimos_model(folder: Path) -> tuple[Path, Path, bool]:
    """The reference process as Prosimos input (BPMN and JSON), built from its scenario file.

    Returns the two paths and whether the race is like for like: Prosimos hands a task to any
    free resource of its pool, which is the scenario's ``pooled`` assignment.
    """
    from sim.config import load_scenario

    scenario = load_scenario(REFERENCE)
    doc_type = next(name for name, t in scenario.documents.types.items() if t.share > 0)
    route = ["register", "resolution", "execution", "approval", "signature", "dispatch"]
    steps = {name: scenario.documents.steps[name] for name in route}
    staff = scenario.total_staff
    counts = {role: round(share * staff) for role, share in scenario.staff.roles.items()}
    per_day = scenario.workload.documents_per_employee_per_day * staff
    assignment = scenario.model_dump().get("staff", {}).get("assignment") or {}
    pooled = bool(assignment) and all(str(v) == "pooled" for v in assignment.values())

    flows = [("start", route[0]), *zip(route, route[1:], strict=False), (route[-1], "end")]
    bpmn = "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="reference" '
        'targetNamespace="https://github.com/docflow-sim/bench">',
        f'  <process id="{doc_type}" isExecutable="false">',
        '    <startEvent id="start" name="start"/>',
        *[f'    <task id="{s}" name="{s}"/>' for s in route],
        '    <endEvent id="end" name="end"/>',
        *[f'    <sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
          for i, (a, b) in enumerate(flows)],
        "  </process>", "</definitions>", ""])

    def expon(mean_s: float) -> dict:
        return {"distribution_name": "expon",
                "distribution_params": [{"value": mean_s}, {"value": 0.0}, {"value": 1e9}]}

    always = [{"from": "MONDAY", "to": "SUNDAY", "beginTime": "00:00:00",
               "endTime": "23:59:59"}]
    parameters = {
        "resource_profiles": [
            {"id": f"{role}s", "name": f"{role}s", "resource_list": [{
                "id": role, "name": role, "cost_per_hour": 1, "amount": n, "calendar": "always",
                "assignedTasks": [s for s in route if steps[s].role == role]}]}
            for role, n in counts.items() if n],
        "resource_calendars": [{"id": "always", "name": "always", "time_periods": always}],
        "arrival_time_calendar": always,
        "arrival_time_distribution": expon(86_400.0 / per_day),
        "task_resource_distribution": [
            {"task_id": s, "resources": [{"resource_id": steps[s].role,
                                          **expon(60.0 * steps[s].handling_mean_min)}]}
            for s in route],
        "gateway_branching_probabilities": [],
    }
    (folder / "reference.bpmn").write_text(bpmn, encoding="utf-8")
    (folder / "reference.json").write_text(json.dumps(parameters, indent=1), encoding="utf-8")
    return folder / "reference.bpmn", folder / "reference.json", pooled


def _prosimos(python: str, cases: int, folder: Path) -> dict:
    """Prosimos on the reference process for ``cases`` cases, in a fresh interpreter."""
    bpmn, params = folder / "reference.bpmn", folder / "reference.json"
    t0 = time.perf_counter()
    proc = subprocess.run([python, "-c", PROSIMOS_SCRIPT, str(bpmn), str(params), str(cases)],
                          capture_output=True, text=True, cwd=folder, check=False)
    whole = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"Prosimos failed:\n{proc.stderr}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures.update({"whole_process_wall_s": whole, "cases_per_s": cases / figures["cpu_s"],
                    "whole_cases_per_s": cases / whole})
    return figures


def _race(ours: dict, theirs: dict, like_for_like: bool) -> dict:
    """Our reference run against Prosimos's: rates and their ratios (ours / Prosimos)."""
    whole = ours["documents_created"] / ours["whole_process_wall_s"]
    return {
        "cases_ours": ours["documents_created"], "cases_prosimos": theirs["cases"],
        "simulation_cases_per_s_ours": ours["documents_per_s"],
        "simulation_cases_per_s_prosimos": theirs["cases_per_s"],
        "simulation_ratio": ours["documents_per_s"] / theirs["cases_per_s"],
        "whole_process_cases_per_s_ours": whole,
        "whole_process_cases_per_s_prosimos": theirs["whole_cases_per_s"],
        "whole_process_ratio": whole / theirs["whole_cases_per_s"],
        "cycle_time_mean_min_ours": ours["cycle_time_mean_min"],
        "cycle_time_mean_min_prosimos": theirs["cycle_time_mean_min"],
        "like_for_like": like_for_like,
    }


# --------------------------------------------------------------------------- summary


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
    if "baseline_20d" in res:
        out.append(_target("baseline 20 days us/step", res["baseline_20d"]["us_per_step"],
                           TARGET_BASELINE_US_PER_STEP, False))
    nat = res.get("national")
    if nat:
        days = nat["horizon_working_days"]
        out.append(_target("national us/step", nat["us_per_step"],
                           TARGET_NATIONAL_US_PER_STEP, False))
        if days == 5:
            out.append(_target("national 5 days peak MB (step-cost round)", nat["peak_rss_mb"],
                               TARGET_NATIONAL_5_DAYS_PEAK_MB, False))
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


def _print_case(name: str, fig: dict) -> None:
    if "timeouts_per_s" in fig:
        print(f"{name:16s} {fig['timeouts_per_s']:>12,.0f} timeouts/s (process), "
              f"{fig['callback_timeouts_per_s']:,.0f} (callbacks), "
              f"{fig['us_per_timeout']:.2f} us/timeout", flush=True)
    elif "events_per_document" in fig:
        print(f"{name:16s} {fig['events_processed']:>12,} SimPy events, "
              f"{fig['events_per_document']:.2f} per document, {fig['events_per_step']:.2f} "
              f"per step ({fig['documents_created']:,} documents, {fig['steps']:,} steps)",
              flush=True)
    else:
        print(f"{name:16s} {fig['cpu_s']:7.2f} s CPU ({fig['wall_s']:.1f} wall)  "
              f"{fig['documents_created']:>9,} docs "
              f"{fig['documents_per_s']:>9,.0f} docs/s  {fig['steps_per_s']:>9,.0f} steps/s  "
              f"{fig['us_per_step']:5.1f} us/step  "
              f"peak {fig['peak_rss_mb']:6.0f} MB (before run {fig['rss_before_run_mb']:.0f})"
              f"  open at end {fig['open_at_horizon']:,}", flush=True)


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
                        help="run only the named case(s), e.g. --only national "
                             "(baseline_workers and prosimos are cases too)")
    parser.add_argument("--prosimos-python", default=None, metavar="PYTHON",
                        help="an interpreter with Prosimos installed (default: this one, if it "
                             "has it); Prosimos then runs the reference process beside ours")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return

    started = dt.datetime.now(dt.timezone.utc)
    wanted = set(args.only)
    results: dict[str, dict] = {}
    specs: dict[str, dict] = {}
    for name, spec in _cases(args.quick, args.national_days, args.national_set):
        if wanted and name not in wanted and name != "simpy_bare":
            continue
        fig = _run_case(spec)
        results[name], specs[name] = fig, spec
        _print_case(name, fig)

    if not wanted or "baseline_workers" in wanted:
        everyone = os.cpu_count() or 1
        runs = {str(w): _baseline_cli(w) for w in dict.fromkeys((1, everyone))}
        results["baseline_workers"] = runs
        for w, fig in runs.items():
            print(f"baseline, sim run --workers {w}: {fig['wall_s']:.1f} s wall "
                  f"({fig['simulation_wall_s']:.1f} s simulating), {fig['cpu_s']:.1f} s CPU",
                  flush=True)
        if len(runs) == 2:
            one, many = runs["1"], runs[str(everyone)]
            share = many["wall_s"] / one["wall_s"]
            results["baseline_workers"]["wall_share"] = share
            print(f"baseline on {everyone} workers: {share:.0%} of one worker's wall time")

    python = _prosimos_python(args.prosimos_python)
    if (not wanted or "prosimos" in wanted) and python is None:
        print("prosimos: not installed (pip install 'docflow-sim[bench]' or --prosimos-python)")
    elif not wanted or "prosimos" in wanted:
        folder = Path(tempfile.mkdtemp(prefix="bench-prosimos-"))
        try:
            _, _, like = _prosimos_model(folder)
            races = {}
            for name, fig in results.items():
                if not name.startswith("reference_"):
                    continue
                theirs = _prosimos(python, specs[name]["cases"], folder)
                races[name] = {"prosimos": theirs, **_race(fig, theirs, like)}
                r = races[name]
                print(f"prosimos {name:13s} {theirs['cpu_s']:7.2f} s CPU, "
                      f"{theirs['cases_per_s']:,.0f} cases/s; ours / Prosimos: simulation "
                      f"{r['simulation_ratio']:.1f}x, whole process "
                      f"{r['whole_process_ratio']:.1f}x; mean cycle time "
                      f"{r['cycle_time_mean_min_ours']:.1f} vs "
                      f"{r['cycle_time_mean_min_prosimos']:.1f} min"
                      f"{'' if like else ' (NOT like for like: our assignment is not pooled)'}",
                      flush=True)
            results["prosimos"] = races
        finally:
            shutil.rmtree(folder, ignore_errors=True)

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
        "git_commit": _git_commit(),
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
