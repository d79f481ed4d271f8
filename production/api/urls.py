from django.urls import path

from core.api_fields import IdRouter
from production.api import views

router = IdRouter()
router.register("boms", views.BomViewSet, basename="bom")
router.register("work-orders", views.WorkOrderViewSet, basename="work-order")
router.register("cost-rollups", views.CostRollupViewSet, basename="cost-rollup")

app_name = "production-api"
urlpatterns = [
    path("explosion/<int:item_id>/", views.ExplosionView.as_view(), name="explosion"),
    path("where-used/<int:item_id>/", views.WhereUsedView.as_view(), name="where-used"),
    *router.urls,
]
