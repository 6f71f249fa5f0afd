"""Test scaffolding: a small banner with a user for every role, and helpers that walk the procedure."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from viewflow.workflow.models import Task

from admission.models import (
    AuditEvent,
    DutyRequest,
    Jurisdiction,
    JurisdictionLevel,
    Organization,
    OrganizationKind,
    RequestState,
    Role,
    Track,
)
from admission.services import approval, changes, intake, review
from admission.services import requests as request_services
from admission.services.setup import add_member, create_jurisdiction, create_upper_jurisdiction
from tests import files
from workflows import actions
from workflows.driver import CaseDriver
from workflows.management.commands.seed_demo import MONGOLIAN_NAMES

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PASSWORD = "pass-1234"
PDF_BYTES = files.pdf()  # a real one-page PDF: uploads are parsed, not sniffed


def pdf(name: str = "申请.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@dataclass
class Banner:
    jurisdiction: Jurisdiction
    orgs: dict[str, Organization]
    users: dict[str, User] = field(default_factory=dict)

    def org(self, key: str) -> Organization:
        return self.orgs[key]


def build_banner(*, code: str, name: str, short: str, prefix: str = "") -> Banner:
    jurisdiction = create_jurisdiction(
        name=name,
        measure=f"{name}乡镇职责准入管理办法（试行）",
        short_name=short,
        division_code=code,
        city_name="呼伦贝尔市",
        city_government_name="呼伦贝尔市人民政府",
        townships=[
            (f"{prefix}那吉镇", f"{code}100"),
            (f"{prefix}六合镇", f"{code}101"),
            (f"{prefix}亚东镇", f"{code}102"),
        ],
        departments=[f"{prefix}旗林业和草原局", f"{prefix}旗应急管理局", f"{prefix}旗农牧局"],
        mongolian_names=MONGOLIAN_NAMES,
    )
    orgs_by_name = {o.name: o for o in jurisdiction.organizations.all()}
    by_kind = {o.kind: o for o in orgs_by_name.values()}
    orgs = {
        "office": by_kind[OrganizationKind.ORGANIZATION_OFFICE],
        "justice": by_kind[OrganizationKind.JUSTICE_BUREAU],
        "data": by_kind[OrganizationKind.DATA_BUREAU],
        "leadership": by_kind[OrganizationKind.BANNER_LEADERSHIP],
        "city": by_kind[OrganizationKind.CITY_GOVERNMENT],
        "forestry": orgs_by_name[f"{prefix}旗林业和草原局"],
        "emergency": orgs_by_name[f"{prefix}旗应急管理局"],
        "agriculture": orgs_by_name[f"{prefix}旗农牧局"],
        "naji": orgs_by_name[f"{prefix}那吉镇"],
        "liuhe": orgs_by_name[f"{prefix}六合镇"],
        "yadong": orgs_by_name[f"{prefix}亚东镇"],
    }
    banner = Banner(jurisdiction=jurisdiction, orgs=orgs)
    roles = {
        "forestry": Role.CLERK,
        "emergency": Role.CLERK,
        "agriculture": Role.CLERK,
        "naji": Role.CLERK,
        "liuhe": Role.CLERK,
        "yadong": Role.CLERK,
        "office": Role.REVIEWER,
        "justice": Role.REVIEWER,
        "data": Role.REVIEWER,
        "leadership": Role.HEAD,
    }
    for key, role in roles.items():
        banner.users[key] = add_member(organization=orgs[key], username=f"{prefix}{key}", password=PASSWORD, role=role)
    banner.users["office_clerk"] = add_member(
        organization=orgs["office"], username=f"{prefix}office_clerk", password=PASSWORD, role=Role.CLERK
    )
    banner.users["office2"] = add_member(
        organization=orgs["office"], username=f"{prefix}office2", password=PASSWORD, role=Role.REVIEWER
    )
    return banner


def complete_values(**overrides) -> dict:
    values = {
        "duty_name": "森林草原防火巡查",
        "affair_class": "administrative_affair",
        "track": Track.REGULAR,
        "end_date": None,
        "list_category": "cooperative",
        "work_objective": "落实森林草原防火属地巡查责任，早发现早报告。",
        "powers_and_responsibilities": "组织护林员开展日常巡查，发现火情及时报告旗林草局。",
        "legal_basis": "《森林防火条例》第二十条；《草原防火条例》第十七条。",
        "division_of_responsibilities": "旗林草局负责业务指导和考核，乡镇负责组织巡查和信息报送。",
        "work_process": "制定巡查计划—组织巡查—登记台账—发现火情立即报告。",
        "completion_time_limit": "长期",
        "operating_mechanism": "每月调度，每季度通报。",
        "staffing": "每镇明确 1 名分管领导和 2 名专职人员。",
        "funding_amount": Decimal("120000.00"),
        "funding_source": "旗本级财政预算",
        "technical_support": "旗林草局提供巡护终端和系统账号。",
        "training": "每年汛前、防火期前各组织一次培训。",
    }
    values.update(overrides)
    return values


def temporary_values(**overrides) -> dict:
    return complete_values(
        duty_name="第三次全国土壤普查样点协助调查",
        track=Track.TEMPORARY,
        end_date=timezone.localdate() + timedelta(days=180),
        completion_time_limit="2027年5月31日前",
        **overrides,
    )


def draft(banner: Banner, *, townships=("naji", "liuhe"), department="forestry", **overrides):
    return request_services.save_draft(
        actor=banner.users[department],
        values=complete_values(**overrides),
        townships=[banner.org(t) for t in townships],
    )


def open_task(request, node_name: str, **data) -> Task:
    return CaseDriver(request).task(node_name, **data)


def do(request, node_name: str, user, action, **data):
    """Perform the open task of `node_name` with any service call `action` (the page would offer only one)."""
    driver = CaseDriver(request)
    result = driver.perform(node_name, user, action, **data)
    request.refresh_from_db()
    return result


def _driven(request, step):
    result = step(CaseDriver(request))
    request.refresh_from_db()
    return result


def key_of(banner: Banner, organization) -> str:
    return next(k for k, o in banner.orgs.items() if o.pk == organization.pk)


def consult_all(banner: Banner, request, *, disagree: tuple[str, ...] = ()):
    for c in request.current_consultations().select_related("township").order_by("township__division_code"):
        key = key_of(banner, c.township)
        agrees = key not in disagree
        _driven(
            request,
            lambda driver, c=c, key=key, agrees=agrees: driver.give_opinion(
                banner.users[key],
                township=c.township,
                agrees=agrees,
                opinion="同意承担，按方案落实。" if agrees else "人员不足，建议明确每镇 2 名专职人员和经费后再议。",
            ),
        )


def submit(banner: Banner, request, department="forestry"):
    _driven(request, lambda driver: driver.submit(banner.users[department], application_letter=pdf()))


def accept(banner: Banner, request):
    _driven(request, lambda driver: driver.accept(banner.users["office"]))


def bureau_opinions(banner: Banner, request, *, passes=("office", "justice", "data")):
    for key, node in (("office", "lead_review"), ("justice", "legality_review"), ("data", "data_review")):
        _driven(
            request,
            lambda driver, key=key, node=node: driver.give_bureau_opinion(
                node, banner.users[key], passes=key in passes, reasoning=f"{key} 审核意见"
            ),
        )


FINDINGS = {
    "work_content": "属于行政事务。",
    "legal_basis": "依据充分。",
    "division_of_responsibilities": "分工明确。",
    "consultation": "三镇均同意。",
    "safeguards": "经费、技术、培训到位。",
}


def conclude(banner: Banner, request, *, passes=True):
    _driven(
        request,
        lambda driver: driver.conclude(
            banner.users["office"],
            passes=passes,
            findings=FINDINGS,
            reasons="" if passes else "法定依据不足，该事项属于部门法定职责。",
            remedy="" if passes else "补充法律法规依据后重新申请。",
        ),
    )


def banner_decides(banner: Banner, request, *, approves=True):
    _driven(
        request,
        lambda driver: driver.decide_at_banner(
            banner.users["leadership"], approves=approves, reasons="" if approves else "暂缓下放。"
        ),
    )


def city_decides(banner: Banner, request, *, approves=True):
    _driven(
        request,
        lambda driver: driver.record_city_decision(
            banner.users["office"],
            approves=approves,
            document_number="呼政字〔2026〕12号",
            decision_date=timezone.localdate(),
            reply_scan=pdf("批复.pdf"),
            reasons="" if approves else "不符合要求。",
        ),
    )


def to_under_review(banner: Banner, **overrides):
    request = draft(banner, **overrides)
    request = actions.consult_townships(duty_request=request, actor=banner.users["forestry"])
    consult_all(banner, request)
    submit(banner, request)
    accept(banner, request)
    return request


def propose(banner: Banner, duty, purpose: str, *, by: str = "forestry", targets=None, reasons: str = "", **terms):
    """Open an exit or adjustment of `duty` (with the adjusted `terms`) and send it out (Art. 4(4), 4(5))."""
    actor = banner.users[by]
    request = changes.propose_change(
        actor=actor,
        duty=duty,
        purpose=purpose,
        targets=targets,
        reasons=reasons
        or ("任务已完成，不再需要乡镇承担。" if purpose == "exit" else "相关法规修订，调整依据和保障。"),
    )
    if terms:
        fields = request_services.fields_to_edit(request)
        request = request_services.save_draft(
            actor=actor,
            duty_request=request,
            values={f: terms.get(f, getattr(request, f)) for f in fields},
        )
    return actions.consult_townships(duty_request=request, actor=actor)


def carry_through(banner: Banner, request, *, by: str = "forestry"):
    """From consultation (if any) to the final approval on the case's track, everyone agreeing."""
    if request.state == RequestState.CONSULTING:
        consult_all(banner, request)
    submit(banner, request, department=by)
    accept(banner, request)
    bureau_opinions(banner, request)
    conclude(banner, request)
    banner_decides(banner, request)
    if request.state == RequestState.AWAITING_CITY:
        city_decides(banner, request)
    return request


def admitted(banner: Banner, **overrides):
    """A case taken through review and approval on its track to admitted (Art. 4(3))."""
    request = to_under_review(banner, **overrides)
    bureau_opinions(banner, request)
    conclude(banner, request)
    banner_decides(banner, request)
    if request.state == RequestState.AWAITING_CITY:
        city_decides(banner, request)
    assert request.state == RequestState.ADMITTED
    return request


# Cases stopped at each state, for the service tests (tests/test_services__*.py, tests/test_fsm__duty_request.py).
def consulting_case(banner: Banner, **overrides):
    return actions.consult_townships(duty_request=draft(banner, **overrides), actor=banner.users["forestry"])


def consulted_case(banner: Banner, **overrides):
    request = consulting_case(banner, **overrides)
    consult_all(banner, request)
    return request


def revising_case(banner: Banner):
    request = consulting_case(banner)
    consult_all(banner, request, disagree=("liuhe",))
    return request


def submitted_case(banner: Banner):
    request = consulted_case(banner)
    submit(banner, request)
    return request


def awaiting_approval_case(banner: Banner, **overrides):
    request = to_under_review(banner, **overrides)
    bureau_opinions(banner, request)
    conclude(banner, request)
    return request


def awaiting_city_case(banner: Banner):
    request = awaiting_approval_case(banner)
    banner_decides(banner, request)
    return request


def temporary_overrides():
    return {
        "track": Track.TEMPORARY,
        "end_date": timezone.localdate() + timedelta(days=180),
        "completion_time_limit": "2027年5月31日前",
    }


def admitted_temporary_case(banner: Banner):
    request = awaiting_approval_case(banner, **temporary_overrides())
    banner_decides(banner, request)
    return request


def rejected_case(banner: Banner):
    request = to_under_review(banner)
    bureau_opinions(banner, request, passes=("office", "data"))
    conclude(banner, request, passes=False)
    return request


def _events(request) -> list[int]:
    return list(AuditEvent.objects.filter(request_id=request.pk).order_by("pk").values_list("pk", flat=True))


def snapshot(request):
    """What a refused action must leave as it was: the state, the consultation round and the audit trail."""
    fresh = DutyRequest.objects.get(pk=request.pk)
    return fresh.state, fresh.consultation_round, _events(request)


# Each action called on its service directly, outside the flow: a refused action is refused there, where the rule
# lives. (b, r) = (Banner, request); tests/test_services__transitions.py names its cases after them without "direct_".
def direct_submit(b, r):
    return request_services.submit_request(duty_request=r, actor=b.users["forestry"], application_letter=pdf())


def direct_accept(b, r):
    return intake.accept_for_review(duty_request=r, actor=b.users["office"])


def direct_supplement(b, r):
    return intake.return_for_supplement(duty_request=r, actor=b.users["office"], items=["补充法律依据"])


def direct_resubmit(b, r):
    return intake.resubmit_request(duty_request=r, actor=b.users["forestry"], note="已补正")


def direct_bureau(b, r):
    return review.record_bureau_opinion(duty_request=r, actor=b.users["justice"], passes=True, reasoning="依据充分。")


def direct_conclude(b, r):
    return review.conclude_review(duty_request=r, actor=b.users["office"], passes=True, findings=FINDINGS)


def direct_banner_approves(b, r):
    return approval.decide_at_banner(duty_request=r, actor=b.users["leadership"], approves=True)


def direct_banner_refuses(b, r):
    return approval.decide_at_banner(duty_request=r, actor=b.users["leadership"], approves=False, reasons="暂缓下放。")


def direct_city_approves(b, r):
    return approval.record_city_decision(
        duty_request=r,
        actor=b.users["office"],
        approves=True,
        document_number="呼政字〔2026〕12号",
        decision_date=timezone.localdate(),
        reply_scan=pdf("批复.pdf"),
    )


def direct_city_refuses(b, r):
    return approval.record_city_decision(
        duty_request=r,
        actor=b.users["office"],
        approves=False,
        document_number="呼政字〔2026〕13号",
        decision_date=timezone.localdate(),
        reply_scan=pdf("批复.pdf"),
        reasons="不符合要求。",
    )


def direct_start(b, r):
    return request_services.start_consultation(duty_request=r, actor=b.users["forestry"])


def direct_withdraw(b, r):
    return actions.withdraw(duty_request=r, actor=b.users["forestry"], reason="撤回。")


def direct_edit(b, r):
    return request_services.save_draft(
        actor=b.users["forestry"], values=complete_values(duty_name="改名"), townships=[b.org("naji")], duty_request=r
    )


# Reading a rendered form page: one field's block, its errors, and the errors above the form.
def field_html(body: str, name: str) -> str:
    """The <div class="field"> block of one form field, where its value and its errors are shown."""
    start = body.index(f'id="field-{name}"')
    ends = [i for i in (body.find('<div class="field', start), body.find('<div class="actions"', start)) if i != -1]
    return body[start : min(ends)]


def errors_of(body: str, name: str) -> str:
    match = re.search(r'<ul class="errorlist"[^>]*>(.*?)</ul>', field_html(body, name), re.S)
    return match.group(1) if match else ""


def top_errors(body: str) -> str:
    match = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', body, re.S)
    return match.group(1) if match else ""


# The compiled catalogues (*.mo are not committed): tests/conftest.py compiles them when the session starts.
def stale_catalogues(locale_dir: Path) -> list[Path]:
    """The .po files under `locale_dir` whose .mo is missing or older than the .po."""
    return [
        po
        for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]


def compile_stale_catalogues(locale_dir: Path) -> list[Path]:
    """Compile each stale catalogue the way `manage.py compilemessages` does (msgfmt --check-format); return them."""
    stale = stale_catalogues(locale_dir)
    if stale and shutil.which("msgfmt") is None:
        raise RuntimeError(
            f"{len(stale)} translation catalogue(s) under {locale_dir} need compiling and msgfmt is missing: "
            "install gettext (`make test` does)."
        )
    for po in stale:
        subprocess.run(["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    return stale


@dataclass
class Above:
    """The levels over test banners: 内蒙古自治区 → 呼伦贝尔市 (over `banner`) and 通辽市 (over `other`, when given)."""

    region: Jurisdiction
    city: Jurisdiction
    other_city: Jurisdiction | None


def levels_above(banner: Banner, other: Banner | None = None, **city_options: Any) -> Above:
    """`city_options`: more of create_upper_jurisdiction's keywords for 呼伦贝尔市 (approves_in_system, mongolian_names)."""
    region = create_upper_jurisdiction(
        name="内蒙古自治区", division_code="150000", level=JurisdictionLevel.REGION, abbreviation="内"
    )
    city = create_upper_jurisdiction(
        name="呼伦贝尔市",
        division_code="150700",
        level=JurisdictionLevel.CITY,
        abbreviation="呼",
        parent=region,
        children=[banner.jurisdiction],
        **city_options,
    )
    other_city = None
    if other is not None:
        other_city = create_upper_jurisdiction(
            name="通辽市",
            division_code="150500",
            level=JurisdictionLevel.CITY,
            abbreviation="通",
            parent=region,
            children=[other.jurisdiction],
        )
    banner.jurisdiction.refresh_from_db()
    return Above(region, city, other_city)


def office_member(jurisdiction: Jurisdiction, username: str, role: Role = Role.REVIEWER) -> User:
    """A person of the jurisdiction's organization office."""
    office = Organization.objects.get(jurisdiction=jurisdiction, kind=OrganizationKind.ORGANIZATION_OFFICE)
    return add_member(organization=office, username=username, password=PASSWORD, role=role)
