"""CSV imports of items, run in the background."""

from __future__ import annotations

from django.db import models

from core.models import BackgroundJob


class ItemImport(BackgroundJob):
    """A CSV import of items, run by a Celery task; its progress and per-line errors are kept here."""

    file_name = models.CharField(max_length=255, blank=True)
    content = models.TextField(help_text="The uploaded CSV text.")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{line, sku, reason}] for each refused row.")

    class Meta(BackgroundJob.Meta):
        pass

    def __str__(self) -> str:
        return f"import #{self.pk} {self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total_rows else int(100 * self.processed_rows / self.total_rows)
