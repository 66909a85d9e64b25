"""Configuration: the scenario schema, reading files and overrides, and input errors.

The lowest layer: it imports nothing else of ``sim``. Everything above takes its numbers from a
validated :class:`Scenario`.
"""

from sim.config.errors import InputError, ScenarioError, SweepFileError
from sim.config.loading import (
    dump_resolved,
    json_schema,
    load_scenario,
    parse_override,
    scenario_from_dict,
)
from sim.config.schema import Scenario

__all__ = [
    "InputError", "ScenarioError", "SweepFileError", "Scenario", "load_scenario",
    "scenario_from_dict", "parse_override", "dump_resolved", "json_schema",
]
