from django.urls import path

from core.api_fields import IdRouter
from inventory.api import views

router = IdRouter()
router.register("units", views.UnitViewSet, basename="unit")
router.register("items", views.ItemViewSet, basename="item")
router.register("conversions", views.ConversionViewSet, basename="conversion")
router.register("locations", views.LocationViewSet, basename="location")
router.register("stock-levels", views.StockLevelViewSet, basename="stock-level")
router.register("moves", views.StockMoveViewSet, basename="stock-move")
router.register("lots", views.LotViewSet, basename="lot")

app_name = "inventory-api"
urlpatterns = [
    path("reorder-report/", views.ReorderReportView.as_view(), name="reorder-report"),
    path("valuation/", views.ValuationView.as_view(), name="valuation"),
    *router.urls,
]
