"""Planning API: the material requirements report."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from core import api
from planning import engine
from planning.api.serializers import MrpLineSerializer


class MrpReportView(api.APIView):
    """Shortages per item from every demand source, exploded through BOMs, with make/buy and a date."""

    @extend_schema(responses=MrpLineSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(MrpLineSerializer(engine.mrp_report(), many=True).data)
