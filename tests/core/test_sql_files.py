"""Function bodies live in <app>/sql/*.sql files that migrations load; editing one in place changes the template
fingerprint, so provisioning rebuilds the template instead of copying a stale function into new tenants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.db import connection

from core import sql
from tenants import schema_template


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]  # a tenant copied from the template loses blank lines


def _body(app: str, name: str) -> list[str]:
    return _lines(sql.load_sql(app, name).split("$$")[1])  # the text between the dollar quotes: pg_proc.prosrc


def _stored_body(function: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE p.proname = %s AND n.nspname = current_schema()",
            [function],
        )
        return _lines(cursor.fetchone()[0])


@pytest.mark.parametrize(
    ("function", "app", "name"),
    [
        ("inventory_post_move", "inventory", "post_move_v3.sql"),
        ("inventory_stockmove_immutable", "inventory", "stockmove_immutable_v1.sql"),
        ("inventory_stocklevel_starts_empty", "inventory", "stocklevel_starts_empty_v1.sql"),
        ("audit_auditentry_immutable", "audit", "auditentry_immutable_v1.sql"),
        ("audit_auditentry_stamp", "audit", "auditentry_stamp_v1.sql"),
    ],
)
def test_a_tenant_runs_the_function_body_of_the_sql_file_its_migrations_load(in_acme, function, app, name):
    assert _stored_body(function) == _body(app, name)


def test_the_posting_function_loaded_from_its_file_stays_security_definer(in_acme):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.prosecdef FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE p.proname = 'inventory_post_move' AND n.nspname = current_schema()"
        )
        assert cursor.fetchone()[0] is True


def test_an_sql_file_edited_in_place_changes_the_digest(tmp_path: Path):
    copy = tmp_path / "sql"
    shutil.copytree(sql.sql_path("inventory", "post_move_v2.sql").parent, copy)
    before = sql.sql_dirs_digest({"inventory": copy})
    edited = copy / "post_move_v2.sql"
    edited.write_text(edited.read_text().replace("level_too_large", "level_too_big"))
    assert sql.sql_dirs_digest({"inventory": copy}) != before


def test_the_template_fingerprint_includes_the_sql_files(monkeypatch):
    migrations = schema_template.code_migrations()
    before = schema_template.fingerprint(migrations)
    monkeypatch.setattr(schema_template, "sql_files_digest", lambda: "0" * 64)
    assert schema_template.fingerprint(migrations) != before
