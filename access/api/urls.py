from django.urls import path
from rest_framework.routers import SimpleRouter

from access.api import views
from access.tokens import TenantTokenObtainPairView, TenantTokenRefreshView

router = SimpleRouter()
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")

app_name = "access-api"
urlpatterns = [
    path("token/", TenantTokenObtainPairView.as_view(), name="token"),
    path("token/refresh/", TenantTokenRefreshView.as_view(), name="token-refresh"),
    *router.urls,
]
