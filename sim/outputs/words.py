"""Words for what tables and plots show: delay components, KPIs on an axis, swept parameters.

One place for the run's plots, the HTML reports and the sweep plots, so that a component or a
parameter is named the same everywhere. Numbers in units are
:func:`sim.experiments.comparison.format_value`'s. No matplotlib here: the reports import this
module before they draw anything.
"""

from __future__ import annotations

import datetime as dt
import textwrap

from sim.experiments.comparison import display_unit
from sim.model.kpis import KPIS

__all__ = ["COMPONENT_WORDS", "component_words", "kpi_axis_label", "kpi_panel_label",
           "kpi_title", "parameter_words", "EVENT_KIND_WORDS", "event_kind_words",
           "date_words", "week_words", "event_reach_words"]

#: What each delay component of a document's cycle time is, in words. A component missing here
#: (a new one in ``DELAY_COMPONENTS``) is named by its id with spaces.
COMPONENT_WORDS = {
    "handling": "hands-on work",
    "queue": "waiting for a free employee",
    "office_day": "on-site-only work waiting for an office day",
    "off_hours": "outside working hours",
    "connectivity": "home or office connection down",
    "vpn": "waiting for a VPN session",
    "platform_outage": "document system down",
    "platform": "platform servers and network transfer",
    "gateway": "inter-agency gateway transit and resends",
    "rework": "drafts sent back and redone",
    "absence": "waiting for, or paused by, an absent employee",
    "migration": "a body's move to another system: slower work and importing documents",
    "deferred": "a draft put off until its term approaches",
    "other_duties": "the taker at other duties between the step's hands-on work",
}


def _in_words(table: dict[str, str], key: str) -> str:
    """``key`` in words from ``table`` (its id with spaces when it has none yet)."""
    return table.get(key, key.replace("_", " "))


def component_words(component: str) -> str:
    """A delay component in words (its id with spaces when it has none yet)."""
    return _in_words(COMPONENT_WORDS, component)


def kpi_title(kpi: str, width: int | None = None) -> str:
    """A KPI's meaning from the registry (its name with spaces when unknown), wrapped."""
    meaning = KPIS[kpi].meaning if kpi in KPIS else kpi.replace("_", " ")
    meaning = meaning[:1].upper() + meaning[1:]
    return "\n".join(textwrap.wrap(meaning, width)) if width else meaning


def kpi_panel_label(kpi: str, width: int = 36, lines: int = 3) -> str:
    """The KPI's name in words over its meaning, wrapped to ``width`` and cut to ``lines``."""
    name = kpi.replace("_", " ")
    body = textwrap.wrap(kpi_title(kpi), width)
    if len(body) > lines - 1:
        body = body[:lines - 1]
        body[-1] = body[-1].rstrip(",;:") + "…"
    return "\n".join([name, *body])


def kpi_axis_label(kpi: str, width: int = 48, difference: bool = False) -> str:
    """An axis label: the KPI's meaning and the unit its values are shown in, wrapped."""
    _, unit = display_unit(kpi, difference)
    text = kpi_title(kpi) + (f" ({unit})" if unit else "")
    if difference:
        text = f"OSDO − ESED: {text[:1].lower()}{text[1:]}"
    return "\n".join(textwrap.wrap(text, width))


def parameter_words(path: str) -> str:
    """A scenario path readable: ``staff.remote_share`` -> ``remote share (staff)``.

    List indices read as numbers (``bodies.0.staff`` -> ``staff (bodies #1)``).
    """
    parts = path.split(".")
    last = parts[-1].replace("_", " ")
    where = [f"#{int(p) + 1}" if p.isdigit() else p.replace("_", " ") for p in parts[:-1]]
    context = " ".join(where)
    return f"{last} ({context})" if context else last


#: What each kind of policy event (:class:`sim.model.policy.PolicyEvent`) is, in words.
EVENT_KIND_WORDS = {
    "step": "share changed",
    "ramp": "share ramped",
    "wave": "migration wave",
    "incident": "incident",
}


def event_kind_words(kind: str) -> str:
    """A policy event's kind in words (its id with spaces when it has none yet)."""
    return _in_words(EVENT_KIND_WORDS, kind)


# English month names whatever the process's locale (strftime's %B follows it).
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def date_words(iso: str, short: bool = False) -> str:
    """An ISO date as people write it: ``2023-01-23`` -> ``23 January 2023`` (``23 Jan``)."""
    day = dt.date.fromisoformat(iso)
    month = _MONTHS[day.month - 1]
    return f"{day.day} {month[:3]}" if short else f"{day.day} {month} {day.year}"


def week_words(week: int, monday: str) -> str:
    """A week of a run: ``week 3 (from Monday 23 January 2023)``."""
    return f"week {week} (from Monday {date_words(monday)})"


def event_reach_words(touched: list[str], every: bool, names: dict[str, str]) -> str:
    """Which architectures an event touched, after its label: '' when all of them.

    ``touched``: ids of those it touched; ``every``: whether that is all that ran; ``names``:
    how each id is shown. ``(OSDO only)``, ``(no effect)``.
    """
    if every:
        return ""
    if not touched:
        return " (no effect)"
    return f" ({', '.join(names.get(p, p.upper()) for p in touched)} only)"
