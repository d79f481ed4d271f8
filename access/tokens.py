"""JWT endpoints of a tenant host: the tokens carry the tenant they were issued for."""

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from access.authentication import request_tenant, signin_refused, tenant_claims, token_matches_tenant
from access.jwt_keys import TenantRefreshToken


class TenantTokenObtainPairSerializer(TokenObtainPairSerializer):
    token_class = TenantRefreshToken  # signed with SECRET_KEY, verified with its fallbacks too (access.jwt_keys)

    def validate(self, attrs: dict) -> dict:
        tenant = request_tenant(self.context["request"])
        if tenant is None:
            raise InvalidToken("Tokens are issued on a tenant's host only.")
        try:
            data = super(TokenObtainPairSerializer, self).validate(attrs)  # authenticates: sets self.user
        except AuthenticationFailed:
            refused = signin_refused(self.context["request"])  # the sign-in limits refused it before hashing
            if refused is not None:
                raise refused from None
            raise
        refresh = self.get_token(self.user)
        for claim, value in tenant_claims(tenant).items():
            refresh[claim] = value
        data["refresh"] = str(refresh)
        data["access"] = str(refresh.access_token)
        return data


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    token_class = TenantRefreshToken

    def validate(self, attrs: dict) -> dict:
        refresh = self.token_class(attrs["refresh"])
        if not token_matches_tenant(refresh, request_tenant(self.context["request"])):
            raise InvalidToken("Token was issued for another tenant.")
        return super().validate(attrs)


class TenantTokenObtainPairView(TokenObtainPairView):
    """Exchange a username and password of this tenant for an access and a refresh token bound to it."""

    serializer_class = TenantTokenObtainPairSerializer


class TenantTokenRefreshView(TokenRefreshView):
    """A new access token for a refresh token issued on this tenant's host."""

    serializer_class = TenantTokenRefreshSerializer
