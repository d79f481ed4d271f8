"""Support sessions: a public-side staff user reads one tenant for a while, read-only, with an audit trail.

The operations admin (public host) starts a session with a reason and hands the browser a signed link to the
tenant's host, valid for `SUPPORT_LINK_SECONDS` and usable once. Exchanging it puts only the grant's id in a fresh
tenant session: no tenant user is created or borrowed. `support.middleware.SupportSessionMiddleware` re-checks the
grant on every request, so an ended or expired session is dead at once, and refuses (and records) every write.

Reads allowed: everything a read-only user sees, i.e. every GET/HEAD/OPTIONS page of the UI, the API (through the
session) and the tenant's Django admin with view permissions only (change forms show read-only). Every
POST/PUT/PATCH/DELETE is refused, except ending the session itself.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.errors import DomainError
from support.models import SupportEvent, SupportGrant
from tenants.models import Tenant

SESSION_KEY = "_support_grant"
LINK_SALT = "tenants.support.link"  # links signed before the move to this app stay valid
START_PERMISSION = "support.add_supportgrant"
MIN_REASON_LENGTH = 10


class SupportRefused(DomainError):
    pass


class SupportUser(AnonymousUser):
    """The request's user during a support session: signed in, staff, and holding view permissions only.

    Not a database row (pk is None); the name says who it is in the page banner and in `__str__`.
    """

    is_active = True
    is_staff = True
    is_superuser = False

    def __init__(self, grant: SupportGrant) -> None:
        self.grant = grant
        self.username = f"support:{grant.staff}"

    def __str__(self) -> str:
        return self.username

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_authenticated(self) -> bool:
        return True

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj=None) -> bool:
        return perm.partition(".")[2].startswith("view_")

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, module: str) -> bool:
        return True


def support_session_start(
    *, staff, tenant: Tenant, reason: str, minutes: int | None = None
) -> tuple[SupportGrant, str]:
    """Open a read-only support session on an active tenant for a public staff user who gives a reason; returns the
    grant and its one-time link token."""
    if connection.schema_name != get_public_schema_name():  # `staff` must be a public user, not a tenant's
        raise SupportRefused("Support sessions are opened from the operations admin on the public host.")
    if not (staff.is_active and staff.is_staff and staff.has_perm(START_PERMISSION)):
        raise SupportRefused(f"{staff.get_username() or 'this user'} may not open support sessions.")
    if not tenant.is_active:
        raise SupportRefused(f"{tenant.slug} is {tenant.status}; support sessions open on active tenants only.")
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise SupportRefused(f"Say why you need access (at least {MIN_REASON_LENGTH} characters).", field="reason")
    minutes = minutes or settings.SUPPORT_SESSION_MINUTES
    now = timezone.now()
    with transaction.atomic():
        grant = SupportGrant.objects.create(
            tenant=tenant,
            tenant_slug=tenant.slug,
            staff=staff.get_username(),
            reason=reason,
            started_at=now,
            expires_at=now + datetime.timedelta(minutes=minutes),
        )
        SupportEvent.objects.create(grant=grant, kind=SupportEvent.Kind.START, actor=grant.staff)
    token = signing.dumps({"grant": grant.pk, "tenant": tenant.schema_name}, salt=LINK_SALT)
    return grant, token


def _as_platform[**P, R](service: Callable[P, R]) -> Callable[P, R]:
    # Grants and their trail live in the public schema and are the platform's: called on a tenant's host, where the
    # connection runs as the tenant's PostgreSQL role (tenants.db_roles), they are read and written as the owner.
    @functools.wraps(service)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with schema_context(get_public_schema_name()):
            return service(*args, **kwargs)

    return wrapped


@_as_platform
def support_session_enter(*, token: str, tenant: Tenant) -> SupportGrant:
    """Exchange a link token on the tenant's host for the grant: the token must be fresh, unused, for this tenant,
    and its grant still live."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=settings.SUPPORT_LINK_SECONDS)
    except signing.SignatureExpired as exc:
        raise SupportRefused("This support link has expired; start a new session from the operations admin.") from exc
    except signing.BadSignature as exc:
        raise SupportRefused("This support link is not valid.") from exc
    if data.get("tenant") != tenant.schema_name:
        raise SupportRefused("This support link is for another tenant.")
    now = timezone.now()
    with transaction.atomic():
        claimed = SupportGrant.objects.filter(
            pk=data.get("grant"), tenant=tenant, token_used_at__isnull=True, ended_at__isnull=True, expires_at__gt=now
        ).update(token_used_at=now)
        if claimed != 1:
            raise SupportRefused("This support link was already used, or its session has ended.")
        grant = SupportGrant.objects.get(pk=data["grant"])
        SupportEvent.objects.create(grant=grant, kind=SupportEvent.Kind.ENTER, actor=grant.staff)
    return grant


@_as_platform
def live_grant(*, grant_id, tenant: Tenant) -> SupportGrant | None:
    """The grant of a support session if it is still live on this tenant; an expired one is closed on the way."""
    grant = SupportGrant.objects.filter(pk=grant_id, tenant_id=tenant.pk, token_used_at__isnull=False).first()
    if grant is None or grant.ended_at is not None:
        return None
    if grant.expires_at <= timezone.now():
        _close(grant, reason=SupportGrant.EndReason.EXPIRED, at=grant.expires_at, by="")
        return None
    return grant


@_as_platform
def support_session_end(*, grant: SupportGrant, by: str) -> None:
    """End a support session now (from its banner or the operations admin); later requests find it dead."""
    _close(grant, reason=SupportGrant.EndReason.ENDED, at=timezone.now(), by=by)


@_as_platform
def support_write_refused(*, grant: SupportGrant, method: str, path: str) -> None:
    """Record a write the support session attempted and was refused."""
    SupportEvent.objects.create(
        grant=grant, kind=SupportEvent.Kind.WRITE_REFUSED, method=method, path=path[:500], actor=grant.staff
    )


def _close(grant: SupportGrant, *, reason: str, at: datetime.datetime, by: str) -> None:
    with transaction.atomic():
        closed = SupportGrant.objects.filter(pk=grant.pk, ended_at__isnull=True).update(
            ended_at=at, end_reason=reason, ended_by=by
        )
        if closed:  # only the first closer records it
            kind = SupportEvent.Kind.EXPIRE if reason == SupportGrant.EndReason.EXPIRED else SupportEvent.Kind.END
            SupportEvent.objects.create(grant=grant, kind=kind, actor=by)
    grant.refresh_from_db()


def enter_url(tenant: Tenant, token: str, *, request=None) -> str:
    """The tenant-host address that exchanges `token`; scheme and port follow the operations admin's request."""
    scheme, port = "http", f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    if request is not None:
        scheme = request.scheme
        host = request.get_host()
        port = f":{host.rsplit(':', 1)[1]}" if ":" in host else ""
    return f"{scheme}://{tenant.slug}.{settings.BASE_DOMAIN}{port}/support/enter/?{urlencode({'token': token})}"
