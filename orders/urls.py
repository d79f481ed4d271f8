from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sales/", views.sales_order_list, name="sales-order-list"),
    path("sales/<int:pk>/", views.sales_order_detail, name="sales-order-detail"),
    path("sales/<int:pk>/<slug:action>/", views.sales_order_action, name="sales-order-action"),
    path("purchases/", views.purchase_order_list, name="purchase-order-list"),
    path("purchases/<int:pk>/", views.purchase_order_detail, name="purchase-order-detail"),
    path("purchases/<int:pk>/<slug:action>/", views.purchase_order_action, name="purchase-order-action"),
    path("late-shipments/", views.late_shipments, name="late-shipments"),
    path("supplier-lateness/", views.supplier_lateness, name="supplier-lateness"),
]
