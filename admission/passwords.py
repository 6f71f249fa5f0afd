"""Password validators (AUTH_PASSWORD_VALIDATORS) beside Django's own: character classes, and the history of the last
passwords, which the history validator also keeps (Django tells every validator of each password set)."""

from __future__ import annotations

import string

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .identity import password_reused
from .services.identity import remember_password


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its refusal in Chinese (Django 5.2's own catalogue lacks the sentence)."""

    def get_error_message(self):
        return ngettext(
            "密码太短，至少需要 %(count)d 个字符。", "密码太短，至少需要 %(count)d 个字符。", self.min_length
        ) % {"count": self.min_length}


CHARACTER_CLASSES = (
    ("upper", set(string.ascii_uppercase)),
    ("lower", set(string.ascii_lowercase)),
    ("digit", set(string.digits)),
)


def character_classes(password: str) -> int:
    """How many of the four classes the password uses: upper case, lower case, digits, anything else."""
    used = sum(1 for _name, chars in CHARACTER_CLASSES if any(c in chars for c in password))
    known = set().union(*(chars for _name, chars in CHARACTER_CLASSES))
    return used + (1 if any(c not in known for c in password) else 0)


class CharacterClassesValidator:
    """At least `min_classes` of upper-case letters, lower-case letters, digits and other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_few_classes")

    def get_help_text(self):
        return _("密码须包含大写字母、小写字母、数字和其他符号中的至少 %(count)d 类。") % {"count": self.min_classes}


class PasswordHistoryValidator:
    """None of the user's last `count` passwords (the current one included); also keeps that history, since Django
    tells every validator of each password set (create_user, the change page, the admin, changepassword)."""

    def __init__(self, count: int = 5):
        self.count = count

    def validate(self, password, user=None):
        if user is None or user.pk is None or self.count <= 0:
            return
        if password_reused(user=user, password=password, count=self.count):
            raise ValidationError(
                ngettext(
                    "新密码不能与最近 %(count)d 次使用过的密码相同。",
                    "新密码不能与最近 %(count)d 次使用过的密码相同。",
                    self.count,
                )
                % {"count": self.count},
                code="password_reused",
            )

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            remember_password(user=user, keep=self.count)

    def get_help_text(self):
        return ngettext(
            "不能与最近 %(count)d 次使用过的密码相同。", "不能与最近 %(count)d 次使用过的密码相同。", self.count
        ) % {"count": self.count}
