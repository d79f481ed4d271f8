"""Who is acting: the signed-in user, or None for a system write (a task, an import, an anonymous request)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser


def acting_user[U](user: U | None) -> U | None:
    """`user` if signed in, else None: what a `created_by` column or an audit row records."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None


User = AbstractBaseUser | None
"""The acting user a service takes: a signed-in user, or None (or an anonymous one) for a system write."""
