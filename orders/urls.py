from django.urls import path

from orders import views

SALES = {"pages": views.SALES_PAGES}
PURCHASES = {"pages": views.PURCHASE_PAGES}

app_name = "orders"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sales/", views.order_list, SALES, name="sales-order-list"),
    path("sales/<int:pk>/", views.order_detail, SALES, name="sales-order-detail"),
    path("sales/<int:pk>/<slug:action>/", views.order_action, SALES, name="sales-order-action"),
    path("purchases/", views.order_list, PURCHASES, name="purchase-order-list"),
    path("purchases/<int:pk>/", views.order_detail, PURCHASES, name="purchase-order-detail"),
    path("purchases/<int:pk>/<slug:action>/", views.order_action, PURCHASES, name="purchase-order-action"),
    path("shipments/<int:pk>/return/", views.delivery_return, {"delivery": "shipment"}, name="shipment-return"),
    path("receipts/<int:pk>/return/", views.delivery_return, {"delivery": "receipt"}, name="receipt-return"),
    path("late-shipments/", views.late_shipments, name="late-shipments"),
    path("supplier-lateness/", views.supplier_lateness, name="supplier-lateness"),
]
