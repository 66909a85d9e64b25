"""Start-up: the quick commands load none of the heavy libraries (a behaviour check, no timing).

``sim --help``, ``sim validate`` and ``sim schema`` should answer in a fraction of a second; what
made them slow was importing pandas, SciPy, Matplotlib and SimPy for nothing (and the explorer's
web framework, Shiny, is loaded by ``sim explore`` alone). Each check runs in a
fresh interpreter, since this test process has long imported them all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.model.cache import CACHE_ENV

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "matplotlib", "simpy", "shiny", "uvicorn", "starlette")
LOADED = f"sorted(m for m in {HEAVY!r} if m in sys.modules)"


def loaded_after(code: str) -> str:
    """What ``code`` leaves of the heavy modules in a fresh interpreter, as printed."""
    result = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print({LOADED})"],
                            capture_output=True, text=True, cwd=ROOT, check=True)
    return result.stdout.strip().splitlines()[-1]


def test_importing_the_command_line_loads_no_heavy_library():
    assert loaded_after("import sim.cli") == "[]"


def test_import_sim_stays_light():
    assert loaded_after("import sim") == "[]"


@pytest.mark.parametrize("args", [["--help"], ["validate", "scenarios/baseline.yaml"],
                                  ["schema"], ["run", "--help"], ["run", "--list-kpis"],
                                  ["explore", "--help"]])
def test_quick_commands_load_no_heavy_library(args):
    code = ("import contextlib, io\nfrom sim.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try:\n        main({args!r})\n    except SystemExit as exit:\n"
            "        assert not exit.code, exit.code")
    assert loaded_after(code) == "[]"


def test_a_one_run_sim_run_loads_no_scipy(tmp_path):
    # One replication of one platform runs in this process and has no interval to compute: the
    # process pool's module must not drag in the sweeps' SciPy (stats, qmc) for it, and the
    # run's trend test takes its t quantile without scipy.special (a tenth of the process).
    out = tmp_path / "run"
    code = ("import contextlib, io\nfrom sim.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), "
            "contextlib.redirect_stderr(io.StringIO()):\n"
            f"    try:\n        main(['run', 'scenarios/reference_process.yaml', '--set', "
            f"'horizon_days=2', '--set', 'warmup_days=1', '--out', {str(out)!r}])\n"
            "    except SystemExit as exit:\n        assert not exit.code, exit.code\n"
            "import sys\nassert not [m for m in sys.modules if m.startswith('scipy')]")
    loaded_after(code)
    assert (out / "summary.csv").exists()


def test_a_cached_official_calendar_loads_no_holidays_package(tmp_path):
    # Reading Kazakhstan's calendar from the holidays package loads every country it knows
    # (about 300 modules, 14 MB): a process whose year is in the cache folder must not.
    code = ("import sys\nfrom sim.config.schema import CalendarSpec\n"
            "from sim.model.calendar import WorkCalendar\n"
            "cal = WorkCalendar(CalendarSpec(start_date='2023-01-02', official_calendar='KZ'))\n"
            "assert [cal.is_working_day(d) for d in range(3)] == [False, False, True]\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'holidays'}))")
    env = {**os.environ, CACHE_ENV: str(tmp_path)}

    def loaded() -> str:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                cwd=ROOT, check=True, env=env)
        return result.stdout.strip()

    assert loaded() == "['holidays']"  # the first reads the package and keeps the year
    assert loaded() == "[]"
