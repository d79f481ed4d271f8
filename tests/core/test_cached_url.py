"""`{% url %}` remembered per process (core.templatetags.cached_url): Django's text, the URLconf's own paths, each
user's own links, each tenant's own data."""

import pytest
from django.conf import settings
from django.template import Context, Engine, Template
from django.test import Client
from django.urls import NoReverseMatch, set_urlconf
from django_tenants.utils import tenant_context

from core.templatetags import cached_url
from tests.conftest import host_of
from tests.inventory.factories import ItemFactory
from tests.web_roles import signed_in_as

TAGS = (
    "{% url 'inventory:item-list' %}|{% url 'inventory:move-form' 'receive' %}|{% url 'inventory:move-form' kind %}|"
    "{% url 'inventory:item-detail' pk %}|{% url 'inventory:item-edit' pk=pk %}|{% url name pk %}|"
    "{% url 'inventory:item-detail' 7 as link %}[{{ link }}]|{% url 'no-such-name' as nothing %}[{{ nothing }}]|"
    "{% url 'inventory:move-form' true %}"
)
CONTEXT = {"kind": "issue", "pk": 42, "name": "inventory:item-detail", "true": True}


def djangos(source: str, context: dict, *, autoescape: bool = True) -> str:
    """What Django's own `{% url %}` writes (an engine without our builtin)."""
    return Engine(autoescape=autoescape).from_string(source).render(Context(context))


def ours(source: str, context: dict, *, autoescape: bool = True) -> str:
    return Template(source).render(Context(context, autoescape=autoescape))


def test_the_url_tag_of_every_template_is_the_remembering_one():
    assert isinstance(Template("{% url 'inventory:item-list' %}").nodelist[0], cached_url.CachedURLNode)


@pytest.mark.parametrize("autoescape", [True, False])
def test_the_tag_writes_what_djangos_writes_first_and_remembered(autoescape):
    cached_url.clear()
    expected = djangos(TAGS, CONTEXT, autoescape=autoescape)
    assert "/inventory/items/42/" in expected and "[/inventory/items/7/]" in expected and "[]" in expected
    assert ours(TAGS, CONTEXT, autoescape=autoescape) == expected  # reversed
    assert ours(TAGS, CONTEXT, autoescape=autoescape) == expected  # remembered


def test_other_arguments_get_their_own_paths():
    ours(TAGS, CONTEXT)
    assert ours("{% url 'inventory:item-detail' pk %}", {"pk": 43}) == "/inventory/items/43/"
    assert ours("{% url 'inventory:move-form' kind %}", {"kind": "transfer"}) == "/inventory/stock/transfer/"


def test_a_name_that_does_not_reverse_still_raises():
    with pytest.raises(NoReverseMatch):
        ours("{% url 'no-such-name' %}", {})


def test_each_urlconf_answers_with_its_own_paths():
    source = "{% url 'inventory:item-list' as link %}[{{ link }}]"
    assert ours(source, {}) == "[/inventory/]"  # the tenant URLconf, remembered
    set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
    try:
        assert ours(source, {}) == "[]"  # the public site has no inventory
    finally:
        set_urlconf(None)
    assert ours(source, {}) == "[/inventory/]"


def test_nav_links_are_each_users_own_and_each_tenants_page_its_own_data(acme, globex):
    """Warm paths from an admin's page never give a read-only user the links the role cannot use; the same paths
    serve both tenants, each page showing its own item."""
    with tenant_context(acme):
        acme_item = ItemFactory(sku="ACME-ONLY")
    with tenant_context(globex):
        globex_item = ItemFactory(sku="GLOBEX-ONLY")
    cached_url.clear()
    pages = {}
    for tenant, item in ((acme, acme_item), (globex, globex_item)):
        for role in ("admin", "read-only"):
            client = signed_in_as(Client(HTTP_HOST=host_of(tenant)), tenant, role)
            response = client.get(f"/inventory/items/{item.pk}/")
            assert response.status_code == 200
            pages[tenant.slug, role] = response.content.decode()
            with tenant_context(tenant):
                client.logout()
    for slug, other in (("acme", "GLOBEX-ONLY"), ("globex", "ACME-ONLY")):
        admin, reader = pages[slug, "admin"], pages[slug, "read-only"]
        assert other not in admin and other not in reader
        assert slug.upper() + "-ONLY" in admin and slug.upper() + "-ONLY" in reader
        for link in ('href="/inventory/stock/receive/"', 'href="/inventory/imports/new/"', "/edit/"):
            assert link in admin
            assert link not in reader
        for link in ('href="/inventory/"', 'href="/inventory/reorder/"', 'action="/inventory/scan/"'):
            assert link in admin and link in reader
