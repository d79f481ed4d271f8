"""Support sessions moved from the tenants app to their own: who could open sessions before still can."""

import importlib

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType


def test_a_permission_granted_before_the_move_still_opens_sessions(db):
    # The database as it was before the move: the content type (and its permissions) under the tenants app.
    ContentType.objects.filter(app_label="support", model="supportgrant").update(app_label="tenants")
    ContentType.objects.clear_cache()
    staff = get_user_model().objects.create_user("pre-move-staff", password="staff-pass-1", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="tenants", codename="add_supportgrant"))

    relabel = importlib.import_module("support.migrations.0001_initial").Migration.operations[-1]
    relabel.code(apps, None)
    ContentType.objects.clear_cache()

    staff = get_user_model().objects.get(pk=staff.pk)  # a fresh permission cache
    assert staff.has_perm("support.add_supportgrant")
    assert not ContentType.objects.filter(app_label="tenants", model__startswith="support").exists()
