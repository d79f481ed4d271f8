"""Fault drill, registry part (issue 20, sections 3 and 4): suspensions that always apply, backups that are verified.

    .venv/bin/python bench/_drill_registry.py [--tenants 3]      # standalone, on its own database, then dropped

`bench/fault_drill.py` imports `drill_suspensions` and `drill_archives` and calls them with tenants it has already
created in its bench database (Django set up, DATABASE_URL pointing at that database). Each returns a dict of counts
with a `line` to print and `ok` (every check passed).

- drill_suspensions: a gunicorn (the product's config, 2 workers) serves the tenants and has each one's route cached.
  Every tenant is then suspended by a path that tells no web process: half by a queryset `.update()` (no signal, no
  Redis message), half by the `tenant_suspend` service in a process whose Redis is out of reach (its announcement
  fails). Each tenant's API is polled until every worker refuses it (403, several in a row); the time from the
  commit to the first of those refusals is the delay. Tenants are resumed afterwards. It also asks a second gunicorn
  whose Redis is out of reach for each tenant's API: never a 500.
- drill_archives: each tenant is backed up, then its archive is damaged in several ways (truncations, byte flips
  including the gzip trailer, the same with the sha256 re-recorded so gzip and the manifest must catch it, and a
  statement planted against the public schema in a re-packed, consistent file). Every restore attempt must be
  refused and create nothing: no tenant row, no schema, no planted table.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import REPO, drop_database, free_port, setup_django, start_gunicorn, use_private_database

DB_NAME = "erp_bench_drill_registry"
REFUSALS_IN_A_ROW = 6  # with 2 workers, six 403s in a row: every worker has seen the suspension
POLL_TIMEOUT = 15.0
PLANTED_TABLE = "drill_planted"


def _slugs(tenants) -> list[str]:
    return [tenant if isinstance(tenant, str) else tenant.slug for tenant in tenants]


def _get(port: int, host: str, path: str, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _server_env(**overrides: str) -> dict[str, str]:
    # The caller's PYTHONPATH too: fault_drill.py's settings module lives in a directory of its own.
    path = os.pathsep.join(filter(None, [str(REPO / "bench"), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": "2", "PYTHONPATH": path}
    env.update(overrides)
    return env


def _closed_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


def _api_key(slug: str) -> str:
    """A read-only API key of a new user of the tenant (the drill's own)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django_tenants.utils import tenant_context

    from access.services import api_key_create
    from tenants.models import Tenant

    with tenant_context(Tenant.objects.get(slug=slug)):
        user, _ = get_user_model().objects.get_or_create(username="fault-drill")
        key = api_key_create(name="fault drill", scope="read_only", user=user, created_by=None).key
    connection.set_schema_to_public()
    return key


def _suspend_without_telling(slug: str, index: int) -> float:
    """Suspend the tenant by a path that reaches no web process; returns the commit time (monotonic)."""
    from django.test.utils import override_settings

    from fleet.offboarding import tenant_suspend
    from tenants import routing
    from tenants.models import Tenant

    if index % 2 == 0:
        Tenant.objects.filter(slug=slug).update(status=Tenant.Status.SUSPENDED)  # no signal, no Redis message
        return time.monotonic()
    # The service, in a process whose Redis is out of reach: its announcement after commit fails (logged).
    tenant = Tenant.objects.get(slug=slug)
    publisher, routing._publisher = routing._publisher, None
    try:
        with override_settings(REDIS_URL=_closed_redis_url()):
            tenant_suspend(tenant=tenant, actor="drill", reason="fault drill")
            return time.monotonic()  # committed; the failed announcement follows
    finally:
        routing._publisher = publisher


def drill_suspensions(tenants) -> dict:
    """Suspend every tenant behind the web processes' backs; measure how long until every worker refuses it."""
    from django.conf import settings
    from django.db import connection

    from tenants.models import Tenant
    from tenants.services import tenant_resume

    slugs = _slugs(tenants)
    hosts = {slug: f"{slug}.{settings.BASE_DOMAIN}" for slug in slugs}
    url = os.environ["DATABASE_URL"]
    servers: list[subprocess.Popen] = []
    delays: dict[str, float] = {}
    api_without_redis: dict[str, int] = {}
    try:
        port = free_port()
        servers.append(start_gunicorn(port, _server_env(DATABASE_URL=url)))
        no_redis_port = free_port()
        servers.append(start_gunicorn(no_redis_port, _server_env(DATABASE_URL=url, REDIS_URL=_closed_redis_url())))
        time.sleep(1.0)  # the workers' Redis subscriptions go live, so their routes are cached
        for _ in range(4):  # every worker caches every route
            for slug in slugs:
                status = _get(port, hosts[slug], "/healthz")
                if status != 200:
                    raise RuntimeError(f"{slug} answers {status} before the drill; expected 200")
        for slug in slugs:
            api_without_redis[slug] = _get(no_redis_port, hosts[slug], "/api/v1/items/")  # anonymous: 403, not 500
        key = _api_key(slugs[0])
        api_without_redis[f"{slugs[0]} (API key)"] = _get(
            no_redis_port, hosts[slugs[0]], "/api/v1/items/", {"Authorization": f"Api-Key {key}"}
        )

        # Commits spread over a few recheck intervals while every tenant is polled without pause: the workers keep
        # reading their caches, so each suspension meets a worker at any point of its recheck interval.
        spacing = min(0.3, 5.0 / len(slugs))
        started = time.monotonic()
        committed: dict[str, float] = {}
        in_a_row = dict.fromkeys(slugs, 0)
        first_refusal: dict[str, float] = {}
        deadline = started + len(slugs) * spacing + POLL_TIMEOUT
        poll_round = 0.0  # the longest pass over every tenant: how finely a delay is measured
        while len(delays) < len(slugs) and time.monotonic() < deadline:
            round_started = time.monotonic()
            for index, slug in enumerate(slugs):
                if slug not in committed and time.monotonic() >= started + index * spacing:
                    committed[slug] = _suspend_without_telling(slug, index)
            for slug in slugs:
                if slug in delays:
                    continue
                status = _get(port, hosts[slug], "/healthz")
                now = time.monotonic()
                if status == 403 and slug in committed:
                    first_refusal.setdefault(slug, now)
                    in_a_row[slug] += 1
                    if in_a_row[slug] >= REFUSALS_IN_A_ROW:
                        delays[slug] = first_refusal[slug] - committed[slug]
                elif status == 403:
                    raise RuntimeError(f"{slug} refused before it was suspended")
                else:
                    in_a_row[slug] = 0
                    first_refusal.pop(slug, None)
            poll_round = max(poll_round, time.monotonic() - round_started)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        connection.set_schema_to_public()
        for tenant in Tenant.objects.filter(slug__in=slugs, status=Tenant.Status.SUSPENDED):
            tenant_resume(tenant=tenant)

    worst = max(delays.values(), default=float("nan"))
    errors = sorted(slug for slug, status in api_without_redis.items() if status >= 500)
    bound = settings.TENANT_ROUTING_RECHECK_SECONDS
    result = {
        "tenants": len(slugs),
        "applied": len(delays),
        "max_seconds": round(worst, 3),
        "bound_seconds": bound,
        "poll_round_seconds": round(poll_round, 3),
        "api_5xx_without_redis": len(errors),
        "api_statuses_without_redis": api_without_redis,
    }
    # Within the bound: every tenant refused by every worker no later than the recheck interval after its commit,
    # give or take one pass of the poll loop (a refusal is only seen when its tenant's turn comes).
    result["ok"] = len(delays) == len(slugs) and worst <= bound + poll_round and not errors
    result["line"] = (
        f"suspensions applied within {worst:.2f} s: {len(delays)}/{len(slugs)} (bound {bound:g} s + poll pass "
        f"{poll_round:.2f} s); with Redis out of reach the API answered {sorted(set(api_without_redis.values()))} "
        f"({len(errors)} x 5xx)"
    )
    return result


def _damaged_copies(path: Path, workdir: Path) -> list[tuple[str, Path]]:
    """Damaged variants of a verified archive, each with a sidecar: as recorded at backup time, or re-recorded."""
    from fleet.backup import read_backup, write_archive

    data = path.read_bytes()
    original_sidecar = path.with_name(path.name + ".sha256").read_text()
    variants: list[tuple[str, bytes, bool]] = []
    for cut in (10, len(data) // 2, len(data) - 8, len(data) - 1):
        variants.append((f"truncated at {cut}", data[:cut], False))
    for cut in (len(data) // 2, len(data) - 1):
        variants.append((f"truncated at {cut}, sha256 re-recorded", data[:cut], True))
    for offset in (40, len(data) // 2, len(data) - 6, len(data) - 2):
        flipped = bytearray(data)
        flipped[offset] ^= 0x5A
        variants.append((f"byte {offset} flipped", bytes(flipped), False))
    for offset in (len(data) - 6, len(data) - 2):  # the CRC32 and the length in the gzip trailer
        flipped = bytearray(data)
        flipped[offset] ^= 0x01
        variants.append((f"trailer byte {offset} flipped, sha256 re-recorded", bytes(flipped), True))
    copies = []
    for index, (label, content, rerecord) in enumerate(variants):
        target = workdir / f"damaged-{index}.tar.gz"
        target.write_bytes(content)
        sidecar = f"{hashlib.sha256(content).hexdigest()}  {target.name}\n" if rerecord else original_sidecar
        target.with_name(target.name + ".sha256").write_text(sidecar)
        copies.append((label, target))
    backup = read_backup(path)
    planted = workdir / "planted.tar.gz"
    write_archive(planted, backup.manifest, backup.dump.replace(
        "CREATE TABLE", f"CREATE TABLE public.{PLANTED_TABLE} (id int);\nCREATE TABLE", 1))  # fmt: skip
    copies.append(("CREATE TABLE public.… planted, file consistent", planted))
    return copies


def drill_archives(tenants) -> dict:
    """Back up each tenant, damage the archive in several ways, and try to restore each: all refused, none created."""
    from django.db import connection
    from django_tenants.utils import schema_exists

    from core.errors import DomainError
    from fleet.backup import tenant_backup, tenant_restore
    from fleet.models import TenantArchive
    from tenants.models import Tenant

    slugs = _slugs(tenants)
    workdir = Path(tempfile.mkdtemp(prefix="drill-archives-"))
    attempts = refused = created = 0
    not_refused: list[str] = []
    try:
        for slug in slugs:
            connection.set_schema_to_public()
            tenant = Tenant.objects.get(slug=slug)
            path = workdir / slug / f"{slug}.tar.gz"
            tenant_backup(tenant=tenant, path=path, actor="drill")
            target = f"{slug[:20]}-drill"
            for label, damaged in _damaged_copies(path, workdir / slug):
                attempts += 1
                try:
                    tenant_restore(path=damaged, actor="drill", as_slug=target)
                except DomainError:
                    refused += 1
                else:
                    not_refused.append(f"{slug}: {label}")
                connection.set_schema_to_public()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT to_regclass(%s)", [f"public.{PLANTED_TABLE}"])
                    planted = cursor.fetchone()[0] is not None
                if Tenant.objects.filter(slug=target).exists() or schema_exists(target.replace("-", "_")) or planted:
                    created += 1
            TenantArchive.objects.filter(tenant_slug=slug, location=str(path.resolve())).delete()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {"tenants": len(slugs), "attempts": attempts, "refused": refused, "created": created,
              "not_refused": not_refused}  # fmt: skip
    result["ok"] = attempts > 0 and refused == attempts and created == 0
    result["line"] = (
        f"corrupted archives refused: {refused}/{attempts} ({len(slugs)} tenants), "
        f"{'nothing' if created == 0 else created} created"
        + (f"; accepted: {'; '.join(not_refused[:3])}" if not_refused else "")
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=3)
    args = parser.parse_args()
    use_private_database(DB_NAME)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from tenants.services import tenant_create

    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        slugs = [f"drill{i:02d}" for i in range(args.tenants)]
        for slug in slugs:
            tenant_create(slug=slug, name=slug, admin_email=f"admin@{slug}.test")
            connection.set_schema_to_public()
        started = time.monotonic()
        outcomes = [drill_suspensions(slugs), drill_archives(slugs)]
        for outcome in outcomes:
            print(outcome["line"])
        print(f"({time.monotonic() - started:.1f} s)")
    finally:
        connection.close()
        drop_database(DB_NAME)
    return 0 if all(outcome["ok"] for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
