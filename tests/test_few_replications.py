"""Runs of one or two replications: no interval is shown and no difference is claimed."""

import math
import re

import pytest
from click.testing import CliRunner
from conftest import small_scenario

from sim.cli import main
from sim.config import dump_resolved
from sim.experiments.comparison import sentence, verdict
from sim.experiments.statistics import mean_ci, shown_ci
from sim.outputs import report


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("few") / "s.yaml"
    path.write_text(dump_resolved(small_scenario(horizon_days=4, warmup_days=1)))
    return path


@pytest.mark.parametrize("reps", [1, 2])
def test_report_of_few_replications_shows_no_interval_and_claims_nothing(scenario_file,
                                                                          tmp_path, reps):
    out = tmp_path / "run"
    result = invoke("run", scenario_file, "--out", out, "--replications", reps, "--no-plots",
                    "--platform", "both", "--report", "--workers", 1)
    assert result.exit_code == 0, result.output
    words = f"{reps} replication{'s' if reps > 1 else ''}: no interval"
    # The terminal table: means alone, its header saying why.
    table = result.output.split("KPI (mean", 1)[1].split("\n\n", 1)[0]
    assert table.startswith(f"; {words})")
    assert "±" not in table
    page = (out / "report.html").read_text()
    kpis = re.search(r"<table class='kpi'>.*?</table>", page, re.S).group(0)
    assert f"OSDO − ESED (paired; {words})" in kpis
    assert "±" not in page
    found = " ".join(report.findings(report.load_run(out)))
    assert "makes no claim about whether OSDO or ESED" in found
    for claim in ("shorter on OSDO", "longer on OSDO", "higher on OSDO", "lower on OSDO",
                  "less on OSDO", "more on OSDO", "looks", "is larger on OSDO"):
        assert claim not in found
    # `sim report` on the folder works as well.
    assert invoke("report", out).exit_code == 0


def test_verdict_reads_json_none_and_needs_three_replications():
    assert verdict({"mean": -2.5, "half_width": None, "low": None, "high": None, "n": 1}) \
        == "none"
    tight = mean_ci([-2.51, -2.49])  # a t-interval on two values: -2.5 ± 0.13
    assert tight["half_width"] < 0.2
    assert verdict(tight) == "none"
    assert verdict(mean_ci([-2.51, -2.49, -2.50])) == "apart"


def test_shown_ci_drops_the_interval_below_three_values():
    two = shown_ci(mean_ci([1.0, 3.0]))
    assert two["mean"] == 2.0 and math.isnan(two["half_width"]) and two["n"] == 2
    three = shown_ci(mean_ci([1.0, 2.0, 3.0]))
    assert three["half_width"] == pytest.approx(2.4841377, rel=1e-6)  # t(0.975, 2) / sqrt(3)


def test_sentence_of_two_replications_claims_no_direction():
    text = sentence("cycle_time_mean_h", 30.0, 32.5, mean_ci([-2.51, -2.49]))
    assert "2 replications: no interval" in text
    assert "±" not in text and "lower" not in text and "higher" not in text
