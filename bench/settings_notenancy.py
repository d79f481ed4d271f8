"""The same project with tenancy removed: no routing middleware, a plain PostgreSQL backend whose connection
search path is fixed to one tenant's schema. bench/routing.py serves the same view with it as the baseline."""

import os

from erp.settings import *  # noqa: F403
from erp.settings import DATABASES, INSTALLED_APPS, LOGGING, MIDDLEWARE

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django_tenants"]
LOGGING = {**LOGGING, "filters": {}, "handlers": {"console": {"class": "logging.StreamHandler"}}}

# Same middleware minus routing; the baseline still hands templates the (fixed) tenant, so both render the same page.
MIDDLEWARE = ["notenancy_middleware.FixedTenantMiddleware"] + [
    m for m in MIDDLEWARE if m != "tenants.middleware.TenantRoutingMiddleware"
]
ROOT_URLCONF = "erp.urls_tenant"
ALLOWED_HOSTS = ["*"]
DATABASE_ROUTERS = []
DATABASES = {"default": {**DATABASES["default"], "ENGINE": "notenancy_db"}}
DATABASES["default"]["OPTIONS"] = {"options": f"-c search_path={os.environ['BENCH_FIXED_SCHEMA']},public"}
