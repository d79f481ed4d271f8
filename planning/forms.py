"""Forms of the planning web UI. Each validates input and calls one service; a domain error lands on its field."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from core.form_fields import PlainIntegerField
from core.forms import ServiceForm
from planning import services
from planning.models import MrpRun


class MrpRunForm(ServiceForm):
    horizon_days = PlainIntegerField(
        label="Planning horizon (days)",
        required=False,
        min_value=1,
        max_value=services.MAX_HORIZON_DAYS,
        help_text="Only demand due within this many days counts. Leave empty to plan all open demand.",
    )

    def call_service(self, user: AbstractBaseUser) -> MrpRun:
        return services.mrp_run_create(user=user, **self.cleaned_data)
