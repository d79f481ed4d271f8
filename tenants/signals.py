"""Registry changes invalidate the routing cache, whichever path made them (services, admin, shell)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.models import Domain, Tenant
from tenants.routing import registry_changed


@receiver([post_save, post_delete], sender=Tenant, dispatch_uid="tenants.tenant_changed")
@receiver([post_save, post_delete], sender=Domain, dispatch_uid="tenants.domain_changed")
def _registry_row_changed(**kwargs) -> None:
    registry_changed()
