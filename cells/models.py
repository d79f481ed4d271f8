from django.db import models


class DedicatedCell(models.Model):
    """A cell created on demand for one tenant of a dedicated plan: a database of its own on the server
    `CELL_DEDICATED_SERVER` names (whose credentials it uses). Configured cells (`CELLS`) have no row here."""

    name = models.CharField(max_length=30, unique=True)
    database = models.CharField(max_length=63, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.database})"
