"""Writes of the access app: users' roles (set by tenant admins) and API keys (created by a tenant admin, the key
returned once and only its hash kept; revoked)."""

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from access.models import ApiKey
from access.roles import GROUP_ROLES, Role, forget_role, role_of
from audit.services import audit_record
from erp.errors import DomainError

KEY_PREFIX = "erp_"
_ALPHABET = string.ascii_lowercase + string.digits


class AccessError(DomainError):
    pass


class ApiKeyError(AccessError):
    pass


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    key: str  # shown once to the admin, never stored


def user_set_role(*, user: User, role: str, by: User | None) -> User:
    """Give `user` exactly one role (see access.roles). An admin cannot take the admin role from themselves."""
    if role not in Role.values:
        raise AccessError(f"unknown role {role!r}: use one of {', '.join(Role.values)}", field="role")
    old = role_of(user) if user.is_active else (Role.ADMIN if user.is_superuser else None)
    if by is not None and by.pk == user.pk and old == Role.ADMIN and role != Role.ADMIN:
        raise AccessError("you cannot take the admin role from yourself; ask another admin", field="role")
    is_admin = role == Role.ADMIN
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=GROUP_ROLES))
        if user.is_superuser != is_admin or user.is_staff != is_admin:
            user.is_superuser = user.is_staff = is_admin
            user.save(update_fields=["is_superuser", "is_staff"])
        if not is_admin:
            user.groups.add(Group.objects.get(name=role))
        forget_role(user)
        if old != role:
            audit_record(user=by, action="access.user_role_set", obj=user, changes={"role": [old, role]})
    return user


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key(key: str) -> tuple[str, str] | None:
    """(prefix, full key) for a well-formed key, else None."""
    if not key.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = key[len(KEY_PREFIX) :].partition("_")
    if len(prefix) != 12 or len(secret) < 32:
        return None
    return prefix, key


def api_key_create(*, name: str, scope: str, user: User, created_by: User | None) -> NewApiKey:
    """A new key acting as `user`. Only tenant admins hold keys that act for others, so `user` must be active."""
    name = name.strip()
    if not name:
        raise ApiKeyError("give the key a name that says what it is for", field="name")
    if scope not in ApiKey.Scope.values:
        raise ApiKeyError(f"scope must be one of {', '.join(ApiKey.Scope.values)}", field="scope")
    if not user.is_active:
        raise ApiKeyError(f"user {user} is inactive; a key cannot act as them", field="user")
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            name=name, prefix=prefix, key_hash=hash_key(key), scope=scope, user=user, created_by=created_by
        )
        audit_record(
            user=created_by,
            action="access.api_key_create",
            obj=api_key,
            changes={"name": [None, name], "scope": [None, scope], "user": [None, user.get_username()]},
        )
    return NewApiKey(api_key=api_key, key=key)


def api_key_revoke(*, api_key: ApiKey, user: User | None) -> ApiKey:
    """Revoke a key at once; revoking it again changes nothing."""
    with transaction.atomic():
        api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        if api_key.revoked_at is None:
            api_key.revoked_at = timezone.now()
            api_key.revoked_by = user
            api_key.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(
                user=user,
                action="access.api_key_revoke",
                obj=api_key,
                changes={"revoked_at": [None, api_key.revoked_at]},
            )
    return api_key


def api_key_verify(key: str) -> ApiKey | None:
    """The active key whose secret is `key`, or None. Notes the use at most once a minute."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    prefix, full = parsed
    api_key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(full)):
        return None
    if api_key.revoked_at is not None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key
