"""Official documents: permission-checked download, and the public verification page (no login)."""

from __future__ import annotations

from typing import IO

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from admission import permissions, selectors
from admission.documents.verification import verify_file
from admission.models import DocumentKind, OfficialDocument, RenderStatus
from admission.services import files
from admission.services.uploads import OversizedUpload
from admission.storage import StoredFileRefused

from .. import listing
from ..audit import record_download
from ..ratelimit import Rate, over_limit
from ..uploads import SizeLimitedUploadHandler

# Room for the form's other fields (the CSRF token) around the one file.
VERIFY_FORM_OVERHEAD = 64 * 1024


def document_download(request, pk: int, ofd: bool = False):
    """The signed PDF, or (`ofd`) the same document as OFD; each checked against its registered SHA-256."""
    try:
        document, verified = open_for_download(request, pk, ofd=ofd)
    except StoredFileRefused as refused:
        return stored_file_refused(request, refused)
    return document_file_response(document, verified, ofd=ofd)


def open_for_download(request, pk: int, *, ofd: bool = False) -> tuple[OfficialDocument, IO[bytes]]:
    """The document and its file checked against its registered SHA-256, for whoever may download it (404 for anyone
    else, and while there is no file), recorded as a download; the page and the API alike. Raises StoredFileRefused
    (audited) when the stored bytes are not the registered ones."""
    document = get_object_or_404(OfficialDocument.objects.select_related("request"), pk=pk)
    if not permissions.can_download_document(request.user, document):
        raise Http404
    if document.render_status != RenderStatus.RENDERED or (ofd and not document.ofd_sha256):
        raise Http404
    verified = files.open_document_file(document=document, actor=request.user, ofd=ofd)
    record_download(
        request,
        what="document",
        name=f"{document.number} {document.title}{' OFD' if ofd else ''}",
        data={"document": document.pk},
    )
    return document, verified


def document_file_response(document: OfficialDocument, verified: IO[bytes], *, ofd: bool = False) -> FileResponse:
    if ofd:
        return FileResponse(
            verified, as_attachment=True, filename=f"{document.number}.ofd", content_type="application/ofd"
        )
    return FileResponse(
        verified, as_attachment=False, filename=f"{document.number}.pdf", content_type="application/pdf"
    )


def stored_file_refused(request, refused: StoredFileRefused):
    """The stored bytes are not the registered ones: say so, serve nothing. 500, not 409: the fault is the server's
    store, no change to the request can resolve it, and monitoring that watches for 5xx must see it."""
    return render(
        request,
        "documents/stored_file_refused.html",
        {"finding": refused.finding, "problem": refused.finding.problem.value},
        status=500,
    )


def document_list(request):
    kind = listing.text(request, "kind", allowed=DocumentKind.values)
    query, year, sort = listing.text(request, "q"), listing.year(request), listing.text(request, "sort")
    documents = selectors.documents_for(user=request.user, query=query, kind=kind, year=year, sort=sort)
    page = Paginator(documents, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "documents/document_list.html",
        {
            "page": page,
            "q": query,
            "kind": kind,
            "year": year,
            "sort": sort,
            "kinds": DocumentKind.choices,
            "years": listing.years(),
        },
    )


class VerifyUploadForm(forms.Form):
    file = forms.FileField(label=_("待查验的公文文件（PDF 或 OFD）"))

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        limit = settings.ADMISSION_MAX_VERIFY_BYTES
        if isinstance(uploaded, OversizedUpload) or uploaded.size > limit:
            raise forms.ValidationError(
                _("文件超过 %(limit)d MB，系统已停止接收；请上传本系统印发的公文 PDF。") % {"limit": limit // 1048576}
            )
        return uploaded


@login_not_required
@csrf_exempt  # so that the rate limit is applied before the body is read; the CSRF check follows in _verify
def verify_document(request, code: str | None = None):
    """Anyone holding a document can check it: by its code (QR) or by uploading the PDF.

    Each address has a budget of uploads and of code look-ups per window; past it the page answers 429 without
    reading the body. The upload is read through a handler that stops at ADMISSION_MAX_VERIFY_BYTES."""
    if request.method == "POST" or code:
        rate, wait = verification_budget(request)
        if wait is not None:
            return _too_many(request, rate=Rate.parse(rate), wait=wait)
    bound_verification_upload(request)
    return _verify(request, code)


def verification_budget(request) -> tuple[str, int | None]:
    """Counts a verification (an upload on POST, a code look-up otherwise) against its address's budget, shared by
    the page and the API: the rate, and the seconds to wait when over it."""
    scope, rate = (
        ("verify-upload", settings.ADMISSION_VERIFY_UPLOAD_RATE)
        if request.method == "POST"
        else ("verify-lookup", settings.ADMISSION_VERIFY_LOOKUP_RATE)
    )
    return rate, over_limit(request, scope=scope, rate=rate)


def bound_verification_upload(request) -> None:
    """The upload is read through a handler that stops at ADMISSION_MAX_VERIFY_BYTES (before the body is read)."""
    limit = settings.ADMISSION_MAX_VERIFY_BYTES
    request.upload_handlers = [
        SizeLimitedUploadHandler(request, file_limit=limit, request_limit=limit + VERIFY_FORM_OVERHEAD),
        *(h for h in request.upload_handlers if not isinstance(h, SizeLimitedUploadHandler)),
    ]


@csrf_protect
def _verify(request, code: str | None):
    registered, unknown_code, status = None, "", 200
    if code:
        registered = selectors.document_by_code(code=code)
        if registered is None:  # a mistyped code: say so on the verification page, with the upload at hand
            unknown_code, status = code[:32], 404
    form, verdict = VerifyUploadForm(), None
    if request.method == "POST":
        form = VerifyUploadForm(request.POST, request.FILES)
        if form.is_valid():
            verdict, status = verify_file(form.cleaned_data["file"].read()), 200
        else:
            status = 422
    return render(
        request,
        "documents/verify.html",
        {"registered": registered, "unknown_code": unknown_code, "form": form, "verdict": verdict},
        status=status,
    )


def _too_many(request, *, rate: Rate, wait: int):
    message = gettext(
        "查验过于频繁：同一网络地址每 %(minutes)d 分钟最多查验 %(count)d 次，请 %(wait)d 分钟后再试。"
    ) % {"minutes": max(1, rate.seconds // 60), "count": rate.count, "wait": max(1, -(-wait // 60))}
    response = render(
        request,
        "documents/verify.html",
        {"registered": None, "form": VerifyUploadForm(), "verdict": None, "limited": message},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response
