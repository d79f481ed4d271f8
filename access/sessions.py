"""The session engine (SESSION_ENGINE): Django's database sessions, the session read by a prepared statement.

Every signed-in page reads its session by key; compiling that lookup cost more CPU than the database spends on it
(core.prepared). Same table, same data, same expiry rule: sessions written by Django's own engine stay valid.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from core import prepared


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        """Django's: the unexpired session of this key, or None (and the key forgotten)."""
        model = self.model
        found = prepared.objects(
            ("access.session", model._meta.label),
            lambda key, now: model.objects.filter(session_key=key, expire_date__gt=now),
            self.session_key,
            timezone.now(),
        )
        if not found:
            self._session_key = None
            return None
        return found[0]
