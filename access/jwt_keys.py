"""The API's JWTs are signed with SECRET_KEY and verified with it, then with each of SECRET_KEY_FALLBACKS.

So a key rotation works for tokens as Django's own signing does for sessions and links: move the old key to
SECRET_KEY_FALLBACKS, and tokens it signed (refresh tokens live JWT_REFRESH_HOURS) stay valid until the fallback is
dropped. simplejwt has no fallbacks of its own: its backend signs with one key read once at import.
"""

from functools import cache
from typing import Any

from django.conf import settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken


@cache
def _backend(key: str) -> TokenBackend:
    return TokenBackend(
        api_settings.ALGORITHM,  # an HMAC algorithm (HS256): signing and verifying key are the same secret
        key,
        api_settings.VERIFYING_KEY,
        api_settings.AUDIENCE,
        api_settings.ISSUER,
        api_settings.JWK_URL,
        api_settings.LEEWAY,
        api_settings.JSON_ENCODER,
    )


class RotatingKeyTokenBackend:
    """simplejwt's TokenBackend interface (encode, decode, get_leeway) over the current key and its fallbacks."""

    def encode(self, payload: dict[str, Any]) -> str:
        return _backend(settings.SECRET_KEY).encode(payload)

    def decode(self, token: str, verify: bool = True) -> dict[str, Any]:
        *fallbacks, last = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        for key in fallbacks:
            try:
                return _backend(key).decode(token, verify)
            except TokenBackendExpiredToken:
                raise  # the signature matched this key: the token is ours, and expired
            except TokenBackendError:
                continue
        return _backend(last).decode(token, verify)

    def get_leeway(self):
        return _backend(settings.SECRET_KEY).get_leeway()


token_backend = RotatingKeyTokenBackend()


class TenantAccessToken(AccessToken):
    _token_backend = token_backend


class TenantRefreshToken(RefreshToken):
    _token_backend = token_backend
    access_token_class = TenantAccessToken
