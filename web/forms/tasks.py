"""One form per task page. Forms shape input; the rules of the procedure are the services' (their errors land
on the form through apply_service_errors)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from admission.models import Organization, OrganizationKind
from admission.services.review import FOCUS_POINTS

from .fields import BranchingForm, MultipleUploadField, UploadField


def verdict_field(label, yes, no):
    return forms.TypedChoiceField(
        label=label,
        choices=[("1", yes), ("0", no)],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )


def textarea(label, required=True, rows=4, help_text=""):
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), help_text=help_text
    )


class ConsultationOpinionForm(forms.Form):
    agrees = verdict_field(_("意见"), _("同意承担"), _("不同意"))
    opinion = textarea(_("书面意见"), help_text=_("第四条第一项：乡镇出具书面意见；不同意时请写明理由和修改建议。"))
    letter = UploadField(label=_("盖章的书面意见（扫描件，可选）"), required=False)


class ReviseForm(forms.Form):
    pass


class SubmitApplicationForm(forms.Form):
    application_letter = UploadField(label=_("书面申请（加盖单位公章）"))
    supporting_files = MultipleUploadField(label=_("佐证材料（可多选，可选）"), required=False)


class IntakeForm(BranchingForm, forms.Form):
    ACCEPT, SUPPLEMENT = "accept", "supplement"
    branches = {"decision": {SUPPLEMENT: ("items",)}}
    branch_required = frozenset({"items"})
    decision = forms.ChoiceField(
        label=_("受理意见"),
        widget=forms.RadioSelect,
        choices=[(ACCEPT, _("材料齐全，受理并启动联席审核")), (SUPPLEMENT, _("材料不全，一次性告知补正"))],
    )
    items = textarea(
        _("需补正的全部事项（每行一条）"),
        required=False,
        help_text=_("第四条第二项：材料不全的，一次性告知需补正的全部事项。"),
    )
    note = textarea(_("备注"), required=False, rows=2)


class SupplementForm(forms.Form):
    note = textarea(_("补正说明"), rows=3, help_text=_("第四条第二项：按一次性告知的事项逐项说明补正情况。"))
    supporting_files = MultipleUploadField(label=_("补正材料（可多选）"), required=False)


class LeadReviewForm(BranchingForm, forms.Form):
    OPINION, ADVICE = "opinion", "advice"
    branches = {
        "decision": {OPINION: ("passes", "reasoning"), ADVICE: ("question", "departments", "experts")},
    }
    branch_required = frozenset({"passes", "reasoning", "question"})
    decision = forms.ChoiceField(
        label=_("办理方式"),
        widget=forms.RadioSelect,
        choices=[(OPINION, _("出具本单位审核意见")), (ADVICE, _("先征求相关部门、专家意见"))],
    )
    passes = verdict_field(_("本单位意见"), _("通过"), _("不通过"))
    passes.required, passes.empty_value = False, None  # the service names a missing verdict with the rest
    reasoning = textarea(
        _("审核意见（职责分工）"), required=False, help_text=_("第四条第二项：成员单位出具审核意见，并写明依据。")
    )
    question = textarea(_("征求意见事项"), required=False, rows=2)
    departments = forms.ModelMultipleChoiceField(
        label=_("相关部门"), queryset=Organization.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    experts = textarea(_("专家（每行一位：姓名，单位）"), required=False, rows=2)

    def __init__(self, *args, duty_request, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Organization.objects.filter(
            jurisdiction_id=duty_request.jurisdiction_id, kind=OrganizationKind.DEPARTMENT
        ).exclude(pk=duty_request.department_id)

    def expert_list(self) -> list[tuple[str, str]]:
        experts = []
        for line in (self.cleaned_data.get("experts") or "").splitlines():
            name, _sep, affiliation = line.replace(",", "，").partition("，")
            if name.strip():
                experts.append((name.strip(), affiliation.strip()))
        return experts


class AdvisoryOpinionForm(forms.Form):
    answer = textarea(_("意见"), help_text=_("第四条第二项：相关部门、专家就征求意见事项出具意见。"))
    letter = UploadField(label=_("书面意见（扫描件，可选）"), required=False)


class BureauOpinionForm(forms.Form):
    passes = verdict_field(_("审核结论"), _("通过"), _("不通过"))
    reasoning = textarea(_("审核意见及依据"), help_text=_("第四条第二项：成员单位出具审核意见，并写明依据。"))


class ConcludeReviewForm(BranchingForm, forms.Form):
    """Art. 4(2): passing addresses the five focus points; not passing gives reasons and what to correct. The text
    starts from the members' and parties' opinions (selectors.consolidation_draft)."""

    branches = {"passes": {"1": tuple(name for name, _label in FOCUS_POINTS), "0": ("reasons", "remedy")}}
    branch_required = frozenset({*(name for name, _label in FOCUS_POINTS), "reasons", "remedy"})
    passes = verdict_field(_("审核结论"), _("符合准入条件，报旗委、旗政府"), _("不符合准入条件，书面告知并说明理由"))
    work_content = textarea(_("工作内容"), required=False, rows=3, help_text=_("第四条第二项重点审核内容。"))
    legal_basis = textarea(_("法定依据"), required=False, rows=3, help_text=_("第四条第二项重点审核内容。"))
    division_of_responsibilities = textarea(
        _("责任分工"), required=False, rows=3, help_text=_("第四条第二项重点审核内容。")
    )
    consultation = textarea(_("协商意见"), required=False, rows=3, help_text=_("第四条第二项重点审核内容。"))
    safeguards = textarea(_("保障措施"), required=False, rows=3, help_text=_("第四条第二项重点审核内容。"))
    reasons = textarea(
        _("不予准入的理由"), required=False, rows=3, help_text=_("第四条第二项：审核不通过的，书面说明理由。")
    )
    remedy = textarea(_("重新申请需改正的事项"), required=False, rows=2)


class BannerDecisionForm(forms.Form):
    approves = verdict_field(_("决定"), _("同意"), _("不同意"))
    reasons = textarea(_("意见或理由"), required=False, rows=3, help_text=_("不同意时必填，写明理由（第四条第三项）。"))


class CityApprovalForm(forms.Form):
    approves = verdict_field(_("批复结果"), _("批准"), _("不予批准"))
    reasons = textarea(_("意见或理由"), required=False, rows=3, help_text=_("不予批准时必填。"))


class CityDecisionForm(BranchingForm, forms.Form):
    branches = {"approves": {"0": ("reasons",)}}
    branch_required = frozenset({"reasons"})
    approves = verdict_field(_("市政府批复结果"), _("批准"), _("不予批准"))
    document_number = forms.CharField(
        label=_("批复文号"),
        max_length=60,
        help_text=_("如“呼政字〔2026〕12号”。"),
        error_messages={"required": _("请填写市政府批复的文号，如“呼政字〔2026〕12号”。")},
    )
    decision_date = forms.DateField(
        label=_("批复日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("请填写市政府批复的日期。")},
    )
    reply_scan = UploadField(label=_("批复扫描件"), error_messages={"required": _("请上传市政府批复的扫描件。")})
    reasons = textarea(_("不予批准的理由（摘录）"), required=False, rows=2)
