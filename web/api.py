"""The open API (issue 15, part 5): JSON for other systems (the regional one-network platform, power-list systems).
Django REST Framework, described by an OpenAPI 3 schema (drf-spectacular) at /api/schema/ with browsable documentation
at /api/docs/ (docs/api.md); JSON only (a document's download is its file). Three kinds of endpoint:

- public: what the public pages show, no login, rate-limited per address, through the same selectors
  (admission.selectors.public_*); and document verification, through the /verify/ page's service and budget;
- an organization's reads: OAuth2 client-credentials tokens (django-oauth-toolkit) of a client bound to a service
  account that is a member of the organization (admission.services.api_clients), read scopes (cases:read,
  documents:read, duties:read), the pages' visibility rules through that account, rate-limited per client;
- an organization's writes, where its system acts for it in the procedure (scope cases:write): the data bureau's
  power-list system gives the 权责清单衔接审核 opinion through the task page's front door (workflows.actions), with
  its validation messages.

Audit: every event recorded during a client's call carries the client (its id and name, in the event's client
field); a successful read is an export event, a download the page's download event, a write the service's own event
(its actor the client's service account, for its organization); a refusal (403) is a refusal event.

Webhooks are not built here."""

from __future__ import annotations

from contextlib import ExitStack

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from oauth2_provider.scopes import SettingsScopes
from rest_framework import serializers, status
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle
from rest_framework.views import APIView

from admission import permissions, selectors
from admission.documents.verification import verify_file
from admission.models import (
    AuditAction,
    AuditOutcome,
    DocumentKind,
    DutyRequest,
    DutyStatus,
    Jurisdiction,
    OfficialDocument,
    Organization,
    OrganizationKind,
    RenderStatus,
    TownshipDuty,
)
from admission.services.api_clients import scopes_of
from admission.services.audit import Origin, acting_from, record_security_event
from admission.services.errors import ConflictError
from admission.services.uploads import OversizedUpload
from admission.storage import StoredFileRefused
from workflows import actions, engine
from workflows import selectors as task_selectors

from .audit import client_address, record_download
from .listing import whole_number
from .views.documents import (
    VerifyUploadForm,
    document_file_response,
    open_for_download,
    verification_budget,
)
from .views.tasks import task_or_404


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
    """limit and offset as DRF's, but a value that is not a whole number within bounds is refused (400), not silently
    replaced (a limit past max_limit or an offset past MAX_OFFSET would reach the database as a number it cannot hold).
    """

    max_limit = 1000
    MAX_OFFSET = 10**9

    def _whole(self, request, name: str, maximum: int) -> None:
        value = request.query_params.get(name)
        number = None if value is None else whole_number(value, digits=len(str(maximum)))
        if value is not None and (number is None or number > maximum):
            raise ValidationError({name: [_("应为 0 至 %(maximum)d 之间的整数。") % {"maximum": maximum}]})

    def get_limit(self, request):
        self._whole(request, self.limit_query_param, self.max_limit)
        return super().get_limit(request)

    def get_offset(self, request):
        self._whole(request, self.offset_query_param, self.MAX_OFFSET)
        return super().get_offset(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 0
            parameter["schema"]["maximum"] = self.max_limit if parameter["name"] == "limit" else self.MAX_OFFSET
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


class ClientScopes(SettingsScopes):
    """The scopes a client may ask for: those its service account may hold (admission.services.api_clients.scopes_of:
    the read scopes; cases:write only for a client created to act for its organization)."""

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        allowed = set(scopes_of(application.user if application is not None else None))
        return [scope for scope in super().get_available_scopes(application, request) if scope in allowed]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        available = set(self.get_available_scopes(application, request))
        return [scope for scope in super().get_default_scopes(application, request) if scope in available]


def client_of(request) -> str:
    """The calling client as the audit trail names it: its client id and its system's name."""
    application = request.auth.application
    return f"{application.client_id}（{application.name}）"


class ScopeRequired(TokenHasScope):
    """The token must carry the endpoint's scope (required_scopes); a refusal says so in the site's language."""

    message = gettext_lazy("令牌不含本接口所需的范围（scope），请以相应范围重新申请令牌。")


class OrganizationAPIView:
    """Called by another system with an OAuth2 token of an organization's client: it sees what a member of that
    organization sees on the pages and acts, where an endpoint lets it, through the pages' front doors. Every event
    recorded during the call carries the client; a successful read is itself an event (export), a refusal too."""

    authentication_classes = [ClientCredentialsAuthentication]
    permission_classes = [IsAuthenticated, ScopeRequired]
    required_scopes = ["cases:read"]
    throttle_classes = [UserRateThrottle]  # per client: each client has its own service account
    audits_itself = False  # a download records the page's download event itself

    def initial(self, request, *args, **kwargs):
        # A method the endpoint does not have is 405 whoever asks, before any token is looked at.
        if not hasattr(self, request.method.lower()):
            raise MethodNotAllowed(request.method)
        self.acting = ExitStack()
        if request.user.is_authenticated:  # authenticates here, once
            agent = f"API {client_of(request)} {request.META.get('HTTP_USER_AGENT', '')}"
            self.acting.enter_context(
                acting_from(Origin(address=client_address(request._request), user_agent=agent, user=request.user))
            )
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        user = getattr(request, "_user", None)  # as authenticated, if it was: never authenticate again here
        try:
            if user is not None and user.is_authenticated and request.auth is not None:
                self.audit(request, response)
        finally:
            acting = getattr(self, "acting", None)
            if acting is not None:
                acting.close()
        return super().finalize_response(request, response, *args, **kwargs)

    def audit(self, request, response) -> None:
        data = {"api": request.path, "via": "oauth2", "api_client": request.auth.application.client_id}
        if response.status_code == status.HTTP_403_FORBIDDEN:
            record_security_event(
                actor=request.user,
                action=AuditAction.PERMISSION_DENIED,
                outcome=AuditOutcome.DENIED,
                note=f"{request.method} {request.path[:200]}：{getattr(response, 'data', {}).get('detail', '')}"[:1000],
                data=data,
            )
        elif request.method in SAFE_METHODS and response.status_code < 400 and not self.audits_itself:
            record_download(request, what="export", name=f"API {request.path}", data=data)


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


# --- documents -------------------------------------------------------------------------------------------------


class DocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    issuer = serializers.CharField(source="issuer.name", read_only=True)
    case = serializers.IntegerField(source="request_id", read_only=True, allow_null=True)
    verification_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    ofd_url = serializers.SerializerMethodField()

    class Meta:
        model = OfficialDocument
        fields = [
            "id",
            "number",
            "title",
            "kind",
            "kind_label",
            "issuer",
            "issued_at",
            "status",
            "case",
            "verification_code",
            "verification_url",
            "render_status",
            "sha256",
            "size",
            "ofd_sha256",
            "ofd_size",
            "pdf_url",
            "ofd_url",
        ]

    def _address(self, name: str, *args) -> str:
        return self.context["request"].build_absolute_uri(reverse(name, args=args))

    def get_verification_url(self, document) -> str:
        return self._address("verify_document", document.verification_code)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, document) -> str | None:
        rendered = document.render_status == RenderStatus.RENDERED
        return self._address("api:document_pdf", document.pk) if rendered else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_ofd_url(self, document) -> str | None:
        rendered = document.render_status == RenderStatus.RENDERED and document.ofd_sha256
        return self._address("api:document_ofd", document.pk) if rendered else None


def query_choice(request, name: str, choices: list[str], default: str = "") -> str:
    """A query parameter that must be one of `choices` when given (an empty value is not one: 400)."""
    value = request.query_params.get(name)
    if value is None:
        return default
    if value not in choices:
        raise ValidationError({name: [_("应为以下之一：%(choices)s。") % {"choices": "、".join(choices)}]})
    return value


class DocumentFilter(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices, required=False)


class DocumentList(OrganizationAPIView, ListAPIView):
    """The documents the client's organization issued or received (主送、抄送), newest first: the documents page's
    list (selectors.documents_for)."""

    serializer_class = DocumentSerializer
    pagination_class = StrictPagination
    required_scopes = ["documents:read"]

    @extend_schema(parameters=[DocumentFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        kind = query_choice(self.request, "kind", DocumentKind.values)
        return selectors.documents_for(user=self.request.user, kind=kind)


class DocumentDetail(OrganizationAPIView, RetrieveAPIView):
    """One of those documents: its number, title, issuer, state, registered digests and where to download it."""

    serializer_class = DocumentSerializer
    required_scopes = ["documents:read"]

    def get_queryset(self):
        return selectors.documents_for(user=self.request.user)


class DocumentDownload(OrganizationAPIView, APIView):
    """The signed PDF (or the OFD) of a case's document, for whoever may view the case: the document page's rule,
    file check and download event (web.views.documents.open_for_download). Never cached (Cache-Control: no-store)."""

    required_scopes = ["documents:read"]
    audits_itself = True
    ofd = False

    def perform_content_negotiation(self, request, force=False):
        """Errors answer in JSON whatever the client accepts; the file is the file."""
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def get(self, request, pk: int):
        try:
            document, verified = open_for_download(request, pk, ofd=self.ofd)
        except StoredFileRefused as refused:
            return Response({"detail": str(refused.finding.problem.value)}, status=500)
        response = document_file_response(document, verified, ofd=self.ofd)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response


class DocumentPDF(DocumentDownload):
    __doc__ = DocumentDownload.__doc__

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        return super().get(request, pk)


class DocumentOFD(DocumentDownload):
    __doc__ = DocumentDownload.__doc__
    ofd = True

    @extend_schema(responses={(200, "application/ofd"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        return super().get(request, pk)


class RegisteredDocumentSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    issuer = serializers.CharField(source="issuer.name")
    date = serializers.SerializerMethodField()
    status = serializers.CharField()
    verification_code = serializers.CharField()
    sha256 = serializers.CharField(allow_blank=True)
    ofd_sha256 = serializers.CharField(allow_blank=True)

    def get_date(self, document) -> str:
        return str(document.content.get("date", "")) if isinstance(document.content, dict) else ""


class VerdictSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    format = serializers.ChoiceField(choices=["pdf", "ofd"])
    registered = serializers.BooleanField()
    signed = serializers.BooleanField()
    intact = serializers.BooleanField()
    trusted = serializers.BooleanField()
    signer = serializers.CharField(allow_blank=True)
    problem = serializers.CharField(allow_blank=True)
    document = RegisteredDocumentSerializer(allow_null=True)


class DocumentBytesParser(BaseParser):
    """The body is the file (a PDF or an OFD), read up to ADMISSION_MAX_VERIFY_BYTES and no further: past it the
    upload stands as an OversizedUpload, which the /verify/ page's form refuses with its own message."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.ADMISSION_MAX_VERIFY_BYTES
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            return OversizedUpload(name="upload", size=len(data), limit=limit, size_known=False)
        return SimpleUploadedFile("upload", data)


class PDFBytesParser(DocumentBytesParser):
    media_type = "application/pdf"


class OFDBytesParser(DocumentBytesParser):
    media_type = "application/ofd"


VERIFIED_MEDIA_TYPES = ("application/pdf", "application/ofd", "application/octet-stream")


class VerificationThrottle(BaseThrottle):
    """The /verify/ page's budget per address (settings.ADMISSION_VERIFY_*_RATE), shared with it."""

    def allow_request(self, request, view) -> bool:
        _rate, self.seconds = verification_budget(request._request)
        return self.seconds is None

    def wait(self) -> float | None:
        return self.seconds


class DocumentVerification(APIView):
    """Is this file (a PDF or an OFD) the registered document, intact and signed by a trusted issuing body? Anyone may
    ask, as on the /verify/ page (the same service, admission.documents.verification.verify_file, and the same budget
    per address and size limit)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle, VerificationThrottle]  # counted before the body is read
    parser_classes = [PDFBytesParser, OFDBytesParser, DocumentBytesParser]

    @extend_schema(
        request=dict.fromkeys(VERIFIED_MEDIA_TYPES, {"type": "string", "format": "binary", "minLength": 1}),
        responses={
            200: VerdictSerializer,
            415: OpenApiResponse(
                description="请以 PDF、OFD 或 application/octet-stream 提交 / send the file as its body"
            ),
        },
    )
    def post(self, request):
        upload = request.data if isinstance(request.data, UploadedFile) else SimpleUploadedFile("upload", b"")
        form = VerifyUploadForm(files={"file": upload})
        if not form.is_valid():
            raise ValidationError({field: [str(m) for m in messages] for field, messages in form.errors.items()})
        verdict = verify_file(form.cleaned_data["file"].read())
        result = {
            "valid": verdict.valid,
            "format": verdict.format,
            "registered": verdict.registered,
            "signed": verdict.signed,
            "intact": verdict.intact,
            "trusted": verdict.trusted,
            "signer": verdict.signer,
            "problem": str(verdict.problem),
            "document": verdict.document,
        }
        return Response(VerdictSerializer(result).data)


class DocumentByCode(APIView):
    """The registered document a verification code (printed on it, in its QR code) names, as the /verify/{code}/ page
    shows it; 404 when no document has that code."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle, VerificationThrottle]

    @extend_schema(responses={200: RegisteredDocumentSerializer})
    def get(self, request, code: str):
        document = selectors.document_by_code(code=code)
        if document is None:
            raise Http404
        return Response(RegisteredDocumentSerializer(document).data)


# --- a township's duty list, with versions --------------------------------------------------------------------


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(source="label")
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="version.number")
    valid_from = serializers.DateTimeField(source="version.valid_from")
    case = serializers.IntegerField(source="version.request_id")
    case_reference = serializers.CharField(source="version.request.reference")
    decided_by = serializers.CharField(source="version.decision.body.name")
    decision_number = serializers.CharField(source="version.decision.document_number", allow_blank=True)
    document = serializers.IntegerField(source="document.pk", allow_null=True, default=None)
    document_number = serializers.CharField(source="document.number", allow_null=True, default=None)
    changes = ChangeSerializer(many=True)


class DutySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="duty_name")
    department = serializers.CharField(source="department.name")
    case = serializers.IntegerField(source="request_id")
    versions = serializers.SerializerMethodField()

    class Meta:
        model = TownshipDuty
        fields = [
            "id",
            "name",
            "township",
            "department",
            "category",
            "track",
            "legal_basis",
            "content",
            "end_date",
            "funding_amount",
            "funding_source",
            "technical_support",
            "training",
            "status",
            "admitted_at",
            "exited_at",
            "case",
            "versions",
        ]

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, duty):
        rows = self.context["versions"].get(duty.pk, [])
        return VersionSerializer(
            [{**row, "changes": [{k: str(v) for k, v in c.items()} for c in row["changes"]]} for row in rows],
            many=True,
        ).data


class DutyListFilter(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[(DutyStatus.ACTIVE, "active"), (DutyStatus.EXITED, "exited")], required=False
    )


class TownshipDutyListWithVersions(OrganizationAPIView, ListAPIView):
    """A township's duty list as its organization sees it on the duty list page (selectors.township_duties: the
    township its own; a department the duties it handed down; the joint meeting and the leadership every township's
    of their banner; an organization office above the banners those of the banners below it), each duty with its version records (the duty page's, Art. 4(5)), oldest first. `state`:
    active (the list in force, the default) or exited (duties that left it)."""

    serializer_class = DutySerializer
    pagination_class = StrictPagination
    required_scopes = ["duties:read"]

    @extend_schema(parameters=[DutyListFilter])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        township = get_object_or_404(
            Organization.objects.select_related("jurisdiction"), pk=self.kwargs["pk"], kind=OrganizationKind.TOWNSHIP
        )
        user = self.request.user
        if not permissions.can_view_duty_list(user, township):
            membership = permissions.membership_of(user)
            overseen = membership is not None and (
                permissions.jurisdictions_overseen(membership.organization).filter(pk=township.jurisdiction_id).exists()
            )
            if overseen:  # a body of its banner (or above it): it knows the township, not its internal list
                raise PermissionDenied(_("本单位不能查看该乡镇的职责事项清单（公开清单无需登录即可查看）。"))
            raise Http404
        state = query_choice(self.request, "state", [DutyStatus.ACTIVE, DutyStatus.EXITED], DutyStatus.ACTIVE)
        return selectors.township_duties(
            user=user, township_id=township.pk, state=state, banner_id=township.jurisdiction_id
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        versions = selectors.duty_versions(duties=page)
        serializer = self.get_serializer(page, many=True, context={"request": request, "versions": versions})
        return self.get_paginated_response(serializer.data)


# --- writes: a system acts for its body ------------------------------------------------------------------------


class ClientWriteThrottle(UserRateThrottle):
    """Writes have a budget of their own per client (API_WRITE_RATE), beside the calls' (API_USER_RATE)."""

    scope = "api_write"


class BureauOpinionInput(serializers.Serializer):
    """The task page's form (web.forms.tasks.BureauOpinionForm); a missing part is named by the service."""

    passes = serializers.BooleanField(
        required=False, allow_null=True, default=None, error_messages={"invalid": gettext_lazy("请选择本单位意见。")}
    )
    reasoning = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        error_messages={"invalid": gettext_lazy("请写明审核意见及其依据。")},
    )


class BureauOpinionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="request_id")
    organization = serializers.CharField(source="organization.name")
    passes = serializers.BooleanField()
    reasoning = serializers.CharField()
    given_by = serializers.CharField(source="given_by.first_name")
    given_at = serializers.DateTimeField()
    case_state = serializers.CharField(source="request.state")


class DataReview(OrganizationAPIView, GenericAPIView):
    """Art. 3, 4(2): the data bureau's power-list system gives the bureau's 权责清单衔接审核 opinion on a case under
    joint review, as the bureau's reviewers do on the task page: through the same front door
    (workflows.actions.give_bureau_opinion), with the same checks and messages (400 with field errors). The actor is
    the client's service account (a reviewer of the bureau, named after the system); the event carries the client.
    404: the case is not visible; 403: the task is not the client organization's; 409: no review of the bureau is
    open (not yet, or already given), or someone else holds it."""

    serializer_class = BureauOpinionInput
    required_scopes = ["cases:write"]
    throttle_classes = [UserRateThrottle, ClientWriteThrottle]
    parser_classes = [JSONParser]

    @extend_schema(
        request=BureauOpinionInput,
        responses={
            201: BureauOpinionSerializer,
            400: OpenApiResponse(
                description='字段错误 / field errors, e.g. {"reasoning": ["请写明审核意见及其依据。"]}'
            ),
            409: OpenApiResponse(description="没有待办的审核任务或已被他人办理 / no open review task, or taken"),
        },
    )
    def post(self, request, pk: int):
        duty_request = get_object_or_404(permissions.visible_requests(request.user), pk=pk)
        task = engine.open_human_task(duty_request, "data_review")
        if task is None:
            return Response(
                {"detail": _("该申请当前没有待办的权责清单衔接审核任务。")}, status=status.HTTP_409_CONFLICT
            )
        inputs = BureauOpinionInput(data=request.data)
        try:
            task = task_or_404(request.user, task.pk)
            inputs.is_valid(raise_exception=True)
            opinion = actions.give_bureau_opinion(
                task=task,
                actor=request.user,
                passes=inputs.validated_data["passes"],
                reasoning=inputs.validated_data["reasoning"],
            )
        except DjangoValidationError as error:
            raise ValidationError(
                error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            ) from error
        except ConflictError as error:
            return Response({"detail": error.message}, status=status.HTTP_409_CONFLICT)
        opinion = type(opinion).objects.select_related("organization", "given_by", "request").get(pk=opinion.pk)
        return Response(BureauOpinionSerializer(opinion).data, status=status.HTTP_201_CREATED)


ERRORS = {
    "400": "参数有误 / invalid parameter (limit, offset: whole numbers)",
    "401": "未提供有效令牌 / no valid token",
    "403": "令牌无此范围 / the token lacks the scope",
    "404": "不存在或不可见 / no such object, or not visible",
    "429": "请求过于频繁 / rate limit reached (see Retry-After)",
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: the error answers every endpoint of the API may give, in its schema; a
    body, where an operation takes one, is required (an empty request is refused)."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
            for code, description in ERRORS.items():
                content = {"application/json": {"schema": {"type": "object"}}}
                if code == "404":  # an address no route matches gets the site's own 404 page
                    content["text/html"] = {"schema": {"type": "string"}}
                operation["responses"].setdefault(code, {"description": description, "content": content})
    return result
