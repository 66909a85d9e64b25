"""Every KPI a run reports, declared once: its name, unit, meaning and how to show it.

The recorder (:mod:`sim.model.metrics`) computes a value for each name here; the command line's
table, ``sim compare``, the report and ``summary.json`` read names, meanings and formats from
:data:`KPIS`, and the column order of ``summary.csv`` is the order below.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.documents import CONFIDENTIALITY, DELAY_COMPONENTS

__all__ = ["Kpi", "KPIS", "KPI_COLUMNS", "KPI_DESCRIPTIONS", "MAIN_KPIS"]


@dataclass(frozen=True)
class Kpi:
    """One KPI of a run."""

    name: str  #: column name in summary.csv and summary.json
    unit: str  #: e.g. ``h``, ``documents``, ``share``
    meaning: str  #: one phrase, shown beside the name
    fmt: str = "{:.3g}"  #: how tables format a value
    higher_is_better: bool | None = None  #: None where neither direction is better
    main: bool = False  #: in the short tables (``sim run``, ``sim compare``)


def _delay_share(component: str) -> Kpi:
    return Kpi(f"delay_share_{component}", "share",
               f"mean share of cycle time spent in '{component}'", "{:.3f}", False)


KPIS: dict[str, Kpi] = {k.name: k for k in (
    Kpi("documents_created", "documents", "documents created after the warm-up", "{:.0f}"),
    Kpi("documents_completed", "documents", "of those, completed by the horizon", "{:.0f}",
        True, True),
    Kpi("throughput_per_day", "documents/day",
        "documents completed per working day after the warm-up", "{:.1f}", True, True),
    Kpi("cycle_time_mean_h", "h", "mean creation-to-completion time, calendar hours", "{:.1f}",
        False, True),
    Kpi("cycle_time_p50_h", "h", "median cycle time, calendar hours", "{:.1f}", False),
    Kpi("cycle_time_p95_h", "h", "95th percentile cycle time, calendar hours", "{:.1f}", False,
        True),
    Kpi("on_time_rate", "share",
        "of the documents created after the warm-up whose deadline fell within the horizon, the "
        "share completed by it", "{:.3f}", True, True),
    Kpi("late_documents", "documents", "of those, the documents not completed by their "
        "deadline (late, or still open past it)", "{:.0f}", False),
    Kpi("late_share", "share", "of the documents created after the warm-up whose deadline fell "
        "within the horizon, the share not completed by it (1 - on_time_rate)", "{:.3f}", False,
        True),
    Kpi("extended_share", "share", "of the same documents, the share whose term the head "
        "extended (documents.types.*.extended_deadline_working_days)", "{:.3f}", False),
    Kpi("overdue_open", "documents",
        "documents still open at the horizon with their deadline passed", "{:.1f}", False, True),
    Kpi("wip_mean", "documents", "time-average open documents after the warm-up", "{:.1f}",
        False, True),
    Kpi("staff_utilisation", "share", "share of staff working time after the warm-up spent on "
        "document steps (a step's busy time counts when it ends)",
        "{:.3f}", None, True),
    Kpi("connectivity_loss_h_per_employee", "h", "working hours per employee, after the "
        "warm-up, that steps lost to connection drops, failed attempts, VPN waits, platform "
        "outages, interruptions and re-entering messenger work", "{:.2f}", False, True),
    Kpi("unofficial_channel_share", "share",
        "share of completed documents that went through a messenger", "{:.3f}", False, True),
    *(Kpi(f"left_system_{c}", "documents", f"completed {c.replace('_', ' ')} documents that "
          "went through a messenger (only open ones may)", "{:.0f}", False)
      for c in CONFIDENTIALITY),
    Kpi("interrupted_step_share", "share", "share of steps after the warm-up stopped by an "
        "outage of their system or connection while in progress", "{:.3f}", False),
    Kpi("remote_step_share", "share", "share of steps done from home", "{:.3f}"),
    Kpi("rework_per_document", "rounds", "rework rounds per completed document", "{:.3f}",
        False),
    Kpi("gateway_transmissions", "transmissions",
        "transmissions through the inter-agency gateway", "{:.0f}"),
    Kpi("gateway_resends", "transmissions", "transmissions that had to be resent", "{:.0f}",
        False),
    *(_delay_share(c) for c in DELAY_COMPONENTS),
    Kpi("backlog_growth_per_day", "documents/day", "trend of open documents after the "
        "warm-up: least-squares slope through output.trend_batches batch means, documents per "
        "working day", "{:.1f}", False),
    Kpi("backlog_growth_halfwidth_per_day", "documents/day", "half-width of that slope's 95% "
        "interval (Student's t on the batch means)", "{:.1f}", False),
    Kpi("unstable", "flag", "1 when that growth's whole interval exceeds "
        "output.unstable_growth_share of the arrival or completion rate (the backlog grows "
        "without bound; means depend on the horizon), else 0", "{:.0f}", False),
    Kpi("saturated_utilisation", "share",
        "utilisation of the busiest resource (named in saturated_resource)", "{:.3f}"),
    Kpi("overloaded_people", "people", "employees busy 95% of their working time or more",
        "{:.0f}", False),
    Kpi("busiest_person_utilisation", "share", "utilisation of the busiest employee", "{:.3f}",
        False),
    Kpi("warmup_estimate_days", "working days", "end of the start-up transient of open "
        "documents, by MSER-5 (White 1997)", "{:.1f}", False),
    Kpi("incident_recovery_days", "working days", "from the start of a dated incident until "
        "the open documents at 10:00 of the bodies the incidents touched are back in their "
        "range of the output.incident_band_days working days before it (the longest over the "
        "run's incidents; NaN: none, or not within the horizon)",
        "{:.1f}", False),
    Kpi("incident_excess_days", "working days", "from the first dated incident's start until "
        "the open documents at 10:00 of the bodies the incidents touched are within "
        "output.incident_excess_share of the same replication run without the incidents (what "
        "absences or a ramp do anyway cancels; NaN: none, or not within the horizon)", "{:.1f}",
        False),
    Kpi("incident_late_documents", "documents", "documents that missed their deadline because "
        "of the dated incidents: late documents minus those of the same replication run "
        "without them (NaN: no incidents)", "{:.0f}", False),
)}
#: Every KPI name, in summary.csv's column order.
KPI_COLUMNS: list[str] = list(KPIS)
#: Name -> meaning, as summary.json carries it.
KPI_DESCRIPTIONS: dict[str, str] = {k.name: k.meaning for k in KPIS.values()}
#: The KPIs of the short tables, in order.
MAIN_KPIS: list[str] = [k.name for k in KPIS.values() if k.main]
