"""The process-mining event log: one row per step, as CSV and as XES (IEEE 1849), gzipped.

A *case* is one document in one run (platform and replication), so that logs of several runs can
be mined together or filtered apart. Each step is an *activity* done by a *resource* (an
employee) with a start and a complete timestamp. Timestamps are ISO 8601 times counted from
midnight of ``calendar.start_date`` in Kazakhstan's civil-service time zone,
:data:`~sim.experiments.replications.TIME_ZONE` (Asia/Almaty), with its UTC offset (``+06:00``,
``+05:00`` from March 2024). Each case says whether its document was still open at the horizon
(``case_open``) and whether it was created in the warm-up the KPIs leave out
(``case_in_warmup``), so that a miner can keep the cases the KPIs count.

The CSV uses the column names process-mining tools map by default (``case_id``, ``activity``,
``resource``, ``start_timestamp``, ``complete_timestamp``). The XES file holds a ``start`` and a
``complete`` event per step (lifecycle extension), with the standard concept, time, lifecycle and
org extensions; pm4py reads it gzipped as it is. No process-mining library is needed to write it.

A baseline run has about a million steps: the log is gigabytes of text. So it is formatted
column by column (each distinct value escaped once) rather than element by element, and
compressed on a second thread while the next chunk is formatted (:class:`TextOut`);
:func:`write_frame_csv`, the same fast path for any frame, writes exactly what
``DataFrame.to_csv(index=False)`` writes, and the run folder uses it for its large tables too.
"""

from __future__ import annotations

import datetime as dt
import gzip
import xml.etree.ElementTree as ET
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.config.architectures import ARCHITECTURES
from sim.experiments.replications import TIME_ZONE
from sim.model.calendar import warmup_marks

__all__ = ["EVENT_LOG_COLUMNS", "body_table", "event_log", "write_csv", "write_xes",
           "write_event_log", "write_frame_csv", "TextOut", "GZIP_LEVEL"]

EVENT_LOG_COLUMNS = [
    "case_id", "activity", "resource", "role", "start_timestamp", "complete_timestamp",
    "platform", "architecture", "replication", "document", "document_type", "body", "body_kind",
    "case_open", "case_in_warmup", "at_home", "unofficial",
]

# The standard XES extensions (xes-standard.org), declared in the log header.
XES_EXTENSIONS = [
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
]
_TRACE_ATTRIBUTES = ["platform", "architecture", "replication", "document", "document_type",
                     "body", "body_kind", "case_open", "case_in_warmup"]
#: gzip level of the compressed outputs: level 1 compresses this repetitive text to about the
#: size level 6 does (within a fifth) at several times the speed.
GZIP_LEVEL = 1
_CHUNK_CHARS = 1 << 22  # text handed to the compressing thread at a time
_CSV_ROWS = 50_000  # rows formatted at a time
_XES_ROWS = 20_000  # steps turned into XES traces at a time


def body_table(scenario: Scenario) -> pd.DataFrame:
    """Name, kind and own platform of every body, by body id (as the population numbers them)."""
    rows = []
    for group in scenario.bodies:
        rows += [(name, group.kind, group.platform) for name in group.body_names()]
    return pd.DataFrame(rows, columns=["name", "kind", "own_platform"])


def _milliseconds(minutes: pd.Series) -> np.ndarray:
    # Millisecond resolution: steps can be shorter than a second (platform interactions).
    return np.round(minutes.to_numpy(dtype=float) * 60_000.0).astype("int64")


def _timestamps(start: dt.datetime, ms: np.ndarray, index: pd.Index) -> pd.Series:
    """Wall-clock times ``start + ms`` in :data:`TIME_ZONE` (time-zone aware)."""
    local = pd.Series(pd.Timestamp(start) + pd.to_timedelta(ms, unit="ms"), index=index)
    # Kazakhstan has no daylight saving; the hour repeated when Almaty moved from UTC+6 to
    # UTC+5 (1 March 2024) is taken as the later one.
    return local.dt.tz_localize(TIME_ZONE, ambiguous=np.zeros(len(local), dtype=bool),
                                nonexistent="shift_forward")


def _ms(ts: pd.Series) -> np.ndarray:
    """Milliseconds since the epoch (UTC) of a time column, aware of its zone or not."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_convert(None)
    return ts.to_numpy().astype("datetime64[ms]").astype("int64")


def _per_value(series: pd.Series, text: Any, dtype: Any) -> pd.Series:
    """``text(value)`` of every value, computed once per distinct value."""
    codes, uniques = pd.factorize(series)
    table = np.array([text(u) for u in uniques.tolist()], dtype=object)
    return pd.Series(table[codes], index=series.index, dtype=dtype)


def event_log(steps: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Turn ``steps.csv`` rows into an event log with one row per step, in time order per case.

    ``platform`` is the system the body used: under the ``mixed`` architecture each body's own.
    Rows are sorted by case id (as text), start and completion, stably: steps that start
    together keep the order in which they were taken up.
    """
    start = dt.datetime.combine(dt.date.fromisoformat(scenario.calendar.start_date), dt.time())
    bodies = body_table(scenario)
    arch = steps.platform.astype(str)
    # The system each step ran on: the architecture's own, or under one that leaves the choice
    # to each body (mixed), the body's.
    system = arch.map({a.name: a.system for a in ARCHITECTURES.values()})
    own = steps.body.map(bodies.own_platform)
    # A case is (architecture, replication, document): its id is made once per case.
    case = steps.groupby([arch, steps.replication, steps.document], sort=False,
                         dropna=False).ngroup().to_numpy()
    first = np.unique(case, return_index=True)[1]
    ids = np.array([f"{a}-r{r}-{d}" for a, r, d in zip(
        arch.to_numpy()[first].tolist(), steps.replication.to_numpy()[first].tolist(),
        steps.document.to_numpy()[first].tolist(), strict=True)], dtype=object)
    rank = pd.factorize(ids, sort=True)[0]  # the order of the ids as text
    start_ms, end_ms = _milliseconds(steps.start_min), _milliseconds(steps.end_min)
    warmup_end = warmup_marks(scenario, None)[0]
    is_open = (steps.document_open.astype(bool) if "document_open" in steps
               else pd.Series(pd.NA, index=steps.index, dtype="boolean"))
    in_warmup = (steps.created_min < warmup_end if "created_min" in steps
                 else pd.Series(pd.NA, index=steps.index, dtype="boolean"))
    log = pd.DataFrame({
        "case_id": pd.Series(ids[case], index=steps.index, dtype=arch.dtype),
        "activity": steps.step,
        "resource": _per_value(steps.employee, lambda e: f"employee-{e}", arch.dtype),
        "role": steps.role,
        "start_timestamp": _timestamps(start, start_ms, steps.index),
        "complete_timestamp": _timestamps(start, end_ms, steps.index),
        "platform": system.where(system.notna(), own),
        "architecture": arch,
        "replication": steps.replication,
        "document": steps.document,
        "document_type": steps.type,
        "body": steps.body.map(bodies.name),
        "body_kind": steps.body.map(bodies.kind),
        "case_open": is_open,
        "case_in_warmup": in_warmup,
        "at_home": steps.at_home.astype(bool),
        "unofficial": steps.unofficial.astype(bool),
    })
    order = np.lexsort((end_ms, start_ms, rank[case]))  # stable, the last key first
    return log.take(order).reset_index(drop=True)[EVENT_LOG_COLUMNS]


class TextOut:
    """A text file written in large chunks, gzip-compressed when its name ends in ``.gz``.

    Compression runs on a second thread (zlib releases the GIL), so it overlaps the formatting
    of the next chunk. The gzip header holds no time stamp: the same text gives the same bytes.
    Use as a context manager; leaving on an exception closes the file without waiting.
    """

    def __init__(self, path: str | Path, level: int = GZIP_LEVEL) -> None:
        path = Path(path)
        self._raw = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._gz = (gzip.GzipFile(filename=path.name, mode="wb", fileobj=self._raw,
                                  compresslevel=level, mtime=0)
                    if path.suffix == ".gz" else None)
        self._thread = ThreadPoolExecutor(1, "gzip") if self._gz is not None else None
        self._pending: deque[Future[Any]] = deque()
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        """Append text."""
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _CHUNK_CHARS:
            self._flush()

    def _flush(self) -> None:
        data = "".join(self._parts).encode("utf-8")
        self._parts, self._size = [], 0
        if self._thread is None:
            self._raw.write(data)
            return
        self._pending.append(self._thread.submit(self._gz.write, data))  # type: ignore[union-attr]
        while len(self._pending) > 2:  # at most a few chunks in memory
            self._pending.popleft().result()

    def close(self, abort: bool = False) -> None:
        """Write what is left and close (with ``abort``: close at once, the file is garbage)."""
        try:
            if not abort:
                self._flush()
                while self._pending:
                    self._pending.popleft().result()
        finally:
            if self._thread is not None:
                self._thread.shutdown(wait=True, cancel_futures=True)
            if self._gz is not None:
                self._gz.close()
            self._raw.close()

    def __enter__(self) -> TextOut:
        return self

    def __exit__(self, exc_type: Any, _exc: Any, _tb: Any) -> None:
        self.close(abort=exc_type is not None)


_CSV_SPECIAL = (",", '"', "\n", "\r")


def _csv_field(text: str) -> str:
    """One CSV field as the csv module's minimal quoting writes it."""
    if any(c in text for c in _CSV_SPECIAL):
        return '"' + text.replace('"', '""') + '"'
    return text


def _texts(series: pd.Series) -> list[str]:
    """The values of a non-numeric column as ``str``, '' for missing ones."""
    if series.hasnans:
        series = series.astype(object).where(series.notna(), "")
    return list(map(str, series.to_numpy().tolist()))


def _special(texts: list[str], chars: tuple[str, ...]) -> bool:
    """Whether any of ``texts`` holds any of ``chars`` (one scan of the joined text)."""
    joined = "\0".join(texts)
    return any(c in joined for c in chars)


def _csv_column(series: pd.Series) -> list[str]:
    """A column as ``to_csv`` prints it: shortest round-trip floats, NaN as ''."""
    kind = series.dtype.kind
    if kind == "f":
        values = series.to_numpy()
        out = list(map(repr, values.tolist()))
        for i in np.flatnonzero(np.isnan(values)).tolist():
            out[i] = ""
        return out
    if kind in "iub" and not series.hasnans:
        return list(map(str, series.to_numpy().tolist()))
    out = _texts(series)  # also a nullable integer column with gaps: '' as to_csv writes
    return list(map(_csv_field, out)) if _special(out, _CSV_SPECIAL) else out


def write_frame_csv(frame: pd.DataFrame, out: TextOut | str | Path) -> None:
    """``frame`` as CSV, the bytes ``frame.to_csv(index=False)`` writes, several times faster.

    ``out`` is a path (``.gz``: compressed) or an open :class:`TextOut`.
    """
    if not isinstance(out, TextOut):
        with TextOut(out) as handle:
            write_frame_csv(frame, handle)
        return
    out.write(",".join(_csv_field(str(c)) for c in frame.columns) + "\n")
    for start in range(0, len(frame), _CSV_ROWS):
        part = frame.iloc[start:start + _CSV_ROWS]
        columns = [_csv_column(part[c]) for c in part.columns]
        out.write("\n".join(map(",".join, zip(*columns, strict=True))) + "\n")


_CLOCK: list[str] = []  # "HH:MM:SS" of every second of a day, made on first use


def _iso(ts: pd.Series) -> np.ndarray:
    """ISO 8601 with milliseconds (and a zone-aware column's offset): ``...T09:00:59.087+06:00``.

    Made from tables of the distinct days, the seconds of a day, the milliseconds and the
    offsets: a few look-ups a time stamp instead of a formatting (several times faster than
    strftime).
    """
    if not _CLOCK:
        _CLOCK.extend(f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60)
                      for s in range(60))
    offsets = None
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        local = ts.dt.tz_localize(None)  # the wall clock in the zone
        offsets = ((local.to_numpy().astype("datetime64[ms]").astype("int64") - _ms(ts))
                   // 60_000)
        ts = local
    stamps = ts.to_numpy().astype("datetime64[ms]")
    if not len(stamps) or np.isnat(stamps).any():
        return np.datetime_as_string(stamps, unit="ms").astype(object)
    ms = stamps.astype("int64")
    day, rest = np.divmod(ms, 86_400_000)
    first = int(day.min())
    dates = np.datetime_as_string(np.arange(first, int(day.max()) + 1).astype("datetime64[D]"))
    days = np.array([f"{d}T" for d in dates.tolist()], dtype=object)
    clock = np.array(_CLOCK, dtype=object)
    millis = np.array([f".{i:03d}" for i in range(1000)], dtype=object)
    second, milli = np.divmod(rest, 1000)
    text = days[day - first] + clock[second] + millis[milli]
    if offsets is not None:
        codes, uniques = pd.factorize(offsets)
        suffix = np.array([f"{'+' if o >= 0 else '-'}{abs(o) // 60:02d}:{abs(o) % 60:02d}"
                           for o in uniques.tolist()], dtype=object)
        text = text + suffix[codes]
    return text


def _iso_pair(log: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return _iso(log.start_timestamp), _iso(log.complete_timestamp)


def write_csv(log: pd.DataFrame, path: str | Path,
              iso: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """The event log as CSV (gzipped if ``path`` ends in .gz), timestamps in ISO 8601 with ms.

    ``iso``: the two timestamp columns as text, if already made.
    """
    out = log.copy()
    out["start_timestamp"], out["complete_timestamp"] = iso if iso is not None \
        else _iso_pair(log)
    write_frame_csv(out, path)


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                          "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"})
_XML_SPECIAL = ("&", "<", ">", '"', "\n", "\r", "\t")


def _escape(value: object) -> str:
    """An XML attribute value, escaped as xml.etree does."""
    return str(value).translate(_ESCAPES)


def _escaped(series: pd.Series) -> list[str]:
    """Every value of a column as an escaped XML attribute value."""
    texts = _texts(series)
    return [t.translate(_ESCAPES) for t in texts] if _special(texts, _XML_SPECIAL) else texts


def _attr(parent: ET.Element, key: str, value: object) -> None:
    if isinstance(value, bool | np.bool_):
        ET.SubElement(parent, "boolean", key=key, value="true" if value else "false")
    elif isinstance(value, int | np.integer):
        ET.SubElement(parent, "int", key=key, value=str(int(value)))
    else:
        ET.SubElement(parent, "string", key=key, value=str(value))


def _attr_text(key: str, value: object) -> str:
    """One typed attribute as xml.etree would write :func:`_attr`'s element."""
    if isinstance(value, bool | np.bool_):
        return f'<boolean key="{key}" value="{"true" if value else "false"}" />'
    if isinstance(value, int | np.integer):
        return f'<int key="{key}" value="{int(value)}" />'
    return f'<string key="{key}" value="{_escape(value)}" />'


def _attr_column(key: str, series: pd.Series) -> list[str]:
    """:func:`_attr_text` of every value of a column (typed by column where it can be)."""
    kind = series.dtype.kind
    if kind == "b":
        return [f'<boolean key="{key}" value="{"true" if v else "false"}" />'
                for v in series.tolist()]
    if kind in "iu":
        return [f'<int key="{key}" value="{v}" />' for v in series.tolist()]
    if pd.api.types.is_string_dtype(series) and not series.hasnans:
        return [f'<string key="{key}" value="{v}" />' for v in _escaped(series)]
    return [_attr_text(key, v) for v in series.tolist()]


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


def write_xes(log: pd.DataFrame, path: str | Path, name: str = "docflow-sim",
              iso: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """The event log as XES (gzipped if ``path`` ends in .gz): a trace per case.

    Each step is a ``start`` and a ``complete`` event, in time order within the trace (at equal
    times a step completes before the next one starts). ``log`` is :func:`event_log`'s frame
    (rows of a case together, in start order); ``iso`` its start and complete timestamps as
    text, if already made. The text is what xml.etree writes for the same elements, built
    column by column, a few thousand traces at a time.
    """
    header = ET.tostring(_header(name), encoding="unicode")
    n = len(log)
    starts, ends = iso if iso is not None else _iso_pair(log)
    cases = log.case_id.to_numpy()
    firsts = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]]) if n else np.zeros(0, int)
    bounds = np.r_[firsts, n]
    with TextOut(path) as out:
        out.write("<?xml version='1.0' encoding='utf-8'?>\n")
        out.write(header[: -len("</log>")] + "\n")
        t0 = 0
        while t0 < len(firsts):  # whole traces, about _XES_ROWS steps at a time
            t1 = int(np.searchsorted(bounds, bounds[t0] + _XES_ROWS, side="right")) - 1
            t1 = min(max(t1, t0 + 1), len(firsts))
            a, b = int(bounds[t0]), int(bounds[t1])
            out.write(_xes_traces(log.iloc[a:b], starts[a:b], ends[a:b], bounds[t0:t1 + 1] - a))
            t0 = t1
        out.write("</log>\n")


def _xes_traces(part: pd.DataFrame, starts: np.ndarray, ends: np.ndarray,
                bounds: np.ndarray) -> str:
    """The traces of ``part`` (whole cases; ``bounds``: where each starts, then its end)."""
    m = len(part)
    firsts = bounds[:-1]
    cases = part.iloc[firsts]
    opening = ["<trace>" + "".join(parts) for parts in zip(
        *[_attr_column(k, cases[c]) for k, c in
          [("concept:name", "case_id"), *((a, a) for a in _TRACE_ATTRIBUTES)]], strict=True)]
    # A step's two events differ only in the transition and the time stamp.
    head = [f'<event><string key="concept:name" value="{a}" /><string '
            f'key="lifecycle:transition" value="' for a in _escaped(part.activity)]
    tail = [f'" /><string key="org:resource" value="{r}" /><string key="org:role" '
            f'value="{o}" /><boolean key="at_home" value="{"true" if h else "false"}" />'
            f'</event>' for r, o, h in zip(_escaped(part.resource), _escaped(part.role),
                                           part.at_home.tolist(), strict=True)]
    # Order: case, time, complete before start, then the step's place in the log.
    trace = np.repeat(np.arange(len(firsts)), np.diff(bounds))
    ms = np.concatenate([_ms(part.start_timestamp), _ms(part.complete_timestamp)])
    steps = np.arange(m)
    order = np.lexsort((np.r_[steps, steps], np.r_[np.ones(m, np.int8), np.zeros(m, np.int8)],
                        ms, np.r_[trace, trace])).tolist()
    st, en = starts.tolist(), ends.tolist()
    date = '" /><date key="time:timestamp" value="'
    events = [f"{head[i]}start{date}{st[i]}{tail[i]}" if i < m
              else f"{head[i - m]}complete{date}{en[i - m]}{tail[i - m]}" for i in order]
    edges = (2 * bounds).tolist()
    return "".join(f"{text}{''.join(events[edges[t]:edges[t + 1]])}</trace>\n"
                   for t, text in enumerate(opening))


def write_event_log(log: pd.DataFrame, csv_path: str | Path, xes_path: str | Path,
                    name: str = "docflow-sim") -> None:
    """:func:`write_csv` and :func:`write_xes` of one log, its timestamps formatted once."""
    iso = _iso_pair(log)
    write_csv(log, csv_path, iso)
    write_xes(log, xes_path, name, iso)
