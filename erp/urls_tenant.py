"""URLs of a tenant host (<slug>.<BASE_DOMAIN>); every view here runs in that tenant's schema."""

from django.contrib import admin
from django.urls import include, path

from tenants import views

urlpatterns = [
    path("", views.tenant_home, name="home"),
    path("healthz", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
]
