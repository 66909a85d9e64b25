"""The OVERLOADED warning: advice that fits the scenario, and what 'busiest 1.37' means."""

from sim.config import Scenario
from sim.model.stability import warnings

VERDICT = {"osdo": {"overloaded_people": 2.0, "busiest_person_utilisation": 1.37,
                    "unstable_replications": 0, "replications": 3}}


def test_advice_when_work_is_already_spread():
    default = dict(Scenario(name="x").staff.assignment)  # pooled clerks, least-loaded others
    assert set(default.values()) <= {"pooled", "least_loaded"}
    (line,) = warnings(VERDICT, default)
    assert line.startswith("OVERLOADED osdo: on average 2.0 people were busy 95% of their "
                           "working time or more")
    assert "Consider staff.assignment least_loaded or pooled" not in line
    assert "already assigned least loaded or pooled" in line
    assert "resolution_levels: 1" in line
    # 1.37 in words: the share of their present working time, and why it can pass 100%.
    assert "the busiest person's work came to 137% of the working time they were present" in line
    assert "over 100%" in line


def test_advice_names_the_roles_assigned_at_random():
    assignment = {"clerk": "pooled", "head": "least_loaded", "executor": "named_uniform"}
    (line,) = warnings(VERDICT, assignment)
    assert "Consider staff.assignment.executor: least_loaded (now named_uniform" in line
    assert "head" not in line.split("Consider", 1)[1]


def test_no_over_100_note_below_100():
    verdict = {"esed": {**VERDICT["osdo"], "busiest_person_utilisation": 0.97}}
    (line,) = warnings(verdict, {"clerk": "pooled"})
    assert "97% of the working time they were present" in line and "over 100%" not in line
