"""URLs under /api/v2/plannedmaintenance/ (there is no v1 counterpart)."""

from rest_framework.routers import SimpleRouter

from argus.plannedmaintenance.api.views import PlannedMaintenanceTaskViewSet

router = SimpleRouter()
router.register("", PlannedMaintenanceTaskViewSet, basename="plannedmaintenance")

urlpatterns = router.urls
