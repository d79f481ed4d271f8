import hmac

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django_tenants.utils import get_public_schema_name

from erp.celery import consumed_queues, live_workers, queue_depths
from tenants.models import Tenant


def public_home(request: HttpRequest) -> HttpResponse:
    active = Tenant.objects.filter(status=Tenant.Status.ACTIVE).count()
    return render(request, "tenants/public_home.html", {"active_tenants": active})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: `{"status": "ok"}` once the database answers, and nothing else for anonymous
    callers. Operations staff signed in on the public host, or a caller sending `Authorization: Bearer
    <HEALTHZ_TOKEN>` on any host, also get the schema, the live Celery workers and each consumed queue's depth."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if not _may_see_health_details(request):
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "ok", "schema": connection.schema_name, **worker_health()})


def _may_see_health_details(request: HttpRequest) -> bool:
    token = getattr(settings, "HEALTHZ_TOKEN", "")
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[len("Bearer ") :].encode(), token.encode()):
        return True
    # Tenant users (even a tenant's admin) are no operations staff: fleet-wide figures stay on the public host.
    on_public = connection.schema_name == get_public_schema_name()
    return on_public and request.user.is_authenticated and request.user.is_staff


def worker_health() -> dict:
    """Live workers (by heartbeat) and, per queue the settings route to, the messages waiting and the workers on it."""
    queues = consumed_queues()
    try:
        workers = live_workers()
    except redis.RedisError:
        workers = None
    depths = queue_depths(queues)
    per_queue = {
        name: {
            "waiting": depths[name],
            "workers": None if workers is None else sum(name in consumed for consumed in workers.values()),
        }
        for name in queues
    }
    state = "unknown" if workers is None else "ok" if all(q["workers"] for q in per_queue.values()) else "missing"
    return {"workers": {"status": state, "live": workers}, "queues": per_queue}
