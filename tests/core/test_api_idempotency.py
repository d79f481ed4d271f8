"""Every POST of the API honours `Idempotency-Key`: the routes are walked from the URLconf, so a new endpoint that
does not is a failing test, not a forgotten mixin. The per-endpoint behaviour is tested in each app's
test_idempotency.py."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from core import api as core_api
from core.idempotency import HEADER, REPLAYED_HEADER, fingerprint, record_model, scoped_key
from inventory.api import views
from tests.inventory.conftest import logged_in
from tests.inventory.factories import ItemFactory, LocationFactory

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


def test_a_request_that_crashes_keeps_no_record_and_its_key_stays_usable(api, in_acme, monkeypatch):
    body = {"item": ItemFactory().pk, "quantity": "1", "reason": "receipt", "to_location": LocationFactory().pk}
    post_move = views.services.stock_move_post

    def crash(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views.services, "stock_move_post", crash)
    with pytest.raises(RuntimeError):
        api.post("/api/v1/moves/", body, content_type="application/json", headers={HEADER: "k"})
    assert not record_model()._default_manager.exists()
    monkeypatch.setattr(views.services, "stock_move_post", post_move)
    retry = api.post("/api/v1/moves/", body, content_type="application/json", headers={HEADER: "k"})
    assert retry.status_code == 201 and retry.get(REPLAYED_HEADER) is None


def test_an_error_a_view_answers_without_raising_is_not_kept(in_acme):
    calls = []

    class Refusing(core_api.APIView):
        authentication_classes, permission_classes, throttle_classes = [], [], []

        def post(self, request):
            calls.append(1)
            return Response({"detail": "try later"}, status=409)

    def send():
        request = APIRequestFactory().post("/refusing/", {}, format="json", headers={HEADER: "k"})
        return Refusing.as_view()(request)

    assert [send().status_code, send().status_code] == [409, 409]
    assert len(calls) == 2
    assert not record_model()._default_manager.exists()


def test_a_success_is_replayed_with_its_status_and_content_type(in_acme):
    calls = []

    class Accepting(core_api.APIView):
        authentication_classes, permission_classes, throttle_classes = [], [], []

        def post(self, request):
            calls.append(1)
            return HttpResponse(b"queued\n", status=202, content_type="text/plain; charset=latin-1")

    def send():
        request = APIRequestFactory().post("/accepting/", {}, format="json", headers={HEADER: "k"})
        return Accepting.as_view()(request)

    first, retry = send(), send()
    assert len(calls) == 1
    assert (retry.status_code, retry["Content-Type"]) == (202, "text/plain; charset=latin-1")
    assert retry.content == first.content == b"queued\n"
