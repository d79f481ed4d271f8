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
    path("mrp/planned-orders/firm/", views.PlannedOrdersFirmView.as_view(), name="mrp-planned-orders-firm"),
    path("mrp/planned-orders/convert/", views.PlannedOrdersConvertView.as_view(), name="mrp-planned-orders-convert"),
    path("mrp/planned-orders/firm-orders/", views.FirmPlannedOrderListView.as_view(), name="mrp-firm-orders"),
    path("mrp/planned-orders/<int:pk>/", views.PlannedOrderDetailView.as_view(), name="mrp-planned-order"),
    path("mrp/planned-orders/<int:pk>/firm/", views.PlannedOrderFirmView.as_view(), name="mrp-planned-order-firm"),
    path(
        "mrp/planned-orders/<int:pk>/convert/",
        views.PlannedOrderConvertView.as_view(),
        name="mrp-planned-order-convert",
    ),
]
