"""Which capability (access.roles) each orders write needs; read by the API views and the pages alike."""

from access.roles import Capability

# Planning the orders: create, change, confirm, reserve, send, cancel. Shipping and receiving is floor work.
ORDER_ACTIONS = {
    "create": Capability.PLANNING,
    "update": Capability.PLANNING,
    "partial_update": Capability.PLANNING,
    "destroy": Capability.PLANNING,
    "confirm": Capability.PLANNING,
    "reserve": Capability.PLANNING,
    "send": Capability.PLANNING,
    "cancel": Capability.PLANNING,
    "ship": Capability.FLOOR,
    "receive": Capability.FLOOR,
    "return": Capability.FLOOR,  # a customer return of a shipment, a return to supplier of a receipt
}
