"""A throwaway tenant app for tests only (installed by tests.fleet.wedge_settings in a subprocess): its history is
a data migration writing to a table, then an AddField on that same table."""

from django.db import models


class Shelf(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name


class Widget(models.Model):
    shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE)
    name = models.CharField(max_length=50)
    size = models.IntegerField(default=1)

    def __str__(self) -> str:
        return self.name
