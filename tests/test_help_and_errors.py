"""A new user's first hour: help with examples, and errors that blame the right thing.

Help: no stray ``%%``, every option explained, the KPI list behind ``--list-kpis`` instead of
inline, examples at the end of every command's help, the shipped files named when the file
argument is missing. Errors: an override's bad value is reported against the ``--set``, with
the field's bounds; a key at the wrong level gets its full path; a scalar where a list belongs
gets the list syntax; a sweep file given to ``sim run`` (and a scenario to ``sim sweep``) names
the right command; pathological YAML exits 2 in one line; an unwritable output location fails
before anything is simulated, and a write that fails anyway leaves nothing half-written.
"""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, check_one_line_error

from sim.cli import main
from sim.config import ScenarioError, load_scenario
from sim.model.kpis import KPIS

TINY = ROOT / "tests" / "data" / "good" / "tiny.yaml"  # runs in well under a second
BASELINE = "scenarios/baseline.yaml"


def invoke(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def tiny_sweep(folder: Path) -> Path:
    """A 4-run sweep (2 points x osdo, esed) over the tiny scenario."""
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({
        "name": "tiny", "base": str(TINY), "replications": 1,
        "parameters": {"staff.remote_share": {"values": [0.1, 0.5]}}}))
    return path


# --- help -------------------------------------------------------------------------------------

COMMANDS = sorted(name for name in main.commands if name != "report")  # report: not ours


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_help_ends_with_examples(name):
    result = invoke(name, "--help")
    assert result.exit_code == 0
    lines = result.output.rstrip().splitlines()
    at = max(i for i, line in enumerate(lines) if line.strip() == "Examples:")
    examples = [line.strip() for line in lines[at + 1:]]
    assert 1 <= len(examples) <= 3 and all(e.startswith("sim ") for e in examples), examples


def test_the_group_help_has_examples_too():
    output = invoke("--help").output
    assert "Examples:" in output and "sim run scenarios/baseline.yaml" in output


def test_run_help_reads_right():
    output = invoke("run", "--help").output
    assert "%%" not in output and "95% half-width" in output
    assert "--kpi KPI" in output and "--list-kpis" in output
    assert "delay_share_absence" not in output  # the KPIs are behind --list-kpis, not inline
    replications = output[output.index("--replications"):output.index("--platform")]
    assert "Replications of each platform" in replications


def test_validate_set_has_help():
    output = invoke("validate", "--help").output
    assert "Override a scenario field" in output[output.index("--set"):]


def test_list_kpis_prints_every_kpi_with_unit_and_meaning():
    result = invoke("run", "--list-kpis")
    assert result.exit_code == 0
    for kpi in KPIS.values():
        line = next(x for x in result.output.splitlines() if x.startswith(kpi.name + " "))
        assert kpi.unit in line and kpi.meaning in line


def test_an_unknown_kpi_points_to_the_list():
    result = invoke("run", BASELINE, "--precision", "0.1", "--kpi", "cycle_time_mean")
    assert result.exit_code == 2
    assert "did you mean 'cycle_time_mean_h'" in result.output and "--list-kpis" in result.output


@pytest.mark.parametrize(("command", "shown"), [
    ("run", ["scenarios/", "baseline.yaml", "national.yaml", "sim run scenarios/baseline.yaml"]),
    ("validate", ["scenarios/", "remote_75.yaml"]),
    ("compare", ["scenarios/", "poor_internet.yaml"]),
    ("sweep", ["scenarios/sweeps/", "remote_share.yaml"]),
])
def test_a_missing_file_argument_lists_the_shipped_files(command, shown, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = invoke(command)
    assert result.exit_code == 2
    assert "Missing argument" in result.output
    for fragment in shown:
        assert fragment in result.output


# --- errors in overrides and files ----------------------------------------------------------

@pytest.mark.parametrize(("override", "fragments"), [
    ("staff.remote_share=1.5", ["1.5 is not allowed", "must be between 0 and 1"]),
    ("remote_share=0.8", ["remote_share: unknown key",
                          "did you mean --set staff.remote_share=0.8"]),
    ("platforms=osdo", ["'osdo' is not allowed", "expected a list", "--set platforms=[osdo]"]),
    ("human.max_rework=100", ["100 is not allowed", "must be between 0 and 20"]),
    ("handling_mean_min=3", ["unknown key", "documents.steps.<name>.handling_mean_min"]),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_an_override_is_blamed_for_its_own_value(command, override, fragments, tmp_path):
    result = invoke(command, BASELINE, "--set", override, *(
        ["--out", tmp_path / "run"] if command == "run" else []))
    check_one_line_error(result, f"--set {override}", fragments)
    assert result.stderr.startswith(f"error: --set {override} (applied to {BASELINE})")
    assert not (tmp_path / "run").exists()


def test_the_python_api_blames_the_override_too():
    with pytest.raises(ScenarioError, match=r"^--set staff.remote_share=1.5 .*between 0 and 1"):
        load_scenario(BASELINE, ["staff.remote_share=1.5"])


def test_a_bad_value_in_the_file_is_still_the_files(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nstaff: {remote_share: 1.5}\n")
    result = invoke("validate", path, "--set", "seed=3")  # an unrelated override
    check_one_line_error(result, f"{path}: staff.remote_share", ["must be between 0 and 1"])
    assert "--set" not in result.stderr


def test_a_key_at_the_wrong_level_of_a_file_gets_its_full_path(tmp_path):
    path = tmp_path / "flat.yaml"
    path.write_text("name: x\nremote_share: 0.8\n")
    result = invoke("validate", path)
    check_one_line_error(result, str(path), ["remote_share: unknown key",
                                             "did you mean 'staff.remote_share'"])


def test_a_list_field_given_a_scalar_in_a_file_shows_the_list_syntax(tmp_path):
    path = tmp_path / "platforms.yaml"
    path.write_text("name: x\nplatforms: osdo\n")
    check_one_line_error(invoke("validate", path), str(path),
                         ["expected a list", "platforms: [osdo]"])


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_sweep_file_given_to_run_names_sim_sweep(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sweep = ROOT / "scenarios" / "sweeps" / "remote_share.yaml"
    result = invoke(command, sweep)
    check_one_line_error(result, str(sweep), ["this is a sweep file", f"sim sweep {sweep}"])
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_file_without_base_is_named_as_one_too(tmp_path):
    # Sweep keys without base: (parameters:, design:) used to raise a KeyError.
    path = tmp_path / "half.yaml"
    path.write_text("name: x\nparameters: {}\n")
    check_one_line_error(invoke("validate", path), str(path),
                         ["this is a sweep file (parameters:)", f"sim sweep {path}"])


def test_a_scenario_given_to_sweep_names_sim_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("sweep", ROOT / BASELINE)
    check_one_line_error(result, "baseline.yaml", ["this is a scenario file", "sim run"])
    assert list(tmp_path.iterdir()) == []


def test_an_override_of_a_sweep_base_is_blamed_too(tmp_path):
    result = invoke("sweep", tiny_sweep(tmp_path), "--set", "staff.remote_share=2",
                    "--out", tmp_path / "out")
    check_one_line_error(result, "--set staff.remote_share=2", ["must be between 0 and 1",
                                                                "sweep.yaml"])
    assert not (tmp_path / "out").exists()


# --- pathological YAML ------------------------------------------------------------------------

PATHOLOGICAL = {
    "nested_lists.yaml": ("name: x\nbodies: " + "[" * 10_000 + "]" * 10_000 + "\n",
                          "nested more than 50 levels"),
    "nested_mappings.yaml": ("name: x\nstaff: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
                             "nested more than 50 levels"),
    "alias_bomb.yaml": ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, n in zip("abcdefghi", "bcdefghij", strict=True)), "aliases (*name) are expanded"),
    "alias_chain.yaml": ("a0: &a0 [1]\n" + "".join(
        f"a{i + 1}: &a{i + 1} [*a{i}]\n" for i in range(3000)), "aliases (*name) are expanded"),
    "alias_in_itself.yaml": ("name: &n [*n]\n", "inside the value of its own anchor"),
    "unhashable_key.yaml": ("? [a, b]\n: c\n", "unhashable key"),
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
@pytest.mark.parametrize("command", ["validate", "run", "sweep"])
def test_pathological_yaml_exits_2_in_one_line(name, command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text, fragment = PATHOLOGICAL[name]
    path = tmp_path / name
    path.write_text(text)
    result = invoke(command, path)
    check_one_line_error(result, name, ["invalid YAML", fragment])
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("command", ["validate", "run", "sweep"])
def test_a_50_mb_file_is_refused_at_once(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "huge.yaml"
    with path.open("wb") as out:
        out.write(b"name: x\n")
        out.truncate(50 * 2**20)  # sparse: no 50 MB written, but that is its size
    result = invoke(command, path)
    check_one_line_error(result, "huge.yaml", ["too large (52.4 MB)", "at most 1 MB"])


# --- output locations -------------------------------------------------------------------------

def test_an_impossible_out_fails_before_simulating(tmp_path):
    result = invoke("run", TINY, "--out", "/proc/x/run")
    check_one_line_error(result, "/proc/x/run", ["cannot write the run folder",
                                                 "nothing was run", "choose another --out"])
    (tmp_path / "file").write_text("")
    result = invoke("run", TINY, "--out", tmp_path / "file" / "run")
    check_one_line_error(result, str(tmp_path / "file" / "run"), ["is a file, not a folder"])


def test_compare_checks_its_csv_before_simulating(tmp_path):
    result = invoke("compare", TINY, "--csv", tmp_path / "nowhere" / "c.csv")
    check_one_line_error(result, "c.csv", ["does not exist", "--csv"])


def test_a_sweep_to_an_impossible_out_fails_before_running(tmp_path):
    result = invoke("sweep", tiny_sweep(tmp_path), "--out", "/proc/x/sweep")
    check_one_line_error(result, "/proc/x/sweep", ["cannot write the sweep folder",
                                                   "choose another --out"])


def _no_trace_of(out: Path) -> None:
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


def test_a_disk_full_while_writing_leaves_no_folder(tmp_path, monkeypatch):
    from sim.outputs import run_folder

    def full(frame, path, *args, **kwargs):
        if Path(path).name == "documents.csv":  # written by a forked child where one can be
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return original(frame, path, *args, **kwargs)

    original = run_folder.write_frame_csv
    monkeypatch.setattr(run_folder, "write_frame_csv", full)
    out = tmp_path / "new" / "deeper" / "run"
    result = invoke("run", TINY, "--out", out, "--workers", "1")
    assert result.exit_code == 2, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot write the run folder {out}: No space left on device")
    assert "free some space" in last and "Traceback" not in result.output
    assert not (tmp_path / "new").exists()  # nor the folders made for it


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_file_size_limit_exits_2_in_one_line(workers, tmp_path):
    """``ulimit -f``: SIGXFSZ would kill the process mid-write; the write fails instead."""
    out = tmp_path / "runs" / "run"
    code = ("import resource\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))\n"
            "from sim.cli import main\n"
            f"main(['run', {str(TINY)!r}, '--out', {str(out)!r}, '--workers', {workers!r}])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot write the run folder {out}: File too large")
    assert "ulimit -f" in last
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_that_cannot_write_keeps_its_store(tmp_path, monkeypatch):
    import sim.outputs.sweep_folder as sweep_folder
    from sim.experiments.store import STORE_FILE, ResultStore, count_finished

    sweep, out = tiny_sweep(tmp_path), tmp_path / "out"
    record, calls = ResultStore.record, []

    def full_after_two(self, row):
        calls.append(row)
        if len(calls) > 2:
            raise sqlite3.OperationalError("database or disk is full")
        return record(self, row)

    monkeypatch.setattr(ResultStore, "record", full_after_two)
    result = invoke("sweep", sweep, "--out", out, "--workers", "1", "--no-plots")
    assert result.exit_code == 2, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert "2 of 4 runs are stored" in last and "--resume" in last and "Traceback" not in last
    assert count_finished(out / STORE_FILE) == 2
    monkeypatch.setattr(ResultStore, "record", record)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "runs.csv"))

    monkeypatch.setattr(sweep_folder, "write_outputs", no_space)
    result = invoke("sweep", sweep, "--out", out, "--workers", "1", "--resume", "--no-plots")
    assert result.exit_code == 2
    assert "4 of 4 runs are stored" in result.stderr and "free some space" in result.stderr
    monkeypatch.undo()
    result = invoke("sweep", sweep, "--out", out, "--workers", "1", "--resume", "--no-plots")
    assert result.exit_code == 0, result.output
    assert "0 run(s) done, 4 already stored" in result.output
