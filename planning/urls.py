"""Planning pages, mounted under /production/mrp/ (where they were before planning became an app)."""

from django.urls import path

from planning import views

app_name = "planning"
urlpatterns = [
    path("", views.mrp_runs, name="mrp-runs"),
    path("runs/<int:pk>/", views.mrp_run_detail, name="mrp-run-detail"),
]
