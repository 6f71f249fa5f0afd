"""Model-level receivers of the domain: the administrator groups after every migrate, and every change of who acts
for which body recorded in the audit trail, however it was made (admin, shell, command)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import AuditAction, ExternalIdentity, Membership
from .services.administrators import ensure_administrator_groups
from .services.audit import record_security_event


def administrator_groups_after_migrate(**kwargs) -> None:
    ensure_administrator_groups()


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
