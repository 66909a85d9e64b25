"""The scenario schema: typed sections that hold every model default.

A scenario is a YAML file validated against :class:`Scenario`. Every number the model uses lives
here, as a field default with its unit in the name or description and its source (or the word
"assumption") in the description; ``docs/model.md`` lists them all and ``docs/sources.md`` gives
the full references. Reading files, ``extends:`` and ``--set`` overrides live in
:mod:`sim.config.loading`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from sim.config.architectures import ArchitectureName, SystemName
from sim.config.fields import (
    BODY_KINDS,
    SHARE_TOLERANCE,
    BodyKind,
    NonNegative,
    OutageHours,
    Positive,
    Share,
)
from sim.config.fields import Spec as _Spec
from sim.config.fields import check_shares as _check_shares
from sim.config.fields import iso_date as _iso_date
from sim.config.policy import SCHEDULED_SHARES, Incident, MigrationWave, ShareChange

__all__ = [
    "Scenario", "CalendarSpec", "StaffSpec", "HumanFactorsSpec", "InternetClass", "InternetSpec",
    "OsdoSpec", "EsedSpec", "GatewaySpec", "PlatformSpec", "StepSpec", "DocumentType",
    "DocumentsSpec", "WorkloadSpec", "BodyGroup", "OutputSpec", "STEP_NAMES", "hhmm_minutes",
    "DEFAULT_SEED", "AccessGatewaySpec", "BODY_KINDS", "AbsenceSpec", "BodyStructure",
    "StartSpec", "PATH_SEGMENTS", "UI_GROUPS",
]

DEFAULT_SEED = 20230101  # the root seed when a scenario names none
MAX_TOTAL_STAFF = 2_000_000  # sanity bound; Kazakhstan has ~90,000 civil-service posts [acsa-2023]


# --------------------------------------------------------------------------- calendar


_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class CalendarSpec(_Spec):
    """Working time. The clock starts at 00:00 on `start_date`, which must be a Monday."""

    start_date: str = Field(
        "2023-01-09",
        description="ISO date of simulated minute 0; a Monday (assumption: the first full "
        "working week of 2023; 2 and 3 January were public holidays).",
    )
    workdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        [0, 1, 2, 3, 4],
        description="Working weekdays, 0=Monday..6=Sunday. Source: Labour Code, five-day week "
        "[labour-code].",
    )
    work_periods: list[tuple[str, str]] = Field(
        [("09:00", "13:00"), ("14:30", "18:30")],
        description="Working periods of a working day as HH:MM pairs (09:00-18:30 with lunch "
        "13:00-14:30, the civil-service schedule; assumption).",
    )
    official_calendar: Literal["KZ"] | None = Field(
        "KZ",
        description="Country whose public holidays, days off moved by decree and weekend days "
        "worked in their place apply, for any year (from the `holidays` package; source: "
        "Labour Code art. 84 and the government's yearly decrees on moved days off); null = "
        "weekdays only.",
    )
    holidays: list[str] = Field(
        [],
        description="Extra non-working dates (ISO) on top of the official calendar (none by "
        "default: assumption).",
    )
    working_dates: list[str] = Field(
        [],
        description="Dates (ISO) that are working days whatever the weekday or the official "
        "calendar says (none by default: assumption).",
    )

    @field_validator("start_date", "holidays", "working_dates", mode="before")
    @classmethod
    def _dates_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 2023-01-02 as a date; the schema keeps ISO text.
        if isinstance(value, list):
            return [v.isoformat() if isinstance(v, dt.date) else v for v in value]
        return value.isoformat() if isinstance(value, dt.date) else value

    @field_validator("start_date")
    @classmethod
    def _monday(cls, value: str) -> str:
        day = _iso_date(value)
        if day.weekday() != 0:
            monday = day - dt.timedelta(days=day.weekday())
            raise ValueError(
                f"{value} is a {day:%A}, not a Monday; runs start on a Monday "
                f"(e.g. {monday.isoformat()})"
            )
        return value

    @field_validator("holidays", "working_dates")
    @classmethod
    def _holiday_dates(cls, value: list[str]) -> list[str]:
        for text in value:
            _iso_date(text)
        return value

    @field_validator("work_periods", mode="before")
    @classmethod
    def _sexagesimal(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 14:30 as the base-60 number 870, i.e. minutes after midnight.
        if not isinstance(value, list):
            return value
        return [
            [f"{v // 60:02d}:{v % 60:02d}" if isinstance(v, int) and not isinstance(v, bool)
             and 0 <= v <= 1440 else v for v in p] if isinstance(p, (list, tuple)) else p
            for p in value
        ]

    @model_validator(mode="after")
    def _periods_ordered(self) -> CalendarSpec:
        last = -1
        for start, end in self.work_periods:
            for hhmm in (start, end):
                if not _HHMM.match(hhmm):
                    raise ValueError(
                        f"work_periods: {hhmm!r} is not HH:MM (00:00..24:00, quoted)"
                    )
            a, b = hhmm_minutes(start), hhmm_minutes(end)
            if not last <= a < b <= 1440:
                raise ValueError(
                    f"work_periods must be ordered, non-overlapping and within a day; "
                    f"got {start}-{end}"
                )
            last = b
        if not self.work_periods:
            raise ValueError("work_periods must hold at least one period")
        if not self.workdays:
            raise ValueError("workdays must hold at least one weekday")
        return self


def hhmm_minutes(hhmm: str) -> int:
    """Minutes after midnight of an ``HH:MM`` time (``24:00`` is 1440)."""
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


# --------------------------------------------------------------------------- staff


class BodyStructure(_Spec):
    """How a body of one kind is organised: its leadership, departments and divisions.

    The heads of a body (``staff.roles``) fill it from the top: the head of the body and the
    deputies (at most a quarter of the heads), then department directors and division heads;
    executors are spread over the divisions in turn. The last department (or division) is the
    legal service.
    """

    deputies: Annotated[int, Field(ge=0, le=10)] = Field(
        description="Deputies of the head of the body (vice-ministers, deputy chairmen, deputy "
        "akims), each curating some departments: they refer the departments' mail and sign "
        "letters in the body's name [law-civil-service]; a bigger body has more (see "
        "staff_per_deputy). The number is an assumption."
    )
    staff_per_deputy: Annotated[int, Field(ge=1, le=100_000)] = Field(
        60,
        description="Staff a deputy curates at most: a body of more than deputies x this many "
        "has one deputy per this many staff, rounded up (assumption: a vice-minister curates "
        "two departments of about 30).",
    )
    divisions_per_department: Annotated[int, Field(ge=0, le=20)] = Field(
        description="Divisions per department; 0: divisions sit directly under the leadership "
        "(no department level). Assumption."
    )
    head_referrals_per_day: NonNegative = Field(
        10.0,
        description="Incoming documents a day the head of the body refers personally (to the "
        "curating deputy), on average: that share of the body's expected incoming mail (all of "
        "it in a body that gets fewer); the records office sends the rest straight to the "
        "curating deputy by the distribution of duties. Assumption.",
    )


def _default_structures() -> dict[str, BodyStructure]:
    # Assumptions, in the shape of the study's bodies: a ministry has vice-ministers and
    # departments of divisions (its legal department is named in its orders [mipd-2021]); a
    # committee, territorial division, local executive body and akim's office have divisions
    # under their leadership.
    return {
        "central_ministry": BodyStructure(deputies=5, divisions_per_department=4),
        "committee": BodyStructure(deputies=3, divisions_per_department=0),
        "territorial_division": BodyStructure(deputies=2, divisions_per_department=0),
        "local_executive": BodyStructure(deputies=2, divisions_per_department=0),
        "district_akimat": BodyStructure(deputies=3, divisions_per_department=0),
    }


class StaffSpec(_Spec):
    """Who works where and how well. Shares are of all staff of a body."""

    remote_share: Share = Field(
        0.5,
        description="Share of staff working fully remotely: the policy lever. About half of "
        "civil servants stayed remote after May 2020 (source: press reports [remote-2020]).",
    )
    hybrid_share: Share = Field(
        0.0, description="Share of staff on a hybrid schedule (assumption: none by default)."
    )
    remote_eligible_share: Share = Field(
        0.75,
        description="Share of staff whose duties can be done remotely; the rest hold on-site "
        "duties (state secrets, mobilization, paper-only documents). Source: seed paper, 3 of "
        "12 functions, hypothesis 75% [seed].",
    )
    hybrid_office_days_per_week: Annotated[int, Field(ge=0, le=7)] = Field(
        2, description="Office days a week of hybrid staff (assumption)."
    )
    remote_office_days_per_week: Annotated[int, Field(ge=0, le=7)] = Field(
        1,
        description="Office days a week on which remote staff come in for on-site-only work "
        "(assumption: one duty day).",
    )
    roles: dict[str, Share] = Field(
        {"clerk": 0.10, "head": 0.20, "executor": 0.70},
        description="Role shares: clerks (records office), heads (resolve, approve, sign), "
        "executors (draft). Assumption.",
    )
    literacy: dict[str, Share] = Field(
        {"advanced": 0.61, "insecure": 0.39},
        description="Digital literacy shares. Source: seed paper, 2022 survey (61% / 39%) [seed].",
    )
    equipment: dict[str, Share] = Field(
        {"adequate": 0.45, "inadequate": 0.44, "insufficient": 0.11},
        description="Home equipment shares. Source: seed paper, 2022 survey (45/44/11) [seed].",
    )
    home_internet: dict[str, Share] = Field(
        {"urban_fibre": 0.45, "urban_mobile": 0.30, "rural": 0.18, "poor_rural": 0.07},
        description="Home internet class shares (assumption; classes in `internet.classes`).",
    )
    assignment: dict[str, Literal["pooled", "named_uniform", "least_loaded"]] = Field(
        {"clerk": "pooled", "head": "least_loaded", "executor": "least_loaded"},
        description="How work is assigned, by role: pooled (any free member takes the next "
        "item), named_uniform (a uniformly random person, whatever their backlog) or "
        "least_loaded (the assigner names the eligible person with the least outstanding "
        "work). Assumption: records offices take incoming mail in turn, and a head who names "
        "executors knows who is busy.",
    )
    queue_discipline: dict[str, Literal["fifo", "deadline"]] = Field(
        {"clerk": "fifo", "head": "deadline", "executor": "deadline"},
        description="Order in which a person takes waiting work, by role: fifo (first come) or "
        "deadline (earliest deadline first). Assumption: registration goes in arrival order, "
        "while heads and executors work to the terms of documents under control.",
    )
    delegate_over_hours: dict[str, Annotated[float, Field(gt=0.0, le=2000.0)] | None] = Field(
        {"clerk": None, "head": 16.0, "executor": None},
        description="Hours of named work waiting on one person's desk (expected working time at "
        "their pace) past which new work named to them goes to the least-loaded colleague of "
        "their group who is at work and has less (an acting colleague: leaders for leaders, "
        "heads of the same department, executors of the same division; with none of them at "
        "work, of the role's staff of the body), by role; null = it "
        "waits for them. Assumption: the rules let a deputy or acting head give a resolution or "
        "sign in the head's place [docrules-2023]; the threshold, two working days of a head's "
        "work, is not published. Without it a head named by function (the deputy who curates "
        "the largest departments) can be busy all the time with a backlog that never settles.",
    )
    correspondence_share: dict[str, Annotated[float, Field(gt=0.0, le=1.0)]] = Field(
        {"clerk": 1.0, "head": 1.0, "executor": 0.8},
        description="Share of working time each role gives to correspondence beside its other "
        "duties (meetings, analysis, programmes). A step's hands-on minutes are spread over "
        "minutes / share of its taker's working time, who holds no other correspondence "
        "meanwhile; the rest is the delay component other_duties. Assumption (nothing "
        "published found): records offices do correspondence only; heads' handling times "
        "already stand for the time they give it (they are the saturated role); executors 0.8: "
        "at the derived load drafting alone takes about half of an executor's full day, which "
        "leaves little slack below (docs/model.md section 6.4).",
    )
    draft_start_days_before_term: Annotated[int, Field(ge=1, le=260)] | None = Field(
        10,
        description="Executors take a named draft up no earlier than the start of the last this "
        "many working days of the document's term (later when busy); null = as soon as it is "
        "named. The wait is the delay component deferred. Assumption: work is scheduled "
        "against the term under control (Parkinson's law, the 'student syndrome' "
        "[goldratt-1997]); ten working days, two weeks for the draft, approvals and signature, "
        "so that documents with terms of ten days or less start at once.",
    )
    resolution_levels: Literal[1, "by_kind"] = Field(
        "by_kind",
        description="Who resolves incoming mail: by_kind = the resolution cascade of the body's "
        "structure (`staff.structure`: the head of the body, the deputy who curates the "
        "subject, the department director, the division head who names executors); 1 = any "
        "head resolves it directly and names executors from the whole body (a flat body, for "
        "verification). Source: law on administrative procedures No. 107 (2000) art. 12 "
        "(management issues a resolution naming executors) [law-107] and the rules of "
        "documentation and document management (2023) [docrules-2023].",
    )
    structure: dict[BodyKind, BodyStructure] = Field(
        default_factory=_default_structures,
        description="A body's structure by kind: its leadership (the head and deputies), "
        "departments and divisions, and who refers incoming mail. Counts are assumptions "
        "(see each field).",
    )
    messenger_user_share: Share = Field(
        0.41,
        description="Share of staff who fall back to messengers when the official system is out "
        "of reach. Source: seed paper, 2022 survey (41% used open sources and messengers) "
        "[seed].",
    )

    schedules: dict[Literal["remote_share", "home_internet", "literacy", "equipment"],
                    list[ShareChange]] = Field(
        {},
        description="Dated changes of the shares above: steps and linear ramps. Written in a "
        "scenario as the share itself, e.g. `remote_share: {start: 0.3, changes: [{from: 0, "
        "until: 60, to: 0.75}]}`; who changes is drawn once per replication (none by default).",
    )

    @model_validator(mode="before")
    @classmethod
    def _split_schedules(cls, data: Any) -> Any:
        """``share: {start: ..., changes: [...]}`` -> the start value and ``schedules``."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in SCHEDULED_SHARES:
            value = data.get(key)
            if isinstance(value, dict) and "changes" in value:
                if key in (data.get("schedules") or {}):
                    raise ValueError(f"staff.{key}: a schedule both here and in "
                                     f"staff.schedules.{key}; give it once")
                # Shares by class merged in from defaults or a parent file stand for the start
                # when the schedule names none.
                rest = {k: v for k, v in value.items() if k not in ("start", "changes")}
                if rest and key == "remote_share":
                    raise ValueError(f"staff.remote_share: a schedule has start: and changes:, "
                                     f"not {sorted(rest)}")
                if "start" in value:
                    data[key] = value["start"]
                elif rest:
                    data[key] = rest
                else:
                    del data[key]  # the default is the start
                schedules = dict(data.get("schedules") or {})
                schedules[key] = value["changes"]
                data["schedules"] = schedules
        return data

    def schedule_targets(self, key: str) -> list[Any]:
        """The ``to`` values of the changes of one scheduled share."""
        return [c.to for c in self.schedules.get(key, [])]

    @model_validator(mode="after")
    def _shares_sum(self) -> StaffSpec:
        # Keys first: a misspelt key also breaks the sum, and the key is the real mistake.
        # home_internet is checked by Scenario, which knows the internet classes.
        for key, allowed in (
            ("roles", {"clerk", "head", "executor"}),
            ("assignment", {"clerk", "head", "executor"}),
            ("queue_discipline", {"clerk", "head", "executor"}),
            ("delegate_over_hours", {"clerk", "head", "executor"}),
            ("correspondence_share", {"clerk", "head", "executor"}),
            ("literacy", {"advanced", "insecure"}),
            ("equipment", {"adequate", "inadequate", "insufficient"}),
            ("structure", set(BODY_KINDS)),
        ):
            got = set(getattr(self, key))
            if got != allowed:
                raise ValueError(
                    f"staff.{key} must have exactly the keys {sorted(allowed)}, got {sorted(got)}"
                )
        _check_shares(self.roles, "staff.roles")
        _check_shares(self.literacy, "staff.literacy")
        _check_shares(self.equipment, "staff.equipment")
        if self.remote_share + self.hybrid_share > 1.0 + SHARE_TOLERANCE:
            raise ValueError(
                f"remote_share + hybrid_share must be at most 1, got "
                f"{self.remote_share:g} + {self.hybrid_share:g}"
            )
        self._check_schedules()
        return self

    def _check_schedules(self) -> None:
        for i, to in enumerate(self.schedule_targets("remote_share")):
            if not isinstance(to, float | int) or not 0.0 <= to <= 1.0:
                raise ValueError(f"staff.remote_share change {i}: to must be a share in "
                                 f"[0, 1], got {to!r}")
            if to + self.hybrid_share > 1.0 + SHARE_TOLERANCE:
                raise ValueError(f"staff.remote_share change {i}: {to:g} + hybrid_share "
                                 f"{self.hybrid_share:g} is more than 1")
        for key in ("literacy", "equipment", "home_internet"):
            for i, to in enumerate(self.schedule_targets(key)):
                where = f"staff.{key} change {i}"
                if not isinstance(to, dict):
                    raise ValueError(f"{where}: to must be shares by class, got {to!r}")
                if key != "home_internet" and set(to) != set(getattr(self, key)):
                    raise ValueError(f"{where}: to must have exactly the keys "
                                     f"{sorted(getattr(self, key))}, got {sorted(to)}")
                if any(not 0.0 <= v <= 1.0 for v in to.values()):
                    raise ValueError(f"{where}: every share must be in [0, 1]")
                _check_shares(to, where)


class AbsenceSpec(_Spec):
    """Time away: annual leave, sick days and business trips, and who stands in."""

    annual_leave_days: NonNegative = Field(
        30.0,
        description="Calendar days of paid annual leave a year. Source: [law-civil-service] "
        "art. 54 para. 1 (30 calendar days for civil servants).",
    )
    leave_blocks: Annotated[int, Field(ge=1, le=12)] = Field(
        2, description="Parts the annual leave is taken in, placed at random in the year "
        "(assumption).",
    )
    sick_days: NonNegative = Field(
        8.0,
        description="Working days off sick a year. Source: [uk-sickness-2024] (8.1 days per "
        "staff year in the UK civil service, a comparable civil service; no Kazakh figure).",
    )
    sick_spell_days: Annotated[float, Field(ge=1.0)] = Field(
        4.0, description="Mean length of a sick spell, working days, at least 1: spells are "
        "whole days (assumption)."
    )
    trip_days: NonNegative = Field(
        5.0, description="Working days a year away on business trips (assumption)."
    )
    trip_days_each: Annotated[float, Field(ge=1.0)] = Field(
        3.0, description="Working days of one business trip, at least 1: trips are whole days "
        "(assumption)."
    )
    standin_after_days: Annotated[int, Field(ge=0, le=60)] | None = Field(
        1,
        description="Working days of someone's absence after which the work named to them "
        "passes to a stand-in (an acting colleague of the same role); null = it waits for "
        "them (assumption).",
    )


class HumanFactorsSpec(_Spec):
    """Multipliers on human handling time and rework (literature: docs/sources.md section 5)."""

    insecure_literacy_time_factor: Annotated[float, Field(ge=1.0)] = Field(
        1.6, description="Handling-time factor of insecure users (assumption)."
    )
    insecure_literacy_rework_factor: Annotated[float, Field(ge=1.0)] = Field(
        3.0, description="Rework-probability factor of insecure users (assumption)."
    )
    remote_time_factor: Positive = Field(
        1.0,
        description="Handling-time factor when working from home. Literature ranges from 0.88 "
        "(+13%, Bloom et al. 2015 [bloom-2015]) to 1.22 (-18%, Atkin et al. 2023 [atkin-2023]); "
        "neutral by assumption.",
    )
    equipment_time_factor: dict[str, Positive] = Field(
        {"adequate": 1.0, "inadequate": 1.25, "insufficient": 1.5},
        description="Handling-time factor at home by equipment class (assumption).",
    )
    equipment_crash_prob: dict[str, Share] = Field(
        {"adequate": 0.0, "inadequate": 0.02, "insufficient": 0.10},
        description="Probability that a step done at home is lost to a crash and redone "
        "(assumption).",
    )
    rework_prob: Share = Field(
        0.08,
        description="Probability that an approver sends a draft by an advanced user back for "
        "rework (assumption).",
    )
    max_rework: Annotated[int, Field(ge=0, le=20)] = Field(
        3, description="Rework rounds after which a draft is accepted as is (assumption)."
    )
    messenger_reentry_share: NonNegative = Field(
        0.2,
        description="Work done through a messenger must be entered into the system once it is "
        "back in reach: this share of the work's minutes (assumption).",
    )
    outage_work_loss_prob: Share = Field(
        0.3,
        description="Probability that a step interrupted by an outage during working time loses "
        "its unsaved work and redoes it (assumption).",
    )

    @model_validator(mode="after")
    def _equipment_keys(self) -> HumanFactorsSpec:
        for key in ("equipment_time_factor", "equipment_crash_prob"):
            got = set(getattr(self, key))
            allowed = {"adequate", "inadequate", "insufficient"}
            if got != allowed:
                raise ValueError(f"human.{key} must have the keys {sorted(allowed)}")
        return self


# --------------------------------------------------------------------------- internet


class InternetClass(_Spec):
    """A kind of connection: bandwidth, latency and an on/off outage process."""

    bandwidth_mbps: Positive = Field(description="Download bandwidth in Mbit/s.")
    rtt_ms: NonNegative = Field(description="Round-trip time in milliseconds.")
    mtbf_h: OutageHours | None = Field(
        description="Mean time between connection drops in hours (exponential); null = never."
    )
    mttr_h: OutageHours = Field(0.5, description="Mean duration of a drop in hours (exponential).")
    attempt_failure_prob: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.0, description="Probability that one attempt to reach the platform times out."
    )




class AccessGatewaySpec(_Spec):
    """The state bodies' single internet access gateway: every office's way to the internet."""

    rtt_ms: NonNegative = Field(
        15.0, description="Round-trip time the gateway adds, milliseconds (assumption)."
    )
    channels: Annotated[int, Field(ge=1)] = Field(
        5000,
        description="Transfers the gateway carries at once; more wait (assumption: ample in "
        "normal operation).",
    )
    mtbf_h: OutageHours | None = Field(
        1000.0,
        description="Mean hours between national outages of the gateway; null = never "
        "(assumption).",
    )
    mttr_h: OutageHours = Field(2.0, description="Mean outage duration, hours (assumption).")


def _default_internet_classes() -> dict[str, InternetClass]:
    # Speeds: [speedtest] and [rural-internet] in docs/sources.md; drop rates and failure
    # probabilities: assumptions.
    return {
        "office_lan": InternetClass(bandwidth_mbps=100, rtt_ms=5, mtbf_h=2000, mttr_h=2),
        "urban_fibre": InternetClass(bandwidth_mbps=75, rtt_ms=20, mtbf_h=400, mttr_h=2),
        "urban_mobile": InternetClass(
            bandwidth_mbps=30, rtt_ms=50, mtbf_h=120, mttr_h=0.5, attempt_failure_prob=0.02
        ),
        "rural": InternetClass(
            bandwidth_mbps=5, rtt_ms=100, mtbf_h=24, mttr_h=1.5, attempt_failure_prob=0.1
        ),
        "poor_rural": InternetClass(
            bandwidth_mbps=0.5, rtt_ms=300, mtbf_h=6, mttr_h=3, attempt_failure_prob=0.6
        ),
        # A body's own internet link, shared by its office (assumptions): ministries in the
        # capital on good lines, district akimats on the weakest.
        "capital_office_link": InternetClass(bandwidth_mbps=100, rtt_ms=10, mtbf_h=700,
                                             mttr_h=2),
        "regional_office_link": InternetClass(bandwidth_mbps=50, rtt_ms=25, mtbf_h=300,
                                              mttr_h=3, attempt_failure_prob=0.01),
        "district_office_link": InternetClass(bandwidth_mbps=20, rtt_ms=40, mtbf_h=120,
                                              mttr_h=4, attempt_failure_prob=0.03),
    }


def _default_office_links() -> dict[str, str]:
    return {"central_ministry": "capital_office_link", "committee": "capital_office_link",
            "territorial_division": "regional_office_link",
            "local_executive": "regional_office_link", "district_akimat": "district_office_link"}


def _default_government_wan() -> InternetClass:
    # A body's channel into the government's closed network (assumptions: no figure found).
    return InternetClass(bandwidth_mbps=50, rtt_ms=30, mtbf_h=500, mttr_h=3,
                         attempt_failure_prob=0.005)


class InternetSpec(_Spec):
    """Connection classes; `office_class` is the office LAN, the others serve homes."""

    classes: dict[str, InternetClass] = Field(
        default_factory=_default_internet_classes,
        description="Connection classes. Bandwidths [speedtest], [rural-internet] (fixed 70-95 "
        "Mbps, mobile 23-38, "
        "rural 2-10, poor rural 0.34 measured); outage rates and failure probabilities: "
        "assumptions (poor rural: 24 of 60 attempts succeeded in a ministerial test).",
    )
    office_class: str = Field(
        "office_lan", description="Class used on site (assumption: a good, rarely failing LAN)."
    )
    office_links: dict[str, str] = Field(
        default_factory=_default_office_links,
        description="Internet link class of a body's office, by body kind: on the path from the "
        "office to a system on the public internet (the cloud), not to the agency's own system "
        "(assumption: capital bodies on the best links, district akimats on the weakest).",
    )
    access_gateway: AccessGatewaySpec = Field(default_factory=AccessGatewaySpec)
    government_wan: InternetClass = Field(
        default_factory=_default_government_wan,
        description="A body's channel into the government's closed transport network (the "
        "unified transport environment of state bodies), on the office path of a system kept "
        "outside the body's own building (`platform.*.office_paths`): a territorial division's "
        "ministry ESED, an akimat's regional ESED. The network is separate from the internet "
        "[order-386]; its numbers (50 Mbit/s, 30 ms, a drop every 500 h for 3 h, 0.5% failed "
        "attempts) are assumptions; a region's internet incidents do not reach it.",
    )
    connect_timeout_s: Positive = Field(
        25.0,
        description="Seconds lost per failed attempt. Source: integration logs, connect "
        "timeouts after 21-29 s [esedo].",
    )


# --------------------------------------------------------------------------- platforms

ApprovalsMode = Literal["parallel", "sequential"]
#: Segments an office's traffic to its system may cross, in this order.
PathSegment = Literal["lan", "wan", "body_link", "access_gateway"]
PATH_SEGMENTS: tuple[str, ...] = get_args(PathSegment)
#: The survey's preference groups (cloud vs per-agency system), in the order they are drawn.
UiGroup = Literal["advocates", "detractors", "undecided"]
UI_GROUPS: tuple[str, ...] = get_args(UiGroup)


def _check_paths(paths: dict[str, list[str]], where: str) -> None:
    """Every body kind has a path that starts at the LAN and crosses a segment at most once."""
    if set(paths) != set(BODY_KINDS):
        raise ValueError(f"{where} must have exactly the keys {list(BODY_KINDS)}, got "
                         f"{sorted(paths)}")
    for kind, path in paths.items():
        if not path or path[0] != "lan" or len(set(path)) != len(path):
            raise ValueError(f"{where}.{kind}: {path} is not allowed: a path starts with lan "
                             f"and names each of {list(PATH_SEGMENTS)} at most once")


class OsdoSpec(_Spec):
    """The central cloud (OSDO, 'Documentolog')."""

    servers: Annotated[int, Field(ge=1)] = Field(
        64, description="Application servers of the national pool (assumption)."
    )
    service_time_ms: Positive = Field(
        150.0, description="Mean server time per interaction, exponential (assumption)."
    )
    mtbf_h: OutageHours | None = Field(
        300.0,
        description="Mean hours between outages of the whole cloud (assumption; a central "
        "e-gov system failed under load in 2020 [egov-2020]). null = never.",
    )
    mttr_h: OutageHours = Field(3.0, description="Mean outage duration, hours (assumption).")
    approvals: ApprovalsMode = Field(
        "parallel",
        description="How a draft's approvers work: parallel (all at once on one shared draft; "
        "the cloud offers 'the potential to work together on one draft document' [seed]) or "
        "sequential (one after another).",
    )
    register_on_delivery: bool = Field(
        True,
        description="Whether the receiving body's records office registers a document another "
        "body sent it inside the cloud store, as it registers mail from any other channel: "
        "under the rules of documentation and document management the receiving "
        "organisation's documentation service registers incoming documents [docrules-2023] (the "
        "paragraph was not re-read; docs/sources.md), and the inter-agency exchange reports "
        "'registered by the recipient' as a step of its own [esedo]; false = the store's "
        "delivery is the registration.",
    )
    office_paths: dict[BodyKind, list[PathSegment]] = Field(
        default_factory=lambda: {kind: ["lan", "body_link", "access_gateway"]
                                 for kind in BODY_KINDS},
        description="Segments the cloud's traffic crosses from an office, by body kind: lan, "
        "wan (the government network), body_link (the body's internet link, "
        "`internet.office_links`), access_gateway (the state bodies' single internet access "
        "gateway, `internet.access_gateway`). A service on the public internet is reached "
        "through the body's link and the gateway, which state bodies must use for the internet "
        "[order-386].",
    )
    ui_preference_shares: dict[UiGroup, Share] = Field(
        {"advocates": 0.35, "detractors": 0.30, "undecided": 0.35},
        description="Shares of staff who find the cloud more convenient (advocates), prefer "
        "ESED for its internet access and an interface that makes documents hard to find and "
        "save (detractors), or cannot say (undecided). Source: seed paper, 2020 survey "
        "(35/30/35) [seed]. Each employee's group is drawn once, the same on every system.",
    )
    ui_time_factors: dict[UiGroup, Annotated[float, Field(ge=0.5, le=3.0)]] = Field(
        {"advocates": 0.9, "detractors": 1.3, "undecided": 1.0},
        description="Factor on the UI share of handling (`documents.steps.*.ui_share`) on the "
        "cloud, relative to ESED's UI (1.0), by preference group of a user with advanced "
        "literacy. Assumptions: detractors lose 30% on finding and saving, advocates gain 10%, "
        "the undecided see no difference (65% found both fast given good internet and "
        "training [seed]); 0.5-3.0.",
    )
    ui_insecure_gap_factor: Annotated[float, Field(ge=1.0, le=3.0)] = Field(
        1.5,
        description="How much more an insecure user feels the UI difference: their factor is "
        "1 + this x (the group's factor - 1) (assumption: the survey ties the systems' speed to "
        "training [seed]; 1 = literacy does not change the UI difference).",
    )

    @model_validator(mode="after")
    def _ui_groups(self) -> OsdoSpec:
        for key in ("ui_preference_shares", "ui_time_factors"):
            got = set(getattr(self, key))
            if got != set(UI_GROUPS):
                raise ValueError(f"platform.osdo.{key} must have exactly the keys "
                                 f"{list(UI_GROUPS)}, got {sorted(got)}")
        _check_shares(self.ui_preference_shares, "platform.osdo.ui_preference_shares")
        _check_paths(self.office_paths, "platform.osdo.office_paths")
        return self


class EsedSpec(_Spec):
    """A separate electronic document system per agency, reached remotely through a VPN."""

    servers_per_body: Annotated[int, Field(ge=1)] = Field(
        2, description="Application servers of each body's system (assumption)."
    )
    service_time_ms: Positive = Field(
        200.0, description="Mean server time per interaction, exponential (assumption)."
    )
    mtbf_h: OutageHours | None = Field(
        200.0, description="Mean hours between outages of one body's system (assumption)."
    )
    mttr_h: OutageHours = Field(4.0, description="Mean outage duration, hours (assumption).")
    vpn_sessions_per_remote_employee: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.5,
        description="Concurrent VPN sessions a body licenses per remote or hybrid employee "
        "(assumption); at least one session per body.",
    )
    vpn_rtt_ms: NonNegative = Field(
        60.0, description="Extra round-trip time through the government network (assumption)."
    )
    vpn_bandwidth_factor: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.7, description="Share of home bandwidth left inside the VPN tunnel (assumption)."
    )
    approvals: ApprovalsMode = Field(
        "sequential",
        description="How a draft's approvers work: sequential (the draft goes from one approver "
        "to the next, each seeing the others' remarks) or parallel. Assumption: no description "
        "of the per-agency systems' approval routes was found.",
    )
    office_paths: dict[BodyKind, list[PathSegment]] = Field(
        default_factory=lambda: {
            "central_ministry": ["lan"], "committee": ["lan"],
            "territorial_division": ["lan", "wan"], "local_executive": ["lan", "wan"],
            "district_akimat": ["lan", "wan"]},
        description="Segments a body's ESED traffic crosses from its office, by body kind (the "
        "segments of `platform.osdo.office_paths`). Assumption: a central ministry or committee "
        "keeps its system in its own building (the LAN only); a territorial division works in "
        "its ministry's system and an akimat's department or district akimat in the regional "
        "akimat's, over the government network (wan).",
    )

    @model_validator(mode="after")
    def _paths(self) -> EsedSpec:
        _check_paths(self.office_paths, "platform.esed.office_paths")
        return self


class GatewaySpec(_Spec):
    """The inter-agency gateway (ESEDO): asynchronous send, polling, failures and resends."""

    poll_interval_min: Positive = Field(
        30.0,
        description="Minutes between the receiving system's polls of the gateway. Source: "
        "Russian analogue, inbox checked at least every 30 minutes [ru-inbox].",
    )
    transit_s: NonNegative = Field(
        20.0, description="Seconds to pass a message through the gateway (assumption)."
    )
    failure_prob: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.05, description="Probability a transmission fails and is resent (assumption)."
    )
    resend_after_min: Positive = Field(
        60.0, description="Minutes before a failed transmission is resent (assumption)."
    )
    cross_platform_delay_min: NonNegative = Field(
        30.0,
        description="Extra minutes for exchange between OSDO and ESED through the operator's "
        "paid gateway (assumption; the 2025 competition case [competition-2025]).",
    )
    osdo_internal_delivery_s: NonNegative = Field(
        5.0, description="Seconds to deliver inside the cloud store (assumption)."
    )
    secret_courier_h: NonNegative = Field(
        24.0,
        description="Hours for a secret document to reach another body on paper by special "
        "courier, never through a platform or the gateway (assumption).",
    )


class PlatformSpec(_Spec):
    """Both architectures' parameters."""

    osdo: OsdoSpec = Field(default_factory=OsdoSpec)
    esed: EsedSpec = Field(default_factory=EsedSpec)
    gateway: GatewaySpec = Field(default_factory=GatewaySpec)


# --------------------------------------------------------------------------- steps


class StepSpec(_Spec):
    """One step of the document route."""

    role: Literal["clerk", "head", "executor"] = Field(
        description="Who does the step: records office, head or executor. Source: law on "
        "administrative procedures No. 107 (2000) art. 12 [law-107]."
    )
    handling_mean_min: Positive = Field(
        description="Mean human handling time, working minutes (assumption; nothing published "
        "was found)."
    )
    handling_cv: NonNegative = Field(
        0.8, description="Coefficient of variation (lognormal); ignored for exponential."
    )
    distribution: Literal["lognormal", "exponential", "deterministic"] = Field(
        "lognormal",
        description="Handling-time distribution (assumption: skewed, as task times usually are).",
    )
    interactions: Annotated[int, Field(ge=0)] = Field(
        2, description="Platform interactions (open, save, ...) the step needs."
    )
    round_trips: Annotated[int, Field(ge=1)] = Field(
        4, description="Network round trips per interaction (assumption)."
    )
    payload_mb: NonNegative = Field(
        0.5, description="Megabytes transferred per interaction (assumption)."
    )
    messenger_allowed: bool = Field(
        False,
        description="Whether the step is preparatory work that may move to a messenger while "
        "the system is out of reach (drafting); registration, resolution, approval, the "
        "digital signature and dispatch exist only inside the system (assumption).",
    )
    ui_bound: bool = Field(
        True,
        description="Whether the step's work happens inside the system, so that an outage of "
        "the system or of the way to it stops it (assumption: every step but drafting, which "
        "happens in an editor).",
    )
    ui_share: Share = Field(
        1.0,
        description="Share of the step's handling that is work in the system's UI (finding, "
        "opening, saving, filing), on which the cloud's UI factor acts "
        "(`platform.osdo.ui_time_factors`). Assumption: 1 for the records office's and heads' "
        "steps, 0.2 for drafting (finding material and saving and filing the draft; the "
        "writing happens in an editor).",
    )


def _default_steps() -> dict[str, StepSpec]:
    # Handling times: assumptions (nothing published was found); skewed, lognormal.
    return {
        "register": StepSpec(role="clerk", handling_mean_min=8, interactions=3, payload_mb=1.0),
        "referral": StepSpec(role="head", handling_mean_min=5, interactions=2),
        "resolution": StepSpec(role="head", handling_mean_min=10, interactions=2),
        "execution": StepSpec(
            role="executor", handling_mean_min=120, handling_cv=1.0, interactions=4,
            payload_mb=2.0, ui_bound=False, ui_share=0.2, messenger_allowed=True,
        ),
        "approval": StepSpec(role="head", handling_mean_min=15, interactions=2, payload_mb=1.0),
        "signature": StepSpec(role="head", handling_mean_min=5, interactions=3, payload_mb=1.0),
        "dispatch": StepSpec(role="clerk", handling_mean_min=6, interactions=2, payload_mb=1.0),
    }


STEP_NAMES = ("register", "referral", "resolution", "execution", "approval", "signature",
              "dispatch")


# --------------------------------------------------------------------------- documents


class DocumentType(_Spec):
    """A kind of document: how many arrive, its deadline, route and where it goes when done."""

    share: Share = Field(description="Share of a body's external arrivals.")
    deadline_working_days: Annotated[int, Field(ge=1, le=260)] = Field(
        description="Working days from creation to the deadline."
    )
    extended_deadline_working_days: Annotated[int, Field(ge=1, le=260)] | None = Field(
        None,
        description="Term in working days from creation to which the head extends the deadline "
        "when the draft is late (documents.extension_notice_working_days); null = never "
        "extended.",
    )
    secret_share: Share = Field(0.0, description="Share marked secret: on site only.")
    official_use_share: Share = Field(0.0, description="Share marked 'for official use'.")
    paper_share: Share = Field(
        0.0, description="Share with paper originals that must be handled on site."
    )
    executors_max: Annotated[int, Field(ge=0, le=10)] = Field(
        2, description="Executors drafting in parallel: uniform 1..max; 0 = no execution."
    )
    approvals: Annotated[int, Field(ge=0, le=10)] = Field(
        2, description="Heads approving the draft before signature: with by_kind resolution, "
        "the line above the executor (the division head, then the department director) up to "
        "this many, besides the heads of co-executing divisions and the legal service; with "
        "one level, any heads (assumption)."
    )
    sign: bool = Field(
        True, description="Whether a head signs with a digital signature. With by_kind "
        "resolution a document that leaves the body in its name is signed by its leadership "
        "(the head of the body if they referred it, else the curating deputy), one that stays "
        "by the department director, or the division head (an assumption). Source: documents "
        "issued in an organisation's name are signed by its head or an authorised deputy, "
        "rules of documentation and document management (2023) [docrules-2023].")
    dispatch: Literal["none", "external", "other_body", "reply"] = Field(
        "none",
        description="On completion: filed (none), sent outside the model (external), sent to "
        "another modelled body (other_body), or answered to the sending body when there is one "
        "(reply; otherwise external).",
    )
    reply_prob: Share = Field(
        1.0, description="For dispatch=reply/other_body: probability a letter is sent at all."
    )
    arrives_as: str | None = Field(
        None, description="Type the receiving body registers a sent document as."
    )
    referral: bool = Field(
        False,
        description="Whether the body's leadership first refers a document of this type to a "
        "department (incoming mail); internal documents start in a department (assumption).",
    )
    legal_review: bool = Field(
        False,
        description="Whether the body's legal service approves the draft (by_kind resolution "
        "only). Which types need it is an assumption (none by default); orders have it, per "
        "the rules of documentation [docrules-2023] as their value's row says.",
    )


def _default_document_types() -> dict[str, DocumentType]:
    return {
        # 15 working days, extendable to two months in all (~42 working days) [appc-2020].
        "citizen_appeal": DocumentType(
            share=0.15, deadline_working_days=15, extended_deadline_working_days=42,
            official_use_share=0.1, executors_max=1, approvals=1, dispatch="external",
            referral=True,
        ),
        "incoming_letter": DocumentType(
            share=0.40, deadline_working_days=22, official_use_share=0.2, secret_share=0.03,
            paper_share=0.02, dispatch="reply", reply_prob=0.6, arrives_as="reply_letter",
            referral=True,
        ),
        "internal_order": DocumentType(
            share=0.20, deadline_working_days=10, official_use_share=0.2, secret_share=0.02,
            approvals=2, dispatch="none", legal_review=True,
        ),
        # Instructions under control carry their own short terms, at least two working days
        # [gov-regulation-2022]; five is an assumption.
        "instruction_from_above": DocumentType(
            share=0.12, deadline_working_days=5, official_use_share=0.3, secret_share=0.05,
            paper_share=0.02, dispatch="external", referral=True,
        ),
        "outgoing_initiative": DocumentType(
            share=0.13, deadline_working_days=22, official_use_share=0.1, approvals=3,
            dispatch="other_body", arrives_as="incoming_letter",
        ),
        "reply_letter": DocumentType(
            share=0.0, deadline_working_days=10, executors_max=0, approvals=0, sign=False,
            dispatch="none",
        ),
    }


class DocumentsSpec(_Spec):
    """Document types and the route's steps."""

    types: dict[str, DocumentType] = Field(
        default_factory=_default_document_types,
        description="Document types by name. Deadlines: citizen appeals 15 working days, "
        "extendable by the head to two months in all, ~42 working days (Administrative "
        "Procedural Code 2020, art. 76 [appc-2020]); instructions from above 5 working days "
        "(the Government's rules set the term in each instruction, at least two working days "
        "[gov-regulation-2022]; five is an assumption); letters and initiative documents one "
        "month, ~22 working days, internal orders 10 (no Kazakh rule found: Russian analogue "
        "[ru-deadlines]); shares and routes: assumptions.",
    )
    extension_notice_working_days: Annotated[int, Field(ge=0, le=260)] = Field(
        3,
        description="A document whose type has extended_deadline_working_days has its term "
        "extended by the head when its draft is not done by the start of the last this many "
        "working days of the term (0: at the term itself). Assumption: three, the working days "
        "within which the applicant must be told of an extension [appc-2020].",
    )
    steps: dict[str, StepSpec] = Field(
        default_factory=_default_steps,
        description="The route's steps; handling times and interactions are assumptions.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> DocumentsSpec:
        _check_shares({k: t.share for k, t in self.types.items()}, "documents.types")
        for name, t in self.types.items():
            if t.secret_share + t.official_use_share > 1.0 + SHARE_TOLERANCE:
                raise ValueError(
                    f"documents.types.{name}: secret_share + official_use_share must be <= 1"
                )
            if t.dispatch in ("reply", "other_body"):
                if t.arrives_as is None:
                    raise ValueError(
                        f"documents.types.{name}.arrives_as is required for dispatch "
                        f"{t.dispatch!r}; allowed: {sorted(self.types)}"
                    )
            extended = t.extended_deadline_working_days
            if extended is not None and extended <= t.deadline_working_days:
                raise ValueError(
                    f"documents.types.{name}.extended_deadline_working_days ({extended}) must "
                    f"be more than deadline_working_days ({t.deadline_working_days})"
                )
            if t.arrives_as is not None and t.arrives_as not in self.types:
                raise ValueError(
                    f"documents.types.{name}.arrives_as: {t.arrives_as!r} is not a document "
                    f"type; allowed: {sorted(self.types)}"
                )
        if set(self.steps) != set(STEP_NAMES):
            missing = sorted(set(STEP_NAMES) - set(self.steps))
            extra = sorted(set(self.steps) - set(STEP_NAMES))
            raise ValueError(
                f"documents.steps must define exactly {list(STEP_NAMES)}; "
                f"missing {missing}, unknown {extra}"
            )
        return self


class WorkloadSpec(_Spec):
    """External document arrivals."""

    documents_per_employee_per_day: Annotated[float, Field(ge=0.0, le=100.0)] = Field(
        0.63,
        description="External arrivals per employee per working day. Derived: 1.9 million "
        "citizen appeals a year (2020 [appeals-2020]) / 0.15 appeal share of all correspondence "
        "(assumption) / 250 working days / 80,000 staff = 0.63. At most 100 (a sanity bound).",
    )
    arrivals: Literal["poisson", "deterministic"] = Field(
        "poisson",
        description="Poisson arrivals over working time (assumption: independent senders), or "
        "evenly spaced (for exact tests).",
    )


# --------------------------------------------------------------------------- bodies


class BodyGroup(_Spec):
    """A group of alike bodies (one entry may stand for hundreds of territorial divisions)."""

    name: str
    kind: BodyKind = Field(description="Kind of body, for reporting by kind.")
    count: Annotated[int, Field(ge=1, le=10_000)] = Field(
        1, description="Number of alike bodies in the group."
    )
    staff: Annotated[int, Field(ge=3, le=100_000)] = Field(
        description="Staff per body (at least one clerk, head and executor)."
    )
    platform: SystemName = Field(
        "osdo", description="The body's system when the run's architecture is 'mixed'."
    )
    home_internet: dict[str, Share] | None = Field(
        None, description="Overrides staff.home_internet for this group (e.g. rural districts); "
        "the group's shares do not follow staff.home_internet's schedule."
    )
    region: str | None = Field(
        None, description="Region the group's bodies are in, for incidents of a region's "
        "internet (none: the group's name)."
    )

    @property
    def region_name(self) -> str:
        """The region of the group's bodies: ``region``, else the group's name."""
        return self.region or self.name

    def body_names(self) -> list[str]:
        """The name of each body of the group: the group's name, numbered when there are more."""
        if self.count == 1:
            return [self.name]
        return [f"{self.name} #{k + 1}" for k in range(self.count)]


def _default_bodies() -> list[BodyGroup]:
    # The seed paper's four bodies; staff numbers are assumptions.
    return [
        BodyGroup(name="Ministry of Information and Public Development", kind="central_ministry",
                  staff=300),
        BodyGroup(name="Astana Department of Internal Policy", kind="local_executive", staff=60),
        BodyGroup(name="Astana Department of Religious Affairs", kind="local_executive",
                  staff=40, platform="esed"),
        BodyGroup(name="Esil District Akim's Office", kind="district_akimat", staff=80,
                  platform="esed"),
    ]


class OutputSpec(_Spec):
    """What a run keeps."""

    documents: bool = Field(True, description="Write documents.csv (one row per document).")
    timeseries_interval_min: Annotated[float, Field(ge=1.0)] = Field(
        60.0, description="Minutes between rows of timeseries.csv (at least 1)."
    )
    plots: bool = Field(True, description="Write PNG plots into the run folder.")
    unstable_growth_share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.1,
        description="A run is marked unstable when its open documents surely grow (the 95% "
        "interval of their trend after the warm-up lies above this share of the daily arrival "
        "or completion rate; assumption: 10% separates a warming-up backlog from an unbounded "
        "one).",
    )
    trend_batches: Annotated[int, Field(ge=3, le=100)] = Field(
        10,
        description="Batches of the post-warm-up open documents whose means the trend test "
        "fits a line through (assumption: ten batches of a 40-day window are four days each, "
        "longer than the backlog's memory of a day's load).",
    )
    incident_band_days: Annotated[int, Field(ge=1, le=250)] = Field(
        10,
        description="Working days before an incident whose range of open documents (at 10:00) "
        "the backlog must be back in for incident_recovery_days (assumption: two working "
        "weeks show a body's usual level).",
    )
    incident_excess_share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.05,
        description="The backlog an incident added is gone (incident_excess_days) when the "
        "open documents are within this share of the same replication run without it "
        "(assumption: 5% is within a week's usual swing).",
    )
    unstable_min_window_days: Annotated[int, Field(ge=2)] = Field(
        10,
        description="Working days after the warm-up needed to judge stability; shorter runs "
        "are never marked unstable (assumption: a shorter window mostly shows the start-up).",
    )


# --------------------------------------------------------------------------- scenario


class StartSpec(_Spec):
    """How a run begins: with an empty office, or with the open documents of a working one."""

    office: Literal["empty", "working"] = Field(
        "empty",
        description="empty: no open documents at minute 0 (the queues take about 35-45 working "
        "days to fill at the default load); working: the open documents of a steady-state "
        "snapshot of the same scenario, each at its step of the route (docs/model.md, 4.1).",
    )
    snapshot_days: Annotated[int, Field(ge=1, le=2600)] = Field(
        80,
        description="Working days the snapshot runs from empty before its open documents are "
        "taken (assumption: past the default's start-up transient, about 35-45 working days "
        "by MSER-5, 28-67 single, over three 200-day runs, docs/model.md 4.1).",
    )
    snapshot_set: dict[str, Any] = Field(
        {},
        description="Dotted overrides, as with --set, under which the snapshot is taken instead "
        "of the scenario's own values: the run starts from the office as it stands under them "
        "and moves from there. E.g. {staff.remote_share: 0.1} starts a remote-work scenario "
        "from the office of today's share; a sweep or options study with `office_from: base` "
        "sets it so that every point starts from its base's office. Empty: the scenario's own "
        "office. The bodies and document types cannot change (the documents are theirs).",
    )
    transient_reason: str | None = Field(
        None,
        description="Why this scenario reads its KPIs while its backlog is not in a steady "
        "state, on purpose (a policy that moves it, a snapshot too costly to take); the CLI "
        "and the report then say so with this reason instead of warning about the warm-up. "
        "None: it should not.",
    )


class Scenario(_Spec):
    """A complete, validated scenario: every model number with its default."""

    name: str = Field(description="Short name used in output folders and reports.")
    description: str = ""
    extends: str | None = Field(
        None, description="Parent scenario, relative to this file; resolved at load time."
    )
    seed: Annotated[int, Field(ge=0, lt=2**63)] = Field(
        DEFAULT_SEED, description="Root seed of the run; every random stream derives from it."
    )
    horizon_days: Annotated[int, Field(ge=1, le=2600)] = Field(
        40, description="Simulated working days."
    )
    warmup_days: Annotated[int, Field(ge=0)] = Field(
        5, description="Working days whose documents are left out of the KPIs."
    )
    replications: Annotated[int, Field(ge=1, le=10_000)] = Field(
        5, description="Independent replications per architecture (common random numbers)."
    )
    platforms: list[ArchitectureName] = Field(
        ["osdo", "esed"],
        description="Architectures to run: every body on OSDO, every body on ESED, or each "
        "body on its own `platform` (mixed).",
    )
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    staff: StaffSpec = Field(default_factory=StaffSpec)
    absence: AbsenceSpec = Field(default_factory=AbsenceSpec)
    human: HumanFactorsSpec = Field(default_factory=HumanFactorsSpec)
    internet: InternetSpec = Field(default_factory=InternetSpec)
    platform: PlatformSpec = Field(default_factory=PlatformSpec)
    documents: DocumentsSpec = Field(default_factory=DocumentsSpec)
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)
    bodies: list[BodyGroup] = Field(
        default_factory=_default_bodies,
        description="Body groups. Default: the seed paper's four bodies [seed] (staff: "
        "assumptions).",
    )
    output: OutputSpec = Field(default_factory=OutputSpec)
    start: StartSpec = Field(default_factory=StartSpec)
    migration: list[MigrationWave] = Field(
        [],
        description="Waves of bodies moving from ESED to OSDO during the run, under the mixed "
        "architecture (bodies start on their own `platform`). None by default.",
    )
    incidents: list[Incident] = Field(
        [], description="Dated outages of a system, the access gateway or a region's internet, "
        "on top of the random ones. None by default.",
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be less than horizon_days "
                f"({self.horizon_days})"
            )
        if not self.platforms:
            raise ValueError("platforms must list at least one of osdo, esed, mixed")
        if len(set(self.platforms)) != len(self.platforms):
            raise ValueError(f"platforms has duplicates: {self.platforms}")
        classes = set(self.internet.classes)
        links = self.internet.office_links
        if set(links) != set(BODY_KINDS):
            raise ValueError(f"internet.office_links must have exactly the keys "
                             f"{list(BODY_KINDS)}, got {sorted(links)}")
        unknown_links = sorted(set(links.values()) - classes)
        if unknown_links:
            raise ValueError(f"internet.office_links: unknown internet class {unknown_links}; "
                             f"allowed: {sorted(classes)}")
        if self.internet.office_class not in classes:
            raise ValueError(
                f"internet.office_class {self.internet.office_class!r} is not a class; "
                f"allowed: {sorted(classes)}"
            )
        homes = [("staff.home_internet", self.staff.home_internet)] + [
            (f"bodies.{i}.home_internet", b.home_internet)
            for i, b in enumerate(self.bodies) if b.home_internet is not None
        ]
        for where, shares in homes:
            unknown = sorted(set(shares) - classes)
            if unknown:
                raise ValueError(
                    f"{where}: unknown internet class {unknown}; allowed: {sorted(classes)}"
                )
            _check_shares(shares, where)
        for i, to in enumerate(self.staff.schedule_targets("home_internet")):
            unknown = sorted(set(to) - classes)
            if unknown:
                raise ValueError(f"staff.home_internet change {i}: unknown internet class "
                                 f"{unknown}; allowed: {sorted(classes)}")
        if not self.bodies:
            raise ValueError("bodies must list at least one body group")
        self._check_policy()
        total = sum(b.count * b.staff for b in self.bodies)
        if total > MAX_TOTAL_STAFF:
            raise ValueError(
                f"bodies hold {total:,} staff in all; at most {MAX_TOTAL_STAFF:,} are allowed"
            )
        return self

    def _check_policy(self) -> None:
        """Waves and incidents name bodies and regions that exist, on days after the start."""
        names = {n for b in self.bodies for n in (b.name, *b.body_names())}
        regions = {b.region_name for b in self.bodies}
        start = self.calendar.start_date
        days = [(f"migration.{i}", w.day) for i, w in enumerate(self.migration)]
        days += [(f"incidents.{i}", x.day) for i, x in enumerate(self.incidents)]
        days += [(f"staff.{key} change {i}", c.first)
                 for key, changes in self.staff.schedules.items()
                 for i, c in enumerate(changes)]
        for where, day in days:
            if isinstance(day, str) and day < start:
                raise ValueError(f"{where}: {day} is before the start ({start})")
        for i, wave in enumerate(self.migration):
            unknown = sorted(set(wave.bodies) - names)
            if unknown:
                raise ValueError(f"migration.{i}.bodies: unknown body {unknown}; allowed: "
                                 f"{sorted(names)}")
        for i, incident in enumerate(self.incidents):
            if incident.body is not None and incident.body not in names:
                raise ValueError(f"incidents.{i}.body: unknown body {incident.body!r}; "
                                 f"allowed: {sorted(names)}")
            if incident.region is not None and incident.region not in regions:
                raise ValueError(f"incidents.{i}.region: unknown region {incident.region!r}; "
                                 f"allowed: {sorted(regions)}")

    def run_seed(self, seed: int | None = None) -> int:
        """The root seed of a run: ``seed`` when one is given, else the scenario's own."""
        return self.seed if seed is None else seed

    @property
    def total_staff(self) -> int:
        """Staff over all bodies."""
        return sum(b.count * b.staff for b in self.bodies)


