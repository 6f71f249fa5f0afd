"""The open API (issue 15, part 5 — its first, public part): what the public pages show, as JSON for other systems
(the regional one-network platform, power-list systems). Django REST Framework, described by an OpenAPI 3 schema
(drf-spectacular) at /api/schema/ with browsable documentation at /api/docs/. Read only, no login, rate-limited per
address; the same selectors as the pages (admission.selectors.public_*), so nothing internal can appear here that the
public pages do not show. Endpoints for a body's own cases and documents (OAuth2 client credentials per organization)
are not built yet."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.throttling import AnonRateThrottle

from admission import selectors
from admission.models import Jurisdiction, Organization, OrganizationKind


class JurisdictionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Jurisdiction
        fields = ["id", "name", "level", "division_code", "parent"]


class TownshipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "division_code", "jurisdiction"]


class PublicDutySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    category = serializers.CharField()
    track = serializers.CharField()
    department = serializers.CharField()
    legal_basis = serializers.CharField()
    admitted_on = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    decision_number = serializers.CharField(allow_blank=True)
    verification_url = serializers.URLField(allow_blank=True)
    funding_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class StrictPagination(LimitOffsetPagination):
    """limit and offset as DRF's, but a value that is not a whole number is refused (400), not silently replaced."""

    def _whole(self, request, name: str) -> None:
        value = request.query_params.get(name)
        if value is not None and not value.isdigit():
            raise ValidationError({name: [_("应为非负整数。")]})

    def get_limit(self, request):
        self._whole(request, self.limit_query_param)
        return super().get_limit(request)

    def get_offset(self, request):
        self._whole(request, self.offset_query_param)
        return super().get_offset(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 0
        return parameters


class PublicAPIView(ListAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]
    pagination_class: type[StrictPagination] | None = StrictPagination


class JurisdictionList(PublicAPIView):
    """Every jurisdiction on the platform: the region, its leagues and cities, their banners."""

    serializer_class = JurisdictionSerializer

    def get_queryset(self):
        return selectors.public_jurisdictions()


class TownshipList(PublicAPIView):
    """The townships of one banner."""

    serializer_class = TownshipSerializer

    def get_queryset(self):
        banner = get_object_or_404(Jurisdiction, pk=self.kwargs["pk"])
        return selectors.public_townships(jurisdiction=banner)


class TownshipDutyList(PublicAPIView):
    """A township's admitted duties in force, as its public list shows them."""

    serializer_class = PublicDutySerializer
    pagination_class = None

    @extend_schema(responses=PublicDutySerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        township = get_object_or_404(
            Organization.objects.select_related("jurisdiction"), pk=self.kwargs["pk"], kind=OrganizationKind.TOWNSHIP
        )
        rows = selectors.public_duty_list(township=township)
        for row in rows:
            code = row.pop("verification_code")
            address = reverse("verify_document", args=[code]) if code else ""
            row["verification_url"] = self.request.build_absolute_uri(address) if code else ""
        return rows


ERRORS = {
    "400": "参数有误 / invalid parameter (limit, offset: whole numbers)",
    "404": "不存在或不是乡镇 / no such jurisdiction or township",
    "429": "请求过于频繁 / rate limit reached (see Retry-After)",
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: the error answers every endpoint of the API may give, in its schema."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for code, description in ERRORS.items():
                content = {"application/json": {"schema": {"type": "object"}}}
                if code == "404":  # an address no route matches gets the site's own 404 page
                    content["text/html"] = {"schema": {"type": "string"}}
                operation["responses"].setdefault(code, {"description": description, "content": content})
    return result
