"""Arun Banner demo data: the real organization chart, a user for every role, and cases at every step.

Every case is driven through the same services and flow that people use, so each role's queue holds real,
workable tasks and each finished case has its full history. Running it again changes nothing.

`--no-render` is for fixtures that need only the data: the official documents are issued and numbered but stay pending
(neither rendered nor signed; the sweep renders them later: the web process's after start-up, or the scheduler's), and each stand-in letter is a blank
one-page PDF instead of a rendered one.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.html import escape
from viewflow.workflow.models import Task

from admission.calendar import WorkingCalendar
from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.identity import DEMO_TOTP_KEY, DEMO_TOTP_SECRET, current_code
from admission.models import (
    DECIDING_ROLES,
    AdministratorRole,
    AffairClass,
    ConsultationOutcome,
    DutyCategory,
    DutyRequest,
    Jurisdiction,
    JurisdictionLevel,
    Membership,
    OfficialDocument,
    OrganizationKind,
    PasswordHistory,
    RenderStatus,
    ReportFinding,
    RequestPurpose,
    RequestState,
    Role,
    SafeguardKind,
    TaskDeadline,
    TownshipDuty,
    Track,
)
from admission.onboarding import read as read_onboarding_file
from admission.services import requests as request_services
from admission.services import review
from admission.services.administrators import create_administrator
from admission.services.deadlines import set_deadline
from admission.services.identity import enrol_totp_device
from admission.services.rendering import render_due
from admission.services.setup import (
    add_member,
    attach_banners,
    create_jurisdiction,
    create_upper_jurisdiction,
    onboard_jurisdiction,
)
from workflows import actions, engine
from workflows.driver import CaseDriver

PASSWORD = "Demo-2026!"  # meets the password rules: 10 characters, four classes
# 等保 身份鉴别: heads, reviewers and administrators log in with a second factor. Their demo devices share the published
# demo key (README; the verification page shows the current code in debug mode); one head has none yet and enrols at
# the first login, showing the QR-code enrolment.
ENROLS_AT_FIRST_LOGIN = "sifa_jz"
DIVISION_CODE = "150721"
# The second banner of Hulunbuir comes from the on-boarding template, as a real banner would (issue 15).
ONBOARDING_TEMPLATE = Path(settings.BASE_DIR) / "docs" / "onboarding" / "内蒙古-旗县模板.yaml"

# procedure.md: the 12 townships of Arun Banner and their division codes.
TOWNSHIPS = (
    ("naji", "那吉镇", "150721100"),
    ("liuhe", "六合镇", "150721101"),
    ("yadong", "亚东镇", "150721102"),
    ("huoerqi", "霍尔奇镇", "150721103"),
    ("xiangyangyu", "向阳峪镇", "150721104"),
    ("sanchahe", "三岔河镇", "150721105"),
    ("fuxing", "复兴镇", "150721106"),
    ("xingan", "兴安镇", "150721110"),
    ("deliqier", "得力其尔鄂温克族乡", "150721200"),
    ("chabaqi", "查巴奇鄂温克族乡", "150721201"),
    ("yinhe", "音河达斡尔鄂温克族乡", "150721202"),
    ("xinfa", "新发朝鲜族乡", "150721203"),
)
# The bodies' names in traditional Mongolian (内政办发〔1996〕32号 art. 2: seals and document heads carry both scripts),
# by their Chinese full names (a joint body's by each of its bodies'). Composed for the demo from the standard terms
# of bilingual names in the region (docs/documents.md, "The demo's Mongolian names", says which term comes from where);
# before real use the banner's Mongolian language office (旗民族事务委员会蒙古语文办公室) must confirm each one.
NNBSP = "\u202f"  # the narrow no-break space before a case suffix
ARUN = f"ᠠᠷᠤᠨ ᠬᠣᠰᠢᠭᠤᠨ{NNBSP}ᠤ"  # 阿荣旗的 (Arun qosiγun-u)
GOVERNMENT = f"ᠠᠷᠠᠳ{NNBSP}ᠤᠨ ᠵᠠᠰᠠᠭ{NNBSP}ᠤᠨ ᠭᠠᠵᠠᠷ"  # 人民政府 (arad-un jasaγ-un γajar)
PARTY_COMMITTEE = f"ᠳᠤᠮᠳᠠᠳᠤ ᠤᠯᠤᠰ{NNBSP}ᠤᠨ ᠺᠣᠮᠮᠤᠨᠢᠰᠲ ᠨᠠᠮ{NNBSP}ᠤᠨ {ARUN} ᠬᠣᠷᠢᠶ᠎ᠠ"  # 中共阿荣旗委员会
BUREAU = "ᠲᠣᠪᠴᠢᠶ᠎ᠠ"  # 局 (tobčiy-a)
MONGOLIAN_NAMES = {
    "阿荣旗": "ᠠᠷᠤᠨ ᠬᠣᠰᠢᠭᠤ",
    "中共阿荣旗委员会": PARTY_COMMITTEE,
    "阿荣旗人民政府": f"{ARUN} {GOVERNMENT}",
    "中共阿荣旗委员会机构编制委员会办公室": f"{PARTY_COMMITTEE}{NNBSP}ᠶᠢᠨ ᠪᠠᠶᠢᠭᠤᠯᠤᠯᠭ᠎ᠠ ᠣᠷᠣᠨ ᠲᠣᠭ᠎ᠠ{NNBSP}ᠶᠢᠨ "
    f"ᠬᠣᠷᠢᠶ᠎ᠠ{NNBSP}ᠶᠢᠨ ᠠᠯᠪᠠᠨ ᠲᠠᠰᠤᠭ",
    "阿荣旗司法局": f"{ARUN} ᠱᠢᠭᠦᠨ ᠵᠠᠰᠠᠯ{NNBSP}ᠤᠨ {BUREAU}",
    "阿荣旗政务服务与数据管理局": f"{ARUN} ᠵᠠᠰᠠᠭ{NNBSP}ᠤᠨ ᠠᠵᠢᠯ ᠦᠢᠯᠡᠴᠢᠯᠡᠭᠡ ᠪᠠ ᠲᠣᠭ᠎ᠠ ᠪᠠᠷᠢᠮᠲᠠ{NNBSP}ᠶᠢᠨ "
    f"ᠵᠠᠬᠢᠷᠭ᠎ᠠ{NNBSP}ᠶᠢᠨ {BUREAU}",
    "阿荣旗林业和草原局": f"{ARUN} ᠣᠢ ᠮᠣᠳᠤ ᠪᠠ ᠡᠪᠡᠰᠦᠨ ᠬᠥᠳᠡᠭᠡ{NNBSP}ᠶᠢᠨ {BUREAU}",
    "阿荣旗应急管理局": f"{ARUN} ᠶᠠᠭᠠᠷᠠᠯᠲᠠᠢ ᠬᠡᠷᠡᠭ ᠶᠠᠪᠤᠳᠠᠯ{NNBSP}ᠢ ᠵᠠᠬᠢᠷᠬᠤ {BUREAU}",
    "阿荣旗农牧局": f"{ARUN} ᠲᠠᠷᠢᠶᠠᠯᠠᠩ ᠮᠠᠯ ᠠᠵᠤ ᠠᠬᠤᠢ{NNBSP}ᠶᠢᠨ {BUREAU}",
    "阿荣旗民政局": f"{ARUN} ᠢᠷᠭᠡᠨ ᠬᠡᠷᠡᠭ{NNBSP}ᠦᠨ {BUREAU}",
    "阿荣旗卫生健康委员会": f"{ARUN} ᠡᠷᠡᠭᠦᠯ ᠮᠡᠩᠳᠦ{NNBSP}ᠶᠢᠨ ᠬᠣᠷᠢᠶ᠎ᠠ",
    "呼伦贝尔市": "ᠬᠥᠯᠥᠨᠪᠤᠶᠢᠷ ᠬᠣᠲᠠ",
    "呼伦贝尔市人民政府": f"ᠬᠥᠯᠥᠨᠪᠤᠶᠢᠷ ᠬᠣᠲᠠ{NNBSP}ᠶᠢᠨ {GOVERNMENT}",
    "阿荣旗那吉镇人民政府": f"{ARUN} ᠨᠠᠵᠢ ᠪᠠᠯᠭᠠᠰᠤ{NNBSP}ᠶᠢᠨ {GOVERNMENT}",
    "阿荣旗得力其尔鄂温克族乡人民政府": f"{ARUN} ᠳᠡᠯᠢᠴᠢᠷ ᠡᠸᠡᠩᠬᠢ ᠰᠤᠮᠤ{NNBSP}ᠶᠢᠨ {GOVERNMENT}",
    "阿荣旗查巴奇鄂温克族乡人民政府": f"{ARUN} ᠴᠠᠪᠴᠢ ᠡᠸᠡᠩᠬᠢ ᠰᠤᠮᠤ{NNBSP}ᠶᠢᠨ {GOVERNMENT}",
    "阿荣旗音河达斡尔鄂温克族乡人民政府": f"{ARUN} ᠶᠢᠨ ᠾᠧ ᠳᠠᠭᠤᠷ ᠡᠸᠡᠩᠬᠢ ᠰᠤᠮᠤ{NNBSP}ᠶᠢᠨ {GOVERNMENT}",
    "阿荣旗新发朝鲜族乡人民政府": f"{ARUN} ᠰᠢᠨᠹᠠ ᠴᠣᠣᠰᠢᠶᠠᠨ ᠰᠤᠮᠤ{NNBSP}ᠶᠢᠨ {GOVERNMENT}",
}
# (key, name, issuing-body code after the banner's 阿)
DEPARTMENTS = (
    ("linye", "旗林业和草原局", "林草"),
    ("yingji", "旗应急管理局", "应急"),
    ("nongmu", "旗农牧局", "农牧"),
    ("minzheng", "旗民政局", "民政"),
    ("weijian", "旗卫生健康委员会", "卫健"),
)
# (username, organization key, role, full name)
# 三员分立: one of each administrator; none of them acts for a body.
ADMINISTRATORS = (
    ("sysadmin", AdministratorRole.SYSTEM, "何建平"),
    ("secadmin", AdministratorRole.SECURITY, "白玉梅"),
    ("auditadmin", AdministratorRole.AUDIT, "乌云其其格"),
)

PEOPLE = (
    ("bianban", "office", Role.REVIEWER, "赵立新"),
    ("bianban_zr", "office", Role.HEAD, "孙振华"),
    ("bianban_ky", "office", Role.CLERK, "李晓雯"),
    ("sifa", "justice", Role.REVIEWER, "吴海峰"),
    ("sifa_jz", "justice", Role.HEAD, "马建军"),  # receives the escalation of the late legality review
    ("zhengshu", "data", Role.REVIEWER, "郑丽娟"),
    ("lingdao", "leadership", Role.HEAD, "周国栋"),
    ("linye", "linye", Role.CLERK, "王静"),
    ("yingji", "yingji", Role.CLERK, "刘洋"),
    ("nongmu", "nongmu", Role.CLERK, "张宏伟"),
    ("minzheng", "minzheng", Role.CLERK, "陈淑芬"),
    ("weijian", "weijian", Role.CLERK, "杨帆"),
) + tuple((key, key, Role.CLERK, f"{name}经办人") for key, name, _code in TOWNSHIPS)


# (case, task, working days since it arrived): a late legality review, an intake due today, a consultation due soon.
AGED_TASKS = (
    ("殡葬改革宣传引导", "legality_review", 13),
    ("爱国卫生运动季度检查", "intake", 3),
    ("高龄津贴资格初审", "consult", 4),
)


@dataclass
class Case:
    """One demo case: what the department asks, and how far the procedure has gone."""

    department: str
    duty_name: str
    townships: tuple[str, ...]
    steps: tuple[str, ...]
    temporary: bool = False
    details: dict = field(default_factory=dict)


# Each step names a walk method below; the last step decides which queue the case waits in.
CASES = (
    Case(
        "linye",
        "森林草原防火巡查",
        ("naji", "liuhe", "yadong"),
        ("consult", "submit", "accept", "review", "conclude", "approve", "city_approves", "approval_form"),
    ),
    Case(
        "nongmu",
        "第三次全国土壤普查样点协助调查",
        ("huoerqi", "xiangyangyu"),
        ("consult", "submit", "accept", "review", "conclude", "approve"),
        temporary=True,
    ),
    Case(
        "minzheng",
        "特困人员探访关爱",
        ("naji", "sanchahe", "fuxing", "xinfa"),
        (
            "consult_with_disagreement",
            "revise",
            "consult",
            "submit",
            "supplement_notice",
            "resubmit",
            "accept",
            "ask_advice",
            "give_advice",
            "review",
            "conclude",
            "approve",
            "city_approves",
        ),
    ),
    Case(
        "weijian",
        "乡镇卫生院药品采购监管",
        ("liuhe", "yadong"),
        ("consult", "submit", "accept", "review_justice_fails", "conclude_rejects"),
    ),
    Case(
        "yingji",
        "农村自建房安全隐患集中排查",
        ("naji", "huoerqi", "xingan"),
        ("consult", "submit", "accept", "review", "conclude", "refuse"),
        temporary=True,
    ),
    Case("nongmu", "农机安全生产检查", ("chabaqi", "deliqier"), ("withdraw_while_consulting",)),
    # Open cases, one for every queue.
    Case("linye", "林业有害生物监测调查", ("naji", "yinhe"), ()),
    Case("minzheng", "高龄津贴资格初审", ("naji", "liuhe", "yadong", "xinfa"), ("consult_xinfa_only",)),
    Case("yingji", "防汛物资储备点日常管理", ("naji", "yadong"), ("consult_with_disagreement",)),
    Case("linye", "古树名木日常巡护", ("xiangyangyu", "chabaqi"), ("consult",)),
    Case("weijian", "爱国卫生运动季度检查", ("sanchahe", "fuxing"), ("consult", "submit")),
    Case("nongmu", "动物防疫村级防疫员管理", ("liuhe", "xingan", "yinhe"), ("consult", "submit", "supplement_notice")),
    Case("minzheng", "殡葬改革宣传引导", ("naji", "huoerqi"), ("consult", "submit", "accept")),
    Case(
        "linye",
        "草原禁牧休牧巡查",
        ("deliqier", "chabaqi", "yinhe"),
        ("consult", "submit", "accept", "ask_advice", "legality_review"),
    ),
    Case("yingji", "森林草原防灭火宣传教育", ("liuhe", "sanchahe"), ("consult", "submit", "accept", "review")),
    Case(
        "weijian",
        "老年人健康体检协助组织",
        ("naji", "liuhe", "fuxing"),
        ("consult", "submit", "accept", "review", "conclude"),
        temporary=True,
    ),
    Case(
        "nongmu",
        "耕地撂荒情况排查",
        ("huoerqi", "xiangyangyu", "xingan"),
        ("consult", "submit", "accept", "review", "conclude"),
    ),
    Case(
        "minzheng",
        "农村留守老人关爱服务",
        ("yadong", "xinfa"),
        ("consult", "submit", "accept", "review", "conclude", "approve"),
    ),
    Case(
        "yingji",
        "汛期地质灾害隐患点巡查",
        ("liuhe", "sanchahe"),
        ("consult", "submit", "accept", "review", "conclude", "approve"),
        temporary=True,
    ),
)


@dataclass
class ChangeCase:
    """Art. 4(4), 4(5): an exit or adjustment of an admitted duty, asked by `applicant` for `townships`."""

    applicant: str
    duty_name: str
    purpose: str
    townships: tuple[str, ...]
    steps: tuple[str, ...]
    reasons: str
    terms: dict = field(default_factory=dict)


CHANGE_CASES = (
    ChangeCase(
        "nongmu",
        "第三次全国土壤普查样点协助调查",
        RequestPurpose.ADJUSTMENT,
        ("huoerqi", "xiangyangyu"),
        ("consult", "submit", "accept", "review", "conclude", "approve"),
        "自治区普查办将外业调查截止时间延后，样点数量增加，需相应延长期限并增加工作经费。",
        {
            "end_date": timezone.localdate() + timedelta(days=400),
            "funding_amount": Decimal("260000.00"),
            "completion_time_limit": "2027年12月31日前",
        },
    ),
    ChangeCase(
        "yingji",
        "汛期地质灾害隐患点巡查",
        RequestPurpose.EXIT,
        ("liuhe", "sanchahe"),
        ("consult", "submit", "accept", "review", "conclude", "approve"),
        "汛期巡查任务已全部完成，隐患点已移交自然资源部门日常监测，不再需要乡镇承担。",
    ),
    # Open: 新发朝鲜族乡 asks to leave a duty it holds; its written application is next.
    ChangeCase(
        "xinfa",
        "特困人员探访关爱",
        RequestPurpose.EXIT,
        ("xinfa",),
        (),
        "本乡特困人员已全部纳入县级集中供养，乡镇不再具备探访关爱的服务对象，不再适宜由乡镇承担。",
    ),
)


def _values(case: Case, department_name: str) -> dict:
    short = department_name.removeprefix("旗")
    values = {
        "duty_name": case.duty_name,
        "affair_class": AffairClass.ADMINISTRATIVE_AFFAIR,
        "track": Track.TEMPORARY if case.temporary else Track.REGULAR,
        "end_date": timezone.localdate() + timedelta(days=240) if case.temporary else None,
        "list_category": DutyCategory.COOPERATIVE
        if case.temporary or case.department in ("weijian", "yingji")
        else DutyCategory.BASIC,
        "work_objective": f"落实{case.duty_name}工作，做到底数清、情况明、责任实。",
        "powers_and_responsibilities": f"乡镇负责辖区内{case.duty_name}的组织实施、信息登记和情况报送；{short}负责业务指导、监督和考核。",
        "legal_basis": "《内蒙古自治区人民政府关于公布自治区本级行政权力和责任清单的通知》（内政发〔2023〕19号）及相关行业法规。",
        "division_of_responsibilities": f"{short}制定工作方案、组织培训并承担主体责任；乡镇组织实施并按月报送台账。",
        "work_process": "制定计划 → 组织实施 → 登记台账 → 汇总报送 → 问题转办。",
        "completion_time_limit": "2027年6月30日前" if case.temporary else "长期，按月报送",
        "operating_mechanism": "月调度、季通报，年终纳入乡镇实绩考核。",
        "staffing": "每个乡镇明确 1 名分管领导和 1 至 2 名具体工作人员。",
        "funding_amount": Decimal("80000.00") + Decimal(len(case.duty_name) * 5000),
        "funding_source": "旗本级财政预算",
        "technical_support": f"{short}提供工作终端、系统账号和技术指导。",
        "training": "每年至少组织两次业务培训，新任工作人员上岗前培训。",
    }
    values.update(case.details)
    return values


def _letter(title: str, body: str) -> SimpleUploadedFile:
    """A rendered PDF standing in for a scanned, stamped letter."""
    from weasyprint import HTML

    html = (
        "<html><body style='font-family:\"Noto Serif CJK SC\",serif;margin:3cm 2.5cm'>"
        f"<h1 style='text-align:center;font-size:20pt'>{escape(title)}</h1>"
        f"<p style='font-size:14pt;line-height:1.8;text-indent:2em'>{escape(body)}</p>"
        f"<p style='text-align:right;font-size:14pt;margin-top:3em'>{timezone.localdate():%Y年%m月%d日}</p>"
        "</body></html>"
    )
    return SimpleUploadedFile(f"{title}.pdf", HTML(string=html).write_pdf(), content_type="application/pdf")


def _blank_letter(title: str) -> SimpleUploadedFile:
    """--no-render: a valid one-page blank A4 PDF in place of the rendered letter."""
    objects = (
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    )
    data, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return SimpleUploadedFile(f"{title}.pdf", data, content_type="application/pdf")


class Walk:
    """Drives one case through the real flow, as its people would."""

    def __init__(self, command: Command, case: Case | ChangeCase):
        self.c = command
        self.case = case
        if isinstance(case, ChangeCase):
            # The applicant of an exit or adjustment is who answers for the case (Art. 4(4), 4(5)).
            self.department = command.users[case.applicant]
            duties = list(
                TownshipDuty.objects.filter(
                    duty_name=case.duty_name, township__in=[command.orgs[t] for t in case.townships]
                )
            )
            self.request = actions.propose_change(
                actor=self.department, duty=duties[0], purpose=case.purpose, reasons=case.reasons, targets=duties
            )
            if case.terms:
                fields = request_services.fields_to_edit(self.request)
                self.request = actions.save_draft(
                    actor=self.department,
                    duty_request=self.request,
                    values={f: case.terms.get(f, getattr(self.request, f)) for f in fields},
                )
            self._begin()
            return
        self.department = command.users[case.department]
        self.request = actions.save_draft(
            actor=self.department,
            values=_values(case, command.orgs[case.department].name),
            townships=[command.orgs[t] for t in case.townships],
        )

    def letter(self, title: str, body: str) -> SimpleUploadedFile:
        return _blank_letter(title) if self.c.no_render else _letter(title, body)

    def _drive(self, step):
        """One step through the shared driver (the front doors); the case is read again afterwards."""
        driver = CaseDriver(self.request)
        step(driver)
        self.request = driver.duty_request
        return self.request

    def _opinion(self, township: str, *, agrees: bool) -> None:
        user = self.c.users[township]
        current = self.request.current_consultations().get(township=self.c.orgs[township])
        text = (
            "经镇党委会议研究，同意承担该项职责，按方案配齐人员、落实台账。"
            if agrees
            else "我乡镇目前无专职人员承担该项工作，且未明确工作经费，建议明确人员编制和经费保障后再议。"
        )
        self._drive(lambda d: d.give_opinion(user, township=current.township, agrees=agrees, opinion=text))

    def _begin(self) -> None:
        if self.request.state == RequestState.DRAFT:
            self.request = actions.consult_townships(duty_request=self.request, actor=self.department)

    def consult(self) -> None:
        self._begin()
        keys = {o.pk: k for k, o in self.c.orgs.items()}
        for current in self.request.current_consultations().filter(outcome=ConsultationOutcome.PENDING):
            self._opinion(keys[current.township_id], agrees=True)

    def consult_with_disagreement(self) -> None:
        self._begin()
        *agreeing, last = self.case.townships
        for township in agreeing:
            self._opinion(township, agrees=True)
        self._opinion(last, agrees=False)

    def consult_xinfa_only(self) -> None:
        self._begin()
        self._opinion("xinfa", agrees=True)

    def revise(self) -> None:
        self._drive(lambda d: d.revise(self.department))

    def submit(self) -> None:
        if isinstance(self.case, ChangeCase):
            what = f"{self.request.get_purpose_display()}“{self.case.duty_name}”乡镇职责事项"
            letter = self.letter(f"关于{what}的申请", f"{self.case.reasons}现申请{what}，请予审核。")
        else:
            letter = self.letter(
                f"关于{self.case.duty_name}纳入乡镇职责准入的申请",
                f"经书面征求涉及乡镇意见，各乡镇均同意承担。现申请将“{self.case.duty_name}”纳入乡镇职责准入事项，请予审核。",
            )
        self._drive(lambda d: d.submit(self.department, application_letter=letter))

    def supplement_notice(self) -> None:
        office = self.c.users["bianban"]
        self._drive(
            lambda d: d.return_for_supplement(
                office,
                items=[
                    "书面申请未加盖部门公章，请重新上传盖章扫描件。",
                    "请补充各乡镇人员安排的具体岗位和人数。",
                ],
            )
        )

    def resubmit(self) -> None:
        self._drive(
            lambda d: d.resubmit(
                self.department,
                note="已重新上传盖章申请，并补充人员安排说明。",
                supporting_files=[self.letter("人员安排补充说明", "各乡镇明确分管领导 1 名、具体工作人员 2 名。")],
            )
        )

    def accept(self) -> None:
        office = self.c.users["bianban"]
        self._drive(lambda d: d.accept(office, note="材料齐全，予以受理。"))

    def ask_advice(self) -> None:
        office = self.c.users["bianban"]
        self._drive(
            lambda d: d.ask_for_advice(
                office,
                question="该事项与贵单位现有职责是否存在交叉，乡镇承接后如何衔接？",
                departments=[self.c.orgs["yingji"]],
            )
        )

    def give_advice(self) -> None:
        user = self.c.users["yingji"]
        advisory = self.request.advisory_opinions.get(organization=self.c.orgs["yingji"])
        self._drive(
            lambda d: d.give_advice(
                user, advisory=advisory, answer="与我局职责无交叉，建议乡镇承接后与应急站共享信息。"
            )
        )

    def _bureau(self, key: str, node: str, *, passes: bool = True) -> None:
        user = self.c.users[key]
        reasoning = (
            "经审核，事项属于行政事务，依据充分，分工明确，同意。"
            if passes
            else ("经法制审核，药品采购监管属于卫生健康部门的法定监管职责，依法不得转由乡镇承担。")
        )
        self._drive(lambda d: d.give_bureau_opinion(node, user, passes=passes, reasoning=reasoning))

    def legality_review(self) -> None:
        self._bureau("sifa", "legality_review")

    def review(self) -> None:
        open_nodes = {t.flow_task.name for t in engine.open_tasks(self.request)}
        for key, node in (("bianban", "lead_review"), ("sifa", "legality_review"), ("zhengshu", "data_review")):
            if node in open_nodes:
                self._bureau(key, node)

    def review_justice_fails(self) -> None:
        self._bureau("bianban", "lead_review")
        self._bureau("sifa", "legality_review", passes=False)
        self._bureau("zhengshu", "data_review")

    def _conclude(self, *, passes: bool) -> None:
        office = self.c.users["bianban"]
        findings = {key: "符合要求。" for key, _label in review.FOCUS_POINTS}
        if not passes:
            findings["legal_basis"] = "属于部门法定监管职责，不得转嫁乡镇。"
        self._drive(
            lambda d: d.conclude(
                office,
                passes=passes,
                findings=findings,
                reasons=""
                if passes
                else "该事项属于旗卫生健康委员会法定监管职责，依据《药品管理法》不得转由乡镇承担。",
                remedy="" if passes else "由旗卫生健康委员会依法履行；如需乡镇配合，可按工作配合事项另行商定。",
            )
        )

    def conclude(self) -> None:
        self._conclude(passes=True)

    def conclude_rejects(self) -> None:
        self._conclude(passes=False)

    def _banner(self, *, approves: bool) -> None:
        head = self.c.users["lingdao"]
        self._drive(
            lambda d: d.decide_at_banner(
                head,
                approves=approves,
                reasons="" if approves else "本年度已开展同类排查，暂不新增乡镇工作任务，由部门自行组织。",
            )
        )

    def approve(self) -> None:
        self._banner(approves=True)

    def refuse(self) -> None:
        self._banner(approves=False)

    def city_approves(self) -> None:
        office = self.c.users["bianban"]
        reply = self.letter(
            "呼伦贝尔市人民政府关于同意阿荣旗乡镇职责准入事项的批复",
            f"同意将“{self.case.duty_name}”纳入阿荣旗乡镇职责清单。",
        )
        self._drive(
            lambda d: d.record_city_decision(
                office,
                approves=True,
                document_number=f"呼政字〔2026〕{self.request.pk}号",
                decision_date=timezone.localdate(),
                reply_scan=reply,
            )
        )

    def approval_form(self) -> None:
        """审批单: the organization office prints every opinion and decision of the case (issue 13)."""
        actions.issue_approval_form(duty_request=self.request, actor=self.c.users["bianban"])

    def withdraw_while_consulting(self) -> None:
        self._begin()
        self.request = actions.withdraw(
            duty_request=self.request, actor=self.department, reason="该项工作已由自治区统一组织开展，无需乡镇承担。"
        )


class Command(BaseCommand):
    help = "Load Arun Banner demo data (organizations, a user for every role, cases at every step) and print the users."
    no_render = False

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-render",
            action="store_true",
            help="Leave the official documents pending (not rendered or signed; the sweep renders them later) "
            "and attach blank one-page PDFs as the letters: for test fixtures that need only the data.",
        )

    def handle(self, *args, **options):
        self.no_render = options["no_render"]
        self.verbosity = options["verbosity"]
        if Jurisdiction.objects.filter(division_code=DIVISION_CODE).exists():
            self.stdout.write("阿荣旗演示数据已存在，未作改动（删除 var/ 目录可重置演示环境）。")
        else:
            self._say("阿荣旗演示数据：建立组织机构、用户和演示证书……")
            # --no-render: documents wait for the sweep even where the settings render them on commit.
            no_render = override_settings(ADMISSION_RENDER_ON_COMMIT=False) if self.no_render else nullcontext()
            with no_render, transaction.atomic():
                self._build()
            if self.no_render:
                pending = OfficialDocument.objects.filter(render_status=RenderStatus.PENDING).count()
                self.stdout.write(f"公文未生成（--no-render）：{pending} 份待生成，Web 服务或任务进程启动后自动生成。")
            else:
                # Rendered on commit in-process; with a broker, the demo still starts with every document ready.
                self._say("阿荣旗演示数据：生成尚未生成的公文……")
                render_due(limit=1000)
            self.stdout.write(
                self.style.SUCCESS(
                    f"已创建阿荣旗演示数据：{len(CASES)} 件准入申请，{len(CHANGE_CASES)} 件退出或调整申请。"
                )
            )
        self._print_users()

    def _build(self) -> None:
        jurisdiction = create_jurisdiction(
            name="阿荣旗",
            short_name="旗",
            division_code=DIVISION_CODE,
            city_name="呼伦贝尔市",
            city_government_name="呼伦贝尔市人民政府",
            townships=[(name, code) for _key, name, code in TOWNSHIPS],
            departments=[(name, code) for _key, name, code in DEPARTMENTS],
            abbreviation="阿",
            measure="阿荣旗乡镇职责准入管理办法（试行）",  # 阿党办发〔2024〕15号
            mongolian_names=MONGOLIAN_NAMES,
        )
        by_name = {o.name: o for o in jurisdiction.organizations.all()}
        by_kind = {o.kind: o for o in by_name.values()}
        self.orgs = {
            "office": by_kind[OrganizationKind.ORGANIZATION_OFFICE],
            "justice": by_kind[OrganizationKind.JUSTICE_BUREAU],
            "data": by_kind[OrganizationKind.DATA_BUREAU],
            "leadership": by_kind[OrganizationKind.BANNER_LEADERSHIP],
            **{key: by_name[name] for key, name, _code in DEPARTMENTS},
            **{key: by_name[name] for key, name, _code in TOWNSHIPS},
        }
        self.users = {
            username: add_member(
                organization=self.orgs[org], username=username, password=PASSWORD, role=role, full_name=full_name
            )
            for username, org, role, full_name in PEOPLE
        }
        issue_demo_certificates(
            keys_dir=Path(settings.ADMISSION_SIGNING_KEYS_DIR),
            organizations=issuing_organizations(),
            ca_dir=Path(settings.ADMISSION_DEMO_CA_DIR),
        )
        administrators = [
            create_administrator(username=username, password=PASSWORD, role=role, full_name=full_name)
            for username, role, full_name in ADMINISTRATORS
        ]
        for user in (*administrators, *self.users.values()):
            needs = user.is_staff or user.membership.role in DECIDING_ROLES
            if needs and user.username != ENROLS_AT_FIRST_LOGIN:
                enrol_totp_device(user=user, key=DEMO_TOTP_KEY, token=current_code(DEMO_TOTP_KEY))
        cases: tuple[Case | ChangeCase, ...] = (*CASES, *CHANGE_CASES)
        for number, case in enumerate(cases, 1):
            # Each case walks the real flow (and, inline, renders its documents): say how far the seeding has come.
            self._say(f"[{number}/{len(cases)}] {case.duty_name}（{len(case.steps)} 步）")
            walk = Walk(self, case)
            for step in case.steps:
                getattr(walk, step)()
        self._age_open_tasks()
        self._deliver_safeguards()
        self._report_pushed_down_duties()
        self._hulunbuir()

    def _hulunbuir(self) -> None:
        """Issue 15: the region, Hulunbuir city (approving on the platform) and a second banner of it, on-boarded from
        the template file, with one regular case of that banner waiting for the city's approval."""
        self._say("呼伦贝尔市和莫力达瓦达斡尔族自治旗：上级机构、第二个旗县和一件待市政府审批的申请……")
        second = onboard_jurisdiction(banner=read_onboarding_file(ONBOARDING_TEMPLATE)).jurisdiction
        region = create_upper_jurisdiction(
            name="内蒙古自治区", division_code="150000", level=JurisdictionLevel.REGION, abbreviation="内"
        )
        city = create_upper_jurisdiction(
            name="呼伦贝尔市",
            division_code="150700",
            level=JurisdictionLevel.CITY,
            abbreviation="呼",
            parent=region,
            children=[self.orgs["office"].jurisdiction, second],
            mongolian_names=MONGOLIAN_NAMES,
        )
        # From now on the city approves regular duties here; the cases already sent to it keep their recorded reply.
        attach_banners(upper=city, banners=[], approves_in_system=True)
        upper = {o.kind: o for o in city.organizations.all()}
        for username, organization, role, full_name in (
            ("shizhengfu", upper[OrganizationKind.CITY_GOVERNMENT], Role.HEAD, "呼伦贝尔市政府"),
            ("shibianban", upper[OrganizationKind.ORGANIZATION_OFFICE], Role.REVIEWER, "呼伦贝尔市委编办"),
            (
                "qubianban",
                region.organizations.get(kind=OrganizationKind.ORGANIZATION_OFFICE),
                Role.REVIEWER,
                "自治区党委编办",
            ),
        ):
            add_member(organization=organization, username=username, password=PASSWORD, role=role, full_name=full_name)
        people = get_user_model().objects.filter(membership__organization__jurisdiction__in=[second, city, region])
        for user in people:  # the demo's one password, no first-login change, the demo's second factor
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
            PasswordHistory.objects.filter(user=user).delete()
            if user.membership.role in DECIDING_ROLES:
                enrol_totp_device(user=user, key=DEMO_TOTP_KEY, token=current_code(DEMO_TOTP_KEY))
        issue_demo_certificates(
            keys_dir=Path(settings.ADMISSION_SIGNING_KEYS_DIR),
            organizations=issuing_organizations(),
            ca_dir=Path(settings.ADMISSION_DEMO_CA_DIR),
        )
        self._second_banner_cases(second)

    def _second_banner_cases(self, banner: Jurisdiction) -> None:
        """Two regular cases of the second banner sent to the city: one approved by it here, one waiting."""
        users = {u.username: u for u in get_user_model().objects.filter(username__startswith="mq_")}
        approved = self._to_the_city(banner, users, "森林草原防火网格化巡查")
        actions.approve_at_city(
            task=CaseDriver(approved).task("city_approval"),
            actor=get_user_model().objects.get(username="shizhengfu"),
            approves=True,
        )
        self._to_the_city(banner, users, "林区防火检查站值守")

    def _to_the_city(self, banner: Jurisdiction, users: dict, duty_name: str) -> DutyRequest:
        township = banner.organizations.get(name="尼尔基镇")
        duty_request = request_services.save_draft(
            actor=users["mq_linye"],
            values={**_values(CASES[0], "旗林业和草原局"), "duty_name": duty_name},
            townships=[township],
        )
        duty_request = actions.consult_townships(duty_request=duty_request, actor=users["mq_linye"])
        driver = CaseDriver(duty_request)
        driver.give_opinion(users["mq_nierji"], township=township, agrees=True, opinion="同意承担，按方案落实。")
        title, body = "书面申请", f"申请将{duty_name}纳入乡镇职责事项。"
        letter = _blank_letter(title) if self.no_render else _letter(title, body)
        driver.submit(users["mq_linye"], application_letter=letter)
        driver.accept(users["mq_bianban"])
        for node, username in (
            ("lead_review", "mq_bianban"),
            ("legality_review", "mq_sifa"),
            ("data_review", "mq_zhengshu"),
        ):
            driver.give_bureau_opinion(node, users[username], passes=True, reasoning="符合准入条件。")
        driver.conclude(
            users["mq_bianban"],
            passes=True,
            findings={field: "符合要求。" for field, _label in review.FOCUS_POINTS},
        )
        driver.decide_at_banner(users["mq_lingdao"], approves=True)
        return driver.duty_request

    def _deliver_safeguards(self) -> None:
        """Art. 5: the forestry bureau has delivered everything for its duty and 那吉镇 confirmed; the civil affairs
        bureau has paid half and 那吉镇 has not yet confirmed the training."""
        for duty_name, township, confirm_all in (
            ("森林草原防火巡查", "naji", True),
            ("特困人员探访关爱", "naji", False),
        ):
            duty = TownshipDuty.objects.get(duty_name=duty_name, township=self.orgs[township])
            department = next(u for k, u in self.users.items() if self.orgs.get(k) == duty.department)
            funding = Decimal(duty.funding_amount or 0)  # the demo's duties are funded
            deliveries = [
                actions.record_safeguard_delivery(
                    duty=duty,
                    actor=department,
                    kind=SafeguardKind.FUNDING,
                    amount=funding if confirm_all else funding / 2,
                    description="阿财预〔2026〕31号拨付",
                ),
                actions.record_safeguard_delivery(
                    duty=duty,
                    actor=department,
                    kind=SafeguardKind.TECHNICAL_SUPPORT,
                    description="已开通系统账号并配发工作终端",
                ),
                actions.record_safeguard_delivery(
                    duty=duty,
                    actor=department,
                    kind=SafeguardKind.TRAINING,
                    description="11月组织业务培训，乡镇 3 人参加",
                ),
            ]
            for delivery in deliveries[: None if confirm_all else 2]:
                actions.confirm_safeguard_delivery(delivery=delivery, actor=self.users[township])

    def _report_pushed_down_duties(self) -> None:
        """Art. 7–8: one report handled to a finding, one waiting for the organization office."""
        handled = actions.report_unadmitted_duty(
            actor=self.users["liuhe"],
            department=self.orgs["yingji"],
            duty_description="农村自建房安全隐患排查整治",
            method="responsibility_pledge",
            details="旗应急管理局要求各乡镇签订自建房安全目标责任状，由乡镇承担排查整治全部责任。",
        )
        actions.handle_report(
            report=handled,
            actor=self.users["bianban"],
            finding=ReportFinding.VIOLATION_CORRECTED,
            finding_text="经核查属实。已责令旗应急管理局撤回责任状，如确需乡镇承担，依程序提出准入申请。",
        )
        actions.report_unadmitted_duty(
            actor=self.users["naji"],
            department=self.orgs["weijian"],
            duty_description="健康档案录入指标",
            method="quota_target",
            details="旗卫生健康委员会按人口分解健康档案录入指标，纳入乡镇年度考核。",
        )

    def _age_open_tasks(self) -> None:
        """Everything above happened just now; let some open tasks have arrived earlier, so that queues and the
        dashboard show due-soon and overdue work. Due dates are recomputed from the new arrival on the calendar."""
        calendar = WorkingCalendar(self.orgs["office"].jurisdiction_id)
        today = timezone.localdate()
        for duty_name, node, working_days_ago in AGED_TASKS:
            task = next(
                t for t in engine.open_tasks(DutyRequest.objects.get(duty_name=duty_name)) if t.flow_task.name == node
            )
            arrived = today
            for _ in range(working_days_ago):
                arrived -= timedelta(days=1)
                while not calendar.is_working_day(arrived):
                    arrived -= timedelta(days=1)
            Task.objects.filter(pk=task.pk).update(created=timezone.make_aware(datetime.combine(arrived, time(9, 30))))
            task.refresh_from_db()
            TaskDeadline.objects.filter(task=task).delete()  # set_deadline gives a new task its first deadline
            set_deadline(task=task, jurisdiction_id=self.orgs["office"].jurisdiction_id)

    def _say(self, message: str) -> None:
        if self.verbosity:
            self.stdout.write(message)
            self.stdout.flush()

    def _print_users(self) -> None:
        rows = [(username, "—", f"{role.label}（/admin/）") for username, role, _name in ADMINISTRATORS] + [
            (m.user.username, m.organization.name, m.get_role_display())
            for m in Membership.objects.select_related("user", "organization")
            .filter(organization__jurisdiction__division_code__in=(DIVISION_CODE, "150722", "150700", "150000"))
            .order_by(
                "organization__jurisdiction__division_code",
                "organization__kind",
                "organization__division_code",
                "user__username",
            )
        ]
        self.stdout.write(f"\n演示用户（密码均为 {PASSWORD}）：")
        width = max(len(r[0]) for r in rows)
        for username, organization, role in rows:
            self.stdout.write(f"  {username.ljust(width)}  {organization}  {role}")
        self.stdout.write(
            f"\n双因素认证：负责人、审核人和管理员输入密码后还须输入动态验证码。演示账号的验证器密钥均为 "
            f"{DEMO_TOTP_SECRET}（可添加到手机验证器应用）；演示环境（调试模式）的验证页面直接显示当前验证码。"
            f"{ENROLS_AT_FIRST_LOGIN} 尚未绑定验证器，首次登录时演示扫码绑定。"
        )
        # The address the demo really serves (var/demo.env, from make demo's HOST and PORT), as documents print it.
        self.stdout.write(f"\n打开 {settings.ADMISSION_PUBLIC_URL.rstrip('/')}/ 用上述账号登录。")
