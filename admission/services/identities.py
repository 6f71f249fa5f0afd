"""Single sign-on: which user of this system a platform account (统一身份认证, OpenID Connect) is.

Only the system administrator ties a platform account to a user (ExternalIdentity, in the admin); a login never
creates a user, a membership or a tie the administrator did not register. The web layer (web/oidc.py) verifies the
platform's token and asks here; a refusal says, in the reader's language, whom to ask."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..models import AuditAction, ExternalIdentity
from ..permissions import membership_of
from .audit import record_security_event

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class IdentityRefused(Exception):
    """The platform vouched for the person, but this system does not let them in."""

    def __init__(self, reason: str, message: str | Promise) -> None:
        super().__init__(str(message))
        self.reason = reason
        self.message = message


ASK_THE_ADMINISTRATOR = _(
    "您的统一身份认证账号尚未与本系统的人员对应，不能登录。"
    "请联系本旗县（区）委编办的系统管理员，把它登记到您在本系统的人员信息上，然后重新登录。"
)


def user_for_identity(*, issuer: str, subject: str, claim_value: str = "") -> User:
    """The active member the administrator tied this platform account to; IdentityRefused otherwise.

    `claim_value` is the value of the installation's match claim (ADMISSION_OIDC_MATCH_CLAIM), when it has one: a
    row pre-registered with that value and no subject yet is bound to `subject` now (audited)."""
    if not issuer or not subject:
        raise IdentityRefused("unmapped", ASK_THE_ADMINISTRATOR)
    now = timezone.now()
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        binding = False
        if identity is None and claim_value:
            identity = (
                ExternalIdentity.objects.select_for_update()
                .select_related("user")
                .filter(issuer=issuer, subject="", claim_value=claim_value)
                .first()
            )
            binding = identity is not None
        if identity is None:
            raise IdentityRefused("unmapped", ASK_THE_ADMINISTRATOR)
        user = identity.user
        if not user.is_active:
            raise IdentityRefused(
                "inactive", _("您在本系统的账号已停用，不能登录。如需恢复，请联系本旗县（区）委编办的系统管理员。")
            )
        if user.is_staff or user.is_superuser:
            raise IdentityRefused(
                "administrator",
                _("管理员账号不能通过统一身份认证登录（三员分立），请使用本系统的账号、密码和双因素认证登录管理后台。"),
            )
        membership = membership_of(user)
        if membership is None:
            raise IdentityRefused(
                "no_membership",
                _(
                    "您的账号尚未加入任何单位，不能办理业务。请联系本旗县（区）委编办的系统管理员为您设置所在单位和角色。"
                ),
            )
        identity.last_login_at = now
        fields = ["last_login_at"]
        if binding:
            identity.subject, identity.bound_at = subject, now
            fields += ["subject", "bound_at"]
        identity.save(update_fields=fields)  # saves with update_fields are audited here, not by the receiver
        if binding:
            record_security_event(
                actor=user,
                action=AuditAction.IDENTITY_CHANGE,
                note=f"首次登录绑定：{user.get_username()} ← sub={subject} @ {issuer}"[:1000],
                data={"identity": identity.pk, "issuer": issuer, "subject": subject, "bound": True},
            )
    return user
