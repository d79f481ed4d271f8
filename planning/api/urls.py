"""Planning API, mounted under /api/v1/production/ (where the MRP report was before planning became an app)."""

from django.urls import path

from planning.api import views

app_name = "planning-api"
urlpatterns = [
    path("mrp/", views.MrpReportView.as_view(), name="mrp"),
]
