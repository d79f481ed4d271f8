"""Helpers for tests that need committed data: other connections (threads, a Celery worker) must see it."""

import threading

from django.db import connection
from django_tenants.utils import tenant_context


def committed(fn):
    """Run fn in a thread of its own, on a connection of its own: what it writes is committed when it returns."""
    results, errors = [], []

    def target() -> None:
        try:
            results.append(fn())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def in_tenant(tenant, fn):
    def run():
        with tenant_context(tenant):
            return fn()

    return committed(run)
