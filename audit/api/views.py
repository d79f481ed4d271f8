"""The audit log over the API: tenant admins only, read only."""

from rest_framework import serializers

from access.permissions import IsTenantAdmin
from audit.models import AuditEntry
from core import api


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "tenant",
            "username",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
        ]


class AuditEntryViewSet(api.ReadOnlyModelViewSet):
    """Who changed what in this tenant, newest first. Filter by username, action, object_type, object_id."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    permission_classes = [IsTenantAdmin]
    filterset_fields = ["username", "action", "object_type", "object_id"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    search_fields = ["object_repr"]
