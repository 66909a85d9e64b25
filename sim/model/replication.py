"""One replication: wire population, workload, platforms and the route into a SimPy run.

:func:`run_replication` is a pure function of (resolved scenario, architecture, replication,
seed): the same inputs give the same records, whatever ran before it or in parallel with it.
"""

from __future__ import annotations

import gc
import math
from typing import Any

import simpy

from sim.config.architectures import ARCHITECTURES
from sim.config.schema import Scenario
from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.metrics import Recorder, RunRecords
from sim.model.office import OpenDocument, open_documents, place, working_office
from sim.model.pending import PendingCall
from sim.model.platforms import SYSTEM_CLASSES, Gateway, Platform
from sim.model.policy import Policy, excess_days, peak_remote_staff, recovery_days
from sim.model.population import ROLES, Body, sample_population
from sim.model.routing import DocumentFlow
from sim.model.stability import assess
from sim.model.staffing import RolePool
from sim.model.streams import Purpose, Streams
from sim.model.work import StepTimer
from sim.model.workload import arrivals

__all__ = ["run_replication"]

_ONLINE_SAMPLE = 5000  # staff_online is exact up to this many staff, a systematic sample above


def _platforms(
    scenario: Scenario, architecture: str, bodies: list[Body], streams: Streams,
    env: simpy.Environment,
) -> tuple[dict[str, Platform], list[Platform]]:
    """Every document system by name, and the one of each body (by body id)."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {tuple(ARCHITECTURES)}, got "
                         f"{architecture!r}")
    share = scenario.platform.esed.vpn_sessions_per_remote_employee
    # An agency sizes its VPN for the most staff its plan sends home.
    sessions = {b.id: int(share * peak_remote_staff(b, scenario)) for b in bodies}
    # Every system is built, used or not, so that each draws its streams the same way in
    # every architecture.
    systems = {name: cls.build(scenario, streams, sessions, env)
               for name, cls in SYSTEM_CLASSES.items()}
    chosen = ARCHITECTURES[architecture].system
    return systems, [systems[chosen or b.own_platform] for b in bodies]


def run_replication(
    scenario: Scenario, architecture: str, replication: int, seed: int | None = None,
    keep_documents: bool | None = None, keep_steps: bool = False,
    watch: frozenset[int] | None = None, office_out: list[OpenDocument] | None = None,
) -> RunRecords:
    """Simulate one replication of one architecture and return its records.

    ``watch``: bodies whose open documents are counted apart (``RunRecords.watched_open``);
    by default those the scenario's incidents touch. ``office_out`` receives the open documents
    at the horizon (a snapshot of the office, :mod:`sim.model.office`). With
    ``start.office: working`` the run begins with the open documents of the scenario's snapshot
    (cached, else run first).
    """
    seed = scenario.run_seed(seed)
    streams = Streams(seed, replication)
    calendar = WorkCalendar(scenario.calendar)
    horizon = calendar.end_of_working_days(scenario.horizon_days)
    warmup_end = calendar.end_of_working_days(scenario.warmup_days)
    bodies = sample_population(scenario, streams, int(horizon // MINUTES_PER_DAY) + 1)
    env = simpy.Environment()
    systems, platforms = _platforms(scenario, architecture, bodies, streams, env)
    migrating = ARCHITECTURES[architecture].system is None
    policy = Policy(scenario, calendar, bodies, systems, platforms, migrating)
    timer = StepTimer(env, scenario, calendar, platforms, streams, [b.kind for b in bodies])
    discipline = scenario.staff.queue_discipline
    standin = scenario.absence.standin_after_days
    delegate = scenario.staff.delegate_over_hours
    pools = {
        (b.id, role): RolePool(env, calendar, timer, b.staff[role], discipline[role], standin,
                               delegate[role])
        for b in bodies for role in ROLES
    }
    recorder = Recorder(
        architecture, replication, warmup_end, horizon,
        scenario.output.documents if keep_documents is None else keep_documents,
        keep_steps, [b.kind for b in bodies],
        policy.incident_bodies() if watch is None else watch,
    )

    def call(delay: float, callbacks: tuple, value: Any, amounts: tuple[float, ...] = ()) -> None:
        PendingCall(env, delay, callbacks, value, amounts)

    flow = DocumentFlow(
        scenario, calendar, bodies, platforms, pools, Gateway(scenario.platform.gateway, streams,
                                                               len(bodies)),
        recorder, lambda: env.now, call,
    )
    if office_out is not None:
        flow.stages = {}
    policy.start(env, timer, flow, horizon)
    if scenario.start.office == "working":
        _open_office(flow, calendar,
                     working_office(scenario, architecture, replication, seed, _snapshot))
    for body in bodies:
        _Arrivals(env, scenario, calendar, body, flow, streams, horizon)
    everyone = [e for b in bodies for r in ROLES for e in b.staff[r]]
    env.process(_sampler(env, scenario, calendar, recorder, timer, everyone))
    # Utilisation is read after the warm-up, as every other KPI: from empty, the start-up
    # weeks (an office holding less work than its people could do) would weigh on it.
    busy_at_warmup = 0.0

    def warmup_ends(_event: PendingCall) -> None:
        nonlocal busy_at_warmup
        busy_at_warmup = sum(p.busy_minutes for p in pools.values())

    if warmup_end > 0.0:
        call(warmup_end, (warmup_ends,), None)
    # The run makes millions of short-lived objects that reference counting frees (none of them
    # in cycles), while the cyclic collector, triggered by those allocations, walks the whole
    # live model each time: that was half the CPU time of a national run. Off during the run;
    # the model graph itself (which is cyclic) is collected after it.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        env.run(until=horizon)
    finally:
        if gc_was_enabled:
            gc.enable()

    if office_out is not None:
        assert flow.stages is not None
        office_out.extend(open_documents(list(flow.open.values()), flow.stages,
                                         calendar, horizon))
    staff = len(everyone)
    window_days = calendar.working_days_between(warmup_end, horizon)
    records = recorder.finish(
        list(flow.open.values()),
        busy_minutes=sum(p.busy_minutes for p in pools.values()) - busy_at_warmup,
        staff=staff,
        staff_working_minutes=staff * calendar.working_minutes(warmup_end, horizon),
        window_working_days=window_days,
    )
    kpis = records.kpis
    present = {i: m for pool in pools.values() for i, m in pool.present_minutes(horizon).items()}
    rate = max(kpis["throughput_per_day"], kpis["documents_created"] / window_days)
    verdict = assess(
        records.timeseries["time_min"].to_numpy(), records.timeseries["open_documents"].to_numpy(),
        lambda t: calendar.working_days_between(0.0, t), warmup_end, rate,
        _utilisation(bodies, pools, [[systems[n] for n in policy.systems_of(b.id)] for b in bodies],
                     calendar.working_minutes(0.0, horizon), present),
        scenario.output.unstable_growth_share, scenario.output.unstable_min_window_days,
        [busy / present[i] for pool in pools.values() for i, busy in pool.person_busy.items()
         if present[i] > 0],
        scenario.output.trend_batches,
    )
    kpis.update(verdict.kpis())
    kpis.update(_incident_kpis(scenario, architecture, replication, seed, records, policy,
                               calendar))
    records.saturated_resource = verdict.saturated_resource
    records.events = policy.events()
    return records


def _snapshot(scenario: Scenario, architecture: str, replication: int,
              seed: int) -> list[OpenDocument]:
    """Run a snapshot scenario and return its open documents at the horizon."""
    office: list[OpenDocument] = []
    run_replication(scenario, architecture, replication, seed, keep_documents=False,
                    office_out=office)
    return office


def _open_office(flow: DocumentFlow, calendar: WorkCalendar,
                 office: list[OpenDocument]) -> None:
    """Put a working office's documents back at minute 0, each at its step of the route."""
    for i, (doc, (created, deadline)) in enumerate(zip(office, place(office, calendar),
                                                       strict=True)):
        opened = flow.create(f"b{doc.body}-w{i}", doc.body, doc.type_name, doc.seed, created,
                             doc.origin_body, doc.needs_registration, deadline)
        opened.rework = doc.rework
        flow.resume(opened, doc.stage)


def _incident_kpis(scenario: Scenario, architecture: str, replication: int, seed: int,
                   records: RunRecords, policy: Policy,
                   calendar: WorkCalendar) -> dict[str, float]:
    """Recovery from the dated incidents, and the documents they made late.

    Late documents are counted against the same replication run without the incidents (common
    random numbers make the difference the incidents' own).
    """
    intervals = policy.incident_intervals()
    if not intervals:
        return {"incident_recovery_days": math.nan, "incident_excess_days": math.nan,
                "incident_late_documents": math.nan}
    # On the bodies the incidents touched: the whole run's backlog dilutes a local incident.
    watch = policy.incident_bodies()
    calm = scenario.model_copy(update={"incidents": []})
    twin = run_replication(calm, architecture, replication, seed, keep_documents=False,
                           watch=watch)
    times = records.timeseries["time_min"].to_numpy()
    if watch:
        level, usual = records.watched_open, twin.watched_open
    else:  # an internet incident in a region without bodies: the run's home lines
        level = records.timeseries["open_documents"].to_numpy()
        usual = twin.timeseries["open_documents"].to_numpy()
    output = scenario.output
    return {"incident_recovery_days": recovery_days(times, level, intervals, calendar,
                                                    output.incident_band_days),
            "incident_excess_days": excess_days(times, level, usual, intervals, calendar,
                                                output.incident_excess_share),
            "incident_late_documents": (records.kpis["late_documents"]
                                        - twin.kpis["late_documents"])}


def _utilisation(
    bodies: list[Body], pools: dict[tuple[int, str], RolePool],
    platforms: list[list[Platform]], working_minutes: float, present: dict[int, float],
) -> dict[str, float]:
    """Share of working time each resource was busy.

    Role pools (of the time their people were not away), server and VPN session pools.
    """
    out: dict[str, float] = {}
    if working_minutes <= 0:
        return out
    for b in bodies:
        for role in ROLES:
            pool = pools[(b.id, role)]
            at_work = sum(present[e.id] for e in pool.employees)
            out[f"{role}s of {b.name}"] = pool.busy_minutes / at_work if at_work > 0 else 0.0
    for b, used in zip(bodies, platforms, strict=True):
        for platform in used:  # every system the body worked in (two after a migration)
            servers = platform.servers_for(b.id)
            name = platform.server_pool_name(b.name)
            out.setdefault(name, servers.busy_minutes / (servers.servers * working_minutes))
            vpn = platform.vpn_for(b.id)
            if vpn is not None:
                out[f"VPN sessions of {b.name}"] = (vpn.busy_minutes
                                                    / (vpn.sessions * working_minutes))
    return out


class _Arrivals:
    """External documents arriving at one body until the horizon: one event per arrival.

    Chained callbacks rather than a SimPy process, which would add a generator resume to every
    arrival; the events are scheduled in the same order a process would schedule them.
    """

    def __init__(self, env, scenario, calendar, body, flow, streams, horizon) -> None:
        self.env, self.calendar, self.body, self.flow, self.horizon = (
            env, calendar, body, flow, horizon)
        rng = streams.numpy(Purpose.ARRIVALS, body.id)
        self.source = arrivals(scenario, body.size, calendar.minutes_per_day, rng)
        self.count = 0
        self._schedule()

    def _schedule(self) -> None:
        arrival = next(self.source, None)
        if arrival is None:
            return
        t = self.calendar.time_at_index(arrival.work_index)
        if t >= self.horizon:
            return
        self.env.timeout(t - self.env.now, (t, arrival)).callbacks.append(self._arrive)

    def _arrive(self, event: simpy.Event) -> None:
        t, arrival = event.value  # type: ignore[misc]  # the event carries its arrival
        body = self.body
        doc = self.flow.create(f"b{body.id}-{self.count}", body.id, arrival.type_name,
                               arrival.seed, t)
        self.count += 1
        self.flow.start(doc)
        self._schedule()


def _sampler(env, scenario, calendar, recorder, timer, everyone):
    """Rows of the time series: open documents, completed so far, staff online."""
    step = scenario.output.timeseries_interval_min
    stride = max(1, len(everyone) // _ONLINE_SAMPLE)
    sample = everyone[::stride]
    scale = len(everyone) / len(sample)
    while True:
        now = env.now
        working = calendar.next_working(now) == now
        online = scale * sum(timer.online(e, now) for e in sample) if working else 0.0
        recorder.sample(now, online)
        yield env.timeout(step)

