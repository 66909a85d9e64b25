"""Recording a run and turning the records into KPIs.

Per-document statistics (cycle time, on-time) are kept apart from time-weighted ones (open
documents), as in salabim's level monitors. Open documents are integrated exactly between
changes. Per-document rows are kept only when asked for; cycle times are kept as a compact array.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.model.documents import CONFIDENTIALITY, DELAY_COMPONENTS, Document
from sim.model.platforms import Delivery
from sim.model.policy import PolicyEvent
from sim.model.work import Step

__all__ = ["Recorder", "RunRecords", "DOCUMENT_COLUMNS", "STEP_COLUMNS"]


#: ``received_from``: the body that sent this document (``b0-414>3>0``, at body 0, came from body
#: 3), empty for one created at its own body. Delays below 0 by float rounding (-1e-13) are 0.
DOCUMENT_COLUMNS = [
    "id", "replication", "platform", "body", "body_kind", "received_from", "type",
    "confidentiality", "created_min", "completed_min", "deadline_min", "cycle_time_h", "on_time",
    "rework", "unofficial", *[f"delay_{c}_min" for c in DELAY_COMPONENTS],
]
#: ``created_min``: when the step's document was created; ``document_open``: the document was
#: still open at the horizon (the event log's case flags).
STEP_COLUMNS = [
    "document", "replication", "platform", "body", "type", "step", "employee", "role",
    "enqueued_min", "start_min", "end_min", "at_home", "unofficial", "system", "interruptions",
    "created_min", "document_open",
]
_ROUNDING = 1e-6  # minutes: a negative delay above -_ROUNDING is float noise, written as 0


@dataclass
class RunRecords:
    """Everything one replication of one architecture produced."""

    platform: str
    replication: int
    kpis: dict[str, float]
    documents: pd.DataFrame | None
    timeseries: pd.DataFrame
    steps: pd.DataFrame | None
    saturated_resource: str = ""  # the busiest role, server or VPN pool (sim.model.stability)
    # Whole-run counts, warm-up included (the KPIs count the window only): documents created,
    # completed and open at the horizon, and steps done. The benchmark reads them.
    totals: dict[str, int] = field(default_factory=dict)
    #: Dated policy events (scheduled shares, migration waves, incidents), in time order.
    events: list[PolicyEvent] = field(default_factory=list)
    #: Open documents of the watched bodies (those incidents touch) at the time series' times.
    watched_open: np.ndarray | None = None


class Recorder:
    """Collects what the flow reports during one run (implements ``FlowObserver``)."""

    def __init__(
        self, platform: str, replication: int, warmup_end: float, horizon: float,
        keep_documents: bool, keep_steps: bool, body_kinds: list[str],
        watch: frozenset[int] = frozenset(),
    ) -> None:
        self.platform = platform
        self.replication = replication
        self.warmup_end = warmup_end
        self.horizon = horizon
        self.keep_documents = keep_documents
        self.keep_steps = keep_steps
        self.body_kinds = body_kinds
        self.created_after_warmup = 0
        self.cycle_times = array("d")
        self.on_time = 0  # completed by the deadline, among documents due by the horizon
        self.due_completed = 0  # completed documents whose deadline fell within the horizon
        self.extended = 0  # of those due by the horizon, the documents whose term was extended
        self.unofficial = 0
        self.left_system = dict.fromkeys(CONFIDENTIALITY, 0)
        self.steps_interrupted = 0
        self.steps_in_window = 0
        self.rework = 0
        self.completed_in_window = 0
        self.completed_count = 0
        self.shares_sum = [0.0] * len(DELAY_COMPONENTS)
        self.doc_rows: list[tuple] = []
        self.step_rows: list[tuple] = []
        self.steps = 0
        self.remote_steps = 0
        self.connectivity_minutes = 0.0
        self.gateway_transmissions = 0
        self.gateway_resends = 0
        self._wip = 0
        self._wip_t = 0.0
        self._wip_area = 0.0
        # The time series as columns of machine numbers (8 bytes a value, not a tuple of Python
        # objects a row), so that memory grows as little as possible with simulated time.
        self._series_t, self._series_wip = array("d"), array("q")
        self._series_done, self._series_online = array("q"), array("d")
        # Open documents of a few bodies apart (the recovery from a local incident is theirs).
        self.watch = watch
        self._watched = 0
        self._series_watched = array("q")

    # ------------------------------------------------------------------ observer
    def _wip_change(self, t: float, delta: int) -> None:
        if t > self.warmup_end:
            start = max(self._wip_t, self.warmup_end)
            self._wip_area += self._wip * (min(t, self.horizon) - start)
        self._wip_t = t
        self._wip += delta

    def document_created(self, doc: Document) -> None:  # noqa: D102
        self._wip_change(doc.created, +1)
        if self.watch and doc.body in self.watch:
            self._watched += 1
        if doc.created >= self.warmup_end:
            self.created_after_warmup += 1

    def document_completed(self, doc: Document) -> None:  # noqa: D102
        t = doc.completed
        assert t is not None
        self._wip_change(t, -1)
        if self.watch and doc.body in self.watch:
            self._watched -= 1
        self.completed_count += 1
        if t >= self.warmup_end:
            self.completed_in_window += 1
        if doc.created < self.warmup_end:
            return
        cycle = t - doc.created
        self.cycle_times.append(cycle)
        if doc.deadline <= self.horizon:
            self.due_completed += 1
            self.on_time += t <= doc.deadline
            self.extended += doc.extended
        self.unofficial += doc.unofficial
        if doc.unofficial:
            self.left_system[doc.confidentiality] += 1
        self.rework += doc.rework
        if cycle > 0:
            for i, v in enumerate(doc.delays):
                self.shares_sum[i] += v / cycle
        if self.keep_documents:
            self.doc_rows.append(self._row(doc))

    def step_done(self, step: Step) -> None:  # noqa: D102
        self.steps += 1
        self.remote_steps += step.at_home
        if step.start >= self.warmup_end:
            # Working minutes only: an outage at night costs nobody any work.
            self.connectivity_minutes += step.lost_working
            self.steps_interrupted += step.interruptions > 0
            self.steps_in_window += 1
        if self.keep_steps:
            doc, emp = step.doc, step.emp
            self.step_rows.append((
                doc.id, self.replication, self.platform, doc.body, doc.type_name, step.name,
                emp.id, emp.role, step.enqueued, step.start, step.end, step.at_home,
                step.unofficial, step.system, step.interruptions, doc.created, False,
            ))

    def delivered(self, delivery: Delivery) -> None:  # noqa: D102
        attempts = delivery.attempts
        self.gateway_transmissions += attempts
        self.gateway_resends += max(0, attempts - 1)

    def sample(self, t: float, staff_online: float) -> None:
        """One row of the time series."""
        self._series_t.append(t)
        self._series_wip.append(self._wip)
        self._series_done.append(self.completed_count)
        self._series_online.append(staff_online)
        if self.watch:
            self._series_watched.append(self._watched)

    def _row(self, doc: Document) -> tuple:
        done = doc.completed
        cycle = None if done is None else (done - doc.created) / 60.0
        on_time = None if done is None else bool(done <= doc.deadline)
        return (
            doc.id, self.replication, self.platform, doc.body, self.body_kinds[doc.body],
            doc.origin_body, doc.type_name, doc.confidentiality, doc.created, done, doc.deadline,
            cycle, on_time, doc.rework, doc.unofficial,
            *(0.0 if -_ROUNDING < d < 0.0 else d for d in doc.delays),
        )

    # ------------------------------------------------------------------ results
    def finish(
        self, open_docs: list[Document], busy_minutes: float, staff: int,
        staff_working_minutes: float, window_working_days: float,
    ) -> RunRecords:
        """Close the books at the horizon and compute the KPIs."""
        self._wip_change(self.horizon, 0)
        horizon = self.horizon
        overdue_open = sum(1 for d in open_docs if d.deadline < horizon)
        overdue = [d for d in open_docs if d.deadline < horizon and d.created >= self.warmup_end]
        overdue_measured = len(overdue)
        extended = self.extended + sum(d.extended for d in overdue)
        if self.keep_documents:
            self.doc_rows.extend(self._row(d) for d in open_docs if d.created >= self.warmup_end)
        ct = np.frombuffer(self.cycle_times, dtype=float) / 60.0
        n_done = len(ct)
        due = self.due_completed + overdue_measured
        window_min = horizon - self.warmup_end
        kpis = {
            "documents_created": float(self.created_after_warmup),
            "documents_completed": float(n_done),
            "throughput_per_day": self.completed_in_window / window_working_days,
            "cycle_time_mean_h": float(ct.mean()) if n_done else math.nan,
            "cycle_time_p50_h": float(np.percentile(ct, 50)) if n_done else math.nan,
            "cycle_time_p95_h": float(np.percentile(ct, 95)) if n_done else math.nan,
            "on_time_rate": self.on_time / due if due else math.nan,
            "late_documents": float(due - self.on_time),
            "late_share": (due - self.on_time) / due if due else math.nan,
            "extended_share": extended / due if due else math.nan,
            "overdue_open": float(overdue_open),
            "wip_mean": self._wip_area / window_min if window_min > 0 else math.nan,
            "staff_utilisation": busy_minutes / staff_working_minutes,
            "connectivity_loss_h_per_employee": self.connectivity_minutes / 60.0 / staff,
            "unofficial_channel_share": self.unofficial / n_done if n_done else math.nan,
            **{f"left_system_{c}": float(n) for c, n in self.left_system.items()},
            "interrupted_step_share": (self.steps_interrupted / self.steps_in_window
                                       if self.steps_in_window else math.nan),
            "remote_step_share": self.remote_steps / self.steps if self.steps else math.nan,
            "rework_per_document": self.rework / n_done if n_done else math.nan,
            "gateway_transmissions": float(self.gateway_transmissions),
            "gateway_resends": float(self.gateway_resends),
        }
        for c, total in zip(DELAY_COMPONENTS, self.shares_sum, strict=True):
            kpis[f"delay_share_{c}"] = total / n_done if n_done else math.nan
        documents = (
            pd.DataFrame.from_records(self.doc_rows, columns=DOCUMENT_COLUMNS)
            if self.keep_documents else None
        )
        if documents is not None:  # a body number, or empty: not 3.0 and NaN
            documents["received_from"] = documents.received_from.astype("Int64")
        steps = (
            pd.DataFrame.from_records(self.step_rows, columns=STEP_COLUMNS)
            if self.keep_steps else None
        )
        if steps is not None and open_docs:
            steps["document_open"] = steps.document.isin({d.id for d in open_docs})
        n = len(self._series_t)
        series = pd.DataFrame({
            "platform": [self.platform] * n,
            "replication": np.full(n, self.replication, dtype=np.int64),
            "time_min": np.frombuffer(self._series_t, dtype=np.float64),
            "open_documents": np.frombuffer(self._series_wip, dtype=np.int64),
            "completed_total": np.frombuffer(self._series_done, dtype=np.int64),
            "staff_online": np.frombuffer(self._series_online, dtype=np.float64),
        })
        totals = {"documents_created": self.completed_count + self._wip,
                  "documents_completed": self.completed_count, "open_at_horizon": self._wip,
                  "steps": self.steps}
        watched = (np.frombuffer(self._series_watched, dtype=np.int64) if self.watch
                   else None)
        return RunRecords(self.platform, self.replication, kpis, documents, series, steps,
                          totals=totals, watched_open=watched)
