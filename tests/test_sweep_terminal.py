"""sim sweep at the terminal: compact tables, the paired OSDO - ESED, a pointer to the report."""

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import small_scenario_dict

from sim.cli import main


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("terminal")
    (folder / "base.yaml").write_text(yaml.safe_dump(small_scenario_dict(horizon_days=3,
                                                                         warmup_days=1)))
    (folder / "sweep.yaml").write_text(yaml.safe_dump({
        "name": "terminal", "base": "base.yaml", "platforms": ["osdo", "esed"],
        "replications": 3, "seed": 11,
        "parameters": {"staff.remote_share": {"values": [0.2, 0.7]},
                       "platform.osdo.ui_time_factors.detractors": {"values": [0.8, 1.3]}},
        "kpis": ["documents_created", "cycle_time_mean_h", "cycle_time_p95_h", "on_time_rate",
                 "throughput_per_day", "connectivity_loss_h_per_employee",
                 "unofficial_channel_share", "wip_mean"],
    }, sort_keys=False))
    out = folder / "out"
    result = CliRunner().invoke(main, ["sweep", str(folder / "sweep.yaml"), "--out", str(out),
                                       "--workers", "1", "--no-plots"])
    assert result.exit_code == 0, result.output
    return out, result.stdout


def test_tables_are_compact_and_point_to_the_report(swept):
    out, text = swept
    assert max(len(line) for line in text.splitlines() if str(out) not in line) <= 115
    assert f"sim report {out}" in text
    assert "parameters: remote_share = staff.remote_share, detractors = " \
           "platform.osdo.ui_time_factors.detractors" in text
    assert "(also 2 more KPIs)" in text  # eight KPIs, six shown


def test_the_paired_difference_is_printed_per_point(swept):
    out, text = swept
    runs = pd.read_csv(out / "runs.csv")
    block = text.split("OSDO - ESED per point, paired over 3 replications", 1)[1]
    rows = block.splitlines()[4:8]
    assert len(rows) == 4
    wide = runs.pivot(index=["point", "replication"], columns="platform",
                      values="cycle_time_mean_h")
    d = (wide.osdo - wide.esed).groupby(level="point")
    for point, row in zip(sorted(runs.point.unique()), rows, strict=True):
        values = d.get_group(point).to_numpy()
        mean = values.mean()
        half = 4.302653 * values.std(ddof=1) / 3 ** 0.5  # t(0.975, 2) / sqrt(3)
        cell = row.split()[2:5]  # the parameters, then "+1.2 ± 0.4"
        assert float(cell[0]) == pytest.approx(mean, abs=0.051)
        assert cell[1] == "±"
        assert float(cell[2].rstrip("*?")) == pytest.approx(half, abs=0.051)
