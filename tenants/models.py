from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Tenant(TenantMixin):
    """A plant or company. Its business data lives in the PostgreSQL schema `schema_name`."""

    class Plan(models.TextChoices):
        FREE = "free", "Free"
        STANDARD = "standard", "Standard"
        PREMIUM = "premium", "Premium"

    class Status(models.TextChoices):
        PROVISIONING = "provisioning", "Provisioning"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        ARCHIVED = "archived", "Archived"

    slug = models.SlugField(max_length=30, unique=True, help_text="Subdomain: <slug>.<base domain>.")
    name = models.CharField(max_length=200)
    plan = models.CharField(max_length=16, choices=Plan.choices, default=Plan.FREE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROVISIONING)
    # The cell (database) the tenant's schema lives in: `default` or a name from the CELLS setting (cells.config).
    cell = models.CharField(max_length=30, default="default", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Schemas are created and dropped by tenants.services only, inside the same transaction as the registry row.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class SchemaTemplate(models.Model):
    """The SQL that recreates the migrated template schema, keyed by the migrations it reflects.

    Provisioning runs this SQL under the new tenant's schema name instead of replaying every migration.
    """

    fingerprint = models.CharField(max_length=64, unique=True)
    migration_count = models.PositiveIntegerField()
    sql = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"template {self.fingerprint[:12]} ({self.migration_count} migrations)"


class SpareSchema(models.Model):
    """A schema already built from the template and waiting to become a tenant's (claimed by a rename).

    Keyed by the template fingerprint it was built from; spares of an older fingerprint are dropped, never claimed.
    """

    schema_name = models.CharField(max_length=63, unique=True)
    fingerprint = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.schema_name
