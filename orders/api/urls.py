from django.urls import path

from core.api_fields import IdRouter
from orders.api import views

router = IdRouter()
router.register("partners", views.PartnerViewSet, basename="partner")
router.register("supplier-items", views.SupplierItemViewSet, basename="supplier-item")
router.register("sales-orders", views.SalesOrderViewSet, basename="sales-order")
router.register("shipments", views.ShipmentViewSet, basename="shipment")
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="purchase-order")
router.register("receipts", views.ReceiptViewSet, basename="receipt")

app_name = "orders-api"
urlpatterns = [
    path("orders-dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("late-shipments/", views.LateShipmentsView.as_view(), name="late-shipments"),
    path("supplier-lateness/", views.SupplierLatenessView.as_view(), name="supplier-lateness"),
    *router.urls,
]
