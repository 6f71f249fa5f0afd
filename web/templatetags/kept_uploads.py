"""The files a form kept from a submit that came back with an error (web.forms.fields.keep_uploads)."""

from django import template

register = template.Library()


@register.filter
def kept_files(form, field_name: str) -> list:
    return getattr(form, "kept_uploads", {}).get(field_name, [])
