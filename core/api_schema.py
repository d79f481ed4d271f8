"""`/api/schema/` generated once per process (each deploy starts new processes) and served from memory after that.

Generating it walks every view and serializer (0.5-3.6 s for some 127 KB). It is public (SERVE_PUBLIC: the same
whoever asks) and the same for every tenant (one URL conf for all tenant hosts), so one copy per process serves all.
It is kept apart from `core.api_reads`, which REST_FRAMEWORK settings import while drf-spectacular is loading.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

_schemas: dict[tuple, Any] = {}


class SchemaView(SpectacularAPIView):
    """`/api/schema/`, generated on the first request of each process and kept: keyed by the API's version, the
    version and language asked for, and the URL conf (the code that serves it)."""

    def _get_schema_response(self, request: Request) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (
            settings.SPECTACULAR_SETTINGS.get("VERSION"),
            version,
            request.GET.get("lang") if settings.USE_I18N else None,
            str(self.urlconf or settings.ROOT_URLCONF),
        )
        if key not in _schemas:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            _schemas[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=_schemas[key],
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
