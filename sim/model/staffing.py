"""Role pools: the clerks, heads or executors of one body, and the work waiting for them.

A pool hands each waiting step to a free employee, first come first served, and schedules one
SimPy event for the step's end. On-site-only work (secret documents, paper originals) waits in a
queue of its own for a cleared employee who is in the office that day; when no such employee is
free, the pool wakes itself at the start of the next working day to look again.
"""

from __future__ import annotations

from collections import deque

import simpy

from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.population import Employee
from sim.model.work import Step, StepTimer

__all__ = ["RolePool"]


class RolePool:
    """The employees of one role at one body, with FIFO queues of waiting steps."""

    def __init__(
        self, env: simpy.Environment, calendar: WorkCalendar, timer: StepTimer,
        employees: list[Employee],
    ) -> None:
        if not employees:
            raise ValueError("a role pool needs at least one employee")
        self.env = env
        self.calendar = calendar
        self.timer = timer
        self.employees = employees
        # Idle employees in the order they became idle (a dict is an ordered set).
        self.free: dict[Employee, None] = dict.fromkeys(employees)
        self.queue: deque[Step] = deque()
        self.on_site_queue: deque[Step] = deque()
        # Work named to one employee (executors named in a resolution), by employee id.
        self.personal: dict[int, deque[Step]] = {}
        self.personal_on_site: dict[int, deque[Step]] = {}
        self._on_site_waiting = 0
        # On-site-only work goes to cleared staff; a pool without any takes whoever is on site.
        self._needs_clearance = any(e.cleared for e in employees)
        self._wakeup_pending = False
        self.busy_minutes = 0.0
        self._ended = self._on_end  # bound once: every step's end event calls it

    def _today(self) -> int:
        return int(self.calendar.next_working(self.env.now) // MINUTES_PER_DAY)

    def _can_do_on_site(self, emp: Employee, day: int) -> bool:
        return (emp.cleared or not self._needs_clearance) and emp.on_site(day)

    def candidates(self, on_site_only: bool) -> list[Employee]:
        """Who may be named for a step: cleared staff for on-site-only work (if any)."""
        if on_site_only and self._needs_clearance:
            return [e for e in self.employees if e.cleared]
        return self.employees

    def submit(self, step: Step, assignee: Employee | None = None) -> None:
        """Offer a step to the pool, or to one named employee of it.

        It starts now if someone suitable is free, else it waits in a FIFO queue.
        """
        if assignee is not None:
            self._submit_named(step, assignee)
            return
        free = self.free
        if not step.on_site_only:
            if free:
                emp = next(iter(free))
                del free[emp]
                self._start(emp, step)
            else:
                self.queue.append(step)
            return
        day = self._today()
        for emp in free:
            if self._can_do_on_site(emp, day):
                del free[emp]
                self._start(emp, step)
                return
        self.on_site_queue.append(step)
        self._on_site_waiting += 1
        self._ensure_wakeup()

    def _submit_named(self, step: Step, emp: Employee) -> None:
        if emp in self.free and (not step.on_site_only or emp.on_site(self._today())):
            del self.free[emp]
            self._start(emp, step)
        elif step.on_site_only:
            self.personal_on_site.setdefault(emp.id, deque()).append(step)
            self._on_site_waiting += 1
            self._ensure_wakeup()
        else:
            self.personal.setdefault(emp.id, deque()).append(step)

    def _start(self, emp: Employee, step: Step) -> None:
        step.emp = emp
        step.on_end = self._ended
        self.timer.start(step)

    def _on_end(self, event: simpy.Event) -> None:
        """A step's end: the route takes the document on, the employee takes the next step."""
        step: Step = event.value  # type: ignore[assignment]  # not typing.cast: a call per step
        self.busy_minutes += step.busy_minutes
        step.done(step)
        self._take_next(step.emp)

    def _take_next(self, emp: Employee) -> None:
        """A free employee takes the oldest step they may do, or becomes idle."""
        # Candidates in this order, the first one wins a tie: own work, the pool's queue, own
        # on-site-only work, the pool's on-site-only queue. Written out (no list of queues, one
        # calendar look-up) because every step ends here.
        best = self.personal.get(emp.id) or None
        queue = self.queue
        if queue and (best is None or queue[0].enqueued < best[0].enqueued):
            best = queue
        on_site = False
        if self._on_site_waiting:
            day = self._today()
            if emp.on_site(day):
                q = self.personal_on_site.get(emp.id)
                if q and (best is None or q[0].enqueued < best[0].enqueued):
                    best, on_site = q, True
                q = self.on_site_queue
                if q and self._can_do_on_site(emp, day) and (
                    best is None or q[0].enqueued < best[0].enqueued
                ):
                    best, on_site = q, True
        if best is not None:
            if on_site:
                self._on_site_waiting -= 1
            self._start(emp, best.popleft())
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
