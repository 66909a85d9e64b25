"""The scenario schema for editors ($schema, $id), and a sweep's intervals cut where a KPI ends."""

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main
from sim.config.loading import json_schema
from sim.experiments.sweeps import point_summary


def test_sim_schema_declares_its_dialect_and_id():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:docflow-sim:scenario"
    assert schema == json_schema()


def test_the_shipped_baseline_validates_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    with open("scenarios/baseline.yaml", encoding="utf-8") as f:
        baseline = yaml.safe_load(f)
    jsonschema.Draft202012Validator(schema).validate(baseline)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({**baseline, "horizon_days": "long"})


def test_sweep_intervals_stop_at_zero_for_kpis_that_cannot_be_negative():
    runs = pd.DataFrame({
        "point": [0] * 3, "platform": ["osdo"] * 3, "status": ["ok"] * 3,
        "share": [0.0, 0.0, 0.3],
        "unofficial_channel_share": [0.0, 0.0, 0.03],  # a share: low end below 0 is cut
        "cycle_time_mean_h": [20.0, 21.0, 22.0],  # far from 0: nothing to cut
        "backlog_growth_per_day": [-5.0, 0.0, 5.0],  # may be negative: never cut
        "on_time_rate": [1.0, 1.0, 0.9],  # a share: high end above 1 is cut
    })
    kpis = ["unofficial_channel_share", "cycle_time_mean_h", "backlog_growth_per_day",
            "on_time_rate"]
    table = point_summary(runs, ["share"], kpis).set_index("kpi")
    assert list(table.columns[-1:]) == ["clipped"]
    share = table.loc["unofficial_channel_share"]
    assert share.clipped and share.low == 0.0 and share.high == pytest.approx(
        share["mean"] + share.half_width)
    assert not table.loc["cycle_time_mean_h"].clipped
    growth = table.loc["backlog_growth_per_day"]
    assert not growth.clipped and growth.low < 0
    rate = table.loc["on_time_rate"]
    assert rate.clipped and rate.high == 1.0 and rate.low < 1.0
