"""URLs of the bare base domain: the public site and the fleet operators' admin (public schema).

The settings' LOGIN_REDIRECT_URL ("home") and LOGOUT_REDIRECT_URL ("login") name tenant pages; here they lead to
the operations admin, so signing in or out of it without a `next` parameter lands on a page of this host.
"""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from fleet.metrics import metrics
from tenants import views

urlpatterns = [
    path("", views.public_home, name="public-home"),
    path("healthz", views.health, name="health"),
    path("metrics", metrics, name="metrics"),  # Prometheus, bearer METRICS_TOKEN only (fleet.metrics)
    path("admin/", admin.site.urls),
    path("operations/", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("accounts/login/", RedirectView.as_view(pattern_name="admin:login", query_string=True), name="login"),
]
