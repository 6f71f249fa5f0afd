"""Accounts at the province's 统一身份认证 platform (OpenID Connect), each tied by the system administrator to one
user here. Nobody gets a membership from the platform: a platform account without a row here is refused."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExternalIdentity(models.Model):
    """One platform account (issuer + subject) → one user of this system, who acts through their Membership.

    When the administrator does not know the platform's `sub`, they pre-register the value of the claim the
    installation matches on (settings.ADMISSION_OIDC_MATCH_CLAIM, e.g. the platform's username); the first login
    whose claim equals it binds the subject to this row, and from then on only the subject counts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities", verbose_name=_("用户")
    )
    issuer = models.CharField(
        _("认证平台（issuer）"),
        max_length=255,
        help_text=_("统一身份认证平台的 issuer 地址，与 OIDC_OP_ISSUER 设置一致。"),
    )
    subject = models.CharField(
        _("平台用户标识（sub）"),
        max_length=255,
        blank=True,
        help_text=_("平台返回的 sub。不知道时留空，填写下面的预登记值，首次登录时自动绑定。"),
    )
    claim_value = models.CharField(
        _("预登记值"),
        max_length=255,
        blank=True,
        help_text=_("平台账号中用于匹配的字段的值（字段由 ADMISSION_OIDC_MATCH_CLAIM 设置，如平台用户名）。"),
    )
    bound_at = models.DateTimeField(_("绑定时间"), null=True, blank=True)
    last_login_at = models.DateTimeField(_("最近一次统一身份认证登录"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("统一身份认证账号")
        verbose_name_plural = _("统一身份认证账号")
        ordering = ["issuer", "subject", "claim_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], condition=~models.Q(subject=""), name="external_identity_unique_subject"
            ),
            models.UniqueConstraint(
                fields=["issuer", "claim_value"],
                condition=~models.Q(claim_value=""),
                name="external_identity_unique_claim_value",
            ),
            models.UniqueConstraint(fields=["user", "issuer"], name="external_identity_one_per_user_and_issuer"),
            models.CheckConstraint(
                condition=~models.Q(subject="", claim_value=""), name="external_identity_subject_or_claim_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ← {self.subject or self.claim_value} @ {self.issuer}"

    def clean(self) -> None:
        if not self.subject and not self.claim_value:
            raise ValidationError(_("请填写平台用户标识（sub）或预登记值，至少一项。"))
        if self.user_id and (self.user.is_staff or self.user.is_superuser):
            raise ValidationError(
                _("管理员账号不能通过统一身份认证登录（三员分立）：管理员使用本系统的账号、密码和双因素认证登录。")
            )
