"""Interrupted runs: Ctrl-C or SIGTERM exits 130 with one line and leaves no folder behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim.outputs.run_folder
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "good" / "tiny.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def _wait_for(path: Path, text: str, proc: subprocess.Popen, limit_s: float = 120.0) -> None:
    """Poll a log file until ``text`` shows up (the run has started simulating)."""
    waited = 0.0
    while text not in path.read_text():
        assert proc.poll() is None, f"the run ended before the signal: {path.read_text()}"
        assert waited < limit_s, "the run never reported progress"
        time.sleep(0.1)
        waited += 0.1


@pytest.mark.parametrize(("sig", "how"), [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")])
def test_signal_mid_run_leaves_nothing(sig: signal.Signals, how: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    err = tmp_path / "stderr.txt"
    out = work / "run"
    # Hundreds of replications: minutes of work, so the signal surely lands mid-run.
    cmd = [sys.executable, "-m", "sim", "run", str(BASELINE), "--out", str(out),
           "--replications", "500", "--no-plots"]
    with err.open("w") as err_file:
        proc = subprocess.Popen(
            cmd, cwd=work, stdout=subprocess.PIPE, stderr=err_file, text=True,
            # A runner that ignores SIGINT (background jobs) would pass that on; undo it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            _wait_for(err, "simulating", proc)
            time.sleep(0.5)  # inside a replication, not between the label and the first one
            proc.send_signal(sig)
            stdout, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    lines = err.read_text().strip().splitlines()
    assert proc.returncode == 130, lines
    assert lines[-1] == f"interrupted ({how}): nothing was written"
    assert not any("Traceback" in line for line in lines)
    assert stdout == ""
    assert list(work.iterdir()) == []  # no run folder, no .run.* temporary folder


@pytest.mark.parametrize("exc", [KeyboardInterrupt, "terminated"])
def test_interrupt_while_writing_removes_the_temporary_folder(exc, tmp_path, monkeypatch) -> None:
    """The files are half written when the interrupt comes: the temporary folder goes too."""
    from sim.cli import errors as cli

    error = cli._Terminated if exc == "terminated" else exc
    written: list[Path] = []

    def interrupted(scenario):
        written.extend(tmp_path.glob(".run.*/*"))
        raise error

    monkeypatch.setattr(sim.outputs.run_folder, "dump_resolved", interrupted)
    result = CliRunner().invoke(main, ["run", str(TINY), "--out", str(tmp_path / "run")])
    assert result.exit_code == 130
    assert any(p.name == "summary.csv" for p in written)  # the interrupt did land mid-write
    assert result.stderr.strip().splitlines()[-1].startswith("interrupted (")
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "mine.txt").write_text("precious")
    refused = CliRunner().invoke(main, ["run", str(TINY), "--out", str(out)])
    assert refused.exit_code == 2
    assert f"{out} already exists" in refused.stderr and "--force" in refused.stderr
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    forced = CliRunner().invoke(main, ["run", str(TINY), "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert not (out / "mine.txt").exists()
    assert (out / "summary.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left
