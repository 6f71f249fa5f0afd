"""Exit (Art. 4(4)) and dynamic adjustment (Art. 4(5)) of duties on the townships' lists."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from admission.models import (
    AuditAction,
    DocumentKind,
    DutyStatus,
    OfficialDocument,
    RequestPurpose,
    RequestState,
    TownshipDuty,
    Track,
)
from admission.permissions import can_view_request
from admission.selectors import duty_history, proposed_changes, township_duties
from admission.services import changes
from admission.services.errors import ConflictError
from admission.services.reminders import send_reminders
from tests import support
from tests.support import admitted


@pytest.fixture
def regular(banner):
    return admitted(banner)


@pytest.fixture
def temporary(banner):
    return admitted(banner, **support.temporary_values())


def duty_of(request, banner, township="naji") -> TownshipDuty:
    return TownshipDuty.objects.get(request=request, township=banner.org(township))


def test_art4_4_a_township_exits_its_own_duty_without_consulting_the_others(banner, regular):
    naji_duty, liuhe_duty = duty_of(regular, banner), duty_of(regular, banner, "liuhe")
    case = support.propose(banner, naji_duty, "exit", by="naji")
    assert case.state == RequestState.CONSULTED and case.consultation_round == 0
    assert case.applicant == banner.org("naji") and case.department == banner.org("forestry")
    assert case.track == Track.REGULAR  # the original duty's track decides who approves
    support.carry_through(banner, case, by="naji")
    assert case.state == RequestState.EXITED
    naji_duty.refresh_from_db()
    liuhe_duty.refresh_from_db()
    assert naji_duty.status == DutyStatus.EXITED and naji_duty.exit_decision.stage == "city_approval"
    assert naji_duty.exited_at is not None
    assert liuhe_duty.status == DutyStatus.ACTIVE  # only the township that asked leaves
    naji = banner.users["naji"]
    assert list(township_duties(user=naji)) == []
    assert [d.pk for d in township_duties(user=naji, state="exited")] == [naji_duty.pk]
    actions = list(case.audit_events.values_list("action", flat=True))
    assert AuditAction.SKIP_CONSULTATION in actions and AuditAction.EXIT_FROM_DUTY_LIST in actions


def test_art4_4_the_exit_notice_tells_all_parties_in_writing(banner, regular):
    case = support.propose(banner, duty_of(regular, banner), "exit", by="naji")
    support.carry_through(banner, case, by="naji")
    notice = OfficialDocument.objects.get(request=case, kind=DocumentKind.EXIT_NOTICE)
    recipients = set(notice.recipients.values_list("pk", flat=True))
    for key in ("forestry", "naji", "leadership", "justice", "data"):
        assert banner.org(key).pk in recipients, key
    assert notice.issuer == banner.org("office")
    assert notice.number.startswith("阿编退〔")
    text = "".join(next(iter(b.values())) for b in notice.content["blocks"])
    assert "任务已完成" in text and "呼政字〔2026〕12号" in text and "第七条" in text
    # the admission decision that put it on the list is named
    admission_number = OfficialDocument.objects.get(request=regular, kind=DocumentKind.ADMISSION_DECISION).number
    assert admission_number in text
    history = duty_history(duty=duty_of(regular, banner))
    assert history["exit_notice"] == notice and history["exit_case"] == case


def test_art4_4_a_department_exit_consults_every_township_holding_the_duty(banner, temporary):
    duties = list(temporary.township_duties.all())
    case = support.propose(banner, duties[0], "exit", targets=duties)
    assert case.state == RequestState.CONSULTING
    assert set(case.current_consultations().values_list("township__pk", flat=True)) == {
        banner.org("naji").pk,
        banner.org("liuhe").pk,
    }
    assert OfficialDocument.objects.filter(request=case, kind=DocumentKind.CONSULTATION_LETTER).count() == 2
    support.carry_through(banner, case)
    assert case.state == RequestState.EXITED  # temporary: the banner approves, no city step
    assert not case.approval_decisions.filter(stage="city_approval").exists()
    assert TownshipDuty.objects.filter(request=temporary, status=DutyStatus.EXITED).count() == 2


def test_art4_4_an_expired_temporary_duty_can_exit_after_its_end_date(banner, temporary):
    TownshipDuty.objects.filter(request=temporary).update(end_date=timezone.localdate() - timedelta(days=3))
    duty = duty_of(temporary, banner)
    assert duty.is_expired
    case = support.propose(banner, duty, "exit", by="naji")  # a past end date is no reason to refuse an exit
    support.carry_through(banner, case, by="naji")
    duty.refresh_from_db()
    assert duty.status == DutyStatus.EXITED and not duty.is_expired


def test_art4_4_an_exit_states_its_reasons(banner, regular):
    with pytest.raises(ValidationError) as error:
        changes.propose_change(actor=banner.users["naji"], duty=duty_of(regular, banner), purpose="exit", reasons=" ")
    assert "理由" in error.value.message_dict["reasons"][0]


def test_art4_4_only_the_township_or_the_department_starts_an_exit(banner, regular):
    duty = duty_of(regular, banner)
    for outsider in ("emergency", "liuhe", "office", "leadership"):
        with pytest.raises(PermissionDenied):
            changes.propose_change(actor=banner.users[outsider], duty=duty, purpose="exit", reasons="不再适宜。")


def test_art4_4_a_township_asks_only_about_its_own_duty(banner, regular):
    with pytest.raises(ValidationError) as error:
        changes.propose_change(
            actor=banner.users["naji"],
            duty=duty_of(regular, banner),
            purpose="exit",
            reasons="不再适宜。",
            targets=list(regular.township_duties.all()),
        )
    assert "本乡镇" in error.value.message_dict["targets"][0]


def test_art4_4_one_open_exit_or_adjustment_per_duty_at_a_time(banner, regular):
    duty = duty_of(regular, banner)
    first = support.propose(banner, duty, "exit", by="naji")
    with pytest.raises(ConflictError) as error:
        changes.propose_change(actor=banner.users["forestry"], duty=duty, purpose="adjustment", reasons="法规修订。")
    assert first.reference in error.value.message
    from workflows import actions

    actions.withdraw(duty_request=first, actor=banner.users["naji"], reason="与部门协商后暂不退出。")
    assert changes.propose_change(actor=banner.users["forestry"], duty=duty, purpose="adjustment", reasons="法规修订。")


def test_art4_4_a_rejected_exit_leaves_the_duty_on_the_list_with_a_written_reply(banner, regular):
    case = support.propose(banner, duty_of(regular, banner), "exit", by="naji")
    support.submit(banner, case, department="naji")
    support.accept(banner, case)
    support.bureau_opinions(banner, case)
    support.conclude(banner, case, passes=False)
    assert case.state == RequestState.REJECTED
    assert duty_of(regular, banner).status == DutyStatus.ACTIVE
    reply = OfficialDocument.objects.get(request=case, kind=DocumentKind.NON_ADMISSION_NOTICE)
    assert list(reply.content["addressees"]) == [banner.org("naji").official_name]
    assert "退出乡镇职责事项" in reply.title


def test_art4_4_the_department_sees_a_township_exit_once_filed_and_other_townships_do_not(banner, regular):
    duty = duty_of(regular, banner)
    draft = changes.propose_change(actor=banner.users["naji"], duty=duty, purpose="exit", reasons="不再适宜。")
    assert can_view_request(banner.users["naji"], draft)
    assert not can_view_request(banner.users["forestry"], draft)  # still the township's own draft
    assert not can_view_request(banner.users["office"], draft)
    from workflows import actions

    case = actions.consult_townships(duty_request=draft, actor=banner.users["naji"])
    support.submit(banner, case, department="naji")
    assert can_view_request(banner.users["forestry"], case) and can_view_request(banner.users["office"], case)
    assert not can_view_request(banner.users["liuhe"], case)  # liuhe's own duty is not concerned
    assert not can_view_request(banner.users["emergency"], case)


def test_art4_5_an_adjustment_keeps_a_version_history_of_what_changed_and_by_which_decision(banner, temporary):
    duties = list(temporary.township_duties.order_by("township__division_code"))
    case = support.propose(
        banner,
        duties[0],
        "adjustment",
        targets=duties,
        legal_basis="《土壤污染防治法》第十五条（2026年修订）。",
        funding_amount=Decimal("90000.00"),
    )
    assert case.state == RequestState.CONSULTING
    assert [c["label"] for c in proposed_changes(duty_request=case)] == ["法定依据", "工作经费（元）"]
    support.carry_through(banner, case)
    assert case.state == RequestState.ADJUSTED
    duty = duties[0]
    duty.refresh_from_db()
    assert duty.legal_basis.startswith("《土壤污染防治法》") and duty.funding_amount == Decimal("90000.00")
    assert duty.status == DutyStatus.ACTIVE
    versions = list(duty.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].request == temporary and versions[1].request == case
    assert versions[1].changed_fields == ["legal_basis", "funding_amount"]
    assert versions[0].terms["funding_amount"] == "120000.00" and versions[1].terms["funding_amount"] == "90000.00"
    assert versions[1].decision == case.approval_decisions.get(approves=True)
    rows = duty_history(duty=duty)["versions"]
    assert rows[0]["changes"][1] == {"label": "工作经费（元）", "old": "120,000.00元", "new": "90,000.00元"}
    assert rows[0]["document"].kind == DocumentKind.ADJUSTMENT_NOTICE
    notice = rows[0]["document"]
    text = "".join(next(iter(b.values())) for b in notice.content["blocks"])
    assert "由“120,000.00元”调整为“90,000.00元”" in text
    # After approval the case still shows what it changed, from the recorded versions.
    assert [c["new"] for c in proposed_changes(duty_request=case)] == [
        "《土壤污染防治法》第十五条（2026年修订）。",
        "90,000.00元",
    ]


def test_art4_5_a_temporary_task_made_regular_goes_to_the_city(banner, temporary):
    duty = duty_of(temporary, banner)
    case = support.propose(
        banner, duty, "adjustment", by="naji", track=Track.REGULAR, end_date=None, completion_time_limit="长期"
    )
    assert case.state == RequestState.CONSULTED  # naji asks about its own duty
    support.carry_through(banner, case, by="naji")
    assert case.approval_decisions.filter(stage="city_approval", approves=True).exists()
    duty.refresh_from_db()
    assert duty.track == Track.REGULAR and duty.end_date is None
    assert duty.versions.last().changed_fields == ["track", "end_date"]
    assert duty_of(temporary, banner, "liuhe").track == Track.TEMPORARY


def test_art4_5_the_organization_office_may_propose_an_adjustment(banner, regular):
    duty = duty_of(regular, banner)
    case = support.propose(
        banner,
        duty,
        "adjustment",
        by="office",
        targets=list(regular.township_duties.all()),
        training="每年组织两次培训，新增线上课程。",
    )
    assert case.applicant == banner.org("office") and case.state == RequestState.CONSULTING
    assert case.purpose == RequestPurpose.ADJUSTMENT


def test_art4_5_an_adjustment_that_changes_nothing_is_refused(banner, regular):
    with pytest.raises(ValidationError) as error:
        support.propose(banner, duty_of(regular, banner), "adjustment")
    assert "完全相同" in error.value.message_dict["__all__"][0]


def test_art4_5_a_regular_duty_does_not_become_temporary(banner, regular):
    with pytest.raises(ValidationError) as error:
        support.propose(
            banner,
            duty_of(regular, banner),
            "adjustment",
            track=Track.TEMPORARY,
            end_date=timezone.localdate() + timedelta(days=90),
        )
    assert "申请退出" in error.value.message_dict["track"][0]


def test_art4_5_version_one_is_the_admission(banner, regular):
    duty = duty_of(regular, banner)
    (version,) = duty.versions.all()
    assert version.number == 1 and version.request == regular and version.changed_fields == []
    assert version.terms["legal_basis"] == duty.legal_basis


def test_art4_4_an_exited_duty_no_longer_prompts_its_department(banner, temporary):
    TownshipDuty.objects.filter(request=temporary).update(end_date=timezone.localdate() - timedelta(days=3))
    case = support.propose(banner, duty_of(temporary, banner), "exit", by="naji")
    support.carry_through(banner, case, by="naji")
    run = send_reminders(today=timezone.localdate())
    assert run.expiries == 1  # liuhe's duty (one forestry user); naji's has left the list
