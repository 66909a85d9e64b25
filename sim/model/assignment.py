"""Who gets the work: a body's leadership and departments, and how assigners name people.

A body's heads are its leadership (the first ``staff.leadership_size`` heads, at most a quarter
of them: the head of the body and deputies) and its department heads;
executors belong to the departments in turn. Incoming mail of a type marked ``referral`` is
first referred by a member of the leadership to a department, whose head resolves it and names
the executors (a resolution cascade of two levels); with ``staff.resolution_levels: 1`` any head
resolves directly.

An assigner names people by the role's policy (``staff.assignment``):

* ``pooled``: nobody is named; any free member of the role takes the next item (a queueing
  pool, as process simulators and queueing formulas assume);
* ``named_uniform``: consecutive staff from a uniformly random one, whatever their backlog;
* ``least_loaded``: the eligible people with the least outstanding named work, in expected
  working minutes (ties go round from a random one).

Naming uses the document's own uniforms, so a document draws the same numbers on every
architecture (common random numbers), whatever the policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.config.schema import Scenario
from sim.model.documents import Document
from sim.model.population import Body, Employee, leadership_count
from sim.model.staffing import RolePool

__all__ = ["Organisation", "Assigner"]


@dataclass
class Organisation:
    """One body's leadership and departments (department ``k``: its head and executors)."""

    leadership: list[Employee]
    department_heads: list[Employee]
    department_executors: list[list[Employee]]
    department_executor_ids: list[list[int]] = field(init=False)
    #: Per department on one calendar day: (its head away?, its executors at work), made once
    #: a day (the referral asks for every document).
    _staffing: tuple[int, list[tuple[bool, int]]] = field(init=False, default=(-1, []))

    def __post_init__(self) -> None:
        self.department_executor_ids = [[e.id for e in team]
                                        for team in self.department_executors]

    def staffing(self, day: int) -> list[tuple[bool, int]]:
        """Per department on ``day``: whether its head is away, and how many executors are in."""
        if self._staffing[0] != day:
            self._staffing = (day, [
                (head.absent(day), sum(1 for e in team if not e.absent(day)))
                for head, team in zip(self.department_heads, self.department_executors,
                                      strict=True)])
        return self._staffing[1]

    @classmethod
    def of(cls, body: Body, size: int) -> Organisation:
        """Split the body's heads and executors: the first ``size`` heads lead the body.

        With no leadership (one level of resolution) there are no departments either: every
        head may resolve, and names executors from the whole body.
        """
        heads, executors = body.staff["head"], body.staff["executor"]
        if size <= 0:
            return cls([], list(heads), [])
        leaders, department_heads = heads[:size], heads[size:]
        departments: list[list[Employee]] = [[] for _ in department_heads]
        for i, emp in enumerate(executors):
            departments[i % len(department_heads)].append(emp)
        return cls(leaders, department_heads, departments)


    def tell_peers(self, heads: RolePool, executors: RolePool) -> None:
        """Who acts for whom when someone is away.

        Leaders for leaders, department heads for department heads, executors of the same
        department for each other.
        """
        for group in (self.leadership, self.department_heads):
            for emp in group:
                heads.peers[emp.id] = group
        for team in self.department_executors:
            for emp in team:
                executors.peers[emp.id] = team


class Assigner:
    """Names the people a step of a document goes to, by each role's policy."""

    def __init__(self, scenario: Scenario, bodies: list[Body],
                 pools: dict[tuple[int, str], RolePool]) -> None:
        staff = scenario.staff
        self.policy = dict(staff.assignment)
        self.levels = staff.resolution_levels
        self.organisations = [
            Organisation.of(b, leadership_count(scenario, len(b.staff["head"]))) for b in bodies]
        self.pools = pools
        # Expected drafting minutes of documents sent to a department and not yet resolved, by
        # (body, department): referred work counts before its executors are named.
        self._pipeline: dict[tuple[int, int], float] = {}
        self._sent: dict[str, tuple[tuple[int, int], float]] = {}  # by document id
        self._drafting_min = scenario.documents.steps["execution"].handling_mean_min
        for body, org in zip(bodies, self.organisations, strict=True):
            org.tell_peers(pools[(body.id, "head")], pools[(body.id, "executor")])

    def _eligible(self, doc: Document, people: list[Employee], role: str,
                  anyone_cleared: bool) -> list[Employee]:
        """``people`` who may take the document: cleared ones for on-site-only work.

        With none of ``people`` cleared, any cleared member of the role (``anyone_cleared``)
        or, where only ``people`` may do it (the leadership), ``people`` on a day on site.
        """
        pool = self.pools[(doc.body, role)]
        if not doc.on_site_only or not pool.needs_clearance:
            return people
        cleared = [e for e in people if e.cleared]
        return cleared or (pool.candidates(True) if anyone_cleared else people)

    def name(self, doc: Document, role: str, people: list[Employee], count: int,
             u: float, anyone_cleared: bool = True) -> list[Employee | None]:
        """``count`` people of ``people`` by the role's policy (None: whoever is free)."""
        if count <= 0:
            return []
        policy = self.policy[role]
        if policy == "pooled":
            return [None] * count
        staff = self._eligible(doc, people, role, anyone_cleared)
        if policy == "least_loaded":
            return list(self.pools[(doc.body, role)].least_loaded(staff, count, u))
        first = int(u * len(staff))
        return [staff[(first + j) % len(staff)] for j in range(min(count, len(staff)))]

    def referrer(self, doc: Document, u: float) -> Employee | None:
        """The leadership member who refers an incoming document to a department."""
        leaders = self.organisations[doc.body].leadership
        return self.name(doc, "head", leaders, 1, u, anyone_cleared=False)[0] if leaders else None

    def department_head(self, doc: Document, u: float) -> Employee | None:
        """The head who resolves the document and signs it (None when heads are pooled).

        A least-loaded referral goes to the department whose executors have the least work each
        (then its head's, then round from a random one): the leadership knows which department
        is swamped, and who is away: a department whose head is away comes last, and its work is
        shared over the executors at work, not over the whole team. A department's work is its
        executors' named work and the expected drafting of the documents sent to it that its
        head has not resolved yet (without these, a department whose head is behind looks idle
        and is sent ever more).
        """
        org = self.organisations[doc.body]
        if self.policy["head"] != "least_loaded" or not org.department_executors:
            return self.name(doc, "head", org.department_heads, 1, u)[0]
        heads = self._eligible(doc, org.department_heads, "head", True)
        if heads is not org.department_heads:  # on-site-only work: cleared heads by load
            return self.name(doc, "head", org.department_heads, 1, u)[0]
        pool = self.pools[(doc.body, "executor")]
        executors = pool.load.__getitem__
        head_pool = self.pools[(doc.body, "head")]
        load = head_pool.load
        teams = org.department_executor_ids
        n = len(heads)
        first = int(u * n)
        absences = pool.has_absences or head_pool.has_absences
        staffing = org.staffing(pool.today()) if absences else None

        pipeline = self._pipeline
        body = doc.body

        def burden(k: int) -> tuple[bool, float, float, int]:
            team = teams[k]  # ids: this runs for every document, over every department
            away, present = staffing[k] if staffing else (False, len(team))
            work = ((sum(map(executors, team)) + pipeline.get((body, k), 0.0)) / present
                    if present else math.inf)
            return away, work if team else 0.0, load[heads[k].id], (k - first) % n

        k = min(range(n), key=burden)
        spec = doc.spec
        expected = self._drafting_min * (1 + spec.executors_max) / 2 if spec.executors_max else 0.0
        pipeline[(body, k)] = pipeline.get((body, k), 0.0) + expected
        self._sent[doc.id] = ((body, k), expected)
        return heads[k]

    def resolved(self, doc: Document) -> None:
        """The document's executors are named: its department's work is theirs from now on."""
        sent = self._sent.pop(doc.id, None)
        if sent is not None:
            self._pipeline[sent[0]] -= sent[1]

    def executors(self, doc: Document, count: int, u: float) -> list[Employee | None]:
        """The executors the resolution names: from the resolving head's department."""
        org = self.organisations[doc.body]
        people = self.pools[(doc.body, "executor")].employees
        if org.department_executors and doc.head in org.department_heads:
            people = org.department_executors[org.department_heads.index(doc.head)] or people
        return self.name(doc, "executor", people, count, u)

    def approvers(self, doc: Document, count: int, u: float) -> list[Employee | None]:
        """The heads who approve the draft: any heads but the one who resolved it.

        With one level of resolution, any head (the resolving one included).
        """
        org = self.organisations[doc.body]
        if not org.department_executors:
            return self.name(doc, "head", org.department_heads, count, u)
        heads = self.pools[(doc.body, "head")].employees
        others = [h for h in heads if h is not doc.head] or heads
        return self.name(doc, "head", others, count, u)

    def refers(self, doc: Document) -> bool:
        """Whether the document goes to the leadership first."""
        return (self.levels == 2 and doc.spec.referral
                and bool(self.organisations[doc.body].leadership))
