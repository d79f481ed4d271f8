"""Which model and JSONB column hold each entity's custom values: filled by the business apps in `AppConfig.ready`,
so this app names them by label and imports none of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EntityStore:
    model_label: str  # "inventory.Item"
    column: str  # the JSONField holding {key: value}


ENTITIES: dict[str, str] = {
    "item": "Item",
    "partner": "Partner",
    "sales_order": "Sales order",
    "purchase_order": "Purchase order",
}
"""Every entity a tenant may extend, by its key (stored in `CustomField.entity`) and its name for people."""

_stores: dict[str, EntityStore] = {}


def register_entity(entity: str, *, model_label: str, column: str) -> None:
    if entity not in ENTITIES:
        raise ValueError(f"unknown custom-field entity {entity!r}")
    _stores[entity] = EntityStore(model_label, column)


def entity_store(entity: str) -> EntityStore | None:
    return _stores.get(entity)
