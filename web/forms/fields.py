"""Fields shared by the pages' forms, and how a service's errors land on a form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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


def apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: field messages on their fields, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
