"""API keys of this tenant, managed by its admins (signed in, or with a JWT; never with another API key)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from access import services
from access.api.serializers import ApiKeySerializer, NewApiKeySerializer
from access.models import ApiKey
from access.permissions import IsTenantAdmin
from core import api


class NotWithAnApiKey(BasePermission):
    message = "API keys cannot manage API keys; sign in as a tenant admin."

    def has_permission(self, request: Request, view) -> bool:
        return not isinstance(request.auth, ApiKey)


class ApiKeyViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, api.GenericViewSet):
    """Create (the key is in the response, once), list, and revoke keys. Only admins of the tenant."""

    queryset = ApiKey.objects.select_related("user", "created_by", "revoked_by")
    serializer_class = ApiKeySerializer
    permission_classes = [IsTenantAdmin, NotWithAnApiKey]
    filterset_fields = ["scope"]
    ordering_fields = ["created_at", "name"]
    ordering = ["-created_at", "-id"]

    def honours_idempotency_key(self) -> bool:
        """Not for create: its response holds the new key, which is kept nowhere in clear (revoke holds no secret)."""
        return self.action != "create"

    @extend_schema(request=ApiKeySerializer, responses={201: NewApiKeySerializer})
    def create(self, request: Request) -> Response:
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        new = services.api_key_create(
            name=data["name"],
            scope=data.get("scope", ApiKey.Scope.READ_ONLY),
            user=data.get("user", request.user),
            created_by=request.user,
        )
        body = NewApiKeySerializer(new.api_key).data
        body["key"] = new.key
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        """Revoke the key: it stops working at once."""
        api_key = services.api_key_revoke(api_key=self.get_object(), user=request.user)
        return Response(ApiKeySerializer(api_key).data)
