"""The process-mining event log: one row per step, as CSV and as XES (IEEE 1849).

A *case* is one document in one run (platform and replication), so that logs of several runs can
be mined together or filtered apart. Each step is an *activity* done by a *resource* (an
employee) with a start and a complete timestamp. Timestamps are ISO 8601 local times counted
from ``calendar.start_date`` (the model has no time zone).

The CSV uses the column names process-mining tools map by default (``case_id``, ``activity``,
``resource``, ``start_timestamp``, ``complete_timestamp``). The XES file holds a ``start`` and a
``complete`` event per step (lifecycle extension), with the standard concept, time, lifecycle and
org extensions; it is written with :mod:`xml.etree` so that no process-mining library is needed
to produce it.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.config.architectures import ARCHITECTURES

__all__ = ["EVENT_LOG_COLUMNS", "body_table", "event_log", "write_csv", "write_xes"]

EVENT_LOG_COLUMNS = [
    "case_id", "activity", "resource", "role", "start_timestamp", "complete_timestamp",
    "platform", "architecture", "replication", "document", "document_type", "body", "body_kind",
    "at_home", "unofficial",
]

# The standard XES extensions (xes-standard.org), declared in the log header.
XES_EXTENSIONS = [
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
]
_TRACE_ATTRIBUTES = ["platform", "architecture", "replication", "document", "document_type",
                     "body", "body_kind"]


def body_table(scenario: Scenario) -> pd.DataFrame:
    """Name, kind and own platform of every body, by body id (as the population numbers them)."""
    rows = []
    for group in scenario.bodies:
        rows += [(name, group.kind, group.platform) for name in group.body_names()]
    return pd.DataFrame(rows, columns=["name", "kind", "own_platform"])


def _timestamps(start: dt.datetime, minutes: pd.Series) -> pd.Series:
    # Millisecond resolution: steps can be shorter than a second (platform interactions).
    ms = np.round(minutes.to_numpy(dtype=float) * 60_000.0).astype("int64")
    return pd.Series(pd.Timestamp(start) + pd.to_timedelta(ms, unit="ms"), index=minutes.index)


def event_log(steps: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Turn ``steps.csv`` rows into an event log with one row per step, in time order per case.

    ``platform`` is the system the body used: under the ``mixed`` architecture each body's own.
    """
    start = dt.datetime.combine(dt.date.fromisoformat(scenario.calendar.start_date), dt.time())
    bodies = body_table(scenario)
    arch = steps.platform.astype(str)
    # The system each step ran on: the architecture's own, or under one that leaves the choice
    # to each body (mixed), the body's.
    system = arch.map({a.name: a.system for a in ARCHITECTURES.values()})
    own = steps.body.map(bodies.own_platform)
    log = pd.DataFrame({
        "case_id": arch + "-r" + steps.replication.astype(str) + "-" + steps.document.astype(str),
        "activity": steps.step,
        "resource": "employee-" + steps.employee.astype(str),
        "role": steps.role,
        "start_timestamp": _timestamps(start, steps.start_min),
        "complete_timestamp": _timestamps(start, steps.end_min),
        "platform": system.where(system.notna(), own),
        "architecture": arch,
        "replication": steps.replication,
        "document": steps.document,
        "document_type": steps.type,
        "body": steps.body.map(bodies.name),
        "body_kind": steps.body.map(bodies.kind),
        "at_home": steps.at_home.astype(bool),
        "unofficial": steps.unofficial.astype(bool),
    })
    # Stable sort: steps that start together keep the order in which they were taken up.
    return log.sort_values(["case_id", "start_timestamp", "complete_timestamp"],
                           kind="stable").reset_index(drop=True)[EVENT_LOG_COLUMNS]


def _iso(ts: pd.Series) -> pd.Series:
    """ISO 8601 with milliseconds, vectorised (formatting one by one takes seconds)."""
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3]


def write_csv(log: pd.DataFrame, path: Path) -> None:
    """The event log as CSV, timestamps in ISO 8601 with milliseconds."""
    out = log.copy()
    for col in ("start_timestamp", "complete_timestamp"):
        out[col] = _iso(out[col])
    out.to_csv(path, index=False)


def _attr(parent: ET.Element, key: str, value: object) -> None:
    if isinstance(value, bool | np.bool_):
        ET.SubElement(parent, "boolean", key=key, value="true" if value else "false")
    elif isinstance(value, int | np.integer):
        ET.SubElement(parent, "int", key=key, value=str(int(value)))
    else:
        ET.SubElement(parent, "string", key=key, value=str(value))


def _header(name: str) -> ET.Element:
    root = ET.Element("log", {"xes.version": "1.0", "xes.features": "nested-attributes",
                              "xmlns": "http://www.xes-standard.org/"})
    for ext_name, prefix, uri in XES_EXTENSIONS:
        ET.SubElement(root, "extension", name=ext_name, prefix=prefix, uri=uri)
    for scope, keys in (("trace", ["concept:name"]),
                        ("event", ["concept:name", "lifecycle:transition", "org:resource"])):
        glob = ET.SubElement(root, "global", scope=scope)
        for key in keys:
            ET.SubElement(glob, "string", key=key, value="UNKNOWN")
    ET.SubElement(root, "classifier", name="Activity", keys="concept:name")
    _attr(root, "concept:name", name)
    return root


def write_xes(log: pd.DataFrame, path: Path, name: str = "docflow-sim") -> None:
    """The event log as XES: a trace per case, a ``start`` and a ``complete`` event per step.

    Written trace by trace (each serialised by xml.etree), so memory stays at one trace and a
    large log takes seconds rather than minutes.
    """
    header = ET.tostring(_header(name), encoding="unicode")
    head, tail = header[: -len("</log>")], "</log>\n"
    cols = {c: log[c].tolist() for c in ("case_id", "activity", "resource", "role", "at_home")}
    traces = {c: log[c].tolist() for c in _TRACE_ATTRIBUTES}
    starts = _iso(log.start_timestamp).tolist()
    ends = _iso(log.complete_timestamp).tolist()
    n = len(log)
    with open(path, "w", encoding="utf-8") as out:
        out.write("<?xml version='1.0' encoding='utf-8'?>\n")
        out.write(head + "\n")
        i = 0
        while i < n:
            j = i
            case = cols["case_id"][i]
            while j < n and cols["case_id"][j] == case:
                j += 1
            out.write(ET.tostring(_trace(cols, traces, starts, ends, i, j), encoding="unicode"))
            out.write("\n")
            i = j
        out.write(tail)


def _trace(cols: dict, traces: dict, starts: list[str], ends: list[str], i: int,
           j: int) -> ET.Element:
    """Rows ``i..j-1`` (one case, in start order) as a trace of start and complete events."""
    trace = ET.Element("trace")
    _attr(trace, "concept:name", cols["case_id"][i])
    for key in _TRACE_ATTRIBUTES:
        _attr(trace, key, traces[key][i])
    # At equal times a step completes before the next one starts (ISO strings sort in time).
    events = sorted(
        [(starts[k], 1, "start", k) for k in range(i, j)]
        + [(ends[k], 0, "complete", k) for k in range(i, j)]
    )
    for ts, _, transition, k in events:
        event = ET.SubElement(trace, "event")
        ET.SubElement(event, "string", key="concept:name", value=cols["activity"][k])
        ET.SubElement(event, "string", key="lifecycle:transition", value=transition)
        ET.SubElement(event, "date", key="time:timestamp", value=ts)
        ET.SubElement(event, "string", key="org:resource", value=cols["resource"][k])
        ET.SubElement(event, "string", key="org:role", value=cols["role"][k])
        _attr(event, "at_home", cols["at_home"][k])
    return trace
