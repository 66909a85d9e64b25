"""Who gets the work: a body's leadership, departments and divisions, and who is named.

A body of a given kind is organised by ``staff.structure[kind]`` (:meth:`Organisation.of`): its
first heads are the leadership (the head of the body and deputies, at most a quarter of the
heads), the next ones department directors (when the kind has departments), the rest division
heads; executors are spread over the divisions in turn. Each department (or, with no department
level, each division) is curated by one deputy; the last one is the body's legal service.

Each document has a subject, drawn from its own stream in proportion to the departments'
executors, and the subject names its department. Incoming mail (types marked ``referral``) goes
down the resolution cascade: the head of the body (a share of it), the curating deputy, the
department director, who refers it to one of the department's divisions; the division head
resolves it and names executors of the division, co-executors from the department's other
divisions. Other documents start in their subject's department. Least load chooses only within
the department (the division) and within a division (the executors). Approvers are named by
function: the line above the executor (division head, then director), the heads of co-executing
divisions and, for types that need it, the legal service. A document sent out of the body is
signed by its leadership (the head of the body if they referred it, else the curating deputy),
one that stays (internal, or a letter filed without reply) by the department's director (or the
division head). With
``staff.resolution_levels: 1`` (or a body too small for a leadership) the body is flat: any head
resolves, names executors from the whole body, and signs; approvers are any heads.

An assigner names people among those eligible by the role's policy (``staff.assignment``):

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
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from sim.config.schema import BodyStructure, Scenario
from sim.model.documents import Document
from sim.model.population import Body, Employee, leadership_count
from sim.model.staffing import RolePool

__all__ = ["Organisation", "Department", "Division", "Assigner", "organise"]


@dataclass(eq=False)
class Division:
    """A division: its head, its executors, and the department it belongs to."""

    head: Employee
    executors: list[Employee]
    department: int
    executor_ids: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.executor_ids = [e.id for e in self.executors]


@dataclass(eq=False)
class Department:
    """A unit under the leadership, the one a subject names.

    A department of divisions, or a single division where the kind has no department level
    (then ``director`` is None).
    """

    director: Employee | None
    divisions: list[int]
    curator: Employee  # the leadership member who refers its mail and signs its letters


@dataclass(eq=False)
class Organisation:
    """One body's leadership, departments and divisions (none of them when it is flat)."""

    leadership: list[Employee]  # the head of the body first, then the deputies
    departments: list[Department]
    divisions: list[Division]
    #: Every head, when the body is flat (one level of resolution): any of them resolves.
    flat_heads: list[Employee] = field(default_factory=list)
    head_referral_share: float = 0.0
    legal: int = field(init=False)  # index of the department that is the legal service
    directors: list[Employee] = field(init=False)
    legal_heads: list[Employee] = field(init=False)
    #: The division of each executor, by employee id.
    division_of: dict[int, int] = field(init=False)
    #: Cumulative executors of the departments: a subject falls in proportion to them.
    _subject_cdf: list[int] = field(init=False)
    #: Per division on one calendar day: (its head away?, its executors at work), made once a
    #: day (the referral asks for every document).
    _staffing: tuple[int, list[tuple[bool, int]]] = field(init=False)

    def __post_init__(self) -> None:
        # Set here, not as the field's default: a compiled class (bench/compiled.py) does not
        # take an init=False field's default.
        self._staffing = (-1, [])
        self.legal = len(self.departments) - 1
        self.directors = [d.director for d in self.departments if d.director is not None]
        self._subject_cdf = list(accumulate(
            sum(len(self.divisions[j].executors) for j in d.divisions)
            for d in self.departments))
        self.legal_heads = self.heads_of(self.legal) if self.departments else []
        self.division_of = {e.id: d for d, div in enumerate(self.divisions)
                            for e in div.executors}

    @property
    def flat(self) -> bool:
        """Whether the body has no structure: any head resolves."""
        return not self.departments

    def heads_of(self, k: int) -> list[Employee]:
        """The heads of department ``k``: its director (if any), then its division heads."""
        dep = self.departments[k]
        heads = [self.divisions[j].head for j in dep.divisions]
        return [dep.director, *heads] if dep.director is not None else heads

    def subject(self, u: float) -> int:
        """The department a subject drawn with uniform ``u`` belongs to (by executors)."""
        cdf = self._subject_cdf
        return min(bisect_right(cdf, u * cdf[-1]), len(cdf) - 1)

    def staffing(self, day: int) -> list[tuple[bool, int]]:
        """Per division on ``day``: whether its head is away, and how many executors are in."""
        if self._staffing[0] != day:
            self._staffing = (day, [
                (div.head.absent(day), sum(1 for e in div.executors if not e.absent(day)))
                for div in self.divisions])
        return self._staffing[1]

    @classmethod
    def of(cls, body: Body, structure: BodyStructure, leaders: int,
           incoming_per_day: float = 0.0) -> Organisation:
        """Organise the body's heads and executors; ``leaders``: the size of its leadership.

        The head of the body refers ``structure.head_referrals_per_day`` of the body's
        ``incoming_per_day`` documents (all of them when it gets fewer).

        After the leadership, with ``d`` divisions per department, every ``1 + d`` remaining
        heads make a department: its director first (the first heads), division ``j`` in
        department ``j mod`` the number of departments; too few heads for one department
        leave the divisions directly under the leadership. Executor ``i`` (in staff order) goes
        to division ``i mod`` the number of divisions; department ``k`` is curated by deputy
        ``k mod`` the number of deputies (the head of the body when there is none).
        """
        heads, executors = body.staff["head"], body.staff["executor"]
        if leaders <= 0:
            return cls([], [], [], flat_heads=list(heads))
        lead, unit_heads = heads[:leaders], heads[leaders:]
        per = structure.divisions_per_department
        n_dep = len(unit_heads) // (1 + per) if per else 0
        directors, division_heads = unit_heads[:n_dep], unit_heads[n_dep:]
        n_div = len(division_heads)
        teams: list[list[Employee]] = [[] for _ in division_heads]
        for i, emp in enumerate(executors):
            teams[i % n_div].append(emp)
        deputies = lead[1:] or lead[:1]
        if n_dep:
            divisions = [Division(h, teams[j], j % n_dep) for j, h in enumerate(division_heads)]
            departments = [Department(directors[k], list(range(k, n_div, n_dep)),
                                      deputies[k % len(deputies)]) for k in range(n_dep)]
        else:
            divisions = [Division(h, teams[j], j) for j, h in enumerate(division_heads)]
            departments = [Department(None, [j], deputies[j % len(deputies)])
                           for j in range(n_div)]
        share = (min(1.0, structure.head_referrals_per_day / incoming_per_day)
                 if incoming_per_day > 0 else 1.0)
        return cls(lead, departments, divisions, head_referral_share=share)

    def tell_peers(self, heads: RolePool, executors: RolePool) -> None:
        """Who acts for whom when someone is away.

        Leaders for leaders; a director's or division head's division heads of the same
        department (all division heads where departments have one division); executors of the
        same division. A flat body: anyone of the role.
        """
        for emp in self.leadership:
            heads.peers[emp.id] = self.leadership
        everyone = [div.head for div in self.divisions]
        for dep in self.departments:
            own = [self.divisions[j].head for j in dep.divisions]
            group = own if len(own) > 1 else everyone
            for emp in ([dep.director] if dep.director is not None else []) + own:
                heads.peers[emp.id] = group
        for div in self.divisions:
            for emp in div.executors:
                executors.peers[emp.id] = div.executors


def organise(scenario: Scenario, bodies: list[Body]) -> list[Organisation]:
    """Each body's organisation by its kind's structure (flat with one level of resolution)."""
    # Incoming mail a day per employee (external arrivals of the referral types): the head of a
    # body refers their number of it a day, whatever the body's size.
    referred = scenario.workload.documents_per_employee_per_day * sum(
        t.share for t in scenario.documents.types.values() if t.referral)
    return [Organisation.of(b, scenario.staff.structure[b.kind],
                            leadership_count(scenario, len(b.staff["head"]), b.kind, b.size),
                            referred * b.size)
            for b in bodies]


class Assigner:
    """Names the people a step of a document goes to, by function and each role's policy."""

    def __init__(self, scenario: Scenario, bodies: list[Body],
                 pools: dict[tuple[int, str], RolePool]) -> None:
        self.policy = dict(scenario.staff.assignment)
        self.organisations = organise(scenario, bodies)
        self.pools = pools
        # Expected drafting minutes of documents sent to a division and not yet resolved, by
        # (body, division): referred work counts before its executors are named.
        self._pipeline: dict[tuple[int, int], float] = {}
        self._sent: dict[str, tuple[tuple[int, int], float]] = {}  # by document id
        self._drafting_min = scenario.documents.steps["execution"].handling_mean_min
        for body, org in zip(bodies, self.organisations, strict=True):
            org.tell_peers(pools[(body.id, "head")], pools[(body.id, "executor")])

    def _eligible(self, doc: Document, people: list[Employee], role: str,
                  anyone_cleared: bool) -> list[Employee]:
        """``people`` who may take the document: cleared ones for on-site-only work.

        With none of ``people`` cleared, any cleared member of the role (``anyone_cleared``)
        or, where only ``people`` may do it (a unit's own staff), ``people`` on a day on site.
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

    def _function(self, person: Employee | None) -> Employee | None:
        """A person named by function (a curator, a director), unless heads are pooled."""
        return None if self.policy["head"] == "pooled" else person

    # ------------------------------------------------------------------ resolution
    def referrers(self, doc: Document) -> list[Employee | None]:
        """The resolution cascade above the division, top down (empty: none refers).

        Draws the document's subject (a body with structure): its department. Incoming mail
        goes to the head of the body first when ``doc.head_draw`` falls in the head's share
        (``head_referrals_per_day`` of the body's incoming mail), then to the curating deputy
        and the director.
        """
        org = self.organisations[doc.body]
        if org.flat:
            return []
        k = doc.subject = org.subject(doc.rng.random())
        dep = org.departments[k]
        head = org.leadership[0]
        doc.leader = head if (doc.spec.referral and doc.head_draw < org.head_referral_share
                              ) else dep.curator
        if not doc.spec.referral:
            return []
        chain = [head] if doc.leader is head and dep.curator is not head else []
        chain.append(dep.curator)
        if dep.director is not None:
            chain.append(dep.director)
        return [self._function(p) for p in chain]

    def resolver(self, doc: Document, u: float) -> Employee | None:
        """The head who resolves the document and names its executors.

        In a body with structure: the head of a division of the subject's department. With more
        than one, a least-loaded choice goes to the division whose executors have the least
        named work each (then its head's, then round from a random one): the referrer knows
        which division is swamped, and who is away: a division whose head is away comes last,
        and its work is shared over the executors at work, not over the whole team. In a flat
        body: any head, by the heads' policy.
        """
        org = self.organisations[doc.body]
        if org.flat:
            return self.name(doc, "head", org.flat_heads, 1, u)[0]
        dep = org.departments[doc.subject]
        if len(dep.divisions) == 1 or self.policy["head"] != "least_loaded":
            options = [org.divisions[j].head for j in dep.divisions]
            head = self.name(doc, "head", options, 1, u, anyone_cleared=False)[0]
            # Heads pooled: whoever is free resolves; the executors come from a random division.
            doc.division = dep.divisions[options.index(head) if head is not None
                                         else int(u * len(options))]
            return head
        doc.division = self._lightest(doc, org, dep.divisions, u)
        return org.divisions[doc.division].head

    def _lightest(self, doc: Document, org: Organisation, divisions: list[int],
                  u: float) -> int:
        """The division of ``divisions`` with the least work per executor at work.

        A division's work is its executors' named work and the expected drafting of the
        documents sent to it that its head has not resolved yet (drafts wait for the last days
        of their terms: without these, a division whose head is behind looks idle and is sent
        ever more).
        """
        pool = self.pools[(doc.body, "executor")]
        executors = pool.load.__getitem__
        head_pool = self.pools[(doc.body, "head")]
        load = head_pool.load
        n = len(divisions)
        first = int(u * n)
        absences = pool.has_absences or head_pool.has_absences
        staffing = org.staffing(pool.today()) if absences else None
        on_site = doc.on_site_only and head_pool.needs_clearance

        pipeline = self._pipeline
        body = doc.body

        def burden(i: int) -> tuple[bool, bool, float, float, int]:
            div = org.divisions[divisions[i]]
            team = div.executor_ids  # ids: this runs for every document
            away, present = staffing[divisions[i]] if staffing else (False, len(team))
            work = ((sum(map(executors, team)) + pipeline.get((body, divisions[i]), 0.0))
                    / present if present else math.inf)
            # On-site-only work goes to a cleared head where the department has one.
            return (on_site and not div.head.cleared, away, work if team else math.inf,
                    load[div.head.id], (i - first) % n)

        k = divisions[min(range(n), key=burden)]
        spec = doc.spec
        expected = self._drafting_min * (1 + spec.executors_max) / 2 if spec.executors_max else 0.0
        pipeline[(body, k)] = pipeline.get((body, k), 0.0) + expected
        self._sent[doc.id] = ((body, k), expected)
        return k

    def resolved(self, doc: Document) -> None:
        """The document's executors are named: its division's work is theirs from now on."""
        sent = self._sent.pop(doc.id, None)
        if sent is not None:
            self._pipeline[sent[0]] -= sent[1]

    def executors(self, doc: Document, count: int, u: float) -> list[Employee | None]:
        """The executors the resolution names.

        In a body with structure: the first from the resolving division, co-executors from
        the department's other divisions (from the same division when it is the only one);
        on-site-only work goes to cleared executors of the division, else of the department.
        In a flat body: from the whole body.
        """
        org = self.organisations[doc.body]
        pool = self.pools[(doc.body, "executor")]
        if org.flat:
            return self.name(doc, "executor", pool.employees, count, u)
        dep = org.departments[doc.subject]
        own = org.divisions[doc.division].executors
        others = [e for j in dep.divisions if j != doc.division
                  for e in org.divisions[j].executors]
        team = [*own, *others]
        if doc.on_site_only and pool.needs_clearance and not any(e.cleared for e in own):
            own = [e for e in team if e.cleared] or own
        named = self.name(doc, "executor", own or team, 1, u, anyone_cleared=False)
        if count > 1:
            rest = [e for e in (others or own) if e not in named] or team
            named += self.name(doc, "executor", rest, count - 1, u, anyone_cleared=False)
        return named

    # ------------------------------------------------------------------ approval, signature
    def approvers(self, doc: Document, count: int, u: float) -> list[Employee | None]:
        """The heads who approve the draft, by function.

        In a body with structure: up to ``count`` of the line above the executor (the division
        head, then the director; not the signer), the heads of the divisions whose executors
        co-executed, and the legal service (a least-loaded one of its heads) for types with
        ``legal_review``, each once. In a flat body: any heads (the resolving one included).
        """
        org = self.organisations[doc.body]
        if org.flat:
            return self.name(doc, "head", org.flat_heads, count, u)
        # The line stops below the unit's signer; the leadership signs only what leaves.
        signer = self.signer(doc, lambda: False)
        division = org.divisions[doc.division]
        director = org.departments[doc.subject].director
        line: list[Employee | None] = [h for h in (division.head, director)
                                       if h is not None and h is not signer]
        people = line[:count]
        for emp in doc.drafters:
            d = org.division_of[emp.id] if emp is not None else doc.division  # pooled: unknown
            head = org.divisions[d].head
            if d != doc.division and head not in people and head is not signer:
                people.append(head)
        if self.policy["head"] == "pooled":
            people = [None] * len(people)
        if doc.spec.legal_review and not any(p in org.legal_heads for p in people):
            people += self.name(doc, "head", org.legal_heads, 1, u, anyone_cleared=False)
        return people

    def signer(self, doc: Document, leaves: Callable[[], bool]) -> Employee | None:
        """Who signs: the leadership for a document that ``leaves()`` the body, else its unit.

        A flat body's resolving head signs whatever happens next (``leaves`` is not asked).
        """
        org = self.organisations[doc.body]
        if org.flat:
            return doc.head
        if leaves():
            return self._function(doc.leader)
        director = org.departments[doc.subject].director
        return self._function(director) if director is not None else doc.head
