"""The per-tenant usage rollup: Redis meters (fleet.meters) plus seats, storage and queued jobs -> `TenantUsageDay`.

The rollup *rewrites* each day row from its sources instead of adding to it: the day hash in Redis holds the whole
day so far, so running it twice, or two beats overlapping, never counts a request twice, and a run that failed half
way is repaired by the next. It rolls up today and yesterday (the requests of yesterday's last minutes reach Redis
after yesterday's last run), for every tenant with a schema (active and suspended).

Cost per run: one pipelined Redis round trip per `BATCH` tenants, one catalog query for every schema's size, one
grouped query for queued jobs, one count of active users per tenant schema, and one upsert per `BATCH` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count

from fleet import meters
from fleet.models import FanOutResult, TenantUsageDay
from fleet.report import schema_sizes
from tenants.models import Tenant

BATCH = 500
RATE_WINDOW_MINUTES = 5
TRAFFIC_FIELDS = ["requests", "api_calls", "errors_5xx", "errors_4xx", "latency_ms_sum", "latency_buckets", "p95_ms"]
GAUGE_FIELDS = ["requests_last_5min", "seats", "storage_bytes", "queue_depth", "updated_at"]


@dataclass(frozen=True)
class RollupResult:
    days: list[date]
    rows: int


def usage_rollup(*, now: datetime | None = None) -> RollupResult:
    """Rewrite today's and yesterday's `TenantUsageDay` rows of every tenant with a schema from its meters."""
    now = now or datetime.now(UTC)
    today = now.astimezone(UTC).date()
    days = [today - timedelta(days=1), today]
    connection.set_schema_to_public()
    tenants = list(
        Tenant.objects.exclude(schema_name="public")
        .filter(status__in=[Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED])
        .order_by("pk")
    )
    sizes = schema_sizes()
    queued = dict(
        FanOutResult.objects.filter(status=FanOutResult.Status.QUEUED)
        .values_list("tenant_id")
        .annotate(n=Count("pk"))
        .values_list("tenant_id", "n")
    )
    minute_now = int(now.timestamp() // 60)
    rows = 0
    for start in range(0, len(tenants), BATCH):
        batch = tenants[start : start + BATCH]
        counters, recent = _read_meters(batch, days, minute_now)
        seats = _seats(batch)
        objs = []
        for tenant in batch:
            for day in days:
                found = counters[(tenant.schema_name, day)]
                if day != today and not found["requests"]:
                    continue  # no row for a quiet yesterday: only today's row carries the measured gauges
                objs.append(
                    TenantUsageDay(
                        tenant=tenant,
                        day=day,
                        requests=found["requests"],
                        api_calls=found["api_calls"],
                        errors_5xx=found["errors_5xx"],
                        errors_4xx=found["errors_4xx"],
                        latency_ms_sum=found["latency_ms_sum"],
                        latency_buckets={f: found[f] for f in meters.BUCKET_FIELDS if found[f]},
                        p95_ms=meters.p95_ms(found),
                        requests_last_5min=recent[tenant.schema_name] if day == today else 0,
                        seats=seats.get(tenant.schema_name, 0),
                        storage_bytes=sizes.get(tenant.schema_name, 0),
                        queue_depth=queued.get(tenant.pk, 0),
                        updated_at=now,
                    )
                )
        _upsert([o for o in objs if o.day == today], fields=[*TRAFFIC_FIELDS, *GAUGE_FIELDS])
        # A past day keeps the seats, storage and queue depth last measured on it; only late traffic is added.
        _upsert([o for o in objs if o.day != today], fields=TRAFFIC_FIELDS)
        rows += len(objs)
    return RollupResult(days=days, rows=rows)


def _read_meters(
    tenants: list[Tenant], days: list[date], minute_now: int
) -> tuple[dict[tuple[str, date], dict[str, int]], dict[str, int]]:
    """The day hashes and the last closed minutes' request counts of `tenants`, in one pipelined round trip."""
    pipe = meters.client().pipeline(transaction=False)
    for tenant in tenants:
        for day in days:
            pipe.hgetall(meters.day_key(tenant.schema_name, day))
        for minute in range(minute_now - RATE_WINDOW_MINUTES, minute_now):
            pipe.hget(meters.minute_key(tenant.schema_name, minute), "requests")
    answers = iter(pipe.execute())
    counters: dict[tuple[str, date], dict[str, int]] = {}
    recent: dict[str, int] = {}
    for tenant in tenants:
        for day in days:
            counters[(tenant.schema_name, day)] = meters.parse_counters(next(answers))
        recent[tenant.schema_name] = sum(int(next(answers) or 0) for _ in range(RATE_WINDOW_MINUTES))
    return counters, recent


def _seats(tenants: list[Tenant]) -> dict[str, int]:
    """Active users per tenant schema, one UNION ALL query for the batch (a schema without its tables counts 0)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables"
            " WHERE table_name = 'auth_user' AND table_schema = ANY(%s)",
            [[t.schema_name for t in tenants]],
        )
        schemas = [row[0] for row in cursor.fetchall()]
        if not schemas:
            return {}
        quote = connection.ops.quote_name
        sql = " UNION ALL ".join(
            f"SELECT %s, count(*) FROM {quote(schema)}.auth_user WHERE is_active" for schema in schemas
        )
        cursor.execute(sql, schemas)
        return {schema: int(n) for schema, n in cursor.fetchall()}


def _upsert(objs: list[TenantUsageDay], *, fields: list[str]) -> None:
    if objs:
        with transaction.atomic():
            TenantUsageDay.objects.bulk_create(
                objs, update_conflicts=True, unique_fields=["tenant", "day"], update_fields=fields
            )
