"""URLs of the bare base domain: the public site and the fleet operators' admin (public schema)."""

from django.contrib import admin
from django.urls import path

from tenants import views

urlpatterns = [
    path("", views.public_home, name="public-home"),
    path("healthz", views.health, name="health"),
    path("admin/", admin.site.urls),
]
