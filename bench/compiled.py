"""What a compiled build of the model's hot path would buy, measured on the code as it is.

The package is pure Python: an optional compiled build was removed (docs/performance.md, "The
compiled build, removed"). Whether to bring one back is a trade of speed against a second way
of running the same code; this script measures the speed side of it and ships nothing. It
copies ``sim/`` to a temporary folder, compiles there with mypyc the modules a step passes
through, checks that the copy's results are the source's (``bench/fingerprint.py`` on each),
then times the two side by side, alternating, each run in a fresh interpreter:

    python bench/compiled.py                    # baseline 40 days (OSDO) and the reference
                                                # process as a user runs it, 3 pairs each
    python bench/compiled.py --national         # also national.yaml, 5 working days
    python bench/compiled.py --pairs 5 --no-fingerprint

Needs mypy, which brings mypyc (``pip install 'docflow-sim[compiled-bench]'``), and a C
compiler. The build takes about a minute and a half on 2 cores, each fingerprint about two
minutes. Figures are printed and written to ``bench/results/compiled-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

#: The modules a step passes through (the event loop's callbacks and what they call).
HOT_MODULES = ("work", "staffing", "routing", "calendar", "streams", "documents", "step",
               "handling", "paths", "platforms", "unavailability", "stoppages", "assignment",
               "metrics", "population", "network", "pending", "replication")

# mypyc compiles only what type-checks. The package's hints document the code (mypy is not run
# on it); these are the checks where they are looser than the code (keys typed as literals but
# indexed by str, optional values the logic has narrowed), left unchecked for the build.
MYPY_INI = """\
[mypy]
plugins = pydantic.mypy
python_version = 3.11
ignore_missing_imports = True
follow_imports = silent
disable_error_code = {codes}
""".format(codes=",".join(("arg-type", "assignment", "has-type", "index", "list-item",
                           "return-value", "type-var", "var-annotated", "misc")))

SETUP = """\
from setuptools import setup
from mypyc.build import mypycify

setup(name="docflow-sim-compiled-bench", packages=[],
      ext_modules=mypycify({paths!r}, opt_level="3"))
"""

def build(copy: Path) -> float:
    """Copy ``sim/`` into ``copy`` and compile its hot modules there; the build's wall time."""
    shutil.copytree(ROOT / "sim", copy / "sim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    (copy / "mypy.ini").write_text(MYPY_INI)
    paths = [f"sim/model/{m}.py" for m in HOT_MODULES]
    (copy / "setup_compiled.py").write_text(SETUP.format(paths=paths))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "setup_compiled.py", "build_ext", "--inplace"],
                          cwd=copy, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"the mypyc build failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    # Bytecode for the modules left in Python (this machine may not write it by itself).
    compileall.compile_dir(copy / "sim", quiet=1)
    return time.perf_counter() - t0


def _in(path: Path) -> dict:
    """Run with the package at ``path``: it first on the path, and the working folder (which
    ``python -c`` and ``-m`` put before everything) there too."""
    return {"env": {**os.environ, "PYTHONPATH": str(path)}, "cwd": path}


def check_imports(path: Path, compiled: bool) -> None:
    """Exit unless a process run as these runs are imports the package meant."""
    proc = subprocess.run([sys.executable, "-c", "import sim.model.work as w; print(w.__file__)"],
                          **_in(path), capture_output=True, text=True, check=True)
    got = proc.stdout.strip()
    if got.endswith(".py") == compiled or not got.startswith(str(path)):
        sys.exit(f"a run with the package at {path} imported {got}")


def scenario_run(path: Path, scenario: str, architecture: str, sets: list[str]) -> dict:
    """One replication of ``scenario`` with the package at ``path``: ``bench/run.py``'s own case
    (CPU of the simulation call, steps, peak memory), in a fresh interpreter."""
    spec = {"kind": "scenario", "path": str(ROOT / scenario), "overrides": sets,
            "architecture": architecture}
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--child",
                           json.dumps(spec)], **_in(path), capture_output=True, text=True,
                          check=True)
    figures = json.loads(proc.stdout.splitlines()[-1])
    return {k: figures[k] for k in ("cpu_s", "us_per_step", "peak_rss_mb")}


def user_run(path: Path, out: Path) -> dict:
    """``sim run scenarios/reference_process.yaml`` as a user runs it: the whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", "run",
                    str(ROOT / "scenarios" / "reference_process.yaml"), "--out", str(out),
                    "--force"], **_in(path), capture_output=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads((out / "summary.json").read_text())
    return {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime)
            + (after.ru_stime - before.ru_stime), "runtime_s": summary["runtime_s"]}


def fingerprints(path: Path) -> str:
    """``bench/fingerprint.py --horizon 8`` with the package at ``path``."""
    return subprocess.run([sys.executable, str(ROOT / "bench" / "fingerprint.py"), "--horizon",
                           "8"], **_in(path), capture_output=True, text=True,
                          check=True).stdout


def pairs(name: str, run, count: int) -> list[dict]:
    """``count`` pairs of ``run(path)``, source then compiled, printed as they come."""
    out = []
    for i in range(count):
        pure, compiled = run("pure"), run("compiled")
        out.append({"pure": pure, "compiled": compiled})
        print(f"{name} pair {i + 1}: " + "  ".join(
            f"{k} {pure[k]:.3f} -> {compiled[k]:.3f} ({pure[k] / compiled[k]:.2f}x)"
            for k in pure), flush=True)
    return out


def median_ratio(rows: list[dict], key: str) -> float:
    """Median over pairs of source / compiled for ``key`` (how many times faster)."""
    return statistics.median(r["pure"][key] / r["compiled"][key] for r in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="Pairs of runs per case.")
    parser.add_argument("--national", action="store_true",
                        help="Also national.yaml over 5 working days (about 1.5 min a run).")
    parser.add_argument("--no-fingerprint", dest="fingerprint", action="store_false",
                        help="Skip the check that the compiled copy's results are the source's.")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("mypyc") is None:
        sys.exit("bench/compiled.py needs mypyc: pip install 'docflow-sim[compiled-bench]'")
    compileall.compile_dir(ROOT / "sim", quiet=1)
    with tempfile.TemporaryDirectory(prefix="docflow-compiled-") as tmp:
        copy = Path(tmp)
        seconds = build(copy)
        print(f"compiled {len(HOT_MODULES)} modules in {seconds:.0f} s", flush=True)
        where = {"pure": ROOT, "compiled": copy}
        # Every run below has the same path and working folder as these checks: one of each.
        check_imports(ROOT, compiled=False)
        check_imports(copy, compiled=True)
        report: dict = {"commit": _commit(), "modules": list(HOT_MODULES), "build_s": seconds}
        if args.fingerprint:
            lines = fingerprints(ROOT)
            same = lines == fingerprints(copy)
            report["fingerprints_identical"], report["fingerprint_lines"] = same, lines
            print("fingerprints identical" if same else "FINGERPRINTS DIFFER", flush=True)
        cases = {"baseline_40d": ("scenarios/baseline.yaml", "osdo", ["horizon_days=40"])}
        if args.national:
            cases["national_5d"] = ("scenarios/national.yaml", "mixed",
                                    ["horizon_days=5", "warmup_days=1"])
        for name, (scenario, arch, sets) in cases.items():
            rows = pairs(name, lambda side, s=scenario, a=arch, o=sets:
                         scenario_run(where[side], s, a, o), args.pairs)
            report[name] = {"pairs": rows, "speedup_per_step": median_ratio(rows, "us_per_step")}
        rows = pairs("reference_race", lambda side: user_run(where[side], copy / f"run-{side}"),
                     args.pairs)
        report["reference_race"] = {"pairs": rows, "speedup_wall": median_ratio(rows, "wall_s"),
                                    "speedup_runtime": median_ratio(rows, "runtime_s")}
    for name in cases:
        print(f"{name}: compiled {report[name]['speedup_per_step']:.2f}x per step (median)")
    race = report["reference_race"]
    print(f"reference_race: compiled {race['speedup_wall']:.2f}x whole process, "
          f"{race['speedup_runtime']:.2f}x simulation (median)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"compiled-{stamp}.json").write_text(json.dumps(report, indent=2))


def _commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
