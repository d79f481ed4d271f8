"""Every tenant starts with a few units of measure and its default receiving location."""

from django.db import migrations

UNITS = [("pcs", "Pieces"), ("kg", "Kilograms"), ("m", "Metres"), ("l", "Litres")]


def create(apps, schema_editor):
    UnitOfMeasure = apps.get_model("inventory", "UnitOfMeasure")
    Location = apps.get_model("inventory", "Location")
    for code, name in UNITS:
        UnitOfMeasure.objects.get_or_create(code=code, defaults={"name": name})
    if not Location.objects.filter(is_default_receiving=True).exists():
        Location.objects.get_or_create(
            code="RECEIVING",
            defaults={"name": "Receiving dock", "kind": "warehouse", "is_default_receiving": True},
        )


def remove(apps, schema_editor):
    UnitOfMeasure = apps.get_model("inventory", "UnitOfMeasure")
    Location = apps.get_model("inventory", "Location")
    Location.objects.filter(code="RECEIVING", is_default_receiving=True, levels__isnull=True).delete()
    UnitOfMeasure.objects.filter(code__in=[code for code, _ in UNITS], items__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_stockmove_immutable_trigger")]

    operations = [migrations.RunPython(create, remove)]
