"""Field types and checks shared by the scenario's sections."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Spec", "Share", "Positive", "NonNegative", "OutageHours", "SHARE_TOLERANCE",
           "check_shares", "iso_date", "BodyKind", "BODY_KINDS"]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
# Mean up or down times of an outage process: at least 36 seconds, at most ~114 years (sanity
# bounds: shorter would mean millions of outages a day, longer is 'never', written null).
OutageHours = Annotated[float, Field(ge=0.01, le=1_000_000.0)]
SHARE_TOLERANCE = 1e-6
#: Kinds of state body (reports by kind, office link classes, migration waves).
BodyKind = Literal["central_ministry", "committee", "territorial_division", "local_executive",
                   "district_akimat"]
BODY_KINDS: tuple[str, ...] = get_args(BodyKind)


class Spec(BaseModel):
    """A section of a scenario: unknown keys, NaN and infinity are errors."""

    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


def check_shares(shares: dict[str, float], what: str) -> dict[str, float]:
    """``shares`` if they sum to 1; a ValueError naming ``what`` otherwise."""
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        parts = ", ".join(f"{k}={v:g}" for k, v in shares.items())
        raise ValueError(f"{what} shares must sum to 1, got {total:g} ({parts})")
    return shares


def iso_date(text: str) -> dt.date:
    """The date of ``YYYY-MM-DD`` text; a ValueError saying what is expected otherwise."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date (expected YYYY-MM-DD)") from None
