"""OpenAPI security schemes of the access authenticators (loaded by AccessConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TenantJWTScheme(OpenApiAuthenticationExtension):
    target_class = "access.authentication.TenantJWTAuthentication"
    name = "tenantJWT"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "From POST /api/v1/auth/token/ on this tenant's host; refused on any other tenant's.",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "access.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a key of this tenant, created by its admins; read-only keys only read.",
        }


class LimitedBasicScheme(OpenApiAuthenticationExtension):
    target_class = "access.authentication.LimitedBasicAuthentication"
    name = "basicAuth"

    def get_security_requirement(self, auto_schema):
        from django.conf import settings

        return {self.name: []} if settings.API_BASIC_AUTH else None

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Off unless the server sets API_BASIC_AUTH=true; under the sign-in limits when on.",
        }
