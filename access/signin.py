"""Sign-in limits: failed sign-ins per tenant + username and per tenant + client address, with growing back-off.

Every password sign-in (login form, tenant and operations admin, `/api/v1/auth/token/`, HTTP Basic when on) goes
through `SignInLimitBackend`, the first authentication backend. Before the password is hashed (PBKDF2 costs 0.5-1.4 s
of CPU here, and Django's ModelBackend hashes even for a username that does not exist) it asks Redis, in one round
trip, whether the username or the client address is locked on this tenant; a locked one is refused at once, for well
under a millisecond, whatever the password. Each failure counts for the username and for the address; at
`SIGNIN_FAILURES_PER_USER` (or `SIGNIN_FAILURES_PER_ADDRESS`) failures the key is locked for `SIGNIN_LOCK_SECONDS`,
and each further failure after the lock ends doubles it (up to `SIGNIN_LOCK_MAX_SECONDS`). Refused attempts are not
counted: a flood is answered from Redis and cannot push the lock further. Failures are forgotten
`SIGNIN_FAILURE_WINDOW_SECONDS` after the last one; a successful sign-in clears the username's failures (not the
address's: one valid account must not wipe an address's record of guessing others). And however many addresses a
flood comes from, at most `SIGNIN_CONCURRENT_HASHES` passwords of one tenant are hashed at once (a Redis sorted set
of slots): the rest are refused at once, so a tenant under attack cannot take every worker and core from the others.

Keys carry `SIGNIN_KEY_PREFIX` (the cache prefix) and the schema (the tenant, or "public" for the operations admin), so
one tenant's failures never lock the same username on another tenant. The client address is `REMOTE_ADDR`, or the right-
most `X-Forwarded-For` entry that is not one of `TRUSTED_PROXIES` (the nginx edge appends the address it saw) when the
request came from a trusted proxy: a client cannot pick its own address to escape the limit.

A process that has seen a lock remembers it until it ends and refuses without asking Redis again (as
`access.ratelimit` does with spent budgets). A refusal is recorded at most once a minute per locked key and process
(a flood must not become a flood of inserts): in the tenant's audit log (`access.signin_refused`; a new lock is
`access.signin_locked`), and on the public host, which has no audit log, as a warning log line naming the host.

Why not django-axes 8.3 (it fits schema-per-tenant through the cache handler, whose keys pass through
`django_tenants.cache.make_key`, and its backend does check before ModelBackend hashes): one failure limit for every
lockout parameter (an address shared by a whole office needs a higher limit than a username), a fixed cool-off rather
than a back-off that grows with repeated failures, a WARNING log line per failed or refused attempt (a flood becomes
a log flood), DRF's request wrapper keeps its lockout flag from its middleware (so the API needs our own 429 anyway),
and three or more cache round trips per failure. What remains is a few Redis commands.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import secrets
import time
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import connection

from core import prepared

logger = logging.getLogger(__name__)

USERNAME, ADDRESS, BUSY = "username", "address", "busy"
SLOT_SECONDS = 10  # a hashing slot not given back by then (a killed worker) is free again
AUDIT_EVERY = 60  # seconds: one audit entry (or log line) per locked key and minute, not one per refused attempt
REFUSAL_ATTR = "signin_refusal"
_MEMO_MAX = 10_000
# Redis key of a lock -> when it ends (wall clock, as stored): locks this process has seen.
_locked_until: dict[str, float] = {}
# Redis key of a lock -> when this process last recorded a refusal by it.
_noted_at: dict[str, float] = {}


@dataclass(frozen=True)
class Refusal:
    """A sign-in refused before its password was looked at: which limit, and in how many seconds one may try again."""

    scope: str  # USERNAME, ADDRESS or BUSY (the tenant's hashing slots are taken)
    retry_after: float

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))

    @property
    def reason(self) -> str:
        if self.scope == BUSY:
            return "Too many sign-ins at once on this workspace."
        who = "this username" if self.scope == USERNAME else "your address"
        return f"Too many failed sign-ins for {who}."

    @property
    def message(self) -> str:
        """For a form: the reason and when to try again."""
        seconds = int(self.retry_after_header)
        if seconds >= 120:
            return f"{self.reason} Try again in {math.ceil(seconds / 60)} minutes."
        wait = f"{seconds} second{'' if seconds == 1 else 's'}"
        return f"{self.reason} Try again in {wait}."


def client_address(request) -> str:
    """The client's address: `REMOTE_ADDR`, or behind a trusted proxy the right-most untrusted X-Forwarded-For entry."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or "unknown"
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if not forwarded or not _trusted(remote):
        return remote
    for hop in reversed([part.strip() for part in forwarded.split(",")]):
        if hop and not _trusted(hop):
            return hop[:64]
    return remote


def check(request, username: str | None) -> Refusal | None:
    """The refusal for a sign-in as `username` from this request's address, or None when it may be tried.

    One Redis read; none while this process remembers a lock it has seen (a lock is never shortened while it lasts:
    a refused attempt does not count, and a success, which clears a username's lock, cannot happen during it).
    """
    keys = _keys(request, username)
    now = time.time()
    until = {scope: _locked_until.get(key, 0.0) for scope, key in keys.items()}
    if max(until.values()) <= now:
        try:
            values = _redis().mget([_lock(key) for key in keys.values()])
        except redis.RedisError as exc:
            _redis_down(exc)
            return None
        until = {scope: float(value) if value is not None else 0.0 for scope, value in zip(keys, values, strict=True)}
        if len(_locked_until) >= _MEMO_MAX:
            _locked_until.clear()
        _locked_until.update({keys[scope]: value for scope, value in until.items() if value > now})
    scope = max(until, key=until.get)
    if until[scope] <= now:
        return None
    refusal = Refusal(scope=scope, retry_after=until[scope] - now)
    _record_refusal(request, username, refusal, keys[scope])
    return refusal


def record_failure(request, username: str | None) -> None:
    """Count a failed sign-in for the username and the address; lock each one past its limit, for longer each time."""
    keys = _keys(request, username)
    window = settings.SIGNIN_FAILURE_WINDOW_SECONDS
    try:
        pipe = _redis().pipeline(transaction=False)
        for key in keys.values():
            pipe.incr(_failures(key))
            pipe.expire(_failures(key), window)
        counts = pipe.execute()[::2]
    except redis.RedisError as exc:
        _redis_down(exc)
        return
    limits = {USERNAME: settings.SIGNIN_FAILURES_PER_USER, ADDRESS: settings.SIGNIN_FAILURES_PER_ADDRESS}
    for (scope, key), failures in zip(keys.items(), counts, strict=True):
        if failures < limits[scope]:
            continue
        seconds = lock_seconds(failures - limits[scope])
        try:
            pipe = _redis().pipeline(transaction=False)
            until = time.time() + seconds
            pipe.set(_lock(key), f"{until:.3f}", ex=seconds)
            pipe.expire(_failures(key), window + seconds)
            pipe.execute()
        except redis.RedisError as exc:
            _redis_down(exc)
            return
        _locked_until[key] = until
        _audit(request, username, "access.signin_locked", scope=scope, failures=failures, seconds=seconds)


def address_locked(request) -> Refusal | None:
    """The lock on this request's address that this process already knows of, read without Redis: lets a flood of
    failed credentials from one address be refused before sessions, authentication and DRF (access.middleware)."""
    key = _keys(request, None)[ADDRESS]
    remaining = _locked_until.get(key, 0.0) - time.time()
    if remaining <= 0:
        return None
    refusal = Refusal(scope=ADDRESS, retry_after=remaining)
    _record_refusal(request, None, refusal, key)  # audited once a minute per lock and process
    return refusal


def record_success(request, username: str) -> None:
    """A successful sign-in clears the username's failures and lock on this tenant."""
    key = _keys(request, username)[USERNAME]
    _locked_until.pop(key, None)
    try:
        _redis().delete(_failures(key), _lock(key))
    except redis.RedisError as exc:
        _redis_down(exc)


def take_hashing_slot() -> str | None:
    """One of the tenant's `SIGNIN_CONCURRENT_HASHES` slots for checking a password (a token to give back), or None.

    However many addresses a flood comes from, a tenant's password checks then occupy at most that many workers and
    cores; the rest are refused at once. The earliest arrivals hold the slots (rank in a sorted set by time).
    """
    key, token, now = _slots_key(), secrets.token_hex(8), time.time()
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.zremrangebyscore(key, 0, now - SLOT_SECONDS)
        pipe.zadd(key, {token: now})
        pipe.zrank(key, token)
        pipe.expire(key, SLOT_SECONDS)
        rank = pipe.execute()[2]
        if rank is not None and rank >= settings.SIGNIN_CONCURRENT_HASHES:
            _redis().zrem(key, token)
            return None
    except redis.RedisError as exc:
        _redis_down(exc)
    return token


def give_back_hashing_slot(token: str) -> None:
    try:
        _redis().zrem(_slots_key(), token)
    except redis.RedisError as exc:
        _redis_down(exc)


def lock_seconds(over: int) -> int:
    """How long a key is locked at `over` failures past its limit: the first lock, doubled each time, capped."""
    first, most = settings.SIGNIN_LOCK_SECONDS, settings.SIGNIN_LOCK_MAX_SECONDS
    return min(most, first * 2 ** min(over, 32))


def refusal_of(request) -> Refusal | None:
    """The refusal `SignInLimitBackend` noted on this request (a Django or DRF request), if it refused a sign-in."""
    return getattr(getattr(request, "_request", request), REFUSAL_ATTR, None)


class SignInLimitBackend(ModelBackend):
    """ModelBackend behind the sign-in limits: refuses locked usernames and addresses before hashing anything.

    A failure is final (PermissionDenied stops Django's backend loop): `django.contrib.auth.backends.ModelBackend`
    stays listed after this one only so that sessions it signed in remain valid, and must not hash the password again.
    """

    def get_user(self, user_id):
        """ModelBackend's: the active user of this id, or None; read by a prepared statement (core.prepared), as
        every signed-in page asks for it."""
        if type(user_id) is not int or not 0 < user_id <= prepared.BIGINT_MAX:
            return super().get_user(user_id)
        model = get_user_model()
        found = prepared.objects(("access.session_user",), lambda pk: model._default_manager.filter(pk=pk), user_id)
        return found[0] if found and self.user_can_authenticate(found[0]) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if request is None or username is None or password is None:
            return super().authenticate(request, username, password, **kwargs)
        username = str(username)
        refusal = check(request, username)
        if refusal is not None:
            setattr(getattr(request, "_request", request), REFUSAL_ATTR, refusal)
            raise PermissionDenied(refusal.reason)
        slot = take_hashing_slot()
        if slot is None:
            refusal = Refusal(scope=BUSY, retry_after=1)
            _record_refusal(request, username, refusal, _slots_key())
            setattr(getattr(request, "_request", request), REFUSAL_ATTR, refusal)
            raise PermissionDenied(refusal.reason)
        try:
            user = super().authenticate(request, username, password, **kwargs)
        finally:
            give_back_hashing_slot(slot)
        if user is None:
            record_failure(request, username)
            raise PermissionDenied("Wrong username or password.")
        record_success(request, username)
        return user


def _keys(request, username: str | None) -> dict[str, str]:
    base = f"{settings.SIGNIN_KEY_PREFIX}:{connection.schema_name}"
    keys = {ADDRESS: f"{base}:addr:{client_address(request)}"}
    if username:
        keys[USERNAME] = f"{base}:user:{hashlib.sha256(username.encode()).hexdigest()[:32]}"
    return keys


def _slots_key() -> str:
    return f"{settings.SIGNIN_KEY_PREFIX}:{connection.schema_name}:hashing"


def _lock(key: str) -> str:
    return f"{key}:lock"


def _failures(key: str) -> str:
    return f"{key}:failures"


def _record_refusal(request, username: str | None, refusal: Refusal, key: str) -> None:
    now = time.monotonic()
    if now - _noted_at.get(key, -AUDIT_EVERY) < AUDIT_EVERY:
        return
    if len(_noted_at) >= _MEMO_MAX:
        _noted_at.clear()
    _noted_at[key] = now
    _audit(request, username, "access.signin_refused", scope=refusal.scope, seconds=int(refusal.retry_after_header))


def _audit(request, username: str | None, action: str, **details: object) -> None:
    details = {"username": username or "", "address": client_address(request), "entry": request.path, **details}
    if connection.schema_name == "public":
        logger.warning("%s on %s: %s", action, request.META.get("HTTP_HOST", ""), details)
        return
    from audit.services import audit_record  # a tenant app; this module is also imported on the public host

    user_model = get_user_model()
    obj = user_model.objects.filter(username=username).first() if username else None
    audit_record(
        user=None,
        action=action,
        obj=obj if obj is not None else user_model(username=(username or "")[:150]),
        changes={field: [None, value] for field, value in details.items()},
    )


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


@cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


_down_logged_at = -float(AUDIT_EVERY)


def _redis_down(exc: Exception) -> None:
    """Without Redis, sign-ins go on unlimited (and hashed): one warning a minute says so."""
    global _down_logged_at
    now = time.monotonic()
    if now - _down_logged_at >= AUDIT_EVERY:
        _down_logged_at = now
        logger.warning("Sign-in limits are off: Redis is unreachable (%s)", exc)


def _redis() -> redis.Redis:
    return _client(settings.CACHES["default"]["LOCATION"])


@cache
def _client(url: str) -> redis.Redis:
    """One client and connection pool per process."""
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
