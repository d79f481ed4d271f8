"""The item page's ledger rows, written in Python (inventory.ledger_rows), give the HTML the template loop gave."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.utils import timezone

from inventory import selectors
from inventory.ledger_rows import ledger_rows
from inventory.services import stock_issue, stock_move_reverse, stock_receive, stock_transfer
from inventory.services.documents import MoveDocument
from tests.inventory.factories import ItemFactory, LocationFactory, UnitFactory

# The loop templates/inventory/item_detail.html had, as it was.
TEMPLATE_LOOP = """{% for move in moves.object_list %}
  <tr>
    <td>{{ move.pk }}</td>
    <td><time datetime="{{ move.created_at|date:'c' }}">{{ move.created_at|date:"Y-m-d H:i" }}</time></td>
    <td>{{ move.get_reason_display }}{% if move.reverses_id %} (reverses #{{ move.reverses_id }}){% endif %}</td>
    <td class="num">{{ move.quantity.normalize }}</td>
    <td>{{ move.from_location.code|default:"outside" }}</td>
    <td>{{ move.to_location.code|default:"outside" }}</td>
    <td>{{ move.reference }}</td>
    <td>{{ move.created_by.get_username|default:"system" }}</td>
    <td>{% if move.is_reversed %}reversed{% elif move.document %}{% if move.document.url %}<a href="{{ move.document.url }}" title="Undo with {{ move.document.undo }}">{% endif %}{{ move.document.label }}{% if move.document.url %}</a>{% endif %}
      <small>(undo: {{ move.document.undo }})</small>{% elif not move.reverses_id and can.stock %}
      <a href="{{ move.reverse_url }}" aria-label="Reverse move {{ move.pk }}">Reverse…</a>{% endif %}</td>
  </tr>
  {% endfor %}"""  # noqa: E501


@pytest.fixture
def ledger(in_acme):
    """Moves of every shape: from and to outside, a transfer, a reversal and what it reversed, by a user and by
    nobody, a reference to escape, quantities with and without decimals, two posted by documents (with a link and
    without)."""
    boss = get_user_model().objects.get(username="boss")
    item = ItemFactory(sku="LEDGER-1", uom=UnitFactory(code="l"))  # counted to three decimal places
    a1, b2 = LocationFactory(code="A1"), LocationFactory(code="B<2>")
    stock_receive(item=item, location=a1, quantity=Decimal("100"), user=boss, reference="DN-42 <b>&\"'")
    stock_receive(item=item, location=a1, quantity=Decimal("2.5"), user=None)
    issue = stock_issue(item=item, location=a1, quantity=Decimal("1.25"), user=boss)
    stock_transfer(item=item, from_location=a1, to_location=b2, quantity=Decimal("1000") / 10, user=boss)
    stock_move_reverse(move=issue, user=boss, reference="oops")
    moves = list(selectors.item_moves(item=item).order_by("-created_at", "-pk"))
    moves[0].created_at = timezone.make_aware(datetime.datetime(2026, 1, 2, 3, 4, 5, 678901))
    documents = [
        MoveDocument(kind="shipment", label="shipment SH-1 <x>", undo="a customer return", url="/o/?a=1&b=2"),
        MoveDocument(kind="receipt", label="receipt RC-1", undo="a return to supplier", url=None),
    ]
    for index, move in enumerate(moves):
        move.document = documents[index] if index < 2 and not move.is_reversed else None
        move.reverse_url = f"/inventory/moves/{move.pk}/reverse/?x=<1>"
    return moves


@pytest.mark.parametrize("can_stock", [True, False])
def test_ledger_rows_are_the_html_the_template_loop_gave(ledger, can_stock):
    expected = Template(TEMPLATE_LOOP).render(Context({"moves": {"object_list": ledger}, "can": {"stock": can_stock}}))
    assert ledger_rows(ledger, can_stock=can_stock) == expected
    assert "Reverse…" in expected if can_stock else "Reverse…" not in expected


def test_no_moves_give_no_rows():
    assert ledger_rows([], can_stock=True) == ""
