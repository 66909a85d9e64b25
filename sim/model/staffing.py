"""Role pools: the clerks, heads or executors of one body, and the work waiting for them.

A pool hands each waiting step to a free employee and schedules one SimPy event for the step's
end. Waiting work is taken in the pool's queue discipline: first come first served (``fifo``),
or earliest deadline first (``deadline``: documents under control go by their term, then by
arrival). Work named to one person waits for that person; the pool keeps each person's
outstanding named work (in expected working minutes), which a ``least_loaded`` assigner reads.
On-site-only work (secret documents, paper originals) waits in a queue of its own for a cleared
employee who is in the office that day; when no such employee is free, the pool wakes itself at
the start of the next working day to look again.
"""

from __future__ import annotations

import heapq
import math
from itertools import count

import simpy

from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.population import Employee
from sim.model.work import Step, StepTimer

__all__ = ["RolePool"]


class RolePool:
    """The employees of one role at one body, with queues of waiting steps."""

    def __init__(
        self, env: simpy.Environment, calendar: WorkCalendar, timer: StepTimer,
        employees: list[Employee], discipline: str = "fifo",
        standin_after_days: int | None = None, delegate_over_hours: float | None = None,
    ) -> None:
        if not employees:
            raise ValueError("a role pool needs at least one employee")
        self.env = env
        self.calendar = calendar
        self.timer = timer
        self.employees = employees
        # Idle employees in the order they became idle (a dict is an ordered set).
        self.free: dict[Employee, None] = dict.fromkeys(employees)
        # Queues are heaps of (Step.key, step) pairs: the discipline's priority, compared as
        # tuples in C (the keys are unique, so steps themselves are never compared).
        self.queue: list[tuple[tuple, Step]] = []
        self.on_site_queue: list[tuple[tuple, Step]] = []
        # Work named to one employee (executors named in a resolution), by employee id.
        self.personal: dict[int, list[tuple[tuple, Step]]] = {}
        self.personal_on_site: dict[int, list[tuple[tuple, Step]]] = {}
        if discipline not in ("fifo", "deadline"):
            raise ValueError(f"queue discipline must be fifo or deadline, got {discipline!r}")
        self._by_deadline = discipline == "deadline"
        self._seq = count()  # ties in the discipline go to the step submitted first
        # Absences: named work passes to a stand-in after this many working days (None: waits).
        self.standin_after = standin_after_days
        # Overload: new named work passes to a lighter peer past this many minutes of it.
        self.delegate_over = (None if delegate_over_hours is None
                              else delegate_over_hours * 60.0)
        #: Who may act for whom (by employee id): the same group in the organisation (set by the
        #: assigner); anyone of the pool when not set.
        self.peers: dict[int, list[Employee]] = {}
        self._absences = any(e.absences for e in employees)
        self._away_day, self._away = -1, frozenset()  # ids of those away on one day
        if self._absences:
            self._schedule_absence_days()
        #: Expected working minutes of the work named to each employee and not yet done, at
        #: their own pace.
        self.load: dict[int, float] = dict.fromkeys((e.id for e in employees), 0.0)
        self._on_site_waiting = 0
        #: On-site-only work goes to cleared staff; a pool without any takes whoever is on site.
        self.needs_clearance = any(e.cleared for e in employees)
        self._wakeup_pending = False
        self.busy_minutes = 0.0
        #: Busy minutes of each employee, by id.
        self.person_busy: dict[int, float] = dict.fromkeys((e.id for e in employees), 0.0)
        self._ended = self._on_end  # bound once: every step's end event calls it

    def _today(self) -> int:
        return self.calendar.working_day(self.env.now)

    def today(self) -> int:
        """The calendar day of the next working minute (the day work now would be done)."""
        return self._today()

    @property
    def has_absences(self) -> bool:
        """Whether anyone of the pool is ever away."""
        return self._absences

    # ------------------------------------------------------------------ absences
    def _schedule_absence_days(self) -> None:
        """A morning event on every day someone leaves, returns or should hand work over."""
        days: set[int] = set()
        for emp in self.employees:
            for start, end in emp.absences:
                days.update((start, end))
                if self.standin_after is not None:
                    days.add(self._handover_day(emp, start))
        for day in sorted(days):
            when = self.calendar.next_working(float(day * MINUTES_PER_DAY))
            self.env.timeout(when).callbacks.append(self._morning)

    def _handover_day(self, emp: Employee, start: int) -> int:
        """The calendar day on which work named to ``emp``, away since ``start``, is handed over.

        Before leave or a trip (known in advance) at once; after sickness's first
        ``standin_after`` working days.
        """
        t = self.calendar.next_working(float(start * MINUTES_PER_DAY))
        days = emp.standin_after(start, self.standin_after) or 0
        after = self.calendar.add(t, days * self.calendar.minutes_per_day)
        return int(self.calendar.next_working(after) // MINUTES_PER_DAY)

    def _present(self, emp: Employee, day: int) -> bool:
        return not self._absences or not emp.absent(day)

    def _morning(self, _event: simpy.Event) -> None:
        """Returns take their waiting work; the work of those long away goes to stand-ins."""
        day = self._today()
        for emp in list(self.free):
            if not emp.absent(day) and (self.personal.get(emp.id) or self.queue
                                        or self.personal_on_site.get(emp.id)):
                del self.free[emp]
                self._take_next(emp)
        if self.standin_after is None:
            return
        for emp in self.employees:
            spell = emp.absence_at(day)
            if spell is not None and self._handover_day(emp, spell[0]) <= day:
                self._hand_over(emp, day)

    def _hand_over(self, emp: Employee, day: int) -> None:
        """Pass the work named to ``emp`` (away) to present colleagues, the least loaded first."""
        waiting = self.personal.pop(emp.id, []) + self.personal_on_site.pop(emp.id, [])
        if not waiting:
            return
        now = self.env.now
        for _key, step in sorted(waiting):
            if step.on_site_only:
                self._on_site_waiting -= 1
            self.load[emp.id] -= step.load
            # Only the days its person was away: before that it queued behind their other work.
            step.absence_wait += _away_between(emp, step.waiting_since, now, self.calendar)
            step.waiting_since = now
            self._submit_named(step, self._standin(emp, day))

    def _standin(self, emp: Employee, day: int) -> Employee:
        """The acting colleague: the present peer (else pool member) with the least named work."""
        group = self.peers.get(emp.id, self.employees)
        present = [e for e in group if e is not emp and not e.absent(day)]
        if not present:
            present = [e for e in self.employees if e is not emp and not e.absent(day)]
        if not present:
            return emp  # nobody to act: the work waits for its person
        return self.least_loaded(present, 1, 0.0)[0]

    def _can_do_on_site(self, emp: Employee, day: int) -> bool:
        return ((emp.cleared or not self.needs_clearance) and emp.on_site(day)
                and self._present(emp, day))

    def candidates(self, on_site_only: bool) -> list[Employee]:
        """Who may be named for a step: cleared staff for on-site-only work (if any)."""
        if on_site_only and self.needs_clearance:
            return [e for e in self.employees if e.cleared]
        return self.employees

    def least_loaded(self, candidates: list[Employee], count: int, u: float) -> list[Employee]:
        """The ``count`` candidates with the least outstanding named work.

        People away today come last. Ties go round the candidates from a random one (``u``), so
        that equally loaded staff share the work rather than the first of them taking it all.
        """
        n = len(candidates)
        first = int(u * n)
        # The candidates from the random one on: a place in this order is the tie-break.
        order = candidates[first:] + candidates[:first] if first else candidates
        loads = [self.load[e.id] for e in order]
        if self._absences:  # someone away is named only when everyone is
            away = self.away_ids()
            if away:
                flags = [e.id in away for e in order]
                if count == 1 and not all(flags):
                    loads = [math.inf if f else x for f, x in zip(flags, loads, strict=True)]
                elif count > 1:
                    ranked = sorted(zip(flags, loads, range(n), strict=True))[:count]
                    return [order[j] for _f, _x, j in ranked]
        if count == 1:
            return [order[loads.index(min(loads))]]  # the first of the least loaded
        return [order[j] for _x, j in sorted(zip(loads, range(n), strict=True))[:count]]

    def away_ids(self) -> frozenset[int]:
        """Ids of the pool's employees away on the current working day."""
        return self._away_on(self._today())

    def _away_on(self, day: int) -> frozenset[int]:
        # Made once a day: asked at every step's end and every least-loaded choice.
        if day != self._away_day:
            self._away_day = day
            self._away = frozenset(e.id for e in self.employees if e.absent(day))
        return self._away

    def submit(self, step: Step, assignee: Employee | None = None) -> None:
        """Offer a step to the pool, or to one named employee of it.

        It starts now if someone suitable is free, else it waits in the pool's queue order.
        """
        step.key = ((step.doc.deadline, step.enqueued, next(self._seq)) if self._by_deadline
                    else (step.enqueued, next(self._seq)))
        step.named = assignee is not None
        step.waiting_since = step.enqueued
        if assignee is not None:
            if self.delegate_over is not None and self.load[assignee.id] > self.delegate_over:
                assignee = self._acting_for(assignee)
            self._submit_named(step, assignee)
            return
        self._offer(step)

    def _acting_for(self, emp: Employee) -> Employee:
        """Who takes new work named to ``emp``, whose desk is over the delegation threshold.

        The present peer with the least named work, if it has less than ``emp``; else ``emp``.
        """
        other = self._standin(emp, self._today())
        return other if self.load[other.id] < self.load[emp.id] else emp

    def _offer(self, step: Step) -> None:
        """A step of the pool's common work: to a free suitable employee, or the queue."""
        free = self.free
        if not step.on_site_only:
            if not self._absences:
                if free:
                    emp = next(iter(free))
                    del free[emp]
                    self._start(emp, step)
                    return
            else:
                away = self._away_on(self._today())
                for emp in free:
                    if emp.id not in away:
                        del free[emp]
                        self._start(emp, step)
                        return
            heapq.heappush(self.queue, (step.key, step))
            return
        day = self._today()
        for emp in free:
            if self._can_do_on_site(emp, day):
                del free[emp]
                self._start(emp, step)
                return
        heapq.heappush(self.on_site_queue, (step.key, step))
        self._on_site_waiting += 1
        self._ensure_wakeup()

    def _submit_named(self, step: Step, emp: Employee) -> None:
        # The amount is kept on the step: a person's pace may change before it is done.
        step.load = step.spec.handling_mean_min * step.share * emp.pace
        self.load[emp.id] += step.load
        if self._absences:
            day = self._today()
            spell = emp.absence_at(day)
            if spell is not None:
                if (self.standin_after is not None
                        and self._handover_day(emp, spell[0]) <= day):
                    standin = self._standin(emp, day)
                    if standin is not emp:  # an acting colleague takes it at once
                        self.load[emp.id] -= step.load
                        self._submit_named(step, standin)
                        return
                queue = self.personal_on_site if step.on_site_only else self.personal
                heapq.heappush(queue.setdefault(emp.id, []), (step.key, step))
                if step.on_site_only:
                    self._on_site_waiting += 1
                return
        if emp in self.free and (not step.on_site_only or emp.on_site(self._today())):
            del self.free[emp]
            self._start(emp, step)
        elif step.on_site_only:
            heapq.heappush(self.personal_on_site.setdefault(emp.id, []), (step.key, step))
            self._on_site_waiting += 1
            self._ensure_wakeup()
        else:
            heapq.heappush(self.personal.setdefault(emp.id, []), (step.key, step))

    def _start(self, emp: Employee, step: Step) -> None:
        if step.named and emp.absences:
            # Clock time the step waited for its person while they were away.
            step.absence_wait += _away_between(emp, step.waiting_since, self.env.now,
                                               self.calendar)
        step.emp = emp
        step.on_end = self._ended
        if step.carried:
            self.timer.resume(step)
        else:
            self.timer.start(step)

    def _on_end(self, event: simpy.Event) -> None:
        """A step's end: the route takes the document on, the employee takes the next step."""
        step: Step = event.value  # type: ignore[assignment]  # not typing.cast: a call per step
        self.busy_minutes += step.busy_minutes
        self.person_busy[step.emp.id] += step.busy_minutes
        if step.named:
            self.load[step.emp.id] -= step.load
        if step.carry_at is None:
            step.done(step)
        else:  # its person went away with the work unfinished
            self.env.timeout(step.carry_at - self.env.now, step).callbacks.append(self._carry_on)
        self._take_next(step.emp)

    def _carry_on(self, event: simpy.Event) -> None:
        """Work in progress whose person is away passes on, to be carried on in their own time.

        Named work to the person if back, else to a present peer (the stand-in rule of
        :meth:`_standin`; with nobody present it waits for its person); the pool's common work
        back to the pool, in its place in the queue.
        """
        step: Step = event.value  # type: ignore[assignment]
        self.timer.hand_over(step)
        if not step.named:
            self._offer(step)
            return
        emp, day = step.emp, self._today()
        self._submit_named(step, emp if not emp.absent(day) else self._standin(emp, day))

    def _take_next(self, emp: Employee) -> None:
        """A free employee takes the first step they may do in queue order, or becomes idle."""
        # Candidates in this order, the first one wins a tie: own work, the pool's queue, own
        # on-site-only work, the pool's on-site-only queue. Written out (no list of queues, one
        # calendar look-up) because every step ends here.
        day = self._today() if self._absences or self._on_site_waiting else 0
        if self._absences and emp.id in self._away_on(day):
            self.free[emp] = None  # away: takes nothing until the morning they are back
            return
        best = self.personal.get(emp.id) or None
        queue = self.queue
        if queue and (best is None or queue[0][0] < best[0][0]):
            best = queue
        on_site = False
        if self._on_site_waiting:
            if emp.on_site(day):
                q = self.personal_on_site.get(emp.id)
                if q and (best is None or q[0][0] < best[0][0]):
                    best, on_site = q, True
                q = self.on_site_queue
                if q and self._can_do_on_site(emp, day) and (
                    best is None or q[0][0] < best[0][0]
                ):
                    best, on_site = q, True
        if best is not None:
            if on_site:
                self._on_site_waiting -= 1
            self._start(emp, heapq.heappop(best)[1])
            return
        self.free[emp] = None
        if self._on_site_waiting:
            self._ensure_wakeup()

    def _ensure_wakeup(self) -> None:
        if self._wakeup_pending or not self.free:
            return
        self._wakeup_pending = True
        next_day = (self._today() + 1) * MINUTES_PER_DAY
        when = self.calendar.next_working(next_day)
        event = self.env.timeout(when - self.env.now)
        event.callbacks.append(self._wake)

    def present_minutes(self, until: float) -> dict[int, float]:
        """Working minutes from the start to ``until`` that each employee was not away, by id.

        Utilisation is busy time over these: someone away a tenth of the time and busy all the
        rest is overloaded, not at 90%.
        """
        calendar = self.calendar
        total = calendar.working_minutes(0.0, until)
        out = {}
        for emp in self.employees:
            away = 0.0
            for first, after in emp.absences:
                start = first * MINUTES_PER_DAY
                if start >= until:
                    break
                away += calendar.working_minutes(start, min(after * MINUTES_PER_DAY, until))
            out[emp.id] = total - away
        return out

    def _wake(self, _event: simpy.Event) -> None:
        """Start of a working day: free staff now on site take on-site-only work."""
        self._wakeup_pending = False
        for emp in list(self.free):
            if not self._on_site_waiting:
                break
            del self.free[emp]
            self._take_next(emp)  # idles again (and re-arms the wake-up) if nothing fits
        if self._on_site_waiting:
            self._ensure_wakeup()


def _away_between(emp: Employee, a: float, b: float, calendar: WorkCalendar) -> float:
    """Clock minutes of [a, b) that work waited because the employee was away.

    A spell keeps its person from work from the first working minute they miss to the first
    they are back: a spell that begins on a Saturday costs nothing before Monday morning, and
    the night before the return is not waited for them.
    """
    total = 0.0
    for start, end in emp.absences:
        first = calendar.next_working(start * MINUTES_PER_DAY)
        if first >= b:
            break
        lo, hi = max(a, first), min(b, calendar.next_working(end * MINUTES_PER_DAY))
        if hi > lo:
            total += hi - lo
    return total
