"""The README's commands run: every sim command and option it names exists, and short versions
of its first commands work; the extras it installs are declared."""

import configparser
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.S)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _sim_lines() -> list[str]:
    """Every `sim ...` command of the README's code blocks, comments and `;` split off."""
    lines = []
    for language, body in BLOCKS:
        if language not in ("", "bash"):
            continue
        for line in body.splitlines():
            line = line.split("  #")[0].strip()
            for part in line.split(";"):
                part = part.strip()
                if part.startswith("sim "):
                    lines.append(part)
    return lines


SIM_LINES = _sim_lines()


def test_the_readme_names_commands():
    assert len(SIM_LINES) >= 10
    assert any(line.startswith("sim run scenarios/baseline.yaml") for line in SIM_LINES)


@pytest.mark.parametrize("line", SIM_LINES)
def test_every_command_and_option_exists(line):
    words = shlex.split(line.replace("[", " ").replace("]", " ").replace("|", " "))
    command = words[1]
    result = invoke(command, "--help")
    assert result.exit_code == 0, f"{line}: sim {command} --help failed: {result.output}"
    for option in {w.split("=")[0] for w in words if w.startswith("--")}:
        assert option in result.output, f"{line}: sim {command} has no {option}"


def test_quick_start_runs_on_a_short_horizon(tmp_path):
    result = invoke("run", ROOT / "scenarios" / "baseline.yaml", "--set", "horizon_days=2",
                    "--set", "warmup_days=1", "--replications", 1, "--no-plots",
                    "--workers", 1, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "summary.csv").is_file()


def test_every_scenario_in_the_table_is_valid():
    table = README.split("| file | what it asks |", 1)[1].split("\n\n", 1)[0]
    names = re.findall(r"^\| `([\w.]+\.yaml)` \|", table, re.M)
    assert len(names) >= 8
    for name in names:
        result = invoke("validate", ROOT / "scenarios" / name)
        assert result.exit_code == 0, f"{name}: {result.output}"


def test_extras_and_the_slow_marker_are_as_the_readme_says():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    extras = set(config["options.extras_require"])
    for extra in re.findall(r"pip install -e '\.\[(\w+)\]'", README):
        assert extra in extras, f"README installs .[{extra}], setup.cfg does not declare it"
    assert '-m "not slow"' in config["tool:pytest"]["addopts"]
    # A -m on the command line replaces the configured one: -m slow runs only the slow tests.
    assert "`pytest -m slow` runs only" in README
    assert "pytest -m \"slow or not slow\"" in README


def test_python_api_names_exist():
    for name in ("run", "compare", "sweep"):
        assert callable(getattr(sim, name))
