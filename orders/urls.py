from django.urls import path

from orders import views

SALES = {"pages": views.SALES_PAGES}
PURCHASES = {"pages": views.PURCHASE_PAGES}

app_name = "orders"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sales/", views.order_list, SALES, name="sales-order-list"),
    path("sales/<int:pk>/", views.order_detail, SALES, name="sales-order-detail"),
    path("sales/new/", views.order_new, SALES, name="sales-order-new"),
    path("sales/<int:pk>/edit/", views.order_edit, SALES, name="sales-order-edit"),
    path("sales/<int:pk>/<slug:action>/", views.order_action, SALES, name="sales-order-action"),
    path("purchases/", views.order_list, PURCHASES, name="purchase-order-list"),
    path("purchases/<int:pk>/", views.order_detail, PURCHASES, name="purchase-order-detail"),
    path("purchases/new/", views.order_new, PURCHASES, name="purchase-order-new"),
    path("purchases/<int:pk>/edit/", views.order_edit, PURCHASES, name="purchase-order-edit"),
    path("purchases/<int:pk>/<slug:action>/", views.order_action, PURCHASES, name="purchase-order-action"),
    path("shipments/<int:pk>/return/", views.delivery_return, {"delivery": "shipment"}, name="shipment-return"),
    path("receipts/<int:pk>/return/", views.delivery_return, {"delivery": "receipt"}, name="receipt-return"),
    path("partners/", views.partner_list, name="partner-list"),
    path("partners/new/", views.partner_new, name="partner-new"),
    path("partners/<int:pk>/edit/", views.partner_edit, name="partner-edit"),
    path("partners/pick/", views.partner_picker, name="partner-picker"),
    path("partners/<int:pk>/prices/", views.supplier_prices, name="supplier-prices"),
    path("supplier-prices/<int:pk>/edit/", views.supplier_price_edit, name="supplier-price-edit"),
    path("late-shipments/", views.late_shipments, name="late-shipments"),
    path("supplier-lateness/", views.supplier_lateness, name="supplier-lateness"),
]
