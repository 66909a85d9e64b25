"""Policy over time: scheduled shares, migration waves and incidents, as dated events of a run.

:class:`PolicyEvent` is what a run reports of them (for tables, plots and the report's words).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["PolicyEvent", "EVENT_KINDS"]

#: ``step``: a scheduled share jumps; ``ramp``: it changes linearly from ``start_min`` to
#: ``end_min``; ``wave``: bodies move from ESED to OSDO; ``incident``: something is down from
#: ``start_min`` to ``end_min``.
EVENT_KINDS = ("step", "ramp", "wave", "incident")


@dataclass(frozen=True, slots=True)
class PolicyEvent:
    """One dated policy event of a run."""

    kind: Literal["step", "ramp", "wave", "incident"]
    start_min: float  #: clock minute it starts
    end_min: float  #: clock minute it ends (== start_min for a step or a wave)
    label: str  #: a few words, e.g. "remote share 30% -> 75%", "wave 1: 2 bodies to OSDO"
    #: Whether it touched this run's architecture (an OSDO outage does not touch an ESED run).
    affects: bool = True
