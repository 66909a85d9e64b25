"""Policy over time in a scenario: scheduled shares, migration waves and incidents.

A day is written as a number of working days from the start (0 is the first working day) or as
an ISO date. A scheduled share changes by steps (on a ``day``) and linear ramps (``from`` one day
``until`` another), each ``to`` a new value. Every number here is an input of the scenario; the
defaults of a wave's transition cost are assumptions (docs/model.md).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.config.architectures import SystemName
from sim.config.fields import BodyKind, NonNegative, Positive, Share, Spec, iso_date

__all__ = ["ShareChange", "MigrationWave", "Incident", "SCHEDULED_SHARES", "When"]

#: A day: working days from the start (0 = the first working day), or an ISO date.
When = Annotated[int, Field(ge=0)] | str
#: The shares that accept a schedule (fields of ``staff``).
SCHEDULED_SHARES = ("remote_share", "home_internet", "literacy", "equipment")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _check_day(value: Any) -> Any:
    """A day as an int (working days) or canonical ``YYYY-MM-DD`` text, so dates compare."""
    if isinstance(value, dt.date):  # YAML reads an unquoted 2023-03-01 as a date
        return value.isoformat()
    if isinstance(value, str):
        return iso_date(value).isoformat()  # 20230301 is a date too; keep one spelling
    return value


class ShareChange(Spec):
    """One change of a scheduled share.

    A step on a ``day``, or a ramp ``from`` a day ``until`` another (linear in working time),
    ``to`` a new value.
    """

    model_config = {**Spec.model_config, "populate_by_name": True}

    # "day", not "on": YAML reads a bare on: as the boolean true.
    day: When | None = Field(None, description="Day of a step change.")
    from_: When | None = Field(None, alias="from", description="First day of a ramp.")
    until: When | None = Field(None, description="Day a ramp reaches its value.")
    to: float | dict[str, float] = Field(
        description="The new value: a share (remote_share) or shares by class.")

    @field_validator("day", "from_", "until", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        return _check_day(value)

    @model_validator(mode="after")
    def _one_form(self) -> ShareChange:
        step, ramp = self.day is not None, self.from_ is not None or self.until is not None
        if step == ramp:
            raise ValueError("a change is either a step (day: DAY) or a ramp (from: DAY, "
                             "until: DAY)")
        if ramp and (self.from_ is None or self.until is None):
            raise ValueError("a ramp needs both from: and until:")
        if ramp and type(self.from_) is not type(self.until):
            raise ValueError("a ramp's from and until are both working days or both dates")
        if ramp and self.from_ >= self.until:  # type: ignore[operator]  # same kind, checked
            raise ValueError(f"a ramp's until ({self.until}) must come after its from "
                             f"({self.from_})")
        return self

    @property
    def first(self) -> int | str:
        """The day the change begins."""
        return self.day if self.day is not None else self.from_  # type: ignore[return-value]


class MigrationWave(Spec):
    """Bodies that move from their own ESED to the central cloud on one day."""

    name: str | None = Field(None, description="How plots and reports name the wave.")
    day: When = Field(description="Day the bodies start working in OSDO.")
    bodies: list[str] = Field(
        [], description="Bodies that move, by body or body-group name.")
    kinds: list[BodyKind] = Field([], description="Kinds of body that move.")
    share: Share | None = Field(
        None, description="Share of the bodies still on ESED that move (the first ones in the "
        "order the scenario lists them).")
    transition_days: Annotated[int, Field(ge=0, le=250)] = Field(
        10, description="Working days of slower work in the new system (assumption).")
    transition_time_factor: Annotated[float, Field(ge=1.0, le=10.0)] = Field(
        1.3, description="Handling-time factor during the transition (assumption: staff learn "
        "the new screens).")
    import_min_per_document: NonNegative = Field(
        5.0, description="Minutes to bring one open document into the new system, added to "
        "its next step (assumption).")

    @field_validator("day", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        return _check_day(value)

    @model_validator(mode="after")
    def _chooses_bodies(self) -> MigrationWave:
        if not self.bodies and not self.kinds and self.share is None:
            raise ValueError("a wave needs bodies:, kinds: or share: to say who moves")
        return self


class Incident(Spec):
    """Something down for a set time: a system, the access gateway or a region's internet."""

    name: str | None = Field(None, description="How plots and reports name the incident.")
    what: Literal["platform", "access_gateway", "internet"] = Field(
        description="platform: a document system (the whole cloud, or one agency's ESED); "
        "access_gateway: the state bodies' single internet access gateway (OSDO from the "
        "office); internet: a region's internet (office links to the cloud and home "
        "connections of the region's staff).")
    system: SystemName | None = Field(None, description="For platform: osdo or esed.")
    body: str | None = Field(None, description="For an esed platform: whose system is down.")
    region: str | None = Field(None, description="For internet: the region (bodies.*.region).")
    day: When = Field(description="Day it starts.")
    at: str = Field("09:00", description="Clock time it starts, HH:MM.")
    hours: Positive = Field(description="Hours it lasts (clock hours).")

    @field_validator("day", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        return _check_day(value)

    @field_validator("at")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"{value!r} is not a time HH:MM")
        return value

    @model_validator(mode="after")
    def _target(self) -> Incident:
        used = {"platform": {"system"} | ({"body"} if self.system == "esed" else set()),
                "access_gateway": set(), "internet": {"region"}}[self.what]
        stray = [k for k in ("system", "body", "region")
                 if getattr(self, k) is not None and k not in used]
        if stray:
            kind = f"{self.what} of {self.system}" if self.what == "platform" else self.what
            raise ValueError(f"incidents of kind {kind} take no {', '.join(stray)} (it would "
                             "be ignored)")
        if self.what == "platform":
            if self.system is None:
                raise ValueError("a platform incident needs system: osdo or esed")
            if self.system == "esed" and self.body is None:
                raise ValueError("an esed incident needs body: (whose system is down)")
        if self.what == "internet" and self.region is None:
            raise ValueError("an internet incident needs region:")
        return self
