"""A sweep stopped by a signal: SIGKILL loses and duplicates nothing and leaves no orphaned
worker, Ctrl-C and SIGTERM say how many runs are stored and exit 130.

Each test starts ``python -m sim sweep`` in its own session (so that a signal to the group
reaches the pool's workers too), polls the store read-only until some runs are stored, and
signals it. The runs are a few tenths of a second each, so the signal lands mid-sweep even on a
loaded machine (a slower machine only widens the window).

The folder contract (sim/executors.py): while runs are going it holds only the store, so after a
kill there is no runs.csv, points.csv or plot, whole or half.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import small_scenario_dict

from sim.experiments.executors import run_sweep
from sim.experiments.store import STORE_FILE, count_finished, read_store
from sim.experiments.sweeps import load_sweep
from sim.outputs.sweep_folder import write_outputs

STORE_ONLY = {STORE_FILE, f"{STORE_FILE}-wal", f"{STORE_FILE}-shm"}
TOTAL = 3 * 2 * 2  # points x replications x platforms


def write_slow_sweep(folder: Path) -> Path:
    """A sweep of 12 runs of about 0.2 s each (the small scenario over 25 working days)."""
    (folder / "base.yaml").write_text(yaml.safe_dump(small_scenario_dict(horizon_days=25)))
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({
        "name": "signals", "base": "base.yaml", "replications": 2, "seed": 5,
        "parameters": {"staff.remote_share": {"values": [0.0, 0.4, 0.8]}},
        "kpis": ["cycle_time_mean_h", "on_time_rate", "documents_completed"],
    }, sort_keys=False))
    return path


def start_sweep(path: Path, out: Path, *extra: str) -> subprocess.Popen:
    """``sim sweep`` in a new session (its own process group); output to files beside ``out``."""
    return subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--no-plots",
         *extra],
        cwd=path.parent, start_new_session=True, text=True,
        # A runner that ignores SIGINT (a background job) would pass that on; undo it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=(out.parent / "stdout.txt").open("w"), stderr=(out.parent / "stderr.txt").open("w"),
    )


def wait_until_stored(out: Path, proc: subprocess.Popen, at_least: int) -> int:
    """Poll the store (read-only) until it holds ``at_least`` finished runs; fail if it ends."""
    deadline = time.monotonic() + 120
    while (stored := count_finished(out / STORE_FILE)) < at_least:
        assert proc.poll() is None, (out.parent / "stderr.txt").read_text()
        assert time.monotonic() < deadline, "no run was stored in 120 s"
        time.sleep(0.01)
    assert stored < TOTAL, "the sweep finished before the signal: make its runs longer"
    return stored


@contextlib.contextmanager
def sweep_to_interrupt(path: Path, out: Path, at_least: int):
    """A 2-worker sweep, handed over once ``at_least`` runs are stored; killed at the end."""
    proc = start_sweep(path, out, "--workers", "2")
    try:
        wait_until_stored(out, proc, at_least=at_least)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def reference(path: Path, out: Path) -> Path:
    """The same sweep, uninterrupted, in this process."""
    sweep = load_sweep(path)
    run_sweep(sweep, out, workers=1)
    write_outputs(sweep, out, plots_on=False)
    return out


def live_members(group: int) -> list[int]:
    """Processes of a process group that are alive (not zombies), from Linux's /proc."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except OSError:  # ended meanwhile
            continue
        if int(pgrp) == group and state != "Z":
            pids.append(int(stat.parent.name))
    return pids


def test_sigkill_mid_sweep_then_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """The parent alone is killed (as the OOM killer would): it cannot clean up its workers."""
    path = write_slow_sweep(tmp_path)
    out = tmp_path / "killed"
    with sweep_to_interrupt(path, out, at_least=2) as proc:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if Path("/proc/self/stat").exists():  # the workers notice and exit on their own
            deadline = time.monotonic() + 10
            while live_members(proc.pid):
                assert time.monotonic() < deadline, f"orphaned workers {live_members(proc.pid)}"
                time.sleep(0.1)
    assert proc.returncode == -signal.SIGKILL
    # Only the store: no CSV or YAML was begun, so none can be half written.
    assert {p.name for p in out.iterdir()} <= STORE_ONLY
    stored = count_finished(out / STORE_FILE)
    assert 2 <= stored < TOTAL
    assert len(read_store(out / STORE_FILE)) == stored  # nothing half-recorded either

    resumed = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--resume",
         "--workers", "1", "--no-plots"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{TOTAL - stored} run(s) done, {stored} already stored, 0 failed" in resumed.stdout

    runs = read_store(out / STORE_FILE)
    keys = list(zip(runs.point, runs.replication, runs.platform, strict=True))
    assert len(keys) == len(set(keys)) == TOTAL and (runs.status == "ok").all()
    full = reference(path, tmp_path / "full")
    # runs.csv has no wall-clock columns: seeds, statuses and KPIs must match to the byte.
    for name in ("runs.csv", "points.csv"):
        assert (out / name).read_bytes() == (full / name).read_bytes(), name
    assert runs.documents_completed.gt(0).all()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers in /proc")
def test_a_worker_killed_stops_the_sweep_without_storing_runs_that_never_ran(
    tmp_path: Path,
) -> None:
    path = write_slow_sweep(tmp_path)
    out = tmp_path / "out"
    with sweep_to_interrupt(path, out, at_least=1) as proc:
        worker = next(pid for pid in live_members(proc.pid) if pid != proc.pid)
        os.kill(worker, signal.SIGKILL)  # as the out-of-memory killer would
        proc.wait(timeout=60)
    err = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 1, err
    runs = read_store(out / STORE_FILE)
    assert (runs.status == "ok").all() and 1 <= len(runs) < TOTAL  # no made-up failures
    assert err.strip().splitlines()[-1] == (
        f"error: a worker process died (killed, or out of memory?); {TOTAL - len(runs)} of "
        f"{TOTAL} runs did not run and are not stored; rerun with --resume to run them (with "
        f"fewer --workers if memory is short)")
    assert "Traceback" not in err


@pytest.mark.parametrize(("sig", "how", "group"), [
    (signal.SIGINT, "Ctrl-C", True),  # a terminal's Ctrl-C reaches the workers as well
    (signal.SIGTERM, "SIGTERM", False),  # `kill PID`
])
def test_signal_mid_sweep_says_what_is_stored_and_exits_130(
    sig: signal.Signals, how: str, group: bool, tmp_path: Path
) -> None:
    path = write_slow_sweep(tmp_path)
    out = tmp_path / "out"
    with sweep_to_interrupt(path, out, at_least=1) as proc:
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        proc.wait(timeout=60)
    err = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 130, err
    assert "Traceback" not in err  # neither from the parent nor from a worker
    # Counted independently of count_finished, which the message itself uses.
    stored = int((read_store(out / STORE_FILE).status == "ok").sum())
    assert err.strip().splitlines()[-1] == (
        f"interrupted ({how}): {stored} of {TOTAL} runs are stored in {out / STORE_FILE}; "
        f"rerun with --resume to finish")
    assert 1 <= stored < TOTAL
    assert {p.name for p in out.iterdir()} <= STORE_ONLY
    assert not re.search(r"run\(s\) done", (tmp_path / "stdout.txt").read_text())


IDLE_POOL = """
import concurrent.futures as cf, os, sys, time
from sim.experiments.executors import _worker_setup
pool = cf.ProcessPoolExecutor(max_workers=2, initializer=_worker_setup)
pids = {pool.submit(os.getpid).result() for _ in range(20)}
print(" ".join(map(str, pids)), flush=True)
time.sleep(60)  # workers idle, waiting for work that never comes
"""


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to see the workers")
def test_idle_workers_exit_when_their_parent_is_killed() -> None:
    """A parent killed outright cannot shut its pool down; idle workers must notice by
    themselves (during a sweep they might be mid-run and exit for other reasons)."""
    proc = subprocess.Popen([sys.executable, "-c", IDLE_POOL], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert pids and all(Path(f"/proc/{p}").exists() for p in pids)
    finally:
        proc.kill()
        proc.wait(timeout=30)

    def alive(pid: int) -> bool:
        stat = Path(f"/proc/{pid}/stat")
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            for p in pids:
                with contextlib.suppress(OSError):
                    os.kill(p, signal.SIGKILL)
            pytest.fail(f"workers {pids} outlived their killed parent")
        time.sleep(0.1)
