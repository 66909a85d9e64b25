"""Handling: the hands-on minutes of a step, from its draw and the factors of who does it where.

A draw from the step kind's distribution (by inversion of the step's own uniform), times the
person's factors: the cloud UI's on the step's share of UI work, insecure literacy, working from
home on their equipment, an equipment crash that loses the work; and, in a body that just moved
system, the transition's slower work and bringing the document into the new system.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING

from sim.config.schema import UI_GROUPS, Scenario

if TYPE_CHECKING:
    from sim.model.step import Step

__all__ = ["Handling"]

_inv_normal = NormalDist().inv_cdf


class Handling:
    """Hands-on minutes of steps for one replication."""

    def __init__(self, scenario: Scenario, bodies: int) -> None:
        self.human = scenario.human
        # The cloud UI's factor by preference group (UI_GROUPS order) and literacy (insecure
        # users feel the difference more: the gap from 1 is widened).
        osdo = scenario.platform.osdo
        gap = osdo.ui_insecure_gap_factor
        self._cloud_ui = [(f, 1.0 + gap * (f - 1.0))
                          for f in (osdo.ui_time_factors[g] for g in UI_GROUPS)]
        self._ui_share = {name: spec.ui_share for name, spec in scenario.documents.steps.items()}
        # Migration: until when a body's staff work slower in a new system, and how much.
        self._transition: list[tuple[float, float]] = [(0.0, 1.0) for _ in range(bodies)]
        #: Whether any body has moved system (until then steps skip the migration's costs).
        self.migrating = False
        # Per step name, its distribution with the lognormal's mu and sigma (for mean
        # handling_mean_min and coefficient of variation handling_cv) worked out once.
        self._handling: dict[str, tuple[str, float, float]] = {}
        for name, spec in scenario.documents.steps.items():
            mean = spec.handling_mean_min
            if spec.distribution == "lognormal":
                sigma2 = math.log1p(spec.handling_cv**2)
                self._handling[name] = ("lognormal", math.log(mean) - sigma2 / 2, math.sqrt(sigma2))
            else:
                self._handling[name] = (spec.distribution, mean, 0.0)

    def start_transition(self, body: int, until: float, factor: float) -> None:
        """The body's staff work ``factor`` times slower in their new system until ``until``."""
        self._transition[body] = (until, factor)
        self.migrating = True

    def minutes(self, step: Step) -> float:
        """Hands-on minutes of the step: a draw from its distribution times the factors."""
        emp, draws = step.emp, step.draws
        # Human handling time by inversion of one uniform draw, clamped away from 0 and 1
        kind, a, b = self._handling[step.name]
        if kind == "deterministic":
            minutes = a
        else:
            u = min(max(draws[0], 1e-12), 1.0 - 1e-12)
            if kind == "exponential":
                minutes = -a * math.log1p(-u)
            else:
                minutes = math.exp(a + b * _inv_normal(u))
        human = self.human
        f = 1.0
        if step.platform.cloud_ui and not step.paper:
            # The cloud's UI factor of this person acts on the step's share of UI work.
            share = self._ui_share[step.name]
            ui = self._cloud_ui[emp.ui_group][emp.insecure_literacy]
            f = ui if share == 1.0 else 1.0 + share * (ui - 1.0)
        if emp.insecure_literacy:
            f *= human.insecure_literacy_time_factor
        if step.at_home:
            f *= human.remote_time_factor * human.equipment_time_factor[emp.equipment]
        minutes *= f
        if step.at_home and draws[3] < human.equipment_crash_prob[emp.equipment]:
            minutes *= 2.0  # the work was lost and done again
        return minutes

    def migration_minutes(self, step: Step, minutes: float, t: float) -> float:
        """Extra minutes of a step in a body that just moved system.

        The transition's slower work, and bringing the document into the new system (once, on
        its next step).
        """
        until, factor = self._transition[step.emp.body]
        extra = minutes * (factor - 1.0) if t < until and not step.paper else 0.0
        doc = step.doc
        if doc.import_min:
            extra += doc.import_min
            doc.import_min = 0.0
        return extra
