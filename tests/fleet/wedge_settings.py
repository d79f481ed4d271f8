"""erp.settings plus tests.fleet.wedgeapp, a tenant app whose data migration is followed by an ALTER of the table
it wrote to. Used by subprocesses of the tests in tests/fleet/ only."""

from erp.settings import *  # noqa: F403
from erp.settings import INSTALLED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "tests.fleet.wedgeapp"]
INSTALLED_APPS = [*INSTALLED_APPS, "tests.fleet.wedgeapp"]
TENANT_SPARE_SCHEMAS = 0
