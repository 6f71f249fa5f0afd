"""The open API (issue 15, part 5): JSON for other systems (the regional one-network platform, power-list systems).
Django REST Framework, described by an OpenAPI 3 schema (drf-spectacular) at /api/schema/ with browsable documentation
at /api/docs/ (docs/api.md); JSON only. Two kinds of endpoint, read only:

- public: what the public pages show, no login, rate-limited per address, through the same selectors
  (admission.selectors.public_*);
- an organization's: OAuth2 client-credentials tokens (django-oauth-toolkit) of a client bound to a service account
  that is a member of the organization (admission.services.api_clients), scope cases:read, the pages' visibility
  rules through that account, every successful call an audit event, rate-limited per account.

Documents, write endpoints and webhooks are not built yet."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from drf_spectacular.utils import extend_schema, extend_schema_field
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from rest_framework import serializers
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from admission import selectors
from admission.models import DutyRequest, Jurisdiction, Organization, OrganizationKind
from workflows import selectors as task_selectors

from .audit import record_download


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


class CaseSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)

    class Meta:
        model = DutyRequest
        fields = ["id", "reference", "duty_name", "purpose", "track", "state", "jurisdiction", "updated_at"]


class StepSerializer(serializers.Serializer):
    title = serializers.CharField()
    organization = serializers.CharField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)


class CaseDetailSerializer(CaseSerializer):
    steps = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "steps"]

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, duty_request):
        return [
            {
                "title": str(row["title"]),
                "organization": row["organization"].name if row["organization"] else None,
                "due_date": row["time"].get("due_date"),
            }
            for row in task_selectors.current_steps(duty_request=duty_request)
        ]


class ClientCredentialsAuthentication(OAuth2Authentication):
    """A client-credentials token has no user of its own: it acts as its application's service account (the member of
    the client's organization, admission.services.api_clients)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        return (user or token.application.user), token


class ClientCredentialsScheme(DjangoOAuthToolkitScheme):
    """The schema's security scheme for ClientCredentialsAuthentication: OAuth2, client credentials at /api/token/."""

    target_class = "web.api.ClientCredentialsAuthentication"


class OrganizationAPIView:
    """Called by another system with an OAuth2 token of an organization's client (scope cases:read); it sees what a
    clerk of that organization sees on the pages; every call is an audit event."""

    authentication_classes = [ClientCredentialsAuthentication]
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = ["cases:read"]
    throttle_classes = [UserRateThrottle]

    def initial(self, request, *args, **kwargs):
        # A method the endpoint does not have is 405 whoever asks, before any token is looked at.
        if not hasattr(self, request.method.lower()):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        user = getattr(request, "_user", None)  # as authenticated, if it was: never authenticate again here
        if user is not None and user.is_authenticated and response.status_code < 400:
            record_download(
                request, what="export", name=f"API {request.path}", data={"api": request.path, "via": "oauth2"}
            )
        return super().finalize_response(request, response, *args, **kwargs)


class CaseList(OrganizationAPIView, ListAPIView):
    """The cases the client's organization sees, newest first."""

    serializer_class = CaseSerializer
    pagination_class = StrictPagination

    def get_queryset(self):
        return selectors.request_list(user=self.request.user)


class CaseDetail(OrganizationAPIView, RetrieveAPIView):
    """One case: its state and its open steps with their due dates."""

    serializer_class = CaseDetailSerializer

    def get_queryset(self):
        return selectors.request_list(user=self.request.user)


ERRORS = {
    "400": "参数有误 / invalid parameter (limit, offset: whole numbers)",
    "401": "未提供有效令牌 / no valid token",
    "403": "令牌无此范围 / the token lacks the scope",
    "404": "不存在或不可见 / no such object, or not visible",
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
