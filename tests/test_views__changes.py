"""Exit (Art. 4(4)) and adjustment (Art. 4(5)) through the real pages.

From a duty page (/duties/<pk>/) the township holding the duty or the duty's department starts an exit
(/duties/<pk>/exit/, sent out at once), and the township, the department or the organization office of the same
banner proposes an adjustment (/duties/<pk>/adjust/, a draft whose terms are then edited on /requests/<pk>/edit/).
Bad input answers 422 on the same page, says what to fix in Chinese, keeps what was typed and changes nothing
(no case, no audit event, no flow). Who may not propose gets 403 when the duty is visible to them, 404 when not
(tests/test_views__authorization.py checks every role).

Names and messages come from admission/duty_views.py, admission/forms.py (ChangeProposalForm, DutyRequestForm),
admission/services/changes.py and admission/services/requests.py (change_errors).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from admission.models import (
    AuditAction,
    AuditEvent,
    Consultation,
    DocumentKind,
    DutyRequest,
    DutyStatus,
    OfficialDocument,
    RequestPurpose,
    RequestState,
    TownshipDuty,
)
from tests import support
from tests.support import admitted, errors_of, field_html, top_errors
from workflows import actions
from workflows.models import AdmissionProcess

EXIT_BUTTON = "申请退出（第四条第四项）"
ADJUST_BUTTON = "提出调整（第四条第五项）"
EXIT_REASONS = "森林草原防火巡查已并入旗级专业队伍，不再适宜由乡镇承担。"
ADJUST_REASONS = "《森林防火条例》修订，巡查依据和经费标准随之调整。"
NEW_LEGAL_BASIS = "《森林防火条例》（2026年修订）第二十条；《草原防火条例》第十七条。"


# --- the world: one regular duty admitted to 那吉镇 and 六合镇 ------------------------------------------------


@pytest.fixture
def regular(banner):
    return admitted(banner)


@pytest.fixture
def naji_duty(banner, regular) -> TownshipDuty:
    return TownshipDuty.objects.get(request=regular, township=banner.org("naji"))


@pytest.fixture
def liuhe_duty(banner, regular) -> TownshipDuty:
    return TownshipDuty.objects.get(request=regular, township=banner.org("liuhe"))


def as_user(client, banner, key):
    client.force_login(banner.users[key])
    return client


def exit_url(duty) -> str:
    return reverse("admission:propose_exit", args=[duty.pk])


def adjust_url(duty) -> str:
    return reverse("admission:propose_adjustment", args=[duty.pk])


def duty_url(duty) -> str:
    return reverse("admission:duty_detail", args=[duty.pk])


def all_errors(body: str) -> str:
    """Every error message on the page, wherever the form put it (a hidden field's errors go on top)."""
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S))


def ticked(body: str, name: str) -> set[int]:
    """The checkboxes of `name` that are ticked."""
    return {int(v) for v in re.findall(rf'<input type="checkbox" name="{name}" value="(\d+)"[^>]*\schecked', body)}


def offered(body: str, name: str) -> set[int]:
    return {int(v) for v in re.findall(rf'<input type="checkbox" name="{name}" value="(\d+)"', body)}


def hidden(body: str, name: str) -> set[int]:
    return {int(v) for v in re.findall(rf'<input type="hidden" name="{name}" value="(\d+)"', body)}


def trace() -> tuple[int, int, int, int]:
    return (
        DutyRequest.objects.count(),
        AuditEvent.objects.changes().count(),
        AdmissionProcess.objects.count(),
        Consultation.objects.count(),
    )


@pytest.fixture
def nothing_saved(db):
    """Asserts, after the test body, that the refused proposal left no case, audit event, flow or consultation."""
    before = trace()
    yield
    assert trace() == before


def the_new_case(purpose: str) -> DutyRequest:
    return DutyRequest.objects.filter(purpose=purpose).latest("pk")


# --- the duty page offers what each party may do -----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "exit_", "adjust"),
    [
        ("naji", True, True),  # Art. 4(4), 4(5): the township holding the duty
        ("forestry", True, True),  # the duty's department
        ("office", False, True),  # Art. 4(5): the organization office proposes adjustments only
        ("office_clerk", False, True),
        ("justice", False, False),
        ("data", False, False),
        ("leadership", False, False),
    ],
)
def test_art4_4_art4_5_duty_page_shows_exit_and_adjustment_buttons_only_to_those_allowed(
    client, banner, naji_duty, role, exit_, adjust
):
    response = as_user(client, banner, role).get(duty_url(naji_duty))
    assert response.status_code == 200
    body = response.content.decode()
    assert naji_duty.duty_name in body
    assert (EXIT_BUTTON in body) is exit_ and (f'href="{exit_url(naji_duty)}"' in body) is exit_
    assert (ADJUST_BUTTON in body) is adjust and (f'href="{adjust_url(naji_duty)}"' in body) is adjust


def test_art4_4_duty_page_shows_the_open_case_and_no_second_proposal_button(client, banner, naji_duty):
    case = support.propose(banner, naji_duty, "exit", by="naji")
    body = as_user(client, banner, "naji").get(duty_url(naji_duty)).content.decode()
    assert f"该事项有正在办理的申请 {case.reference}" in body
    assert reverse("admission:request_detail", args=[case.pk]) in body
    assert EXIT_BUTTON not in body and ADJUST_BUTTON not in body


# --- Art. 4(4) exit ------------------------------------------------------------------------------------------


def test_art4_4_township_gets_an_exit_form_about_its_own_duty_only(client, banner, naji_duty, liuhe_duty):
    response = as_user(client, banner, "naji").get(exit_url(naji_duty))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"申请退出：{naji_duty.duty_name}" in body
    assert "依据第四条第四项" in body and "理由" in body and "提出退出申请" in body
    assert "旗林业和草原局" in body  # 责任部门
    # A township asks only about its own duty: the one choice offered is its own, ticked.
    assert offered(body, "targets") == ticked(body, "targets") == {naji_duty.pk}
    assert str(liuhe_duty.pk) not in re.findall(r'name="targets" value="(\d+)"', body)


def test_art4_4_department_gets_an_exit_form_with_every_township_holding_the_duty(
    client, banner, naji_duty, liuhe_duty
):
    response = as_user(client, banner, "forestry").get(exit_url(naji_duty))
    assert response.status_code == 200
    body = response.content.decode()
    assert "涉及乡镇" in body and "那吉镇" in body and "六合镇" in body
    assert offered(body, "targets") == ticked(body, "targets") == {naji_duty.pk, liuhe_duty.pk}


def test_art4_4_township_starts_exit_from_its_duty_page(client, banner, naji_duty, liuhe_duty):
    client = as_user(client, banner, "naji")
    response = client.post(exit_url(naji_duty), {"targets": [naji_duty.pk], "reasons": EXIT_REASONS})

    case = the_new_case(RequestPurpose.EXIT)
    assert response.status_code == 302
    assert response["Location"] == reverse("admission:request_detail", args=[case.pk])
    assert case.applicant == banner.org("naji") and case.department == banner.org("forestry")
    assert case.change_reasons == EXIT_REASONS
    assert list(case.target_duties.all()) == [naji_duty]
    # Nobody else to consult about 那吉镇's own duty: straight on to its written application.
    assert case.state == RequestState.CONSULTED and case.consultation_round == 0
    assert not case.consultations.exists()
    support.open_task(case, "submit")
    actions = list(case.audit_events.values_list("action", flat=True))
    assert AuditAction.PROPOSE_CHANGE in actions and AuditAction.SKIP_CONSULTATION in actions

    body = client.get(response["Location"]).content.decode()
    assert "退出申请已提出。" in body and "请在“当前环节”上传书面申请并提交旗委编办。" in body
    assert EXIT_REASONS in body and "那吉镇" in body
    # 六合镇 keeps its duty and is not drawn into 那吉镇's exit.
    liuhe_duty.refresh_from_db()
    assert liuhe_duty.status == DutyStatus.ACTIVE


def test_art4_4_department_starts_exit_and_consults_the_townships_holding_the_duty(
    client, banner, naji_duty, liuhe_duty
):
    client = as_user(client, banner, "forestry")
    response = client.post(exit_url(naji_duty), {"targets": [naji_duty.pk, liuhe_duty.pk], "reasons": EXIT_REASONS})

    case = the_new_case(RequestPurpose.EXIT)
    assert response.status_code == 302
    assert response["Location"] == reverse("admission:request_detail", args=[case.pk])
    assert case.applicant == banner.org("forestry") and case.state == RequestState.CONSULTING
    assert set(case.current_consultations().values_list("township", flat=True)) == {
        banner.org("naji").pk,
        banner.org("liuhe").pk,
    }
    assert OfficialDocument.objects.filter(request=case, kind=DocumentKind.CONSULTATION_LETTER).count() == 2
    body = client.get(response["Location"]).content.decode()
    assert "已书面征求其他承担该职责的乡镇意见。" in body


def test_art4_4_department_may_exit_one_township_only(client, banner, naji_duty, liuhe_duty):
    response = as_user(client, banner, "forestry").post(
        exit_url(naji_duty), {"targets": [liuhe_duty.pk], "reasons": EXIT_REASONS}
    )
    assert response.status_code == 302
    case = the_new_case(RequestPurpose.EXIT)
    assert list(case.target_duties.all()) == [liuhe_duty]
    assert list(case.current_consultations().values_list("township", flat=True)) == [banner.org("liuhe").pk]


@pytest.mark.parametrize("reasons", ["", "   \n  "])
def test_art4_4_empty_reasons_keep_input_and_say_what_to_fix(
    client, banner, naji_duty, liuhe_duty, nothing_saved, reasons
):
    response = as_user(client, banner, "forestry").post(
        exit_url(naji_duty), {"targets": [liuhe_duty.pk], "reasons": reasons}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert f"申请退出：{naji_duty.duty_name}" in body
    assert "请写明理由。" in errors_of(body, "reasons")
    assert ticked(body, "targets") == {liuhe_duty.pk}  # the choice made is kept, not reset to every township


def test_art4_4_no_township_chosen_keeps_the_reasons_and_says_what_to_fix(client, banner, naji_duty, nothing_saved):
    response = as_user(client, banner, "forestry").post(exit_url(naji_duty), {"reasons": EXIT_REASONS})
    assert response.status_code == 422
    body = response.content.decode()
    assert "请至少选择一个乡镇。" in errors_of(body, "targets")
    assert escape(EXIT_REASONS) in field_html(body, "reasons")
    assert ticked(body, "targets") == set()


def test_art4_4_township_naming_another_townships_duty_is_refused(client, banner, naji_duty, liuhe_duty, nothing_saved):
    response = as_user(client, banner, "naji").post(
        exit_url(naji_duty), {"targets": [liuhe_duty.pk], "reasons": EXIT_REASONS}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "所选乡镇已不再承担该项职责" in body and "有效的选项" not in body
    assert escape(EXIT_REASONS) in field_html(body, "reasons")
    assert TownshipDuty.objects.get(pk=liuhe_duty.pk).status == DutyStatus.ACTIVE


def test_art4_4_tampered_target_of_another_banner_is_refused(client, banner, other_banner, naji_duty):
    foreign = admitted(other_banner, townships=("naji",), duty_name="草原生态奖补核实")
    foreign_duty = TownshipDuty.objects.get(request=foreign)
    before = trace()
    response = as_user(client, banner, "forestry").post(
        exit_url(naji_duty), {"targets": [naji_duty.pk, foreign_duty.pk], "reasons": EXIT_REASONS}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "所选乡镇已不再承担该项职责" in errors_of(body, "targets")
    assert "草原生态奖补核实" not in body and "mq那吉镇" not in body
    assert escape(EXIT_REASONS) in field_html(body, "reasons")
    assert trace() == before
    # The other banner's duty is untouched; its own department could not start it from here either.
    response = as_user(client, other_banner, "forestry").get(exit_url(naji_duty))
    assert response.status_code == 404


def test_art4_4_a_second_proposal_while_one_is_open_names_the_open_case(client, banner, naji_duty):
    open_case = support.propose(banner, naji_duty, "exit", by="naji")
    support.submit(banner, open_case, department="naji")  # filed: the department now sees it
    before = trace()
    for url, reasons in ((exit_url(naji_duty), EXIT_REASONS), (adjust_url(naji_duty), ADJUST_REASONS)):
        response = as_user(client, banner, "forestry").post(url, {"targets": [naji_duty.pk], "reasons": reasons})
        assert response.status_code == 422, url
        body = response.content.decode()
        assert open_case.reference in top_errors(body) and "请待其办结或撤回后再提出" in top_errors(body)
        assert escape(reasons) in field_html(body, "reasons")
    assert trace() == before


def test_art4_4_exit_edit_page_after_a_disagreement_shows_only_the_reasons(client, banner, naji_duty, liuhe_duty):
    case = support.propose(banner, naji_duty, "exit", targets=[naji_duty, liuhe_duty])
    support.consult_all(banner, case, disagree=("liuhe",))
    assert case.state == RequestState.REVISING
    client = as_user(client, banner, "forestry")
    response = client.get(reverse("admission:request_edit", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "依据第四条第四项" in body
    assert re.findall(r'id="field-(\w+)"', body) == ["change_reasons"]
    assert 'name="townships"' not in body and 'name="duty_name"' not in body
    response = client.post(
        reverse("admission:request_edit", args=[case.pk]),
        {"change_reasons": "六合镇已有专业队伍，仅那吉镇退出。", "consult": "1"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == RequestState.CONSULTING and case.consultation_round == 2
    assert case.change_reasons == "六合镇已有专业队伍，仅那吉镇退出。"


# --- Art. 4(5) adjustment ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["naji", "forestry", "office"])
def test_art4_5_adjustment_form_renders_with_chinese_labels(client, banner, naji_duty, role):
    response = as_user(client, banner, role).get(adjust_url(naji_duty))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"提出调整：{naji_duty.duty_name}" in body
    assert "依据第四条第五项" in body and "理由" in body and "下一步：修改调整内容" in body


def test_art4_5_empty_reasons_for_an_adjustment_keep_the_choice_and_say_what_to_fix(
    client, banner, naji_duty, liuhe_duty, nothing_saved
):
    response = as_user(client, banner, "office").post(adjust_url(naji_duty), {"targets": [liuhe_duty.pk]})
    assert response.status_code == 422
    body = response.content.decode()
    assert "请写明理由。" in errors_of(body, "reasons")
    assert ticked(body, "targets") == {liuhe_duty.pk}


def edit_data(case: DutyRequest, **changes) -> dict:
    """The edit form as the browser sends it: the case's current values, with `changes`."""
    data = {}
    for field in (
        "duty_name",
        "affair_class",
        "track",
        "list_category",
        "work_objective",
        "powers_and_responsibilities",
        "legal_basis",
        "division_of_responsibilities",
        "work_process",
        "completion_time_limit",
        "operating_mechanism",
        "staffing",
        "funding_source",
        "technical_support",
        "training",
        "change_reasons",
    ):
        data[field] = getattr(case, field)
    data["end_date"] = case.end_date.isoformat() if case.end_date else ""
    data["funding_amount"] = str(case.funding_amount) if case.funding_amount is not None else ""
    data.update(changes)
    return data


def test_art4_5_department_adjusts_terms_on_the_edit_page_and_consults(client, banner, naji_duty, liuhe_duty):
    client = as_user(client, banner, "forestry")
    response = client.post(adjust_url(naji_duty), {"targets": [naji_duty.pk, liuhe_duty.pk], "reasons": ADJUST_REASONS})
    case = the_new_case(RequestPurpose.ADJUSTMENT)
    edit = reverse("admission:request_edit", args=[case.pk])
    assert response.status_code == 302 and response["Location"] == edit
    assert case.state == RequestState.DRAFT and case.applicant == banner.org("forestry")
    assert set(case.target_duties.all()) == {naji_duty, liuhe_duty}

    response = client.get(edit)
    assert response.status_code == 200
    body = response.content.decode()
    assert "已创建调整申请草稿，请修改需要调整的内容。" in body
    assert f"修改申请：调整 · {naji_duty.duty_name}" in body and "依据第四条第五项" in body
    fields = re.findall(r'id="field-(\w+)"', body)
    assert "townships" not in fields and 'name="townships"' not in body
    assert {"duty_name", "legal_basis", "funding_amount", "track", "change_reasons"} <= set(fields)
    assert escape(ADJUST_REASONS) in field_html(body, "change_reasons")
    assert escape(naji_duty.legal_basis) in field_html(body, "legal_basis")  # the duty's current terms
    assert "保存并书面征求乡镇意见" in body

    response = client.post(edit, edit_data(case, legal_basis=NEW_LEGAL_BASIS, funding_amount="90000.00", consult="1"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admission:request_detail", args=[case.pk])
    case.refresh_from_db()
    assert case.state == RequestState.CONSULTING and case.legal_basis == NEW_LEGAL_BASIS
    assert case.funding_amount == Decimal("90000.00")
    assert set(case.townships.all()) == {banner.org("naji"), banner.org("liuhe")}  # unchanged by the edit
    body = client.get(response["Location"]).content.decode()
    assert "已保存，并书面征求涉及乡镇的意见。" in body
    assert "调整内容" in body
    assert f"<strong>法定依据</strong>：{escape(naji_duty.legal_basis)} → {escape(NEW_LEGAL_BASIS)}" in body
    assert "<strong>工作经费（元）</strong>：120,000.00元 → 90,000.00元" in body


def test_art4_5_township_adjusting_its_own_duty_goes_on_to_its_written_application(client, banner, naji_duty):
    client = as_user(client, banner, "naji")
    response = client.post(adjust_url(naji_duty), {"targets": [naji_duty.pk], "reasons": ADJUST_REASONS})
    case = the_new_case(RequestPurpose.ADJUSTMENT)
    edit = reverse("admission:request_edit", args=[case.pk])
    assert response.status_code == 302 and response["Location"] == edit
    body = client.get(edit).content.decode()
    assert "保存并进入提交" in body and "保存并书面征求乡镇意见" not in body
    assert 'name="townships"' not in body

    response = client.post(edit, edit_data(case, training="每年组织两次培训，新增线上课程。", consult="1"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == RequestState.CONSULTED and case.consultation_round == 0
    support.open_task(case, "submit")
    body = client.get(response["Location"]).content.decode()
    assert "本乡镇提出的申请无需征求其他乡镇意见，请上传书面申请后提交。" in body
    assert "<strong>业务培训</strong>：每年汛前、防火期前各组织一次培训。 → 每年组织两次培训，新增线上课程。" in body


def test_art4_5_saving_an_adjustment_keeps_it_a_draft(client, banner, naji_duty):
    client = as_user(client, banner, "forestry")
    client.post(adjust_url(naji_duty), {"targets": [naji_duty.pk], "reasons": ADJUST_REASONS})
    case = the_new_case(RequestPurpose.ADJUSTMENT)
    response = client.post(
        reverse("admission:request_edit", args=[case.pk]), edit_data(case, legal_basis=NEW_LEGAL_BASIS, save="1")
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == RequestState.DRAFT and case.legal_basis == NEW_LEGAL_BASIS
    # The list is not touched before approval.
    naji_duty.refresh_from_db()
    assert naji_duty.legal_basis != NEW_LEGAL_BASIS


def test_art4_5_an_unchanged_adjustment_is_not_sent_out(client, banner, naji_duty):
    client = as_user(client, banner, "forestry")
    client.post(adjust_url(naji_duty), {"targets": [naji_duty.pk], "reasons": ADJUST_REASONS})
    case = the_new_case(RequestPurpose.ADJUSTMENT)
    events = AuditEvent.objects.changes().count()
    response = client.post(reverse("admission:request_edit", args=[case.pk]), edit_data(case, consult="1"))
    assert response.status_code == 422
    assert "调整申请与现行职责事项内容完全相同" in top_errors(response.content.decode())
    case.refresh_from_db()
    assert case.state == RequestState.DRAFT and not case.consultations.exists()
    assert AuditEvent.objects.changes().count() == events


def test_art4_5_an_adjustment_without_reasons_is_not_sent_out(client, banner, naji_duty):
    client = as_user(client, banner, "forestry")
    client.post(adjust_url(naji_duty), {"targets": [naji_duty.pk], "reasons": ADJUST_REASONS})
    case = the_new_case(RequestPurpose.ADJUSTMENT)
    response = client.post(
        reverse("admission:request_edit", args=[case.pk]),
        edit_data(case, legal_basis=NEW_LEGAL_BASIS, change_reasons=" ", consult="1"),
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "请写明调整的理由" in errors_of(body, "change_reasons")
    assert escape(NEW_LEGAL_BASIS) in field_html(body, "legal_basis")
    case.refresh_from_db()
    assert case.state == RequestState.DRAFT and case.legal_basis != NEW_LEGAL_BASIS


def test_art4_5_the_organization_office_proposes_an_adjustment_from_the_duty_page(
    client, banner, naji_duty, liuhe_duty
):
    client = as_user(client, banner, "office")
    body = client.get(adjust_url(naji_duty)).content.decode()
    assert offered(body, "targets") == {naji_duty.pk, liuhe_duty.pk}
    response = client.post(adjust_url(naji_duty), {"targets": [naji_duty.pk, liuhe_duty.pk], "reasons": ADJUST_REASONS})
    case = the_new_case(RequestPurpose.ADJUSTMENT)
    assert response.status_code == 302
    assert case.applicant == banner.org("office") and case.department == banner.org("forestry")
    response = client.post(
        reverse("admission:request_edit", args=[case.pk]),
        edit_data(case, technical_support="旗林草局提供巡护终端、无人机和系统账号。", consult="1"),
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == RequestState.CONSULTING


# Every element of the written application (Art. 4(1)) the adjustment page lets the applicant rewrite, with a
# value different from the one the duty was admitted with.
ADJUSTABLE = {
    "duty_name": "森林草原防火巡查（含野外用火巡查）",
    "powers_and_responsibilities": "组织护林员开展日常巡查和野外用火巡查，发现火情及时报告旗林草局。",
    "legal_basis": NEW_LEGAL_BASIS,
    "funding_amount": "90000.00",
    "funding_source": "旗本级财政预算及上级转移支付",
    "technical_support": "旗林草局提供巡护终端、无人机和系统账号。",
    "training": "每年组织两次培训，新增线上课程。",
    "list_category": "basic",
    "work_objective": "落实森林草原防火属地巡查责任，火情发现时间缩短到 30 分钟内。",
    "division_of_responsibilities": "旗林草局负责业务指导、考核和装备，乡镇负责组织巡查和信息报送。",
    "work_process": "制定巡查计划—组织巡查—无人机复核—登记台账—发现火情立即报告。",
    "completion_time_limit": "长期（每年防火期前完成年度计划）",
    "operating_mechanism": "每半月调度，每季度通报。",
    "staffing": "每镇明确 1 名分管领导和 3 名专职人员。",
}


def test_art4_5_every_element_the_adjustment_page_offers_can_be_adjusted_on_its_own(client, banner, naji_duty):
    """What the edit page lets the applicant change, it honours: changing only that element is an adjustment,
    listed under 调整内容 — not refused as “与现行职责事项内容完全相同”."""
    client = as_user(client, banner, "forestry")
    refused = {}
    for field, value in ADJUSTABLE.items():
        client.post(adjust_url(naji_duty), {"targets": [naji_duty.pk], "reasons": ADJUST_REASONS})
        case = the_new_case(RequestPurpose.ADJUSTMENT)
        assert case.state == RequestState.DRAFT, field
        edit = reverse("admission:request_edit", args=[case.pk])
        if f'id="field-{field}"' not in client.get(edit).content.decode():
            actions.withdraw(duty_request=case, actor=banner.users["forestry"], reason="测试下一项。")
            continue  # not offered: nothing to honour
        response = client.post(edit, edit_data(case, **{field: value}, consult="1"))
        if response.status_code != 302:
            refused[field] = re.sub(r"<[^>]+>", "", top_errors(response.content.decode()))
        else:
            body = client.get(response["Location"]).content.decode()
            if "调整内容" not in body:
                refused[field] = "accepted, but 调整内容 does not list it"
        actions.withdraw(
            duty_request=DutyRequest.objects.get(pk=case.pk), actor=banner.users["forestry"], reason="测试下一项。"
        )
    assert refused == {}


def test_art4_4_a_township_that_no_longer_holds_the_duty_is_named_in_words(client, banner, naji_duty, liuhe_duty):
    """The department's page listed 那吉镇 and 六合镇; 六合镇's duty left the list before the form was sent. The
    answer says so in words the clerk understands — not Django's “选择一个有效的选项。 <pk> 不在可用的选项中。”."""
    client = as_user(client, banner, "forestry")
    assert offered(client.get(exit_url(naji_duty)).content.decode(), "targets") == {naji_duty.pk, liuhe_duty.pk}
    TownshipDuty.objects.filter(pk=liuhe_duty.pk).update(status=DutyStatus.EXITED)  # meanwhile, elsewhere
    before = trace()
    response = client.post(exit_url(naji_duty), {"targets": [naji_duty.pk, liuhe_duty.pk], "reasons": EXIT_REASONS})
    assert response.status_code == 422
    body = response.content.decode()
    errors = all_errors(body)
    assert escape(EXIT_REASONS) in field_html(body, "reasons")
    assert trace() == before
    # Only 那吉镇 is left, so the page now carries the choice in hidden fields: sent again as shown, it goes through.
    again = {"targets": sorted(hidden(body, "targets") | ticked(body, "targets")), "reasons": EXIT_REASONS}
    assert client.post(exit_url(naji_duty), again).status_code == 302, again
    assert "乡镇" in errors or "退出清单" in errors, errors
    assert f"{liuhe_duty.pk} 不在可用的选项中" not in errors


def test_art4_4_duty_page_does_not_link_a_case_the_viewer_cannot_open(client, banner, naji_duty):
    """那吉镇's adjustment is still its own draft (nobody else may know it: 404). The duty page, shown to the
    department, the organization office and the leadership, must not link them to it."""
    as_user(client, banner, "naji").post(adjust_url(naji_duty), {"targets": [naji_duty.pk], "reasons": ADJUST_REASONS})
    case = the_new_case(RequestPurpose.ADJUSTMENT)
    link = f'href="{reverse("admission:request_detail", args=[case.pk])}"'
    assert link in as_user(client, banner, "naji").get(duty_url(naji_duty)).content.decode()
    opens = {}
    for role in ("forestry", "office", "leadership"):
        client = as_user(client, banner, role)
        linked = link in client.get(duty_url(naji_duty)).content.decode()
        status = client.get(reverse("admission:request_detail", args=[case.pk])).status_code
        opens[role] = (linked, status)
    assert all(not linked for linked, status in opens.values() if status == 404), opens


# --- after approval: the list shows the version history and the exit ----------------------------------------


def test_art4_5_after_approval_the_duty_page_shows_version_2_and_the_adjustment_notice(
    client, banner, naji_duty, liuhe_duty
):
    client = as_user(client, banner, "forestry")
    client.post(adjust_url(naji_duty), {"targets": [naji_duty.pk, liuhe_duty.pk], "reasons": ADJUST_REASONS})
    case = the_new_case(RequestPurpose.ADJUSTMENT)
    client.post(
        reverse("admission:request_edit", args=[case.pk]), edit_data(case, legal_basis=NEW_LEGAL_BASIS, consult="1")
    )
    case.refresh_from_db()
    support.carry_through(banner, case)
    assert case.state == RequestState.ADJUSTED
    notice = OfficialDocument.objects.get(request=case, kind=DocumentKind.ADJUSTMENT_NOTICE)

    for role in ("naji", "forestry", "office"):
        body = as_user(client, banner, role).get(duty_url(naji_duty)).content.decode()
        table = body[body.index("版本记录（第四条第五项）") :]
        rows = re.findall(r"<tr><td>(\d+)</td>", table)
        assert rows == ["2", "1"], role
        assert notice.number in table and case.reference in table
        assert (
            f"<strong>法定依据</strong>：{escape(support.complete_values()['legal_basis'])} → {escape(NEW_LEGAL_BASIS)}"
            in table
        )
        assert escape(NEW_LEGAL_BASIS) in body[: body.index("版本记录")]  # the current terms are the new ones
        assert EXIT_BUTTON in body or role == "office"  # the case is closed: proposals are open again


def test_art4_4_after_approval_the_duty_page_shows_the_exit_basis_and_the_exited_list_holds_it(
    client, banner, naji_duty, liuhe_duty
):
    client = as_user(client, banner, "naji")
    client.post(exit_url(naji_duty), {"targets": [naji_duty.pk], "reasons": EXIT_REASONS})
    case = the_new_case(RequestPurpose.EXIT)
    support.carry_through(banner, case, by="naji")
    assert case.state == RequestState.EXITED
    notice = OfficialDocument.objects.get(request=case, kind=DocumentKind.EXIT_NOTICE)

    body = client.get(duty_url(naji_duty)).content.decode()
    assert "已退出" in body and "退出依据" in body
    basis = body[body.index("退出依据") :]
    assert notice.number in basis and case.reference in basis and "呼政字〔2026〕12号" in basis
    assert EXIT_BUTTON not in body and ADJUST_BUTTON not in body
    assert client.get(exit_url(naji_duty)).status_code == 403
    assert client.get(adjust_url(naji_duty)).status_code == 403

    exited = client.get(reverse("admission:duty_list"), {"state": "exited"}).content.decode()
    assert duty_url(naji_duty) in exited
    active = client.get(reverse("admission:duty_list")).content.decode()
    assert duty_url(naji_duty) not in active
    # 六合镇 still holds it and may still propose.
    body = as_user(client, banner, "liuhe").get(duty_url(liuhe_duty)).content.decode()
    assert "退出依据" not in body and EXIT_BUTTON in body


# Measured: 12 queries for every role, with one version or three and an open case (2026-11). A little headroom.
DUTY_PAGE_QUERIES = 15


def duty_page_queries(client, banner, role, duty, django_assert_max_num_queries) -> int:
    as_user(client, banner, role)
    with django_assert_max_num_queries(DUTY_PAGE_QUERIES) as captured:
        response = client.get(duty_url(duty))
    assert response.status_code == 200
    return len(captured)


def test_art4_4_art4_5_duty_page_query_count_is_bounded_and_does_not_grow_with_its_versions(
    client, banner, naji_duty, liuhe_duty, django_assert_max_num_queries
):
    roles = ("naji", "forestry", "office", "leadership")
    few = {role: duty_page_queries(client, banner, role, naji_duty, django_assert_max_num_queries) for role in roles}
    for value in ("（2026年修订）", "（2027年修订）"):
        case = support.propose(
            banner, naji_duty, "adjustment", targets=[naji_duty, liuhe_duty], legal_basis=naji_duty.legal_basis + value
        )
        support.carry_through(banner, case)
        naji_duty.refresh_from_db()
    support.propose(banner, naji_duty, "exit", by="naji")  # and an open case shown on the page
    many = {role: duty_page_queries(client, banner, role, naji_duty, django_assert_max_num_queries) for role in roles}
    assert many == {role: n + 1 for role, n in few.items()}  # the open case: one check of who may see it
    body = as_user(client, banner, "naji").get(duty_url(naji_duty)).content.decode()
    assert re.findall(r"<tr><td>(\d+)</td>", body[body.index("版本记录") :]) == ["3", "2", "1"]
