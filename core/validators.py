"""Bounds of planning input, checked at every door (API, forms, admin through the model validators, CSV import).

A lead time of a million days or a promised date in year 1 is a typo, and date arithmetic on it (due date - lead
time) overflowed Python's dates and took the whole tenant's MRP down. Lead times are at most ten years; planning
dates (promised, expected, due) lie in 2000-2199, far wider than any plan and far inside what dates can hold.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator

MAX_LEAD_TIME_DAYS = 3650
PLAN_DATE_MIN = datetime.date(2000, 1, 1)
PLAN_DATE_MAX = datetime.date(2199, 12, 31)

validate_lead_time = MaxValueValidator(
    MAX_LEAD_TIME_DAYS, message=f"A lead time is at most {MAX_LEAD_TIME_DAYS} days (ten years)."
)


def plan_date_error(value: datetime.date) -> str | None:
    """Why `value` cannot be a planning date, or None."""
    if PLAN_DATE_MIN <= value <= PLAN_DATE_MAX:
        return None
    return f"must lie between {PLAN_DATE_MIN.isoformat()} and {PLAN_DATE_MAX.isoformat()}, got {value.isoformat()}"


def validate_plan_date(value: datetime.date) -> None:
    problem = plan_date_error(value)
    if problem:
        raise ValidationError(f"A planning date {problem}.", code="plan_date_range")
