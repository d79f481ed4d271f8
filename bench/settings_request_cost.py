"""The product's settings with one extra URL for bench/request_cost.py: the floor view (request_cost_floor.py)."""

from erp.settings import *  # noqa: F403

ROOT_URLCONF = "request_cost_floor"
