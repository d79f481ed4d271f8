"""Fleet operations records, all in the public schema: migration runs, the offboarding audit trail, archives, fan-out
runs and the cross-tenant report."""

from django.db import models

from tenants.models import Tenant


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "OK"
    FAILED = "failed", "Failed"
    STOPPED = "stopped", "Stopped (canary failed)"
    ABANDONED = "abandoned", "Abandoned (its process died)"


class FleetMigrationRun(models.Model):
    """One `manage.py migrate_fleet` invocation."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    actor = models.CharField(max_length=150)
    canary = models.CharField(max_length=63, blank=True, help_text="Schema migrated first.")
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    up_to_date = models.PositiveIntegerField(default=0, help_text="Schemas that had nothing to apply.")
    summary = models.TextField(blank=True)
    holder_pid = models.IntegerField(
        null=True, blank=True, help_text="PostgreSQL backend that holds the fleet lock for this run while it lives."
    )
    # Each cell is migrated by a run of its own, holding that cell's fleet lock (cells: several servers).
    cell = models.CharField(max_length=30, default="default", db_index=True)

    class Meta:
        db_table = "tenants_fleetmigrationrun"  # created by the tenants app; the table kept its name
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"fleet migration #{self.pk} ({self.status})"


class FleetMigrationRecord(models.Model):
    """What one fleet run did to one schema (a tenant's, or the provisioning template's)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (run stopped)"

    class Method(models.TextChoices):
        EXECUTOR = "executor", "Django migration executor"
        REPLAY = "replay", "Replayed SQL"

    run = models.ForeignKey(FleetMigrationRun, on_delete=models.CASCADE, related_name="records")
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    schema_name = models.CharField(max_length=63)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    method = models.CharField(max_length=16, choices=Method.choices, blank=True)
    migrations = models.TextField(help_text="The migrations that were pending, one app.name per line.")
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        db_table = "tenants_fleetmigrationrecord"  # created by the tenants app; the table kept its name
        ordering = ["run", "schema_name"]
        constraints = [models.UniqueConstraint(fields=["run", "schema_name"], name="fleet_record_one_per_schema")]

    def __str__(self) -> str:
        return f"{self.schema_name}: {self.status}"


class TenantAuditEvent(models.Model):
    """Who did what to a tenant, and when. Kept after the tenant is deleted (tenant_slug stays)."""

    class Action(models.TextChoices):
        SUSPEND = "suspend", "Suspend"
        RESUME = "resume", "Resume"
        BACKUP = "backup", "Backup"
        RESTORE = "restore", "Restore"
        ARCHIVE = "archive", "Archive"
        DELETE = "delete", "Hard delete"
        MOVE = "move", "Move between cells"

    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events")
    tenant_slug = models.CharField(max_length=30)
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "tenants_tenantauditevent"  # created by the tenants app; the table kept its name
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant_slug", "-at"], name="audit_slug_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.tenant_slug}"


class TenantArchive(models.Model):
    """A backup file of one tenant; the latest one of an archived tenant is where its data now lives."""

    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="archives")
    tenant_slug = models.CharField(max_length=30)
    location = models.CharField(max_length=500)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "tenants_tenantarchive"  # created by the tenants app; the table kept its name
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return self.location


class FanOutRun(models.Model):
    """One named job sent to every active tenant."""

    job = models.CharField(max_length=100)
    actor = models.CharField(max_length=150)
    started_at = models.DateTimeField(auto_now_add=True)
    tenant_count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "tenants_fanoutrun"  # created by the tenants app; the table kept its name
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.job} #{self.pk}"


class FanOutResult(models.Model):
    """One tenant's part of a fan-out run."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (tenant not active)"

    run = models.ForeignKey(FanOutRun, on_delete=models.CASCADE, related_name="results")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    queue = models.CharField(max_length=100)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    holder = models.CharField(max_length=200, blank=True, help_text="Worker running it: host:pid:task id.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Refreshed while the job runs.")

    class Meta:
        db_table = "tenants_fanoutresult"  # created by the tenants app; the table kept its name
        ordering = ["run", "tenant__slug"]
        constraints = [models.UniqueConstraint(fields=["run", "tenant"], name="fanout_result_one_per_tenant")]

    def __str__(self) -> str:
        return f"{self.run}: {self.tenant_id} {self.status}"


class TenantReportRow(models.Model):
    """The latest ops figures of one tenant, gathered by `manage.py fleet_report` (see fleet.report)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="report")
    metrics = models.JSONField(default=dict)
    schema_bytes = models.BigIntegerField(default=0)
    last_activity = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField()

    class Meta:
        db_table = "tenants_tenantreportrow"  # created by the tenants app; the table kept its name
        ordering = ["tenant__slug"]

    def __str__(self) -> str:
        return f"report of {self.tenant_id}"


class TenantUsageDay(models.Model):
    """One tenant's usage on one UTC day: traffic counted by fleet.meters in Redis, and seats, storage and queued jobs
    measured by the rollup (fleet.usage.usage_rollup), which rewrites the row from those sources each run."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="usage_days")
    day = models.DateField()
    requests = models.BigIntegerField(default=0)
    api_calls = models.BigIntegerField(default=0, help_text="Requests to /api/ (billed).")
    errors_5xx = models.BigIntegerField(default=0)
    errors_4xx = models.BigIntegerField(default=0)
    latency_ms_sum = models.BigIntegerField(default=0)
    latency_buckets = models.JSONField(default=dict, help_text="Requests per latency bucket (fleet.meters).")
    p95_ms = models.PositiveIntegerField(null=True, blank=True, help_text="95th percentile, bucket upper bound.")
    requests_last_5min = models.PositiveIntegerField(default=0, help_text="Requests in the 5 minutes before rollup.")
    seats = models.PositiveIntegerField(default=0, help_text="Active users in the tenant schema.")
    storage_bytes = models.BigIntegerField(default=0, help_text="Tables, indexes and TOAST of the tenant schema.")
    queue_depth = models.PositiveIntegerField(default=0, help_text="Its fan-out jobs waiting in a queue.")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "tenant__slug"]
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="tenant_usage_one_per_day")]
        indexes = [models.Index(fields=["day", "tenant"], name="tenant_usage_day_idx")]

    def __str__(self) -> str:
        return f"usage of {self.tenant_id} on {self.day}"
