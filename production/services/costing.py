"""The BOM cost roll-up: standard costs computed bottom-up through every level, recorded as a run, then set.

An item made from a BOM costs, per unit: material (each component's quantity x (1 + scrap/100) x the component's
cost) + labour + overhead (the BOM's amounts per unit, or per batch spread over the batch size). A component with
an active BOM of its own is costed by the same rule first (its new cost is what its parents use); a purchased one
at its standard cost. Each part is rounded to 4 places.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from audit.services import audit_record
from inventory.models import Item
from inventory.services import item_standard_costs_set
from production.models import Bom, CostRollup, CostRollupLine, ProductionEvent
from production.selectors import RollupInput, rollup_inputs
from production.services._shared import PLACES, User, _acting
from production.services.boms import _lock_bom_graph
from production.services.errors import InvalidBom


def _money(value: Decimal) -> Decimal:
    return value.quantize(PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class _Cost:
    level: int
    material: Decimal
    labour: Decimal
    overhead: Decimal

    @property
    def total(self) -> Decimal:
        return self.material + self.labour + self.overhead


def rollup_costs(inputs: list[RollupInput]) -> dict[int, _Cost]:
    """The per-unit cost of each BOM item in `inputs`, bottom-up (pure: no query)."""
    lines: dict[int, list[RollupInput]] = defaultdict(list)
    for row in inputs:
        lines[row.item_id].append(row)
    costs: dict[int, _Cost] = {}
    visiting: set[int] = set()

    def cost_of(item_id: int) -> _Cost:
        if item_id in costs:
            return costs[item_id]
        if item_id in visiting:  # the BOM services refuse cycles; data that has one anyway is not costed
            raise InvalidBom(f"the BOM of {lines[item_id][0].sku} contains itself; fix it before rolling up")
        visiting.add(item_id)
        first = lines[item_id][0]
        material, level = Decimal(0), 1
        for line in lines[item_id]:
            if line.component_id in lines:
                below = cost_of(line.component_id)
                unit, level = below.total, max(level, below.level + 1)
            else:
                unit = line.component_cost
            material += line.quantity * (1 + line.scrap_percent / 100) * unit
        bom = Bom(
            labour_cost=first.labour_cost, overhead_cost=first.overhead_cost, cost_basis=first.cost_basis,
            batch_size=first.batch_size,
        )  # fmt: skip
        labour, overhead = bom.unit_conversion
        visiting.discard(item_id)
        costs[item_id] = _Cost(level, _money(material), _money(labour), _money(overhead))
        return costs[item_id]

    for item_id in lines:
        cost_of(item_id)
    return costs


def cost_rollup_run(*, user: User, item: Item | None = None) -> CostRollup:
    """Roll the costs up through every level of the active BOMs (only `item`'s tree when given), record the run
    with each item's old and new cost and its breakdown, and set the new standard costs, all in one transaction.

    BOM writes wait meanwhile (the BOM graph lock), so the run costs one consistent set of BOMs."""
    if item is not None:
        item = Item.objects.filter(pk=item.pk).first()
        if item is None:
            raise InvalidBom("choose an existing item", field="item")
        if not Bom.objects.filter(item_id=item.pk, is_active=True).exists():
            raise InvalidBom(f"item {item.sku} has no active BOM: nothing to roll up", field="item")
    with transaction.atomic():
        _lock_bom_graph()
        inputs = rollup_inputs(item=item)
        costs = rollup_costs(inputs)
        old = {row.item_id: row.old_cost for row in inputs}
        rollup = CostRollup.objects.create(item=item, item_count=len(costs), created_by=_acting(user))
        CostRollupLine.objects.bulk_create(
            CostRollupLine(
                rollup=rollup,
                item_id=item_id,
                level=cost.level,
                old_cost=old[item_id],
                material_cost=cost.material,
                labour_cost=cost.labour,
                overhead_cost=cost.overhead,
                new_cost=cost.total,
            )
            for item_id, cost in sorted(costs.items(), key=lambda entry: (entry[1].level, entry[0]))
        )
        rollup.changed_count = item_standard_costs_set(
            costs={item_id: cost.total for item_id, cost in costs.items()},
            user=user,
            reason=f"cost roll-up #{rollup.pk}",
        )
        rollup.save(update_fields=["changed_count"])
        audit_record(
            user=user,
            action="production.cost_rollup",
            obj=rollup,
            changes={"items": [None, rollup.item_count], "changed": [None, rollup.changed_count]},
        )
        ProductionEvent.objects.create(
            action=ProductionEvent.Action.COST_ROLLUP,
            detail={"rollup": rollup.pk, "items": rollup.item_count, "changed": rollup.changed_count},
            created_by=_acting(user),
        )
    return rollup
