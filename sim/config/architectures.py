"""The architectures a run compares, each declared once: name, words, colour, document system.

A *document system* (``osdo``, ``esed``) is what a body works in; its behaviour is a class in
:mod:`sim.model.platforms` and its parameters a section of ``platform:`` in the scenario. An
*architecture* says which system each body uses in a run: all the same one, or (``mixed``) each
body its own ``bodies.*.platform``. Everything that names architectures (the schema's allowed
values, the CLI's ``--platform`` choices, plot colours, the report's words, the paired
comparison) reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Architecture", "ARCHITECTURES", "SYSTEMS", "PAIR", "ArchitectureName",
           "SystemName", "architecture_label"]


@dataclass(frozen=True)
class Architecture:
    """One architecture: how it is named, drawn and described, and which system bodies use."""

    name: str  #: the id in scenario files, on the command line and in output columns
    label: str  #: how tables and plots name it
    description: str  #: a few words for reports
    colour: str  #: its colour in every plot (a matplotlib colour)
    system: str | None  #: the system every body uses; None: each body its own

    @property
    def words(self) -> str:
        """Label and description, e.g. ``OSDO (one central cloud)``."""
        return f"{self.label} ({self.description})"


ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in (
    Architecture("osdo", "OSDO", "one central cloud", "tab:blue", "osdo"),
    Architecture("esed", "ESED", "a system per agency", "tab:orange", "esed"),
    Architecture("mixed", "mixed", "each body on its own system", "tab:green", None),
)}


def architecture_label(name: str) -> str:
    """How tables, plots and reports name an architecture (its id in capitals if unknown)."""
    return ARCHITECTURES[name].label if name in ARCHITECTURES else name.upper()


#: Document systems a body can be on (``bodies.*.platform``).
SYSTEMS: tuple[str, ...] = tuple(a.system for a in ARCHITECTURES.values() if a.system)
#: The two architectures the simulator exists to compare: differences are ``PAIR[0] - PAIR[1]``.
PAIR: tuple[str, str] = ("osdo", "esed")

# Static spellings of the names above, for the schema's type hints (a test keeps them equal).
ArchitectureName = Literal["osdo", "esed", "mixed"]
SystemName = Literal["osdo", "esed"]
