"""Service-level rules: illegal transitions, who may act, uploads, and the append-only audit trail."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from admission.models import AuditEvent, RequestState
from admission.services import approval, consultation, intake, review
from admission.services import requests as request_services
from admission.services.errors import ConflictError
from admission.services.uploads import check_upload
from tests import support
from workflows import engine


def test_art4_1_a_draft_may_be_saved_incomplete_but_not_sent_to_the_townships(banner):
    request = support.draft(banner, work_objective="", training="", funding_amount=None)
    assert request.state == RequestState.DRAFT
    with pytest.raises(ValidationError) as error:
        engine.begin_consultation(request=request, actor=banner.users["forestry"])
    assert {"work_objective", "training", "funding_amount"} <= set(error.value.message_dict)
    request.refresh_from_db()
    assert request.state == RequestState.DRAFT and not request.consultations.exists()


def test_art4_1_funding_needs_a_source_and_regular_duties_no_end_date(banner):
    request = support.draft(banner, funding_source="")
    with pytest.raises(ValidationError) as error:
        engine.begin_consultation(request=request, actor=banner.users["forestry"])
    assert "funding_source" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        support.draft(banner, end_date=timezone.localdate())
    assert "常态化职责事项不设截止日期" in error.value.message_dict["end_date"][0]


@pytest.mark.parametrize("key", ["naji", "office", "justice", "leadership"])
def test_only_departments_file_requests(banner, key):
    with pytest.raises(PermissionDenied):
        support.draft(banner, department=key)


def test_townships_of_another_banner_cannot_be_named(banner, other_banner):
    with pytest.raises(ValidationError) as error:
        request_services.save_draft(actor=banner.users["forestry"], values=support.complete_values(),
                                    townships=[other_banner.org("naji")])
    assert "只能选择本旗的乡镇" in error.value.message_dict["townships"][0]


def test_art4_1_a_township_answers_only_for_itself_and_only_once(banner):
    request = engine.begin_consultation(request=support.draft(banner), actor=banner.users["forestry"])
    naji_consultation = request.current_consultations().get(township=banner.org("naji"))
    with pytest.raises(PermissionDenied):
        consultation.record_consultation_opinion(consultation=naji_consultation, actor=banner.users["liuhe"],
                                                 agrees=True, opinion="代为同意。")
    support.consult_all(banner, request)
    with pytest.raises((ConflictError, ValidationError)):
        consultation.record_consultation_opinion(consultation=naji_consultation, actor=banner.users["naji"],
                                                 agrees=False, opinion="改变主意。")


def test_illegal_transitions_are_refused_with_the_current_state_named(banner):
    request = engine.begin_consultation(request=support.draft(banner), actor=banner.users["forestry"])
    before = AuditEvent.objects.count()
    with pytest.raises(ConflictError) as error:
        request_services.submit_request(request=request, actor=banner.users["forestry"], application_letter=support.pdf())
    assert "书面征求乡镇意见中" in error.value.message or "当前状态" in error.value.message
    with pytest.raises(ConflictError):
        intake.accept_for_review(request=request, actor=banner.users["office"])
    request.refresh_from_db()
    assert request.state == RequestState.CONSULTING and AuditEvent.objects.count() == before


@pytest.mark.parametrize(("key", "act"), [
    ("justice", lambda b, r: intake.accept_for_review(request=r, actor=b.users["justice"])),
    ("office_clerk", lambda b, r: intake.accept_for_review(request=r, actor=b.users["office_clerk"])),
    ("forestry", lambda b, r: review.record_bureau_opinion(request=r, actor=b.users["forestry"], passes=True,
                                                           reasoning="自审。")),
    ("leadership", lambda b, r: approval.record_city_decision(
        request=r, actor=b.users["leadership"], approves=True, document_number="呼政字〔2026〕1号",
        decision_date=timezone.localdate(), reply_scan=support.pdf())),
])
def test_each_body_acts_only_in_its_own_role(banner, key, act):
    request = engine.begin_consultation(request=support.draft(banner), actor=banner.users["forestry"])
    support.consult_all(banner, request)
    support.submit(banner, request)
    with pytest.raises(PermissionDenied):
        act(banner, request)


@pytest.mark.parametrize(("name", "head", "accepted"), [
    ("a.pdf", b"%PDF-1.7\n", True),
    ("a.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", True),
    ("a.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", True),
    ("a.pdf", b"MZ\x90\x00\x03\x00", False),
    ("a.pdf", "这是一段文字".encode(), False),
])
def test_uploads_are_checked_by_content_not_by_name(name, head, accepted):
    uploaded = SimpleUploadedFile(name, head + b"\x00" * 64)
    if accepted:
        check_upload(uploaded)
    else:
        with pytest.raises(ValidationError):
            check_upload(uploaded)


def test_uploads_over_20_mb_are_refused(settings):
    settings.ADMISSION_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * 2048))
    assert "MB" in str(error.value)


def test_audit_events_cannot_be_changed_or_deleted(banner):
    support.draft(banner)
    event = AuditEvent.objects.first()
    event.note = "改写历史"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(note="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
