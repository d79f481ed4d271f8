"""erp.settings plus the benchmark's throwaway tenant app, whose migrations live in a temporary directory."""

import os

from erp.settings import *  # noqa: F403
from erp.settings import INSTALLED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "benchfleet"]
INSTALLED_APPS = [*INSTALLED_APPS, "benchfleet"]
MIGRATION_MODULES = {"benchfleet": "benchfleet_migrations"}
TENANT_SPARE_SCHEMAS = 0
TENANT_MULTIPROCESSING_MAX_PROCESSES = int(os.environ.get("TENANT_MULTIPROCESSING_MAX_PROCESSES", "2"))
