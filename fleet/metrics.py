"""`/metrics` on the public host: the fleet in Prometheus text format, for operations.

Labels are `plan` and `cell` (and `status` on the tenant count, `le` on histogram buckets): bounded whatever the
number of tenants, never one series per tenant. Per-tenant figures are on the ops page (fleet.admin), not here.

- `erp_http_requests_total`, `erp_http_api_calls_total`, `erp_http_errors_5xx_total`, `erp_http_errors_4xx_total` and
  the histogram `erp_http_request_duration_seconds`: the fleet totals fleet.meters keeps in Redis, one hash per plan
  and cell, ever growing (Prometheus counters; `rate()` gives the per-second figure);
- `erp_tenants{plan,cell,status}`: tenants in the registry;
- `erp_tenant_storage_bytes`, `erp_tenant_seats`: summed over the last rolled-up day's rows (fleet.usage);
- `erp_queue_depth`: fan-out messages waiting in each plan's broker queue (erp.celery.queue_depths).

Served only to `Authorization: Bearer <METRICS_TOKEN>`: without a token configured the page does not exist (404), a
request without a bearer token gets a 401, a wrong token a 403. Tenant hosts never route here (erp.urls_public only).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from django_tenants.utils import get_public_schema_name

from fleet import meters
from fleet.models import TenantUsageDay
from tenants.models import Tenant

COUNTERS = {
    "requests": ("erp_http_requests", "Tenant requests served (all hosts but the public one)."),
    "api_calls": ("erp_http_api_calls", "Tenant requests to /api/ (billed API calls)."),
    "errors_5xx": ("erp_http_errors_5xx", "Tenant requests answered with a 5xx status."),
    "errors_4xx": ("erp_http_errors_4xx", "Tenant requests answered with a 4xx status."),
}
LABELS = ["plan", "cell"]


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token or connection.schema_name != get_public_schema_name():
        raise Http404
    sent = request.headers.get("Authorization", "")
    if not sent.startswith("Bearer "):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(sent[len("Bearer ") :].encode(), token.encode()):
        return HttpResponse("Wrong token.\n", status=403, content_type="text/plain")
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class FleetCollector:
    """A prometheus_client custom collector: reads Redis and the public schema at each scrape, holds nothing."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        totals = plan_totals()
        for field, (name, doc) in COUNTERS.items():
            family = CounterMetricFamily(name, doc, labels=LABELS)
            for (cell, plan), counters in sorted(totals.items()):
                family.add_metric([plan, cell], counters[field])
            yield family
        histogram = HistogramMetricFamily(
            "erp_http_request_duration_seconds", "Tenant request latency, as the web process saw it.", labels=LABELS
        )
        for (cell, plan), counters in sorted(totals.items()):
            cumulative, buckets = 0, []
            for bound, field in zip((*meters.BUCKETS_MS, None), meters.BUCKET_FIELDS, strict=True):
                cumulative += counters[field]
                buckets.append(("+Inf" if bound is None else str(bound / 1000), cumulative))
            histogram.add_metric([plan, cell], buckets, counters["latency_ms_sum"] / 1000)
        yield histogram

        tenants = GaugeMetricFamily("erp_tenants", "Tenants in the registry.", labels=[*LABELS, "status"])
        for row in Tenant.objects.exclude(schema_name="public").values("plan", "status").annotate(n=Count("pk")):
            tenants.add_metric([row["plan"], meters.DEFAULT_CELL, row["status"]], row["n"])
        yield tenants

        storage = GaugeMetricFamily("erp_tenant_storage_bytes", "Tenant schema bytes, last rollup.", labels=LABELS)
        seats = GaugeMetricFamily("erp_tenant_seats", "Active users of tenants, last rollup.", labels=LABELS)
        latest = TenantUsageDay.objects.aggregate(day=Max("day"))["day"]
        if latest is not None:
            rows = (
                TenantUsageDay.objects.filter(day=latest)
                .values("tenant__plan")
                .annotate(storage=Sum("storage_bytes"), seats=Sum("seats"))
            )
            for row in rows:
                storage.add_metric([row["tenant__plan"], meters.DEFAULT_CELL], row["storage"] or 0)
                seats.add_metric([row["tenant__plan"], meters.DEFAULT_CELL], row["seats"] or 0)
        yield storage
        yield seats

        depth = GaugeMetricFamily("erp_queue_depth", "Fan-out jobs waiting in the plan's broker queue.", labels=LABELS)
        for plan, waiting in plan_queue_depths().items():
            if waiting is not None:
                depth.add_metric([plan, meters.DEFAULT_CELL], waiting)
        yield depth


def plan_totals() -> dict[tuple[str, str], dict[str, int]]:
    """(cell, plan) -> the fleet counters fleet.meters keeps; empty when Redis does not answer."""
    client = meters.client()
    try:
        keys = sorted(client.scan_iter(match=meters.plan_keys_pattern(), count=100))
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        answers = pipe.execute()
    except (redis.RedisError, OSError):
        return {}
    totals = {}
    for key, raw in zip(keys, answers, strict=True):
        cell, plan = key.decode().rsplit(":", 2)[-2:]
        totals[(cell, plan)] = meters.parse_counters(raw)
    return totals


def plan_queue_depths() -> dict[str, int | None]:
    """Plan -> messages waiting in its fan-out queue (None: the broker did not answer)."""
    from erp.celery import queue_depths
    from fleet.jobs import queue_for

    queues = {plan: queue_for(Tenant(plan=plan)) for plan in Tenant.Plan.values}
    depths = queue_depths(list(queues.values()))
    return {plan: depths.get(queue) for plan, queue in queues.items()}
