"""Applying one group's plan to one schema: by Django's executor while recording its SQL, or by replaying that SQL."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from fleet.migrator.plan import Group, Target, _applied_in


@contextmanager
def _recording_schema_editor(sink: list[tuple[str, Any]]):
    """Record every statement this thread's connection's schema editors execute (while still executing it)."""
    conn = connections[DEFAULT_DB_ALIAS]
    base = type(conn).SchemaEditorClass

    class RecordingSchemaEditor(base):
        def execute(self, sql, params=()):
            sink.append((str(sql), params))
            return super().execute(sql, params)

    conn.SchemaEditorClass = RecordingSchemaEditor
    try:
        yield sink
    finally:
        del conn.SchemaEditorClass


def _bookkeeping_counts() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM django_content_type), (SELECT count(*) FROM auth_permission)")
        return cursor.fetchone()


def _set_lock_timeout(seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")


def _migrate_with_executor(target: Target, group: Group, *, lock_timeout: float) -> None:
    """Django's executor on one schema, in one transaction; the first success fills the group's recording."""
    from django.contrib.contenttypes.models import ContentType

    statements: list[tuple[str, Any]] = []
    with transaction.atomic():
        connection.set_schema(target.schema_name)
        _set_lock_timeout(lock_timeout)
        before_rows = _applied_in(target.schema_name)
        before_counts = _bookkeeping_counts()
        executor = MigrationExecutor(connection)
        targets = executor.loader.graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        with _recording_schema_editor(statements):
            state = executor.migrate(targets, plan=plan)
        ContentType.objects.clear_cache()
        emit_post_migrate_signal(0, False, connection.alias, apps=state.apps, plan=plan)
        ContentType.objects.clear_cache()
        changed_bookkeeping = _bookkeeping_counts() != before_counts
        recorded = sorted(_applied_in(target.schema_name) - before_rows)
        connection.set_schema_to_public()
    if (
        group.statements is None
        and group.replayable
        and [(m.app_label, m.name) for m, _ in plan] == [(m.app_label, m.name) for m in group.plan]
    ):
        group.statements = statements
        group.recorded = recorded
        group.post_migrate_apps = state.apps if changed_bookkeeping else None


def _replay(target: Target, group: Group, *, lock_timeout: float) -> None:
    """The group's recorded SQL and migration rows, on one schema, in one transaction."""
    from django.contrib.contenttypes.models import ContentType

    with transaction.atomic():
        connection.set_schema(target.schema_name)
        _set_lock_timeout(lock_timeout)
        with connection.cursor() as cursor:
            for sql, params in group.statements:
                cursor.execute(sql, params)
            cursor.execute(
                "INSERT INTO django_migrations (app, name, applied) "
                "SELECT unnest(%s::text[]), unnest(%s::text[]), now()",
                [[app for app, _ in group.recorded], [name for _, name in group.recorded]],
            )
        if group.post_migrate_apps is not None:
            ContentType.objects.clear_cache()
            emit_post_migrate_signal(0, False, connection.alias, apps=group.post_migrate_apps, plan=[])
            ContentType.objects.clear_cache()
        connection.set_schema_to_public()


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:4000]
