"""Fleet operations in the operations admin: read-only views of what the fleet commands did."""

from django.contrib import admin
from django.db.models import F, FloatField, QuerySet
from django.db.models.functions import Cast, Coalesce, NullIf
from django.template.defaultfilters import filesizeformat

from fleet.models import (
    FanOutResult,
    FanOutRun,
    FleetMigrationRecord,
    FleetMigrationRun,
    TenantArchive,
    TenantAuditEvent,
    TenantReportRow,
    TenantUsageDay,
)
from tenants.admin import ReadOnlyAdmin, ReadOnlyInline, TenantAdmin


class FleetMigrationRecordInline(ReadOnlyInline):
    model = FleetMigrationRecord
    fields = ["schema_name", "status", "method", "duration_ms", "error"]


@admin.register(FleetMigrationRun)
class FleetMigrationRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "started_at", "finished_at", "status", "cell", "canary", "up_to_date", "summary", "actor"]
    list_filter = ["status", "cell"]
    inlines = [FleetMigrationRecordInline]


@admin.register(FleetMigrationRecord)
class FleetMigrationRecordAdmin(ReadOnlyAdmin):
    list_display = ["schema_name", "run", "status", "method", "duration_ms", "started_at"]
    list_filter = ["status", "method"]
    search_fields = ["schema_name", "error"]
    list_select_related = ["run"]


@admin.register(TenantAuditEvent)
class TenantAuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "tenant_slug", "action", "actor", "details"]
    list_filter = ["action"]
    search_fields = ["tenant_slug", "actor"]
    date_hierarchy = "at"


@admin.register(TenantArchive)
class TenantArchiveAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "tenant_slug", "location", "size_bytes", "sha256"]
    search_fields = ["tenant_slug", "location"]


class TenantArchiveInline(admin.TabularInline):
    """Backups and archives of the tenant; for an archived tenant the newest one is where its data lives."""

    model = TenantArchive
    extra = 0
    can_delete = False
    fields = ["created_at", "location", "size_bytes", "sha256"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


TenantAdmin.inlines = [*TenantAdmin.inlines, TenantArchiveInline]


class FanOutResultInline(admin.TabularInline):
    model = FanOutResult
    extra = 0
    can_delete = False
    fields = ["tenant", "status", "queue", "attempts", "started_at", "finished_at", "result", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FanOutRun)
class FanOutRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "job", "started_at", "tenant_count", "outcome", "actor"]
    list_filter = ["job"]
    inlines = [FanOutResultInline]

    @admin.display(description="results")
    def outcome(self, obj: FanOutRun) -> str:
        counts: dict[str, int] = {}
        for status in obj.results.values_list("status", flat=True):
            counts[status] = counts.get(status, 0) + 1
        return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))


@admin.register(TenantReportRow)
class TenantReportRowAdmin(ReadOnlyAdmin):
    """The cross-tenant ops report (refreshed by `manage.py fleet_report` or the `tenant_stats` fan-out job)."""

    list_display = [
        "tenant", "plan", "status", "cell", "users", "items", "schema_size", "last_activity", "collected_at"
    ]  # fmt: skip
    list_filter = ["tenant__plan", "tenant__status", "tenant__cell"]
    search_fields = ["tenant__slug", "tenant__name"]
    list_select_related = ["tenant"]
    ordering = ["tenant__slug"]

    @admin.display(ordering="tenant__plan")
    def plan(self, obj: TenantReportRow) -> str:
        return obj.tenant.plan

    @admin.display(ordering="tenant__status")
    def status(self, obj: TenantReportRow) -> str:
        return obj.tenant.status

    @admin.display(ordering="tenant__cell")
    def cell(self, obj: TenantReportRow) -> str:
        return obj.tenant.cell

    @admin.display()
    def users(self, obj: TenantReportRow):
        return obj.metrics.get("users")

    @admin.display()
    def items(self, obj: TenantReportRow):
        return obj.metrics.get("items")

    @admin.display(description="schema size", ordering="schema_bytes")
    def schema_size(self, obj: TenantReportRow) -> str:
        return f"{obj.schema_bytes / 1_048_576:.1f} MB"


@admin.register(TenantUsageDay)
class TenantUsageDayAdmin(ReadOnlyAdmin):
    """The ops page: per tenant and day, who is hot (requests, rate, p95) and who is failing (error rate); every
    column sorts. Filled by the usage rollup (fleet.usage) from the Redis meters; one query per page."""

    list_display = [
        "tenant",
        "plan",
        "day",
        "requests",
        "rate_per_min",
        "error_rate",
        "errors_5xx",
        "errors_4xx",
        "p95_ms",
        "queue_depth",
        "seats",
        "storage",
        "api_calls",
        "updated_at",
    ]
    list_filter = ["day", "tenant__plan", "tenant__status"]
    search_fields = ["tenant__slug", "tenant__name"]
    date_hierarchy = "day"
    ordering = ["-day", "-requests"]
    list_select_related = ["tenant"]
    show_full_result_count = False  # a count(*) over 10,000 tenants x days is no use on this page

    def get_queryset(self, request) -> QuerySet[TenantUsageDay]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                # 5xx share of the day's requests; 0 without traffic (PostgreSQL sorts NULL first when descending)
                error_share=Coalesce(
                    Cast(F("errors_5xx"), FloatField()) / NullIf(Cast(F("requests"), FloatField()), 0.0), 0.0
                ),
                # requests a minute over the last five minutes before the rollup
                recent_rate=Cast(F("requests_last_5min"), FloatField()) / 5.0,
            )
        )

    @admin.display(description="plan", ordering="tenant__plan")
    def plan(self, obj: TenantUsageDay) -> str:
        return obj.tenant.plan

    @admin.display(description="req/min (5 min)", ordering="recent_rate")
    def rate_per_min(self, obj: TenantUsageDay) -> str:
        return f"{obj.recent_rate:.1f}"  # type: ignore[attr-defined]

    @admin.display(description="5xx rate", ordering="error_share")
    def error_rate(self, obj: TenantUsageDay) -> str:
        return "-" if not obj.requests else f"{obj.error_share:.2%}"  # type: ignore[attr-defined]

    @admin.display(description="storage", ordering="storage_bytes")
    def storage(self, obj: TenantUsageDay) -> str:
        return filesizeformat(obj.storage_bytes)
