"""Moved to core.validators (issue 19); this re-export goes once every branch imports from core."""

from core.validators import (  # noqa: F401
    MAX_LEAD_TIME_DAYS,
    PLAN_DATE_MAX,
    PLAN_DATE_MIN,
    plan_date_error,
    validate_lead_time,
    validate_plan_date,
)
