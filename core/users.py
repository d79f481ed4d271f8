"""Who is acting: the signed-in user, or None for a system write (a task, an import, an anonymous request)."""

from __future__ import annotations


def acting_user[U](user: U | None) -> U | None:
    """`user` if signed in, else None: what a `created_by` column or an audit row records."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None
