"""The habits of approval offices (issue 13 part 5; admission/services/habits.py, their doors in workflows/actions.py):
comments, 抄送, 转办, 催办, 退回 (procedure.RETURNS_TO, Art. 3 and 4(2)) and the 审批单."""

from __future__ import annotations

import io
from datetime import timedelta

import pdfplumber
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from admission import permissions
from admission.documents import content as drafts
from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.documents.verification import verify_pdf
from admission.models import (
    AuditAction,
    BureauReviewOpinion,
    CaseReturn,
    DocumentKind,
    NoticeKind,
    Notification,
    RenderStatus,
    RequestState,
    Role,
    TaskDeadline,
)
from admission.permissions import organization_decision_permission
from admission.services.errors import ConflictError
from admission.services.setup import add_member
from tests.support import (
    PASSWORD,
    bureau_opinions,
    conclude,
    open_task,
    submitted_case,
    to_under_review,
)
from workflows import actions
from workflows.driver import CaseDriver
from workflows.selectors import task_box


def _events(request, action) -> int:
    return request.audit_events.filter(action=action).count()


# --- comments -----------------------------------------------------------------------------------------


def test_comments_are_for_the_parties_of_the_case_only_and_never_in_a_document(banner):
    request = to_under_review(banner)
    comment = actions.comment_on_case(duty_request=request, actor=banner.users["justice"], text="法定依据请再核实。")
    assert comment.organization == banner.org("justice")
    assert _events(request, AuditAction.COMMENT_CASE) == 1
    assert "法定依据请再核实" not in str(request.audit_events.filter(action=AuditAction.COMMENT_CASE).get().note)
    with pytest.raises(PermissionDenied):  # the agriculture bureau has nothing to do with the case
        actions.comment_on_case(duty_request=request, actor=banner.users["agriculture"], text="我也说两句。")
    with pytest.raises(ValidationError) as error:
        actions.comment_on_case(duty_request=request, actor=banner.users["forestry"], text="   ")
    assert set(error.value.message_dict) == {"text"}
    blocks = str(drafts.approval_form(duty_request=request).blocks)
    assert "法定依据请再核实" not in blocks


# --- 抄送 ---------------------------------------------------------------------------------------------


def test_copy_gives_a_body_read_only_access_not_party_status(banner):
    request = to_under_review(banner)
    agriculture = banner.users["agriculture"]
    assert not permissions.can_view_request(agriculture, request)
    with pytest.raises(PermissionDenied):  # a clerk does not send cases out
        actions.copy_case(
            duty_request=request, actor=banner.users["office_clerk"], organizations=[banner.org("agriculture")]
        )
    actions.copy_case(
        duty_request=request, actor=banner.users["office"], organizations=[banner.org("agriculture")], note="供参考"
    )
    assert permissions.can_view_request(agriculture, request)
    assert not permissions.is_party(agriculture, request)
    with pytest.raises(PermissionDenied):
        actions.comment_on_case(duty_request=request, actor=agriculture, text="收到")
    assert Notification.objects.filter(user=agriculture, kind=NoticeKind.COPIED).count() == 1
    assert _events(request, AuditAction.COPY_CASE) == 1
    with pytest.raises(ConflictError):
        actions.copy_case(duty_request=request, actor=banner.users["office"], organizations=[banner.org("agriculture")])


def test_copy_stays_inside_the_banner(banner, other_banner):
    request = to_under_review(banner)
    with pytest.raises(ValidationError) as error:
        actions.copy_case(
            duty_request=request, actor=banner.users["office"], organizations=[other_banner.org("forestry")]
        )
    assert set(error.value.message_dict) == {"organizations"}


# --- 转办 ---------------------------------------------------------------------------------------------


def _office_head(banner):
    return add_member(organization=banner.org("office"), username="office_head", password=PASSWORD, role=Role.HEAD)


def test_head_reassigns_a_task_of_the_unit_to_a_member(banner):
    request = submitted_case(banner)
    head = _office_head(banner)
    task = open_task(request, "intake")
    actions.claim_task(task=task, actor=banner.users["office"])
    actions.reassign_task(task=task, actor=head, assignee=banner.users["office2"], reason="office 出差")
    task.refresh_from_db()
    assert task.owner == banner.users["office2"]
    assert _events(request, AuditAction.REASSIGN_TASK) == 1
    assert Notification.objects.filter(user=banner.users["office2"], kind=NoticeKind.REASSIGNED).count() == 1
    CaseDriver(request).accept(banner.users["office2"])  # the new holder does the work
    request.refresh_from_db()
    assert request.state == RequestState.UNDER_REVIEW


def test_reassign_only_by_the_head_and_only_to_a_member_who_may_do_the_step(banner):
    request = to_under_review(banner)
    head = _office_head(banner)
    task = open_task(request, "lead_review")
    with pytest.raises(PermissionDenied):  # a reviewer is not the head
        actions.reassign_task(task=task, actor=banner.users["office"], assignee=banner.users["office2"])
    with pytest.raises(ValidationError):  # a clerk may not give the division-of-duties opinion
        actions.reassign_task(task=task, actor=head, assignee=banner.users["office_clerk"])
    with pytest.raises(ValidationError):  # not a member of the unit
        actions.reassign_task(task=task, actor=head, assignee=banner.users["justice"])
    with pytest.raises(PermissionDenied):  # not the head of the unit holding the task
        actions.reassign_task(task=open_task(request, "legality_review"), actor=head, assignee=banner.users["office2"])
    task.refresh_from_db()
    assert task.owner is None
    assert _events(request, AuditAction.REASSIGN_TASK) == 0


# --- 催办 ---------------------------------------------------------------------------------------------


def _overdue(task):
    TaskDeadline.objects.filter(task=task).update(due_date=timezone.localdate() - timedelta(days=3))


def test_organization_office_urges_the_holders_of_an_overdue_task_once_a_day(banner):
    request = to_under_review(banner)
    task = open_task(request, "legality_review")
    with pytest.raises(ConflictError):  # not overdue yet
        actions.urge_task(task=task, actor=banner.users["office"])
    _overdue(task)
    with pytest.raises(PermissionDenied):  # only the organization office urges
        actions.urge_task(task=task, actor=banner.users["data"])
    assert actions.urge_task(task=task, actor=banner.users["office"], note="请今日办结。") == 1
    notice = Notification.objects.get(user=banner.users["justice"], kind=NoticeKind.URGED)
    assert "法制审核" in notice.text
    assert _events(request, AuditAction.URGE_TASK) == 1
    with pytest.raises(ConflictError):
        actions.urge_task(task=task, actor=banner.users["office"])
    assert _events(request, AuditAction.URGE_TASK) == 1


# --- 退回 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("node", ["legality_review", "lead_review"])
def test_art3_art4_2_lead_unit_sends_a_review_back_when_consolidating(banner, node):
    request = to_under_review(banner)
    bureau_opinions(banner, request)
    task = open_task(request, "consolidate")
    actions.return_to_review(task=task, actor=banner.users["office"], nodes=[node], reasons="法定依据引用条款有误。")
    request.refresh_from_db()
    assert request.state == RequestState.UNDER_REVIEW
    kind = {"legality_review": "justice", "lead_review": "office"}[node]
    assert not BureauReviewOpinion.objects.filter(request=request, organization=banner.org(kind)).exists()
    returned = CaseReturn.objects.get(request=request)
    assert returned.set_aside[0]["reasoning"] == f"{kind} 审核意见"
    driver = CaseDriver(request)
    with pytest.raises(LookupError):
        driver.task("consolidate")
    # the revived task is routed to the same unit's queue, and only there
    revived = driver.task(node)
    assert revived.owner_permission == organization_decision_permission(banner.org(kind).pk)
    assert revived in task_box(user=banner.users[kind], box="queue")
    assert revived not in task_box(user=banner.users["data" if kind != "data" else "justice"], box="queue")
    assert revived.deadline.due_date is not None
    driver.give_bureau_opinion(node, banner.users[kind], passes=True, reasoning="已核实，依据充分。")
    assert driver.task("consolidate")  # the review comes back to the lead unit
    conclude(banner, request)
    assert request.state == RequestState.AWAITING_APPROVAL
    form = str(drafts.approval_form(duty_request=request).blocks)
    assert "已退回重审" in form and "法定依据引用条款有误" in form and "已核实，依据充分" in form


def test_return_needs_reasons_and_a_review_step(banner):
    request = to_under_review(banner)
    bureau_opinions(banner, request)
    task = open_task(request, "consolidate")
    with pytest.raises(ValidationError) as error:
        actions.return_to_review(task=task, actor=banner.users["office"], nodes=["intake"], reasons="")
    assert set(error.value.message_dict) == {"nodes", "reasons"}
    assert open_task(request, "consolidate").pk == task.pk


def test_return_only_where_the_measure_allows(banner):
    """Intake asks for supplements once (一次性告知, Art. 4(2)); it does not send back."""
    request = submitted_case(banner)
    with pytest.raises(ConflictError):
        actions.return_to_review(
            task=open_task(request, "intake"), actor=banner.users["office"], nodes=["submit"], reasons="材料不全"
        )
    assert open_task(request, "intake")


# --- 审批单 --------------------------------------------------------------------------------------------


def test_approval_form_lists_every_opinion_and_is_issued_by_the_lead_unit(banner):
    request = to_under_review(banner)
    bureau_opinions(banner, request)
    conclude(banner, request)
    with pytest.raises(PermissionDenied):
        actions.issue_approval_form(duty_request=request, actor=banner.users["forestry"])
    document = actions.issue_approval_form(duty_request=request, actor=banner.users["office"])
    assert document.kind == DocumentKind.APPROVAL_FORM
    assert "单〔" in document.number
    text = str(document.content["blocks"])
    for expected in ("同意承担", "justice 审核意见", "data 审核意见", "office 审核意见", "审核结论：通过"):
        assert expected in text


def test_approval_form_is_rendered_sealed_signed_and_verifiable_like_the_documents(
    banner, settings, tmp_path, django_capture_on_commit_callbacks
):
    keys = tmp_path / "keys"
    settings.ADMISSION_RENDER_ON_COMMIT = True
    settings.ADMISSION_SIGNING_KEYS_DIR = keys
    settings.ADMISSION_TRUST_ROOTS = [str(keys / "demo-root.pem")]
    issue_demo_certificates(keys_dir=keys, organizations=issuing_organizations(), passphrase="")
    request = to_under_review(banner)
    bureau_opinions(banner, request)
    actions.comment_on_case(duty_request=request, actor=banner.users["office"], text="内部备注不得印出")
    with django_capture_on_commit_callbacks(execute=True):
        document = actions.issue_approval_form(duty_request=request, actor=banner.users["office"])
    document.refresh_from_db()
    assert document.render_status == RenderStatus.RENDERED, document.render_error
    data = document.file.read()
    verdict = verify_pdf(data)
    assert verdict.valid and verdict.document == document
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages).replace("\n", "")
    assert "审批单" in text and "justice 审核意见" in text and "内部备注" not in text
    (tmp_path / "approval-form.pdf").write_bytes(data)


def _reachable(flow, start: str) -> set[str]:
    seen: set[str] = set()
    todo = [getattr(flow, start)]
    while todo:
        node = todo.pop()
        for edge in node._outgoing():
            if edge.dst.name not in seen:
                seen.add(edge.dst.name)
                todo.append(edge.dst)
    return seen


def test_returns_go_only_to_steps_that_lead_to_the_step_returning():
    """procedure.RETURNS_TO names steps of the table from which the flow leads to the returning step."""
    from admission.procedure import RETURNS_TO, STEP_BY_NODE
    from workflows.flows import AdmissionFlow

    for node, targets in RETURNS_TO.items():
        assert node in STEP_BY_NODE
        for target in targets:
            assert target in STEP_BY_NODE
            assert node in _reachable(AdmissionFlow, target), f"{target} does not lead to {node}"
