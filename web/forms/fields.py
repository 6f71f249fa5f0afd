"""Fields shared by the pages' forms, and how a service's errors land on a form."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from admission.services import uploads
from admission.services.uploads import check_upload


class UploadField(forms.FileField):
    """A file checked by content and size as soon as the form is validated."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", _("PDF、JPEG、PNG 或 OFD，不超过 20 MB。"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", ".pdf,.jpg,.jpeg,.png,.ofd")

    def clean(self, data, initial=None):
        uploaded = super().clean(data, initial)
        if uploaded:
            check_upload(uploaded, field_label=str(self.label) if self.label else None)
        return uploaded


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleUploadField(UploadField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if self.required and not items:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleUploadField, self).clean(item, initial) for item in items]


def _upload_fields(form: forms.BaseForm) -> list[str]:
    return [name for name, field in form.fields.items() if isinstance(field, UploadField)]


def restore_kept_uploads(form: forms.BaseForm, *, user: Any) -> None:
    """Before validation: a file field left empty gets the files kept from the last submit that are still ticked
    (`NAME__kept`); a file chosen anew replaces them."""
    for name in _upload_fields(form):
        key = form.add_prefix(name)
        if any(getattr(item, "name", "") for item in form.files.getlist(key)):
            continue
        ticked = form.data.getlist(f"{key}__kept") if isinstance(form.data, QueryDict) else []
        kept = [uploads.kept_upload(user=user, pk=pk) for pk in ticked]
        if any(kept):
            form.files.setlist(key, [item for item in kept if item is not None])


def keep_uploads(form: forms.BaseForm, *, user: Any) -> None:
    """After a submit that came back with an error: every file that passed its checks is kept for the next one, and
    the page shows it as kept (form.kept_uploads, by field name)."""
    form.kept_uploads = {}  # type: ignore[attr-defined]
    cleaned = getattr(form, "cleaned_data", {})
    for name in _upload_fields(form):
        value = cleaned.get(name)
        items = value if isinstance(value, list) else [value] if value else []
        if items:
            form.kept_uploads[name] = [uploads.keep_upload(user=user, uploaded=item) for item in items]  # type: ignore[attr-defined]


def drop_used_uploads(form: forms.BaseForm, *, user: Any) -> None:
    """After a submit that went through: the kept files it used are dropped."""
    used = []
    for name in _upload_fields(form):
        value = form.cleaned_data.get(name)
        items = value if isinstance(value, list) else [value] if value else []
        used += [pk for item in items if isinstance(pk := getattr(item, "kept_pk", None), int)]
    uploads.drop_kept_uploads(user=user, pks=used)


# An amount of money in yuan as people type it: digits, an optional decimal point with up to two decimals; thousands
# separators and spaces are allowed and dropped; a minus sign is read (the services refuse a negative amount with
# their own reason). Nothing else — no letters, no exponent (1e5), no plus sign.
AMOUNT = re.compile(r"-?\d+(?:\.\d{0,2})?")
SEPARATORS = str.maketrans("", "", ",，  _")
FULL_WIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")


class AmountField(forms.Field):
    """A sum of money typed into a text box (inputmode="decimal"), parsed here, so nothing typed is ever lost: the
    browser does not drop what it cannot parse, and what is not an amount comes back with the value kept and a
    message saying what to write."""

    widget = forms.TextInput

    def __init__(self, *, max_whole_digits: int = 12, **kwargs):
        self.max_whole_digits = max_whole_digits
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "24"})

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value or "").strip().translate(FULL_WIDTH).translate(SEPARATORS)
        if not text:
            return None
        if not AMOUNT.fullmatch(text):
            raise ValidationError(
                _(
                    "“%(value)s”不是金额：请只填写数字，如 120000 或 120000.50（元，最多两位小数，不用字母或科学计数法）。"
                ),
                code="invalid",
                params={"value": str(value).strip()[:30]},
            )
        whole = text.split(".")[0].lstrip("-0")
        if len(whole) > self.max_whole_digits:
            raise ValidationError(
                _("金额位数过多：整数部分最多 %(digits)s 位，请核对是否多输入了数字。"),
                code="too_long",
                params={"digits": self.max_whole_digits},
            )
        return Decimal(text.rstrip("."))

    def prepare_value(self, value: Any) -> Any:
        return f"{value:f}" if isinstance(value, Decimal) else value


class BranchingForm(forms.BaseForm):
    """A form whose fields depend on a choice. `branches` maps a controlling field to its values and the fields each
    value shows; fields of the branches not chosen are hidden by app.js and, since pages must work without
    JavaScript, ignored here (emptied in cleaned_data), so what was typed into another branch never reaches a
    service — unless `unchosen_reach_the_service`, where the service explains a value that does not belong (e.g. an
    end date for a regular duty). `branch_required` are marked required (the services say what is missing)."""

    branches: ClassVar[dict[str, dict[str, tuple[str, ...]]]] = {}
    branch_required: ClassVar[frozenset[str]] = frozenset()
    unchosen_reach_the_service: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for controller, values in self.branches.items():
            shown: dict[str, list[str]] = {}
            for value, names in values.items():
                for name in names:
                    shown.setdefault(name, []).append(value)
            for name, chosen_by in shown.items():
                if name in self.fields:
                    self.fields[name].branch = (controller, " ".join(chosen_by))  # type: ignore[attr-defined]
        for name in self.branch_required & set(self.fields):
            self.fields[name].marked_required = True  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for controller, values in self.branches.items():
            if controller not in self.fields or self.unchosen_reach_the_service:
                continue
            chosen = str(self[controller].value() or "")
            keep = set(values.get(chosen, ()))
            for name in {n for names in values.values() for n in names} - keep - {controller}:
                if name in self.fields:
                    self.errors.pop(name, None)
                    cleaned[name] = _empty(self.fields[name])
        return cleaned


def _empty(field: forms.Field) -> Any:
    if isinstance(field, forms.ModelMultipleChoiceField) and field.queryset is not None:
        return field.queryset.none()
    if isinstance(field, forms.MultipleChoiceField):
        return []
    return getattr(field, "empty_value", None)


def apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: field messages on their fields, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
