"""The groups standing for the non-admin roles (see access.roles), in every tenant schema."""

from django.db import migrations

GROUPS = ("planner", "operator", "read-only")


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    # Only the group table is needed (auth 0001); depending on a later auth migration would tie fleet replays to it.
    dependencies = [("access", "0001_initial"), ("auth", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
