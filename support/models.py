"""Support sessions: a public-side staff user reading one tenant, read-only (rows in the public schema)."""

from django.db import models

from tenants.models import Tenant


class SupportGrant(models.Model):
    """One support session: who reads which tenant, why, and until when. Written only by support.services.

    The staff user lives in the public schema's auth tables, so it is kept by name (a foreign key would resolve to
    the tenant's own auth_user when read during a tenant request).
    """

    class EndReason(models.TextChoices):
        ENDED = "ended", "Ended"
        EXPIRED = "expired", "Expired"

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="support_grants")
    tenant_slug = models.CharField(max_length=30)
    staff = models.CharField(max_length=150, help_text="Public-side staff username.")
    reason = models.TextField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    token_used_at = models.DateTimeField(null=True, blank=True, help_text="When the one-time link was exchanged.")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)

    class Meta:
        db_table = "tenants_supportgrant"  # created by the tenants app; the table kept its name
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("started_at")), name="support_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"support #{self.pk}: {self.staff} on {self.tenant_slug}"


class SupportEvent(models.Model):
    """The trail of a support session: start, entry on the tenant host, each refused write, end. Append-only."""

    class Kind(models.TextChoices):
        START = "start", "Started"
        ENTER = "enter", "Entered tenant"
        WRITE_REFUSED = "write_refused", "Write refused"
        END = "end", "Ended"
        EXPIRE = "expire", "Expired"

    grant = models.ForeignKey(SupportGrant, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=500, blank=True)
    actor = models.CharField(max_length=150, blank=True)

    class Meta:
        db_table = "tenants_supportevent"  # created by the tenants app; the table kept its name
        ordering = ["grant", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.grant_id} {self.kind} {self.method} {self.path}".strip()
