from django.contrib.auth import get_user_model
from rest_framework import serializers

from access.models import ApiKey


class ApiKeySerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="Username the key acts as; default: you.",
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    key_hint = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "scope",
            "user",
            "key_hint",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = ["created_at", "last_used_at", "revoked_at"]

    def get_key_hint(self, api_key: ApiKey) -> str:
        return f"erp_{api_key.prefix}_…"


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The key itself: shown in this response only.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
