from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_tenants.utils import get_public_schema_name

from tenants import support
from tenants.models import (
    Domain,
    FanOutResult,
    FanOutRun,
    FleetMigrationRecord,
    FleetMigrationRun,
    SchemaTemplate,
    SupportEvent,
    SupportGrant,
    Tenant,
    TenantArchive,
    TenantAuditEvent,
    TenantReportRow,
)


class SupportStartForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Ticket number and what you will look at."
    )
    minutes = forms.IntegerField(min_value=5, max_value=240, initial=settings.SUPPORT_SESSION_MINUTES)


def on_public_host(request: HttpRequest) -> bool:
    """The admin site serves both the public host and every tenant host; fleet-wide screens belong to the public."""
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name == get_public_schema_name()


class PublicHostOnly:
    """The admin site also serves every tenant host, where a tenant's superuser holds every permission: the fleet
    registry and records (public schema, every tenant's rows) are reachable on the public host only."""

    def has_module_permission(self, request) -> bool:
        return on_public_host(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return on_public_host(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return on_public_host(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return on_public_host(request) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None) -> bool:
        return on_public_host(request) and super().has_delete_permission(request, obj)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(PublicHostOnly, admin.ModelAdmin):
    list_display = ["slug", "name", "plan", "status", "schema_name", "created_at"]
    list_filter = ["plan", "status"]
    search_fields = ["slug", "name"]
    readonly_fields = ["schema_name", "created_at", "updated_at"]
    inlines = [DomainInline]

    def get_list_display(self, request):
        return [*self.list_display, "support_link"] if on_public_host(request) else self.list_display

    def get_urls(self):
        support_start = path(
            "<path:object_id>/support/",
            self.admin_site.admin_view(self.support_start_view),
            name="tenants_tenant_support",
        )
        return [support_start, *super().get_urls()]

    @admin.display(description="support")
    def support_link(self, obj: Tenant) -> str:
        if not obj.is_active:
            return "-"
        url = reverse("admin:tenants_tenant_support", args=[obj.pk])
        return format_html('<a href="{}">Open read-only support session</a>', url)

    def support_start_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Open a read-only support session on a tenant (public host only) and send the browser there with a
        one-time link."""
        if not on_public_host(request):
            raise Http404("Support sessions are opened from the operations admin.")
        if not request.user.has_perm(support.START_PERMISSION):
            raise PermissionDenied("You may not open support sessions.")
        tenant = get_object_or_404(Tenant, pk=object_id) if object_id.isdigit() else None
        if tenant is None:
            raise Http404("No such tenant.")
        form = SupportStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                _grant, token = support.support_session_start(staff=request.user, tenant=tenant, **form.cleaned_data)
            except support.SupportRefused as exc:
                form.add_error(exc.field, exc.message)
            else:
                return HttpResponseRedirect(support.enter_url(tenant, token, request=request))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Read-only support session on {tenant.name}",
            "tenant": tenant,
            "form": form,
            "opts": Tenant._meta,
        }
        return TemplateResponse(request, "admin/tenants/support_start.html", context)

    def has_add_permission(self, request) -> bool:
        # Tenants are provisioned by `manage.py create_tenant` (schema, domain and admin user in one transaction).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SchemaTemplate)
class SchemaTemplateAdmin(PublicHostOnly, admin.ModelAdmin):
    list_display = ["fingerprint", "migration_count", "created_at"]
    readonly_fields = ["fingerprint", "migration_count", "created_at", "sql"]

    def has_add_permission(self, request) -> bool:
        return False


# --- Fleet operations: read-only views of what the fleet commands did (tenants.fleet) -------------------------------


class ReadOnlyAdmin(PublicHostOnly, admin.ModelAdmin):
    """Written only by the fleet services; the admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """A trail shown under its parent: every field read-only, nothing added or deleted."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return list(self.fields)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class FleetMigrationRecordInline(ReadOnlyInline):
    model = FleetMigrationRecord
    fields = ["schema_name", "status", "method", "duration_ms", "error"]


@admin.register(FleetMigrationRun)
class FleetMigrationRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "started_at", "finished_at", "status", "canary", "up_to_date", "summary", "actor"]
    list_filter = ["status"]
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

    list_display = ["tenant", "plan", "status", "users", "items", "schema_size", "last_activity", "collected_at"]
    list_filter = ["tenant__plan", "tenant__status"]
    search_fields = ["tenant__slug", "tenant__name"]
    list_select_related = ["tenant"]
    ordering = ["tenant__slug"]

    @admin.display(ordering="tenant__plan")
    def plan(self, obj: TenantReportRow) -> str:
        return obj.tenant.plan

    @admin.display(ordering="tenant__status")
    def status(self, obj: TenantReportRow) -> str:
        return obj.tenant.status

    @admin.display()
    def users(self, obj: TenantReportRow):
        return obj.metrics.get("users")

    @admin.display()
    def items(self, obj: TenantReportRow):
        return obj.metrics.get("items")

    @admin.display(description="schema size", ordering="schema_bytes")
    def schema_size(self, obj: TenantReportRow) -> str:
        return f"{obj.schema_bytes / 1_048_576:.1f} MB"


# --- Support sessions (tenants.support) ---------------------------------------------------------------------------


class SupportEventInline(ReadOnlyInline):
    model = SupportEvent
    fields = ["at", "kind", "method", "path", "actor"]


@admin.register(SupportGrant)
class SupportGrantAdmin(ReadOnlyAdmin):
    """The support sessions and their trails; an open one can be ended from here."""

    list_display = ["id", "tenant_slug", "staff", "started_at", "expires_at", "ended_at", "end_reason", "reason"]
    list_filter = ["end_reason", "tenant_slug"]
    search_fields = ["tenant_slug", "staff", "reason"]
    date_hierarchy = "started_at"
    inlines = [SupportEventInline]
    actions = ["end_sessions"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="End the selected support sessions now", permissions=["end"])
    def end_sessions(self, request: HttpRequest, queryset) -> None:
        for grant in queryset.filter(ended_at__isnull=True):
            support.support_session_end(grant=grant, by=request.user.get_username())
        messages.success(request, "Ended.")

    def has_end_permission(self, request) -> bool:
        return on_public_host(request) and request.user.has_perm(support.START_PERMISSION)
