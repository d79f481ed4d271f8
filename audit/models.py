from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One write made through a service. Append-only: a database trigger refuses UPDATE, DELETE and TRUNCATE.

    The user is kept by id and username without a foreign-key constraint, so deleting a user never has to touch
    (and could never change) the entries that name them.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    tenant = models.CharField(max_length=63, help_text="Schema of the tenant the write was made in.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, help_text="Empty for system writes (imports, tasks).")
    action = models.CharField(max_length=64, db_index=True, help_text="<app>.<what>, e.g. inventory.item_update.")
    object_type = models.CharField(max_length=100, help_text="<app>.<model> of the changed object.")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [old, new]}")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id} by {self.username or 'system'}"
