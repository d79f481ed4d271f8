"""`/api/schema/` generated once per process (each deploy starts new processes) and served from memory after that.

Generating it walks every view and serializer (0.5-3.6 s for some 127 KB). It is public (SERVE_PUBLIC: the same
whoever asks) and the same for every tenant (one URL conf for all tenant hosts), so one copy per process serves all.
It is kept apart from `core.api_reads`, which REST_FRAMEWORK settings import while drf-spectacular is loading.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseBase
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

_schemas: dict[tuple, Any] = {}
_rendered: dict[tuple, tuple[bytes, str]] = {}


class SchemaView(SpectacularAPIView):
    """`/api/schema/`, generated on the first request of each process and kept, and each format (YAML, JSON) rendered
    once: keyed by the API's version, the version and language asked for, and the URL conf (the code that serves it).
    """

    def _get_schema_response(self, request: Request) -> HttpResponseBase:
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (
            settings.SPECTACULAR_SETTINGS.get("VERSION"),
            version,
            request.GET.get("lang") if settings.USE_I18N else None,
            str(self.urlconf or settings.ROOT_URLCONF),
        )
        headers = {"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'}
        rendered_key = (*key, request.accepted_media_type)
        if rendered_key in _rendered:
            content, content_type = _rendered[rendered_key]
            return HttpResponse(content, content_type=content_type, headers=headers)
        if key not in _schemas:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            _schemas[key] = generator.get_schema(request=request, public=self.serve_public)
        response = Response(data=_schemas[key], headers=headers)

        def keep(rendered: Response) -> None:
            if rendered.status_code == 200:
                _rendered[rendered_key] = (rendered.content, rendered["Content-Type"])

        response.add_post_render_callback(keep)
        return response
