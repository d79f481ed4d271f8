"""django-tenants' PostgreSQL backend, minus redundant `SET search_path` round trips.

Stock django-tenants forgets the search path it set whenever `set_tenant` is called, so every request re-issues
`SET search_path` even when the connection already points at that tenant. Here re-selecting the schema the
connection already uses keeps the remembered path; anything that may have undone it (rollback, reconnect) still
clears it, as upstream does.
"""

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


class DatabaseWrapper(TenantDatabaseWrapper):
    def set_tenant(self, tenant, include_public: bool = True) -> None:
        unchanged = (
            self.search_path_set_schemas is not None
            and self.schema_name == tenant.schema_name
            and self.include_public_schema == include_public
        )
        if unchanged:
            self.tenant = tenant
            return
        super().set_tenant(tenant, include_public)
