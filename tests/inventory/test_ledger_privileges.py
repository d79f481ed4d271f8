"""At the database: a tenant's role posts stock moves only through inventory_post_move() (SECURITY DEFINER, its
search path pinned to its own schema) and changes only `reserved` of stock levels; the services still work."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import tenant_context

from inventory import services
from inventory.models import StockLevel, StockMove
from tenants import db_roles, schema_template
from tenants.models import SpareSchema
from tenants.services import ProvisioningMethod, tenant_create
from tests.inventory.factories import ItemFactory, LocationFactory

RAW_MOVE = (
    "INSERT INTO inventory_stockmove (item_id, quantity, from_location_id, to_location_id, reason, reference,"
    " created_at) VALUES (%s, 1000, NULL, %s, 'receipt', 'forged', now())"
)


def _refused(sql: str, params: list) -> None:
    with pytest.raises(DatabaseError, match="permission denied for table"), transaction.atomic():
        connection.cursor().execute(sql, params)


def assert_ledger_closed_but_services_work(tenant) -> None:
    with tenant_context(tenant):
        item, bin_ = ItemFactory(), LocationFactory()
        _refused(RAW_MOVE, [item.pk, bin_.pk])
        services.stock_receive(item=item, location=bin_, quantity=5, user=None)
        level = StockLevel.objects.get(item=item, location=bin_)
        _refused("UPDATE inventory_stocklevel SET on_hand = 1000 WHERE id = %s", [level.pk])
        services.stock_reserve(item=item, location=bin_, quantity=2, user=None)
        services.stock_unreserve(item=item, location=bin_, quantity=1, user=None)
        issued = services.stock_issue(item=item, location=bin_, quantity=3, user=None)
        services.stock_move_reverse(move=issued, user=None)
        level.refresh_from_db()
        assert (level.on_hand, level.reserved) == (Decimal(5), Decimal(1))
        assert StockMove.objects.filter(item=item).count() == 3


def test_a_raw_insert_of_a_stock_move_as_the_tenant_role_is_refused(in_acme, bolt, a1):
    _refused(RAW_MOVE, [bolt.pk, a1.pk])
    assert not StockMove.objects.filter(reference="forged").exists()


def test_a_raw_change_of_on_hand_as_the_tenant_role_is_refused(in_acme, bolt, a1):
    services.stock_receive(item=bolt, location=a1, quantity=5, user=None)
    level = StockLevel.objects.get(item=bolt, location=a1)
    _refused("UPDATE inventory_stocklevel SET on_hand = 1000 WHERE id = %s", [level.pk])
    level.refresh_from_db()
    assert level.on_hand == 5


def test_a_level_row_the_tenant_role_inserts_starts_empty_and_cannot_be_deleted(in_acme, bolt, a1):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stocklevel (item_id, location_id, on_hand, reserved) VALUES (%s, %s, 1000, 10)"
            " RETURNING id",
            [bolt.pk, a1.pk],
        )
        level = StockLevel.objects.get(pk=cursor.fetchone()[0])
    assert (level.on_hand, level.reserved) == (0, 0)
    _refused("DELETE FROM inventory_stocklevel WHERE id = %s", [level.pk])


def test_stock_moves_cannot_be_changed_or_deleted_by_the_tenant_role(in_acme, bolt, a1):
    move = services.stock_receive(item=bolt, location=a1, quantity=5, user=None)
    _refused("UPDATE inventory_stockmove SET quantity = 1 WHERE id = %s", [move.pk])
    _refused("DELETE FROM inventory_stockmove WHERE id = %s", [move.pk])


def test_moves_and_reservations_through_the_services_still_work(acme):
    assert_ledger_closed_but_services_work(acme)


def test_the_function_runs_in_its_own_schema_whatever_the_callers_search_path(in_acme, bolt, a1):
    with transaction.atomic(), connection.cursor() as cursor:
        # A temporary table first on the path must not catch the move (nor may another schema).
        cursor.execute("CREATE TEMP TABLE inventory_stockmove (LIKE acme.inventory_stockmove)")
        cursor.execute("SET LOCAL search_path = pg_temp, public")
        cursor.execute(
            "SELECT outcome FROM acme.inventory_post_move(%s, 3, 'receipt', NULL, %s, 'pinned', NULL, NULL, NULL,"
            " NULL, now(), false, true)",
            [bolt.pk, a1.pk],
        )
        assert cursor.fetchone()[0] == "ok"
        cursor.execute("SELECT count(*) FROM pg_temp.inventory_stockmove")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM acme.inventory_stockmove WHERE reference = 'pinned'")
        assert cursor.fetchone()[0] == 1
        transaction.set_rollback(True)  # and with it the search path and the temporary table


def _function_search_path(schema_name: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.prosecdef, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = %s AND p.proname = 'inventory_post_move'",
            [schema_name],
        )
        definer, config = cursor.fetchone()
    assert definer
    return config


def test_a_tenant_claimed_from_a_spare_schema_has_the_same_protections(db):
    schema_template.refill_spare_schemas(target=1)
    assert SpareSchema.objects.exists()
    provisioned = tenant_create(slug="later-spare", name="Later", admin_email="a@later.test")
    assert provisioned.from_spare_schema
    assert _function_search_path("later_spare") == ["search_path=later_spare, pg_temp"]
    assert_ledger_closed_but_services_work(provisioned.tenant)


def test_a_tenant_replayed_from_the_template_has_the_same_protections(db):
    with connection.cursor() as cursor:
        for spare in SpareSchema.objects.all():
            cursor.execute(f'DROP SCHEMA IF EXISTS "{spare.schema_name}" CASCADE')
    SpareSchema.objects.all().delete()
    provisioned = tenant_create(slug="later-replay", name="Later", admin_email="a@later.test")
    assert not provisioned.from_spare_schema
    assert _function_search_path("later_replay") == ["search_path=later_replay, pg_temp"]
    assert_ledger_closed_but_services_work(provisioned.tenant)


def test_a_tenant_provisioned_by_migrations_has_the_same_protections(db):
    provisioned = tenant_create(
        slug="later-migrated", name="Later", admin_email="a@later.test", method=ProvisioningMethod.MIGRATIONS
    )
    assert _function_search_path("later_migrated") == ["search_path=later_migrated, pg_temp"]
    assert_ledger_closed_but_services_work(provisioned.tenant)


def test_syncing_roles_again_keeps_the_ledger_closed(acme):
    db_roles.sync_tenant_roles()
    assert_ledger_closed_but_services_work(acme)


def test_the_tenant_role_cannot_rewrite_or_erase_the_value_ledger(in_acme, bolt, a1):
    from inventory.models import ValuationEntry

    services.stock_receive(item=bolt, location=a1, quantity=5, unit_cost="2.00", user=None)
    entry = ValuationEntry.objects.get(item=bolt)
    _refused("UPDATE inventory_valuationentry SET value = 0 WHERE id = %s", [entry.pk])
    _refused("DELETE FROM inventory_valuationentry WHERE id = %s", [entry.pk])
    _refused("DELETE FROM inventory_itemvaluation WHERE item_id = %s", [bolt.pk])
    entry.refresh_from_db()
    assert entry.value == Decimal("10.00")
