"""Planning pages, mounted under /production/mrp/ (where they were before planning became an app)."""

from django.urls import path

from planning import views

app_name = "planning"
urlpatterns = [
    path("", views.mrp_runs, name="mrp-runs"),
    path("runs/<int:pk>/", views.mrp_run_detail, name="mrp-run-detail"),
    path("runs/<int:pk>/planned-orders/", views.planned_orders_act, name="planned-orders-act"),
    path("planned-orders/<int:pk>/edit/", views.planned_order_edit, name="planned-order-edit"),
]
