"""What each document says, drawn from the case at the moment it is issued.

Each builder returns a Draft: the issuing body, the addressees and copies, the title, and the body as a list of
blocks ({"h1"|"h2"|"p": text}). The Draft is frozen into OfficialDocument.content, so a later render says the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..inheritance import issuing_body_kind, measure_title
from ..language import in_official_language
from ..models import (
    ApprovalDecision,
    ApprovalStage,
    DocumentKind,
    DutyCategory,
    DutyRequest,
    Organization,
    OrganizationKind,
    RequestPurpose,
    ReviewConclusion,
    TownshipDuty,
    Track,
)
from ..models.duties import terms_of_duty, terms_of_request
from ..models.organizations import mongolian_names
from ..models.requests import FOCUS_POINTS

# Official documents of the Joint Meeting carry these types (公文种类) after the issuer's name in the header mark.
HEADER_SUFFIX = {
    DocumentKind.CONSULTATION_LETTER: "",
    DocumentKind.SUPPLEMENT_NOTICE: "",
    DocumentKind.NON_ADMISSION_NOTICE: "",
    DocumentKind.REVIEW_OPINION: "文件",
    DocumentKind.ADMISSION_DECISION: "文件",
    DocumentKind.REFUSAL_NOTICE: "",
    DocumentKind.EXIT_NOTICE: "",
    DocumentKind.ADJUSTMENT_NOTICE: "",
    DocumentKind.APPROVAL_FORM: "",
    DocumentKind.CITY_APPROVAL: "文件",
}
# The character after the issuer's code in the number: 阿编准〔2026〕3号.
NUMBER_CODE = {
    DocumentKind.CONSULTATION_LETTER: "函",
    DocumentKind.SUPPLEMENT_NOTICE: "补",
    DocumentKind.NON_ADMISSION_NOTICE: "复",
    DocumentKind.REVIEW_OPINION: "审",
    DocumentKind.ADMISSION_DECISION: "准",
    DocumentKind.REFUSAL_NOTICE: "复",
    DocumentKind.EXIT_NOTICE: "退",
    DocumentKind.ADJUSTMENT_NOTICE: "调",
    DocumentKind.APPROVAL_FORM: "单",
    DocumentKind.CITY_APPROVAL: "批",
}
# How each kind of case is named in a sentence: 申请将“X”纳入… / 申请“X”退出… / 申请调整“X”…
ASKS_TO: dict[str, str] = {
    RequestPurpose.ADMISSION: "将“{name}”纳入乡镇职责准入事项",
    RequestPurpose.EXIT: "“{name}”退出乡镇职责事项",
    RequestPurpose.ADJUSTMENT: "调整“{name}”乡镇职责事项",
}


@dataclass
class Draft:
    kind: DocumentKind
    issuer: Organization
    title: str
    addressees: list[Organization]
    blocks: list[dict[str, str]]
    copies: list[Organization] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)


# GB/T 9704 10.1: 函 and 复函 go out in the letter format (信函格式); a new letter kind joins here.
LETTER_KINDS = frozenset(
    {
        DocumentKind.CONSULTATION_LETTER,
        DocumentKind.NON_ADMISSION_NOTICE,
        DocumentKind.REFUSAL_NOTICE,
    }
)
# GB/T 9704 7.2.6: an upward document (上行文: the 请示 to the banner leadership) names its signatory (签发人).
UPWARD_KINDS = frozenset({DocumentKind.REVIEW_OPINION})


def issuer_names(organization: Organization) -> list[str]:
    """The names a body signs with: one for each body of a joint issuer (中共阿荣旗委员会 阿荣旗人民政府), host first.

    A joint body's full name lists its constituents separated by spaces (services/setup.py BODY_NAMES)."""
    return (organization.official_name or organization.name).split()


def mongolian_issuer_names(organization: Organization) -> list[str]:
    """The issuer's names in traditional Mongolian, one for each of issuer_names(), or none at all."""
    names = mongolian_names(organization.mongolian_name)
    return names if len(names) == len(issuer_names(organization)) else []


def _body(duty_request: DutyRequest, kind: OrganizationKind) -> Organization:
    return duty_request.banner_body(kind)


def _issuer_and_other(duty_request: DutyRequest, kind: DocumentKind) -> tuple[Organization, Organization]:
    """The body the banner (or the level above it) chose to issue `kind` (admission/inheritance.py), and the other
    of the two bodies that may: the organization office and the banner leadership (the case's bodies, read once)."""
    chosen = issuing_body_kind(duty_request.jurisdiction_id, kind).value
    other = (
        OrganizationKind.ORGANIZATION_OFFICE
        if chosen == OrganizationKind.BANNER_LEADERSHIP
        else OrganizationKind.BANNER_LEADERSHIP
    )
    return _body(duty_request, OrganizationKind(chosen)), _body(duty_request, other)


def _money(amount) -> str:
    return "未安排专项经费" if not amount else f"{amount:,.2f}元"


def _safeguards(duty_request: DutyRequest) -> list[dict[str, str]]:
    source = f"（{duty_request.funding_source}）" if duty_request.funding_source else ""
    return [
        {"p": f"1．工作经费：{_money(duty_request.funding_amount)}{source}。"},
        {"p": f"2．技术支持：{duty_request.technical_support}"},
        {"p": f"3．业务培训：{duty_request.training}"},
    ]


def _elements(duty_request: DutyRequest) -> list[dict[str, str]]:
    track = (
        "阶段性、临时性工作任务"
        + (f"，截止日期{duty_request.end_date:%Y年%-m月%-d日}" if duty_request.end_date else "")
        if duty_request.track == Track.TEMPORARY
        else "常态化职责事项"
    )
    return [
        {"h2": "（一）职责名称"},
        {"p": f"{duty_request.duty_name}（{track}）。"},
        {"h2": "（二）工作目标"},
        {"p": duty_request.work_objective},
        {"h2": "（三）权责内容"},
        {"p": duty_request.powers_and_responsibilities},
        {"h2": "（四）法定依据"},
        {"p": duty_request.legal_basis},
        {"h2": "（五）责任分工"},
        {"p": duty_request.division_of_responsibilities},
        {"h2": "（六）办事流程"},
        {"p": duty_request.work_process},
        {"h2": "（七）完成时限"},
        {"p": duty_request.completion_time_limit},
        {"h2": "（八）运行机制"},
        {"p": duty_request.operating_mechanism},
        {"h2": "（九）人员安排"},
        {"p": duty_request.staffing},
        {"h2": "（十）保障措施"},
        *_safeguards(duty_request),
    ]


def _asks_to(duty_request: DutyRequest) -> str:
    return ASKS_TO[duty_request.purpose].format(name=duty_request.duty_name)


def _date(value) -> str:
    return f"{value:%Y年%-m月%-d日}"


def term_text(term: str, value) -> str:
    """A duty term as a sentence shows it; accepts model values and the JSON of a DutyVersion alike."""
    if value in (None, ""):
        return "无"
    if term == "track":
        return "常态化职责事项" if value == Track.REGULAR else "阶段性、临时性工作任务"
    if term == "category":
        return str(DutyCategory(value).label)
    if term == "end_date":
        return _date(date.fromisoformat(value) if isinstance(value, str) else value)
    if term == "funding_amount":
        return _money(Decimal(value))
    return str(value)


def _changes(duty_request: DutyRequest) -> list[dict[str, str]]:
    """Art. 4(5): each changed term, from the current list to the adjusted one."""
    duty = duty_request.target_duties.order_by("township__division_code").first()
    assert duty is not None  # an adjustment names the duties it changes
    current = terms_of_duty(duty)
    proposed = terms_of_request(duty_request)
    labels = {f.name: f.verbose_name for f in TownshipDuty._meta.fields}
    changed = [term for term in proposed if proposed[term] != current[term]]
    return [
        {"p": f"{i}．{labels[term]}：由“{term_text(term, current[term])}”调整为“{term_text(term, proposed[term])}”。"}
        for i, term in enumerate(changed, 1)
    ]


def _admission_numbers(duty_request: DutyRequest) -> str:
    """The numbers of the decisions that admitted the duties an exit or adjustment is about."""
    from ..models import OfficialDocument

    numbers = (
        OfficialDocument.objects.filter(
            request__township_duties__in=duty_request.target_duties.all(),
            kind=DocumentKind.ADMISSION_DECISION,
        )
        .values_list("number", flat=True)
        .distinct()
    )
    return "、".join(numbers)


def _approval(decision: ApprovalDecision) -> str:
    if decision.stage == ApprovalStage.CITY_APPROVAL:
        return (
            f"经旗政府审查，报请{decision.body.name}批准（{decision.body.name}"
            f"{decision.document_number}，{_date(decision.decision_date)}），"
        )
    return "经旗委、旗政府审批同意，"


def _measure(duty_request: DutyRequest) -> str:
    """《…》: the measure the case's banner cites (Jurisdiction.measure, inherited from above), read with the banner's
    bodies and the levels above them, once a case."""
    return measure_title(duty_request.banner_body(OrganizationKind.ORGANIZATION_OFFICE).jurisdiction)


@in_official_language
def consultation_letter(*, duty_request: DutyRequest, township: Organization) -> Draft:
    if duty_request.purpose == RequestPurpose.ADMISSION:
        title = f"关于商请承担“{duty_request.duty_name}”职责事项的函"
        opening = (
            f"根据{_measure(duty_request)}第四条第一项规定，我单位拟将“{duty_request.duty_name}”"
            f"纳入乡镇职责准入事项，现将有关情况函告如下，请贵单位研究后出具书面意见。"
        )
        sections = [{"h1": "一、事项基本情况"}, *_elements(duty_request)]
    else:
        article = "第四条第四项" if duty_request.purpose == RequestPurpose.EXIT else "第四条第五项"
        title = f"关于商请{_asks_to(duty_request).replace('乡镇职责事项', '职责事项')}的函"
        opening = (
            f"根据{_measure(duty_request)}{article}规定，我单位提出{_asks_to(duty_request)}，"
            f"理由是：{duty_request.change_reasons.rstrip('。')}。现将有关情况函告如下，请贵单位研究后出具书面意见。"
        )
        sections = (
            [{"h1": "一、调整内容"}, *_changes(duty_request), {"h1": "二、调整后的职责事项"}, *_elements(duty_request)]
            if duty_request.purpose == RequestPurpose.ADJUSTMENT
            else [{"h1": "一、拟退出的职责事项"}, *_elements(duty_request)]
        )
    return Draft(
        kind=DocumentKind.CONSULTATION_LETTER,
        issuer=duty_request.applicant,
        addressees=[township],
        title=title,
        blocks=[
            {"p": opening},
            *sections,
            {"h1": f"{'三' if duty_request.purpose == RequestPurpose.ADJUSTMENT else '二'}、有关要求"},
            {"p": "请于收函后5个工作日内在系统中出具同意或不同意的书面意见；不同意的，请说明理由。"},
        ],
    )


def _other_parties(duty_request: DutyRequest) -> list[Organization]:
    """Everyone the case concerns besides the applicant: the department and the townships."""
    parties = [duty_request.department, *duty_request.townships.order_by("division_code")]
    return [o for o in parties if o.pk != duty_request.applicant_id]


@in_official_language
def supplement_notice(*, duty_request: DutyRequest, items: list[str]) -> Draft:
    office = _body(duty_request, OrganizationKind.ORGANIZATION_OFFICE)
    return Draft(
        kind=DocumentKind.SUPPLEMENT_NOTICE,
        issuer=office,
        addressees=[duty_request.applicant],
        title=f"关于“{duty_request.duty_name}”{RequestPurpose(duty_request.purpose).label}申请补正材料的一次性告知书",
        blocks=[
            {
                "p": f"你单位报送的{_asks_to(duty_request)}的申请（{duty_request.reference}）收悉。经受理审查，"
                f"申请材料尚需补正。现将需补正的全部事项一次性告知如下："
            },
            *({"p": f"{i}．{item}"} for i, item in enumerate(items, 1)),
            {"p": "请补正后在系统中重新提交。逾期未补正的，视为撤回申请。"},
        ],
    )


def _numbered(*sections: tuple[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    """Headed sections numbered 一、二、… in order, leaving out those with nothing to say."""
    blocks: list[dict[str, str]] = []
    for number, (heading, body) in zip("一二三四五六七八九", [s for s in sections if s[1]], strict=False):
        blocks += [{"h1": f"{number}、{heading}"}, *body]
    return blocks


@in_official_language
def non_admission_notice(*, duty_request: DutyRequest, conclusion: ReviewConclusion) -> Draft:
    office = _body(duty_request, OrganizationKind.ORGANIZATION_OFFICE)
    return Draft(
        kind=DocumentKind.NON_ADMISSION_NOTICE,
        issuer=office,
        addressees=[duty_request.applicant],
        copies=_other_parties(duty_request),
        title=f"关于“{duty_request.duty_name}”不予准入的复函"
        if duty_request.purpose == RequestPurpose.ADMISSION
        else f"关于{_asks_to(duty_request)}审核未通过的复函",
        blocks=[
            {
                "p": f"你单位报送的{_asks_to(duty_request)}的申请（{duty_request.reference}）收悉。"
                f"经旗乡镇职责准入联席会议审核，"
                f"{'该事项不予准入' if duty_request.purpose == RequestPurpose.ADMISSION else '该申请未通过审核'}。现将有关情况函复如下："
            },
            *_numbered(
                (
                    "审核情况",
                    [
                        {"p": f"{label}：{text}"}
                        for field, label in FOCUS_POINTS
                        if (text := getattr(conclusion, field))
                    ],
                ),
                ("依据和理由", [{"p": conclusion.reasons}]),
                ("重新申请需改正的事项", [{"p": conclusion.remedy}]),
            ),
            {"p": "特此函复。"},
        ],
    )


@in_official_language
def review_opinion(*, duty_request: DutyRequest, conclusion: ReviewConclusion) -> Draft:
    office = _body(duty_request, OrganizationKind.ORGANIZATION_OFFICE)
    leadership = _body(duty_request, OrganizationKind.BANNER_LEADERSHIP)
    next_step = (
        "该事项属于阶段性、临时性工作任务，建议旗委、旗政府审批后由乡镇组织实施。"
        if duty_request.track == Track.TEMPORARY
        else "该事项属于常态化职责事项，建议旗政府审查同意后报请呼伦贝尔市人民政府批准。"
    )
    if duty_request.is_change:
        next_step = next_step.replace("由乡镇组织实施", "印发执行")
    return Draft(
        kind=DocumentKind.REVIEW_OPINION,
        issuer=office,
        addressees=[leadership],
        title=f"关于{_asks_to(duty_request)}审核意见的请示",
        blocks=[
            {
                "p": f"{duty_request.applicant.name}申请{_asks_to(duty_request)}"
                f"（涉及{'、'.join(t.name for t in duty_request.townships.order_by('division_code'))}）"
                + (f"，理由是：{duty_request.change_reasons.rstrip('。')}" if duty_request.is_change else "")
                + f"。根据{_measure(duty_request)}第四条规定，旗乡镇职责准入联席会议进行了审核，现将审核意见请示如下："
            },
            {"h1": "一、审核意见"},
            *({"p": f"{label}：{getattr(conclusion, field)}"} for field, label in FOCUS_POINTS),
            {"h1": "二、保障措施"},
            *_safeguards(duty_request),
            {"h1": "三、建议"},
            {"p": next_step},
            {"p": "妥否，请批示。"},
        ],
    )


@in_official_language
def admission_decision(*, duty_request: DutyRequest, decision: ApprovalDecision) -> Draft:
    issuer, other = _issuer_and_other(duty_request, DocumentKind.ADMISSION_DECISION)
    townships = duty_request.townships_in_order()
    basis = _approval(decision)
    return Draft(
        kind=DocumentKind.ADMISSION_DECISION,
        issuer=issuer,
        addressees=[duty_request.department, *townships],
        # The organization office is copied; when it issues the decision itself, the banner leadership is.
        copies=[other],
        title=f"关于将“{duty_request.duty_name}”纳入乡镇职责事项的通知",
        blocks=[
            {
                "p": f"{basis}决定将“{duty_request.duty_name}”纳入{'、'.join(t.name for t in townships)}履行职责事项清单。现将有关事项通知如下："
            },
            {"h1": "一、准入事项"},
            *_elements(duty_request),
            {"h1": "二、工作要求"},
            {
                "p": f"{duty_request.department.name}要按照“权随事转、人随事转、钱随事转”的要求，及时落实工作经费、技术支持和业务培训；"
                "各有关乡镇要明确分管领导和工作人员，认真履行职责。"
            },
        ],
    )


@in_official_language
def city_approval(*, duty_request: DutyRequest, city: Organization, approves: bool, reasons: str) -> Draft:
    """Art. 1, 4(3): the league's or city's government answers the banner government inside the platform (issue 15)."""
    leadership = _body(duty_request, OrganizationKind.BANNER_LEADERSHIP)
    verdict = "同意" if approves else "不同意"
    blocks: list[dict[str, str]] = [
        {
            "p": f"{leadership.name}报请批准{_asks_to(duty_request)}（{duty_request.reference}）收悉。"
            f"经研究，{verdict}{_asks_to(duty_request)}。"
        }
    ]
    if approves:
        blocks.append({"p": "请按照有关规定抓好落实，及时将该事项纳入相关乡镇履行职责事项清单并落实保障措施。"})
    else:
        blocks += [{"h1": "理由"}, {"p": reasons}]
    blocks.append({"p": "此复。"})
    return Draft(
        kind=DocumentKind.CITY_APPROVAL,
        issuer=city,
        addressees=[leadership],
        copies=[_body(duty_request, OrganizationKind.ORGANIZATION_OFFICE)],
        title=f"关于{verdict}{_asks_to(duty_request)}的批复",
        blocks=blocks,
    )


@in_official_language
def refusal_notice(*, duty_request: DutyRequest, decision: ApprovalDecision) -> Draft:
    issuer, other = _issuer_and_other(duty_request, DocumentKind.REFUSAL_NOTICE)
    return Draft(
        kind=DocumentKind.REFUSAL_NOTICE,
        issuer=issuer,
        addressees=[duty_request.applicant],
        copies=[other, *_other_parties(duty_request)],
        title=f"关于“{duty_request.duty_name}”不予批准纳入乡镇职责事项的复函"
        if duty_request.purpose == RequestPurpose.ADMISSION
        else f"关于{_asks_to(duty_request)}不予批准的复函",
        blocks=[
            {
                "p": f"你单位申请{_asks_to(duty_request)}（{duty_request.reference}），"
                f"经旗乡镇职责准入联席会议审核后报旗委、旗政府研究，决定不予批准。"
            },
            {"h1": "理由"},
            {"p": decision.reasons},
            {"p": "特此函复。"},
        ],
    )


def _notice_to_all_parties(
    *, duty_request: DutyRequest, kind: DocumentKind, title: str, opening: str, blocks: list[dict[str, str]]
) -> Draft:
    """Art. 4(4), 4(5): the organization office (or the body the banner chose) tells all parties in writing — addressed to the department and the
    townships, copied to the approving body and the joint meeting's other members. `opening` may use {townships}."""
    townships = list(duty_request.townships.order_by("division_code"))
    issuer, other = _issuer_and_other(duty_request, kind)
    bureaus = [_body(duty_request, body) for body in (OrganizationKind.JUSTICE_BUREAU, OrganizationKind.DATA_BUREAU)]
    return Draft(
        kind=kind,
        issuer=issuer,
        # Copied to the approving body (the organization office when the leadership issues it) and the joint
        # meeting's other members.
        copies=[other, *bureaus],
        addressees=[duty_request.department, *townships],
        title=title,
        blocks=[{"p": opening.replace("{townships}", "、".join(t.name for t in townships))}, *blocks],
    )


@in_official_language
def exit_notice(*, duty_request: DutyRequest, decision: ApprovalDecision) -> Draft:
    admitted = _admission_numbers(duty_request)
    return _notice_to_all_parties(
        duty_request=duty_request,
        kind=DocumentKind.EXIT_NOTICE,
        title=f"关于“{duty_request.duty_name}”退出乡镇职责事项的通知",
        opening=f"{duty_request.applicant.name}提出“{duty_request.duty_name}”退出乡镇职责事项（{duty_request.reference}）。"
        f"根据{_measure(duty_request)}第四条第四项规定，经旗乡镇职责准入联席会议审核，{_approval(decision)}"
        "该事项自本通知印发之日起退出{townships}履行职责事项清单。现将有关事项通知如下：",
        blocks=[
            {"h1": "一、退出事项"},
            {
                "p": f"“{duty_request.duty_name}”（{term_text('track', duty_request.track)}"
                + (f"，截止日期{_date(duty_request.end_date)}" if duty_request.end_date else "")
                + (f"，准入文件{admitted}" if admitted else "")
                + "）。"
            },
            {"p": f"法定依据：{duty_request.legal_basis}"},
            {"h1": "二、退出理由"},
            {"p": duty_request.change_reasons},
            {"h1": "三、有关要求"},
            {
                "p": f"{duty_request.department.name}要及时做好工作交接，收回该项工作；已拨付的工作经费按规定办理清算。"
                "有关乡镇自本通知印发之日起不再承担该项职责，任何部门不得以责任状、考核指标、督查检查等方式"
                "继续将该项工作交由乡镇承担（第七条）。"
            },
        ],
    )


@in_official_language
def adjustment_notice(*, duty_request: DutyRequest, decision: ApprovalDecision) -> Draft:
    """Drawn up before the duties take the new terms: it states what changes from what."""
    return _notice_to_all_parties(
        duty_request=duty_request,
        kind=DocumentKind.ADJUSTMENT_NOTICE,
        title=f"关于调整“{duty_request.duty_name}”乡镇职责事项的通知",
        opening=f"{duty_request.applicant.name}提出调整{{townships}}的“{duty_request.duty_name}”职责事项（{duty_request.reference}）。"
        f"根据{_measure(duty_request)}第四条第五项规定，经旗乡镇职责准入联席会议审核，{_approval(decision)}"
        "自本通知印发之日起按调整后的内容列入乡镇履行职责事项清单。现将有关事项通知如下：",
        blocks=[
            {"h1": "一、调整内容"},
            *_changes(duty_request),
            {"h1": "二、调整理由"},
            {"p": duty_request.change_reasons},
            {"h1": "三、调整后的职责事项"},
            *_elements(duty_request),
            {"h1": "四、有关要求"},
            {
                "p": f"{duty_request.department.name}要按照调整后的内容落实工作经费、技术支持和业务培训；"
                "各有关乡镇按调整后的内容履行职责。"
            },
        ],
    )


def _by(user, when) -> str:
    name = (user.get_full_name() or user.get_username()) if user else ""
    return f"（{name}，{_date(when)}）" if when else ""


def _verdict(passes: bool) -> str:
    return "通过" if passes else "不通过"


@in_official_language
def approval_form(*, duty_request: DutyRequest) -> Draft:
    """审批单: every opinion and decision of the case so far, in the order of the procedure. Internal comments
    (CaseComment) are never part of it."""
    from ..models import AuditAction

    office = _body(duty_request, OrganizationKind.ORGANIZATION_OFFICE)
    blocks: list[dict[str, str]] = [
        {
            "p": f"申请单位：{duty_request.applicant.name}；申请编号：{duty_request.reference}；"
            f"事项：{_asks_to(duty_request)}；涉及乡镇："
            f"{'、'.join(t.name for t in duty_request.townships.order_by('division_code')) or '无'}。"
        },
        {"h1": "一、乡镇书面意见（第四条第一项）"},
    ]
    consultations = duty_request.consultations.select_related("township", "responded_by").order_by(
        "round", "township__division_code"
    )
    blocks += [
        {
            "p": f"{c.township.name}（第{c.round}轮）：{c.get_outcome_display()}"
            + (f"。{c.opinion}" if c.opinion else "")
            + _by(c.responded_by, c.responded_at)
        }
        for c in consultations
    ] or [{"p": "无需征求其他乡镇意见。"}]
    blocks.append({"h1": "二、受理审查（第四条第二项）"})
    blocks += [
        {"p": "一次性告知补正：" + "；".join(n.items) + _by(n.issued_by, n.issued_at)}
        for n in duty_request.supplement_notices.select_related("issued_by").order_by("issued_at")
    ]
    blocks += [
        {"p": f"{e.get_action_display()}" + (f"：{e.note}" if e.note else "") + _by(e.actor, e.created_at)}
        for e in duty_request.audit_events.filter(action=AuditAction.ACCEPT_FOR_REVIEW).select_related("actor")
    ]
    blocks.append({"h1": "三、联席审核意见（第三条、第四条第二项）"})
    for r in duty_request.returns.select_related("returned_by").order_by("returned_at"):
        for opinion in r.set_aside:
            blocks.append(
                {"p": f"{opinion['organization']}（已退回重审）：{_verdict(opinion['passes'])}。{opinion['reasoning']}"}
            )
        blocks.append({"p": f"退回重审理由：{r.reasons}" + _by(r.returned_by, r.returned_at)})
    blocks += [
        {"p": f"{o.organization.name}：{_verdict(o.passes)}。{o.reasoning}" + _by(o.given_by, o.given_at)}
        for o in duty_request.bureau_opinions.select_related("organization", "given_by").order_by("given_at")
    ]
    blocks += [
        {
            "p": f"{a.organization.name if a.organization else a.expert_name}（征求意见）：{a.answer or '尚未答复'}"
            + _by(a.answered_by, a.answered_at)
        }
        for a in duty_request.advisory_opinions.select_related("organization", "answered_by").order_by("requested_at")
    ]
    conclusion = ReviewConclusion.objects.filter(request=duty_request).select_related("given_by").first()
    if conclusion is not None:
        blocks.append({"h2": f"审核结论：{_verdict(conclusion.passes)}{_by(conclusion.given_by, conclusion.given_at)}"})
        blocks += [{"p": f"{label}：{getattr(conclusion, name)}"} for name, label in FOCUS_POINTS]
        if not conclusion.passes:
            blocks.append({"p": f"理由：{conclusion.reasons}"})
    blocks.append({"h1": "四、审批决定（第四条第三项）"})
    blocks += [
        {
            "p": f"{d.body.name}：{'同意' if d.approves else '不同意'}"
            + (f"（{d.document_number}）" if d.document_number else "")
            + (f"。{d.reasons}" if d.reasons else "")
            + _by(d.recorded_by, d.recorded_at)
        }
        for d in duty_request.approval_decisions.select_related("body", "recorded_by").order_by("recorded_at")
    ] or [{"p": "尚未作出审批决定。"}]
    return Draft(
        kind=DocumentKind.APPROVAL_FORM,
        issuer=office,
        addressees=[],
        title=f"“{duty_request.duty_name}”{RequestPurpose(duty_request.purpose).label}审批单",
        blocks=blocks,
    )
