"""A migration wave or incident after the horizon: accepted, with a warning that it won't run."""

import yaml
from click.testing import CliRunner
from conftest import small_scenario, small_scenario_dict

from sim.cli import main
from sim.model.policy import events_after_horizon

WAVE = {"name": "late wave", "kinds": ["district_akimat"]}
INCIDENT = {"what": "access_gateway", "hours": 4}


def test_only_the_events_at_or_after_the_horizon_are_named():
    # Ten working days from Monday 2023-01-09: the 9th (0-based) is Friday 20 January, the last.
    scenario = small_scenario(
        migration=[{**WAVE, "day": 9}, {**WAVE, "name": "too late", "day": 10}],
        incidents=[{**INCIDENT, "day": "2023-01-20"}, {**INCIDENT, "day": 400}])
    lines = events_after_horizon(scenario)
    assert lines == [
        "migration.1 (too late): day 10 is after the horizon (the run ends after 10 working "
        "days, on 2023-01-20): this wave will not happen in this run",
        "incidents.1 (access gateway down 4 h): day 400 is after the horizon (the run ends "
        "after 10 working days, on 2023-01-20): this incident will not happen in this run",
    ]


def test_validate_and_run_warn_but_accept(tmp_path):
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(small_scenario_dict(
        horizon_days=3, warmup_days=1, migration=[{**WAVE, "day": 400}])))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"warning: {path}: migration.0 (late wave): day 400 is after the horizon" \
        in result.stderr
    assert "valid" in result.stdout
    on_time = tmp_path / "on_time.yaml"
    on_time.write_text(yaml.safe_dump(small_scenario_dict(
        horizon_days=3, warmup_days=1, migration=[{**WAVE, "day": 1}])))
    result = CliRunner().invoke(main, ["validate", str(on_time)])
    assert result.exit_code == 0 and "warning" not in result.stderr
