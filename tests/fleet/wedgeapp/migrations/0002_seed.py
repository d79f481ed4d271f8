from django.db import migrations


def seed(apps, schema_editor):
    shelf = apps.get_model("wedgeapp", "Shelf").objects.create(name="A1")
    apps.get_model("wedgeapp", "Widget").objects.create(shelf=shelf, name="seeded")


class Migration(migrations.Migration):
    dependencies = [("wedgeapp", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
