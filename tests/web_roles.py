"""A test client signed in to a tenant's pages as a user of a given role (access.roles)."""

from django.test import Client
from django_tenants.utils import tenant_context

from access.services import user_create


def signed_in_as(client: Client, tenant, role: str) -> Client:
    with tenant_context(tenant):
        client.force_login(user_create(username=f"{role}-user", role=role, by=None))
    return client
