"""Authorization matrix: every URL × every role, plus users of another banner and an anonymous visitor.

Rules (from the issue and admission/permissions.py):
- departments see their own requests (and those they are asked to give an advisory opinion on);
- townships see the requests that name them;
- joint-meeting members (编办 office/office_clerk/office2, 司法局 justice, 政数局 data) see their jurisdiction's;
- leadership (旗委、旗政府) sees what awaits its approval and what it decided;
- nobody sees across jurisdictions: another banner's users get 404 on this banner's case pages, attachments,
  documents and tasks;
- anonymous visitors are sent to the login page (only the public document-verification page is open);
- a task page is usable only by the organization the task belongs to (web.views.tasks.task_or_404: 403
  with "您所在单位无权办理该任务。" when the user may see the case, 404 when not);
- attachments and documents download only for those who may view the request;
- only departments create requests; only the applicant edits (draft/revising) and withdraws (before a decision);
- Art. 4(4), 4(5): on a duty still on the list, the township holding it and its department may start an exit
  (duties/<pk>/exit/), and they and the organization office of the same banner may propose an adjustment
  (duties/<pk>/adjust/); the others who see the duty get 403, those who do not 404; an exited duty takes no
  proposal (403 for everyone who sees it);
- an exit filed by a township is its own until it goes out (with nobody else to consult: until it is submitted);
  then its department and the joint meeting see it, the leadership once it awaits or has its decision; other
  townships (even one holding the same admitted duty, its own duty not concerned) and other banners never do;
- issue 15: the organization offices above a banner — 呼伦贝尔市's (city_office) and the region's (region_office) —
  read its filed cases, their attachments and documents, its duty lists (one banner at a time: duty_list?banner=)
  and its dashboard, and do nothing: every write answers 403 with the reason; 通辽市's office (other_city_office)
  oversees only the other banner and gets what another banner's users get here (404 on cases and duties, 403 on
  this banner's dashboard and lists).

404 means "you cannot know this exists"; 403 means "you may know it exists, but this is not yours to do".

The world (two banners, a dozen cases in every state) is built once per module inside a transaction that
is rolled back at the end; each test runs in its own savepoint, so a cell that changes something (a
withdrawal, a claim) does not affect the next one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from viewflow.workflow.status import STATUS

from admission.models import (
    AuditEvent,
    DocumentKind,
    DutyRequest,
    OfficialDocument,
    RenderStatus,
    RequestState,
    Role,
    SafeguardDelivery,
    TownshipDuty,
    UnadmittedDutyReport,
)
from admission.services import duties as duty_services
from admission.services import reports as report_services
from admission.services import review
from tests import support
from workflows import actions, engine

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# --- the world -----------------------------------------------------------------------------------------

THIS = (
    "forestry",
    "emergency",
    "agriculture",
    "naji",
    "liuhe",
    "yadong",
    "office",
    "office_clerk",
    "office2",
    "justice",
    "data",
    "leadership",
)
OTHER = ("other_forestry", "other_naji", "other_office", "other_leadership")
# Issue 15: the organization offices above this banner, and the one above only the other banner.
ABOVE = ("city_office", "region_office")
MEMBERS = THIS + OTHER + ABOVE + ("other_city_office",)
ROLES = ("anonymous",) + MEMBERS

JOINT = ("office", "office_clerk", "office2", "justice", "data")
DEPARTMENTS = ("forestry", "emergency", "agriculture")

NAMES = {
    "review": "森林草原防火巡查",  # forestry, naji + liuhe, under joint review (three review tasks open)
    "draft": "林草湿数据年度更新",  # forestry, naji only, draft
    "consulting": "松材线虫病疫情普查",  # forestry, naji + liuhe, consult tasks open
    "revising": "古树名木普查登记",  # forestry, naji disagreed: revise task open
    "consulted": "野生动物疫源疫病监测",  # forestry, all agreed: submit task open
    "advised": "林下经济产业摸底",  # forestry, under review, emergency asked for an advisory opinion
    "awaiting_approval": "草原鼠虫害监测",
    "awaiting_city": "湿地保护巡护",
    "admitted": "护林员日常管理",
    "rejected": "林业有害生物防治检疫",
    "withdrawn": "林草防火物资储备",
    "yadong_only": "农机安全生产宣传",  # agriculture, yadong only, out for consultation
    "other_review": "秸秆禁烧巡查",  # the other banner, under review
    "other_admitted": "草原生态奖补核实",  # the other banner, admitted (on its 那吉镇's list)
    # Art. 4(4): admitted to 那吉镇 and 六合镇, then 那吉镇 asks to exit its own duty (nobody else consulted).
    "exit_done": "森林资源管理巡护",  # exit approved: 那吉镇's duty has left the list (world.exited_duty)
    "exit_unfiled": "林草种质资源调查",  # exit waiting for 那吉镇's written application: still its own
    "exit_filed": "国家重点保护野生植物巡护",  # exit submitted to the 编办: filed
}


@dataclass
class World:
    banner: support.Banner
    other: support.Banner
    users: dict[str, User] = field(default_factory=dict)
    cases: dict[str, DutyRequest] = field(default_factory=dict)
    # Set by _build_world:
    document: OfficialDocument = field(init=False)
    duty: TownshipDuty = field(init=False)  # 那吉镇's admitted duty (护林员日常管理)
    delivery: SafeguardDelivery = field(init=False)  # training recorded by 林草局 on it, not yet confirmed
    report: UnadmittedDutyReport = field(init=False)  # 那吉镇 reports 应急管理局 (Art. 7), with one evidence file
    exited_duty: TownshipDuty = field(init=False)  # 那吉镇's 森林资源管理巡护, exited (Art. 4(4))

    def case(self, key: str) -> DutyRequest:
        return DutyRequest.objects.get(pk=self.cases[key].pk)


def _advise(banner, request):
    office = banner.users["office"]
    support.do(
        request,
        "lead_review",
        office,
        lambda: review.request_advisory_opinions(
            duty_request=request,
            actor=office,
            question="请就该事项是否涉及应急管理职责提出意见。",
            departments=[banner.org("emergency")],
        ),
    )


def _admitted(banner, name: str) -> DutyRequest:
    request = support.to_under_review(banner, duty_name=name)
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    support.banner_decides(banner, request)
    support.city_decides(banner, request)
    return request


def _naji_exits(banner, name: str) -> DutyRequest:
    """Art. 4(4): 那吉镇 asks to exit its own duty of a case admitted to 那吉镇 and 六合镇."""
    duty = TownshipDuty.objects.get(request=_admitted(banner, name), township=banner.org("naji"))
    return support.propose(banner, duty, "exit", by="naji")


def _offices_above(banner, other) -> dict[str, User]:
    """内蒙古自治区 → 呼伦贝尔市 → this banner, 通辽市 → the other; neither city approves on the platform, so the
    cases' city replies are recorded by the banners' offices as before."""
    above = support.levels_above(banner, other)
    assert above.other_city is not None
    offices = {"city_office": above.city, "other_city_office": above.other_city, "region_office": above.region}
    return {key: support.office_member(jurisdiction, key, Role.HEAD) for key, jurisdiction in offices.items()}


def _build_world() -> World:
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    other = support.build_banner(code="150722", name="莫力达瓦达斡尔族自治旗", short="莫旗", prefix="mq")
    world = World(banner=banner, other=other)
    world.users.update({key: banner.users[key] for key in THIS})
    world.users.update({f"other_{key}": other.users[key] for key in ("forestry", "naji", "office", "leadership")})
    world.users.update(_offices_above(banner, other))
    forestry = banner.users["forestry"]
    c = world.cases

    c["review"] = support.to_under_review(banner, duty_name=NAMES["review"])
    c["draft"] = support.draft(banner, townships=("naji",), duty_name=NAMES["draft"])
    c["consulting"] = actions.consult_townships(
        duty_request=support.draft(banner, duty_name=NAMES["consulting"]), actor=forestry
    )
    c["revising"] = actions.consult_townships(
        duty_request=support.draft(banner, duty_name=NAMES["revising"]), actor=forestry
    )
    support.consult_all(banner, c["revising"], disagree=("naji",))
    c["consulted"] = actions.consult_townships(
        duty_request=support.draft(banner, duty_name=NAMES["consulted"]), actor=forestry
    )
    support.consult_all(banner, c["consulted"])
    c["advised"] = support.to_under_review(banner, duty_name=NAMES["advised"])
    _advise(banner, c["advised"])
    c["awaiting_approval"] = support.to_under_review(banner, duty_name=NAMES["awaiting_approval"])
    support.bureau_opinions(banner, c["awaiting_approval"])
    support.conclude(banner, c["awaiting_approval"])
    c["awaiting_city"] = support.to_under_review(banner, duty_name=NAMES["awaiting_city"])
    support.bureau_opinions(banner, c["awaiting_city"])
    support.conclude(banner, c["awaiting_city"])
    support.banner_decides(banner, c["awaiting_city"])
    c["admitted"] = support.to_under_review(banner, duty_name=NAMES["admitted"])
    support.bureau_opinions(banner, c["admitted"])
    support.conclude(banner, c["admitted"])
    support.banner_decides(banner, c["admitted"])
    support.city_decides(banner, c["admitted"])
    c["rejected"] = support.to_under_review(banner, duty_name=NAMES["rejected"])
    support.bureau_opinions(banner, c["rejected"], passes=("office", "data"))
    support.conclude(banner, c["rejected"], passes=False)
    c["withdrawn"] = support.draft(banner, duty_name=NAMES["withdrawn"])
    actions.withdraw(duty_request=c["withdrawn"], actor=forestry, reason="工作安排调整。")
    c["yadong_only"] = actions.consult_townships(
        duty_request=support.draft(
            banner, townships=("yadong",), department="agriculture", duty_name=NAMES["yadong_only"]
        ),
        actor=banner.users["agriculture"],
    )

    c["other_review"] = support.to_under_review(other, townships=("naji",), duty_name=NAMES["other_review"])
    c["other_admitted"] = support.to_under_review(other, townships=("naji",), duty_name=NAMES["other_admitted"])
    support.bureau_opinions(other, c["other_admitted"])
    support.conclude(other, c["other_admitted"])
    support.banner_decides(other, c["other_admitted"])
    support.city_decides(other, c["other_admitted"])

    c["exit_done"] = support.carry_through(banner, _naji_exits(banner, NAMES["exit_done"]), by="naji")
    c["exit_unfiled"] = _naji_exits(banner, NAMES["exit_unfiled"])
    c["exit_filed"] = _naji_exits(banner, NAMES["exit_filed"])
    support.submit(banner, c["exit_filed"], department="naji")

    for key, state in (
        ("review", "under_review"),
        ("draft", "draft"),
        ("consulting", "consulting"),
        ("revising", "revising"),
        ("consulted", "consulted"),
        ("advised", "under_review"),
        ("awaiting_approval", "awaiting_approval"),
        ("awaiting_city", "awaiting_city"),
        ("admitted", "admitted"),
        ("rejected", "rejected"),
        ("withdrawn", "withdrawn"),
        ("other_review", "under_review"),
        ("other_admitted", "admitted"),
        ("exit_done", "exited"),
        ("exit_unfiled", "consulted"),
        ("exit_filed", "submitted"),
    ):
        assert world.case(key).state == state, key

    # Documents render after commit in a worker; stand in for the worker on one consultation letter.
    document = OfficialDocument.objects.filter(
        request=c["review"], kind=DocumentKind.CONSULTATION_LETTER, recipients=banner.org("naji")
    ).get()
    document.file.save(f"{document.number}.pdf", ContentFile(support.PDF_BYTES), save=False)
    document.sha256, document.size = hashlib.sha256(support.PDF_BYTES).hexdigest(), len(support.PDF_BYTES)
    document.render_status = RenderStatus.RENDERED
    document.save()
    world.document = document

    world.duty = TownshipDuty.objects.get(request=c["admitted"], township=banner.org("naji"))
    world.exited_duty = c["exit_done"].target_duties.get()
    assert world.exited_duty.status == "exited" and world.exited_duty.township == banner.org("naji")
    world.delivery = duty_services.record_safeguard_delivery(
        duty=world.duty, actor=forestry, kind="training", description="2026年5月培训护林员 40 人次。"
    )
    world.report = report_services.report_unadmitted_duty(
        actor=banner.users["naji"],
        department=banner.org("emergency"),
        duty_description="签订安全生产责任状",
        method="responsibility_pledge",
        details="2026年3月旗应急管理局要求各镇签订安全生产责任状。",
        evidence=[support.pdf("责任状.pdf")],
    )
    return world


@pytest.fixture(autouse=True)
def _media_root():
    """Replaces conftest's per-test MEDIA_ROOT: the module's files live in the module's directory."""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("files")),
        transaction.atomic(),
    ):
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture
def client_as(client, db, world):
    def login(role: str):
        client.logout()
        if role != "anonymous":
            client.force_login(world.users[role])
        return client

    return login


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _assert_no_leak(response, *names):
    text = _body(response).decode("utf-8", errors="replace")
    for name in names:
        assert name not in text, f"{name!r} leaked in a {response.status_code} page"


# --- the URL × role matrix ------------------------------------------------------------------------------


def row(default: int, *, anonymous: int = 302, **cells: int) -> dict[str, int]:
    """Expected status for every role: `default` for members, 302 (to the login page) for anonymous."""
    expected = dict.fromkeys(MEMBERS, default)
    expected["anonymous"] = anonymous
    for role, status in cells.items():
        assert role in expected, role
        expected[role] = status
    return expected


def only(status: int, roles, default: int, **more: int) -> dict[str, int]:
    """`status` for `roles`, `default` for the other members; `more` overrides single cells."""
    return row(default, **(dict.fromkeys(roles, status) | more))


# Who may see the under-review forestry case that names 那吉镇 and 六合镇 (the offices above read it).
SEES_REVIEW = ("forestry", "naji", "liuhe") + JOINT + ABOVE
NOT_YOURS = "您所在单位无权办理该任务。"

TASK_URLS = {"execute", "claim", "release"}
ACTIONS = {
    "request_create_post",
    "request_withdraw",
    "claim",
    "record_delivery",
    "confirm_delivery",
    "propose_exit_post",
    "propose_adjustment_post",
    "exit_withdraw",
}
# Who sees 那吉镇's duties: the township, the department that handed them down, joint meeting, leadership.
SEES_DUTY = ("naji", "forestry", "leadership") + JOINT + ABOVE
# Art. 4(4): who starts an exit; Art. 4(5): who proposes an adjustment (the 编办's members, whatever their role).
EXITS = ("naji", "forestry")
ADJUSTS = ("naji", "forestry", "office", "office_clerk", "office2")
# 那吉镇's exit once filed (submitted): the township, the department, the joint meeting.
SEES_FILED_EXIT = ("naji", "forestry") + JOINT + ABOVE
ONLY_PROPOSERS = "只有承担该职责的乡镇、责任部门（调整还可以由旗委编办）提出。"
MATRIX: dict[str, dict[str, int]] = {
    # Members land in their inbox (the offices above the banners on their banners); visitors on the login page.
    "home": row(302),
    # Issue 15: the drill-down is the offices' above the banners only.
    "region": only(200, ABOVE + ("other_city_office",), 403),
    "request_list": row(200),
    # Art. 4(1): only departments apply (a department of another banner, in its own banner).
    "request_create": only(200, DEPARTMENTS + ("other_forestry",), 403),
    "request_create_post": only(302, DEPARTMENTS + ("other_forestry",), 403),
    "request_detail": only(200, SEES_REVIEW, 404),
    # Under review the content is frozen, even for the owning department.
    "request_edit": only(403, SEES_REVIEW, 404),
    # A draft is the department's own until it goes out for consultation: nobody else can know it exists.
    "request_edit_draft": only(200, ("forestry",), 404),
    "request_withdraw": only(403, SEES_REVIEW, 404, forestry=302),
    "attachment_download": only(200, SEES_REVIEW, 404),
    "document_download": only(200, SEES_REVIEW, 404),
    # Above the banners a duty list is one banner's, chosen in the drill-down: without one, back to it.
    "duty_list": row(200, **dict.fromkeys(ABOVE + ("other_city_office",), 302)),
    # Banner users' own list whatever the parameter; the offices above only for a banner below them.
    "duty_list_banner": row(200, other_city_office=403),
    # One township's duty: the township, the department that handed it down, joint meeting, leadership.
    "duty_detail": only(200, SEES_DUTY, 404),
    "duty_detail_exited": only(200, SEES_DUTY, 404),
    # Art. 4(4), 4(5): those who see the duty but may not propose are told so (403); the others learn nothing.
    "propose_exit": only(403, SEES_DUTY, 404, **dict.fromkeys(EXITS, 200)),
    "propose_exit_post": only(403, SEES_DUTY, 404, **dict.fromkeys(EXITS, 302)),
    "propose_adjustment": only(403, SEES_DUTY, 404, **dict.fromkeys(ADJUSTS, 200)),
    "propose_adjustment_post": only(403, SEES_DUTY, 404, **dict.fromkeys(ADJUSTS, 302)),
    # A duty that has left the list takes no proposal, not even from its township or department.
    "propose_exit_exited": only(403, SEES_DUTY, 404),
    "propose_exit_exited_post": only(403, SEES_DUTY, 404),
    "propose_adjustment_exited": only(403, SEES_DUTY, 404),
    "propose_adjustment_exited_post": only(403, SEES_DUTY, 404),
    # 那吉镇's exit: its own until filed; once submitted its department and the joint meeting see it; 六合镇,
    # holding the same admitted duty, is not concerned; the leadership sees it once it decided.
    "exit_detail_unfiled": only(200, ("naji",), 404),
    "exit_detail_filed": only(200, SEES_FILED_EXIT, 404),
    "exit_detail_done": only(200, SEES_FILED_EXIT + ("leadership",), 404),
    "exit_edit_unfiled": only(403, ("naji",), 404),  # consulted: no longer editable, even by its applicant
    "exit_edit_filed": only(403, SEES_FILED_EXIT, 404),
    # Only the applicant withdraws: the township, not the department whose duty it is.
    "exit_withdraw": only(403, SEES_FILED_EXIT, 404, naji=302),
    # Art. 5: the department records what it delivered; the township confirms receipt; nobody else.
    "record_delivery": only(403, ("naji", "leadership") + JOINT + ABOVE, 404, forestry=302),
    "confirm_delivery": only(403, ("forestry", "leadership") + JOINT + ABOVE, 404, naji=302),
    # Art. 7–8: the report protects the township that made it; the department reported on does not see it.
    "report_list": row(200),
    "report_create": only(200, ("naji", "liuhe", "yadong", "other_naji"), 403),
    "report_detail": only(200, ("naji", "office", "office_clerk", "office2", "leadership"), 404),
    "report_evidence_download": only(200, ("naji", "office", "office_clerk", "office2", "leadership"), 404),
    "dashboard": only(
        200,
        ("office", "office_clerk", "office2", "leadership", "other_office", "other_leadership"),
        403,
        **dict.fromkeys(ABOVE + ("other_city_office",), 302),  # to the drill-down
    ),
    # This banner's dashboard by its address: its own office and leadership, and the offices above it.
    "banner_dashboard": only(200, ("office", "office_clerk", "office2", "leadership") + ABOVE, 403),
    "notifications": row(200),
    "document_list": row(200),
    "inbox": row(200),
    "queue": row(200),
    "archive": row(200),
    # The lead unit's review task belongs to the organization office's reviewers; those who see the case
    # are told it is not theirs (403), the others cannot learn it exists (404).
    "execute": only(403, SEES_REVIEW, 404, office=200, office2=200),
    "claim": only(403, SEES_REVIEW, 404, office=302, office2=302),
    # Nobody has claimed it: the office is told so (redirect with a message); others may not touch it.
    "release": only(403, SEES_REVIEW, 404, office=302, office2=302),
    # Public by design: anyone holding a document can verify it (document_views.verify_document).
    "verify_upload": row(200, anonymous=200),
}


def _cells():
    for name, expected in MATRIX.items():
        for role, status in expected.items():
            yield pytest.param(name, role, status, id=f"{name}-{role}-{status}")


def _request(client, world: World, name: str):
    review_case = world.cases["review"]
    task = support.open_task(review_case, "lead_review")
    get = lambda url: client.get(url)  # noqa: E731
    post = lambda url, data=None: client.post(url, data or {})  # noqa: E731
    return {
        "home": lambda: get(reverse("admission:home")),
        "request_list": lambda: get(reverse("admission:request_list")),
        "request_create": lambda: get(reverse("admission:request_create")),
        "request_create_post": lambda: post(reverse("admission:request_create"), {"duty_name": "越权新建的申请"}),
        "request_detail": lambda: get(reverse("admission:request_detail", args=[review_case.pk])),
        "request_edit": lambda: get(reverse("admission:request_edit", args=[review_case.pk])),
        "request_edit_draft": lambda: get(reverse("admission:request_edit", args=[world.cases["draft"].pk])),
        "request_withdraw": lambda: post(
            reverse("admission:request_withdraw", args=[review_case.pk]), {"reason": "试图撤回他人的申请。"}
        ),
        "attachment_download": lambda: get(
            reverse("admission:attachment_download", args=[review_case.attachments.get().pk])
        ),
        "document_download": lambda: get(reverse("admission:document_download", args=[world.document.pk])),
        "duty_list": lambda: get(reverse("admission:duty_list")),
        "duty_list_banner": lambda: client.get(
            reverse("admission:duty_list"), {"banner": world.banner.jurisdiction.pk}
        ),
        "region": lambda: get(reverse("admission:region")),
        "banner_dashboard": lambda: get(reverse("admission:banner_dashboard", args=[world.banner.jurisdiction.pk])),
        "duty_detail": lambda: get(reverse("admission:duty_detail", args=[world.duty.pk])),
        "record_delivery": lambda: post(
            reverse("admission:record_delivery", args=[world.duty.pk]),
            {"kind": "technical_support", "description": "开通巡护系统账号 12 个。"},
        ),
        "confirm_delivery": lambda: post(reverse("admission:confirm_delivery", args=[world.delivery.pk])),
        "report_list": lambda: get(reverse("admission:report_list")),
        "report_create": lambda: get(reverse("admission:report_create")),
        "report_detail": lambda: get(reverse("admission:report_detail", args=[world.report.pk])),
        "report_evidence_download": lambda: get(
            reverse("admission:attachment_download", args=[world.report.evidence.get().pk])
        ),
        "dashboard": lambda: get(reverse("admission:dashboard")),
        "notifications": lambda: get(reverse("admission:notifications")),
        "document_list": lambda: get(reverse("admission:document_list")),
        "inbox": lambda: get(reverse("workflows:inbox")),
        "queue": lambda: get(reverse("workflows:queue")),
        "archive": lambda: get(reverse("workflows:archive")),
        "execute": lambda: get(reverse("workflows:execute", args=[task.pk])),
        "claim": lambda: post(reverse("workflows:claim", args=[task.pk])),
        "release": lambda: post(reverse("workflows:release", args=[task.pk])),
        "verify_upload": lambda: get(reverse("verify_upload")),
        "duty_detail_exited": lambda: get(reverse("admission:duty_detail", args=[world.exited_duty.pk])),
        "propose_exit": lambda: get(reverse("admission:propose_exit", args=[world.duty.pk])),
        "propose_exit_post": lambda: post(
            reverse("admission:propose_exit", args=[world.duty.pk]),
            {"targets": [world.duty.pk], "reasons": "护林员队伍已由旗林草局统一管理。"},
        ),
        "propose_adjustment": lambda: get(reverse("admission:propose_adjustment", args=[world.duty.pk])),
        "propose_adjustment_post": lambda: post(
            reverse("admission:propose_adjustment", args=[world.duty.pk]),
            {"targets": [world.duty.pk], "reasons": "护林员管理办法修订。"},
        ),
        "propose_exit_exited": lambda: get(reverse("admission:propose_exit", args=[world.exited_duty.pk])),
        "propose_exit_exited_post": lambda: post(
            reverse("admission:propose_exit", args=[world.exited_duty.pk]),
            {"targets": [world.exited_duty.pk], "reasons": "再次退出。"},
        ),
        "propose_adjustment_exited": lambda: get(reverse("admission:propose_adjustment", args=[world.exited_duty.pk])),
        "propose_adjustment_exited_post": lambda: post(
            reverse("admission:propose_adjustment", args=[world.exited_duty.pk]),
            {"targets": [world.exited_duty.pk], "reasons": "调整已退出的事项。"},
        ),
        "exit_detail_unfiled": lambda: get(reverse("admission:request_detail", args=[world.cases["exit_unfiled"].pk])),
        "exit_detail_filed": lambda: get(reverse("admission:request_detail", args=[world.cases["exit_filed"].pk])),
        "exit_detail_done": lambda: get(reverse("admission:request_detail", args=[world.cases["exit_done"].pk])),
        "exit_edit_unfiled": lambda: get(reverse("admission:request_edit", args=[world.cases["exit_unfiled"].pk])),
        "exit_edit_filed": lambda: get(reverse("admission:request_edit", args=[world.cases["exit_filed"].pk])),
        "exit_withdraw": lambda: post(
            reverse("admission:request_withdraw", args=[world.cases["exit_filed"].pk]),
            {"reason": "与部门协商后暂不退出。"},
        ),
    }[name]()


@pytest.mark.parametrize(("name", "role", "expected"), list(_cells()))
def test_every_url_answers_every_role_as_the_rules_say(client_as, world, name, role, expected):
    review_case = world.cases["review"]
    task = support.open_task(review_case, "lead_review")
    events_before = AuditEvent.objects.changes().count()
    requests_before = DutyRequest.objects.count()
    deliveries_before = SafeguardDelivery.objects.count()
    client = client_as(role)

    response = _request(client, world, name)

    assert response.status_code == expected
    if role == "anonymous" and expected == 302:
        assert response["Location"].startswith(reverse("login") + "?next=")
    if expected in (403, 404):
        # An error page never shows what the user may not know.
        _assert_no_leak(response, NAMES["review"], NAMES["draft"], NAMES["advised"])
    if expected == 403 and name in TASK_URLS and role in SEES_REVIEW:
        assert NOT_YOURS in response.content.decode()
    if expected == 200 and name in ("request_detail", "request_edit", "execute"):
        assert NAMES["review"] in response.content.decode()
    if expected == 200 and name in ("request_edit_draft",):
        assert NAMES["draft"] in response.content.decode()
    if expected == 200 and name in ("duty_detail", "propose_exit", "propose_adjustment"):
        assert NAMES["admitted"] in response.content.decode()
    if expected == 200 and name == "duty_detail_exited":
        assert NAMES["exit_done"] in response.content.decode() and "退出依据" in response.content.decode()
    if expected == 200 and name.startswith("exit_detail_"):
        assert NAMES[name.replace("exit_detail_", "exit_")] in response.content.decode()
    if expected == 403 and name.startswith("propose_"):
        assert ONLY_PROPOSERS in response.content.decode()
    if expected == 404 and name.startswith(("propose_", "exit_", "duty_detail")):
        _assert_no_leak(response, NAMES["admitted"], NAMES["exit_done"], NAMES["exit_unfiled"], NAMES["exit_filed"])
    if expected == 200 and name in ("report_detail",):
        assert "签订安全生产责任状" in response.content.decode()
    if expected in (403, 404) and name.startswith("report"):
        _assert_no_leak(response, "签订安全生产责任状")
    if expected == 200 and name in ("attachment_download", "document_download", "report_evidence_download"):
        assert _body(response) == support.PDF_BYTES
    if name == "home" and role != "anonymous":
        above = role in ABOVE + ("other_city_office",)
        assert response["Location"] == reverse("admission:region" if above else "workflows:inbox")
    if expected == 403 and role in ABOVE:
        # Issue 15: what the offices above may not do is refused with the reason, in Chinese.
        assert re.search(r"<h1>无权访问</h1><p>[^<]*[\u4e00-\u9fff][^<]*</p>", response.content.decode())
    if expected == 200 and name == "duty_list_banner" and role in ABOVE + ("office", "naji", "leadership"):
        assert NAMES["admitted"] in response.content.decode()
    if name == "duty_list_banner" and role.startswith("other_"):
        assert NAMES["admitted"] not in response.content.decode()

    # Side effects: only the three actions, done by those allowed, change anything.
    acted = name in ACTIONS and role != "anonymous" and expected == 302
    review_case.refresh_from_db()
    task.refresh_from_db()
    if acted and name == "request_withdraw":
        assert review_case.state == RequestState.WITHDRAWN
        assert task.status == STATUS.CANCELED and not engine.open_tasks(review_case).exists()
    elif acted and name == "claim":
        assert review_case.state == RequestState.UNDER_REVIEW
        assert task.status == STATUS.ASSIGNED and task.owner == world.users[role]
        assert response["Location"] == reverse("workflows:execute", args=[task.pk])
    elif acted and name == "record_delivery":
        assert SafeguardDelivery.objects.count() == deliveries_before + 1
        assert response["Location"] == reverse("admission:duty_detail", args=[world.duty.pk])
    elif acted and name == "confirm_delivery":
        delivery = SafeguardDelivery.objects.get(pk=world.delivery.pk)
        assert delivery.confirmed_by == world.users[role] and delivery.confirmed_at is not None
    elif acted and name in ("propose_exit_post", "propose_adjustment_post"):
        created = DutyRequest.objects.latest("pk")
        assert DutyRequest.objects.count() == requests_before + 1
        assert created.applicant.memberships.filter(user=world.users[role]).exists()
        assert list(created.target_duties.all()) == [world.duty]
        if name == "propose_exit_post":  # sent out at once
            assert created.purpose == "exit" and created.state in (RequestState.CONSULTING, RequestState.CONSULTED)
            assert response["Location"] == reverse("admission:request_detail", args=[created.pk])
        else:  # a draft whose terms are edited next
            assert created.purpose == "adjustment" and created.state == RequestState.DRAFT
            assert response["Location"] == reverse("admission:request_edit", args=[created.pk])
    elif acted and name == "exit_withdraw":
        assert world.case("exit_filed").state == RequestState.WITHDRAWN
        assert not engine.open_tasks(world.case("exit_filed")).exists()
    elif acted and name == "request_create_post":
        created = DutyRequest.objects.get(duty_name="越权新建的申请")
        assert created.department.memberships.filter(user=world.users[role]).exists()
        assert created.state == RequestState.DRAFT
    else:
        assert review_case.state == RequestState.UNDER_REVIEW
        assert task.status == STATUS.NEW and task.owner_id is None
        assert DutyRequest.objects.count() == requests_before
        assert AuditEvent.objects.changes().count() == events_before
        assert SafeguardDelivery.objects.count() == deliveries_before
        assert SafeguardDelivery.objects.get(pk=world.delivery.pk).confirmed_at is None
        assert world.case("exit_filed").state == RequestState.SUBMITTED
        assert TownshipDuty.objects.get(pk=world.duty.pk).change_requests.count() == 0


# --- task pages: each usable only by the organization it belongs to ------------------------------------

# (case, node, task data) → the roles that may work on it, and the roles that may see the case.
TASKS = {
    "consult_naji": ("consulting", "consult", "naji", ("naji",)),
    "consult_liuhe": ("consulting", "consult", "liuhe", ("liuhe",)),
    "revise": ("revising", "revise", None, ("forestry",)),
    "submit": ("consulted", "submit", None, ("forestry",)),
    "lead_review": ("review", "lead_review", None, ("office", "office2")),
    "legality_review": ("review", "legality_review", None, ("justice",)),
    "data_review": ("review", "data_review", None, ("data",)),
    "give_advice": ("advised", "give_advice", None, ("emergency",)),
    "banner_decision": ("awaiting_approval", "banner_decision", None, ("leadership",)),
    "city_decision": ("awaiting_city", "city_decision", None, ("office", "office2")),
}
# Every case here is filed: the offices above the banner read it (issue 15) and are told no task is theirs.
CASE_SEEN_BY = {
    "consulting": ("forestry", "naji", "liuhe") + JOINT + ABOVE,
    "revising": ("forestry", "naji", "liuhe") + JOINT + ABOVE,
    "consulted": ("forestry", "naji", "liuhe") + JOINT + ABOVE,
    "review": SEES_REVIEW,
    "advised": ("forestry", "emergency", "naji", "liuhe") + JOINT + ABOVE,
    "awaiting_approval": ("forestry", "naji", "liuhe", "leadership") + JOINT + ABOVE,
    "awaiting_city": ("forestry", "naji", "liuhe", "leadership") + JOINT + ABOVE,
}


def _task(world, key):
    case_key, node, township, _owners = TASKS[key]
    data = {}
    if township:
        consultation = world.cases[case_key].current_consultations().get(township=world.banner.org(township))
        data["consultation"] = consultation.pk
    return support.open_task(world.cases[case_key], node, **data)


def _task_cells():
    for key, (case_key, _node, _township, owners) in TASKS.items():
        for role in ROLES:
            if role == "anonymous":
                expected = 302
            elif role in owners:
                expected = 200
            elif role in CASE_SEEN_BY[case_key]:
                expected = 403
            else:  # another township, department or banner; leadership before the case awaits it
                expected = 404
            yield pytest.param(key, role, expected, id=f"{key}-{role}-{expected}")


@pytest.mark.parametrize(("key", "role", "expected"), list(_task_cells()))
def test_a_task_page_is_usable_only_by_the_organization_it_belongs_to(client_as, world, key, role, expected):
    case_key = TASKS[key][0]
    task = _task(world, key)
    response = client_as(role).get(reverse("workflows:execute", args=[task.pk]))

    assert response.status_code == expected
    body = response.content.decode()
    if expected == 200:
        assert NAMES[case_key] in body and "<form" in body
    elif expected == 403:
        # Those who may see the case are told why.
        assert NOT_YOURS in body
        _assert_no_leak(response, NAMES[case_key])
    elif expected == 404:
        # The others (another banner's users included) learn nothing about it.
        assert NOT_YOURS not in body
        _assert_no_leak(response, NAMES[case_key])
    else:
        assert response["Location"].startswith(reverse("login"))
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None


def test_a_task_refused_to_another_organization_is_not_performed_on_post(client_as, world):
    """Authorization comes before the form: a valid opinion POSTed by 司法局 to the 编办 task does nothing."""
    case = world.cases["review"]
    task = support.open_task(case, "lead_review")
    events = AuditEvent.objects.changes().count()
    response = client_as("justice").post(
        reverse("workflows:execute", args=[task.pk]),
        {"decision": "opinion", "passes": "1", "reasoning": "越权出具的意见。"},
    )
    assert response.status_code == 403 and NOT_YOURS in response.content.decode()
    assert not case.bureau_opinions.exists()
    assert AuditEvent.objects.changes().count() == events
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None


# --- state-dependent rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_key", "expected"),
    [
        ("draft", 404),
        ("consulting", 404),
        ("review", 404),
        ("rejected", 404),
        ("withdrawn", 404),
        ("awaiting_approval", 200),
        ("awaiting_city", 200),
        ("admitted", 200),
        ("other_admitted", 404),
    ],
)
def test_art4_3_leadership_sees_what_awaits_it_and_what_it_decided(client_as, world, case_key, expected):
    response = client_as("leadership").get(reverse("admission:request_detail", args=[world.cases[case_key].pk]))
    assert response.status_code == expected
    assert (NAMES[case_key] in response.content.decode()) is (expected == 200)


@pytest.mark.parametrize(
    ("role", "case_key", "expected"),
    [
        ("forestry", "review", 200),
        ("forestry", "yadong_only", 404),
        ("agriculture", "yadong_only", 200),
        ("agriculture", "review", 404),
        # A department asked for an advisory opinion (Art. 4(2)) sees that case, and only that one.
        ("emergency", "advised", 200),
        ("emergency", "review", 404),
        ("naji", "draft", 404),
        ("liuhe", "draft", 404),
        ("naji", "consulting", 200),
        ("yadong", "yadong_only", 200),
        ("yadong", "review", 404),
        ("justice", "yadong_only", 200),
        ("data", "draft", 404),
        ("data", "consulting", 200),
        ("office_clerk", "rejected", 200),
        ("other_office", "review", 404),
        ("other_office", "other_review", 200),
        ("office", "other_review", 404),
        ("other_naji", "admitted", 404),
        ("naji", "other_admitted", 404),
    ],
)
def test_art4_1_each_party_sees_only_the_cases_the_rules_give_it(client_as, world, role, case_key, expected):
    response = client_as(role).get(reverse("admission:request_detail", args=[world.cases[case_key].pk]))
    assert response.status_code == expected
    assert (NAMES[case_key] in response.content.decode()) is (expected == 200)


@pytest.mark.parametrize(
    ("case_key", "expected"),
    [
        ("draft", 200),
        ("revising", 200),
        ("consulting", 403),
        ("consulted", 403),
        ("review", 403),
        ("awaiting_approval", 403),
        ("awaiting_city", 403),
        ("admitted", 403),
        ("rejected", 403),
        ("withdrawn", 403),
    ],
)
def test_art4_1_only_the_owning_department_edits_and_only_in_editable_states(client_as, world, case_key, expected):
    case = world.cases[case_key]
    client = client_as("forestry")
    assert client.get(reverse("admission:request_edit", args=[case.pk])).status_code == expected
    before = world.case(case_key)
    events = AuditEvent.objects.changes().count()
    data = {
        "duty_name": "改过的职责名称",
        "affair_class": "administrative_affair",
        "track": "regular",
        "townships": [world.banner.org("naji").pk],
        "funding_amount": "0",
    }
    response = client.post(reverse("admission:request_edit", args=[case.pk]), data)
    after = world.case(case_key)
    if expected == 200:
        assert response.status_code == 302 and after.duty_name == "改过的职责名称"
    else:
        assert response.status_code == 403 and "当前状态下不能修改该申请。" in response.content.decode()
        assert (after.duty_name, after.state) == (before.duty_name, before.state)
        assert AuditEvent.objects.changes().count() == events
    # Another department never edits it, whatever the state.
    response = client_as("emergency").post(reverse("admission:request_edit", args=[case.pk]), data)
    assert response.status_code == 404
    assert world.case(case_key).duty_name == after.duty_name


@pytest.mark.parametrize(
    ("case_key", "may_withdraw"),
    [
        ("draft", True),
        ("consulting", True),
        ("revising", True),
        ("consulted", True),
        ("review", True),
        ("advised", True),
        ("awaiting_approval", True),
        ("awaiting_city", True),
        ("admitted", False),
        ("rejected", False),
        ("withdrawn", False),
    ],
)
def test_withdraw_only_by_the_owning_department_before_a_decision(client_as, world, case_key, may_withdraw):
    case = world.cases[case_key]
    url = reverse("admission:request_withdraw", args=[case.pk])
    state_before = world.case(case_key).state
    # Nobody else, even those who see the case.
    for role in ("naji", "office", "leadership", "emergency", "other_forestry"):
        response = client_as(role).post(url, {"reason": "不是本部门的申请。"})
        assert response.status_code in (403, 404), role
        assert world.case(case_key).state == state_before, role
    response = client_as("forestry").post(url, {"reason": "工作安排调整，撤回申请。"})
    after = world.case(case_key)
    if may_withdraw:
        assert response.status_code == 302 and response["Location"] == reverse(
            "admission:request_detail", args=[case.pk]
        )
        assert after.state == RequestState.WITHDRAWN
        assert not engine.open_tasks(after).exists()
    else:
        assert response.status_code == 403
        assert after.state == state_before


def test_withdraw_is_a_post_only_action(client_as, world):
    response = client_as("forestry").get(reverse("admission:request_withdraw", args=[world.cases["review"].pk]))
    assert response.status_code == 405
    assert world.case("review").state == RequestState.UNDER_REVIEW


def test_anonymous_visitors_are_sent_to_login_from_every_case_url(client_as, world):
    client = client_as("anonymous")
    case = world.cases["admitted"]
    urls = [
        reverse("admission:request_detail", args=[case.pk]),
        reverse("admission:request_edit", args=[case.pk]),
        reverse("admission:attachment_download", args=[case.attachments.first().pk]),
        reverse("admission:document_download", args=[world.document.pk]),
        reverse("workflows:execute", args=[support.open_task(world.cases["awaiting_city"], "city_decision").pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}"
    assert client.get(reverse("login")).status_code == 200


# --- lists never leak -------------------------------------------------------------------------------------


def _listed(client, url_name: str, **params) -> str:
    """The rows of a list page (the search box echoes what was typed, so only the table counts)."""
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    body = response.content.decode()
    start = body.rindex("<tbody>")  # the duty list shows the 编办 a per-township summary table first
    return body[start : body.index("</tbody>", start)]


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("naji", ("review", "consulting", "admitted"), ("draft", "yadong_only", "other_review", "other_admitted")),
        ("liuhe", ("review", "admitted"), ("draft", "yadong_only", "other_review")),
        ("yadong", ("yadong_only",), ("review", "draft", "admitted", "other_review")),
        ("forestry", ("review", "draft", "withdrawn"), ("yadong_only", "other_review")),
        ("emergency", ("advised",), ("review", "draft", "yadong_only", "other_review")),
        (
            "office",
            ("review", "consulting", "yadong_only", "rejected"),
            ("draft", "withdrawn", "other_review", "other_admitted"),
        ),
        ("justice", ("review", "yadong_only"), ("other_review",)),
        (
            "leadership",
            ("awaiting_approval", "awaiting_city", "admitted"),
            ("review", "draft", "rejected", "withdrawn", "other_admitted"),
        ),
        ("other_naji", ("other_review", "other_admitted"), ("review", "draft", "admitted")),
        ("other_office", ("other_review", "other_admitted"), ("review", "draft", "yadong_only", "admitted")),
        # Issue 15: the offices above read their banners' filed cases, never a draft, never another city's.
        ("city_office", ("review", "consulting", "yadong_only", "admitted"), ("draft", "withdrawn", "other_review")),
        ("region_office", ("review", "admitted", "other_review", "other_admitted"), ("draft", "withdrawn")),
        ("other_city_office", ("other_review", "other_admitted"), ("review", "draft", "admitted")),
    ],
)
def test_art4_1_request_list_shows_each_party_only_its_cases(client_as, world, role, shown, hidden):
    body = _listed(client_as(role), "admission:request_list")
    for key in shown:
        assert NAMES[key] in body, key
    for key in hidden:
        assert NAMES[key] not in body, key


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("naji", ("exit_unfiled", "exit_filed", "exit_done"), ()),
        ("forestry", ("exit_filed", "exit_done"), ("exit_unfiled",)),
        ("office", ("exit_filed", "exit_done"), ("exit_unfiled",)),
        ("justice", ("exit_filed", "exit_done"), ("exit_unfiled",)),
        ("leadership", ("exit_done",), ("exit_unfiled", "exit_filed")),
        ("liuhe", (), ("exit_unfiled", "exit_filed", "exit_done")),  # holds the same admitted duty, not concerned
        ("yadong", (), ("exit_unfiled", "exit_filed", "exit_done")),
        ("emergency", (), ("exit_unfiled", "exit_filed", "exit_done")),
        ("other_naji", (), ("exit_unfiled", "exit_filed", "exit_done")),
        ("other_office", (), ("exit_unfiled", "exit_filed", "exit_done")),
    ],
)
def test_art4_4_request_list_shows_a_townships_exit_only_to_those_who_may_open_it(
    client_as, world, role, shown, hidden
):
    """The exit carries its duty's name, like the admission before it: the rows are told apart by their links."""
    body = _listed(client_as(role), "admission:request_list")
    for key in shown:
        assert reverse("admission:request_detail", args=[world.cases[key].pk]) in body, key
    for key in hidden:
        assert f'href="{reverse("admission:request_detail", args=[world.cases[key].pk])}"' not in body, key


def test_art4_1_township_sees_only_requests_naming_it_even_when_searching(client_as, world):
    client = client_as("yadong")
    for key in ("review", "draft", "admitted"):
        body = _listed(client, "admission:request_list", q=NAMES[key])
        assert NAMES[key] not in body, key
        assert "没有符合条件的申请。" in body
    body = _listed(client, "admission:request_list", q=NAMES["yadong_only"])
    assert NAMES["yadong_only"] in body


def test_nobody_sees_across_jurisdictions_in_request_search(client_as, world):
    client = client_as("other_office")
    for key in ("review", "admitted", "awaiting_city"):
        for state in ("", world.case(key).state):
            body = _listed(client, "admission:request_list", q=NAMES[key], state=state)
            assert NAMES[key] not in body, (key, state)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("naji", ("admitted",), ("other_admitted",)),
        ("liuhe", ("admitted",), ("other_admitted",)),
        ("yadong", (), ("admitted", "other_admitted")),
        ("forestry", ("admitted",), ("other_admitted",)),
        ("agriculture", (), ("admitted",)),
        ("office", ("admitted",), ("other_admitted",)),
        ("leadership", ("admitted",), ("other_admitted",)),
        ("other_naji", ("other_admitted",), ("admitted",)),
        ("other_office", ("other_admitted",), ("admitted",)),
        ("other_forestry", ("other_admitted",), ("admitted",)),
        ("other_leadership", ("other_admitted",), ("admitted",)),
    ],
)
def test_art4_5_duty_list_shows_only_the_partys_own_jurisdiction_and_township(client_as, world, role, shown, hidden):
    body = _listed(client_as(role), "admission:duty_list")
    for key in shown:
        assert NAMES[key] in body, key
    for key in hidden:
        assert NAMES[key] not in body, key


@pytest.mark.parametrize("role", OTHER)
def test_nobody_sees_across_jurisdictions_duty_list_filtered_by_this_banners_township(client_as, world, role):
    client = client_as(role)
    for township in ("naji", "liuhe"):
        body = _listed(client, "admission:duty_list", township=world.banner.org(township).pk, q=NAMES["admitted"])
        assert NAMES["admitted"] not in body
        assert "暂无经准入的职责事项。" in body


@pytest.mark.parametrize("role", ABOVE)
def test_issue15_an_office_above_reads_one_banners_list_at_a_time_and_nothing_of_another_through_it(
    client_as, world, role
):
    client = client_as(role)
    this = world.banner.jurisdiction.pk
    body = _listed(client, "admission:duty_list", banner=this, township=world.banner.org("naji").pk)
    assert NAMES["admitted"] in body and NAMES["other_admitted"] not in body
    # Another banner's township asked through this banner: nothing.
    body = _listed(client, "admission:duty_list", banner=this, township=world.other.org("naji").pk)
    assert NAMES["other_admitted"] not in body and "暂无经准入的职责事项。" in body
    body = _listed(client, "admission:request_list", banner=this)
    assert NAMES["review"] in body and NAMES["other_review"] not in body


def test_issue15_a_city_office_never_opens_another_citys_banner(client_as, world):
    client = client_as("city_office")
    other = world.other.jurisdiction.pk
    for url, params in (
        (reverse("admission:duty_list"), {"banner": other}),
        (reverse("admission:request_list"), {"banner": other}),
        (reverse("admission:banner_dashboard", args=[other]), {}),
    ):
        response = client.get(url, params)
        assert response.status_code == 403, url
        _assert_no_leak(response, NAMES["other_review"], NAMES["other_admitted"])
    response = client.get(
        reverse("admission:duty_detail", args=[TownshipDuty.objects.get(request=world.cases["other_admitted"]).pk])
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", ABOVE)
def test_issue15_the_offices_above_see_no_action_on_what_they_read(client_as, world, role):
    """Read-only: no button or form of the procedure on the case page, the duty page or the dashboard."""
    client = client_as(role)
    case = client.get(reverse("admission:request_detail", args=[world.cases["review"].pk])).content.decode()
    duty = client.get(reverse("admission:duty_detail", args=[world.duty.pk])).content.decode()
    for page in (case, duty):
        main = page[page.index("<main>") :]
        assert "只读" in main
        assert 'method="post"' not in main, main
        for label in (
            "去办理",
            "撤回申请",
            "抄送",
            "生成审批单",
            "申请退出",
            "提出调整",
            "确认收到",
            "催办",
            "转办",
            "退回",
        ):
            assert label not in main, label


def test_townships_see_no_duty_list_filter_of_other_townships(client_as, world):
    body = _listed(client_as("yadong"), "admission:duty_list", township=world.banner.org("naji").pk)
    assert NAMES["admitted"] not in body and "暂无经准入的职责事项。" in body


@pytest.mark.parametrize(
    ("role", "sees_this", "sees_other"),
    [
        ("office", True, False),
        ("office2", True, False),
        ("office_clerk", False, False),
        ("justice", True, False),
        ("naji", False, False),
        ("other_office", False, True),
        ("other_leadership", False, False),
    ],
)
def test_task_queue_shows_only_tasks_of_the_users_organization(client_as, world, role, sees_this, sees_other):
    """The review tasks of both banners' under-review cases wait in their own 编办, 司法局 and 政数局 queues."""
    body = _listed(client_as(role), "workflows:queue")
    assert (NAMES["review"] in body) is sees_this
    assert (NAMES["other_review"] in body) is sees_other


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("naji", True),
        ("forestry", True),
        ("liuhe", False),
        ("yadong", False),
        ("other_naji", False),
        ("other_office", False),
    ],
)
def test_document_list_shows_only_documents_issued_or_addressed_to_the_users_organization(client_as, world, role, sees):
    client = client_as(role)
    # 25 a page, newest first: the exits built after this letter push it to a later page.
    body = "".join(_listed(client, "admission:document_list", page=page) for page in range(1, 5))
    assert (world.document.number in body) is sees


@pytest.mark.parametrize("role", ABOVE)
def test_issue15_every_write_of_an_office_above_is_refused_with_its_reason(client_as, world, role):
    """Beyond the matrix's actions: comments, 抄送, 审批单, 转办, 催办, 退回, a report, editing — all refused (403, the
    reason in Chinese) and nothing recorded."""
    client = client_as(role)
    case = world.cases["review"]
    task = support.open_task(case, "lead_review")
    events = AuditEvent.objects.changes().count()
    posts = {
        reverse("admission:request_comment", args=[case.pk]): {"text": "上级的意见。"},
        reverse("admission:request_copy", args=[case.pk]): {"organizations": [world.banner.org("data").pk]},
        reverse("admission:request_approval_form", args=[case.pk]): {},
        reverse("admission:request_edit", args=[case.pk]): {"duty_name": "上级改的名称"},
        reverse("workflows:reassign", args=[task.pk]): {"reason": "上级转办。"},
        reverse("workflows:urge", args=[task.pk]): {"note": "请加快办理。"},
        reverse("workflows:return", args=[task.pk]): {"reasons": "上级退回。"},
        reverse("admission:report_create"): {"duty_description": "上级反映"},
    }
    for url, data in posts.items():
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert re.search(r"<h1>无权访问</h1><p>[^<]*[\u4e00-\u9fff][^<]*</p>", response.content.decode()), url
    assert AuditEvent.objects.changes().count() == events
    assert world.case("review").duty_name == NAMES["review"]
