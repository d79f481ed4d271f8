# The MRP tests build BOMs and stock with production's fixtures.
from tests.production.conftest import item, make_bom, planner, receiving  # noqa: F401
