"""Planning API, mounted under /api/v1/production/ (where the MRP report was before planning became an app)."""

from django.urls import path

from planning.api import views

app_name = "planning-api"
urlpatterns = [
    path("mrp/", views.MrpReportView.as_view(), name="mrp"),
    path("mrp/plan/", views.MrpPlanView.as_view(), name="mrp-plan"),
    path("mrp/runs/", views.MrpRunListView.as_view(), name="mrp-runs"),
    path("mrp/runs/<int:pk>/", views.MrpRunDetailView.as_view(), name="mrp-run-detail"),
    path("mrp/runs/<int:pk>/planned-orders/", views.PlannedOrderListView.as_view(), name="mrp-planned-orders"),
]
