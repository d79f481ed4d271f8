"""Which capability (access.roles) each production write needs; read by the API views and the pages alike."""

from access.roles import Capability

WORK_ORDER_ACTIONS = {
    "create": Capability.PLANNING,
    "update": Capability.PLANNING,
    "partial_update": Capability.PLANNING,
    "destroy": Capability.PLANNING,
    "release": Capability.PLANNING,
    "cancel": Capability.PLANNING,
    "start": Capability.FLOOR,
    "complete": Capability.FLOOR,
    "uncomplete": Capability.FLOOR,
}
