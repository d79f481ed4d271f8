"""URLs of a tenant host (<slug>.<BASE_DOMAIN>); every view here runs in that tenant's schema."""

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from access.forms import SignInForm
from core.api_schema import SchemaView
from dashboard import views as dashboard_views
from support import views as support_views
from tenants import views
from tenants.password_reset import PasswordResetView

urlpatterns = [
    path("", dashboard_views.tenant_home, name="home"),
    path("healthz", views.health, name="health"),
    path("support/enter/", support_views.support_enter, name="support-enter"),
    path("support/end/", support_views.support_end, name="support-end"),
    path("admin/", admin.site.urls),
    # The login form says when the sign-in limits refused an attempt (access.signin); the rest is Django's.
    path("accounts/login/", LoginView.as_view(authentication_form=SignInForm), name="login"),
    # Before Django's: a reset mail that cannot be sent is an error on the page, never "we've emailed you".
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("inventory/", include("inventory.urls")),
    path("api/v1/", include("inventory.api.urls")),
    path("production/mrp/", include("planning.urls")),
    path("production/", include("production.urls")),
    path("api/v1/production/", include("planning.api.urls")),
    path("api/v1/production/", include("production.api.urls")),
    path("orders/", include("orders.urls")),
    path("api/v1/", include("orders.api.urls")),
    path("api/v1/auth/", include("access.api.urls")),
    path("api/v1/", include("audit.api.urls")),
    path("audit/", include("audit.urls")),
    path("users/", include("access.urls")),
    path("custom-fields/", include("customfields.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),  # generated once per process
    # HTML-only views: DRF's OPTIONS metadata response has no template to render there (a 500), so GET/HEAD only.
    path(
        "api/schema/swagger/",
        SpectacularSwaggerView.as_view(url_name="schema", http_method_names=["get", "head"]),
        name="swagger-ui",
    ),
    path(
        "api/schema/redoc/",
        SpectacularRedocView.as_view(url_name="schema", http_method_names=["get", "head"]),
        name="redoc",
    ),
]
