"""Writes of the access app: users' roles (set by tenant admins) and API keys (created by a tenant admin, the key
returned once and only its hash kept; revoked)."""

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from access.models import ApiKey
from access.roles import GROUP_ROLES, Role, forget_role, role_of
from audit.services import audit_record, changes_since, snapshot
from core.errors import DomainError

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


_USER_FIELDS = {"username", "first_name", "last_name", "email", "is_active"}


def user_create(*, username: str, role: str, by: User | None, password: str | None = None, **fields: object) -> User:
    """A new user of the tenant with one role. Without a password they cannot sign in until one is set."""
    unknown = set(fields) - _USER_FIELDS
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on a user")
    if role not in Role.values:
        raise AccessError(f"unknown role {role!r}: use one of {', '.join(Role.values)}", field="role")
    user = get_user_model()(username=username, **fields)
    with transaction.atomic():
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        values = {name: [None, getattr(user, name)] for name in ("username", *fields)}
        audit_record(user=by, action="access.user_create", obj=user, changes={**values, "role": [None, role]})
        user_set_role(user=user, role=role, by=by)
    return user


def user_update(*, user: User, by: User | None, **fields: object) -> User:
    """Change a user's name, email or whether they may sign in. An admin cannot deactivate themselves."""
    unknown = set(fields) - _USER_FIELDS
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on a user")
    if by is not None and by.pk == user.pk and fields.get("is_active") is False:
        raise AccessError("you cannot deactivate yourself; ask another admin", field="is_active")
    before = snapshot(user, fields)
    for name, value in fields.items():
        setattr(user, name, value)
    with transaction.atomic():
        user.full_clean(exclude=["password"])
        user.save(update_fields=list(fields) or None)
        changes = changes_since(user, before)
        if changes:
            audit_record(user=by, action="access.user_update", obj=user, changes=changes)
    forget_role(user)
    return user


def user_set_password(*, user: User, password: str | None, by: User | None) -> None:
    """Set a user's password (validated by the caller's form), or with None turn password sign-in off."""
    with transaction.atomic():
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
        change = "set" if password else "disabled"
        audit_record(user=by, action="access.user_password_set", obj=user, changes={"password": [None, change]})


@dataclass(frozen=True)
class SetPasswordLink:
    """What a one-time set-password link carries (Django's password-reset token: it stops working once the password
    changes or the user signs in). Shown once to the admin; never stored, logged or audited."""

    user: User
    uidb64: str
    token: str


def _set_password_link(user: User) -> SetPasswordLink:
    return SetPasswordLink(
        user=user, uidb64=urlsafe_base64_encode(force_bytes(user.pk)), token=default_token_generator.make_token(user)
    )


def user_invite(
    *, username: str, email: str, role: str, by: User | None, first_name: str = "", last_name: str = ""
) -> SetPasswordLink:
    """A new user with one role and no password yet, and the one-time link with which they choose one."""
    user = user_create(username=username, role=role, by=by, email=email, first_name=first_name, last_name=last_name)
    return _set_password_link(user)


def user_password_reset(*, user: User, by: User | None) -> SetPasswordLink:
    """Turn off the user's current password and give a one-time link to choose a new one (earlier links stop
    working). An inactive user is reactivated first, by choice, not by a reset."""
    if not user.is_active:
        raise AccessError(f"user {user.get_username()} is deactivated; reactivate them first")
    with transaction.atomic():
        user.set_unusable_password()
        user.save(update_fields=["password"])
        audit_record(user=by, action="access.user_password_reset", obj=user, changes={"password": [None, "reset"]})
    return _set_password_link(user)


def user_set_active(*, user: User, active: bool, by: User | None) -> User:
    """Let a user sign in again, or stop them (their sessions and API keys stop working with them)."""
    return user_update(user=user, by=by, is_active=active)


def user_delete(*, user: User, by: User | None) -> None:
    """Delete a user who has recorded nothing that must keep naming them; an admin cannot delete themselves."""
    if by is not None and by.pk == user.pk:
        raise AccessError("you cannot delete yourself; ask another admin")
    try:
        with transaction.atomic():
            audit_record(
                user=by,
                action="access.user_delete",
                obj=user,
                changes={"username": [user.get_username(), None], "role": [role_of(user), None]},
            )
            user.delete()
    except ProtectedError:
        raise AccessError(
            f"user {user.get_username()} has recorded stock moves or orders; deactivate them instead"
        ) from None


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
