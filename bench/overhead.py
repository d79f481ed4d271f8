"""What tenancy costs an integrator: requests/s of one tenant API view with tenancy (routing by host, search path and
PostgreSQL role switched per request) vs the same view with both removed, same database, same process count.

    .venv/bin/python bench/overhead.py [--seconds 8] [--rounds 3] [--clients 4] [--workers 2] [--hosts 3]

Uses its own database (erp_bench_overhead) and provisions 3 premium tenants, each with 20 items and a read-only API
key. Both gunicorn servers run the same code and settings, API-key authentication and per-tenant throttling (limits
raised so nothing is refused); the baseline (bench/settings_notenancy.py) has no routing middleware and a connection
whose search path is fixed to one tenant's schema, under the login role. Rounds alternate between the two servers;
the script prints the median requests/s of each and the ratio (goal >= 0.95).
"""

from __future__ import annotations

from decimal import Decimal

from routing import arguments, compare

VIEW = "/api/v1/items/?page_size=20"
MARKER = b'"sku":"BENCH-19"'


def api_key_with_items(tenant) -> dict[str, str]:
    from django.contrib.auth import get_user_model
    from django_tenants.utils import tenant_context

    from access.services import api_key_create
    from inventory.models import UnitOfMeasure
    from inventory.services import item_create

    with tenant_context(tenant):
        admin = get_user_model().objects.get(is_superuser=True)
        unit = UnitOfMeasure.objects.get(code="pcs")  # every tenant starts with the default units
        for n in range(20):
            item_create(sku=f"BENCH-{n}", name=f"bench item {n}", uom=unit, user=admin, standard_cost=Decimal("1.5"))
        key = api_key_create(name="bench", scope="read_only", user=admin, created_by=admin).key
    return {"Authorization": f"Api-Key {key}", "Accept": "application/json"}


def main() -> None:
    args = arguments(__doc__)
    compare(
        view=VIEW,
        marker=MARKER,
        credentials=api_key_with_items,
        hosts=args.hosts,
        seconds=args.seconds,
        rounds=args.rounds,
        clients=args.clients,
        workers=args.workers,
        db_name="erp_bench_overhead",
        extra_env={"TENANT_API_RATE_PREMIUM": "100000000/min"},
        label="tenancy",
    )


if __name__ == "__main__":
    main()
