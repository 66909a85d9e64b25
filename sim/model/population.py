"""Bodies and their employees, sampled once per replication from the scenario.

The sample depends only on the scenario, the root seed and the replication -- never on the
architecture -- so OSDO and ESED runs of one replication staff the same people (common random
numbers). Each body draws from its own stream, so adding a body leaves the others unchanged.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from sim.config.schema import UI_GROUPS, Scenario
from sim.model.network import Connection
from sim.model.streams import Purpose, Streams

__all__ = ["Employee", "Body", "sample_population", "leadership_count", "ROLES", "class_of",
           "work_modes", "home_order", "office_weekdays", "set_pace", "ui_groups"]

ROLES = ("clerk", "head", "executor")
_LATEST = 1 << 62  # sorts after any day in (day, end) pairs
_YEAR = 365
#: Calendar days before the run from which spells away are drawn (longer than a leave block).
_LEAD = 60
_WEEK_RATIO = 7 / 5  # calendar days per working day, for spells counted in working days
_WEEKDAYS = 5  # office days are spread over Monday..Friday


@dataclass(slots=True, eq=False)
class Employee:
    """One civil servant and what shapes how fast they can work."""

    id: int
    body: int
    role: str
    cleared: bool  # holds on-site-only duties (secrets, mobilization, paper): not remote-eligible
    insecure_literacy: bool
    equipment: str
    home_internet: str
    mode: str
    office_weekdays: frozenset[int]
    messenger_user: bool
    #: Expected handling-time factor of this person's work (literacy, and equipment on the
    #: days at home): what an assigner who knows their staff expects of them.
    pace: float = 1.0
    #: Spells away (leave, sickness, trips): sorted, disjoint (first day, day after) pairs of
    #: calendar days.
    absences: tuple[tuple[int, int], ...] = ()
    #: First days of the spells known in advance (leave, trips): work is handed over before.
    planned_from: frozenset[int] = frozenset()
    # Filled by the model: the home connection, made on first use.
    connection: Connection | None = None
    #: Home connections replaced so far (a scheduled change of internet class): keys the next.
    connection_epoch: int = 0
    #: The draws behind the scheduled shares, kept so a share can change during the run and
    #: move the same people each time (common random numbers): the place in the order staff
    #: are sent home, and the uniforms behind literacy, equipment and the internet class.
    remote_rank: int = 0
    u_literacy: float = 0.0
    u_equipment: float = 0.0
    u_internet: float = 0.0
    #: The survey's preference group (index into ``schema.UI_GROUPS``): how the cloud's UI
    #: suits this person. Drawn whatever the architecture, so the same person has the same group
    #: in the OSDO and ESED runs.
    ui_group: int = 0

    def on_site(self, day: int) -> bool:
        """Whether the employee works in the office on calendar day ``day``."""
        return day % 7 in self.office_weekdays

    def absent(self, day: int) -> bool:
        """Whether the employee is away (leave, sick, on a trip) on calendar day ``day``."""
        spells = self.absences
        if not spells or day < spells[0][0]:
            return False
        i = bisect_right(spells, (day, _LATEST)) - 1
        return i >= 0 and spells[i][0] <= day < spells[i][1]

    def standin_after(self, first_day: int, standin_days: int | None) -> int | None:
        """Working days into a spell after which a stand-in takes this person's work.

        Named or in progress: at once before leave or a trip (known in advance, the spell from
        ``first_day``), ``standin_days`` into sickness; None: nobody stands in, it waits.
        """
        if standin_days is None:
            return None
        return 0 if first_day in self.planned_from else standin_days

    def absence_at(self, day: int) -> tuple[int, int] | None:
        """The spell away that holds calendar day ``day``, if any."""
        spells = self.absences
        if spells and day >= spells[0][0]:
            i = bisect_right(spells, (day, _LATEST)) - 1
            if i >= 0 and spells[i][0] <= day < spells[i][1]:
                return spells[i]
        return None


@dataclass(slots=True, eq=False)
class Body:
    """A state body: its kind, its system under a mixed architecture, and its staff by role."""

    id: int
    name: str
    kind: str
    group: str
    own_platform: str
    staff: dict[str, list[Employee]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of employees."""
        return sum(len(v) for v in self.staff.values())


def _role_counts(n: int, shares: dict[str, float]) -> list[int]:
    """Whole role counts for ``n`` staff: at least one per role, largest remainders."""
    raw = [shares[r] * n for r in ROLES]
    counts = [max(1, int(x)) for x in raw]
    order = sorted(range(len(ROLES)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(counts) < n:
        counts[order[i % len(ROLES)]] += 1
        i += 1
    while sum(counts) > n:
        j = max(range(len(ROLES)), key=lambda k: counts[k])
        counts[j] -= 1
    return counts


def _office_days(mode: str, days: int, employee_id: int) -> frozenset[int]:
    """Office weekdays, spread by employee id so that every weekday is covered."""
    if mode == "office":
        # Every weekday, not just Monday..Friday: office staff are on site whenever the calendar
        # says they work (a 7-day calendar would otherwise send them home at weekends).
        return frozenset(range(7))
    return frozenset((employee_id + k) % _WEEKDAYS for k in range(min(days, _WEEKDAYS)))


def leadership_count(scenario: Scenario, heads: int, kind: str, size: int) -> int:
    """How many of the ``heads`` of a body of ``kind`` and ``size`` staff form its leadership.

    The first ones: the head of the body and the kind's deputies, one per
    ``staff_per_deputy`` staff where that is more, at most a quarter of the heads (a body too
    small for that has no leadership, as with one level of resolution: then every head
    resolves).
    """
    staff = scenario.staff
    if staff.resolution_levels == 1:
        return 0
    structure = staff.structure[kind]
    deputies = max(structure.deputies, -(-size // structure.staff_per_deputy))
    return min(1 + deputies, heads // 4)


def sample_absences(scenario: Scenario, rng: np.random.Generator, n: int,
                    days: int, apart: range = range(0),
                    planned: list[frozenset[int]] | None = None,
                    ) -> list[tuple[tuple[int, int], ...]]:
    """Spells away of ``n`` employees over ``days`` calendar days from the start.

    Annual leave: ``leave_blocks`` equal blocks a year at uniform random dates; sick spells and
    business trips: Poisson numbers a year of spells of the given mean length (sick: geometric),
    at uniform dates. The year of draws begins :data:`_LEAD` days (or a leave block, if longer)
    before the run, so that the
    run starts with the usual share of staff already away (clipped to day 0), not with
    everyone in. Overlapping spells merge. The employees ``apart`` (a body's leadership)
    take their leave one at a time where the year has room: a block that would overlap another
    of theirs is drawn again. When ``planned`` is given, it receives per employee the first
    days of the spells that begin with leave or a trip (known in advance, so work is handed over
    before them; a spell that begins with sickness is not).
    """
    spec = scenario.absence
    block = round(spec.annual_leave_days / spec.leave_blocks)
    lead = max(_LEAD, block)  # a spell that began before the run may still hold its first day
    years = max(1, -(-(days + lead) // _YEAR))
    sick_rate = spec.sick_days / spec.sick_spell_days
    trip_rate = spec.trip_days / spec.trip_days_each
    trip_len = max(1, round(spec.trip_days_each * _WEEK_RATIO))
    out = []
    scheduled: list[tuple[int, int]] = []  # leave of the employees kept apart
    for i in range(n):
        spells: list[tuple[int, int]] = []
        known: set[int] = set()  # first days of leave and trips
        for year in range(years):
            base = year * _YEAR - lead
            if block > 0:
                for start in rng.integers(0, _YEAR, spec.leave_blocks):
                    if i in apart:
                        start = _apart(rng, int(start), block, scheduled)
                        scheduled.append((int(start), int(start) + block))
                    spells.append((base + int(start), base + int(start) + block))
                    known.add(max(0, base + int(start)))
            for _sick in range(rng.poisson(sick_rate)):
                start = base + int(rng.integers(0, _YEAR))
                length = int(rng.geometric(1.0 / spec.sick_spell_days) * _WEEK_RATIO + 0.5)
                spells.append((start, start + max(1, length)))
            for _trip in range(rng.poisson(trip_rate)):
                start = base + int(rng.integers(0, _YEAR))
                spells.append((start, start + trip_len))
                known.add(max(0, start))
        merged = _merge([(max(0, a), b) for a, b in spells if a < days and b > 0])
        out.append(merged)
        if planned is not None:
            planned.append(frozenset(a for a, _ in merged if a in known))
    return out


def _apart(rng: np.random.Generator, start: int, block: int,
           taken: list[tuple[int, int]], tries: int = 100) -> int:
    """A start day for a block of leave that overlaps none of ``taken``, if one is drawn."""
    for _ in range(tries):
        if all(start + block <= a or b <= start for a, b in taken):
            return start
        start = int(rng.integers(0, _YEAR))
    return start  # the year is too full to keep them apart: overlap


def _merge(spells: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spells):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def sample_population(scenario: Scenario, streams: Streams, days: int = 0) -> list[Body]:
    """Sample every body and employee of the scenario for one replication.

    ``days``: calendar days the run covers, over which absences are drawn (none when 0).
    """
    staff = scenario.staff
    bodies: list[Body] = []
    next_id = 0
    # One object per distinct set of office weekdays or planned days: a few distinct ones
    # among tens of thousands of employees (50 MB of copies in a national population).
    shared: dict[frozenset[int], frozenset[int]] = {}
    for group in scenario.bodies:
        internet = group.home_internet or staff.home_internet
        for name in group.body_names():
            body_id = len(bodies)
            body = Body(body_id, name, group.kind, group.name, group.platform)
            rng = streams.numpy(Purpose.POPULATION, body_id)
            employees = _sample_staff(scenario, rng, body_id, next_id, group.staff, internet)
            if days > 0:
                away = streams.numpy(Purpose.ABSENCE, body_id)
                first_head = sum(e.role == "clerk" for e in employees)
                heads = sum(e.role == "head" for e in employees)
                leaders = range(first_head, first_head + leadership_count(
                    scenario, heads, group.kind, len(employees)))
                planned: list[frozenset[int]] = []
                drawn = sample_absences(scenario, away, len(employees), days, leaders, planned)
                for emp, spells in zip(employees, drawn, strict=True):
                    emp.absences = spells
                # (A stand-in for sample_absences in a test may leave ``planned`` empty.)
                for emp, starts in zip(employees, planned, strict=False):
                    emp.planned_from = shared.setdefault(starts, starts)
            for emp in employees:
                emp.office_weekdays = shared.setdefault(emp.office_weekdays, emp.office_weekdays)
            next_id += len(employees)
            body.staff = {r: [e for e in employees if e.role == r] for r in ROLES}
            bodies.append(body)
    return bodies


def class_of(shares: dict[str, float], u: float) -> str:
    """The class a uniform draw ``u`` falls in, classes in the order listed (inverse CDF).

    As the shares change, the people with the lowest draws stay in the first class: a
    procurement that adds adequate equipment upgrades the same people whoever runs it.
    """
    names = list(shares)
    cdf = np.cumsum([shares[k] for k in names], dtype=float)
    return names[min(int(np.searchsorted(cdf / cdf[-1], u, side="right")), len(names) - 1)]


def _choice(rng: np.random.Generator, shares: dict[str, float],
            n: int) -> tuple[list[str], np.ndarray]:
    """``n`` classes drawn with the given shares, and the uniforms they were drawn from."""
    names = list(shares)
    cdf = np.cumsum([shares[k] for k in names], dtype=float)
    u = rng.random(n)
    picks = np.searchsorted(cdf / cdf[-1], u, side="right").clip(max=len(names) - 1)
    return [names[i] for i in picks], u


def _sample_staff(
    scenario: Scenario, rng: np.random.Generator, body_id: int, first_id: int, n: int,
    internet: dict[str, float],
) -> list[Employee]:
    staff = scenario.staff
    roles = [r for r, c in zip(ROLES, _role_counts(n, staff.roles), strict=True) for _ in range(c)]
    cleared = rng.random(n) >= staff.remote_eligible_share
    u_literacy = rng.random(n)
    insecure = u_literacy < staff.literacy["insecure"]
    equipment, u_equipment = _choice(rng, staff.equipment, n)
    home, u_internet = _choice(rng, internet, n)
    messenger = rng.random(n) < staff.messenger_user_share
    ranks = home_order(rng, cleared)
    modes = work_modes(ranks, staff.remote_share, staff.hybrid_share)
    # Drawn last, so that adding it left every earlier draw of the stream as it was.
    groups = ui_groups(rng, scenario, n)
    people = [
        Employee(
            id=first_id + i, body=body_id, role=roles[i], cleared=bool(cleared[i]),
            insecure_literacy=bool(insecure[i]), equipment=equipment[i], home_internet=home[i],
            mode=modes[i], office_weekdays=office_weekdays(modes[i], first_id + i, scenario),
            messenger_user=bool(messenger[i]), remote_rank=int(ranks[i]),
            u_literacy=float(u_literacy[i]), u_equipment=float(u_equipment[i]),
            u_internet=float(u_internet[i]), ui_group=int(groups[i]),
        )
        for i in range(n)
    ]
    for emp in people:
        set_pace(emp, scenario)
    return people


def ui_groups(rng: np.random.Generator, scenario: Scenario, n: int) -> np.ndarray:
    """Each of ``n`` employees' preference group (index into ``UI_GROUPS``), survey shares."""
    shares = scenario.platform.osdo.ui_preference_shares
    cdf = np.cumsum([shares[g] for g in UI_GROUPS], dtype=float)
    return np.searchsorted(cdf / cdf[-1], rng.random(n), side="right").clip(max=len(cdf) - 1)


def set_pace(emp: Employee, scenario: Scenario) -> None:
    """The employee's expected handling-time factor from literacy and equipment on home days."""
    human = scenario.human
    home_days = 1.0 - len(emp.office_weekdays & set(range(_WEEKDAYS))) / _WEEKDAYS
    at_home = human.remote_time_factor * human.equipment_time_factor[emp.equipment]
    literacy = human.insecure_literacy_time_factor if emp.insecure_literacy else 1.0
    emp.pace = literacy * (1.0 + home_days * (at_home - 1.0))


def office_weekdays(mode: str, employee_id: int, scenario: Scenario) -> frozenset[int]:
    """The weekdays (0 = Monday) an employee of ``mode`` works in the office."""
    staff = scenario.staff
    days = {"office": _WEEKDAYS, "hybrid": staff.hybrid_office_days_per_week,
            "remote": staff.remote_office_days_per_week}[mode]
    return _office_days(mode, days, employee_id)


def home_order(rng: np.random.Generator, cleared: np.ndarray) -> np.ndarray:
    """Each employee's place in the order staff are sent home.

    Remote-eligible staff first, in random order, then cleared staff (a remote share above the
    eligible share sends them too).
    """
    n = len(cleared)
    order = np.lexsort((rng.random(n), cleared))
    ranks = np.empty(n, dtype=int)
    ranks[order] = np.arange(n)
    return ranks


def work_modes(ranks: np.ndarray | list[int], remote_share: float,
               hybrid_share: float) -> list[str]:
    """Send the remote share home, then the hybrid share, in the order of :func:`home_order`.

    A remote share above the eligible share (the 2020 directive's 80% against 75%
    eligible) sends cleared staff home too; their on-site-only work then waits for an office day.
    """
    n = len(ranks)
    n_remote = int(round(remote_share * n))
    n_hybrid = min(n - n_remote, int(round(hybrid_share * n)))
    return ["remote" if r < n_remote else "hybrid" if r < n_remote + n_hybrid else "office"
            for r in ranks]
