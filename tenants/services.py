"""Writes to the tenant registry: provisioning, suspension, resumption, deletion.

Each is one transaction. PostgreSQL DDL is transactional, so a provisioning that fails at any step leaves no
registry row, no domain and no schema behind.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.utils import schema_exists, tenant_context

from cells import placement, routing
from core.errors import DomainError
from tenants import db_roles, schema_template
from tenants.models import Domain, Tenant

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,28}[a-z0-9]$")


class ProvisioningError(DomainError):
    pass


class ProvisioningMethod(enum.Enum):
    TEMPLATE = "template"
    MIGRATIONS = "migrations"


@dataclass(frozen=True)
class ProvisionedTenant:
    tenant: Tenant
    url: str
    admin_username: str
    # Exactly one of these: the password given by the caller, or a one-time link to set one.
    admin_password: str | None
    set_password_url: str | None
    from_spare_schema: bool


def schema_name_for(slug: str) -> str:
    # Slugs are DNS labels (no underscores), so mapping '-' to '_' cannot make two slugs share a schema.
    return slug.replace("-", "_")


def tenant_url(slug: str) -> str:
    port = f":{settings.PUBLIC_PORT}" if getattr(settings, "PUBLIC_PORT", None) else ""
    return f"http://{slug}.{settings.BASE_DOMAIN}{port}/"


def validate_new_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise ProvisioningError(
            f"invalid slug {slug!r}: use 2-30 lowercase letters, digits or hyphens, starting with a letter",
            field="slug",
        )
    schema_name = schema_name_for(slug)
    if slug in settings.TENANT_RESERVED_SLUGS or schema_name.startswith("pg_") or schema_name == "public":
        raise ProvisioningError(f"slug {slug!r} is reserved", field="slug")
    if Tenant.objects.filter(slug=slug).exists() or Tenant.objects.filter(schema_name=schema_name).exists():
        raise ProvisioningError(f"slug {slug!r} is already taken", field="slug")
    if schema_exists(schema_name):
        raise ProvisioningError(f"a database schema named {schema_name!r} already exists", field="slug")


def tenant_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str | None = None,
    plan: str = Tenant.Plan.FREE,
    method: ProvisioningMethod = ProvisioningMethod.TEMPLATE,
    cell: str | None = None,
) -> ProvisionedTenant:
    """Create a tenant: registry row, domain, schema with every tenant table, and its first admin user.

    The schema goes to `cell` when given, else where the placement policy says (cells.placement); the registry row
    is on the control plane either way.

    The tenant is active when this returns; if anything fails nothing of it remains. Without `admin_password` the
    admin gets a one-time link to set a password (no password travels through a terminal, and none is hashed here).
    """
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
    slug = (slug or "").strip()
    name = (name or "").strip()
    validate_new_slug(slug)
    if not name:
        raise ProvisioningError("name must not be empty", field="name")
    if plan not in Tenant.Plan.values:
        raise ProvisioningError(f"unknown plan {plan!r}: choose one of {', '.join(Tenant.Plan.values)}", field="plan")
    try:
        validate_email(admin_email)
    except ValidationError:
        raise ProvisioningError(f"invalid admin email {admin_email!r}", field="admin_email") from None
    if admin_password is not None and len(admin_password) < 8:
        raise ProvisioningError("admin password must have at least 8 characters", field="admin_password")

    target_cell = placement.choose_cell(plan=plan, requested=cell)
    if target_cell != routing.current_cell():
        return _create_on_other_cell(
            cell=target_cell, slug=slug, name=name, admin_email=admin_email, admin_password=admin_password,
            plan=plan, method=method,
        )  # fmt: skip

    template = schema_template.ensure_fresh_template() if method is ProvisioningMethod.TEMPLATE else None
    # By migrations: built before the registry transaction, one transaction per migration (as `migrate` does), then
    # renamed into place inside it. Inside a caller's transaction (tests, scripted batches) it is built in that
    # transaction, which a history altering a table that an earlier data migration wrote to cannot pass.
    in_place = template is None and connection.in_atomic_block
    scratch = schema_template.build_schema_by_migrations() if template is None and not in_place else None
    schema_name = schema_name_for(slug)
    try:
        with transaction.atomic():
            tenant = Tenant(
                schema_name=schema_name, slug=slug, name=name, plan=plan, status=Tenant.Status.PROVISIONING,
                cell=target_cell,
            )  # fmt: skip
            tenant.save()
            Domain.objects.create(domain=f"{slug}.{settings.BASE_DOMAIN}", tenant=tenant, is_primary=True)
            from_spare, username, set_password_url = _build_tenant_schema(
                tenant, template=template, scratch=scratch, admin_email=admin_email, admin_password=admin_password
            )
            tenant.status = Tenant.Status.ACTIVE
            tenant.save(update_fields=["status", "updated_at"])
    except (IntegrityError, ProgrammingError):
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        if scratch is not None:
            schema_template.drop_schema(scratch)
        refuse_if_slug_was_taken(slug, schema_name)
        raise
    except BaseException:
        if scratch is not None:
            schema_template.drop_schema(scratch)
        raise
    return ProvisionedTenant(
        tenant=tenant,
        url=tenant_url(slug),
        admin_username=username,
        admin_password=admin_password,
        set_password_url=set_password_url,
        from_spare_schema=from_spare,
    )


def _build_tenant_schema(
    tenant: Tenant,
    *,
    template: schema_template.TemplateState | None,
    scratch: str | None,
    admin_email: str,
    admin_password: str | None,
) -> tuple[bool, str, str | None]:
    """The tenant's schema on the current cell, its role and first admin, in the caller's transaction. Returns
    (claimed a spare, admin username, set-password link)."""
    schema_name = tenant.schema_name
    from_spare = False
    if template is not None:
        from_spare = schema_template.instantiate(template, schema_name)
    elif scratch is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER SCHEMA {schema_template.quote(scratch)} RENAME TO {schema_template.quote(schema_name)}"
            )
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {schema_template.quote(schema_name)}")
        schema_template.migrate_schema(schema_name)
    db_roles.grant_tenant_role(schema_name)
    username = admin_email.split("@", 1)[0] or "admin"
    with tenant_context(tenant):
        admin = get_user_model().objects.create_superuser(username=username, email=admin_email, password=admin_password)
        set_password_url = None if admin_password else _set_password_url(tenant.slug, admin)
    return from_spare, username, set_password_url


def _create_on_other_cell(
    *,
    cell: str,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str | None,
    plan: str,
    method: ProvisioningMethod,
) -> ProvisionedTenant:
    """Provisioning on a cell other than the control plane: two databases, so two transactions. The registry
    transaction stays open while the cell's schema is built and committed inside it; if the cell's part fails the
    registry rows roll back, and if anything fails after the cell committed, the schema and role are dropped there.
    (Inside a caller's transaction, a rollback of the caller's leaves the cell's schema behind: call it outside.)"""
    schema_name = schema_name_for(slug)
    with routing.on_cell(cell):
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        if schema_exists(schema_name):
            raise ProvisioningError(f"a database schema named {schema_name!r} already exists", field="slug")
        template = schema_template.ensure_fresh_template() if method is ProvisioningMethod.TEMPLATE else None
        scratch = schema_template.build_schema_by_migrations() if template is None else None
    on_cell_committed = False
    try:
        with transaction.atomic(using=routing.control_alias()):
            tenant = Tenant(
                schema_name=schema_name, slug=slug, name=name, plan=plan, status=Tenant.Status.PROVISIONING,
                cell=cell,
            )  # fmt: skip
            tenant.save()
            Domain.objects.create(domain=f"{slug}.{settings.BASE_DOMAIN}", tenant=tenant, is_primary=True)
            placement.confirm_placement(tenant, using=routing.control_alias())
            with routing.on_cell(cell):
                with transaction.atomic():
                    from_spare, username, set_password_url = _build_tenant_schema(
                        tenant, template=template, scratch=scratch, admin_email=admin_email,
                        admin_password=admin_password,
                    )  # fmt: skip
                connection.set_schema_to_public()  # type: ignore[attr-defined]
                on_cell_committed = True
            tenant.status = Tenant.Status.ACTIVE
            tenant.save(update_fields=["status", "updated_at"])
    except BaseException as exc:
        with routing.on_cell(cell):
            if on_cell_committed:
                _drop_schema_and_role(schema_name)
            elif scratch is not None:
                schema_template.drop_schema(scratch)
        if isinstance(exc, IntegrityError | ProgrammingError):
            refuse_if_slug_was_taken(slug, schema_name)
        raise
    return ProvisionedTenant(
        tenant=tenant,
        url=tenant_url(slug),
        admin_username=username,
        admin_password=admin_password,
        set_password_url=set_password_url,
        from_spare_schema=from_spare,
    )


def _drop_schema_and_role(schema_name: str) -> None:
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema_template.quote(schema_name)} CASCADE")
        db_roles.drop_tenant_role(schema_name)


def refuse_if_slug_was_taken(slug: str, schema_name: str) -> None:
    """After an IntegrityError or a duplicate schema: if another provisioning or restore of this slug committed
    between our checks and our write (we lost a race), say so in one line; else return (the caller re-raises)."""
    if _taken(slug, schema_name):
        raise ProvisioningError(f"slug {slug!r} is already taken", field="slug") from None


def _taken(slug: str, schema_name: str) -> bool:
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    return (
        Tenant.objects.filter(slug=slug).exists()
        or Tenant.objects.filter(schema_name=schema_name).exists()
        or schema_exists(schema_name)
    )


def _set_password_url(slug: str, user) -> str:
    # Django's password-reset confirmation page on the tenant host; the token is valid for PASSWORD_RESET_TIMEOUT.
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{tenant_url(slug)}accounts/reset/{uid}/{default_token_generator.make_token(user)}/"


def _set_status(tenant: Tenant, status: str, *, allowed_from: set[str]) -> Tenant:
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if locked.status not in allowed_from:
            raise DomainError(f"tenant {locked.slug!r} is {locked.status}; cannot become {status}")
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
    return locked


def tenant_suspend(*, tenant: Tenant) -> Tenant:
    """Suspend a tenant: its host answers 'suspended' at once; its data is kept."""
    return _set_status(tenant, Tenant.Status.SUSPENDED, allowed_from={Tenant.Status.ACTIVE})


def tenant_resume(*, tenant: Tenant) -> Tenant:
    return _set_status(tenant, Tenant.Status.ACTIVE, allowed_from={Tenant.Status.SUSPENDED})


def tenant_delete(*, tenant: Tenant) -> None:
    """Drop the tenant's schema and registry rows together (on another cell: the schema once the rows are gone)."""
    if tenant.cell != routing.current_cell():
        with transaction.atomic(using=routing.control_alias()):
            tenant.delete()
            with routing.on_cell(tenant.cell):
                _drop_schema_and_role(tenant.schema_name)
        return
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema_template.quote(tenant.schema_name)} CASCADE")
        db_roles.drop_tenant_role(tenant.schema_name)
        tenant.delete()
