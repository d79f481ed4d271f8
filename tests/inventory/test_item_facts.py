"""The item page's facts, written in Python (inventory.item_facts), give the HTML the template gave."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template

from inventory import selectors
from inventory.item_facts import item_facts
from inventory.services import stock_receive
from tests.inventory.factories import ItemFactory, LocationFactory, UnitFactory

# The facts templates/inventory/item_detail.html had, as they were.
TEMPLATE_FACTS = """
  <dt>Kind</dt><dd>{{ item.get_kind_display }}</dd>
  <dt>Unit</dt><dd>{{ item.uom.code }} ({% if item.uom.decimals %}up to {{ item.uom.decimals }} decimal place{{ item.uom.decimals|pluralize }}{% else %}whole units{% endif %})</dd>
  {% for conversion in conversions %}<dt>Also in {{ conversion.uom.code }}</dt><dd>1 {{ conversion.uom.code }} = {{ conversion.factor_text }} {{ item.uom.code }}</dd>{% endfor %}
  <dt>Status</dt><dd>{% if item.is_active %}Active{% else %}Inactive{% endif %}</dd>
  <dt>Reorder point</dt><dd>{{ item.reorder_point.normalize }}</dd>
  <dt>Reorder quantity</dt><dd>{{ item.reorder_quantity.normalize }}</dd>
  <dt>Lead time</dt><dd>{{ item.lead_time_days }} day{{ item.lead_time_days|pluralize }}</dd>
  <dt>Planning</dt><dd>{{ item.get_procurement_display }}, {{ item.get_lot_sizing_display|lower }}{% if item.lot_sizing == "fixed" %} of {{ item.lot_quantity.normalize }}{% elif item.lot_sizing == "min_multiple" %} (at least {{ item.lot_minimum.normalize }}, by {{ item.lot_multiple.normalize }}){% elif item.lot_sizing == "periods" %} ({{ item.lot_period_days }} days){% endif %}, safety stock {{ item.safety_stock.normalize }}, BOM level {{ item.low_level_code }}</dd>
  <dt>Standard cost</dt><dd>{{ item.standard_cost.normalize }}</dd>
  <dt>Tracking</dt><dd>{{ item.get_tracking_display }}{% if item.tracking != "none" %} · <a href="{% url 'inventory:lot-list' %}?q={{ item.sku|urlencode }}">its lots</a>{% endif %}</dd>
  {% if item.valuation %}<dt>Average cost</dt><dd id="average-cost">{{ item.valuation.average_cost.normalize }} ({{ item.valuation.value.normalize }} for {{ item.valuation.quantity.normalize }} on hand)</dd>{% endif %}
  {% for key, value in item.attributes.items %}<dt>{{ key }}</dt><dd>{{ value }}</dd>{% endfor %}
"""  # noqa: E501


def as_the_template_gave(pk: int) -> tuple[str, str]:
    page = selectors.item_page(pk)
    template = Template(TEMPLATE_FACTS).render(Context({"item": page.item, "conversions": page.conversions}))
    return item_facts(page.item, page.conversions), template


@pytest.mark.parametrize(
    "shape",
    [
        {},
        {"lot_sizing": "fixed", "lot_quantity": Decimal("250.5000"), "tracking": "lot", "sku": "A&B <x>/é 1"},
        {
            "lot_sizing": "min_multiple",
            "lot_minimum": Decimal("10"),
            "lot_multiple": Decimal("2.50"),
            "is_active": False,
        },
        {"lot_sizing": "periods", "lot_period_days": 1, "lead_time_days": 1, "tracking": "serial"},
        {"attributes": {"colour": "<red>", "weight": "12.5", "hazardous": True, "n": 3}, "description": "x"},
        {"reorder_point": Decimal("1000"), "standard_cost": Decimal("0.0050"), "safety_stock": Decimal("1E+3")},
    ],
)
def test_the_facts_are_the_html_the_template_gave(in_acme, shape):
    item = ItemFactory(**shape)
    ours, template = as_the_template_gave(item.pk)
    assert ours == template


@pytest.mark.parametrize("decimals", [0, 1, 3])
def test_a_unit_with_conversions_and_a_valued_item_give_the_templates_html(in_acme, decimals):
    from inventory.services import conversion_create

    boss = get_user_model().objects.get(username="boss")
    unit = UnitFactory(code=f"u{decimals}", decimals=decimals)
    item = ItemFactory(uom=unit)
    for code, factor in (("box<", "12"), ("pal", "0.02")):
        conversion_create(item=item, uom=UnitFactory(code=code), factor=Decimal(factor), user=boss)
    stock_receive(item=item, location=LocationFactory(), quantity=Decimal("3"), unit_cost=Decimal("2.125"), user=boss)
    ours, template = as_the_template_gave(item.pk)
    assert 'id="average-cost"' in ours and "Also in box&lt;" in ours
    assert ours == template


def test_the_item_page_shows_the_facts(in_acme, acme_client):
    from tests.inventory.conftest import logged_in

    item = ItemFactory(sku="FACTS-1", attributes={"colour": "blue"})
    page = logged_in(acme_client, in_acme).get(f"/inventory/items/{item.pk}/").content.decode()
    assert '<dl class="facts">\n  <dt>Kind</dt>' in page
    assert "<dt>colour</dt><dd>blue</dd>\n</dl>" in page
