from rest_framework.routers import SimpleRouter

from audit.api import views

router = SimpleRouter()
router.register("audit-entries", views.AuditEntryViewSet, basename="audit-entry")

app_name = "audit-api"
urlpatterns = router.urls
