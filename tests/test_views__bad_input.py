"""Bad input through the real pages: 422, a Chinese message naming what to fix, everything typed kept, nothing changed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from admission.models import AuditEvent, DutyRequest, RequestState
from admission.services.requests import REQUIRED_TEXT_ELEMENTS
from tests import support


def form_data(banner, **overrides):
    values = support.complete_values()
    data = {k: ("" if v is None else str(v)) for k, v in values.items()}
    data["townships"] = [banner.org("naji").pk, banner.org("liuhe").pk]
    data.update(overrides)
    return data


@pytest.mark.parametrize(("field", "label"), REQUIRED_TEXT_ELEMENTS[1:])
def test_art4_1_consulting_with_an_element_missing_names_it_and_keeps_the_rest(client, banner, field, label):
    client.force_login(banner.users["forestry"])
    data = form_data(banner, **{field: "", "consult": "1"})
    response = client.post(reverse("admission:request_create"), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert f"请填写“{label}”" in body
    assert data["work_objective" if field != "work_objective" else "legal_basis"] in body
    assert not DutyRequest.objects.exclude(state=RequestState.DRAFT).exists()
    # The draft itself is not saved half-way either: saving and consulting is one change.
    assert not DutyRequest.objects.exists()


@pytest.mark.parametrize(("affair_class", "channel"), [
    ("administrative_penalty", "行政执法权下放"),
    ("administrative_licensing", "相对集中行政许可权"),
    ("administrative_coercion", "行政执法权下放"),
    ("other_administrative_power", "权责清单动态调整"),
    ("emergency_handling", "应急预案"),
])
def test_art1_art7_out_of_scope_duties_are_refused_with_the_right_channel(client, banner, affair_class, channel):
    client.force_login(banner.users["forestry"])
    response = client.post(reverse("admission:request_create"), form_data(banner, affair_class=affair_class))
    assert response.status_code == 422
    body = response.content.decode()
    assert "不适用职责准入" in body or "不宜纳入" in body
    assert channel in body
    assert "森林草原防火巡查" in body
    assert not DutyRequest.objects.exists()


def test_art1_temporary_task_without_end_date_cannot_be_consulted(client, banner):
    client.force_login(banner.users["forestry"])
    response = client.post(reverse("admission:request_create"),
                           form_data(banner, track="temporary", end_date="", consult="1"))
    assert response.status_code == 422
    assert "须写明截止日期" in response.content.decode()


def test_no_township_ticked_is_named(client, banner):
    client.force_login(banner.users["forestry"])
    data = form_data(banner, consult="1")
    data.pop("townships")
    response = client.post(reverse("admission:request_create"), data)
    assert response.status_code == 422
    assert "乡镇" in response.content.decode()


def _task_post(client, user, request, node, data, **match):
    task = support.open_task(request, node, **match)
    client.force_login(user)
    return client.post(reverse("workflows:execute", args=[task.pk]), data)


def test_art4_1_disagreement_without_written_reasons_is_refused_and_nothing_changes(client, banner):
    request = support.draft(banner)
    from workflows import engine

    request = engine.begin_consultation(request=request, actor=banner.users["forestry"])
    consultation = request.current_consultations().get(township=banner.org("naji"))
    before = AuditEvent.objects.count()
    response = _task_post(client, banner.users["naji"], request, "consult", {"agrees": "0", "opinion": ""},
                          consultation=consultation.pk)
    assert response.status_code == 422
    consultation.refresh_from_db()
    assert consultation.outcome == "pending"
    assert AuditEvent.objects.count() == before


def test_art4_2_not_passing_without_reasons_keeps_the_findings_typed(client, banner):
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    findings = {k: f"{k} 的审核意见原文" for k in support.FINDINGS}
    before = AuditEvent.objects.count()
    response = _task_post(client, banner.users["office"], request, "consolidate",
                          {"passes": "0", "reasons": "", "remedy": "", **findings})
    assert response.status_code == 422
    body = response.content.decode()
    assert "审核不通过须书面说明理由" in body
    assert all(text in body for text in findings.values())
    request.refresh_from_db()
    assert request.state == RequestState.UNDER_REVIEW and AuditEvent.objects.count() == before


def test_upload_that_is_not_really_a_pdf_is_refused_by_content(client, banner):
    request = support.draft(banner)
    from workflows import engine

    request = engine.begin_consultation(request=request, actor=banner.users["forestry"])
    support.consult_all(banner, request)
    fake = SimpleUploadedFile("申请.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    response = _task_post(client, banner.users["forestry"], request, "submit", {"application_letter": fake})
    assert response.status_code == 422
    assert "PDF" in response.content.decode()
    request.refresh_from_db()
    assert request.state == RequestState.CONSULTED and not request.attachments.exists()


def test_city_decision_without_number_date_or_scan_names_all_three(client, banner):
    request = support.to_under_review(banner)
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    support.banner_decides(banner, request)
    response = _task_post(client, banner.users["office"], request, "city_decision",
                          {"approves": "1", "document_number": "", "decision_date": "", "reasons": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert "文号" in body and "日期" in body and "扫描件" in body
    request.refresh_from_db()
    assert request.state == RequestState.AWAITING_CITY
