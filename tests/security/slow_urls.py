"""Test-only URLs (never in erp.urls_*): a tenant host's URLs plus views that run a slow statement, to trip the
per-request statement timeout, and one that reports the connection's session state."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from erp.urls_tenant import urlpatterns as tenant_urlpatterns

SLEEP_SECONDS = 3


def _sleep() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [SLEEP_SECONDS])


@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def api_slow(request: Request) -> Response:
    _sleep()
    return Response({"slept": SLEEP_SECONDS})


def page_slow(request: HttpRequest) -> HttpResponse:
    _sleep()
    return HttpResponse("slept")


def session_state(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema(), current_setting('statement_timeout')")
        user, schema, timeout = cursor.fetchone()
    return JsonResponse({"user": user, "schema": schema, "statement_timeout": timeout})


urlpatterns = [
    path("api/v1/test-slow/", api_slow),
    path("test-slow/", page_slow),
    path("test-session/", session_state),
    *tenant_urlpatterns,
]
