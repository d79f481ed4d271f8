"""Cells in the operations admin: the moves of tenants between cells, read-only (`manage.py tenant_move` makes them)."""

from django.contrib import admin

from cells.models import TenantMove
from tenants.admin import ReadOnlyAdmin


@admin.register(TenantMove)
class TenantMoveAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "tenant_slug", "source", "target", "state", "step", "step_done", "freeze_seconds",
                    "changes_applied", "actor", "dry_run", "drop_source_after"]  # fmt: skip
    list_filter = ["state", "source", "target", "dry_run"]
    search_fields = ["tenant_slug", "schema_name", "error", "actor"]
    date_hierarchy = "created_at"
