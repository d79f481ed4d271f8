"""Every POST of the API honours `Idempotency-Key`: the routes are walked from the URLconf, so a new endpoint that
does not is a failing test, not a forgotten mixin. The per-endpoint behaviour is tested in each app's
test_idempotency.py."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.idempotency import HEADER, REPLAYED_HEADER, fingerprint, record_model, scoped_key
from tests.inventory.conftest import logged_in

# POSTs that do not keep a response, each with its reason. Nothing else may join this list without one.
EXEMPT = {
    "/api/v1/auth/token/": "exchanges credentials for a token: writes nothing, and a stored answer would hold tokens",
    "/api/v1/auth/token/refresh/": "same: writes nothing, and a stored answer would hold a token",
    "/api/v1/auth/api-keys/": "the answer holds the new API key in clear, shown once and kept nowhere",
}


def _post_routes(patterns=None, namespace: str = ""):
    """(url, view class) of each route of the tenant URLconf that answers POST, detail ids filled with 1."""
    for entry in get_resolver(settings.ROOT_URLCONF).url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from _post_routes(entry.url_patterns, inner)
            continue
        assert isinstance(entry, URLPattern)
        view = getattr(entry.callback, "cls", None)
        actions = getattr(entry.callback, "actions", None)
        answers_post = "post" in actions if actions is not None else hasattr(view, "post")
        if view is None or not answers_post or entry.name is None:
            continue
        name = f"{namespace}:{entry.name}" if namespace else entry.name
        yield reverse(name, kwargs={group: "1" for group in entry.pattern.regex.groupindex}), view


@pytest.fixture
def api(acme, acme_client):
    return logged_in(acme_client, acme)


def test_the_walk_finds_the_api_posts():
    urls = {url for url, _ in _post_routes()}
    assert {"/api/v1/moves/", "/api/v1/moves/1/reverse/", "/api/v1/production/work-orders/1/complete/"} <= urls
    assert set(EXEMPT) <= urls


def test_every_api_post_replays_the_response_kept_for_its_key(api, in_acme):
    """A record kept for (this user, key, request) is answered byte for byte, before the view runs."""
    boss = get_user_model().objects.get(username="boss")
    checked = []
    for url, _view in _post_routes():
        if not url.startswith("/api/") or url in EXEMPT:
            continue
        kept = f'{{"kept for": "{url}"}}'.encode()
        record_model()._default_manager.create(
            key=scoped_key(boss.pk, "walk"),
            fingerprint=fingerprint("POST", url, {}),
            response_status=201,
            response_content=kept,
            response_content_type="application/json",
        )
        response = api.post(url, {}, content_type="application/json", headers={HEADER: "walk"})
        assert (response.status_code, response.content, response.get(REPLAYED_HEADER)) == (201, kept, "true"), url
        record_model()._default_manager.all().delete()
        checked.append(url)
    assert len(checked) >= 20


def test_every_api_post_of_the_schema_declares_the_header_and_its_422(api):
    schema = api.get("/api/schema/", headers={"Accept": "application/json"}).json()
    posts = {path: item["post"] for path, item in schema["paths"].items() if "post" in item}
    assert len(posts) >= 20
    for path, operation in posts.items():
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if path in EXEMPT:
            assert HEADER not in headers, path
            continue
        assert HEADER in headers, path
        assert not headers[HEADER].get("required") and "byte for byte" in headers[HEADER]["description"], path
        assert "422" in operation["responses"], path


def test_a_get_declares_no_idempotency_key(api):
    schema = api.get("/api/schema/", headers={"Accept": "application/json"}).json()
    for path, item in schema["paths"].items():
        for method in ("get", "put", "patch", "delete"):
            names = [p["name"] for p in item.get(method, {}).get("parameters", [])]
            assert HEADER not in names, (method, path)
