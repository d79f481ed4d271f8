"""API authentication bound to the request's tenant: JWTs whose tenant claim must match, and per-tenant API keys.

A refusal is a 401 whatever authenticator comes first in the settings (DRF would turn an AuthenticationFailed into a
403 when the first one, SessionAuthentication, sends no WWW-Authenticate header).
"""

from django.conf import settings
from django.db import connection
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, BasicAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed as JWTAuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from access import signin
from access.models import ApiKey
from core import prepared

TENANT_CLAIM = "tenant"
TENANT_ID_CLAIM = "tenant_id"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class Refused(exceptions.APIException):
    status_code = 401
    default_detail = "Invalid credentials."
    default_code = "authentication_failed"

    def __init__(self, detail: str, *, scheme: str) -> None:
        super().__init__(detail)
        self.auth_header = f'{scheme} realm="api"'


def request_tenant(request: Request):
    """The tenant the request was routed to; None on the public host."""
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
        return None
    return tenant


def tenant_claims(tenant) -> dict[str, object]:
    return {TENANT_CLAIM: tenant.schema_name, TENANT_ID_CLAIM: tenant.pk}


def token_matches_tenant(token, tenant) -> bool:
    return (
        tenant is not None and token.get(TENANT_CLAIM) == tenant.schema_name and token.get(TENANT_ID_CLAIM) == tenant.pk
    )


class TenantJWTAuthentication(JWTAuthentication):
    """`Authorization: Bearer <jwt>`; the token must have been issued on this tenant's host."""

    def authenticate(self, request: Request):
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        try:
            token = self.get_validated_token(raw_token)
        except (TokenError, JWTAuthenticationFailed, exceptions.AuthenticationFailed) as exc:
            raise Refused("Token is invalid or expired.", scheme="Bearer") from exc
        if not token_matches_tenant(token, request_tenant(request)):
            raise Refused("Token was issued for another tenant.", scheme="Bearer")
        try:
            user = self.get_user(token)
        except exceptions.AuthenticationFailed as exc:
            raise Refused("User not found or inactive.", scheme="Bearer") from exc
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    def get_user(self, validated_token):
        """simplejwt's `get_user`, the user read by its id through a prepared statement (core.prepared): compiling
        the lookup cost more CPU than the database spends on it, on every API request."""
        user_id = validated_token.get(jwt_settings.USER_ID_CLAIM)
        if jwt_settings.USER_ID_FIELD not in ("id", "pk") or not _small_id(user_id):
            return super().get_user(validated_token)
        found = prepared.objects(("access.jwt_user",), lambda pk: self.user_model.objects.filter(pk=pk), int(user_id))
        if not found:
            raise JWTAuthenticationFailed("User not found", code="user_not_found")
        user = found[0]
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise JWTAuthenticationFailed("User is inactive", code="user_inactive")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise JWTAuthenticationFailed("The user's password has been changed.", code="password_changed")
        return user


def _small_id(value: object) -> bool:
    """A user id as a token holds it (digits, as text or a number) that fits the id column."""
    text = str(value) if type(value) in (int, str) else ""
    return text.isascii() and text.isdigit() and int(text) <= prepared.BIGINT_MAX


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`; a read-only key may only read (403 otherwise)."""

    keyword = "Api-Key"

    def authenticate(self, request: Request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise Refused("Give the key after 'Api-Key ', without spaces.", scheme=self.keyword)
        if request_tenant(request) is None:
            raise Refused("API keys work on a tenant's host only.", scheme=self.keyword)
        from access.services import api_key_verify  # core.errors imports DRF, which imports this module

        api_key = api_key_verify(parts[1].decode(errors="replace"))
        if api_key is None or not api_key.user.is_active:
            raise Refused("Invalid or revoked API key.", scheme=self.keyword)
        if api_key.scope == ApiKey.Scope.READ_ONLY and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This API key is read-only.")
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


def signin_refused(request: Request) -> exceptions.Throttled | None:
    """The 429 (with Retry-After) for a sign-in the limits refused before hashing (access.signin), if they did."""
    refusal = signin.refusal_of(request)
    if refusal is None:
        return None
    return exceptions.Throttled(wait=refusal.retry_after, detail=refusal.reason)


class LimitedBasicAuthentication(BasicAuthentication):
    """HTTP Basic, only with `API_BASIC_AUTH` on: every request hashes a password. Under the sign-in limits."""

    def authenticate(self, request: Request):
        if not settings.API_BASIC_AUTH:
            return None
        return super().authenticate(request)

    def authenticate_credentials(self, userid, password, request=None):
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            refused = signin_refused(request)
            if refused is not None:
                raise refused from None
            raise
