"""Support sessions in the operations admin: the trail of every session, and the tenant page's "open a read-only
support session" link and form (added to the tenants app's TenantAdmin, which knows nothing of support)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from support import services as support
from support.models import SupportEvent, SupportGrant
from tenants.admin import ReadOnlyAdmin, ReadOnlyInline, on_public_host
from tenants.admin import TenantAdmin as RegistryTenantAdmin
from tenants.models import Tenant


class SupportStartForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Ticket number and what you will look at."
    )
    minutes = forms.IntegerField(min_value=5, max_value=240, initial=settings.SUPPORT_SESSION_MINUTES)


class TenantAdmin(RegistryTenantAdmin):
    """The registry's tenant admin plus a link per active tenant that opens a read-only support session."""

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
        return TemplateResponse(request, "admin/support/support_start.html", context)


admin.site.unregister(Tenant)
admin.site.register(Tenant, TenantAdmin)


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
