"""The Celery app. Every task is a tenant task: the sender's schema travels in the message headers
(tenant-schemas-celery) and the worker switches to it before running the task body."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "erp.settings")

from tenant_schemas_celery.app import CeleryApp

app = CeleryApp("erp", task_cls="tenants.tasks:TenantBoundTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["tenants.fleet"], related_name="jobs")  # fan-out jobs (tenants.fleet.jobs)
