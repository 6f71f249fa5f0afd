"""Model-level receivers of the domain: the administrator groups after every migrate, every change of who acts
for which body, every removal of a second factor and every unlock recorded in the audit trail, every change of a
setting the banners below inherit (time limits, document settings), and every change of the working calendar counted
into the open tasks' due dates, however it was made (admin, shell, command)."""

from __future__ import annotations

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .calendar import forget_calendars
from .language import in_official_language
from .models import (
    ApprovalDecision,
    AuditAction,
    CalendarDay,
    CalendarYear,
    DocumentSetting,
    ExternalIdentity,
    Jurisdiction,
    LoginLockout,
    Membership,
    OfficialDocument,
    Organization,
    ReviewConclusion,
    SecondFactorDevice,
    TimeLimit,
    WebhookEventType,
)
from .permissions import forget_banner_bodies
from .services.administrators import ensure_administrator_groups
from .services.audit import record_event, record_security_event
from .services.deadlines import forget_time_limits, recompute_open_deadlines
from .services.identity import remember_password
from .services.webhooks import publish_later
from .tasks import announce_later


def administrator_groups_after_migrate(**kwargs) -> None:
    ensure_administrator_groups()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="identity_first_password")
def _account_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A new account's password starts its history (create_user sets it without telling the validators)."""
    if created and not raw:
        remember_password(user=instance)


@receiver(post_save, sender=Membership, dispatch_uid="audit_membership_saved")
def _membership_saved(sender, instance: Membership, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    record_security_event(
        actor=None,
        action=AuditAction.MEMBERSHIP_CHANGE,
        note=f"{'加入' if created else '变更'}：{instance.user.get_username()} · {instance.organization.name} · "
        f"{instance.get_role_display()}",
        data={
            "user": instance.user_id,
            "organization": instance.organization_id,
            "role": instance.role,
            "created": created,
        },
        jurisdiction_id=instance.organization.jurisdiction_id,
    )


@receiver(post_delete, sender=Membership, dispatch_uid="audit_membership_deleted")
def _membership_deleted(sender, instance: Membership, **kwargs) -> None:
    record_security_event(
        actor=None,
        action=AuditAction.MEMBERSHIP_CHANGE,
        note=f"退出：{instance.user.get_username()} · {instance.organization.name}",
        data={
            "user": instance.user_id,
            "organization": instance.organization_id,
            "role": instance.role,
            "deleted": True,
        },
        jurisdiction_id=instance.organization.jurisdiction_id,
    )


@receiver(post_save, sender=ExternalIdentity, dispatch_uid="audit_identity_saved")
def _identity_saved(
    sender, instance: ExternalIdentity, created: bool, raw: bool = False, update_fields=None, **kwargs
) -> None:
    if raw or update_fields:  # a login's own save (services.identities) records its binding itself
        return
    record_security_event(
        actor=None,
        action=AuditAction.IDENTITY_CHANGE,
        note=f"{'登记' if created else '变更'}：{instance.user.get_username()} ← "
        f"{'sub=' + instance.subject if instance.subject else '预登记值=' + instance.claim_value} @ "
        f"{instance.issuer}"[:1000],
        data={
            "identity": instance.pk,
            "user": instance.user_id,
            "issuer": instance.issuer,
            "subject": instance.subject,
            "created": created,
        },
    )


@receiver(post_delete, sender=ExternalIdentity, dispatch_uid="audit_identity_deleted")
def _identity_deleted(sender, instance: ExternalIdentity, **kwargs) -> None:
    record_security_event(
        actor=None,
        action=AuditAction.IDENTITY_CHANGE,
        note=f"删除：{instance.user.get_username()} ← {instance.subject or instance.claim_value} @ {instance.issuer}"[
            :1000
        ],
        data={
            "identity": instance.pk,
            "user": instance.user_id,
            "issuer": instance.issuer,
            "subject": instance.subject,
            "deleted": True,
        },
    )


# The admin deletes through the proxies (admission/admin.py), and Django names the proxy as the sender.
@receiver(post_delete, sender=TOTPDevice, dispatch_uid="audit_totp_device_deleted")
@receiver(post_delete, sender=SecondFactorDevice, dispatch_uid="audit_second_factor_device_deleted")
def _totp_device_deleted(sender, instance: TOTPDevice, **kwargs) -> None:
    """A user turning their second factor off, or the security administrator resetting a lost device."""
    if not instance.confirmed:
        return
    record_security_event(
        actor=None,
        action=AuditAction.SECOND_FACTOR_CHANGE,
        note=f"停用双因素认证（动态口令）：{instance.user.get_username()}",
        data={"user": instance.user_id, "device": instance.pk, "deleted": True},
    )


@receiver(post_delete, sender=AccessAttempt, dispatch_uid="audit_access_attempt_deleted")
@receiver(post_delete, sender=LoginLockout, dispatch_uid="audit_login_lockout_deleted")
def _access_attempt_deleted(sender, instance: AccessAttempt, **kwargs) -> None:
    """Failed logins cleared before their cool-off ran out: the security administrator unlocked an account or an
    address (the admin's 访问尝试, or manage.py axes_reset). Attempts that simply expired are not an unlock."""
    cool_off = get_cool_off()
    if cool_off is not None and instance.attempt_time < timezone.now() - cool_off:
        return
    record_security_event(
        actor=None,
        action=AuditAction.UNLOCK,
        note=f"解除锁定：用户名 {instance.username or '—'}，地址 {instance.ip_address or '—'}"
        f"（此前连续失败 {instance.failures_since_start} 次）",
        data={"username": instance.username, "address": instance.ip_address, "failures": instance.failures_since_start},
    )


# Work arriving (issue 13 part 3): decisions, a review that does not pass, and issued documents are announced to the
# bodies concerned once their transaction commits. New tasks are announced by workflows/receivers.py.
ANNOUNCED = {ApprovalDecision: "decision", ReviewConclusion: "conclusion", OfficialDocument: "document"}


@receiver(post_save, dispatch_uid="announce_work_arriving")
def _announce(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    event = ANNOUNCED.get(sender)
    if event is not None and created and not raw:
        announce_later(event, instance.pk)


@receiver(post_save, sender=ApprovalDecision, dispatch_uid="webhook_decision_recorded")
def _publish_decision(sender, instance: ApprovalDecision, created: bool, raw: bool = False, **kwargs) -> None:
    """Issue 15: an approving body's decision goes to the API clients' webhooks that may see its case, after commit
    (issued documents go once rendered: services/rendering.py)."""
    if created and not raw:
        publish_later(WebhookEventType.DECISION_RECORDED, instance.pk)


@receiver(post_save, sender=CalendarYear, dispatch_uid="deadlines_calendar_year_saved")
@receiver(post_delete, sender=CalendarYear, dispatch_uid="deadlines_calendar_year_deleted")
@receiver(post_save, sender=CalendarDay, dispatch_uid="deadlines_calendar_day_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="deadlines_calendar_day_deleted")
def _calendar_changed(sender, instance: CalendarYear | CalendarDay, raw: bool = False, **kwargs) -> None:
    """A year's schedule entered (or a day corrected): every open due date is counted again, provisional ones
    (暂估) become official."""
    forget_calendars()
    if raw:
        return
    recompute_open_deadlines(reason=f"工作日历变更（{sender._meta.verbose_name}“{instance}”）")


@receiver(post_save, sender=TimeLimit, dispatch_uid="deadlines_time_limit_saved")
@receiver(post_delete, sender=TimeLimit, dispatch_uid="deadlines_time_limit_deleted")
@receiver(post_save, sender=Jurisdiction, dispatch_uid="deadlines_jurisdiction_saved")
@receiver(post_delete, sender=Jurisdiction, dispatch_uid="deadlines_jurisdiction_deleted")
def _time_limits_changed(sender, **kwargs) -> None:
    """A time limit set, changed or removed, or a jurisdiction moved: the next deadline reads the time limits again."""
    forget_time_limits()


@receiver(post_save, sender=Organization, dispatch_uid="permissions_organization_saved")
@receiver(post_delete, sender=Organization, dispatch_uid="permissions_organization_deleted")
def _organization_changed(sender, **kwargs) -> None:
    """A body added, changed or removed: the next task's permission reads the banner's bodies again."""
    forget_banner_bodies()


@receiver(post_save, sender=TimeLimit, dispatch_uid="audit_time_limit_saved")
@receiver(post_delete, sender=TimeLimit, dispatch_uid="audit_time_limit_deleted")
@receiver(post_save, sender=DocumentSetting, dispatch_uid="audit_document_setting_saved")
@receiver(post_delete, sender=DocumentSetting, dispatch_uid="audit_document_setting_deleted")
@in_official_language
def _setting_changed(sender, instance: TimeLimit | DocumentSetting, raw: bool = False, **kwargs) -> None:
    """A jurisdiction's own setting set, changed or removed (then it inherits from the level above, issue 15): who
    did it and what it says now, in the audit trail."""
    if raw:
        return
    deleted = "created" not in kwargs
    if isinstance(instance, TimeLimit):
        what = f"{instance.get_step_display()}时限 {instance.days}{instance.get_unit_display()}"
        data = {"step": instance.step, "days": instance.days, "unit": instance.unit}
    else:
        what = (
            f"{instance.get_kind_display()}：发文机关 {instance.get_issuer_kind_display() or '继承上级'}，"
            f"签发人 {instance.get_signatory_role_display() or '继承上级'}"
        )
        data = {"kind": instance.kind, "issuer_kind": instance.issuer_kind, "signatory_role": instance.signatory_role}
    record_event(
        duty_request=None,
        actor=None,
        action=AuditAction.ADMIN_CHANGE,
        note=f"{instance.jurisdiction.name} {sender._meta.verbose_name}{'删除（改为继承上级）' if deleted else ''}：{what}",
        data={**data, "setting": sender._meta.model_name, "deleted": deleted},
        jurisdiction_id=instance.jurisdiction_id,
    )


# What a jurisdiction's documents carry from it: the abbreviation that opens its bodies' numbers and the measure they
# cite — each, where blank, taken by the banners below (inheritance.py).
DOCUMENT_NAMES = {"abbreviation": "公文字号简称", "measure": "准入办法"}


@receiver(pre_save, sender=Jurisdiction, dispatch_uid="document_names_before")
def _document_names_before(sender, instance: Jurisdiction, raw: bool = False, **kwargs) -> None:
    if not raw and instance.pk is not None:
        instance._document_names_were = (  # type: ignore[attr-defined]
            Jurisdiction.objects.filter(pk=instance.pk).values(*DOCUMENT_NAMES).first()
        )


@receiver(post_save, sender=Jurisdiction, dispatch_uid="audit_document_names_changed")
def _document_names_changed(sender, instance: Jurisdiction, created: bool, raw: bool = False, **kwargs) -> None:
    """The abbreviation or the measure changed: who did it (the request's audit context) and what it says now."""
    were = getattr(instance, "_document_names_were", None)
    if raw or created or were is None:
        return
    for field, label in DOCUMENT_NAMES.items():
        was, now = were[field], getattr(instance, field)
        if was == now:
            continue
        record_event(
            duty_request=None,
            actor=None,
            action=AuditAction.ADMIN_CHANGE,
            note=f"{instance.name} {label}：由“{was or '继承上级'}”改为“{now or '继承上级'}”",
            data={field: now, "was": was},
            jurisdiction_id=instance.pk,
        )
