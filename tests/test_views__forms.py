"""Bad input through the real pages.

Every refusal answers 422, names what to fix in Chinese next to the field concerned, keeps everything the user
typed (radio choices and ticked townships included), and changes nothing: no request, no half-saved draft,
no state change, no audit event, no stored file, no task claimed.

Field names and messages come from admission/forms.py, workflows/forms.py and admission/services/*.py.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from viewflow.workflow.status import STATUS

from admission.models import (
    AdvisoryOpinion,
    ApprovalDecision,
    Attachment,
    AttachmentKind,
    AuditEvent,
    BureauReviewOpinion,
    Consultation,
    DutyRequest,
    KeptUpload,
    OfficialDocument,
    RequestState,
    ReviewConclusion,
    SupplementNotice,
    TownshipDuty,
)
from admission.services import uploads
from admission.services.requests import REQUIRED_TEXT_ELEMENTS
from tests import support
from tests.support import errors_of, field_html
from workflows import actions, engine
from workflows.models import AdmissionProcess

REQUIRED = "这个字段是必填项。"  # Django's own message, in Chinese (LANGUAGE_CODE zh-hans)

# What a department clerk types: different from support.complete_values, so what the page shows can only
# come from the POST. The quotes in legal_basis must come back escaped, not lost.
TYPED = {
    "duty_name": "农村牧区人居环境整治巡查",
    "affair_class": "administrative_affair",
    "track": "regular",
    "end_date": "",
    "list_category": "basic",
    "work_objective": "每月巡查一次村屯环境卫生，问题动态清零。",
    "powers_and_responsibilities": "乡镇组织巡查、登记问题、督促整改并按月报送。",
    "legal_basis": '《内蒙古自治区农村牧区人居环境治理条例》第十二条及"三定"规定。',
    "division_of_responsibilities": "旗农牧局负责指导考核，乡镇负责日常巡查和台账。",
    "work_process": "制定计划→入村巡查→建立台账→限期整改→复查销号。",
    "completion_time_limit": "长期（每年11月底前总结）",
    "operating_mechanism": "每季度调度一次，年底通报排名。",
    "staffing": "每镇明确 2 名专职人员、1 名分管领导。",
    "funding_amount": "86500.50",
    "funding_source": "旗本级财政专项资金",
    "technical_support": "旗农牧局提供巡查终端 3 台和系统账号。",
    "training": "每年春秋两季各培训 1 次。",
}
CHOICE_FIELDS = ("affair_class", "track", "list_category", "agrees", "passes", "approves", "decision")


def typed(banner, *, townships=("naji", "liuhe"), **overrides) -> dict:
    data = dict(TYPED, townships=[banner.org(t).pk for t in townships])
    data.update(overrides)
    return data


def checked(body: str, name: str, value) -> bool:
    return re.search(rf'<input type="(?:radio|checkbox)" name="{name}" value="{value}"[^>]*\schecked', body) is not None


def assert_kept(body: str, data: dict, *, skip=()) -> None:
    """Everything typed comes back: text in its field, choices still ticked."""
    for name, value in data.items():
        if name in skip or name in ("consult", "save") or value in ("", None):
            continue
        if name == "townships":
            for pk in value:
                assert checked(body, "townships", pk), f"township {pk} no longer ticked"
        elif name in CHOICE_FIELDS:
            assert checked(body, name, value), f"{name}={value} no longer chosen"
        else:
            assert escape(str(value)) in field_html(body, name), f"{name}: {value!r} lost"


def post_create(client, banner, data, user="forestry"):
    client.force_login(banner.users[user])
    return client.post(reverse("admission:request_create"), data)


@pytest.fixture
def nothing_saved():
    """Asserts, after the test body, that bad input on the create page left no trace."""
    before = (DutyRequest.objects.count(), AuditEvent.objects.changes().count(), AdmissionProcess.objects.count())
    yield
    assert (
        DutyRequest.objects.count(),
        AuditEvent.objects.changes().count(),
        AdmissionProcess.objects.count(),
    ) == before


# --- the request form (admission:request_create / request_edit) ------------------------------------------------


@pytest.mark.parametrize(("field", "label"), REQUIRED_TEXT_ELEMENTS[1:], ids=[f for f, _ in REQUIRED_TEXT_ELEMENTS[1:]])
def test_art4_1_consulting_with_an_element_missing_names_it_and_keeps_everything_typed(
    client, banner, nothing_saved, field, label
):
    data = typed(banner, **{field: "", "consult": "1"})
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert errors_of(body, field) == f"<li>请填写“{label}”（第四条第一项要求书面申请包括此项）。</li>"
    assert_kept(body, data)


def test_art4_1_every_missing_element_is_named_at_once(client, banner, nothing_saved):
    data = typed(banner, townships=(), legal_basis="", training="  ", funding_source="", consult="1")
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert "请填写“法定依据”" in errors_of(body, "legal_basis")
    assert "请填写“保障措施·业务培训”" in errors_of(body, "training")
    assert "有工作经费时请写明经费来源（如旗本级财政预算）。" in errors_of(body, "funding_source")
    assert "请至少选择一个涉及的乡镇。" in errors_of(body, "townships")
    assert_kept(body, data)


def test_a_draft_without_a_duty_name_is_refused_and_keeps_everything_typed(client, banner, nothing_saved):
    data = typed(banner, duty_name="")
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert REQUIRED in errors_of(body, "duty_name")
    assert "职责名称" in field_html(body, "duty_name")
    assert_kept(body, data)


def test_art5_funding_that_is_not_a_number_is_named_and_kept(client, banner, nothing_saved):
    data = typed(banner, funding_amount="十二万元")
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert errors_of(body, "funding_amount") == (
        "<li>“十二万元”不是金额：请只填写数字，如 120000 或 120000.50（元，最多两位小数，不用字母或科学计数法）。</li>"
    )
    assert 'value="十二万元"' in field_html(body, "funding_amount")
    assert_kept(body, data)


def test_art5_negative_funding_is_refused_even_for_a_draft(client, banner, nothing_saved):
    data = typed(banner, funding_amount="-500")
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert errors_of(body, "funding_amount") == "<li>工作经费不能为负数。</li>"
    assert_kept(body, data)


def test_art1_a_regular_duty_with_an_end_date_is_told_to_choose_the_temporary_track(client, banner, nothing_saved):
    end = (timezone.localdate() + timedelta(days=90)).isoformat()
    data = typed(banner, end_date=end)
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert "常态化职责事项不设截止日期" in errors_of(body, "end_date")
    assert "阶段性、临时性工作任务" in errors_of(body, "end_date")
    assert_kept(body, data)


def test_art1_a_temporary_task_must_end_after_today(client, banner, nothing_saved):
    data = typed(banner, track="temporary", end_date=timezone.localdate().isoformat())
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert errors_of(body, "end_date") == "<li>阶段性、临时性工作任务的截止日期须晚于今天。</li>"
    assert_kept(body, data)


def test_an_end_date_that_is_not_a_date_is_named_and_kept(client, banner, nothing_saved):
    data = typed(banner, track="temporary", end_date="2026年13月45日")
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert errors_of(body, "end_date") == "<li>输入一个有效的日期。</li>"
    assert_kept(body, data)


def test_art1_temporary_track_without_end_date_cannot_be_consulted(client, banner, nothing_saved):
    data = typed(banner, track="temporary", end_date="", consult="1")
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert errors_of(body, "end_date") == "<li>阶段性、临时性工作任务须写明截止日期（第一条、第四条第三项）。</li>"
    assert checked(body, "track", "temporary") and not checked(body, "track", "regular")
    assert_kept(body, data)


def test_art1_temporary_track_without_end_date_may_still_be_saved_as_a_draft(client, banner):
    """Completeness is checked when consulting, not when saving a draft (services.requests.save_draft)."""
    response = post_create(client, banner, typed(banner, track="temporary", end_date=""))
    assert response.status_code == 302
    saved = DutyRequest.objects.get(duty_name=TYPED["duty_name"])
    assert (saved.state, saved.track, saved.end_date) == (RequestState.DRAFT, "temporary", None)


def test_art4_1_consulting_without_a_township_is_refused(client, banner, nothing_saved):
    data = typed(banner, townships=(), consult="1")
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert errors_of(body, "townships") == "<li>请至少选择一个涉及的乡镇。</li>"
    assert_kept(body, data)


def test_nobody_sees_across_jurisdictions_a_township_of_another_banner_cannot_be_named(
    client, banner, other_banner, nothing_saved
):
    foreign = other_banner.org("naji")
    data = typed(banner, consult="1")
    data["townships"] = [banner.org("naji").pk, foreign.pk]
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    assert "选择一个有效的选项。" in errors_of(body, "townships")
    assert foreign.name not in body
    assert_kept(body, data, skip=("townships",))
    assert checked(body, "townships", banner.org("naji").pk)


OUT_OF_SCOPE = [
    # (affair class, the article, the channel the department is sent to instead)
    ("administrative_penalty", "第一条", "请按行政执法权下放程序报请依法赋权"),
    ("administrative_licensing", "第一条", "请按相对集中行政许可权和赋权程序办理"),
    ("administrative_coercion", "第一条", "请按行政执法权下放程序报请依法赋权"),
    ("other_administrative_power", "第一条", "请按权责清单动态调整和依法赋权程序办理"),
    ("emergency_handling", "第七条", "请按突发事件应急预案和属地应急处置机制办理"),
]


@pytest.mark.parametrize("consult", [False, True], ids=["save", "consult"])
@pytest.mark.parametrize(("affair_class", "article", "channel"), OUT_OF_SCOPE, ids=[c for c, _, _ in OUT_OF_SCOPE])
def test_art1_art7_out_of_scope_affairs_are_refused_with_the_right_channel(
    client, banner, nothing_saved, affair_class, article, channel, consult
):
    data = typed(banner, affair_class=affair_class, **({"consult": "1"} if consult else {}))
    response = post_create(client, banner, data)

    assert response.status_code == 422
    body = response.content.decode()
    reason = errors_of(body, "affair_class")
    assert ("不适用职责准入" in reason) or ("不宜纳入乡镇职责准入事项" in reason)
    assert f"《阿荣旗乡镇职责准入管理办法（试行）》{article}" in reason
    assert channel in reason
    assert_kept(body, data)


def test_art4_1_the_form_and_its_refusals_cite_the_departments_own_banners_measure(client, banner, other_banner):
    client.force_login(other_banner.users["forestry"])
    form = client.get(reverse("admission:request_create")).content.decode()
    assert "依据《莫力达瓦达斡尔族自治旗乡镇职责准入管理办法（试行）》第四条第一项" in form and "阿荣旗乡镇" not in form
    refused = post_create(client, other_banner, typed(other_banner, affair_class="administrative_penalty"))
    assert "《莫力达瓦达斡尔族自治旗乡镇职责准入管理办法（试行）》第一条" in errors_of(
        refused.content.decode(), "affair_class"
    )


def test_only_departments_reach_the_form_a_township_posting_gets_403(client, banner, nothing_saved):
    response = post_create(client, banner, typed(banner), user="naji")
    assert response.status_code == 403
    assert "只有旗直职能部门可以提出准入申请。" in response.content.decode()


def _snapshot(request: DutyRequest) -> dict:
    request = DutyRequest.objects.get(pk=request.pk)
    return {
        "fields": {f: getattr(request, f) for f in TYPED if f != "townships"},
        "townships": set(request.townships.values_list("pk", flat=True)),
        "state": request.state,
        "round": request.consultation_round,
        "events": AuditEvent.objects.filter(request=request).count(),
        "processes": AdmissionProcess.for_request(request).count(),
        "consultations": Consultation.objects.filter(request=request).count(),
        "documents": OfficialDocument.objects.filter(request=request).count(),
    }


def test_art4_1_editing_a_draft_with_an_element_missing_saves_nothing_of_it(client, banner):
    """Saving and consulting are one change: when consulting is refused the edited values are not saved either."""
    draft = support.draft(banner)
    before = _snapshot(draft)
    data = typed(banner, townships=("yadong",), legal_basis="", consult="1")
    client.force_login(banner.users["forestry"])
    response = client.post(reverse("admission:request_edit", args=[draft.pk]), data)

    assert response.status_code == 422
    body = response.content.decode()
    assert "请填写“法定依据”（第四条第一项要求书面申请包括此项）。" in errors_of(body, "legal_basis")
    assert_kept(body, data)
    assert not checked(body, "townships", banner.org("naji").pk)
    assert _snapshot(draft) == before


def test_art1_editing_a_draft_into_an_out_of_scope_class_is_refused(client, banner):
    draft = support.draft(banner)
    before = _snapshot(draft)
    data = typed(banner, affair_class="administrative_licensing")
    client.force_login(banner.users["forestry"])
    response = client.post(reverse("admission:request_edit", args=[draft.pk]), data)

    assert response.status_code == 422
    body = response.content.decode()
    assert "行政许可属于行政权力事项，不适用职责准入" in errors_of(body, "affair_class")
    assert_kept(body, data)
    assert _snapshot(draft) == before


def test_art4_1_consulting_again_after_a_disagreement_runs_in_the_one_open_flow(client, banner):
    """A stale edit page (opened while a draft) still has the consult button when the request is 'revising':
    consulting again must go through the open revise task, never start a second flow beside it."""
    request = actions.consult_townships(duty_request=support.draft(banner), actor=banner.users["forestry"])
    support.consult_all(banner, request, disagree=("naji",))
    request.refresh_from_db()
    assert request.state == RequestState.REVISING
    client.force_login(banner.users["forestry"])
    # The edit page hides the consult button in this state, but a page opened while it was a draft still has it.
    client.post(reverse("admission:request_edit", args=[request.pk]), typed(banner, consult="1"))

    active = AdmissionProcess.for_request(request).filter(status="NEW")
    assert active.count() == 1
    open_names = sorted(t.flow_task.name for t in engine.open_tasks(request))
    request.refresh_from_db()
    if request.state == RequestState.CONSULTING:
        assert open_names == ["consult", "consult"]
    else:
        assert request.state == RequestState.REVISING and open_names == ["revise"]


# --- task pages (workflows:execute) --------------------------------------------------------------------------


def _task_snapshot(request: DutyRequest) -> dict:
    request = DutyRequest.objects.get(pk=request.pk)
    return {
        "state": request.state,
        "events": AuditEvent.objects.filter(request=request).count(),
        "attachments": Attachment.objects.filter(request=request).count(),
        "documents": OfficialDocument.objects.filter(request=request).count(),
        "tasks": sorted((t.pk, t.status, t.owner_id) for t in engine.open_tasks(request)),
        "consultations": sorted(Consultation.objects.filter(request=request).values_list("pk", "outcome")),
        "bureau_opinions": BureauReviewOpinion.objects.filter(request=request).count(),
        "advisory": AdvisoryOpinion.objects.filter(request=request).count(),
        "conclusion": ReviewConclusion.objects.filter(request=request).count(),
        "decisions": ApprovalDecision.objects.filter(request=request).count(),
        "notices": SupplementNotice.objects.filter(request=request).count(),
        "duties": TownshipDuty.objects.filter(request=request).count(),
    }


def post_task(client, user, request, node, data, **match):
    task = support.open_task(request, node, **match)
    assert task.status == STATUS.NEW and task.owner_id is None
    client.force_login(user)
    return client.post(reverse("workflows:execute", args=[task.pk]), data)


def refused(response, request, before) -> str:
    """The page answers 422 and nothing about the case changed (the task is not even left claimed)."""
    assert response.status_code == 422
    assert _task_snapshot(request) == before
    return response.content.decode()


@pytest.fixture
def consulting(banner):
    return actions.consult_townships(duty_request=support.draft(banner), actor=banner.users["forestry"])


def _naji(banner, request):
    return {"consultation": request.current_consultations().get(township=banner.org("naji")).pk}


def test_art4_1_disagreeing_without_a_written_opinion_is_refused(client, banner, consulting):
    before = _task_snapshot(consulting)
    data = {"agrees": "0", "opinion": ""}
    body = refused(
        post_task(client, banner.users["naji"], consulting, "consult", data, **_naji(banner, consulting)),
        consulting,
        before,
    )
    assert errors_of(body, "opinion") == f"<li>{REQUIRED}</li>"
    assert "不同意时请写明理由和修改建议。" in field_html(body, "opinion")  # the help text says what to write
    assert "第四条第一项" in field_html(body, "opinion")
    assert_kept(body, data)


def test_art4_1_disagreeing_without_reasons_is_refused_and_the_opinion_kept(client, banner, consulting):
    before = _task_snapshot(consulting)
    data = {"agrees": "0", "opinion": "人手不够。"}
    body = refused(
        post_task(client, banner.users["naji"], consulting, "consult", data, **_naji(banner, consulting)),
        consulting,
        before,
    )
    assert errors_of(body, "opinion") == "<li>不同意时请写明理由和修改建议（不少于 10 个字），以便部门修改。</li>"
    assert_kept(body, data)


def test_art4_1_an_opinion_without_a_verdict_is_refused(client, banner, consulting):
    before = _task_snapshot(consulting)
    data = {"opinion": "我镇原则同意，建议明确经费拨付时间。"}
    body = refused(
        post_task(client, banner.users["naji"], consulting, "consult", data, **_naji(banner, consulting)),
        consulting,
        before,
    )
    assert errors_of(body, "agrees") == f"<li>{REQUIRED}</li>"
    assert_kept(body, data)


def test_art4_1_a_written_opinion_letter_that_is_not_a_document_is_refused(client, banner, consulting):
    before = _task_snapshot(consulting)
    data = {
        "agrees": "1",
        "opinion": "同意承担，按方案落实。",
        "letter": SimpleUploadedFile("复函.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
    }
    body = refused(
        post_task(client, banner.users["naji"], consulting, "consult", data, **_naji(banner, consulting)),
        consulting,
        before,
    )
    assert "「复函.pdf」不是 PDF、JPEG、PNG、OFD 文件（按文件内容判断，而非扩展名）" in errors_of(body, "letter")
    assert "已保留上次选择的文件" not in field_html(body, "letter"), "a refused file is not kept"
    assert not KeptUpload.objects.exists()
    assert_kept(body, data, skip=("letter",))


@pytest.fixture
def consulted(banner, consulting):
    support.consult_all(banner, consulting)
    consulting.refresh_from_db()
    assert consulting.state == RequestState.CONSULTED
    return consulting


def _zip_without_ofd() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


DISGUISED = [
    (
        "executable",
        b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode",
        "不是 PDF、JPEG、PNG、OFD 文件",
    ),
    ("html", b"<!DOCTYPE html><html><body>\xe7\x94\xb3\xe8\xaf\xb7</body></html>", "不是 PDF、JPEG、PNG、OFD 文件"),
    ("docx_zip", _zip_without_ofd(), "不是 PDF、JPEG、PNG、OFD 文件"),
]


@pytest.mark.parametrize(("kind", "content", "message"), DISGUISED, ids=[k for k, _, _ in DISGUISED])
def test_an_application_letter_that_is_not_really_a_pdf_is_refused_by_content(
    client, banner, consulted, kind, content, message
):
    before = _task_snapshot(consulted)
    fake = SimpleUploadedFile("书面申请.pdf", content, content_type="application/pdf")
    body = refused(
        post_task(client, banner.users["forestry"], consulted, "submit", {"application_letter": fake}),
        consulted,
        before,
    )
    errors = errors_of(body, "application_letter")
    assert f"「书面申请.pdf」{message}（按文件内容判断，而非扩展名），请转换格式后重新上传。" in errors
    assert not Attachment.objects.filter(request=consulted).exists()


def test_an_empty_application_letter_is_refused(client, banner, consulted):
    before = _task_snapshot(consulted)
    empty = SimpleUploadedFile("书面申请.pdf", b"", content_type="application/pdf")
    body = refused(
        post_task(client, banner.users["forestry"], consulted, "submit", {"application_letter": empty}),
        consulted,
        before,
    )
    assert errors_of(body, "application_letter") == "<li>所提交的是空文件。</li>"  # Django's FileField


def test_an_oversized_upload_is_refused_with_its_size_and_the_limit(client, banner, consulted, settings):
    settings.ADMISSION_MAX_UPLOAD_BYTES = 1024 * 1024
    before = _task_snapshot(consulted)
    big = SimpleUploadedFile("书面申请.pdf", b"%PDF-1.4\n" + b"0" * (1536 * 1024), content_type="application/pdf")
    body = refused(
        post_task(client, banner.users["forestry"], consulted, "submit", {"application_letter": big}), consulted, before
    )
    assert "「书面申请.pdf」大小为 1.5 MB，超过 1 MB 上限，请压缩或拆分后重新上传。" in errors_of(
        body, "application_letter"
    )


def test_one_bad_supporting_file_stores_none_of_the_files(client, banner, consulted):
    before = _task_snapshot(consulted)
    data = {
        "application_letter": support.pdf("书面申请.pdf"),
        "supporting_files": [
            support.pdf("佐证一.pdf"),
            SimpleUploadedFile("佐证二.pdf", b"GIF89a not a pdf", content_type="application/pdf"),
        ],
    }
    body = refused(post_task(client, banner.users["forestry"], consulted, "submit", data), consulted, before)
    assert "「佐证二.pdf」不是 PDF、JPEG、PNG、OFD 文件" in errors_of(body, "supporting_files")
    assert not Attachment.objects.filter(request=consulted).exists()


@pytest.fixture
def submitted(banner, consulted):
    support.submit(banner, consulted)
    assert consulted.state == RequestState.SUBMITTED
    return consulted


def test_intake_a_supplement_notice_without_items_is_refused(client, banner, submitted):
    before = _task_snapshot(submitted)
    data = {"decision": "supplement", "items": " \n  \n", "note": "请部门尽快补正。"}
    body = refused(post_task(client, banner.users["office"], submitted, "intake", data), submitted, before)
    assert errors_of(body, "items") == "<li>请逐条列出需要补正的全部材料或内容，每行一条。</li>"
    assert_kept(body, data, skip=("items",))


@pytest.fixture
def under_review(banner):
    return support.to_under_review(banner)


def test_art4_2_a_lead_opinion_without_verdict_or_reasoning_names_both(client, banner, under_review):
    before = _task_snapshot(under_review)
    data = {"decision": "opinion", "passes": "", "reasoning": " ", "question": "草拟中的征求意见事项"}
    body = refused(post_task(client, banner.users["office"], under_review, "lead_review", data), under_review, before)
    assert errors_of(body, "passes") == "<li>请选择本单位意见。</li>"
    assert errors_of(body, "reasoning") == "<li>请写明审核意见及其依据。</li>"
    assert_kept(body, data, skip=("passes", "reasoning"))


def test_art4_2_asking_for_advice_without_a_question_or_anyone_to_ask_is_refused(client, banner, under_review):
    before = _task_snapshot(under_review)
    data = {"decision": "advice", "question": "", "experts": ""}
    body = refused(post_task(client, banner.users["office"], under_review, "lead_review", data), under_review, before)
    assert errors_of(body, "question") == "<li>请写明需要相关部门或专家发表意见的事项。</li>"
    assert errors_of(body, "departments") == "<li>请至少选择一个相关部门或填写一位专家。</li>"
    assert_kept(body, data)


def test_art4_2_the_requesting_department_cannot_be_asked_for_advice_on_its_own_request(client, banner, under_review):
    before = _task_snapshot(under_review)
    data = {
        "decision": "advice",
        "question": "请就巡查频次提出意见。",
        "departments": [banner.org("forestry").pk],
        "experts": "王教授，内蒙古农业大学",
    }
    body = refused(post_task(client, banner.users["office"], under_review, "lead_review", data), under_review, before)
    assert "选择一个有效的选项。" in errors_of(body, "departments")
    assert_kept(body, data, skip=("departments",))


def test_art4_2_a_legality_review_without_reasoning_is_refused(client, banner, under_review):
    before = _task_snapshot(under_review)
    data = {"passes": "0", "reasoning": ""}
    body = refused(
        post_task(client, banner.users["justice"], under_review, "legality_review", data), under_review, before
    )
    assert errors_of(body, "reasoning") == f"<li>{REQUIRED}</li>"
    assert_kept(body, data)


@pytest.fixture
def reviewed(banner, under_review):
    support.bureau_opinions(banner, under_review)
    return under_review


FINDINGS_TYPED = {
    "work_content": "属于行政事务，但巡查频次偏高。",
    "legal_basis": "《森林防火条例》第二十条可作依据。",
    "division_of_responsibilities": "乡镇与林草局分工基本清楚。",
    "consultation": "那吉镇、六合镇书面同意。",
    "safeguards": "经费已列入预算，培训安排待细化。",
}


def test_art4_2_not_passing_without_reasons_keeps_the_findings_typed(client, banner, reviewed):
    before = _task_snapshot(reviewed)
    data = {"passes": "0", "reasons": "", "remedy": "", **FINDINGS_TYPED}
    body = refused(post_task(client, banner.users["office"], reviewed, "consolidate", data), reviewed, before)
    assert errors_of(body, "reasons") == "<li>审核不通过须书面说明理由（第四条第二项）。</li>"
    assert errors_of(body, "remedy") == "<li>请写明部门重新申请前需要改正的事项。</li>"
    assert_kept(body, data)


def test_art4_2_a_finding_left_empty_is_named(client, banner, reviewed):
    before = _task_snapshot(reviewed)
    data = {"passes": "1", "reasons": "", "remedy": "", **FINDINGS_TYPED, "safeguards": ""}
    body = refused(post_task(client, banner.users["office"], reviewed, "consolidate", data), reviewed, before)
    assert errors_of(body, "safeguards") == "<li>请写明对“保障措施”的审核意见（第四条第二项重点审核内容）。</li>"
    assert "保障措施" in field_html(body, "safeguards")
    assert_kept(body, data)


def test_art4_2_review_cannot_pass_when_the_justice_bureau_did_not(client, banner, under_review):
    support.bureau_opinions(banner, under_review, passes=("office", "data"))
    before = _task_snapshot(under_review)
    data = {"passes": "1", "reasons": "", "remedy": "", **FINDINGS_TYPED}
    body = refused(post_task(client, banner.users["office"], under_review, "consolidate", data), under_review, before)
    assert errors_of(body, "passes") == "<li>旗司法局的审核意见为不通过，审核结论不能为通过。</li>"
    assert_kept(body, data)


@pytest.fixture
def awaiting_approval(banner, reviewed):
    support.conclude(banner, reviewed)
    assert reviewed.state == RequestState.AWAITING_APPROVAL
    return reviewed


def test_art4_3_the_banner_refusing_without_reasons_is_refused(client, banner, awaiting_approval):
    before = _task_snapshot(awaiting_approval)
    data = {"approves": "0", "reasons": "   "}
    body = refused(
        post_task(client, banner.users["leadership"], awaiting_approval, "banner_decision", data),
        awaiting_approval,
        before,
    )
    assert errors_of(body, "reasons") == "<li>不同意时须写明理由。</li>"
    assert_kept(body, data, skip=("reasons",))


@pytest.fixture
def awaiting_city(banner, awaiting_approval):
    support.banner_decides(banner, awaiting_approval)
    assert awaiting_approval.state == RequestState.AWAITING_CITY
    return awaiting_approval


def test_art4_3_a_city_decision_without_document_number_is_refused_and_the_rest_kept(client, banner, awaiting_city):
    before = _task_snapshot(awaiting_city)
    data = {
        "approves": "1",
        "document_number": "",
        "decision_date": timezone.localdate().isoformat(),
        "reply_scan": support.pdf("批复.pdf"),
        "reasons": "同意在那吉镇、六合镇实施。",
    }
    body = refused(
        post_task(client, banner.users["office"], awaiting_city, "city_decision", data), awaiting_city, before
    )
    assert errors_of(body, "document_number") == "<li>请填写市政府批复的文号，如“呼政字〔2026〕12号”。</li>"
    assert "批复文号" in field_html(body, "document_number")
    assert "已保留上次选择的文件：批复.pdf" in field_html(body, "reply_scan")
    assert_kept(body, data, skip=("reply_scan",))


def _kept_pk(body: str, field: str) -> str:
    match = re.search(rf'name="{field}__kept" value="(\d+)" checked', body)
    assert match, f"no kept file offered for {field}"
    return match.group(1)


def test_a_file_chosen_before_an_error_is_kept_and_used_on_the_next_submit_without_choosing_it_again(
    client, banner, awaiting_city
):
    """Input kept (issue 13): a browser cannot refill a file input, so the checked file waits on the server for the
    same person's next submit of the form; used, it is dropped."""
    data = {
        "approves": "1",
        "document_number": "",
        "decision_date": timezone.localdate().isoformat(),
        "reply_scan": support.pdf("批复.pdf"),
        "reasons": "同意在那吉镇、六合镇实施。",
    }
    body = post_task(client, banner.users["office"], awaiting_city, "city_decision", data).content.decode()
    again = {**data, "document_number": "呼政字〔2026〕12号", "reply_scan__kept": _kept_pk(body, "reply_scan")}
    del again["reply_scan"]
    response = client.post(
        reverse("workflows:execute", args=[support.open_task(awaiting_city, "city_decision").pk]), again
    )
    assert response.status_code == 302
    scan = Attachment.objects.get(request=awaiting_city, kind=AttachmentKind.CITY_REPLY)
    assert scan.file.read() == support.PDF_BYTES and scan.original_name == "批复.pdf"
    assert not KeptUpload.objects.exists(), "used, it is dropped"


def test_a_kept_file_serves_only_the_person_it_was_kept_for_and_only_for_a_day(client, banner, awaiting_city):
    data = {"approves": "1", "document_number": "", "decision_date": timezone.localdate().isoformat()}
    body = post_task(
        client, banner.users["office"], awaiting_city, "city_decision", {**data, "reply_scan": support.pdf("批复.pdf")}
    ).content.decode()
    kept = _kept_pk(body, "reply_scan")
    task_url = reverse("workflows:execute", args=[support.open_task(awaiting_city, "city_decision").pk])
    client.force_login(banner.users["office2"])  # a colleague of the same office, who may record the reply too
    body = client.post(
        task_url, {**data, "document_number": "呼政字〔2026〕12号", "reply_scan__kept": kept}
    ).content.decode()
    assert errors_of(body, "reply_scan") == "<li>请上传市政府批复的扫描件。</li>", "not someone else's file"
    client.force_login(banner.users["office"])
    KeptUpload.objects.filter(pk=kept).update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    body = client.post(
        task_url, {**data, "document_number": "呼政字〔2026〕12号", "reply_scan__kept": kept}
    ).content.decode()
    assert errors_of(body, "reply_scan") == "<li>请上传市政府批复的扫描件。</li>", "expired"
    assert uploads.drop_stale_kept_uploads() == 1 and not KeptUpload.objects.exists()


def test_art4_3_a_city_decision_dated_in_the_future_is_refused(client, banner, awaiting_city):
    before = _task_snapshot(awaiting_city)
    data = {
        "approves": "1",
        "document_number": "呼政字〔2026〕12号",
        "decision_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "reply_scan": support.pdf("批复.pdf"),
        "reasons": "",
    }
    body = refused(
        post_task(client, banner.users["office"], awaiting_city, "city_decision", data), awaiting_city, before
    )
    assert errors_of(body, "decision_date") == "<li>批复日期不能晚于今天。</li>"
    assert_kept(body, data, skip=("reply_scan",))


def test_art4_3_a_city_refusal_without_its_reasons_is_refused(client, banner, awaiting_city):
    before = _task_snapshot(awaiting_city)
    data = {
        "approves": "0",
        "document_number": "呼政字〔2026〕13号",
        "decision_date": timezone.localdate().isoformat(),
        "reply_scan": support.pdf("批复.pdf"),
        "reasons": "",
    }
    body = refused(
        post_task(client, banner.users["office"], awaiting_city, "city_decision", data), awaiting_city, before
    )
    assert errors_of(body, "reasons") == "<li>市政府不予批准时请摘录其理由。</li>"
    assert_kept(body, data, skip=("reply_scan",))


def test_art4_3_a_city_reply_scan_that_is_not_a_scan_is_refused(client, banner, awaiting_city):
    before = _task_snapshot(awaiting_city)
    data = {
        "approves": "1",
        "document_number": "呼政字〔2026〕12号",
        "decision_date": timezone.localdate().isoformat(),
        "reply_scan": SimpleUploadedFile("批复.pdf", b"PK\x03\x04not really a zip", "application/pdf"),
        "reasons": "",
    }
    body = refused(
        post_task(client, banner.users["office"], awaiting_city, "city_decision", data), awaiting_city, before
    )
    assert "批复扫描件「批复.pdf」不是 PDF、JPEG、PNG、OFD 文件（按文件内容判断，而非扩展名）" in errors_of(
        body, "reply_scan"
    )
    assert_kept(body, data, skip=("reply_scan",))


# --- withdrawal (a POST from the case page, answered by a redirect with a message) -------------------------


def test_withdrawing_without_a_reason_changes_nothing_and_says_so(client, banner, under_review):
    before = _task_snapshot(under_review)
    client.force_login(banner.users["forestry"])
    response = client.post(reverse("admission:request_withdraw", args=[under_review.pk]), {"reason": "  "}, follow=True)
    assert response.redirect_chain == [(reverse("admission:request_detail", args=[under_review.pk]), 302)]
    assert '<li class="error">请写明撤回理由。</li>' in response.content.decode()
    assert _task_snapshot(under_review) == before
